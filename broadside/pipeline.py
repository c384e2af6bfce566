"""Takes the options of a command and gives its result by running load_config -> read_site -> render_site -> write_site."""
from __future__ import annotations

import contextlib
import os
import re
import time
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .cache import BuildCache, Cache, collections_spaced, deleted_as_damaged, inputs_digest, open_cache, read_cache
from .config import CONFIG_FILE, load_config
from .errors import BuildFailed, ContentError, DamagedCache
from .languages import tag_problem, undeclared_problem
from .layout import Layouts, layouts_before_reading
from .links import check_links
from .progress import Progress, no_progress
from .model import Config, Site, same_but_body
from .reader import briefing_entry, read_entry, read_issues, read_site
from .renderer import (Sink, briefing_page, make_environment, related_at, render_changes, render_page, speak,
                       theme_digest, theme_warnings)
from .themes import load_theme
from .writer import replace_file, staging_for


@dataclass(frozen=True)
class BuildOptions:
    """What `build` and `check` were asked to do."""

    project: Path
    output: Path | None = None
    strict: bool = False
    base_url: str | None = None
    drafts: bool = False
    future: bool = False
    today: date | None = None  # for tests; the site's today otherwise
    jobs: int = os.cpu_count() or 1
    use_cache: bool = True
    pdfs: bool = True  # the preview makes PDFs on request only


@dataclass(frozen=True)
class BuildSummary:
    """What a build did, for the one-line summary and the warnings list."""

    pages: int
    written: int
    unchanged: int
    held_back: tuple[str, ...]
    warnings: tuple[ContentError, ...]
    seconds: float
    notes: tuple[ContentError, ...] = ()  # about the build cache: never errors, even with --strict

    def line(self) -> str:
        """The summary line every build ends with."""
        return (f"Built {self.pages} pages: {self.written} files written, {self.unchanged} unchanged, "
                f"{len(self.held_back)} held back, in {self.seconds:.2f} s")


@dataclass(frozen=True)
class Rendered:
    """A site read, checked and rendered: the files (None: unchanged since the last build; a mark: already staged
    for writing) and warnings."""

    files: dict[str, object]
    fingerprints: dict[str, str]
    warnings: tuple[ContentError, ...]
    held_back: tuple[str, ...]
    site: Site
    basis: tuple | None = None  # what the fingerprints were made from
    pages: int = 0  # how many of the files are HTML pages


def check_project(options: BuildOptions, progress: Progress = no_progress) -> Rendered:
    """Read, check and render the project as a build would, writing nothing (the `check` command); raise BuildFailed
    on errors (or warnings if strict). The build cache, read only, spares reading and rendering what the last build
    into the same folder read and rendered from the same inputs, and each page rendered is dropped once made (`files`
    maps each to CHECKED, or None when not rendered), so that checking a large site costs about what a rebuild does
    and never holds the site's pages in memory."""
    config = load_config(options.project, options.base_url)
    try:
        with read_cache(options.project, output_folder(options)) as cache:
            return read_and_render(options, config, cache, progress, dropped)
    except DamagedCache:  # in a row read only when needed: check without the cache (the next build mends it)
        with open_cache(options.project, output_folder(options), stored=False) as cache:
            return read_and_render(options, config, cache, progress, dropped)


def read_and_render(options: BuildOptions, config: Config, cache: Cache, progress: Progress = no_progress,
                    sink: Sink | None = None) -> Rendered:
    """read_site -> render_checked, with `cache`, writing nothing."""
    site = read_site(options.project, config, options.drafts, options.future, options.today, progress,
                     cache.readings, options.jobs)
    return render_checked(site, options, cache, progress, sink)


CHECKED = "checked"  # stands for a file that check_project rendered without error


def dropped(made: dict[str, bytes]) -> dict[str, str]:
    """Files rendered for check_project, dropped once made: only that they rendered counts."""
    return dict.fromkeys(made, CHECKED)


def render_checked(site: Site, options: BuildOptions, cache: Cache, progress: Progress = no_progress,
                   sink: Sink | None = None, layouts: Layouts | None = None) -> Rendered:
    """Render what changed since the build `cache` remembers, then check the links and the theme's catalogues; raise
    BuildFailed on warnings if strict. Rendered files go to `sink` (the writer's staging folder) if given, and are
    kept in memory otherwise; `layouts` lays out the PDFs that changed, if given."""
    theme = site.config.theme
    theme_dir = options.project / "themes" / theme
    changes = render_changes(site, theme_dir, theme, cache.previous(), progress,
                             options.jobs, cache.memory, sink, options.pdfs, layouts)
    warnings = (*site.warnings, *check_links(site, changes.paths, cache.memory.links),
                *theme_warnings(theme_dir, theme, [edition.config.language for edition in site.all_editions]))
    if options.strict and warnings:
        raise BuildFailed([warning.as_error() for warning in warnings])
    return Rendered(changes.files, changes.fingerprints, tuple(warnings), site.held_back, site, changes.basis,
                    changes.pages)


