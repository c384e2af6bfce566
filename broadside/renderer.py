"""Takes a Site and its theme and gives every output file as {output_path: bytes}; writes nothing."""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import itertools
import os
import posixpath
import re
import stat
import types
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import groupby
from pathlib import Path
from collections.abc import Callable, Collection, Generator, Iterable, Mapping  # not typing's: isinstance is faster
from typing import NamedTuple
from urllib.parse import quote

import jinja2
from markupsafe import Markup
from jinja2.sandbox import SandboxedEnvironment

from .cache import BuildCache, CompiledTemplates, code_version
from .errors import BuildFailed, ContentError
from .feeds import (ROBOTS, SITEMAP, absolute_url, feed_makers, issue_feed_path, made_of, page_dates,
                    render_sitemap_of_languages)
from .brand import brand_makers
from .i18n import N_, Language, catalogue_path, english_words, load_language, missing_messages, page_callables, used_messages
from .languages import language_name, og_locale, text_direction
from .model import Briefing, Entity, Issue, Said, Site, places_changed, sort_key
from .layout import Layouts
from .packs import PdfResult, PdfSize, PdfWork, briefing_pdf_path, direction, pack_pages, preview_files, start_pdfs, stylesheet_folder
from .progress import Progress, no_progress
from .search import SearchSource, search_steps
from .themes import Theme, folder_files, load_theme, make_loader, template_digests, theme_file
from .workers import can_fork, forked_workers, run_through, step

HOME_PEOPLE = 8  # the home page names the most quoted people and the countries in most briefings,
HOME_COUNTRIES = 12  # then links to the full lists: enough to answer at a glance, few enough to stay calm
# An issue's first page shows the timeline of its latest briefings and what was said in its latest briefings
# (the list's pages hold every briefing): a page must not grow with the archive.
TIMELINE_LIMIT = 100
QUOTED_LIMIT = 20


@dataclass(frozen=True)
class Page:
    """One page to render: where it goes, which template, and what the template is given."""

    output_path: str
    template: str
    title: str
    description: str
    values: dict = field(default_factory=dict)
    root: str = ""  # the folder of the page's language ('' for the default); output_path includes it
    versions: tuple = ()  # the page in each language, for the switcher and hreflang links (a site in several languages)


@dataclass(frozen=True)
class Pager:
    """Where one page of a long list stands among its siblings (page 1 is the list's own path)."""

    number: int
    count: int
    first: str  # page 1's output path; the others are <folder>page/<n>/index.html
    folder: str
    total: int

    def path_of(self, number: int) -> str:
        """The output path of page `number` of the list."""
        return self.first if number == 1 else f"{self.folder}page/{number}/index.html"

    @property
    def paths(self) -> tuple[str, ...]:
        """Every page of the list, in order (derived, so fingerprints stay small on long lists)."""
        return tuple(self.path_of(number) for number in range(1, self.count + 1))

    @property
    def shown(self) -> tuple[Step | None, ...]:
        """The pages a list's navigation links to: the first, the last and those near this one; None marks a gap.

        A list of 500 pages shows "1 … 5 6 7 8 9 … 500", not 500 links on every one of its pages.
        """
        near = range(max(1, self.number - NEAR_PAGES), min(self.count, self.number + NEAR_PAGES) + 1)
        numbers = sorted({1, self.count, *near})
        steps: list[Step | None] = []
        for before, number in zip([0, *numbers], numbers):
            if number - before == 2:  # a gap of one page: the page itself is shorter than a gap mark
                steps.append(Step(before + 1, self.path_of(before + 1)))
            elif number - before > 2:
                steps.append(None)
            steps.append(Step(number, self.path_of(number)))
        return tuple(steps)

    @property
    def newer(self) -> str | None:
        """The page before this one: lists run newest first."""
        return self.path_of(self.number - 1) if self.number > 1 else None

    @property
    def older(self) -> str | None:
        """The page after this one."""
        return self.path_of(self.number + 1) if self.number < self.count else None


NEAR_PAGES = 2


@dataclass(frozen=True)
class Step:
    """One numbered link of a list's navigation."""

    number: int
    path: str


@dataclass(frozen=True)
class Year:
    """The briefings of one year, for the archive."""

    year: int
    briefings: tuple[Briefing, ...]


@dataclass(frozen=True)
class YearLink:
    """A year of the archive as the archive's pages link to it: how many briefings, and its page."""

    year: int
    count: int
    output_path: str


@dataclass(frozen=True)
class Month:
    """The briefings of one month, for an issue's timeline."""

    month: int
    briefings: tuple[Briefing, ...]

    @property
    def first(self) -> datetime:
        """The month's first day (in the site's time zone), for showing the month as the page's language names it."""
        return self.briefings[0].date.replace(day=1)


@dataclass(frozen=True)
class Timeline:
    """One year of an issue's timeline, month by month (newest first)."""

    year: int
    months: tuple[Month, ...]


@dataclass(frozen=True)
class Quoted:
    """The quotations one briefing gives, for pages that list quotations under their briefing."""

    briefing: Briefing
    quotes: tuple[Said, ...]


@dataclass(frozen=True)
class Ref:
    """A link to a person's, country's or organisation's page: the name shown, the page, and a count where one is shown."""

    name: str
    output_path: str
    count: int = 0


@dataclass(frozen=True)
class Changes:
    """A build's output files, with None for each file identical to the previous build's, and their fingerprints
    (with what they were made from, for the next build: see render_changes)."""

    files: dict[str, bytes | None]
    fingerprints: dict[str, str]
    basis: tuple | None = None
    paths: frozenset[str] = frozenset()  # the files' paths (the link check's pages)
    pages: int = 0  # how many of them are HTML pages


def render_site(site: Site, theme_dir: Path, theme_name: str, progress: Progress = no_progress) -> dict[str, bytes]:
    """Render every page of `site` and collect the theme's static files and generated files."""
    return render_changes(site, theme_dir, theme_name, {}, progress).files


def render_changes(site: Site, theme_dir: Path, theme_name: str, previous: dict[str, str],
                   progress: Progress = no_progress, jobs: int = 1, memo: BuildCache | None = None,
                   sink: Sink | None = None, pdfs: bool = True, layouts: Layouts | None = None) -> Changes:
    """Render what changed since the build whose fingerprints are `previous` (None for a file that did not).

    `memo` keeps per-briefing search entries and related briefings between builds, so an edit does not
    re-index every briefing or search for every briefing's relatives again.
    With `pdfs` off (the preview), PDFs are not made; the HTML each is made from takes its place. `layouts`, when
    given, lays out the PDFs that changed (a process that loaded WeasyPrint while the site was read).
    `sink`, when given, takes rendered files as they are made (in whichever process made them) and gives what
    stands for them in `files`: the writer's staging, so that a large site is never held in memory whole.
    """
    with contextlib.ExitStack() as stack:  # the PDFs being made meanwhile are stopped if the pages fail
        return render_with_pdfs(stack, site, theme_dir, theme_name, previous, progress, jobs, memo, sink, pdfs, layouts)


