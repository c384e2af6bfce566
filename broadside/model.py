"""Takes nothing: gives the frozen dataclasses a site is made of (Config, Site, Issue, Briefing, Entity); no I/O."""
from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import operator
import pickle
import unicodedata
import zlib
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Callable, Iterable, NamedTuple, Sequence

from markupsafe import Markup
from slugify import slugify

from . import names
from .errors import ContentError, DamagedCache

# Where each kind of entity's pages live in the output folder.
FOLDERS = {"person": "people", "country": "countries", "organisation": "organisations"}
# Names Windows cannot give a file or folder, whatever the extension.
WINDOWS_NAMES = frozenset({"con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10)), *(f"lpt{n}" for n in range(1, 10))})
# Left out of a person's name, so "Dr Jane Doe" and "Jane Doe" are one person.
HONORIFICS = frozenset({"mr", "mrs", "ms", "mx", "dr", "prof", "sir", "dame", "rev", "hon"})


DEFAULT_BASE_URL = "https://example.org/"  # a placeholder: a site that keeps it has no public address yet
MICROSECOND = timedelta(microseconds=1)
NONE_IN_BOTH: tuple[tuple[str, ...], dict[str, int]] = ((), {})


@dataclass(frozen=True)
class Picture:
    """An image of the brand (logo or favicon) as it goes into the output: where, what kind, its size and bytes."""

    output_path: str
    media_type: str
    width: int
    height: int
    source_path: str
    digest: str  # of `data`: what equality and fingerprints go by
    data: bytes = field(default=b"", repr=False, compare=False)

    @property
    def is_vector(self) -> bool:
        """True for an SVG."""
        return self.media_type == "image/svg+xml"


@dataclass(frozen=True)
class Icon:
    """One favicon file the pages name in their <head>."""

    rel: str
    output_path: str
    media_type: str
    size: int = 0  # pixels a side; 0 for an SVG

    @property
    def sizes(self) -> str:
        """The `sizes` attribute: "32x32", or "any" for an SVG."""
        return f"{self.size}x{self.size}" if self.size else "any"


@dataclass(frozen=True)
class Shades:
    """An accent colour and the shades made from it, for one colour scheme (#rrggbb each)."""

    accent: str
    hover: str
    soft: str


@dataclass(frozen=True)
class BrandLink:
    """A link in the footer: the text shown (its accessible name) and where it goes."""

    label: str
    url: str

    @property
    def is_web(self) -> bool:
        """True for an http(s) address (it gets rel="me", which Mastodon uses to verify a profile)."""
        return self.url.startswith(("https://", "http://"))


@dataclass(frozen=True)
class Brand:
    """The validated [brand] table of site.toml."""

    logo: Picture | None = None
    logo_alt: str = ""
    show_title: bool = True
    favicon: Picture | None = None  # what the favicons are made from: the favicon given, else the logo
    icons: tuple[Icon, ...] = ()
    light: Shades | None = None
    dark: Shades | None = None
    footer: Markup = Markup("")
    links: tuple[BrandLink, ...] = ()

    @property
    def share_image(self) -> Picture | Icon | None:
        """The Open Graph fallback image: the logo when it is a bitmap, else the largest PNG favicon, if any."""
        if self.logo and not self.logo.is_vector:
            return self.logo
        return max((icon for icon in self.icons if icon.size), key=lambda icon: icon.size, default=None)

    @property
    def stylesheet(self) -> str | None:
        """The output path of the colours' stylesheet, when the brand sets colours."""
        return BRAND_STYLESHEET if self.light else None


BRAND_STYLESHEET = "static/brand/colours.css"


@dataclass(frozen=True)
class Language:
    """A language the site publishes in: its BCP 47 tag, its site title and description, its folder ('' for the default)."""

    code: str
    title: str
    description: str
    segment: str = ""

    @property
    def root(self) -> str:
        """Where its pages live in the output folder: '' for the default language, else 'fr/' and the like."""
        return f"{self.segment}/" if self.segment else ""


@dataclass(frozen=True)
class Config:
    """The validated contents of site.toml."""

    title: str
    description: str
    language: str = "en"
    base_url: str = DEFAULT_BASE_URL
    timezone: str = "UTC"
    theme: str = "default"
    page_size: int = 10
    sanitize_html: bool = True
    cname: str = ""  # a custom domain for GitHub Pages, written to CNAME
    feed_content: str = "full"  # "full" or "summary": what feed entries carry
    pack_paper: str = "a4"  # "a4" or "letter": the paper size of briefing packs and briefing PDFs
    briefing_pdfs: bool = False  # a PDF of every briefing beside its page
    brand: Brand = Brand()  # [brand]: logo, favicon, colours, footer, links
    languages: tuple[Language, ...] = ()  # the languages besides the default one (`language`), from [languages.<tag>]


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


class Link(NamedTuple):
    """A link written in a body: as written, the output path it reaches ('' if external), its #fragment.

    A named tuple rather than a dataclass: a build unpickles the links it checks one by one (link_checks) from the
    cache, and these load about twice as fast."""

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
    opening: str = ""  # for search, found when the file is read: the first words of the text, after the summary
    words: str = ""  # and every distinct folded word worth indexing, space-separated
    summary_first: bool = False  # its first paragraph says what the summary says (imported briefings): shown once

    @property
    def link_checks(self) -> tuple[frozenset[str], tuple[Link, ...]]:
        """What checking its links needs (see link_checks)."""
        return link_checks(self.links)


def link_checks(links: tuple[Link, ...]) -> tuple[frozenset[str], tuple[Link, ...]]:
    """Links as the link check sees them: the pages the plain ones reach (each need only be a page of the site), and
    every other link that may be broken (written from the root, with a #fragment, or to a .md file that resolved to
    nothing), to be checked one by one. Kept with each packed body (a plain tuple, the quickest to unpickle), so that
    a build checks the links of a large site with a set comparison a body rather than a test a link."""
    pages, doubtful = set(), []
    for link in links:
        if link.written.startswith("/") or (link.target and (link.fragment or link.target.endswith(".md"))):
            doubtful.append(link)
        elif link.target:
            pages.add(link.target)
    return frozenset(pages), tuple(doubtful)


class PackedBody(Body):
    """A body with its text (HTML, opening, words) and links kept compressed, and its ids and what checking its links
    needs at hand (links are checked on every build). The text is unpacked each time it is asked for, which a build
    does for the few pages, feed entries and search entries it makes (and for a body with a link to a page the site
    lacks): the many briefings of a large site then hold a third of the memory, the cache reads and writes the packed
    text as it is, and reading the cache makes no object for each link of each briefing."""

    link_checks = None  # made when packed, then kept (an attribute of each body, in place of Body's property)

    def __init__(self, ids: frozenset[str], packed: bytes, checks: tuple, summary_first: bool = False):
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "packed", packed)
        object.__setattr__(self, "link_checks", checks)
        object.__setattr__(self, "summary_first", summary_first)

    def __reduce__(self):
        return PackedBody, (self.ids, self.packed, self.link_checks, self.summary_first)

    def reduced_without_text(self) -> tuple:
        """What pickles this body with its packed text left out (the cache keeps the text in a row of its own)."""
        return PackedBody, (self.ids, b"", self.link_checks, self.summary_first)

    html = property(lambda self: self.text()[0])
    opening = property(lambda self: self.text()[1])
    words = property(lambda self: self.text()[2])
    links = property(lambda self: self.text()[3])

    def text(self) -> tuple[str, str, str, tuple[Link, ...]]:
        """The HTML, opening, words and links, unpacked."""
        try:
            return unpack_text(self.packed)
        except zlib.error as error:  # text packed here always unpacks: these bytes came from a damaged cache
            raise DamagedCache(str(error)) from error


@functools.lru_cache(maxsize=4)  # a page, a feed entry or a search entry asks for a body's parts one after another
def unpack_text(packed: bytes) -> tuple[str, str, str, tuple[Link, ...]]:
    """A packed body's HTML, opening, words and links."""
    return pickle.loads(zlib.decompress(packed))


def pack_body(body: Body) -> PackedBody:
    """A body in its packed form (as it is if it is packed already)."""
    if isinstance(body, PackedBody):
        return body
    text = pickle.dumps((body.html, body.opening, body.words, body.links), pickle.HIGHEST_PROTOCOL)
    return PackedBody(body.ids, zlib.compress(text, 1), body.link_checks, body.summary_first)


@dataclass(frozen=True)
class Briefing:
    """One source article turned into a page."""

    slug: str
    source_path: str
    title: str
    date: datetime  # a month or a year given alone stands for its first day
    body: Body
    summary: str = ""
    date_precision: str = "day"  # "day", "month" or "year": how precisely the source dates the article
    label: str = ""  # a kicker such as "Exclusive" or "Press release"
    issues: tuple[str, ...] = ()
    source: Source = field(default_factory=Source)
    quotes: tuple[Quote, ...] = ()
    seed: str = ""
    draft: bool = False
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2 codes
    organisations: tuple[str, ...] = ()  # names from content/organisations.yaml
    people: tuple[str, ...] = ()  # everyone quoted, each under one name
    lang: str = ""  # its language's BCP 47 tag; the site's default language when the file names none
    digest: str = field(default="", compare=False)  # changes whenever the page's body or fields may change
    card: str = field(default="", compare=False)  # changes whenever anything but the body may change

    @property
    def output_path(self) -> str:
        """Where the briefing's page lands in the output folder."""
        return f"briefings/{self.slug}/index.html"

    @property
    def body_html(self) -> Markup:
        """The rendered body, for templates: safe HTML, so autoescape leaves it as it is."""
        return Markup(self.body.html)


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
    lang: str = ""  # its language's BCP 47 tag; the site's default language when the file names none
    digest: str = field(default="", compare=False)  # changes whenever the page's body or fields may change

    @property
    def output_path(self) -> str:
        """Where the issue's page lands in the output folder."""
        return f"issues/{self.slug}/index.html"

    @property
    def body_html(self) -> Markup:
        """The rendered body, for templates: safe HTML, so autoescape leaves it as it is."""
        return Markup(self.body.html)


@dataclass(frozen=True)
class Pack:
    """A briefing pack for delegates: its cover, its foreword and which briefings it holds."""

    slug: str
    source_path: str
    title: str
    date: datetime
    body: Body
    summary: str = ""
    briefings: tuple[str, ...] = ()  # the slugs listed under `briefings:`, in their order
    listed_at: tuple[int, ...] = ()  # the line of each listed slug
    issues: tuple[str, ...] = ()  # `issues:` every briefing of these issues (from `since` to `until`) joins the pack
    since: datetime | None = None
    until: datetime | None = None
    selection_line: int = 1  # where the selection is written (for a selection that holds nothing)
    chosen: tuple[str, ...] = ()  # the briefings it holds, in order: made by the reader from the above
    digest: str = field(default="", compare=False)  # changes whenever the file may give something else

    @property
    def output_path(self) -> str:
        """Where the pack's page lands in the output folder."""
        return f"packs/{self.slug}/index.html"

    @property
    def pdf_path(self) -> str:
        """Where the pack's PDF lands in the output folder."""
        return f"packs/{self.slug}/{self.slug}.pdf"

    @property
    def body_html(self) -> Markup:
        """The foreword, for templates: safe HTML, so autoescape leaves it as it is."""
        return Markup(self.body.html)


@dataclass(frozen=True)
class Said:
    """A quotation where the site shows it: the quote, the briefing it comes from, the page of its speaker ('' if unnamed)."""

    quote: Quote
    briefing: Briefing
    speaker_path: str = ""


@dataclass(frozen=True)
class Entity:
    """A person, country or organisation across the site: its name, its page, the briefings involving it, what it said."""

    kind: str  # "person", "country" or "organisation"
    name: str
    slug: str
    briefings: tuple[Briefing, ...] = ()  # newest first
    quotes: tuple[Said, ...] = ()  # newest first; for a country or organisation, those it gave itself
    aliases: tuple[str, ...] = ()  # a person's other spellings, an organisation's short names, a country's code
    url: str = ""  # an organisation's own site

    @property
    def output_path(self) -> str:
        """Where the entity's page lands in the output folder."""
        return entity_path(self.kind, self.slug)

    @property
    def role(self) -> str:
        """The role given with the newest quotation that gives one ('' if none does)."""
        return next((said.quote.role for said in self.quotes if said.quote.role), "")


def entity_path(kind: str, slug: str) -> str:
    """The output path of the page of a person, country or organisation."""
    return f"{FOLDERS[kind]}/{slug}/index.html"


def page_slug(name: str) -> str:
    """The address of a person's or organisation's page: python-slugify's, never empty, never a name Windows refuses."""
    slug = slugify(name, max_length=80, word_boundary=True)
    if not slug:  # no letter or digit in any script: a digest of the name stands in
        slug = "name-" + hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{slug}-1" if slug in WINDOWS_NAMES else slug


def person_name(written: str) -> str:
    """A speaker's name as a person's page shows it: spacing collapsed, leading honorifics (Mr, Dr, ...) left out."""
    words = written.split()
    while len(words) > 1 and words[0].rstrip(".").casefold() in HONORIFICS:
        words = words[1:]
    return " ".join(words)


def sort_key(name: str) -> tuple[str, str]:
    """Order names as a reader expects: case and accents aside ("Élise" with the E's)."""
    bare = "".join(char for char in unicodedata.normalize("NFD", name) if not unicodedata.combining(char))
    return (bare.casefold(), name)


@dataclass(frozen=True)
class Cast:
    """Everyone and everything the briefings name, gathered in one pass; Site's helpers answer from it."""

    people: tuple[Entity, ...]
    countries: tuple[Entity, ...]
    organisations: tuple[Entity, ...]
    named: dict[tuple[str, str], Entity]  # (kind listed under, name as written) -> its entity
    pages: dict[str, Entity]  # output path -> its entity
    said: dict[str, tuple[Said, ...]]  # briefing slug -> its quotations, speakers resolved


@dataclass(frozen=True)
class Site:
    """Everything a build renders: config, issues, briefings (newest first), and the warnings found."""

    config: Config
    issues: tuple[Issue, ...]
    briefings: tuple[Briefing, ...]
    warnings: tuple[ContentError, ...] = ()
    held_back: tuple[str, ...] = ()  # "content/briefings/x.md (draft)" lines, for the build summary
    today: date | None = None
    gazetteer: tuple[Organisation, ...] = ()  # content/organisations.yaml, when there is one
    packs: tuple[Pack, ...] = ()  # content/packs/, by date (newest first)

    def packs_of(self, issue: str) -> tuple[Pack, ...]:
        """The packs that show issue `issue` (it is named in the pack, or one of its briefings belongs to it)."""
        return tuple(pack for pack in self.packs if issue in self.issues_in(pack))

    def issues_in(self, pack: Pack) -> tuple[str, ...]:
        """The issues a pack shows: those it names, then those of its briefings, in order of first appearance."""
        found = dict.fromkeys(pack.issues)
        for slug in pack.chosen:
            found.update(dict.fromkeys(sorted(self.briefing(slug).issues, key=self._issue_rank.__getitem__)))
        return tuple(found)
    root: str = ""  # where this language's pages live: '' for the default language, else 'fr/' and the like
    editions: tuple[Site, ...] = ()  # the site in each other language (the default language's Site holds them)

    @property
    def all_editions(self) -> tuple[Site, ...]:
        """This site and its editions in other languages, the default language first."""
        return (self, *self.editions)

    def edition(self, root: str) -> Site:
        """The edition whose pages live under `root` ('' for the default language)."""
        return self if root == self.root else next(e for e in self.editions if e.root == root)

    def is_scheduled(self, briefing: Briefing) -> bool:
        """True for a briefing dated after today: only previews (--future) show it, marked as such."""
        return self.today is not None and briefing.date.date() > self.today

    def briefings_of(self, slug: str) -> tuple[Briefing, ...]:
        """Return the briefings that belong to issue `slug`, newest first."""
        return self._by_issue.get(slug, ())

    def slugs_of(self, issue: str) -> frozenset[str]:
        """The slugs of the briefings that belong to issue `issue`."""
        return self._slugs_by_issue.get(issue, frozenset())

    def place_in(self, issue: str, slug: str) -> int:
        """Where briefing `slug` stands in briefings_of(issue), newest first."""
        return self._places[issue][slug]

    def in_both(self, first: str, second: str) -> tuple[tuple[str, ...], dict[str, int]]:
        """The slugs of the briefings that belong to both issues, newest first, and each one's place among them."""
        return self._in_both.get((first, second) if first <= second else (second, first), NONE_IN_BOTH)

    def briefing(self, slug: str) -> Briefing:
        """The briefing called `slug`."""
        return self.briefings[self._index_by_slug[slug]]

    def times(self) -> dict[str, int]:
        """Each briefing's date as whole microseconds after the first briefing's, by slug: related briefings compare
        hundreds of thousands of them, and a dict lookup and a subtraction of ints cost a fifth of datetimes'."""
        return self._times

    def has_briefing(self, slug: str) -> bool:
        """True when a briefing is called `slug`."""
        return slug in self._index_by_slug

    def index_of(self, slug: str) -> int:
        """Where the briefing called `slug` stands in `briefings`."""
        return self._index_by_slug[slug]

    def with_bodies_edited(self, edited: dict[int, Briefing]) -> Site:
        """This site with the briefing at each index of `edited` replaced by the one given there, which differs from
        it in its body alone.

        What the site worked out from its briefings' other fields (issues, places, people, quotations) still holds,
        so it is kept rather than worked out again over the whole archive: the preview's page shown at once then
        costs about as much on a site of 20,000 briefings as on one of 1,000 (copies of a few lists, no Python loop
        over them). Kept lists that name a briefing get the new one; the people, countries and organisations keep
        the old one, whose every field but the body is the same (with_bodies_from says when that will not do).
        """
        briefings = list(self.briefings)
        for index, briefing in edited.items():
            briefings[index] = briefing
        # Places and indexes by slug hold (no briefing moved), and the places edited are noted for places_changed.
        site = self.keeping(briefings=noted_edit(self.briefings, tuple(briefings), edited))
        if "_by_issue" in site.__dict__:  # the new one where the old one stood in each of its issues' lists (copies)
            lists = site.__dict__["_by_issue"] = dict(self._by_issue)
            for index, briefing in edited.items():
                for issue in self.briefings[index].issues:
                    lists[issue] = swapped(lists[issue], index, briefing, self._index_by_slug)
        return site

    def with_bodies_from(self, issues: tuple[Issue, ...], briefings: Iterable[Briefing]) -> Site | None:
        """This site with `briefings` in place of its own, when `issues` are its issues and `briefings` its
        briefings but for some bodies (a build after a body edit, in a preview that keeps the site it built); None
        otherwise, and the site is worked out again.

        A briefing read again is a new object, so an edited one is found by identity and then checked field by field.
        """
        if len(issues) != len(self.issues) or any(map(operator.is_not, issues, self.issues)):
            return None
        places, mine, edited, count = self._index_by_slug, self.briefings, {}, 0
        for briefing in briefings:
            index = places.get(briefing.slug)
            if index is None:
                return None
            count += 1
            if mine[index] is not briefing:
                edited[index] = briefing
        return self.with_bodies_read(edited) if count == len(mine) else None

    def with_bodies_read(self, edited: dict[int, Briefing]) -> Site | None:
        """with_bodies_edited for a build, when each briefing of `edited` differs from the one at its index in its
        body alone (None otherwise): the people, countries and organisations are gathered again when an edited
        briefing names any, so that their pages show the new briefings (a theme may show bodies there)."""
        if not all(same_but_body(new, self.briefings[index]) for index, new in edited.items()):
            return None
        site = self.with_bodies_edited(edited)
        if any(map(names_anyone, edited.values())):
            site.__dict__.pop("_cast", None)
        return site

    def keeping(self, **changes) -> Site:
        """This site with `changes` to its fields, keeping what it has worked out from them so far (its cached
        properties): for changes that leave that true."""
        changed = replace(self, **changes)
        changed.__dict__.update((name, value) for name, value in self.__dict__.items() if name.startswith("_"))
        return changed

    @functools.cached_property
    def _slugs_by_issue(self) -> dict[str, frozenset[str]]:
        """Each issue's briefing slugs, as sets."""
        return {issue: frozenset(b.slug for b in items) for issue, items in self._by_issue.items()}

    @functools.cached_property
    def _in_both(self) -> dict[tuple[str, str], tuple[tuple[str, ...], dict[str, int]]]:
        """in_both's answers, by pair of issues, gathered in one pass over the briefings (every briefing of both
        issues asks; a pass over one issue's list a pair cost thirty times as much); slugs and places only, which a
        body edit changes neither of."""
        gathered: dict[tuple[str, str], list[str]] = {}
        for briefing in self.briefings:
            if len(briefing.issues) > 1:
                for pair in itertools.combinations(sorted(briefing.issues), 2):
                    gathered.setdefault(pair, []).append(briefing.slug)
        return {pair: (tuple(slugs), {slug: place for place, slug in enumerate(slugs)}) for pair, slugs in gathered.items()}

    @functools.cached_property
    def _places(self) -> dict[str, dict[str, int]]:
        """Each issue's briefings, slug to position."""
        return {issue: {b.slug: n for n, b in enumerate(items)} for issue, items in self._by_issue.items()}

    @functools.cached_property
    def _times(self) -> dict[str, int]:
        """times(), worked out once (a body edit keeps every date)."""
        first = self.briefings[0].date if self.briefings else None
        return {b.slug: (b.date - first) // MICROSECOND for b in self.briefings}

    @functools.cached_property
    def _index_by_slug(self) -> dict[str, int]:
        """Each briefing's place in `briefings`, by slug (places, not briefings: a body edit keeps them)."""
        return {b.slug: index for index, b in enumerate(self.briefings)}

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

    # --- campaign intelligence: people, countries, organisations ------------------------------------

    @property
    def people(self) -> tuple[Entity, ...]:
        """Everyone quoted or named in a briefing, one page each, by name."""
        return self._cast.people

    @property
    def countries(self) -> tuple[Entity, ...]:
        """Every country a briefing involves, by name."""
        return self._cast.countries

    @property
    def organisations(self) -> tuple[Entity, ...]:
        """Every organisation a briefing names or quotes, by name."""
        return self._cast.organisations

    def country(self, code: str) -> Entity:
        """The country with ISO code `code`, with its briefings (a briefing lists it, or it speaks in one)."""
        return self._cast.pages[entity_path("country", code.lower())]

    def organisation(self, name: str) -> Entity:
        """The organisation a briefing lists as `name`, with its briefings."""
        return self._cast.named[("organisation", name)]

    def quotes_of(self, briefing: Briefing) -> tuple[Said, ...]:
        """A briefing's quotations, in its order, each with its speaker's page."""
        return self._cast.said.get(briefing.slug, ())

    def quotes_of_issue(self, slug: str) -> tuple[Said, ...]:
        """The quotations of issue `slug`'s briefings, newest briefing first."""
        return tuple(said for briefing in self.briefings_of(slug) for said in self.quotes_of(briefing))

    @functools.cached_property
    def _cast(self) -> Cast:
        """People, countries and organisations, gathered once (every page asks)."""
        return gather_cast(self)


# --- gathering people, countries and organisations -----------------------------------------------------

@dataclass
class _Tally:
    """What the briefings say about one entity, while gathering."""

    names: Counter = field(default_factory=Counter)
    briefings: dict[str, Briefing] = field(default_factory=dict)
    quotes: list[Said] = field(default_factory=list)


def places_changed(before: Sequence, now: Sequence, differ: Callable = operator.is_not) -> list[int]:
    """The places at which `now` holds another object than `before` (or, given `differ`, a value that differs), of
    two sequences as long: a running preview's save keeps all but a few of 20,000 briefings, and this finds those few
    without a Python step for each of the others; those noted by noted_edit when `now` was made from `before` (then
    perhaps a few more), without even a look at each (a look touches every object: 2-3 ms at 20,000)."""
    if differ is operator.is_not and (noted := EDITS.get(id(now))) is not None and noted[0] is now:
        for earlier, places in noted[1]:
            if earlier is before:
                return sorted(places)
    return list(itertools.compress(itertools.count(), map(differ, before, now)))


def noted_edit(before: tuple, now: tuple, places: Iterable[int]) -> tuple:
    """`now`, noted as `before` with other objects at `places` alone (and as each sequence `before` was noted to come
    from, up to EDIT_STEPS back, with the places of both), for places_changed: a preview's page shown at once and
    the build after it each edit the site's briefings, and the build compares them with the last build's."""
    places = frozenset(places)
    noted = EDITS.get(id(before))
    earlier_steps = noted[1][:EDIT_STEPS - 1] if noted is not None and noted[0] is before else ()
    steps = ((before, places), *((earlier, known | places) for earlier, known in earlier_steps))
    EDITS[id(now)] = (now, steps)
    while len(EDITS) > EDITS_KEPT:  # the oldest first, in one step (a preview notes its page shown at once meanwhile)
        EDITS.popitem(last=False)
    return now


EDITS: OrderedDict[int, tuple] = OrderedDict()  # id of a sequence noted -> (it, ((an earlier one, its places), ...))
EDIT_STEPS = 4  # edits back that noted_edit notes a sequence as coming from
EDITS_KEPT = 16  # sequences noted (the briefings of each language's site, the last few builds and pages shown)


def same_but_body(new: Briefing, old: Briefing) -> bool:
    """True when `new` has every field of `old` but (perhaps) its body: no page but its own shows the difference."""
    return replace(new, body=old.body) == old


def names_anyone(briefing: Briefing) -> bool:
    """True when a briefing names a country, organisation or person, or quotes anyone (the cast holds it then)."""
    return bool(briefing.countries or briefing.organisations or briefing.people or briefing.quotes)


def swapped(items: tuple[Briefing, ...], index: int, briefing: Briefing, indexes: dict[str, int]
            ) -> tuple[Briefing, ...]:
    """`items`, briefings in the site's order, with `briefing` instead of the one at `index` of the site, found by
    halving on each one's place in the site (`indexes`). Not by Site.place_in: its map is made per site, each full
    build makes a new site, and the next save would pay for making it again."""
    place = bisect.bisect_left(items, index, key=lambda item: indexes[item.slug])
    return items[:place] + (briefing,) + items[place + 1:]


def gather_cast(site: Site) -> Cast:
    """Walk the briefings (newest first) once and give every person, country and organisation they involve."""
    identify = Identifier(site)
    tallies: dict[tuple[str, str], _Tally] = {}
    named: dict[tuple[str, str], tuple[str, str]] = {}  # (kind, as written) -> (kind, slug)
    said: dict[str, tuple[Said, ...]] = {}
    for briefing in site.briefings:
        if not names_anyone(briefing):
            said[briefing.slug] = ()  # involves nobody (many briefings): spares the lists below
            continue
        mentions = [("country", code) for code in briefing.countries]
        mentions += [("organisation", name) for name in briefing.organisations]
        mentions += [("speaker", name) for name in briefing.people]
        for asked, written in mentions:
            key = named[(asked, written)] = identify(asked, written)
            _tally(tallies, key, written).briefings[briefing.slug] = briefing
        said[briefing.slug] = tuple(_said(quote, briefing, identify, tallies) for quote in briefing.quotes)
    entities = {key: _entity(key, tally, identify) for key, tally in tallies.items()}
    by_kind = {kind: tuple(sorted((e for e in entities.values() if e.kind == kind), key=lambda e: sort_key(e.name)))
               for kind in FOLDERS}
    return Cast(by_kind["person"], by_kind["country"], by_kind["organisation"],
                {written: entities[key] for written, key in named.items()},
                {entity.output_path: entity for entity in entities.values()}, said)


def _tally(tallies: dict, key: tuple[str, str], written: str) -> _Tally:
    """The tally of entity `key`, counting one more mention of it as `written`."""
    tally = tallies.setdefault(key, _Tally())
    tally.names[written] += 1
    return tally


def _said(quote: Quote, briefing: Briefing, identify: Identifier, tallies: dict) -> Said:
    """One quotation with its speaker's page, counted for the speaker."""
    if not quote.speaker.strip():
        return Said(quote, briefing)
    key = identify("speaker", quote.speaker)
    said = Said(quote, briefing, entity_path(*key))
    tally = _tally(tallies, key, quote.speaker)
    tally.briefings[briefing.slug] = briefing
    tally.quotes.append(said)
    return said


def _entity(key: tuple[str, str], tally: _Tally, identify: Identifier) -> Entity:
    """Make the entity for a finished tally: its shown name and other names."""
    kind, slug = key
    briefings, quotes = tuple(tally.briefings.values()), tuple(tally.quotes)
    if kind == "country":
        code = slug.upper()
        return Entity(kind, identify.country_name(code), slug, briefings, quotes, (code,))
    listed = identify.listed.get(slug)
    if kind == "organisation" and listed is not None:
        return Entity(kind, listed.name, slug, briefings, quotes, listed.short_names, listed.url)
    name = _shown_name(tally.names, kind)
    others = sorted({person_name(written) for written in tally.names} - {name}, key=sort_key) if kind == "person" else []
    return Entity(kind, name, slug, briefings, quotes, tuple(others))


def _shown_name(names: Counter, kind: str) -> str:
    """The name to show among those written: a full name over a bare surname, then the most used, then the first in order."""
    shown = Counter()
    for written, count in names.items():
        shown[person_name(written) if kind == "person" else " ".join(written.split())] += count
    return min(shown, key=lambda name: (-len(name.split()), -shown[name], sort_key(name)))


class Identifier:
    """Tells which entity a name written in a briefing stands for, as (kind, slug).

    Organisations first (a gazetteer name or short name), then countries (a name pycountry or the
    aliases know), else a person. A person is known by the slug of their name without honorifics,
    so spellings that differ only in case, accents, spacing or punctuation are one person; a bare
    surname is the one full name ending with it across the site, when exactly one does.
    """

    def __init__(self, site: Site):
        self.gazetteer = site.gazetteer
        self.listed = {page_slug(organisation.name): organisation for organisation in site.gazetteer}
        # Without a gazetteer, a speaker is an organisation when some briefing lists that name as one.
        self.listed_names = {" ".join(name.split()).casefold() for b in site.briefings for name in b.organisations}
        self.surnames = self._surnames(site)

    def __call__(self, kind: str, written: str) -> tuple[str, str]:
        """The entity a name stands for, listed under `kind` ("country", "organisation", or "speaker": anyone)."""
        if kind == "country":
            return ("country", written.lower())
        if kind == "organisation":
            return ("organisation", self._organisation(written) or page_slug(written))
        return self._not_a_person(written) or ("person", self._person(person_name(written)))

    def _not_a_person(self, written: str) -> tuple[str, str] | None:
        """The organisation or country a speaker's name stands for, if it stands for one."""
        organisation = self._organisation(written)
        if organisation is not None:
            return ("organisation", organisation)
        country = names.lookup(names.country_matcher(), written)
        return ("country", country.target.lower()) if country is not None and country.target else None

    def country_name(self, code: str) -> str:
        """A country's common name, from pycountry."""
        return names.country_name(code)

    def _organisation(self, written: str) -> str | None:
        """The slug of the organisation `written` names (a name or short name in the gazetteer, or listed by a briefing)."""
        if self.gazetteer:
            term = names.lookup(names.organisation_matcher(self.gazetteer), written)
            if term is not None:
                return page_slug(term.target)
        return page_slug(written) if " ".join(written.split()).casefold() in self.listed_names else None

    def _person(self, name: str) -> str:
        """The slug of a person's page; a bare surname takes the one full name ending with it."""
        slug = page_slug(name)
        if len(name.split()) == 1 and len(self.surnames.get(slug, ())) == 1:
            return next(iter(self.surnames[slug]))
        return slug

    def _surnames(self, site: Site) -> dict[str, set[str]]:
        """Each surname's slug -> the slugs of the full names ending with it, among every name written for a person."""
        written = {name for b in site.briefings for name in (*b.people, *(q.speaker for q in b.quotes))}
        found: dict[str, set[str]] = {}
        for name in (person_name(w) for w in sorted(written) if w.strip() and not self._not_a_person(w)):
            if len(name.split()) > 1:
                found.setdefault(page_slug(name.split()[-1]), set()).add(page_slug(name))
        return found
