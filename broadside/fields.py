"""Takes located front matter Values and gives typed briefing and issue fields, or a located problem per bad field."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from .errors import ContentError
from .meta import Document, Value
from .model import Config, Quote, Source

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?$")
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
        raise FieldError(f"'{name}' must be true or false, got '{value.data}'", f"write {name}: true")
    return text.lower() == "true"


def read_date(value: Value, name: str, context: Context) -> datetime:
    """A date or date-time, made timezone-aware in the site's timezone."""
    text = read_text(value, name, context).strip()
    hint = "use YYYY-MM-DD[THH:MM±HH:MM]"
    if not DATE.match(text):
        raise FieldError(f"invalid date '{text}'", hint)
    try:
        moment = datetime.fromisoformat(text)
        zone = ZoneInfo(context.config.timezone)
        return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    except (ValueError, OverflowError):
        raise FieldError(f"invalid date '{text}'", hint) from None


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


Reader = Callable[[Value, str, Context], object]

# Each schema: key -> (reader, required).
BRIEFING: dict[str, tuple[Reader, bool]] = {
    "title": (read_text, True), "date": (read_date, True), "summary": (read_text, False),
    "issues": (read_issue_list, False), "source": (read_source, False), "quotes": (read_quotes, False),
    "seed": (read_text, False), "draft": (read_bool, False),
}
ISSUE: dict[str, tuple[Reader, bool]] = {
    "title": (read_text, True), "summary": (read_text, False), "keywords": (read_text_list, False),
    "status": (read_text, False), "asks": (read_text_list, False),
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
