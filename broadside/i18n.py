"""Takes a theme's message catalogues (locale/<lang>/LC_MESSAGES/messages.po) and a page's language, gives what
pages need to speak it: translated theme strings, dates, numbers and country names formatted by Babel, and the
problems found in the catalogues."""
from __future__ import annotations

import functools
import hashlib
import io
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from gettext import NullTranslations
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.numbers import format_decimal
from babel.support import Translations
from markupsafe import Markup

from .errors import BuildFailed, ContentError
from .model import Entity, sort_key
from .themes import folder_files

LOCALE_FOLDER = "locale"
CATALOGUE = "LC_MESSAGES/messages.po"
SOURCE_LANGUAGE = "en"  # the language the theme's msgids are written in: it needs no catalogue
# The date patterns (Unicode CLDR syntax), one per precision: a translator writes the pattern of their language
# ("d 'de' MMMM 'de' y"), and Babel fills in the month names.
DATE_PATTERNS = {"day": "d MMMM y", "month": "MMMM y", "year": "y"}
MARKED: list[str | tuple[str, str]] = []  # the messages Python code marks with N_ / Nn_, for the missing-string check


def N_(message: str) -> str:
    """Mark a message for extraction (pybabel's keyword N_) and for the check; translated where it is shown."""
    MARKED.append(message)
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message with a plural (pybabel's keyword Nn_:1,2)."""
    MARKED.append((singular, plural))
    return singular, plural


# Translators: how a full date is written, as a Unicode CLDR pattern (d day, MMMM month name, y year; 'text' quoted).
N_("d MMMM y")
# Translators: how a month of a year is written, as a Unicode CLDR pattern (MMMM month name, y year).
N_("MMMM y")
# Translators: how a year alone is written, as a Unicode CLDR pattern (y year); usually left as it is.
N_("y")


@dataclass(frozen=True)
class Language:
    """One language as pages speak it: its catalogue's translations (English where it has none) and Babel's locale."""

    tag: str  # the BCP 47 tag, as site.toml writes it
    locale: Locale
    translations: NullTranslations
    timezone: str
    key: str  # the tag and a digest of the catalogue, for caches of text made in this language
    # Dates and numbers already written: a large site writes the same few thousand again and again, and Babel
    # takes some 0.1 ms each time.
    written: dict = field(default_factory=dict, compare=False, repr=False)

    def gettext(self, message: str, **values) -> str:
        """The translation of `message`, with %(name)s placeholders filled in."""
        text = self.translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, count: int, **values) -> str:
        """The form of a message for `count`; %(num)s is the count as the language writes numbers."""
        values.setdefault("num", self.number(count))
        return self.translations.ngettext(singular, plural, count) % values

    def number(self, value: int) -> str:
        """A number as the language writes it ('1,234', '1 234')."""
        written = self.written.get(value)
        if written is None:
            written = self.written[value] = format_decimal(value, locale=self.locale)
        return written

    def date(self, moment: datetime, precision: str = "day") -> str:
        """'28 June 2021', '28 juin 2021', 'June 2021' or '2021': the date in the site's time zone."""
        written = self.written.get((moment, precision))
        if written is None:
            local = moment.astimezone(ZoneInfo(self.timezone)) if moment.tzinfo is not None else moment
            pattern = self.gettext(DATE_PATTERNS[precision])
            written = self.written[(moment, precision)] = format_date(local, pattern, locale=self.locale)
        return written

    def language_name(self, tag: str) -> str:
        """The name of the language `tag` in this language ('French', 'français'); the tag itself if Babel has none."""
        try:
            return Locale.parse(tag, sep="-").get_display_name(self.locale) or tag
        except (UnknownLocaleError, ValueError):
            return tag

    def country(self, code: str, name: str) -> str:
        """A country's name in this language (Babel's territory names); `name`, pycountry's English, in English."""
        if self.locale.language == SOURCE_LANGUAGE:
            return name
        return self.locale.territories.get(code.upper(), name)

    def named(self, country: Entity) -> Entity:
        """A country with its name in this language (the same entity when the name is the same)."""
        name = self.country(country.slug, country.name)
        return country if name == country.name else replace(country, name=name)

    def countries(self, countries: tuple[Entity, ...]) -> tuple[Entity, ...]:
        """Countries named in this language, in its alphabetical order."""
        return tuple(sorted((self.named(c) for c in countries), key=lambda c: sort_key(c.name)))

    def plural_forms(self, singular: str, plural: str) -> dict[str, str]:
        """A plural message for scripts: its form for each of the language's plural categories (Intl.PluralRules)."""
        categories = {}
        for count in (*range(1, 200), 0, 1000, 1000000, 10 ** 7):  # 1 first: it is "one" wherever "one" is 1
            categories.setdefault(self.locale.plural_form(count), count)
        return {category: self.translations.ngettext(singular, plural, count) for category, count in categories.items()}