def render_with_pdfs(stack: contextlib.ExitStack, site: Site, theme_dir: Path, theme_name: str, previous: dict[str, str],
                     progress: Progress, jobs: int, memo: BuildCache | None, sink: Sink | None, pdfs: bool,
                     layouts: Layouts | None = None) -> Changes:
    """Render what changed (render_changes) while the PDFs are made; `stack` stops their making if this fails."""
    deliver = sink or keep
    memo = BuildCache() if memo is None else memo
    chain = load_theme(theme_dir.parent, theme_name)
    whole = theme_digest(chain)
    environment = make_environment(chain.templates, whole)
    environment.bytecode_cache = CompiledTemplates(memo.compiled)
    pdf_dir = stylesheet_folder(chain, theme_dir)
    if pdfs:  # first, so that the PDFs' own process starts as early as it can
        made_pdfs = stack.enter_context(start_pdfs(site, environment, pdf_dir, whole, previous, jobs, deliver, layouts))
    else:  # the preview shows each PDF as the HTML it is made from, and makes the PDF on request
        drafts = preview_files(site, environment, pdf_dir)
        made_pdfs = PdfWork(list(drafts), PdfResult(deliver(drafts) if drafts else {}, dict.fromkeys(drafts, ""), {}))
    # A page depends on its own template and those it brings in, not on the whole theme: an edit to issue.html
    # renders the issue pages again, and no other.
    uses = template_uses(chain, whole, memo)
    languages = {edition.config.language: speak(environment, theme_name, edition.config.language, site.config.timezone)
                 for edition in site.all_editions}
    static = read_theme_static(chain)
    catalogue = " ".join(language.key for language in languages.values())
    # With a theme that shows a briefing's body on its own page only (as the default theme does), the other
    # pages depend on each briefing's card, so a body edit re-renders just its page (and the feeds and index).
    cards: dict | None = None if bodies_shown_elsewhere(*chain.templates) else {}
    head = (repr(sorted(uses.items())), repr(site.gazetteer))
    card_of, digest_of, edited = briefing_maps(site, memo.basis, memo.seen[1] if memo.seen and memo.seen[0] is memo.basis
                                               else ()) if cards is not None else ({}, {}, {})

    def key_now() -> str:
        """The plan's key, with that of the related briefings kept (memo.related), which a kept plan uses as they are."""
        return plan_key(site, (*head, memo.related.get("key")), card_of, [*static, *made_pdfs.paths],
                        made_pdfs.pack_sizes(), catalogue) if cards is not None else ""

    key = key_now()
    planned = kept_plan(memo, key, previous, edited) if cards is not None else None
    if planned is None:
        related = {edition.root: related_table(edition, memo.related_of(edition.root))
                   for edition in site.all_editions}
        key = key_now()
        pages = plan_pages(site, related, made_pdfs.pack_sizes(), languages)
        paths = tuple(page.output_path for page in pages)
        salt = site_salt(site, sorted([*static, *made_pdfs.paths, *paths]), catalogue)
    else:  # no card changed: the pages are those the last build planned, and only edited briefings' pages need values
        (salt, *_), _, _, (_, paths) = planned
        first = [key for key in edited.values() if "/" not in key]  # the first language's (its root is '')
        related = {edition.root: related_table(edition, memo.related_of(edition.root)) if edition.root
                   else related_of(memo.related, edition, first) for edition in site.all_editions}
        pages = plan_briefings(site, set(edited.values()), related, languages, paths)
    for gone in memo.editions.keys() - related.keys():  # a language no longer declared: nothing of it is kept
        del memo.editions[gone]
    shared: dict = {}
    fingerprints: dict[str, str] = {}
    files: dict[str, object] = {**dict.fromkeys(paths), **dict.fromkeys(made_pdfs.paths)}

    # With cards, when neither the salt, the templates, the gazetteer nor any card changed since the build that made
    # `previous` (everything else a page shows is made from these), no page's fingerprint can change but through its
    # own body: the others are taken as they were (memo.basis), and need not even be planned when the plan's key is
    # the same (kept_plan).
    basis = ((salt, *head), card_of, digest_of, (key, paths)) if cards is not None else None
    memo.seen = (basis, tuple(edition.briefings for edition in site.all_editions)) if basis is not None else ()
    same = basis is not None and memo.basis is not None and memo.basis[:2] == basis[:2]

    def fingerprint_page(page: Page) -> str:
        own = page.values.get("briefing")
        kept = previous.get(page.output_path) if same else None
        if kept is None or (isinstance(own, Briefing) and memo.basis[2].get(page.root + own.slug) != own.digest):
            kept = fingerprint((salt, uses.get(page.template, whole), page, own_body(page)),
                               cards if cards is not None else shared, cards is not None)
        return kept

    def ready(wave: list[Page]) -> None:
        """The fingerprints of a wave of pages about to be rendered, and their values, made here once for the forked
        workers to share; the fingerprints' memo starts again, so that it holds one wave's values, not the site's."""
        for page in wave:
            if page.output_path not in fingerprints:
                fingerprints[page.output_path] = fingerprint_page(page)
            if isinstance(page.values, BriefingValues):
                page.values.make()
        (cards if cards is not None else shared).clear()

    def everything_else() -> Generator[None, None, dict]:
        """Static and generated files, made here while the workers render the pages, a step at a time."""
        made = {}
        for path, data in static.items():
            fingerprints[path] = hashlib.sha256(data).hexdigest()
            made[path] = None if previous.get(path) == fingerprints[path] else deliver({path: data})[path]
        files = yield from generated_files(site, list(paths), memo, languages, key)
        for number, (path, (made_of, make)) in enumerate(files.items()):
            found = fingerprints[path] = (whole_fingerprint(made_of.digest) if isinstance(made_of, Whole)
                                          else fingerprint((salt, made_of), shared))
            made[path] = None if previous.get(path) == found else deliver({path: make()})[path]
            if made[path] is not None or number % STEP_FILES == 0:
                yield  # a step a file made, and one every STEP_FILES files found unchanged
        return made

    if planned is not None:  # the pages' fingerprints kept (most are), taken in one merge of dicts (and the other
        fingerprints.update(previous)  # files', fingerprinted again below; those of files gone are dropped at the end)
    if previous:  # else every page is rendered, and fingerprinted as its wave is about to be (ready)
        for number, page in enumerate(pages, 1):
            fingerprints[page.output_path] = fingerprint_page(page)
            if previous.get(page.output_path) == fingerprints[page.output_path]:
                forget_values(page)  # not rendered: no need to hold its values
            if number % 256 == 0:
                (cards if cards is not None else shared).clear()  # keeps a few pages' values, not the site's
    stale = [page for page in pages if not previous or previous.get(page.output_path) != fingerprints[page.output_path]]
    files.update(render_pages(environment, site, stale, theme_name, progress, jobs, deliver, everything_else, ready))
    pdf_files = made_pdfs.result()
    files.update(pdf_files.files)
    fingerprints.update(pdf_files.fingerprints)
    if len(fingerprints) != len(files):  # files of the last build gone (each file of this one has its fingerprint)
        for path in fingerprints.keys() - files.keys():
            del fingerprints[path]
    return Changes(files, fingerprints, basis, *path_set(files, memo))


def path_set(files: dict, memo: BuildCache) -> tuple[frozenset[str], int]:
    """The set of `files`' paths and how many are pages: the last build's (memo.paths) when the paths are the same,
    with the few added or gone since put in or taken out (a save often adds a search shard for a new word), so that
    a preview's save does not make a set of 28,000 paths and count its pages again."""
    paths, pages = memo.paths or (frozenset(), 0)
    if files.keys() != paths:
        added, gone = (files.keys() - paths, paths - files.keys()) if paths else ((), ())
        if paths and len(added) + len(gone) <= FEW_PATHS:
            paths = paths.difference(gone).union(added)
            pages += sum(path.endswith(".html") for path in added) - sum(path.endswith(".html") for path in gone)
        else:
            paths = frozenset(files)
            pages = sum(path.endswith(".html") for path in paths)
        memo.paths = (paths, pages)
    return paths, pages


STEP_FILES = 64  # generated files found unchanged a step of the parent's own work (see everything_else)
FEW_PATHS = 256  # paths added or removed that path_set puts in or takes out rather than making the set again


Sink = Callable[[dict[str, bytes]], dict]


def keep(made: dict[str, bytes]) -> dict[str, bytes]:
    """Rendered files as they are, kept in memory (when no sink takes them; a function, so another process can be
    given it)."""
    return made


class Whole(NamedTuple):
    """Stands, in generated_files, for a digest of all a file holds: its fingerprint needs nothing else (not the
    site's salt), so a file made this way is made again only when its own content changes. A named tuple: a build
    makes one for each of the search index's files (2,300 at 20,000 briefings)."""

    digest: str


def whole_fingerprint(digest: str) -> str:
    """The fingerprint of a file that a Whole digest stands for: that digest, with the code that makes the file."""
    return hashlib.sha256(f"{code_version()}\0{digest}".encode()).hexdigest()