def build_site(options: BuildOptions, progress: Progress = no_progress, memory: BuildCache | None = None,
               layouts: Layouts | None = None, saved: frozenset[str] | None = None) -> BuildSummary:
    """Build the site into the output folder (project/output unless told otherwise).

    The cache (.broadside/cache/, or `memory` kept by a running preview) makes an unchanged site cost next to
    nothing and an edit cost about what it touches. `layouts`, a process the command line started before Broadside
    was imported, lays out the PDFs that changed; without it, the build starts one when the site may ask for PDFs.
    `saved`: the files (paths in the project) a running preview saw saved since its last build, when it looks at
    every file (reader.content_listing, reader.bodies_saved).
    """
    spaced = collections_spaced() if memory is not None and memory.started else contextlib.nullcontext()
    try:
        with spaced:  # a running preview's later build (see collections_spaced)
            return build_once(options, progress, memory, layouts, saved)
    except DamagedCache:  # found in a row read only when needed, before anything was written: start from scratch
        note = deleted_as_damaged(options.project)
        if memory is not None:  # a preview's memory came from that database too
            memory.forget()
        summary = build_once(options, progress, memory, layouts)  # content/ listed again: the memory is gone
        return replace(summary, notes=(note, *summary.notes))
    except BaseException:
        if memory is not None:  # it may have failed before its listing of content/ took in the files saved
            memory.readings.listing = None
        raise


def build_once(options: BuildOptions, progress: Progress, memory: BuildCache | None, layouts: Layouts | None,
               saved: frozenset[str] | None = None) -> BuildSummary:
    """build_site's one attempt: load_config -> read_site -> render_site -> write_site, with the cache passed in."""
    started = time.perf_counter()
    output = output_folder(options)
    config = load_config(options.project, options.base_url)
    with open_cache(options.project, output, memory, options.use_cache) as cache:
        listed: dict = {}  # the folders the inputs' digest listed, which the reader lists content/ from
        # A preview (memory) keeps the site it builds, so even its first build, from the database, reads it.
        if memory is None and (last := cache.unchanged(lambda: project_inputs(options, config, listed))):
            return BuildSummary(last.pages, 0, len(last.files), last.held_back, last.warnings,
                                time.perf_counter() - started, tuple(cache.notes))
        # WeasyPrint loads in a process of its own while the site is read (when the site may ask for PDFs).
        with (contextlib.nullcontext(layouts) if layouts is not None and options.pdfs else
              layouts_before_reading(options.project, options.jobs if options.pdfs else 1)) as layouts:
            site = read_site(options.project, config, options.drafts, options.future, options.today, progress,
                             cache.readings, options.jobs, listed, cache.memory.site, saved)
            listed.clear()  # the listings of content/ (a few MB at 20,000 briefings) are not needed again
            cache.save_readings()  # while the pages render
            with staging_for(output, label=display_path(output, options.project)) as staging:
                rendered = render_checked(site, options, cache, progress, staging.put, layouts)
                report = staging.commit(rendered.files, cache.present(), cache.intact)  # write_site, pages staged as rendered
        cache.memory.site = rendered.site
        cache.record(rendered.fingerprints, report.stamps, rendered.basis, pages=rendered.pages,
                     held_back=rendered.held_back, warnings=rendered.warnings, stamped=report.stamped)
    return BuildSummary(rendered.pages, report.written, report.unchanged, rendered.held_back,
                        rendered.warnings, time.perf_counter() - started, tuple(cache.notes))


def output_folder(options: BuildOptions) -> Path:
    """The folder a build writes: --output, or the project's output/."""
    return Path(os.path.abspath(options.output or options.project / "output"))