def babel_locale(tag: str) -> Locale:
    """Babel's locale for a BCP 47 tag ('pt-BR' -> pt_BR), falling back to its language, then to English."""
    for candidate in (tag, tag.split("-")[0]):
        try:
            return Locale.parse(candidate, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(SOURCE_LANGUAGE)


def catalogue_path(theme_dir: Path, tag: str) -> Path | None:
    """The catalogue that serves `tag`: locale/pt_BR/... for 'pt-BR', else locale/pt/...; None without one."""
    parts = tag.split("-")
    for folder in dict.fromkeys(("_".join([parts[0].lower(), *(p.upper() for p in parts[1:2])]), parts[0].lower())):
        path = theme_dir / LOCALE_FOLDER / folder / CATALOGUE
        if path.is_file():
            return path
    return None


def load_language(theme_dir: Path, theme_name: str, tag: str, timezone: str) -> Language:
    """The language `tag` as the theme speaks it; BuildFailed when its catalogue is broken."""
    path = catalogue_path(theme_dir, tag)
    data = path.read_bytes() if path else b""
    return _language(data, f"themes/{theme_name}/{path.relative_to(theme_dir).as_posix()}" if path else "", tag, timezone)


def english_words(tag: str, timezone: str) -> Language:
    """A language without a catalogue: the theme's own (English) words, with Babel's formats for `tag`."""
    return _language(b"", "", tag, timezone)


@functools.lru_cache(maxsize=16)
def _language(data: bytes, shown: str, tag: str, timezone: str) -> Language:
    """A language from its catalogue's bytes, compiled once per process (a preview does not read it per save)."""
    translations = compile_catalogue(parse_catalogue(data, shown), shown) if data else NullTranslations()
    key = f"{tag}:{hashlib.sha256(data).hexdigest()[:16] if data else ''}"
    return Language(tag, babel_locale(tag), translations, timezone, key)


# A line of a catalogue that is neither blank nor a comment: a keyword and a string, or a string continuing one.
PO_LINE = re.compile(r'^(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"\s*$')


@functools.lru_cache(maxsize=16)
def parse_catalogue(data: bytes, shown: str) -> Catalog:
    """A catalogue from a .po file's bytes; BuildFailed naming the line of a syntax error or a broken placeholder."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BuildFailed([ContentError(shown, data[:error.start].count(b"\n") + 1, "catalogue is not UTF-8",
                                        "save it as UTF-8")]) from None
    lines = text.splitlines()
    wrong = [ContentError(shown, number, f"cannot read this line of the catalogue: {line.strip()[:60]!r}",
                          'each line is a comment (#), msgid/msgstr followed by a "quoted string", or a "quoted string"')
             for number, line in enumerate(lines, 1) if line.strip() and not line.lstrip().startswith("#")
             and not PO_LINE.match(line.strip())]
    if wrong:
        raise BuildFailed(wrong)
    try:
        catalog = read_po(io.StringIO(text), abort_invalid=True)
    except PoFileError as error:
        line = error.lineno + 1 if error.line else len(lines)
        raise BuildFailed([ContentError(shown, line, f"catalogue error: {error}", "compare with a working entry")]) from None
    problems = [ContentError(shown, translation_line(lines, message.lineno, str(problem)),
                             f"{problem} in the translation of {message_id(message)!r}", placeholder_hint(message))
                for message, found in catalog.check() for problem in found]
    if problems:
        raise BuildFailed(problems)
    return catalog


def translation_line(lines: list[str], msgid_line: int | None, problem: str) -> int | None:
    """The line of the translation (after the msgid on line `msgid_line`) holding a placeholder `problem` names,
    else the entry's first msgstr line."""
    if msgid_line is None:
        return None
    named = [f"%({name})" for name in re.findall(r"'(\w+)'", problem)]
    first = None
    for number in range(msgid_line, len(lines) + 1):
        text = lines[number - 1].strip()
        if not text and first:
            break
        if text.startswith("msgstr") and first is None:
            first = number
        if first and any(name in text for name in named):
            return number
    return first or msgid_line


def placeholder_hint(message) -> str:
    """How to mend a translation whose placeholders do not match its msgid's."""
    names = sorted(set(re.findall(r"%\(\w+\)s", " ".join(message.id if isinstance(message.id, tuple) else [message.id]))))
    if not names:
        return "the msgid has no placeholder: write a literal % as %%"
    return f"keep the msgid's placeholders exactly as they are: {', '.join(names)}"


def message_id(message) -> str:
    """A message's msgid (the singular of a plural one)."""
    return message.id[0] if isinstance(message.id, tuple) else message.id


def compile_catalogue(catalog: Catalog, shown: str) -> Translations:
    """gettext translations from a parsed catalogue, compiled in memory (no .mo file to keep in step)."""
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def missing_messages(theme_dir: Path, theme_name: str, tag: str, used: list[tuple[str, int, str]]) -> list[ContentError]:
    """Warnings for the messages `used` (template, line, msgid) that the catalogue for `tag` does not translate."""
    path = catalogue_path(theme_dir, tag)
    if path is None:
        return [] if babel_locale(tag).language == SOURCE_LANGUAGE else [no_catalogue(theme_name, tag)]
    shown = f"themes/{theme_name}/{path.relative_to(theme_dir).as_posix()}"
    catalog = parse_catalogue(path.read_bytes(), shown)
    problems, seen = [], set()
    for where, line, key in used:
        if key in seen:
            continue
        seen.add(key)
        entry = catalog.get(key)
        strings = entry.string if entry is not None else ""
        translated = all(strings) if isinstance(strings, (tuple, list)) else bool(strings)
        if entry is None or not translated or entry.fuzzy:
            state = "is missing" if entry is None else ("is marked fuzzy" if entry.fuzzy and translated else "has no translation")
            problems.append(ContentError(shown, entry.lineno if entry is not None else None,
                                         f"message {key!r} ({used_at(where, line)}) {state}; pages show it in English",
                                         "run pybabel update, then translate it", warning=True))
    return problems


def no_catalogue(theme_name: str, tag: str) -> ContentError:
    """The warning for a language the theme has no catalogue for, saying how to start one."""
    folder, locale = tag.replace("-", "_"), f"themes/{theme_name}/{LOCALE_FOLDER}"
    return ContentError(f"{locale}/{folder}/{CATALOGUE}", None,
                        f"no catalogue for language '{tag}': the theme shows its words in English",
                        f"create it: pybabel init -i {locale}/messages.pot -d {locale} -l {folder}", warning=True)


# A gettext call in a template with a literal message: _("..."), gettext('...'), ngettext("...", ...), plural_forms(...).
GETTEXT_CALL = re.compile(r"""\b(?:_|gettext|ngettext|plural_forms)\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


# A {% trans %} block (no pluralize): its text is the message, its {{ name }} the placeholders.
TRANS_BLOCK = re.compile(r"\{%-?\s*trans\b[^%]*%\}(.*?)\{%-?\s*endtrans\s*-?%\}", re.DOTALL)


def trans_message(body: str) -> str:
    """The msgid Jinja makes of a {% trans %} block's text: a literal % doubled, {{ name }} as %(name)s."""
    return re.sub(r"\{\{-?\s*(\w+)\s*-?\}\}", r"%(\1)s", body.replace("%", "%%"))


def used_at(where: str, line: int) -> str:
    """Where a message is used, for a warning: a template's line, or Broadside's own pages."""
    return f"used at {where}:{line}" if line else "used in page titles and the search index"


def used_messages(templates: Path, theme_name: str) -> list[tuple[str, int, str]]:
    """Every message the theme's templates and Broadside's own pages ask for, with where it is asked.

    A pattern, not Jinja's parser: a cold build pays for this on every run, and the parser costs 100 times more.
    """
    return [*messages_asked(folder_files(templates), theme_name),
            *(("broadside", 0, message if isinstance(message, str) else message[0]) for message in MARKED)]


@functools.lru_cache(maxsize=8)
def messages_asked(files: tuple[tuple[int, str, bytes], ...], theme_name: str) -> tuple[tuple[str, int, str], ...]:
    """The messages the templates' files (as themes.folder_files gives them) ask for, with where they ask: found once
    for those files (a preview checks the catalogues on every save)."""
    found = []
    for _, name, data in files:
        if not name.endswith(".html"):
            continue
        source = data.decode("utf-8", errors="replace")
        shown = f"themes/{theme_name}/templates/{name}"
        for call in GETTEXT_CALL.finditer(source):
            message = call[1] if call[1] is not None else call[2]
            found.append((shown, source.count("\n", 0, call.start()) + 1, re.sub(r"\\(.)", r"\1", message)))
        for block in TRANS_BLOCK.finditer(source):
            found.append((shown, source.count("\n", 0, block.start()) + 1, trans_message(block[1])))
    return tuple(found)


def page_callables(language: Language) -> dict:
    """The gettext functions templates call (`_`, `gettext`, `ngettext`): translated, then filled in; what a
    template gives as values is escaped, the message itself is trusted as theme code."""

    @jinja2.pass_eval_context  # what escaping is on is all they ask of the page (nothing a loop or block sets)
    def gettext(eval_ctx, _message: str, **values) -> str:
        text = language.translations.gettext(_message)
        if eval_ctx.autoescape:
            text = Markup(text)
        return text % values if values else text

    @jinja2.pass_eval_context
    def ngettext(eval_ctx, _singular: str, _plural: str, _count: int, **values) -> str:
        values.setdefault("num", language.number(_count))
        text = language.translations.ngettext(_singular, _plural, _count)
        if eval_ctx.autoescape:
            text = Markup(text)
        return text % values

    return {"gettext": gettext, "_": gettext, "ngettext": ngettext, "plural_forms": language.plural_forms}