def generated_files(site: Site, html_pages: list[str], memo: BuildCache, languages: dict[str, Language] | None = None,
                    plan: str = "") -> Generator[None, None, dict[str, tuple[object, Callable[[], bytes]]]]:
    """Feeds, search index and the small files GitHub Pages wants, each with what it depends on (or its Whole digest);
    each language has its own feeds and search index (its dates and counts in `languages`) in its folder, and the
    sitemap lists every language. `plan` (plan_key's, when there is one) stands for the pages and their dates.
    Found a step at a time (see search_steps), as the build's parent finds them while its workers render."""
    made, indexes = {}, set()
    for edition in site.all_editions:
        local = [path[len(edition.root):] for path in html_pages if path.startswith(edition.root)] if edition.root else html_pages
        files = feed_makers(edition, local, full_content=site.config.feed_content == "full", plan=plan)
        source = SearchSource.of_site(edition, words=(languages or {}).get(edition.config.language))
        # Each language's index is kept under its folder in the output ('fr/search'), so the cache saves every one.
        kept_as = edition.root + source.folder
        indexes.add(kept_as)
        for path, file in (yield from search_steps(source, memo.search, kept_as)).items():
            files[path] = (Whole(file.digest), file.make)
        if edition.root:  # the sitemap and robots.txt are the whole site's, at its top
            files = {edition.root + path: made for path, made in files.items()
                     if path not in (SITEMAP, ROBOTS) and not path.startswith("sitemaps/")}
        made.update(files)
    for gone in memo.search.keys() - indexes:  # a language no longer declared: its index is not kept
        del memo.search[gone]
    if site.editions:
        made[SITEMAP] = (f"plan {plan}" if plan else made_of(html_pages, [page_dates(e) for e in site.all_editions]),
                         lambda: render_sitemap_of_languages(site, html_pages))
    made[".nojekyll"] = ((), lambda: b"")  # without it, GitHub Pages would run Jekyll over the folder
    made.update(brand_makers(site.config.brand))
    if site.config.cname:
        made["CNAME"] = ((), lambda: f"{site.config.cname}\n".encode())
    return made


def site_salt(site: Site, paths: list[str], catalogue: str = "") -> str:
    """What every page may depend on besides its own values and its templates: code, settings, issues, the list of
    briefings.

    A body, summary or source edit leaves this unchanged, so only the pages showing that briefing are rendered
    again; adding, removing or retitling a briefing re-renders every page.
    """
    digest = hashlib.sha256(code_version().encode())
    digest.update(catalogue.encode())  # the language's catalogue: a translation edited re-renders every page
    digest.update(repr((site.config, site.today, paths, [(i.slug, i.digest) for i in site.issues],
                        [(b.slug, b.title, b.date, b.issues, b.draft) for b in site.briefings],
                        [(p.slug, p.title, p.date, p.chosen) for p in site.packs])).encode())
    for edition in site.editions:
        digest.update(repr((edition.root, edition.config, [(i.slug, i.digest) for i in edition.issues],
                            [(b.slug, b.title, b.date, b.issues, b.draft) for b in edition.briefings])).encode())
    return digest.hexdigest()


def plan_key(site: Site, head: tuple, cards: dict[str, str], files: list[str], pack_sizes: dict, catalogue: str) -> str:
    """A digest of all that the list of pages, their values (bodies aside) and the site's salt are made from: code,
    settings, the day, issues, packs and their PDFs' sizes, every briefing's card (`cards`, in the site's order),
    the templates and gazetteer (`head`), the theme's static files and PDFs (`files`) and the catalogues."""
    digest = hashlib.sha256(code_version().encode())
    digest.update(repr((head, catalogue, sorted(files), sorted(pack_sizes.items()), site.today)).encode())
    for edition in site.all_editions:
        digest.update(repr((edition.root, edition.config, [(i.slug, i.digest) for i in edition.issues],
                            [(p.slug, p.digest, p.chosen) for p in edition.packs])).encode())
    digest.update(last_made(cards, cards_digest, "cards"))
    return digest.hexdigest()


def cards_digest(cards: dict[str, str]) -> bytes:
    """A digest of every briefing's key and card."""
    # Joined rather than repr'd (a fifth of the time at 20,000 briefings): no key holds a line break or NUL, and each
    # card is a hex digest.
    return hashlib.sha256("\n".join(cards).encode() + b"\0" + "\n".join(cards.values()).encode()).digest()


def last_made(source: object, make: Callable, slot: str):
    """make(source), or what it gave the very same `source` last time (by `slot`): a running preview's save hands
    its build the last build's card map and list of pages, which never change once made, when no card changed
    (a digest of 20,000 cards took 4 ms, a set of 28,000 paths 1 ms)."""
    kept = LAST_MADE.get(slot)
    if kept is None or kept[0] is not source:
        kept = LAST_MADE[slot] = (source, make(source))
    return kept[1]


LAST_MADE: dict[str, tuple] = {}  # slot -> (the source last_made last made from, what it made)


def briefing_maps(site: Site, basis: tuple | None, seen: tuple) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Each briefing's card and digest, by its language's root and slug, and the briefings whose digest is not the one
    the last build's `basis` holds (page path -> root and slug; none without a basis). `seen`, the briefings of each
    edition that basis was made from, lends the card and digest of each briefing that is the very object seen at its
    place (a running preview keeps the briefings an edit did not touch), so only the others are looked at."""
    editions = site.all_editions
    if basis is None or len(seen) != len(editions) or any(len(before) != len(edition.briefings)
                                                           for before, edition in zip(seen, editions)):
        cards = {e.root + b.slug: b.card for e in editions for b in e.briefings}
        digests = {e.root + b.slug: b.digest for e in editions for b in e.briefings}
        return cards, digests, {e.root + b.output_path: e.root + b.slug for e in editions for b in e.briefings
                                if basis is not None and basis[2].get(e.root + b.slug) != b.digest}
    cards, digests, edited = basis[1], basis[2], {}  # copied before a change: the maps of a basis never change
    for edition, before in zip(editions, seen):
        for number in places_changed(before, edition.briefings):
            briefing, old = edition.briefings[number], before[number]
            if briefing.slug != old.slug:  # a briefing moved: the maps' order is another
                return briefing_maps(site, basis, ())
            key = edition.root + briefing.slug
            if cards[key] != briefing.card:
                cards = dict(cards) if cards is basis[1] else cards
                cards[key] = briefing.card
            if basis[2][key] != briefing.digest:
                digests = dict(digests) if digests is basis[2] else digests
                digests[key] = briefing.digest
                edited[edition.root + briefing.output_path] = key
    return cards, digests, edited


def kept_plan(memo: BuildCache, key: str, previous: dict[str, str], edited: Collection[str]) -> tuple | None:
    """The last build's basis (memo.basis) when its plan still holds: made with the same plan key (so the same pages,
    cards and salt), and every page it planned still in the output as it wrote it, but the pages of `edited`
    briefings (which are made again anyway); None otherwise (the pages are planned)."""
    basis = memo.basis
    if basis is None or basis[3][0] != key or not basis[3][1]:
        return None
    if previous is memo.fingerprints:  # the record made with that basis, less the pages shown at once since
        missing = [path for path in tuple(memo.touched) if path not in previous]  # (a page may be shown meanwhile)
    else:  # most are there: `edited` is asked of the rest
        missing = last_made(basis[3][1], frozenset, "paths") - previous.keys()
    return basis if all(path in edited for path in missing) else None


def fingerprint(value: object, memo: dict | None = None, cards: bool = False) -> str:
    """A digest of everything a template is given; briefings and issues count by their own digest (briefings
    by their card, all but the body, with `cards`).

    Pages share long lists (an issue's timeline is on each of its pages): `memo`, kept for one set of pages
    (and one value of `cards`), digests each shared list once.
    """
    return hashlib.sha256(repr(_shape(value, {} if memo is None else memo, cards)).encode()).hexdigest()


def own_body(page: Page) -> str | None:
    """The digest of the briefing a page is about (its body included), if it is a briefing's page."""
    briefing = page.values.get("briefing")
    return briefing.digest if isinstance(briefing, Briefing) else None


# A body read in a template: `name.body`, `name.body_html`, name["body"...] or name|attr("body"...).
BODY_READ = re.compile(r"""(\w+)\s*\.\s*body(?:_html)?\b|\[\s*["']body|attr\(\s*["']body""")
# A statement that gives `briefing` another value inside the briefing template (a loop, set, with, macro or call).
REBINDING = re.compile(r"""\{%-?\s*(?:for\s+[\w\s,()]*\bbriefing\b[\w\s,()]*\bin\b|set\s+[\w\s,]*\bbriefing\b\s*[=,]"""
                       r"""|with\b[^%]*\bbriefing\s*=|macro\s+\w+\s*\([^)]*\bbriefing\b|call\s*\([^)]*\bbriefing\b)""")


PDF_TEMPLATES = frozenset({"pack.html", "briefing_pdf.html", "_pdf.html"})  # templates only PDFs are made from


def bodies_shown_elsewhere(*folders: Path) -> bool:
    """False when the theme (its templates `folders`, the theme's own first, then its parents') reads a body only as
    `briefing.body_html` on a briefing's own page and `issue.body_html` on an issue's (`briefing` never rebound
    there, and neither page's template brought in by another); True for anything else, to be safe."""
    return bodies_read_elsewhere(folder_files(*folders))


@functools.lru_cache(maxsize=8)
def bodies_read_elsewhere(files: tuple[tuple[int, str, bytes], ...]) -> bool:
    """bodies_shown_elsewhere for the templates' files, as folder_files gives them (worked out once for them)."""
    for _, name, data in files:
        text = data.decode("utf-8", errors="replace")
        if name in PDF_TEMPLATES:
            continue  # a PDF's fingerprint holds every body it shows (packs.pdf_digest)
        allowed = {"briefing.html": "briefing", "issue.html": "issue", "pack_page.html": "pack"}.get(name)
        if any(found[1] is None or found[1] != allowed for found in BODY_READ.finditer(text)):
            return True
        if name == "briefing.html" and REBINDING.search(text):
            return True
        if any(f":{other}" in text for other in ("briefing.html", "issue.html") if other != name):
            return True  # another theme's briefing or issue template, used where it may see other values
    return False


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    """A dataclass's field names, looked up once per type."""
    return tuple(f.name for f in dataclasses.fields(kind))


LONG = 16  # a list at least this long is shaped as a digest, remembered while the list lives


def _shape(value: object, memo: dict, cards: bool = False) -> object:
    """`value` for fingerprinting: each Briefing and Issue as its digest (a Briefing as its card, with `cards`);
    each other dataclass and each long list as a digest of its own shape, remembered by identity (`memo` holds
    the object, so the identity stays its own).
    """
    if value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, Briefing):
        return (value.slug, value.card if cards else value.digest)
    if isinstance(value, Issue):
        return (value.slug, value.digest)
    if isinstance(value, (tuple, list)) and len(value) < LONG:
        return tuple(_shape(item, memo, cards) for item in value)
    if isinstance(value, Mapping):
        return tuple((key, _shape(item, memo, cards)) for key, item in sorted(value.items()))
    is_list = isinstance(value, (tuple, list))
    if not is_list and not dataclasses.is_dataclass(value):
        return value
    known = memo.get(id(value))
    if known is None or known[0] is not value:
        if is_list:
            shaped = tuple(_shape(item, memo, cards) for item in value)
        else:
            shaped = (type(value).__name__,
                      *(_shape(getattr(value, name), memo, cards) for name in _field_names(type(value))))
        known = memo[id(value)] = (value, hashlib.sha256(repr(shaped).encode()).hexdigest())
    return known[1]