def preview_briefing(options: BuildOptions, memory: BuildCache, source_path: str) -> tuple[str, bytes] | None:
    """Render and write the page of one edited briefing at once, before the build that follows; give its path and bytes.

    Only for an edit to the body alone (every other field as it was, so no other page shows the change) that
    reads without errors; None otherwise, and the full build alone shows the change (or the errors).
    """
    site, job = memory.site, memory.readings.job  # the job that read the site's files reads this one again
    entry = briefing_entry(options.project, source_path, site.config) if isinstance(site, Site) and job else None
    if entry is None or not site.has_briefing(entry.slug):
        return None
    reading = read_entry(job, entry)
    if briefing_entry(options.project, source_path, site.config) != entry:
        return None  # the file changed while it was read (an editor still saving): the full build reads it again
    index, new = site.index_of(entry.slug), reading.item
    old = site.briefings[index]
    if new is None or any(not problem.warning for problem in reading.problems) or not same_but_body(new, old):
        return None
    edited = site.with_bodies_edited({index: new})
    chain = load_theme(options.project / "themes", site.config.theme)
    environment = make_environment(chain.templates, theme_digest(chain))
    language = speak(environment, site.config.theme, site.config.language, site.config.timezone)
    page = briefing_page(edited, index, related_at(memory.related, index, entry.slug), language)
    data = render_page(environment, edited, page, site.config.theme)
    output = output_folder(options)
    write_shown(output, memory, page.output_path, data, label=display_path(output, options.project))
    memory.site = edited  # the next page shown at once sees this edit too
    return page.output_path, data


def write_shown(output: Path, memory: BuildCache, output_path: str, data: bytes, label: str = "output") -> None:
    """Write a page shown at once into the preview's folder, marked for the next build to look at (Cache.trusted)."""
    memory.touched.add(output_path)  # first: the build that follows must look at the file, written or not
    replace_file(output, output_path, data, label=label)


def project_inputs(options: BuildOptions, config: Config, listed: dict | None = None) -> str:
    """A digest of everything a build of the project reads, with the options and the day that change its result;
    `listed` takes the listing of each folder (cache.stamp_tree)."""
    today = options.today or datetime.now(ZoneInfo(config.timezone)).date()
    settings = (config, today, options.strict, options.drafts, options.future, options.project.resolve())
    chain = load_theme(options.project / "themes", config.theme)
    return inputs_digest(settings, [options.project / "content", *chain.folders], [options.project / CONFIG_FILE], listed)


def display_path(path: Path, project: Path) -> str:
    """Name a folder as the user knows it: relative to the project when inside it."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path(os.path.abspath(project))).as_posix()
    except ValueError:
        return str(path)


ADDRESS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")  # a web address (or another scheme, which the fetch refuses)


def import_seeds_into(project: Path, seeds: list[str], force: bool = False, encoding: str | None = None,
                      refresh_entities: bool = False, keep_all: bool = False, date: str = "", title: str = "",
                      pasted: bytes | None = None, lang: str = "") -> list:
    """Import seed files and web pages by address (every seed in seeds/ when `seeds` is empty), suggesting issues.

    A seed named '-' is the `pasted` text (standard input). `keep_all` keeps page leftovers in the body;
    `date` and `title` override what the articles say. With `refresh_entities`, only re-extract the quotes,
    countries, organisations and people of briefings imported before (every one whose seed is in seeds/
    when `seeds` is empty).
    """
    from . import importer  # only this command needs the importer

    named = [seed if ADDRESS.match(seed) else Path(seed) for seed in seeds]
    if refresh_entities:
        addresses = [seed for seed in named if isinstance(seed, str)]
        if addresses:
            raise BuildFailed([ContentError(address, None, "--refresh-entities reads the page kept in seeds/",
                                            "name the seeds/<slug>.html file the import kept") for address in addresses])
        return importer.refresh_entities(project, named, encoding)
    config = load_config(project)
    declared = (config.language, *(language.code for language in config.languages))
    problem = lang and (tag_problem(lang) or undeclared_problem(config, lang))
    if problem:
        raise BuildFailed([ContentError("--lang", None, *problem)])
    keywords = {issue.slug: issue.keywords for issue in read_issues(project, config)}
    every = sorted(path for pattern in ("*.txt", "*.html", "*.htm") for path in (project / "seeds").glob(pattern))
    return importer.import_seeds(project, named or every, keywords, force=force, encoding=encoding,
                                 keep_all=keep_all, date=date, title=title, pasted=pasted, lang=lang,
                                 languages=declared)


def new_content_in(project: Path, kind: str, title: str, issues: tuple[str, ...] = ()) -> str:
    """Start a new briefing or issue file; the issues named must exist."""
    from .scaffold import new_content

    config = load_config(project)
    known = {issue.slug for issue in read_issues(project, config)}
    unknown = [slug for slug in issues if slug not in known]
    if unknown:
        raise BuildFailed([ContentError("content/issues", None, f"unknown issue '{slug}'",
                                        "known: " + (", ".join(sorted(known)) or "none yet")) for slug in unknown])
    return new_content(project, config, kind, title, issues)
