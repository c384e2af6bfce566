"""Takes located front matter Values and gives typed briefing and issue fields, or a located problem per bad field."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from . import languages, names
from .errors import BuildFailed, ContentError
from .meta import Document, FrontMatterError, Value, load_mapping
from .model import Config, Organisation, Quote, Source, entity_path, page_slug

PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2})?$")  # a month or a year, as a source gives it
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?$")
WEB_URL = re.compile(r"^https?://[^\s/?#@]+\.[^\s/?#@]+(?:[/?#]\S*)?$", re.IGNORECASE)
HTTP_OR_RELATIVE = re.compile(r"^(https?://[^\s]+|[^\s:]*)$", re.IGNORECASE)
INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


class FieldError(Exception):
    """A field's value is wrong; message and hint say how."""

    def __init__(self, message: str, hint: str = "", value: Value | None = None):
        super().__init__(message)
        self.message, self.hint, self.value = message, hint, value


@dataclass(frozen=True)
class Context:
    """What field readers need to know besides the value: the file, the config, the issue slugs."""

    path: str
    config: Config
    issues: frozenset[str] | None  # None: the issues could not be listed, so references are not checked
    warnings: list
    organisations: frozenset[str] | None = None  # the gazetteer's names; None: none was read, names are not checked
    briefings: frozenset[str] | None = None  # the slugs of content/briefings/; None: not listed, so not checked
    named_lang: str = ""  # the language the file's name gives (x.fr.md), which `lang` must agree with


def read_text(value: Value, name: str, context: Context) -> str:
    """Text, exactly as typed; warn about invisible characters."""
    if isinstance(value.data, (list, dict)):
        kind = "a list" if isinstance(value.data, list) else "a mapping"
        raise FieldError(f"'{name}' must be text, got {kind}", f'write {name}: "..." on one line')
    if value.data is None:
        raise FieldError(f"'{name}' is empty", f"write a value after '{name}:'")
    if INVISIBLE.search(value.data):
        char = INVISIBLE.search(value.data)[0]
        context.warnings.append(ContentError(context.path, value.line, f"'{name}' contains the invisible character U+{ord(char):04X}",
                                             "delete it; it can reverse or hide text", warning=True))
    return value.data


def read_bool(value: Value, name: str, context: Context) -> bool:
    """Only true or false, so `yes`, `no` and `on` never surprise anyone."""
    text = value.data if isinstance(value.data, str) else None
    if text not in ("true", "false", "True", "False"):
        got = {list: "a list", dict: "a mapping", type(None): "nothing"}.get(type(value.data), f"'{value.data}'")
        raise FieldError(f"'{name}' must be true or false, got {got}", f"write {name}: true")
    return text.lower() == "true"


def read_date(value: Value, name: str, context: Context) -> datetime:
    """A date or date-time, made timezone-aware in the site's timezone; a month (2024-01) or a year (2024)
    stands for its first day."""
    text = read_text(value, name, context).strip()
    hint = "use YYYY-MM-DD[THH:MM±HH:MM]"
    if not DATE.match(text) and not PARTIAL_DATE.match(text):
        raise FieldError(f"invalid date '{text}'", hint)
    try:
        moment = datetime.fromisoformat(text if DATE.match(text) else (text + "-01-01")[:10])
        zone = ZoneInfo(context.config.timezone)
        return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    except (ValueError, OverflowError):
        raise FieldError(f"invalid date '{text}'", hint) from None


def read_lang(value: Value, name: str, context: Context) -> str:
    """A BCP 47 language tag Babel knows, declared in site.toml, agreeing with the file's name if that gives one."""
    tag = read_text(value, name, context).strip()
    if context.named_lang and tag != context.named_lang:
        stem = context.path.rsplit("/", 1)[-1]
        raise FieldError(f"'lang' is '{tag}' but the file name {stem} says '{context.named_lang}'",
                         "make them agree, or remove the lang line: the name is enough")
    problem = languages.tag_problem(tag) or languages.undeclared_problem(context.config, tag)
    if problem:
        raise FieldError(*problem)
    return tag


def read_url(value: Value, name: str, context: Context) -> str:
    """An http(s) or relative URL; never javascript: or data:."""
    text = read_text(value, name, context).strip()
    if not HTTP_OR_RELATIVE.match(text) or text.startswith("//"):
        raise FieldError(f"'{name}' must be an http(s) URL, got '{text}'", "write the full address, https://...")
    return text