def render_pages(environment: jinja2.Environment, site: Site, pages: list[Page], theme_name: str,
                 progress: Progress, jobs: int, deliver: Sink, meanwhile: Callable[[], Generator],
                 ready: Callable[[list[Page]], None] = lambda wave: None) -> dict:
    """Render pages here, or in `jobs` forked workers when there are enough of them to be worth it; each
    chunk of rendered files goes to `deliver` where it was made, and what that gives comes back, together
    with the files `meanwhile` gives: a generator run here a step at a time while the workers render, whose
    return value is a dict of files. `ready` is given each wave of pages before it is rendered; the values
    made for a wave are dropped after it, so that a large site never holds every page's values at once."""
    chunks = [range(start, min(start + CHUNK, len(pages))) for start in range(0, len(pages), CHUNK)]
    rendered = {}
    steps = meanwhile()
    if jobs <= 1 or len(pages) < PARALLEL_FROM or not can_fork():
        for chunk in chunks:
            wave = [pages[n] for n in chunk]
            ready(wave)
            rendered.update(deliver({page.output_path: render_page(environment, site, page, theme_name) for page in wave}))
            for page in wave:
                forget_values(page)
            progress("rendering", len(rendered), len(pages))
        return {**rendered, **run_through(steps)}
    global _WORK
    _WORK = (environment, site, pages, theme_name, deliver)  # inherited by the forked workers, never pickled
    compile_templates(environment)  # once here, instead of in every worker of every wave
    made = None
    try:
        # Workers share the parent's memory until they touch it (reference counts do), so a worker that lived
        # through every page would end up with its own copy of the whole site: fresh workers for each wave of
        # pages keep the copies to what one wave touches. The parent's own work goes on between its looks at
        # the wave, so the next wave starts as soon as one ends.
        starts = range(0, len(chunks), WAVE)
        waves = [[pages[n] for chunk in chunks[start:start + WAVE] for n in chunk] for start in starts]
        ready(waves[0])
        for number, start in enumerate(starts):
            gc.freeze()  # the workers share the parent's objects; a collection in them would copy every page of memory
            with forked_workers(jobs) as pool:
                futures = pool.start(_render_in_worker, chunks[start:start + WAVE])
                while made is None and not all(future.done() for future in futures):
                    made = step(steps)
                if number + 1 < len(waves):  # made while this wave renders, the next one's workers start at its end
                    ready(waves[number + 1])
                for chunk in pool.results(futures):
                    rendered.update(chunk)
                    progress("rendering", len(rendered), len(pages))
            for page in waves[number]:
                forget_values(page)
    finally:
        gc.unfreeze()
        _WORK = None
    return {**rendered, **(run_through(steps) if made is None else made)}


def compile_templates(environment: jinja2.Environment) -> None:
    """Compile every template of the theme now (forked workers then share the compiled code)."""
    for name in environment.list_templates():
        try:
            environment.get_template(name)
        except (jinja2.TemplateError, ValueError, OSError):
            pass  # reported, with its place, by the page that uses it


PARALLEL_FROM = 64  # below this, starting workers costs more than it saves
CHUNK = 32
WAVE = 64  # chunks per wave of workers: about 2,000 pages. Smaller waves fork more often, and each fresh worker copies
# again the pages of memory it touches (at 20,000 briefings, 1,000-page waves take 30 % more page faults); larger ones
# copy more memory in all, and hold more page values in the parent (4,000-page waves: 332 MiB against 325).
_WORK: tuple | None = None


def _render_in_worker(numbers: range) -> dict:
    """Render some of the pages in a worker and deliver them; a template error travels back as BuildFailed."""
    environment, site, pages, theme_name, deliver = _WORK
    return deliver({pages[n].output_path: render_page(environment, site, pages[n], theme_name) for n in numbers})


ALL_BRIEFINGS, ISSUES, ARCHIVE = N_("All briefings"), N_("Issues"), N_("Archive")
PAGE_NOT_FOUND, SEARCH = N_("Page not found"), N_("Search")
NUMBERED_TITLE = N_("%(title)s (page %(number)s)")
ENTITY_DESCRIPTION = N_("%(name)s in the briefings of %(site)s.")


def plan_pages(site: Site, related: dict[str, dict[str, tuple[str, ...]]] | None = None,
               pdf_sizes: dict[str, PdfSize] | None = None, languages: dict[str, Language] | None = None) -> list[Page]:
    """List every page of the site in every language, with the values its template needs (`related`: each
    language's related_table, by its root; `pdf_sizes`: the PDFs made, which the packs' pages describe; `languages`:
    how each language's pages speak, by tag; the theme's own words where not given)."""
    if not site.editions:
        return plan_edition(site, (related or {}).get(site.root), pdf_sizes, speaking(site, languages))
    pages = []
    for edition in site.all_editions:
        pages += [in_folder(edition, page)
                  for page in plan_edition(edition, (related or {}).get(edition.root), pdf_sizes, speaking(edition, languages))
                  if not edition.root or page.output_path != NOT_FOUND]  # one 404 page serves every language
    return with_language_links(site, pages)


def plan_briefings(site: Site, keys: set[str], related: dict[str, dict[str, tuple[str, ...]]],
                   languages: dict[str, Language], existing: Collection[str]) -> list[Page]:
    """The pages of some briefings (`keys`: each its language's root and slug) as plan_pages gives them, on a site
    whose pages are `existing`."""
    editions = site.all_editions
    numbers = {edition.root: number for number, edition in enumerate(editions)}
    places = []  # each briefing's edition and place in it, found by its slug (not by a look at every briefing)
    for key in keys:
        slug = key.rpartition("/")[2]
        number = numbers[key[:len(key) - len(slug)]]
        places.append((number, editions[number].index_of(slug)))
    pages = [in_folder(edition, briefing_page(edition, index, related.get(edition.root), speaking(edition, languages)))
             for edition, index in ((editions[number], index) for number, index in sorted(places))]  # plan_pages's order
    return with_language_links(site, pages, set(existing)) if site.editions else pages


