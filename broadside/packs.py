"""Takes a Site's packs (and, when asked, its briefings) and its theme and gives their PDFs and the packs' pages.

A PDF is the theme's `pack.html` (or `briefing_pdf.html`) rendered with Jinja, then laid out by WeasyPrint with
the theme's print stylesheet (`pdf/pack.css`) in layout.py, so a site without packs or briefing PDFs never needs
WeasyPrint (nor the Pango it loads).
"""
from __future__ import annotations

import hashlib
import html as html_lib
import posixpath
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable

import jinja2
from markupsafe import Markup

from .cache import code_version
from .errors import BuildFailed, ContentError
from .i18n import N_, Language, english_words
from .model import DEFAULT_BASE_URL, Briefing, Config, Pack, Site
from .layout import STYLESHEET, Layouts, PdfSize, Sheet, lay_out, lay_out_all, load_weasyprint
from .themes import Theme, load_theme
from .workers import Apart, can_fork


@dataclass(frozen=True)
class Entry:
    """One briefing as a PDF shows it: the briefing, the link to its page on the site, its issues' titles."""

    briefing: Briefing
    link: str
    issues: tuple[str, ...]
    anchor: str

    @property
    def lead(self) -> bool:
        """The summary is shown above the body: it is not the body's first paragraph already (found when read)."""
        return bool(self.briefing.summary) and not self.briefing.body.summary_first

    @property
    def body(self) -> Markup:
        """The briefing's body, its right-to-left paragraphs marked as such (made when shown: the briefing's digest
        stands for it in the PDF's fingerprint)."""
        return Markup(print_tables(mark_direction(self.briefing.body.html)))


@dataclass(frozen=True)
class PdfJob:
    """One PDF to make: where it goes, from which template and values, and the file to blame if it fails; `key`, when
    given, stands for the values in its fingerprint (all they are made from, quicker to digest)."""

    output_path: str
    template: str
    title: str
    source_path: str
    values: dict = field(default_factory=dict)
    key: tuple | None = None


@dataclass(frozen=True)
class PdfResult:
    """What making the PDFs gave: each file (None when unchanged), its fingerprint, its size."""

    files: dict[str, object]
    fingerprints: dict[str, str]
    sizes: dict[str, PdfSize]


def pdf_jobs(site: Site) -> list[PdfJob]:
    """Every PDF the site asks for: one per pack, and one per briefing when `briefing_pdfs` is on."""
    return pack_jobs(site) + briefing_jobs(site)


def pack_jobs(site: Site) -> list[PdfJob]:
    """A PDF per pack."""
    return [pack_job(site, pack) for pack in site.packs]


def briefing_jobs(site: Site) -> list[PdfJob]:
    """A PDF per briefing, when `briefing_pdfs` is on."""
    return [briefing_job(site, briefing) for briefing in site.briefings] if site.config.briefing_pdfs else []


def pack_job(site: Site, pack: Pack) -> PdfJob:
    """The pack's PDF: its cover, contents, issues, briefings and sources."""
    entries = tuple(entry_for(site, site.briefing(slug), pack.pdf_path) for slug in pack.chosen)
    issues = tuple(site.issue(slug) for slug in site.issues_in(pack))
    return PdfJob(pack.pdf_path, "pack.html", pack.title, pack.source_path,
                  {"pack": pack, "issues": issues, "entries": entries, "sources": sources_of(entries),
                   "foreword": Markup(print_tables(mark_direction(pack.body.html)))})


def briefing_job(site: Site, briefing: Briefing) -> PdfJob:
    """A briefing's own PDF, beside its page."""
    entry = entry_for(site, briefing, briefing_pdf_path(briefing))
    # The entry's link and anchor come from the slug and the settings (in every PDF's salt), its sources from the
    # briefing: the briefing's digest and its issues' titles are all the values are made from.
    return PdfJob(briefing_pdf_path(briefing), "briefing_pdf.html", briefing.title, briefing.source_path,
                  {"entry": entry, "sources": sources_of((entry,))}, (briefing.slug, briefing.digest, entry.issues))