def read_text_list(value: Value, name: str, context: Context) -> tuple[str, ...]:
    """A list of text items (a single text counts as a list of one)."""
    if value.data is None:
        return ()
    items = value.data if isinstance(value.data, list) else [value]
    if isinstance(value.data, dict):
        raise FieldError(f"'{name}' must be a list, got a mapping", f"write {name}: [first, second]")
    return tuple(read_text(item, f"{name} item", context) for item in items)


def read_web_url(value: Value, name: str, context: Context) -> str:
    """An absolute http(s) address of another site, as the gazetteer links to."""
    text = read_text(value, name, context).strip()
    if not WEB_URL.match(text):
        raise FieldError(f"'{name}' must be an absolute http(s) URL, got '{text}'", "write the full address, https://...")
    return text


def _list_items(value: Value) -> list[Value]:
    """The located items of a list value (a single text counts as a list of one)."""
    return value.data if isinstance(value.data, list) else [value]


def read_country_list(value: Value, name: str, context: Context) -> tuple[str, ...]:
    """ISO 3166-1 alpha-2 country codes in capitals (ZW, CD, RU), each one pycountry knows."""
    codes = read_text_list(value, name, context)
    for code, item in zip(codes, _list_items(value)):
        if not names.is_country_code(code):
            raise FieldError(f"unknown country code '{code}'", _country_hint(code), item)
    return tuple(dict.fromkeys(codes))


def _country_hint(text: str) -> str:
    """Suggest the code a name, alias or lower-case code stands for."""
    code = names.country_code(text)
    if code is not None:
        return f"did you mean '{code}' ({names.country_name(code)})?"
    return "write ISO 3166-1 alpha-2 codes in capitals, e.g. ZW for Zimbabwe, CD for DR Congo"


def read_organisation_list(value: Value, name: str, context: Context) -> tuple[str, ...]:
    """Organisation names, each a name in content/organisations.yaml when the gazetteer was read."""
    names = read_text_list(value, name, context)
    for organisation, item in zip(names, _list_items(value)):
        if context.organisations is not None and organisation not in context.organisations:
            close = difflib.get_close_matches(organisation, sorted(context.organisations), n=1)
            hint = f"did you mean '{close[0]}'?" if close else "add it to content/organisations.yaml first"
            raise FieldError(f"unknown organisation '{organisation}'", hint, item)
    return tuple(dict.fromkeys(names))


def read_name_list(value: Value, name: str, context: Context) -> tuple[str, ...]:
    """Names of people, each once."""
    return tuple(dict.fromkeys(read_text_list(value, name, context)))


def read_issue_list(value: Value, name: str, context: Context) -> tuple[str, ...]:
    """Issue slugs, each of which must name an issue in content/issues/."""
    slugs = read_text_list(value, name, context)
    items = value.data if isinstance(value.data, list) else [value]
    for slug, item in zip(slugs, items):
        if context.issues is not None and slug not in context.issues:
            close = difflib.get_close_matches(slug, sorted(context.issues), n=1)
            known = ", ".join(sorted(context.issues)) or "none yet"
            hint = f"did you mean '{close[0]}'? known: {known}" if close else f"known: {known}"
            raise FieldError(f"unknown issue '{slug}'", hint, item)
    return tuple(dict.fromkeys(slugs))


def read_briefing_list(value: Value, name: str, context: Context) -> tuple[tuple[str, int], ...]:
    """Briefing slugs (each the name of a file in content/briefings/), with the line each is written on."""
    slugs = read_text_list(value, name, context)
    items = _list_items(value)
    for slug, item in zip(slugs, items):
        if context.briefings is not None and slug not in context.briefings:
            close = difflib.get_close_matches(slug, sorted(context.briefings), n=1)
            hint = f"did you mean '{close[0]}'?" if close else "write the file name of a briefing, without .md"
            raise FieldError(f"unknown briefing '{slug}'", hint, item)
    lines = {}
    for slug, item in zip(slugs, items):
        lines.setdefault(slug, item.line)
    return tuple(lines.items())


def read_source(value: Value, name: str, context: Context) -> Source:
    """The article's source: publication, author, role, url."""
    parts = _read_mapping(value, name, {"publication": read_text, "author": read_text, "role": read_text, "url": read_url}, context)
    return Source(**parts)