def speaking(edition: Site, languages: dict[str, Language] | None) -> Language:
    """How the pages of `edition` speak: its language in `languages`, or the theme's own words."""
    tag = edition.config.language
    return (languages or {}).get(tag) or english_words(tag, edition.config.timezone)


def in_folder(edition: Site, page: Page) -> Page:
    """A page of a site in several languages, in its language's folder."""
    return replace(page, output_path=edition.root + page.output_path, root=edition.root)


def plan_edition(site: Site, related: dict[str, tuple[str, ...]] | None = None,
                 pdf_sizes: dict[str, PdfSize] | None = None, language: Language | None = None) -> list[Page]:
    """List every page of one language's site, by its path in that language's folder (packs: the default's only),
    titles in `language` (the theme's own words for the site's language by default)."""
    config = site.config
    language = language or english_words(config.language, config.timezone)
    say = language.gettext
    pages = [
        *paginate(site.briefings, config.page_size, "", Page("index.html", "home.html", config.title, config.description,
                                                              {"issues": site.issues, **home_values(site, language)}), language),
        *paginate(site.briefings, config.page_size, "briefings/", Page("briefings/index.html", "briefings.html",
                                                                        say(ALL_BRIEFINGS), config.description), language),
        Page("issues/index.html", "issues.html", say(ISSUES), config.description, {"issues": site.issues}),
        *archive_pages(site, language),
        Page("404.html", "404.html", say(PAGE_NOT_FOUND), config.description),
        Page("search/index.html", "search.html", say(SEARCH), config.description),
    ]
    for issue in site.issues:
        briefings = site.briefings_of(issue.slug)
        values = {"issue": issue, "timeline": timeline(briefings[:TIMELINE_LIMIT]), "timeline_limit": TIMELINE_LIMIT,
                  "quoted": quoted_in(site.quotes_of_issue(issue.slug))[:QUOTED_LIMIT], "packs": site.packs_of(issue.slug)}
        pages += paginate(briefings, config.page_size, f"issues/{issue.slug}/",
                          Page(issue.output_path, "issue.html", issue.title, issue.summary or config.description, values),
                          language)
    related = related or related_table(site, {})
    pages += [briefing_page(site, index, related, language) for index in range(len(site.briefings))]
    return pages + entity_pages(site, language) + pack_pages(site, pdf_sizes, language)


@dataclass(frozen=True)
class Version:
    """One language's version of a page, for the language switcher and hreflang links: the page itself, or, where the
    language has no such page, its home page (`translated` False)."""

    lang: str
    name: str  # the language's name for itself
    href: str  # relative link from the page
    absolute: str
    translated: bool
    current: bool
    locale: str  # as Open Graph writes it: fr_FR


def with_language_links(site: Site, pages: list[Page], existing: set[str] | None = None) -> list[Page]:
    """Give each page the versions of itself in every language (its home page where a language has none), among the
    pages `existing` (`pages` when not given)."""
    existing = {page.output_path for page in pages} if existing is None else existing
    editions = site.all_editions
    linked = []
    for page in pages:
        if page.output_path == NOT_FOUND:  # served at any address: no relative link could reach the other languages
            linked.append(page)
            continue
        local = page.output_path[len(page.root):]
        versions = []
        for edition in editions:
            target = edition.root + local
            translated = target in existing
            target = target if translated else edition.root + "index.html"
            versions.append(Version(edition.config.language, language_name(edition.config.language),
                                    relative_link(posixpath.dirname(page.output_path), target),
                                    absolute_url(site.config, target), translated, edition.root == page.root,
                                    og_locale(edition.config.language)))
        linked.append(replace(page, versions=tuple(versions)))
    return linked


def briefing_page(site: Site, index: int, related: dict[str, tuple[str, ...]] | None = None,
                  language: Language | None = None) -> Page:
    """The page of the briefing at `index` in site.briefings (newest first), in `language`; its values are made
    when first looked at (see BriefingValues)."""
    briefing = site.briefings[index]
    return Page(briefing.output_path, "briefing.html", briefing.title, briefing.summary or site.config.description,
                BriefingValues(site, index, related, language))


class BriefingValues(Mapping):
    """What a briefing's template is given, made on first use: a rebuild after one edit takes most pages'
    fingerprints as they were and renders only a few pages, so it never needs the values of the others
    (making them for every briefing would cost as much as the edit itself on a big archive)."""

    def __init__(self, site: Site, index: int, related: dict[str, tuple[str, ...]] | None, language: Language | None):
        self.site, self.index, self.related, self.language, self.made = site, index, related, language, None

    def __getitem__(self, key: str):
        if key == "briefing":  # asked of every page, so given without making the rest
            return self.site.briefings[self.index]
        return self.make()[key]

    def __iter__(self):
        return iter(self.make())

    def __len__(self) -> int:
        return len(self.make())

    def make(self) -> dict:
        """The values, made once."""
        if self.made is None:
            self.made = briefing_values(self.site, self.index, self.related, self.language)
        return self.made


def forget_values(page: Page) -> None:
    """Drop the values made for a briefing's page (made again if asked for)."""
    if isinstance(page.values, BriefingValues):
        page.values.made = None


def briefing_values(site: Site, index: int, related: dict[str, tuple[str, ...]] | None = None,
                    language: Language | None = None) -> dict:
    """Every value the template of the briefing at `index` is given (country names in `language`)."""
    briefing = site.briefings[index]
    close = related[briefing.slug] if related else tuple(b.slug for b in related_briefings(site, briefing))
    newer = site.briefings[index - 1] if index > 0 else None
    older = site.briefings[index + 1] if index + 1 < len(site.briefings) else None
    return {"briefing": briefing, "issues": site.issues_of(briefing), "newer": newer, "older": older,
            "related": tuple(site.briefing(slug) for slug in close), "structured_data": news_article(site, briefing),
            "summary_opens_body": briefing.body.summary_first, **involved(site, briefing, language),
            "pdf": briefing_pdf_path(briefing) if site.config.briefing_pdfs and not site.root else None}


def home_values(site: Site, language: Language) -> dict:
    """The home page's short lists: the most quoted people and the countries in most briefings."""
    quoted = sorted((person for person in site.people if person.quotes), key=lambda p: (-len(p.quotes), sort_key(p.name)))
    named = language.countries(site.countries)
    countries = sorted(named, key=lambda c: (-len(c.briefings), sort_key(c.name)))[:HOME_COUNTRIES]
    return {"people": tuple(Ref(p.name, p.output_path, len(p.quotes)) for p in quoted[:HOME_PEOPLE]),
            "countries": tuple(Ref(c.name, c.output_path) for c in sorted(countries, key=lambda c: sort_key(c.name)))}


def involved(site: Site, briefing: Briefing, language: Language | None = None) -> dict:
    """A briefing's quotations (speakers' pages resolved) and links to the countries and organisations it involves."""
    countries = sorted((language.named(site.country(code)) if language else site.country(code) for code in briefing.countries),
                       key=lambda c: sort_key(c.name))
    # Without a gazetteer, two spellings of one name are one organisation: link it once.
    named = {o.output_path: o for o in (site.organisation(name) for name in briefing.organisations)}
    organisations = sorted(named.values(), key=lambda o: sort_key(o.name))
    return {"quotes": site.quotes_of(briefing),
            "countries": tuple(Ref(c.name, c.output_path) for c in countries),
            "organisations": tuple(Ref(o.name, o.output_path) for o in organisations)}


INDEXES = {  # kind -> (index page, its template, its title, what it lists)
    "person": ("people/index.html", "people.html", N_("People"), N_("Everyone quoted in the briefings, and what they said.")),
    "country": ("countries/index.html", "countries.html", N_("Countries"), N_("Every country the briefings involve.")),
    "organisation": ("organisations/index.html", "organisations.html", N_("Organisations"),
                     N_("Every organisation the briefings name.")),
}