def briefing_pdf_path(briefing: Briefing) -> str:
    """Where a briefing's PDF lands: beside its page."""
    return f"briefings/{briefing.slug}/{briefing.slug}.pdf"


def entry_for(site: Site, briefing: Briefing, pdf_path: str) -> Entry:
    """A briefing with the link to its page, made from the PDF's place, and its issues' titles."""
    return Entry(briefing, link_from(site.config, pdf_path, briefing.output_path),
                 tuple(issue.title for issue in site.issues_of(briefing)), f"briefing-{briefing.slug}")


# An element that opens a block of text, without attributes, and the text it starts with.
BLOCK_START = re.compile(r"<(p|li|h[1-6]|blockquote|td|th|dt|dd)>([^<]*)")


def mark_direction(html: str) -> str:
    """Mark each block of text that starts in a right-to-left script (Arabic, Hebrew, ...) with dir="rtl", so that
    the PDF sets it from the right (WeasyPrint does not guess a paragraph's direction)."""
    return BLOCK_START.sub(lambda found: f'<{found[1]} dir="rtl">{found[2]}' if direction(found[2]) == "rtl"
                           else found[0], html)


def direction(text: str) -> str:
    """'rtl' when the first letter of `text` with a direction is right-to-left, else 'ltr'."""
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


# A table (not one inside another), a row, a cell: as Python-Markdown and the sanitiser write them.
TABLE = re.compile(r"(<table\b[^>]*>)((?:(?!<table\b).)*?)</table>", re.S)
ROW = re.compile(r"<tr\b[^>]*>(.*?)</tr>", re.S)
CELL = re.compile(r"<(th|td)\b[^>]*>.*?</\1>", re.S)
TAG = re.compile(r"<[^>]+>")
# Where a line of a cell may break: spaces, and after a hyphen or a slash.
BREAKS = re.compile(r"\s+|(?<=[-/])")
# What a printed table's columns may take, in characters of the table's type (8 pt DejaVu Sans across the text
# width of A4 or Letter holds about 95); a column asks for its longest word, and for up to WRAP characters of text.
LINE = 88
WRAP = 18


def print_tables(html: str) -> str:
    """Give each table's columns widths from their text, and split a table too wide for the page into tables of a
    few columns each, its first column (what each row is about) repeated in each: a reader of the printed page reads
    every word whole, where WeasyPrint would squeeze the columns to a letter a line. Tables with merged cells are left
    as they are."""
    return TABLE.sub(lambda found: split_table(found[1], found[2]), html)


def split_table(opening: str, inner: str) -> str:
    """One table as one or more tables that fit the page's width."""
    if "colspan" in inner or "rowspan" in inner:
        return f"{opening}{inner}</table>"
    rows = [[cell[0] for cell in CELL.finditer(row)] for row in ROW.findall(inner)]
    needs = column_needs(rows)
    if not needs:
        return f"{opening}{inner}</table>"
    return "\n".join(table_part(opening, inner, group, needs) for group in column_groups(needs))


def column_needs(rows: list[list[str]]) -> list[int]:
    """How many characters each column asks for: its longest word, and up to WRAP characters of its text."""
    needs: list[int] = []
    for row in rows:
        for number, cell in enumerate(row):
            text = html_lib.unescape(TAG.sub("", cell)).strip()
            longest = max((len(word) for word in BREAKS.split(text)), default=0)
            if number == len(needs):
                needs.append(0)
            needs[number] = max(needs[number], max(longest, min(len(text), WRAP)) + 2)  # 2: the cell's padding
    return needs


def column_groups(needs: list[int]) -> list[list[int]]:
    """The columns of each printed table: as many as the line holds, after the first column, which each repeats."""
    groups = [[0]]
    for number in range(1, len(needs)):
        if len(groups[-1]) > 1 and sum(needs[column] for column in groups[-1]) + needs[number] > LINE:
            groups.append([0])
        groups[-1].append(number)
    return groups