def read_quotes(value: Value, name: str, context: Context) -> tuple[Quote, ...]:
    """Quotations: a list of mappings with text, speaker and role."""
    if value.data is None:
        return ()
    if not isinstance(value.data, list):
        raise FieldError(f"'{name}' must be a list of quotes", "write each quote as '- text: ...' with 'speaker: ...'")
    schema = {"text": read_text, "speaker": read_text, "role": read_text}
    quotes = [_read_mapping(item, "quote", schema, context) for item in value.data]
    for quote, item in zip(quotes, value.data):
        if "text" not in quote:
            raise FieldError("a quote has no 'text'", "add text: to the quote", item)
    return tuple(Quote(**quote) for quote in quotes)


def _read_mapping(value: Value, name: str, schema: dict, context: Context) -> dict:
    """Read a nested mapping whose keys must all be in `schema`."""
    if not isinstance(value.data, dict):
        raise FieldError(f"'{name}' must be a mapping of keys to values", f"indent 'key: value' lines under '{name}:'")
    result = {}
    for key, item in value.data.items():
        if key not in schema:
            raise FieldError(f"unknown key '{key}' in '{name}'", _did_you_mean(key, schema), item)
        if item.data is not None:
            try:
                result[key] = schema[key](item, key, context)
            except FieldError as error:
                raise FieldError(error.message, error.hint, error.value or item) from None
    return result


def _did_you_mean(key: str, known) -> str:
    """Suggest the closest known key."""
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(known)


def date_precision(value: Value | None) -> str:
    """Return how precise a front matter date is: 'day' (a date or date-time), 'month' (2024-01) or 'year' (2024)."""
    text = value.data.strip() if value is not None and isinstance(value.data, str) else ""
    return {4: "year", 7: "month"}.get(len(text), "day") if PARTIAL_DATE.match(text) else "day"


Reader = Callable[[Value, str, Context], object]

# Each schema: key -> (reader, required).
BRIEFING: dict[str, tuple[Reader, bool]] = {
    "title": (read_text, True), "date": (read_date, True), "summary": (read_text, False),
    "issues": (read_issue_list, False), "source": (read_source, False), "quotes": (read_quotes, False),
    "seed": (read_text, False), "draft": (read_bool, False), "countries": (read_country_list, False),
    "label": (read_text, False),
    "organisations": (read_organisation_list, False), "people": (read_name_list, False), "lang": (read_lang, False),
}
PACK: dict[str, tuple[Reader, bool]] = {
    "title": (read_text, True), "date": (read_date, True), "summary": (read_text, False),
    "briefings": (read_briefing_list, False), "issues": (read_issue_list, False),
    "since": (read_date, False), "until": (read_date, False),
}
ISSUE: dict[str, tuple[Reader, bool]] = {
    "title": (read_text, True), "summary": (read_text, False), "keywords": (read_text_list, False),
    "status": (read_text, False), "asks": (read_text_list, False), "lang": (read_lang, False),
}


def read_fields(document: Document, schema: dict[str, tuple[Reader, bool]], context: Context) -> tuple[dict, list[ContentError]]:
    """Read every field of `document` by `schema`; return the values and all problems found."""
    values, problems = {}, []
    for key, value in document.meta.items():
        if key not in schema:
            problems.append(ContentError(context.path, value.line, f"unknown key '{key}'", _did_you_mean(key, schema)))
            continue
        try:
            if value.data is not None or schema[key][1]:
                values[key] = schema[key][0](value, key, context)
        except FieldError as error:
            where = error.value or value
            problems.append(ContentError(context.path, where.line, error.message, error.hint,
                                         where.col if error.value else None))
    for key, (_, required) in schema.items():
        if required and key not in document.meta:
            problems.append(ContentError(context.path, document.body_line - 1, f"'{key}' is missing", f"add a line '{key}: ...' to the front matter"))
    return values, problems + context.warnings


# --- the gazetteer: content/organisations.yaml ------------------------------------------------

GAZETTEER = "content/organisations.yaml"
ORGANISATION: dict[str, Reader] = {"name": read_text, "short_names": read_text_list, "url": read_web_url}
GAZETTEER_HINT = "write 'organisations:', then each one as '- name: ...' with optional 'short_names:' and 'url:'"


