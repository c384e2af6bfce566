"""Takes nothing: gives the frozen dataclasses a site is made of (Config, Site, Issue, Briefing); no I/O."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime

from .errors import ContentError


@dataclass(frozen=True)
class Config:
    """The validated contents of site.toml."""

    title: str
    description: str
    language: str = "en"
    base_url: str = "https://example.org/"
    timezone: str = "UTC"
    theme: str = "default"
    page_size: int = 10
    sanitize_html: bool = True
    cname: str = ""  # a custom domain for GitHub Pages, written to CNAME
    feed_content: str = "full"  # "full" or "summary": what feed entries carry


@dataclass(frozen=True)
class Source:
    """Where a briefing's article came from; any part may be empty."""

    publication: str = ""
    author: str = ""
    role: str = ""
    url: str = ""


@dataclass(frozen=True)
class Quote:
    """A direct quotation in a briefing, and who said it (if known)."""

    text: str
    speaker: str = ""
    role: str = ""


@dataclass(frozen=True)
class Organisation:
    """A body campaigners follow, from content/organisations.yaml: its name, the short names it goes by, its site."""

    name: str
    short_names: tuple[str, ...] = ()
    url: str = ""


@dataclass(frozen=True)
class Link:
    """A link written in a body: as written, the output path it reaches ('' if external), its #fragment."""

    written: str
    target: str
    fragment: str
    line: int = 0


@dataclass(frozen=True)
class Body:
    """A content file's Markdown rendered to safe HTML, with the ids and links link-checking needs."""

    html: str = ""
    ids: frozenset[str] = frozenset()
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Briefing:
    """One source article turned into a page."""

    slug: str
    source_path: str
    title: str
    date: datetime
    body: Body
    summary: str = ""
    issues: tuple[str, ...] = ()
    source: Source = field(default_factory=Source)
    quotes: tuple[Quote, ...] = ()
    seed: str = ""
    draft: bool = False
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2 codes
    organisations: tuple[str, ...] = ()  # names from content/organisations.yaml
    people: tuple[str, ...] = ()  # everyone quoted, each under one name
    digest: str = field(default="", compare=False)  # changes whenever the page's body or fields may change

    @property
    def output_path(self) -> str:
        """Where the briefing's page lands in the output folder."""
        return f"briefings/{self.slug}/index.html"

    @property
    def body_html(self) -> str:
        """The rendered body, for templates."""
        return self.body.html


@dataclass(frozen=True)
class Issue:
    """A cause the campaign works on; briefings name it by slug."""

    slug: str
    source_path: str
    title: str
    body: Body
    summary: str = ""
    keywords: tuple[str, ...] = ()
    status: str = ""
    asks: tuple[str, ...] = ()
    digest: str = field(default="", compare=False)  # changes whenever the page's body or fields may change

    @property
    def output_path(self) -> str:
        """Where the issue's page lands in the output folder."""
        return f"issues/{self.slug}/index.html"

    @property
    def body_html(self) -> str:
        """The rendered body, for templates."""
        return self.body.html


@dataclass(frozen=True)
class Site:
    """Everything a build renders: config, issues, briefings (newest first), and the warnings found."""

    config: Config
    issues: tuple[Issue, ...]
    briefings: tuple[Briefing, ...]
    warnings: tuple[ContentError, ...] = ()
    held_back: tuple[str, ...] = ()  # "content/briefings/x.md (draft)" lines, for the build summary
    today: date | None = None

    def is_scheduled(self, briefing: Briefing) -> bool:
        """True for a briefing dated after today: only previews (--future) show it, marked as such."""
        return self.today is not None and briefing.date.date() > self.today

    def briefings_of(self, slug: str) -> tuple[Briefing, ...]:
        """Return the briefings that belong to issue `slug`, newest first."""
        return self._by_issue.get(slug, ())

    @functools.cached_property
    def _by_issue(self) -> dict[str, tuple[Briefing, ...]]:
        """Each issue's briefings, newest first, gathered in one pass (pages ask for them often)."""
        gathered: dict[str, list[Briefing]] = {}
        for briefing in self.briefings:
            for slug in briefing.issues:
                gathered.setdefault(slug, []).append(briefing)
        return {slug: tuple(items) for slug, items in gathered.items()}

    def issue(self, slug: str) -> Issue:
        """Return the issue called `slug`."""
        return self._issue_by_slug[slug]

    def issues_of(self, briefing: Briefing) -> tuple[Issue, ...]:
        """The issues a briefing belongs to, in site order (by title)."""
        return tuple(self._issue_by_slug[slug] for slug in sorted(briefing.issues, key=self._issue_rank.__getitem__))

    @functools.cached_property
    def _issue_by_slug(self) -> dict[str, Issue]:
        """Issues by slug, built once."""
        return {issue.slug: issue for issue in self.issues}

    @functools.cached_property
    def _issue_rank(self) -> dict[str, int]:
        """Each issue slug's place in site order."""
        return {issue.slug: rank for rank, issue in enumerate(self.issues)}
