"""Takes a seed's text (' date YYYY-MM-DD Headline', paragraphs, byline), gives the Article record."""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from ..errors import ContentError
from ..model import Source
from ..reader import CONTROL
from .article import Article, SeedError
from .decode import normalise_text

FIRST_LINE = "the first line must be ' date YYYY-MM-DD Headline'"


@dataclass(frozen=True)
class Header:
    """What the first line of a seed says."""

    date: datetime.date
    title: str


def parse_seed(text: str, path: str) -> Article:
    """Return the article in a seed's decoded text; raise SeedError with every problem found."""
    lines = normalise_text(text).split("\n")
    first = next((index for index, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise SeedError(ContentError(path, 1, "the seed is empty", "a seed starts with ' date YYYY-MM-DD Headline'"))
    errors = list(find_controls(lines, path))
    try:
        header = parse_header(lines[first], first + 1, path)
    except SeedError as error:
        errors.extend(error.errors)
    if errors:
        raise SeedError(*errors)
    paragraphs, byline = split_byline(split_blocks(lines[first + 1:]))
    if not paragraphs:
        raise SeedError(ContentError(path, first + 1, "the seed has no article text after the headline",
                                     "add the article's paragraphs below the first line"))
    origin = f"line {first + 1}"
    return Article(header.date.isoformat(), header.title, paragraphs, byline, title_origin=origin,
                   date_origin=origin, byline_origin="last line" if byline else "",
                   lines=sum(1 for line in lines if line.strip()))


def find_controls(lines: list[str], path: str) -> list[ContentError]:
    """Locate the first control character of each line (at most 10 reported)."""
    errors = []
    for number, line in enumerate(lines, start=1):
        found = CONTROL.search(line)
        if found and len(errors) < 10:
            errors.append(ContentError(
                path, number, f"control character U+{ord(found.group()):04X} is not allowed",
                "delete it: it is invisible and usually comes from a copy-paste or a wrong --encoding",
                found.start() + 1))
    return errors


_HEADER = re.compile(r"\s*date(?:\s*:\s*|\s+)(?P<rest>.*)", re.IGNORECASE)
_DATES = (
    re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"),
    re.compile(r"(?P<year>\d{4})/(?P<month>\d{1,2})/(?P<day>\d{1,2})"),
    re.compile(r"(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+)\.?,?\s+(?P<year>\d{4})"),
    re.compile(r"(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"),
)
_MONTHS = {name: number for number, full in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"), start=1) for name in (full, full[:3])}
_MONTHS["sept"] = 9


def parse_header(line: str, number: int, path: str) -> Header:
    """Read ' date <date> <headline>' (dates as YYYY-MM-DD, YYYY/MM/DD or 28 June 2021)."""
    header = _HEADER.fullmatch(line)
    found = header and next(filter(None, (pattern.match(header["rest"]) for pattern in _DATES)), None)
    if not found:
        raise SeedError(ContentError(path, number, FIRST_LINE, f"it reads '{shorten(line.strip(), 60)}'; "
                                     "dates may also be YYYY/MM/DD or 28 June 2021"))
    after = header["rest"][found.end():]
    if after and not after[0].isspace():
        written = found.group() + after.split()[0]
        raise SeedError(ContentError(path, number, FIRST_LINE, f"the date '{written}' is not one"))
    col = header.start("rest") + 1
    date = make_date(found, path, number, col)
    if not after.strip():
        raise SeedError(ContentError(path, number, "the headline is missing after the date",
                                     "write the headline on the first line, after the date", col))
    return Header(date, after.strip())


def make_date(found: re.Match[str], path: str, number: int, col: int) -> datetime.date:
    """Build the date a pattern matched, refusing impossible ones (never rolled over to the next month)."""
    month = found["month"]
    month_number = int(month) if month.isdigit() else _MONTHS.get(month.lower(), 0)
    try:
        return datetime.date(int(found["year"]), month_number, int(found["day"]))
    except ValueError:
        hint = "no such day" if month_number else "write the month in English, e.g. 28 June 2021"
        raise SeedError(ContentError(path, number, f"invalid date '{found.group()}'", hint, col)) from None


def shorten(text: str, limit: int) -> str:
    """Return `text` cut to `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def split_blocks(lines: list[str]) -> list[tuple[str, ...]]:
    """Group stripped non-blank lines into blocks separated by blank lines."""
    blocks: list[tuple[str, ...]] = []
    current: list[str] = []
    for line in lines + [""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            blocks.append(tuple(current))
            current = []
    return blocks


def split_byline(blocks: list[tuple[str, ...]]) -> tuple[tuple[str, ...], Source | None]:
    """Return the body paragraphs (wrapped lines joined) and the byline, if the last block is one."""
    paragraphs = tuple(" ".join(block) for block in blocks)
    # A lone paragraph stays body text: a seed is never all byline.
    if len(blocks) > 1 and len(blocks[-1]) == 1 and looks_like_byline(blocks[-1][0]):
        return paragraphs[:-1], parse_byline(blocks[-1][0])
    return paragraphs, None


_QUOTES = frozenset('"“”„‟«»‘')  # not ' and ’: they are apostrophes in names like O’Brien
_SENTENCE_END = tuple(".!?:;")
_ABBREVIATIONS = frozenset(("inc.", "ltd.", "co.", "corp.", "jr.", "sr.", "bros.", "plc.", "pty.", "llc.", "esq."))
_INITIALS = re.compile(r"(?:[A-Za-z]\.){2,}")
_PARTICLES = frozenset(("de", "da", "das", "do", "dos", "di", "del", "della", "der", "den", "du", "la", "le",
                        "van", "von", "ter", "ten", "zu", "bin", "binti", "ibn", "al", "el", "y"))
_NAME_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’.\-])*")


def looks_like_byline(line: str) -> bool:
    """Tell whether a last paragraph reads like 'Name, Role, Publication' rather than article text."""
    if len(line) > 160 or _QUOTES.intersection(line):
        return False
    if line.endswith(_SENTENCE_END) and not is_abbreviation(line.split()[-1]):
        return False
    parts = byline_parts(line)
    return bool(parts) and looks_like_name(parts[0])


def is_abbreviation(word: str) -> bool:
    """Tell whether a final word ending in '.' is an abbreviation (U.S., Inc.), not a sentence end."""
    return word.lower() in _ABBREVIATIONS or bool(_INITIALS.fullmatch(word))


def looks_like_name(text: str) -> bool:
    """Tell whether `text` is 1-6 capitalised words, allowing particles such as 'de' and 'al-'."""
    words = remove_by(text).split()
    if not 1 <= len(words) <= 6 or not all(_NAME_WORD.fullmatch(word) for word in words):
        return False
    capitalised = [word for word in words if word[0].isupper()]
    return bool(capitalised) and all(word[0].isupper() or is_particle(word) for word in words)


def is_particle(word: str) -> bool:
    """Tell whether a lower-case name word is a particle ('van', 'bin', 'al-Hassan')."""
    head, _, tail = word.partition("-")
    return head in _PARTICLES and (not tail or tail[0].isupper())


def remove_by(text: str) -> str:
    """Drop a leading 'By ' from an author: it is part of the byline's wording, not the name."""
    return re.sub(r"^by\s+", "", text, flags=re.IGNORECASE)


def byline_parts(line: str) -> list[str]:
    """Split a byline at commas, ignoring empty parts left by stray commas."""
    return [part.strip() for part in line.split(",") if part.strip()]


def parse_byline(line: str) -> Source:
    """Read 'Name', 'Name, Publication' or 'Name, Role[, more role], Publication'."""
    parts = byline_parts(line)
    author = remove_by(parts[0])
    if len(parts) == 1:
        return Source(author=author)
    if len(parts) == 2:
        return Source(author=author, publication=parts[1])
    return Source(author=author, role=", ".join(parts[1:-1]), publication=parts[-1])
