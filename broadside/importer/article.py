"""Takes nothing: gives the record every kind of input (text seed, saved page, link, pasted text) hands to the writer."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import BuildFailed, ContentError
from ..model import Source

PRECISIONS = {10: "day", 7: "month", 4: "year"}  # length of the ISO date -> how precise it is


@dataclass(frozen=True)
class LeftOut:
    """A line of the input kept out of the briefing's body, and why (shown in the import report)."""

    line: int | None  # 1-based line of the input; None when the input has no lines (a page's element)
    text: str
    reason: str  # e.g. "label", "menu", "share line", "photo credit", "related articles"


@dataclass(frozen=True)
class Article:
    """One article as any kind of input reads it; the writer turns it into a briefing and the report.

    A reader fills `date` ("YYYY-MM-DD", "YYYY-MM" or "YYYY", exactly as precise as the input says;
    "" when none was found, which the writer refuses), `title`, and `paragraphs` (plain text, one per
    paragraph: entity extraction, issue keywords and the summary read them). `markdown` is the body
    when the input has structure plain paragraphs would lose (headings, lists, links); it must already
    be safe Markdown, and "" means the paragraphs, escaped, are the body. The `*_origin` fields say where
    each guess came from, in words a person can check ("line 1", "page metadata", "made from the first
    sentence", "dateline"); `left_out` lists every input line not in the body, with its reason, and `lines`
    counts the input's non-blank lines, so the report can say what share was left out.
    """

    date: str
    title: str
    paragraphs: tuple[str, ...]
    byline: Source | None = None  # parts the input does not give are ''; url is the canonical address
    label: str = ""  # a kicker such as "Exclusive" or "Press release", for the front matter key `label`
    label_origin: str = ""
    markdown: str = ""
    summary: str = ""  # '' means the first paragraph
    title_origin: str = ""
    date_origin: str = ""
    byline_origin: str = ""
    title_made_up: bool = False  # made from the first sentence: the report marks it
    left_out: tuple[LeftOut, ...] = ()
    lines: int = 0

    @property
    def precision(self) -> str:
        """Return how precise the date is: 'day', 'month' or 'year' ('' without a date)."""
        return PRECISIONS.get(len(self.date), "")


@dataclass(frozen=True)
class Report:
    """One article's block of the import report; every kind of input fills the same fields."""

    seed: str  # the input as the person named it
    briefing: str  # the briefing written
    title: str
    title_origin: str  # "line 3", "page metadata", "made from the first sentence", "--title"
    label: str
    label_origin: str
    date: str
    date_precision: str  # "day", "month", "year"
    date_origin: str
    author: str
    role: str
    publication: str
    url: str
    byline_origin: str
    paragraphs: int
    quotes: tuple[dict[str, str], ...]  # text and speaker
    countries: tuple[str, ...]
    organisations: tuple[str, ...]
    people: tuple[str, ...]
    issues: tuple[str, ...]
    lines: int  # non-blank lines (or elements) of the input
    left_out: tuple[LeftOut, ...]
    checks: tuple[str, ...]  # the guesses that are likely wrong, in words


@dataclass(frozen=True)
class Reading:
    """One input read into an Article: what the briefing records as its `seed`, and warnings about the reading."""

    article: Article
    seed_name: str  # a file name in seeds/
    warnings: tuple[ContentError, ...] = ()


@dataclass(frozen=True)
class ImportResult:
    """One seed turned into one briefing."""

    seed_path: str
    source_path: str
    warnings: tuple[ContentError, ...]
    report: Report | None = None  # None when only entities were refreshed
    lang: str = ""  # the language the briefing was given
    how: str = ""  # how it was chosen: "given with --lang", "guessed, 97% sure", ...


class SeedError(Exception):
    """A seed cannot be imported; carries every located problem found in it."""

    def __init__(self, *errors: ContentError):
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = errors


class ImportFailed(BuildFailed):
    """Some seeds failed; `results` still lists the briefings that were written."""

    def __init__(self, errors: list[ContentError], results: list[ImportResult]):
        super().__init__(errors)
        self.results = tuple(results)


class ImporterBug(RuntimeError):
    """The importer wrote something that does not read back as written: our bug, never the seed's."""
