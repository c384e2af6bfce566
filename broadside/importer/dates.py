"""Takes a date as people write it (2021-06-28, 28 June 2021, 5 de junho de 2009, 2024-01, 2024), gives it as ISO text."""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

_MONTH_NAMES = (
    # English, French, Portuguese, Dutch: the languages campaigners' sources come in most.
    ("january", "janvier", "janeiro", "januari"), ("february", "février", "fevrier", "fevereiro", "februari"),
    ("march", "mars", "março", "marco", "maart"), ("april", "avril", "abril"), ("may", "mai", "maio", "mei"),
    ("june", "juin", "junho", "juni"), ("july", "juillet", "julho", "juli"), ("august", "août", "aout", "agosto",
                                                                            "augustus"),
    ("september", "septembre", "setembro"), ("october", "octobre", "outubro", "oktober"),
    ("november", "novembre", "novembro"), ("december", "décembre", "decembre", "dezembro"),
)
MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names}
MONTHS.update({names[0][:3]: number for number, names in enumerate(_MONTH_NAMES, start=1)})
MONTHS.update({"sept": 9, "okt": 10, "mrt": 3})
ENGLISH = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")

_MONTH = r"(?P<month>[^\W\d_]{3,10})\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th|er|º|ª)?"
_YEAR = r"(?P<year>(?:1[89]|20)\d\d)"
# Most precise first: a day, then a month, then a year alone.
PATTERNS = (
    re.compile(rf"{_YEAR}-(?P<month>\d{{1,2}})-{_DAY}"),
    re.compile(rf"{_YEAR}/(?P<month>\d{{1,2}})/{_DAY}"),
    re.compile(rf"{_DAY}\.(?P<month>\d{{1,2}})\.{_YEAR}"),  # 12.05.2013: day first wherever dots are used
    re.compile(rf"{_DAY}\s+(?:de\s+)?{_MONTH},?\s+(?:de\s+)?{_YEAR}", re.IGNORECASE),
    re.compile(rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}", re.IGNORECASE),
    re.compile(rf"{_YEAR}-(?P<month>\d{{1,2}})(?![\d/-])"),
    re.compile(rf"{_MONTH}\s+(?:de\s+)?{_YEAR}", re.IGNORECASE),
    re.compile(rf"{_YEAR}(?![\d/.-])"),
)


@dataclass(frozen=True)
class FoundDate:
    """A date found in text: ISO text as precise as written ('2021-06-28', '2021-06', '2021') and where it stood."""

    iso: str
    start: int
    end: int


class BadDate(ValueError):
    """A date was written but names no real day or month; the message says why."""


def match_date(text: str, anchored: bool = True, strict: bool = False) -> FoundDate | None:
    """Return the first date at the start of `text` (anywhere with anchored=False); raise BadDate for impossible ones.

    With `strict`, a word where the month should be that is no month is an error too (the seed's first line).
    """
    for pattern in PATTERNS:
        found = pattern.match(text) if anchored else pattern.search(text)
        if found and (anchored or word_bounded(text, found)):
            iso = iso_date(found, strict)
            if iso is not None:
                return FoundDate(iso, found.start(), found.end())
    return None


def word_bounded(text: str, found: re.Match[str]) -> bool:
    """Tell whether a match stands alone, not inside a longer word or number."""
    before = text[found.start() - 1] if found.start() else " "
    after = text[found.end()] if found.end() < len(text) else " "
    first, last = found.group()[0], found.group()[-1]
    # '2008Publicidade' (a label pasted onto the date) is still a date; '12024' or 'Mayday' are not.
    return not (before.isalpha() and first.isalpha() or before.isdigit() and first.isdigit()
                or after.isalpha() and last.isalpha() or after.isdigit() and last.isdigit())


def iso_date(found: re.Match[str], strict: bool = False) -> str | None:
    """Return the ISO text of a matched date; None when a word in the month slot is not a month."""
    groups = found.groupdict()
    year, month, day = int(groups["year"]), groups.get("month"), groups.get("day")
    if month is None:
        return f"{year:04d}"
    number = int(month) if month.isdigit() else MONTHS.get(month.lower())
    if number is None and strict and day is not None:
        raise BadDate(f"invalid date '{found.group()}'",
                      "write the month in English, French, Portuguese or Dutch, e.g. 28 June 2021")
    if number is None:
        return None
    if not 1 <= number <= 12:
        raise BadDate(f"invalid date '{found.group()}'", "no such day" if day else "no such month")
    if day is None:
        return f"{year:04d}-{number:02d}"
    try:
        return datetime.date(year, number, int(day)).isoformat()
    except ValueError:
        raise BadDate(f"invalid date '{found.group()}'", "no such day") from None


def check_date(text: str) -> str:
    """Return `text` as an ISO date (YYYY-MM-DD, YYYY-MM or YYYY) or raise BadDate saying what is wrong."""
    found = match_date(text.strip())
    if found is None or found.end != len(text.strip()):
        raise BadDate(f"'{text}' is not a date", "write YYYY-MM-DD, YYYY-MM or YYYY")
    return found.iso


def shown_date(iso: str) -> str:
    """Return an ISO date as a person reads it: '28 June 2021', 'June 2021' or '2021'."""
    parts = [int(part) for part in iso.split("-")]
    if len(parts) == 3:
        return f"{parts[2]} {ENGLISH[parts[1] - 1]} {parts[0]}"
    if len(parts) == 2:
        return f"{ENGLISH[parts[1] - 1]} {parts[0]}"
    return str(parts[0])
