"""Takes site.toml's languages and the content files' names and `lang` values, and gives each file's language,
the problems of languages that cannot be published, and the site's editions (its content split by language)."""
from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.localedata import locale_identifiers

from .errors import ContentError
from .model import Briefing, Config, Issue, Language

TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# A language segment must not take the name of a folder every edition already has.
SECTIONS = frozenset({"briefings", "issues", "people", "countries", "organisations", "archive", "search", "static",
                      "page", "feed.xml", "feed.json"})
LANGUAGE_KEYS = ("title", "description", "base_url")


@dataclass(frozen=True)
class Edition:
    """The content of one language: its Language, its issues (its own translations, then the others it needs) and
    its briefings."""

    language: Language
    issues: tuple[Issue, ...]
    briefings: tuple[Briefing, ...]


@functools.cache
def known_tags() -> dict[str, str]:
    """Every language tag Babel has data for, folded to lower case -> written as BCP 47 ('pt-br' -> 'pt-BR')."""
    return {tag.lower(): tag for tag in (identifier.replace("_", "-") for identifier in locale_identifiers())}


@functools.cache
def english_names() -> dict[str, str]:
    """Language names in English, folded -> tag ('french' -> 'fr'), so a name typed for a code finds it."""
    return {name.casefold(): code for code, name in Locale("en").languages.items() if "_" not in code}


def standard_tag(tag: str) -> str | None:
    """`tag` written the BCP 47 way ('fr', 'pt-BR') when Babel knows it, else None."""
    return known_tags().get(tag.lower()) if TAG.match(tag) else None


def closest_tag(tag: str) -> str:
    """The known tag nearest to `tag`: its BCP 47 spelling, the code of a language name, or the closest code."""
    typed = tag.strip().replace("_", "-")
    known = standard_tag(typed) or english_names().get(typed.casefold())
    if known:
        return known
    close = difflib.get_close_matches(typed.lower(), [t for t in known_tags() if "-" not in t], n=1, cutoff=0.5)
    return known_tags()[close[0]] if close else "en"


def tag_problem(tag: str) -> tuple[str, str] | None:
    """(message, hint) when `tag` is not a language tag Babel knows, else None."""
    if standard_tag(tag) == tag:
        return None
    return f"unknown language '{tag}'", f"did you mean '{closest_tag(tag)}'? Languages are BCP 47 tags, like fr or pt-BR"


def language_name(tag: str) -> str:
    """The language's own name for itself, capitalised as a menu shows it ('Français', 'Português')."""
    try:
        name = Locale.parse(tag.replace("-", "_")).get_display_name(tag.replace("-", "_")) or tag
    except (UnknownLocaleError, ValueError):
        return tag
    return name[:1].upper() + name[1:]


def text_direction(tag: str) -> str:
    """'rtl' for languages written right to left (Arabic, Persian, Hebrew, Urdu, ...), else 'ltr'."""
    try:
        return Locale.parse(tag.replace("-", "_")).text_direction
    except (UnknownLocaleError, ValueError):
        return "ltr"


def read_languages(table: object, default: str, text: str) -> tuple[tuple[Language, ...], list[ContentError]]:
    """The `[languages.<tag>]` tables of site.toml as Languages (the default language first), with every problem."""
    if not isinstance(table, dict):
        return (), [ContentError("site.toml", line_of(text, "languages"), "'languages' must be a table of languages",
                                 'write [languages.fr] then title = "..." and description = "..."')]
    languages, problems = [], []
    for tag, settings in table.items():
        line = line_of(text, f"languages.{tag}") or line_of(text, "languages")
        problem = language_problem(tag, settings, default, {lang.segment for lang in languages})
        if problem:
            problems.append(ContentError("site.toml", line, *problem))
            continue
        segment = settings.get("base_url", tag).strip("/")
        languages.append(Language(tag, settings["title"], settings["description"], segment))
    return tuple(languages), problems