def entity_pages(site: Site, language: Language) -> list[Page]:
    """The index of people, countries and organisations, and a page for each (long lists of briefings paginated)."""
    pages = []
    countries = language.countries(site.countries)
    for kind, entities in (("person", site.people), ("country", countries), ("organisation", site.organisations)):
        path, template, title, description = INDEXES[kind]
        index = Page(path, template, language.gettext(title), language.gettext(description))
        pages += paginate(entities, INDEX_PAGE_SIZE, path.removesuffix("index.html"), index, language, "entities")
        for entity in entities:
            pages += entity_page(site, entity, language)
    return pages


def entity_page(site: Site, entity: Entity, language: Language) -> list[Page]:
    """One person's page (their quotations, by briefing), or a country's or organisation's (its briefings, paginated)."""
    described = language.gettext(ENTITY_DESCRIPTION, name=entity.name, site=site.config.title)
    values = {"entity": entity, "quoted": quoted_in(entity.quotes)}
    if entity.kind == "person":
        quoting = {said.briefing.slug for said in entity.quotes}
        values["named_in"] = tuple(b for b in entity.briefings if b.slug not in quoting)
        return [Page(entity.output_path, "person.html", entity.name, described, values)]
    folder = entity.output_path.removesuffix("index.html")
    return paginate(entity.briefings, site.config.page_size, folder,
                    Page(entity.output_path, f"{entity.kind}.html", entity.name, described, values), language)


def quoted_in(quotes: tuple[Said, ...]) -> tuple[Quoted, ...]:
    """Quotations (newest briefing first) grouped under their briefing, keeping their order."""
    groups = (tuple(items) for _, items in groupby(quotes, key=lambda said: said.briefing.slug))
    return tuple(Quoted(group[0].briefing, group) for group in groups)


def timeline(briefings: tuple[Briefing, ...]) -> tuple[Timeline, ...]:
    """Briefings (newest first) by year, then month."""
    return tuple(Timeline(year, months_of(items)) for year, items in groupby(briefings, key=lambda b: b.date.year))


def months_of(briefings) -> tuple[Month, ...]:
    """One year's briefings (newest first) by month."""
    return tuple(Month(month, tuple(items)) for month, items in groupby(briefings, key=lambda b: b.date.month))


def paginate(briefings: tuple, size: int, folder: str, first: Page, language: Language,
             key: str = "briefings") -> list[Page]:
    """Split a list of briefings (or of what `key` names) into pages: `first` itself, then <folder>page/2/index.html, ...

    The values in FIRST_PAGE_ONLY (an issue's timeline and statements) are given to page 1 alone, as empty
    lists to the others: then an edit to one briefing re-renders only the pages that show it.
    """
    chunks = [briefings[start:start + size] for start in range(0, len(briefings), size)] or [()]
    pagers = [Pager(n, len(chunks), first.output_path, folder, len(briefings)) for n in range(1, len(chunks) + 1)]
    later = {**first.values, **{key: () for key in FIRST_PAGE_ONLY if key in first.values}}
    return [replace(first, output_path=pager.path_of(pager.number),
                    title=first.title if pager.number == 1 else language.gettext(
                        NUMBERED_TITLE, title=first.title, number=language.number(pager.number)),
                    values={**(first.values if pager.number == 1 else later), key: chunk, "pager": pager})
            for pager, chunk in zip(pagers, chunks)]


FIRST_PAGE_ONLY = ("timeline", "quoted")


def related_table(site: Site, memo: dict) -> dict[str, tuple[str, ...]]:
    """Each briefing's related briefings, by slug; kept in `memo` while no briefing is added, removed,
    re-dated or moved between issues (the only things relatedness depends on)."""
    key = hashlib.sha256(repr([(b.slug, b.date.timestamp(), b.issues) for b in site.briefings]).encode()).hexdigest()
    if memo.get("key") != key:
        memo.clear()  # kept as pairs, immutable: the cache sees it unchanged without pickling it to compare
        memo.update(key=key, table=tuple((b.slug, tuple(r.slug for r in related_briefings(site, b)))
                                         for b in site.briefings))
    return related_lookup(memo)


def related_lookup(memo: dict) -> dict[str, tuple[str, ...]] | None:
    """The related briefings `memo` keeps (see related_table), by slug; None when it keeps none."""
    return dict(memo["table"]) if "table" in memo else None


def related_of(memo: dict, site: Site, slugs: Iterable[str]) -> dict[str, tuple[str, ...]] | None:
    """related_at for some briefings of `site`: the pages a kept plan makes again need no lookup of the whole table."""
    found: dict[str, tuple[str, ...]] = {}
    for slug in slugs:
        one = related_at(memo, site.index_of(slug), slug)
        if one is None or len(one) != 1:  # no table, or the whole lookup: the table is not in the site's order
            return one
        found.update(one)
    return found


def related_at(memo: dict, index: int, slug: str) -> dict[str, tuple[str, ...]] | None:
    """What related_lookup gives for the briefing `slug` alone, found at its `index` in the site's order (the
    table's, unless the site changed since): the page of one briefing, without a lookup of the whole table."""
    table = memo.get("table")
    if table is not None and index < len(table) and table[index][0] == slug:
        return {slug: table[index][1]}
    return related_lookup(memo)


def related_briefings(site: Site, briefing: Briefing, limit: int = 4) -> tuple[Briefing, ...]:
    """Other briefings sharing the most issues with this one, the nearest in time first.

    Only neighbours in time are looked at: in the list of each pair of its issues (briefings sharing two or more),
    the `limit` nearest on either side and any as near as the last of them, which are all that can rank (the
    lists are sorted by date, so distance grows away from the briefing); then, unless those already make `limit`,
    the 2 * `limit` nearest on either side in each issue's own list (sharing one). The whole of a pair's list would
    cost the square of the archive's size.
    """
    mine, times = briefing.issues, site.times()
    moment = times[briefing.slug]
    shared: dict[str, int] = {}
    for first, second in itertools.combinations(mine, 2):
        slugs, places = site.in_both(first, second)
        place = places[briefing.slug]
        for side in (range(place - 1, -1, -1), range(place + 1, len(slugs))):
            taken, last = 0, 0
            for number in side:
                slug = slugs[number]
                away = abs(times[slug] - moment)
                if taken >= limit and away > last:
                    break
                shared[slug], taken, last = 2, taken + 1, away
    if len(shared) < limit:  # otherwise a briefing sharing one issue cannot rank
        for issue in mine:
            place = site.place_in(issue, briefing.slug)
            for other in site.briefings_of(issue)[max(0, place - 2 * limit): place + 2 * limit + 1]:
                shared.setdefault(other.slug, 1)
        shared.pop(briefing.slug, None)
    # A few dozen at most: sorting them costs less than heapq.nsmallest, and gives the same (each key is unique).
    ranked = sorted(shared, key=lambda slug: (-shared[slug], abs(times[slug] - moment), slug))
    return tuple(site.briefing(slug) for slug in ranked[:limit])


def archive_years(briefings: tuple[Briefing, ...]) -> list[Year]:
    """Group briefings (newest first) by year."""
    return [Year(year, tuple(items)) for year, items in groupby(briefings, key=lambda b: b.date.year)]


ARCHIVE_YEAR = N_("Archive: %(year)s")
ARCHIVE_YEAR_DESCRIPTION = N_("The briefings of %(site)s published in %(year)s.")


def archive_pages(site: Site, language: Language) -> list[Page]:
    """The archive: an index of years with their counts, and a page per year (paginated when the year is long)."""
    years = archive_years(site.briefings)
    links = tuple(YearLink(y.year, len(y.briefings), f"archive/{y.year}/index.html") for y in years)
    say = language.gettext
    pages = [Page("archive/index.html", "archive.html", say(ARCHIVE), site.config.description, {"years": links})]
    for y in years:
        first = Page(f"archive/{y.year}/index.html", "archive_year.html", say(ARCHIVE_YEAR, year=y.year),
                     say(ARCHIVE_YEAR_DESCRIPTION, site=site.config.title, year=y.year), {"year": y.year, "years": links})
        pages += paginate(y.briefings, ARCHIVE_PAGE_SIZE, f"archive/{y.year}/", first, language)
    return pages


ARCHIVE_PAGE_SIZE = 200  # one line each: a busy year stays a few pages of ~60 KB
INDEX_PAGE_SIZE = 200  # people, countries or organisations, one line each, as on an archive year's pages


