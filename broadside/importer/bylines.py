"""Takes a line of an article, gives the byline or dateline it is, if it is one: author, role, publication, agency."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Source

_QUOTES = frozenset('"“”„‟«»‘')  # not ' and ’: they are apostrophes in names like O’Brien
_SENTENCE_END = tuple(".!?:;")
_ABBREVIATIONS = frozenset(("inc.", "ltd.", "co.", "corp.", "jr.", "sr.", "bros.", "plc.", "pty.", "llc.", "esq."))
_INITIALS = re.compile(r"(?:[A-Za-z]\.){2,}")
_PARTICLES = frozenset(("de", "da", "das", "do", "dos", "di", "del", "della", "der", "den", "du", "la", "le",
                        "van", "von", "ter", "ten", "zu", "bin", "binti", "ibn", "al", "el", "y"))
_JOINERS = frozenset(("of", "the", "and", "for", "&", "on", "in"))
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
    """Tell whether `text` is 1-6 capitalised words (particles such as 'de' and 'al-' allowed), or an office's
    name joined by 'of', 'the', 'and', '&' ('Office of the Spokesperson')."""
    words = remove_by(text).split()
    if not 1 <= len(words) <= 8 or not all(_NAME_WORD.fullmatch(word) or word == "&" for word in words):
        return False
    if not words[0][0].isupper() or not all(word[0].isupper() or is_particle(word) or word in _JOINERS
                                            for word in words):
        return False
    named = [word for word in words if word not in _JOINERS]
    return len(named) <= 6 and words[-1] not in _JOINERS


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

_BY = re.compile(r"(?:(?:written|reported|compiled|posted) )?by\s+(?P<rest>.+)", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s+(?:[|/–—-]|I)\s+")  # 'by Jane Roe | VOA'; a pipe is often pasted as 'I'


def top_byline(line: str) -> Source | None:
    """Read a 'By NAME' line ('BY NAME', 'By NAME, Role, Publication', 'by NAME | Publication'); None if it is not one."""
    found = _BY.fullmatch(line.strip())
    if not found or len(line) > 160 or _QUOTES.intersection(line):
        return None
    if line.rstrip().endswith((".", "!", "?")) and not is_abbreviation(line.split()[-1]):
        return None
    rest = _SEPARATORS.sub(", ", found["rest"])
    parts = byline_parts(rest)
    if not parts or len(parts) > 4 or not looks_like_name(parts[0]):
        return None
    return parse_byline(rest)


@dataclass(frozen=True)
class Dateline:
    """The place (and agency) that opens an agency story: 'BANGUI, June 6 (Reuters) -'."""

    text: str  # as written, separator included
    agency: str  # '' when the dateline names none


_DATELINE = re.compile(r"""
    (?: (?P<place>[A-ZÀ-Þ][A-ZÀ-Þ'’.-]+(?:\ [A-ZÀ-Þ][A-ZÀ-Þ'’.-]+){0,3})      # BANGUI, PORT LOUIS
        (?:,\ [A-Z][a-zé]+\.?(?:\ \d{1,2})?)?                              # , June 6  /  , Zimbabwe
      | \((?P<inner>[A-Z][\w'’.-]+(?:\ [A-Z][\w'’.-]+){0,3})\) )            # (Johannesburg)
    \s*(?:\((?P<agency>[A-Z][\w&'’.-]*(?:\ [A-Z][\w&'’.-]*){0,3})\))?       # (Reuters)
    \s*(?:[-–—]+|:)(?:\s+|$)
""", re.VERBOSE)


def find_dateline(paragraph: str) -> Dateline | None:
    """Return the dateline opening a paragraph, or None; a place must be in capitals or in parentheses."""
    found = _DATELINE.match(paragraph)
    if not found or (found["place"] and len(found["place"].replace(" ", "")) < 3):
        return None
    return Dateline(found.group(), found["agency"] or "")


_CREDIT = re.compile(r"(?P<title>.+?)\s+[–—-]\s+by\s+(?P<author>[^()]+?)\s*\((?P<publication>[^()–—]+?)"
                     r"\s*[–—-]\s*(?P<date>[^()]+)\)", re.IGNORECASE)


@dataclass(frozen=True)
class Credited:
    """A headline that credits its source, as aggregators write them: 'Title – by NAME (Publication – date)'."""

    title: str
    source: Source
    date: str  # as written


def split_credit(headline: str) -> Credited | None:
    """Return the title, author, publication and date of a credited headline, or None if it credits nobody."""
    found = _CREDIT.fullmatch(headline.strip())
    if not found or not looks_like_name(found["author"]):
        return None
    source = Source(author=found["author"].strip(), publication=found["publication"].strip())
    return Credited(found["title"].strip(), source, found["date"].strip())