def language_problem(tag: str, settings: object, default: str, segments: set[str]) -> tuple[str, str] | None:
    """(message, hint) when one `[languages.<tag>]` table cannot be used, else None."""
    problem = tag_problem(tag)
    if problem:
        return problem
    if tag == default:
        return (f"'{tag}' is the default language", "its title and description are those at the top of site.toml")
    if not isinstance(settings, dict):
        return f"[languages.{tag}] must be a table", f'write title = "..." and description = "..." under [languages.{tag}]'
    unknown = [key for key in settings if key not in LANGUAGE_KEYS]
    if unknown:
        close = difflib.get_close_matches(unknown[0], LANGUAGE_KEYS, n=1)
        return (f"unknown key '{unknown[0]}' in [languages.{tag}]",
                f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(LANGUAGE_KEYS))
    missing = [key for key in ("title", "description") if not isinstance(settings.get(key), str) or not settings[key].strip()]
    if missing:
        return f"[languages.{tag}] needs '{missing[0]}' as non-empty text", f'add {missing[0]} = "..." in that language'
    segment = settings.get("base_url", tag)
    if not isinstance(segment, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*/?", segment) or segment.strip("/") in SECTIONS:
        return (f"'base_url' of [languages.{tag}] must be one folder name, got {segment!r}",
                f'write base_url = "{tag}": its pages then live under {tag}/')
    if segment.strip("/") in segments:
        return f"two languages share the folder '{segment.strip('/')}'", "give each language its own base_url"
    return None


def line_of(text: str, table: str) -> int | None:
    """The line of site.toml that opens `[table]` (or sets `table = ...`), if there is one."""
    name = re.escape(table).replace(r"\.", r"\s*\.\s*")
    found = re.search(rf"^\s*\[\s*{name}\s*\]|^\s*{name}\s*=", text, re.MULTILINE)
    return text.count("\n", 0, found.start()) + 1 if found else None


def split_name(stem: str) -> tuple[str, str]:
    """A file name's slug and the language it names: 'kp-reform.fr' -> ('kp-reform', 'fr'); no tag -> (stem, '')."""
    slug, dot, tag = stem.rpartition(".")
    return (slug, tag) if dot and TAG.match(tag) else (stem, "")


def language_of(config: Config, tag: str) -> Language | None:
    """The site's Language for `tag` (the default one built from the top of site.toml), or None if not declared."""
    if tag == config.language:
        return default_language(config)
    return next((language for language in config.languages if language.code == tag), None)


def default_language(config: Config) -> Language:
    """The default language, as a Language: its pages keep the site's own addresses."""
    return Language(config.language, config.title, config.description, "")


def undeclared_problem(config: Config, tag: str) -> tuple[str, str] | None:
    """(message, hint) when a file is in a language site.toml does not declare."""
    if language_of(config, tag) is not None:
        return None
    declared = ", ".join([config.language, *(language.code for language in config.languages)])
    return (f"language '{tag}' is not declared in site.toml (declared: {declared})",
            f'add [languages.{tag}] with title = "..." and description = "..." to site.toml')


def duplicate_problems(items: list[Briefing | Issue]) -> list[ContentError]:
    """An error for each file that claims a slug and language another file already has."""
    if len({(item.slug, item.lang) for item in items}) == len(items):
        return []  # no two alike (every build but one that fails): no need to find them in order
    seen: dict[tuple[str, str], str] = {}
    problems = []
    for item in sorted(items, key=lambda item: item.source_path):
        key = (item.slug, item.lang)
        if key in seen:
            kind = "briefing" if isinstance(item, Briefing) else "issue"
            problems.append(ContentError(item.source_path, 1, f"{seen[key]} is already the '{item.lang}' {kind} "
                                         f"'{item.slug}'", "rename one file, or change its 'lang'"))
        else:
            seen[key] = item.source_path
    return problems


def date_notes(briefings: list[Briefing], config: Config) -> list[ContentError]:
    """A note for each translation dated otherwise than its default-language original: allowed, and said."""
    if all(b.lang == config.language for b in briefings):
        return []  # no translation (most sites)
    originals = {b.slug: b for b in briefings if b.lang == config.language}
    return [ContentError(b.source_path, 1, f"dated {b.date.date().isoformat()}, while its original "
                         f"{originals[b.slug].source_path} is dated {originals[b.slug].date.date().isoformat()}",
                         "allowed: each translation keeps its own date; make them the same if that was not meant",
                         warning=True)
            for b in briefings if b.lang != config.language and b.slug in originals
            and b.date.date() != originals[b.slug].date.date()]


def split_editions(config: Config, issues: list[Issue], briefings: list[Briefing]) -> list[Edition]:
    """One Edition per declared language, the default first: its briefings, and its issues: its own translation of
    each, else the default-language one (else any) for the issues its briefings name."""
    editions = []
    for language in (default_language(config), *config.languages):
        own = [b for b in briefings if b.lang == language.code]
        named = {slug for b in own for slug in b.issues}
        chosen = {i.slug: i for i in issues if i.lang == language.code}
        for issue in sorted(issues, key=lambda i: (i.lang != config.language, i.source_path)):
            if issue.slug in named and issue.slug not in chosen:
                chosen[issue.slug] = issue
        editions.append(Edition(language, tuple(chosen.values()), tuple(own)))
    return editions


def og_locale(tag: str) -> str:
    """The language as Open Graph writes a locale, with its likeliest country: 'fr' -> 'fr_FR', 'pt-BR' -> 'pt_BR'."""
    parts = tag.split("-")
    country = next((part.upper() for part in parts[1:] if len(part) == 2), "")
    if not country:  # CLDR's likely subtags: 'fr' -> 'fr_Latn_FR'
        likely = get_global("likely_subtags").get(parts[0].lower(), "")
        country = next((part for part in likely.split("_")[1:] if len(part) == 2 and part.isalpha()), "")
    return f"{parts[0].lower()}_{country}" if country else parts[0].lower()