def table_part(opening: str, inner: str, group: list[int], needs: list[int]) -> str:
    """The table with the columns of `group` only, each as wide as its share of what they ask for."""
    total = sum(needs[column] for column in group)
    widths = "".join(f'<col style="width: {100 * needs[column] / total:.2f}%">' for column in group)
    kept = set(group)

    def keep_cells(row: re.Match) -> str:
        cells = [cell[0] for number, cell in enumerate(CELL.finditer(row[1])) if number in kept]
        return row[0][:row[0].index(">") + 1] + "\n".join(cells) + "</tr>"

    return f'{opening}<colgroup>{widths}</colgroup>{ROW.sub(keep_cells, inner)}</table>'


def link_from(config: Config, pdf_path: str, target: str) -> str:
    """The link from a PDF to a page of the site: absolute under the site's base_url, or relative (for a PDF read
    beside an offline copy of the site) when the site has none."""
    if config.base_url != DEFAULT_BASE_URL:
        return config.base_url + target
    return posixpath.relpath(target, posixpath.dirname(pdf_path) or ".")


def sources_of(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
    """The briefings that name a source, in the order the PDF shows them."""
    return tuple(entry for entry in entries if entry.briefing.source.publication or entry.briefing.source.url)


def pdf_paths(site: Site) -> list[str]:
    """Where every PDF the site asks for goes (what `pdf_jobs` gives, without making the jobs)."""
    return [pack.pdf_path for pack in site.packs] + (
        [briefing_pdf_path(briefing) for briefing in site.briefings] if site.config.briefing_pdfs else [])


class PdfWork:
    """The PDFs of a build, being made while the pages are rendered: their paths at once, the packs' sizes (which the
    packs' pages show) as soon as the packs' PDFs are made, everything at the end. Leaving it stops the making."""

    NONE = PdfResult({}, {}, {})

    def __init__(self, paths: list[str], packs: PdfResult = NONE, rest: PdfResult = NONE, apart: Apart | None = None,
                 has_packs: bool = True):
        self.paths, self.apart, self.has_packs = paths, apart, has_packs
        self.packs, self.rest = (None, None) if apart else (packs, rest)

    def pack_sizes(self) -> dict[str, PdfSize]:
        """The size of each pack's PDF (waiting for those being made)."""
        if self.packs is None and not self.has_packs:
            return {}
        if self.packs is None:
            self.packs = self.apart.receive()
        return self.packs.sizes

    def result(self) -> PdfResult:
        """Every PDF: made (its stand-in), or None when unchanged, with its fingerprint and size (waiting for them)."""
        if self.packs is None:
            self.packs = self.apart.receive()
        if self.rest is None:
            self.rest = self.apart.receive()
            self.apart.wait()
        return PdfResult({**self.packs.files, **self.rest.files}, {**self.packs.fingerprints, **self.rest.fingerprints},
                         {**self.packs.sizes, **self.rest.sizes})

    def __enter__(self) -> PdfWork:
        return self

    def __exit__(self, *exception) -> None:
        """Stop the making if the build failed, or was interrupted, before it was done (nothing once it is done)."""
        if self.apart is not None:
            self.apart.stop()


def start_pdfs(site: Site, environment: jinja2.Environment, theme_dir: Path, theme_digest: str,
               previous: dict[str, str], jobs: int, deliver: Callable[[dict[str, bytes]], dict],
               layouts: Layouts | None = None) -> PdfWork:
    """Start making the PDFs whose fingerprint changed since the build whose fingerprints are `previous`.

    With workers, the PDFs are made in a process of their own, which goes on while this one renders the pages: the
    packs' first (their pages need their sizes), then the briefings'. So the second core hides what one edit costs
    (laying out the edited briefing's PDF; `layouts`, started when the build began, has loaded WeasyPrint meanwhile).
    With `jobs` = 1, they are made here and now."""
    paths = pdf_paths(site)
    if not paths:
        return PdfWork(paths)
    if jobs <= 1 or not can_fork():
        return PdfWork(paths, make_pdfs(site, environment, theme_dir, theme_digest, previous, 1, deliver))
    return PdfWork(paths, apart=Apart(_make_apart, site, environment, theme_dir, theme_digest, previous, jobs, deliver,
                                      layouts), has_packs=bool(site.packs))


def _make_apart(send: Callable, site: Site, environment: jinja2.Environment, theme_dir: Path, theme_digest: str,
                previous: dict[str, str], jobs: int, deliver: Callable, layouts: Layouts | None) -> None:
    """In the PDFs' own process: make the packs' PDFs and send what they gave, then the briefings'."""
    for part in (pack_jobs, briefing_jobs):
        send(make_pdfs(site, environment, theme_dir, theme_digest, previous, jobs, deliver, part(site), layouts))
    if layouts is not None:
        layouts.finish()


def make_pdfs(site: Site, environment: jinja2.Environment, theme_dir: Path, theme_digest: str,
              previous: dict[str, str], jobs: int, deliver: Callable[[dict[str, bytes]], dict],
              wanted: list[PdfJob] | None = None, layouts: Layouts | None = None) -> PdfResult:
    """Make the PDFs (`wanted`, or all the site asks for) whose fingerprint changed since the build whose fingerprints
    are `previous` (in forked workers when there are several; laid out by `layouts` when given); the others are None
    in `files`, their sizes taken from their fingerprints."""
    wanted = pdf_jobs(site) if wanted is None else wanted
    if not wanted:
        return PdfResult({}, {}, {})
    stylesheet = read_stylesheet(theme_dir, site.config.theme)
    salt = pdf_salt(site.config, theme_digest, stylesheet)
    digests = {job.output_path: pdf_digest(salt, job) for job in wanted}
    files, fingerprints, sizes = {}, {}, {}
    for job in wanted:
        kept = previous.get(job.output_path, "").split()
        if len(kept) == 3 and kept[0] == digests[job.output_path]:
            files[job.output_path], fingerprints[job.output_path] = None, previous[job.output_path]
            sizes[job.output_path] = PdfSize(job.output_path, int(kept[1]), int(kept[2]))
    stale = [job for job in wanted if job.output_path not in files]
    if not stale:
        return PdfResult(files, fingerprints, sizes)
    sheets = [sheet_for(environment, site.config, job) for job in stale]
    lay_out_sheets = layouts.lay_out if layouts is not None else lay_out_all
    for job, made in zip(stale, lay_out_sheets(sheets, stylesheet, site.config.pack_paper, jobs, deliver)):
        files[job.output_path] = made.stand_in
        sizes[job.output_path] = made.size
        fingerprints[job.output_path] = f"{digests[job.output_path]} {made.size.pages} {made.size.size}"
    return PdfResult(files, fingerprints, sizes)


def stylesheet_folder(chain: Theme, theme_dir: Path) -> Path:
    """The folder of the print stylesheet: the nearest theme's of the chain that has one (else the theme's own)."""
    return next((folder for folder in chain.folders if (folder / STYLESHEET).is_file()), theme_dir)


def read_stylesheet(theme_dir: Path, theme_name: str) -> str:
    """The theme's print stylesheet, which every PDF is laid out with."""
    path = theme_dir / STYLESHEET
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BuildFailed([ContentError(f"themes/{theme_name}/{STYLESHEET}", None,
                                        f"cannot read the print stylesheet: {error}",
                                        f"every theme with packs or briefing PDFs needs {STYLESHEET}")]) from None


def pdf_salt(config: Config, theme_digest: str, stylesheet: str) -> str:
    """What every PDF depends on besides its own values: code, WeasyPrint's version, templates, stylesheet, settings."""
    try:
        version = metadata.version("weasyprint")
    except metadata.PackageNotFoundError:
        version = "none"
    return hashlib.sha256(repr((code_version(), version, theme_digest, stylesheet, config)).encode()).hexdigest()


def pdf_digest(salt: str, job: PdfJob) -> str:
    """A PDF's fingerprint: the salt, and everything its template is given (briefings with their bodies), or its key."""
    from .renderer import fingerprint  # the same digest of values the pages use

    return fingerprint((salt, job.output_path, job.template, job.title, job.values if job.key is None else job.key))


def make_pdf(weasyprint, config: Config, environment: jinja2.Environment, stylesheet: str,
             job: PdfJob) -> tuple[bytes, int]:
    """Lay out one PDF here; give its bytes and its number of pages."""
    return lay_out(weasyprint, sheet_for(environment, config, job), stylesheet, config.pack_paper)


def sheet_for(environment: jinja2.Environment, config: Config, job: PdfJob) -> Sheet:
    """The job's HTML, ready to be laid out (here or in another process)."""
    return Sheet(job.output_path, job.source_path, render_html(environment, config, job))


def render_html(environment: jinja2.Environment, config: Config, job: PdfJob, stylesheet: str = "") -> str:
    """The HTML a PDF is laid out from (with the `stylesheet` inlined, for the preview: WeasyPrint is given it apart)."""
    from .renderer import Page, render_template

    page = Page(job.output_path, job.template, job.title, "")
    return render_template(environment, config.theme, page, {**job.values, "config": config, "stylesheet": Markup(stylesheet),
                                                       "paper": config.pack_paper}).decode("utf-8")


PACKS_TITLE = N_("Briefing packs")
PACKS_DESCRIPTION = N_("Briefing packs of %(site)s, as PDF files to download, print and share.")


def pack_pages(site: Site, sizes: dict[str, PdfSize] | None, language: Language | None = None) -> list:
    """The list of packs and a page per pack: what it holds, its size and the link to its PDF (titles in `language`)."""
    from .renderer import Page

    sizes = sizes or {}
    if not site.packs:
        return []
    language = language or english_words(site.config.language, site.config.timezone)
    pages = [Page("packs/index.html", "packs.html", language.gettext(PACKS_TITLE),
                  language.gettext(PACKS_DESCRIPTION, site=site.config.title),
                  {"packs": tuple((pack, sizes.get(pack.pdf_path)) for pack in site.packs)})]
    for pack in site.packs:
        briefings = tuple(site.briefing(slug) for slug in pack.chosen)
        issues = tuple(site.issue(slug) for slug in site.issues_in(pack))
        pages.append(Page(pack.output_path, "pack_page.html", pack.title, pack.summary or site.config.description,
                          {"pack": pack, "briefings": briefings, "pack_issues": issues, "pdf": sizes.get(pack.pdf_path)}))
    return pages


def preview_pdf(site: Site, theme_dir: Path, output_path: str) -> bytes | None:
    """Make one PDF of `site` on request (the preview does not make them with each build); None when it has none."""
    from .renderer import make_environment, theme_digest

    job = next((job for job in pdf_jobs(site) if job.output_path == output_path), None)
    if job is None:
        return None
    chain = load_theme(theme_dir.parent, site.config.theme)  # templates and stylesheet fall through the chain
    environment = make_environment(chain.templates, theme_digest(chain))
    weasyprint = load_weasyprint(job.source_path)
    stylesheet = read_stylesheet(stylesheet_folder(chain, theme_dir), site.config.theme)
    return make_pdf(weasyprint, site.config, environment, stylesheet, job)[0]


def preview_files(site: Site, environment: jinja2.Environment, theme_dir: Path) -> dict[str, bytes]:
    """Each PDF as the HTML it is made from, beside where the PDF would be, for the preview (fast)."""
    jobs = pdf_jobs(site)
    stylesheet = read_stylesheet(theme_dir, site.config.theme) if jobs else ""
    return {job.output_path.removesuffix(".pdf") + ".html": render_html(environment, site.config, job, stylesheet).encode()
            for job in jobs}