def templates_digest(*folders: Path) -> str:
    """A digest of the names and bytes of every file in some folders (a theme's chain of templates, or catalogues)."""
    return files_digest(folder_files(*folders))


@functools.lru_cache(maxsize=8)
def files_digest(files: tuple[tuple[int, str, bytes], ...]) -> str:
    """templates_digest of the files folder_files gave (made once for them)."""
    digest = hashlib.sha256()
    for place, name, data in files:  # named within its theme: a clone elsewhere, the same digest
        digest.update(f"{place}/{name}".encode() + data)
    return digest.hexdigest()


@functools.lru_cache(maxsize=8)
def make_environment(templates: Path | tuple[Path, ...], digest: str) -> jinja2.Environment:
    """A sandboxed Jinja environment over a theme's templates folders (its own first, then its parents'):
    autoescape everywhere, undefined names are errors.

    Kept by the process per folders and `digest` (their theme_digest, so an edited template or catalogue gives a
    new one): a preview would otherwise spend more compiling the theme on each save than rendering the page.
    Templates speak through Jinja's i18n extension; each page is given the gettext functions of its language.
    """
    folders = (templates,) if isinstance(templates, Path) else templates
    chain = Theme(folders[0].parent.name, tuple(folder.parent for folder in folders))
    environment = Sandbox(
        loader=make_loader(chain), autoescape=True, extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        auto_reload=False)  # kept for this digest of the templates: their files' times need not be asked on each page
    environment.newstyle_gettext = True  # {% trans %} passes its values to our gettext, which escapes them
    environment.globals["url"] = url
    environment.globals["absolute_url"] = absolute
    environment.globals["issue_feed_path"] = issue_feed_path
    environment.globals["lang_of"] = lang_of
    environment.trusted.update((url, absolute, issue_feed_path, lang_of))
    environment.filters["bidi"] = isolate_direction
    environment.filters["long_date"] = long_date
    environment.filters["iso_date"] = iso_date
    environment.filters["direction"] = direction
    environment.filters["by_month"] = months_of
    environment.filters["number"] = number
    environment.filters["language_name"] = name_language
    environment.languages = {}  # (tag, time zone) -> the Language and the values each of its pages is given
    environment.theme_templates = templates if isinstance(templates, tuple) else (templates,)  # where speak() finds catalogues
    return environment


@functools.lru_cache(maxsize=8)
def theme_digests(templates: tuple[Path, ...], digest: str) -> dict[str, str]:
    """Each template's digest with what it brings in (themes.template_digests), kept like the environment."""
    return template_digests(make_environment(templates, digest), digest)


def template_uses(chain: Theme, whole: str, memo: BuildCache) -> dict[str, str]:
    """theme_digests, kept in `memo` while the theme (its digest `whole` and its folders' names) stays the same:
    finding what each template brings in parses every template."""
    key = repr((whole, [folder.name for folder in chain.folders]))
    uses = memo.uses.get(key)
    if uses is None:
        uses = theme_digests(chain.templates, whole)
        memo.uses = {key: uses}
    return uses


def theme_digest(chain: Theme) -> str:
    """A digest of every template and message catalogue of a theme's chain: an edit to either changes pages."""
    return templates_digest(*chain.templates, *(folder / "locale" for folder in chain.folders))


def speak(environment: jinja2.Environment, theme_name: str, tag: str, timezone: str) -> Language:
    """The language `tag` as the environment's theme speaks it (the nearest catalogue of the chain), loaded once."""
    known = environment.languages.get((tag, timezone))
    if known is None:
        folders = [Path(templates).parent for templates in environment.theme_templates]
        theme_dir = next((folder for folder in folders if catalogue_path(folder, tag)), folders[0])
        language = load_language(theme_dir, theme_dir.name, tag, timezone)
        known = environment.languages[(tag, timezone)] = (language, page_callables(language))
        environment.trusted.update(value for value in known[1].values() if callable(value))
    return known[0]


def theme_warnings(theme_dir: Path, theme_name: str, tags: list[str]) -> list[ContentError]:
    """Warnings for the theme's messages that the catalogues of the languages `tags` do not translate."""
    chain = load_theme(theme_dir.parent, theme_name)
    used = [found for templates in chain.templates for found in used_messages(templates, templates.parent.name)]
    catalogues = lambda tag: next((folder for folder in chain.folders if catalogue_path(folder, tag)), theme_dir)  # noqa: E731
    return [problem for tag in tags for problem in missing_messages(catalogues(tag), catalogues(tag).name, tag, used)]


def reads(*names: str):
    """Mark a function given the context with the names it reads there: called where a loop or block set none of
    them, the context it is given need not be derived with what they set (what Jinja does for every such call)."""
    def mark(function):
        function.context_reads = frozenset(names)
        return function
    return mark


@reads("page", "site")
@jinja2.pass_context
def url(context, target: str) -> str:
    """The relative link from the page being rendered to the output file `target`.

    The 404 page is the exception: GitHub Pages serves it at whatever depth was asked for, so no relative
    link can work there, and its links are absolute (a <base> would break its skip link instead).
    """
    page, root = context["page"], context["site"].root
    if page.output_path == NOT_FOUND:
        return context["site"].config.base_url + quote(target)
    if root and is_shared(target):  # one copy of the theme's and brand's files serves every language
        return relative_link((root + page.output_path).rpartition("/")[0], target)
    # The folder of a clean output path (no slash at either end, none doubled): what posixpath.dirname gives, in a
    # third of its time (a page makes about thirty links).
    return relative_link(page.output_path.rpartition("/")[0], target)


def is_shared(target: str) -> bool:
    """True for a file every language's pages share: the theme's and brand's static files, the favicons at the top."""
    return target.startswith("static/") or ("/" not in target and not target.endswith((".html", ".xml", ".json")))


NOT_FOUND = "404.html"


@functools.lru_cache(maxsize=65536)
def relative_link(folder: str, target: str) -> str:
    """The link from a page in `folder` ('' for the root) to `target`: both are clean output paths."""
    here, there = folder.split("/") if folder else [], target.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    return "/".join([".."] * (len(here) - common) + there[common:])


CONTEXT = jinja2.pass_context(lambda context: None).jinja_pass_arg  # the mark of a function given the context
EVAL_CONTEXT = jinja2.pass_eval_context(lambda eval_ctx: None).jinja_pass_arg  # and of one given the eval context


class Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, remembering its verdict per (type, attribute): the rule depends on nothing else.

    Two checks are skipped where they cannot fail, because templates make millions of these calls on a large
    site: reading a field of one of Broadside's dataclasses (plain data, never a method), and calling a macro, one
    of the functions Broadside itself gives templates (`trusted`: links, gettext) or a method of one of its classes,
    which is then called directly rather than through Jinja's Context.call (it asks each callable twice what it
    takes: ~1.5 us of a call, and in a loop that sets a name derives a new context for the call: ~2.5 us more; the
    links of every page's menu are made in such a loop).
    """

    def __init__(self, **options):
        super().__init__(**options)
        self.verdicts: dict[tuple[type, str], bool] = {}
        self.fields: dict[type, frozenset[str]] = {}
        self.trusted: set = set()
        self.own: dict[type, bool] = {}  # whether a type is one of Broadside's own (its methods are trusted too)

    def getattr(self, obj, attribute: str):
        kind = type(obj)
        fields = self.fields.get(kind)
        if fields is None:
            fields = self.fields[kind] = frozenset(_field_names(kind)) if dataclasses.is_dataclass(kind) else frozenset()
        if attribute in fields:
            return getattr(obj, attribute)
        return super().getattr(obj, attribute)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's signature
        if type(__obj) is jinja2.runtime.Macro:
            given = None
        elif __obj in __self.trusted or (type(__obj) is types.MethodType and __self.is_own(type(__obj.__self__))
                                          and __self.is_safe_callable(__obj)):
            given = getattr(__obj, "jinja_pass_arg", None)  # what jinja2.pass_context and its kin mark a function with
        else:
            return super().call(__context, __obj, *args, **kwargs)
        # As Context.call does it, without asking the callable twice what it takes: a macro takes nothing more, a
        # function marked pass_eval_context the eval context, one marked pass_context the context, which must first
        # be derived with the names a loop or block set, unless the function reads none of them (`reads`).
        if given is CONTEXT:
            if (kwargs.get("_loop_vars") or kwargs.get("_block_vars")) and __self.shadowed(__obj, kwargs):
                return __context.call(__obj, *args, **kwargs)
        elif given is not None and given is not EVAL_CONTEXT:
            return __context.call(__obj, *args, **kwargs)
        kwargs.pop("_loop_vars", None)
        kwargs.pop("_block_vars", None)
        try:
            if given is None:
                return __obj(*args, **kwargs)
            return __obj(__context if given is CONTEXT else __context.eval_ctx, *args, **kwargs)
        except StopIteration:  # Jinja's own answer: a callable that stops an iteration gives an undefined value
            return __context.environment.undefined("the value is undefined: a callable raised StopIteration")

    def is_own(self, kind: type) -> bool:
        """True for a class of Broadside's own (the site, its briefings, languages): a template may call its methods
        (site.issues_of(briefing)) as it may call the functions Broadside gives it."""
        own = self.own.get(kind)
        if own is None:
            own = self.own[kind] = kind.__module__.startswith(f"{__package__}.")
        return own

    @staticmethod
    def shadowed(function, kwargs: dict) -> bool:
        """True when the loop or block a call is in set a name that `function` may read from the context (any name,
        when it does not say which it reads): only a context derived with them then gives it what Jinja would."""
        reads = getattr(function, "context_reads", None)
        return reads is None or any(names and not reads.isdisjoint(names)
                                    for names in (kwargs.get("_loop_vars"), kwargs.get("_block_vars")))

    def is_safe_attribute(self, obj, attr: str, value) -> bool:
        key = (type(obj), attr)
        verdict = self.verdicts.get(key)
        if verdict is None:
            verdict = self.verdicts[key] = super().is_safe_attribute(obj, attr, value)
        return verdict


@reads("lang")
@jinja2.pass_context
def lang_of(context, item: Briefing | Issue) -> Markup:
    """' lang="en"' for an element showing text of a language other than the page's ('' otherwise)."""
    return Markup(' lang="{}"').format(item.lang) if item.lang and item.lang != context["lang"] else Markup("")


@jinja2.pass_context
def isolate_direction(context, text: str) -> str | Markup:
    """Text whose first strong letter runs against the page (Arabic in an English page, English in a Hebrew one),
    isolated in <bdi>, so it keeps its own direction without reordering what surrounds it; other text as it is."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("L", "R", "AL"):
            if (kind == "L") != (context["text_dir"] == "ltr"):
                return Markup("<bdi>{}</bdi>").format(text)
            return text
    return text


@reads("site")
@jinja2.pass_context
def absolute(context, target: str) -> str:
    """The absolute URL of an output file, for the few places a standard needs one (canonical, Open Graph)."""
    site = context["site"]
    if site.root and is_shared(target):  # the shared files are at the top of the site, not in the language's folder
        return absolute_url(replace(site.config, base_url=site.config.base_url.removesuffix(site.root)), target)
    return absolute_url(site.config, target)


def news_article(site: Site, briefing: Briefing) -> dict:
    """schema.org NewsArticle data for a briefing page (rendered as JSON-LD with |tojson)."""
    source = briefing.source
    data = {
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": briefing.title,
        "datePublished": briefing.date.isoformat() if briefing.date_precision == "day"
        else iso_date(briefing.date, briefing.date_precision), "url": absolute_url(site.config, briefing.output_path),
        "publisher": {"@type": "Organization", "name": site.config.title, "url": site.config.base_url},
        "keywords": [site.issue(slug).title for slug in briefing.issues],
    }
    if briefing.summary:
        data["description"] = briefing.summary
    if source.author:
        data["author"] = {"@type": "Person", "name": source.author}
    if source.url:
        data["isBasedOn"] = source.url
    if site.config.languages or site.root:  # a site in several languages says which one each briefing is in
        data["inLanguage"] = site.config.language
    return data


@jinja2.pass_context
def long_date(context, moment: datetime, precision: str = "day") -> str:
    """The one place pages format a date: '28 June 2021', '28 juin 2021', 'June 2021' or '2021' (as precise as the
    source), in the page's language."""
    return context["language"].date(moment, precision)


@jinja2.pass_context
def number(context, value: int) -> str:
    """A number as the page's language writes it."""
    return context["language"].number(value)


@jinja2.pass_context
def name_language(context, tag: str) -> str:
    """The name of the language `tag` in the page's language."""
    return context["language"].language_name(tag)


def iso_date(moment: datetime, precision: str = "day") -> str:
    """'2021-06-28', '2021-06' or '2021', for <time datetime> and JSON-LD."""
    if moment.year < 1000:  # strftime's year is not padded to four digits: keep what pages have always said
        return moment.strftime({"year": "%Y", "month": "%Y-%m"}.get(precision, "%Y-%m-%d"))
    day = moment.date().isoformat()  # a fifth of strftime's time, which every card's date paid
    return day[:4] if precision == "year" else day[:7] if precision == "month" else day


def render_page(environment: jinja2.Environment, site: Site, page: Page, theme_name: str) -> bytes:
    """Render one page, turning template mistakes into located errors."""
    edition = site.edition(page.root)
    shown = replace(page, output_path=page.output_path[len(page.root):]) if page.root else page
    language = edition.config.language
    return render_template(environment, theme_name, shown, {"site": edition, "lang": language,
                                                            "text_dir": text_direction(language), "versions": page.versions,
                                                            **page.values})


def render_template(environment: jinja2.Environment, theme_name: str, page: Page, values: dict) -> bytes:
    """Render `page`'s template with `values` in the page's language, turning template mistakes into located errors
    (in whichever theme of the chain they are)."""
    own = f"themes/{theme_name}/templates/{page.template}"
    config = values["site"].config if "site" in values else values["config"]  # a PDF's template has no site
    values = {"lang": config.language, **values}  # a page in a language's folder is given its own
    language = speak(environment, theme_name, values["lang"], config.timezone)
    try:
        template = environment.get_template(page.template)
        return template.render(page=page, language=language, **environment.languages[(language.tag, config.timezone)][1],
                               **values).encode("utf-8")
    except jinja2.TemplateSyntaxError as error:
        raise BuildFailed([ContentError(theme_file(error.filename, f"themes/{theme_name}/templates/{error.name or page.template}"),
                                        error.lineno, error.message or "template syntax error", "fix the template")]) from None
    except jinja2.TemplateNotFound as error:
        raise BuildFailed([ContentError(f"themes/{theme_name}/templates/{error.name}", None,
                                        "template is missing", "every theme needs home, briefing, briefings, issue, issues, archive, archive_year, search, "
                                        "people, person, countries, country, organisations, organisation and 404 templates")]) from None
    except (jinja2.UndefinedError, jinja2.exceptions.SecurityError, TypeError, ValueError) as error:
        where, line = template_position(error, own)
        raise BuildFailed([ContentError(where, line, f"{error} (rendering {page.output_path})", "check the names the template uses")]) from None


def template_position(error: BaseException, fallback: str) -> tuple[str, int | None]:
    """Find the innermost template file (as themes/<theme>/templates/<name>) and line in an exception's traceback."""
    found = (fallback, None)
    trace = error.__traceback__
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if filename.endswith(".html") and "/templates/" in filename.replace(os.sep, "/"):
            found = (theme_file(filename, fallback), trace.tb_lineno)
        trace = trace.tb_next
    return found


def read_theme_static(theme: Theme) -> dict[str, bytes]:
    """The static files of a theme's chain as static/<path>: a theme's own file wins over its parent's."""
    files: dict[str, bytes] = {}
    for folder in reversed(theme.folders):
        files.update(read_static(folder / "static", f"themes/{folder.name}/static"))
    return dict(sorted(files.items()))


def read_static(folder: Path, rel: str) -> dict[str, bytes]:
    """Collect the theme's static files as static/<path>, refusing links and special files."""
    files, problems = {}, []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names) + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            path = os.path.join(root, name)
            inner = os.path.relpath(path, folder).replace(os.sep, "/")
            if not stat.S_ISREG(os.lstat(path).st_mode):
                problems.append(ContentError(f"{rel}/{inner}", 1, "symlinks/special files are not allowed in static/", "copy the real file in"))
                continue
            with open(path, "rb") as handle:
                files[f"static/{inner}"] = handle.read()
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
    if problems:
        raise BuildFailed(problems)
    return files