def parse_gazetteer(text: str, path: str = GAZETTEER) -> tuple[Organisation, ...]:
    """Read the gazetteer's text (LF line ends, no BOM); raise BuildFailed listing every problem in it."""
    try:
        meta, _ = load_mapping(text, 1, path)
    except FrontMatterError as error:
        if error.error.message.startswith("front matter must be a mapping"):  # a bare list, or an empty file
            raise BuildFailed([ContentError(path, error.error.line or 1, "'organisations' is missing", GAZETTEER_HINT)]) from None
        raise BuildFailed([error.error]) from None
    problems = [ContentError(path, value.line, f"unknown key '{key}'", _did_you_mean(key, ("organisations",)), value.col)
                for key, value in meta.items() if key != "organisations"]
    listed = meta.get("organisations")
    if listed is None:
        problems.append(ContentError(path, 1, "'organisations' is missing", GAZETTEER_HINT))
    elif listed.data is not None and not isinstance(listed.data, list):
        problems.append(ContentError(path, listed.line, "'organisations' must be a list", GAZETTEER_HINT, listed.col))
    items = listed.data if listed is not None and isinstance(listed.data, list) else []
    organisations = _read_organisations(items, path, problems)
    problems += _duplicate_names(items, path)
    problems += _shared_pages(items, path)
    if problems:
        raise BuildFailed(problems)
    return tuple(organisation for organisation in organisations if organisation is not None)


def _read_organisations(items: list[Value], path: str, problems: list[ContentError]) -> list[Organisation | None]:
    """Read each entry; a bad one becomes None and a located problem."""
    context = Context(path, None, frozenset(), problems)  # no dates in the gazetteer, so no config
    organisations: list[Organisation | None] = []
    for item in items:
        try:
            organisations.append(_read_organisation(item, context))
        except FieldError as error:
            where = error.value or item
            problems.append(ContentError(path, where.line, error.message, error.hint, where.col))
            organisations.append(None)
    return organisations


def _read_organisation(item: Value, context: Context) -> Organisation:
    """Read one '- name: ...' entry, refusing a missing name and names that cannot start a word."""
    parts = _read_mapping(item, "organisation", ORGANISATION, context)
    name = parts.get("name", "").strip()
    if not name:
        raise FieldError("an organisation has no 'name'", "add 'name: ...' to it", item)
    short_names = tuple(short.strip() for short in parts.get("short_names", ()))
    for written in (name, *short_names):
        if not written[:1].isalnum():
            raise FieldError(f"'{written}' must start with a letter or digit", "write the name as it appears in articles", item)
    return Organisation(name, short_names, parts.get("url", ""))


def _name_values(item: Value) -> list[Value]:
    """The located name and short names of one entry, those written as text."""
    if not isinstance(item.data, dict):
        return []
    shorts = item.data.get("short_names")
    found = [item.data["name"]] if "name" in item.data else []
    found += _list_items(shorts) if shorts is not None and shorts.data is not None else []
    return [value for value in found if isinstance(value.data, str) and value.data.strip()]


def _duplicate_names(items: list[Value], path: str) -> list[ContentError]:
    """Locate every name or short name used before (in any case): each must lead to one organisation."""
    seen: dict[str, tuple[str, Value]] = {}
    problems = []
    for item in items:
        names = _name_values(item)
        owner = names[0].data if names and "name" in item.data else "an organisation without a name"
        for value in names:
            key = " ".join(value.data.split()).casefold()
            if key in seen:
                first_owner, first = seen[key]
                problems.append(ContentError(path, value.line, f"'{value.data}' is already a name of '{first_owner}' (line {first.line})",
                                             "each name and short name must lead to one organisation", value.col))
            else:
                seen[key] = (owner, value)
    return problems


def _shared_pages(items: list[Value], path: str) -> list[ContentError]:
    """Locate every name whose page address another organisation has already ('A & B' and 'A-B' both give a-b).

    An error rather than a suffix: the gazetteer is the one place to fix it, and a page address that
    depended on which name came first would change under readers' bookmarks.
    """
    seen: dict[str, Value] = {}
    problems = []
    for value in (item.data["name"] for item in items if isinstance(item.data, dict) and "name" in item.data):
        if not isinstance(value.data, str) or not value.data.strip():
            continue
        slug = page_slug(value.data.strip())
        first = seen.setdefault(slug, value)
        same_name = " ".join(first.data.split()).casefold() == " ".join(value.data.split()).casefold()
        if first is not value and not same_name:  # the same name twice is reported by _duplicate_names
            problems.append(ContentError(path, value.line, f"'{value.data}' and '{first.data}' (line {first.line}) "
                                         f"would share the page {entity_path('organisation', slug)}",
                                         "make the names differ in more than case, accents or punctuation", value.col))
    return problems
