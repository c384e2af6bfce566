"""Takes a project's content/ folder and gives a validated Site, or every problem in it at once; writes nothing."""
from __future__ import annotations

import functools
import gc
import hashlib
import io
import operator
import os
import pickle
import re
import stat
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from slugify import slugify

from . import fields, languages
from .errors import BuildFailed, ContentError
from .markup import RENDER_SECONDS, RenderTimeout, opens_with, render_markdown
from .meta import Document, FrontMatterError, parse_document
from .model import WINDOWS_NAMES, Body, Briefing, Config, Issue, Organisation, Pack, Site, pack_body
from .progress import Progress, no_progress
from .search import body_entry
from .workers import can_fork, collection_paused, forked_workers

MAX_BYTES = 2 * 1024 * 1024
SLUG = fields.SLUG  # what a file name's stem must be: one rule, the front matter's
PLAIN_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")  # a name slugify gives back as it is (spares calling it per file)
# The file name of such a slug that SLUG takes too (at most 80 characters): one match a file instead of three tests.
PLAIN_NAME = re.compile(r"(?=[a-z0-9-]{1,80}\.md\Z)[a-z0-9]+(?:-[a-z0-9]+)*\.md\Z")
# Names that would collide with generated pages, or that Windows cannot store.
RESERVED = frozenset({"index", "page", "feed", *WINDOWS_NAMES})
BY_NAME = operator.attrgetter("name")  # a folder's entries' sort key (a Python key each cost a tenth of a listing)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Every byte but the ASCII characters CONTROL refuses: deleting these from a file's bytes leaves nothing when CONTROL
# cannot match (unless the file holds \xc2, the first byte of its C1 controls in UTF-8), ten times faster than a search.
NOT_CONTROL = bytes(byte for byte in range(256) if byte > 0x7f or not CONTROL.match(chr(byte)))
KINDS = ("issues", "briefings", "packs")


@dataclass(frozen=True)
class Entry:
    """A content file found on disk: its kind, slug, paths and a stamp that changes when the file does."""

    kind: str
    slug: str
    source_path: str
    output_path: str
    stamp: tuple[int, int, int] = (0, 0, 0)  # size, mtime in ns, inode
    lang: str = ""  # the language its name gives (kp-reform.fr.md), '' when it names none


@dataclass(frozen=True)
class Reading:
    """What reading one file gave: a Briefing or Issue (None when it has errors) and its problems."""

    item: Briefing | Issue | Pack | None
    problems: tuple[ContentError, ...]
    lookups: tuple[tuple[str, str], ...] = ()  # the .md links resolved, which a cached reading depends on
    stamp: tuple[int, int, int] = (0, 0, 0)
    settings: tuple = ()
    content: str = ""  # the sha256 of the file's bytes: a file with a new time but the same bytes keeps its reading


@dataclass(frozen=True)
class Job:
    """Everything reading needs besides the entry; shared by all files of one build."""

    project: Path
    config: Config
    known: frozenset[str] | None  # None when content/issues/ could not be listed: no issue can be checked
    pages: dict[str, str]
    organisations: frozenset[str] | None = None  # the gazetteer's names; None without one: names are not checked
    briefings: frozenset[str] | None = None  # the slugs of content/briefings/, which packs name

    @functools.cached_property
    def settings(self) -> tuple:
        """The settings that change what reading a file gives, one tuple that every reading of the job shares."""
        config = self.config
        return (config.timezone, config.sanitize_html, config.language, config.languages)


def read_site(project: Path, config: Config, drafts: bool = False, future: bool = False,
              today: date | None = None, progress: Progress = no_progress,
              cache: dict | None = None, jobs: int = 1, listed: dict | None = None, before: Site | None = None,
              saved: frozenset[str] | None = None) -> Site:
    """Read and validate every content file of `project`; raise BuildFailed with all errors.

    Drafts, and briefings dated after `today` (default: today in the site's timezone), are held
    back unless `drafts` or `future` include them. `cache` (source path -> Reading) is used and
    updated: an unchanged file is not read again. `jobs` > 1 reads many files in worker processes. `listed` holds
    folders already listed, by path (cache.stamp_tree's, made moments before by the same build). `before`, the site
    a preview built last, is kept with its new bodies when nothing but bodies changed (Site.with_bodies_from).
    `saved`, the files a running preview saw saved since its last build, spares listing content/ again (Listing),
    and reading the site again when bodies alone changed (bodies_saved).
    """
    today = today or datetime.now(ZoneInfo(config.timezone)).date()
    listing = content_listing(project, config, listed, cache, saved)
    if saved is not None and (kept := bodies_saved(listing, saved, cache, before, config, today, jobs, progress)):
        return kept
    problems, entries = list(listing.problems), listing.entries
    pages = {entry.source_path: entry.output_path for entry in entries}
    issues_listed = not any(problem.path == "content/issues" for problem in problems)
    known = frozenset(entry.slug for entry in entries if entry.kind == "issues") if issues_listed else None
    gazetteer = read_gazetteer(project, problems)
    names = frozenset(organisation.name for organisation in gazetteer) if gazetteer is not None else None
    slugs = frozenset(entry.slug for entry in entries if entry.kind == "briefings")
    job = Job(project, config, known, pages, names, slugs)
    readings = read_entries(job, entries, {} if cache is None else cache, jobs, progress)
    items: dict[str, list] = {kind: [] for kind in KINDS}
    for entry, reading in zip(entries, readings):
        problems += reading.problems
        if reading.item is not None:
            items[entry.kind].append(reading.item)
    issues, briefings = items["issues"], items["briefings"]
    held_back, published = [], []
    for briefing in briefings:
        if reason := hold_back(briefing, drafts, future, today):
            held_back.append(reason)
        else:
            published.append(briefing)
    briefings = published
    problems += check_references(issues, briefings)
    problems += languages.duplicate_problems([*issues, *briefings])
    problems += languages.date_notes(briefings, config)
    errors = [p for p in problems if not p.warning]
    if errors:
        raise BuildFailed(errors)
    # Packs are in the default language: the briefings they list by slug are that language's.
    default_briefings = sorted((b for b in briefings if b.lang == config.language),
                               key=lambda b: (-b.date.timestamp(), b.slug)) if items["packs"] else []
    packs = [choose_briefings(pack, default_briefings, problems) for pack in items["packs"]]
    errors = [p for p in problems if not p.warning]
    if errors:
        raise BuildFailed(errors)
    packs.sort(key=lambda p: (-p.date.timestamp(), p.slug))
    warnings = tuple(p for p in problems if p.warning)
    built = {site.root: site for site in before.all_editions} if before is not None else {}
    default, *others = [edition_site(config, edition, today, gazetteer or (), built.get(edition.language.root))
                        for edition in languages.split_editions(config, issues, briefings)]
    return default.keeping(warnings=warnings, held_back=tuple(held_back), editions=tuple(others), packs=tuple(packs))


def bodies_saved(listing: Listing, saved: frozenset[str], cache: dict | None, before: Site | None, config: Config,
                 today: date, jobs: int, progress: Progress) -> Site | None:
    """The site a running preview built last with the briefings saved since read again, when they are all it was
    told of, briefings of the site's language whose bodies alone changed, and neither their old nor their new
    reading has a problem: then nothing the rest of read_site works out can change (no name, issue, date, warning),
    and that pass over every file is spared. None otherwise, and read_site reads the site."""
    job = getattr(cache, "job", None)
    looked = listing.looked
    if (looked is None or job is None or not isinstance(before, Site) or (before.config, before.today) != (config, today)
            or {entry.source_path for entry in looked} != saved or any(entry.kind != "briefings" for entry in looked)):
        return None
    changed = [entry for entry in looked if (old := cache.get(entry.source_path)) is None or old.stamp != entry.stamp]
    readings = read_many(job, changed, jobs, progress)
    edited = {}
    for entry, reading in zip(changed, readings):
        new, old = reading.item, cache.get(entry.source_path)
        index = before.index_of(new.slug) if isinstance(new, Briefing) and before.has_briefing(new.slug) else None
        # The site's own briefing from that file (a translation's is its edition's), with no warning to give or drop.
        if index is None or before.briefings[index].source_path != entry.source_path or reading.problems \
                or old is None or old.problems:
            return None
        edited[index] = new
    site = before.with_bodies_read(edited)  # None unless the bodies alone changed
    if site is not None:
        for entry, reading in zip(changed, readings):
            cache[entry.source_path] = reading
    return site


def edition_site(config: Config, edition: languages.Edition, today: date, gazetteer: tuple[Organisation, ...],
                 before: Site | None = None) -> Site:
    """The Site of one language: its briefings newest first, its issues by title, its title, description, addresses;
    `before` (that language's site built last) kept with its new bodies when nothing else changed."""
    language = edition.language
    if language.root:
        config = replace(config, language=language.code, title=language.title, description=language.description,
                         base_url=config.base_url + language.root)
    issues = tuple(sorted(edition.issues, key=lambda i: (i.title.casefold(), i.slug)))
    if before is not None and (before.config, before.today, before.gazetteer) == (config, today, gazetteer):
        if (kept := before.with_bodies_from(issues, edition.briefings)) is not None:
            return kept
    briefings = sorted(edition.briefings, key=lambda b: (-b.date.timestamp(), b.slug))
    return Site(config, issues, tuple(briefings), today=today, gazetteer=gazetteer, root=language.root)


MAX_PACK = 300  # briefings in one pack: about 400 pages, made in about half a minute


def choose_briefings(pack: Pack, briefings: list[Briefing], problems: list[ContentError]) -> Pack:
    """The pack with the briefings it holds: those listed, in order, then every briefing of its issues within
    since/until, newest first; a listed briefing that is held back (draft or future) is left out with a warning."""
    present = {briefing.slug for briefing in briefings}
    chosen = dict.fromkeys(slug for slug in pack.briefings if slug in present)
    for slug, line in zip(pack.briefings, pack.listed_at):
        if slug not in present:
            problems.append(ContentError(pack.source_path, line, f"briefing '{slug}' is held back (a draft or dated later), "
                                         "so the pack leaves it out", "publish it, or take it off the list", warning=True))
    wanted = set(pack.issues)
    for briefing in briefings:
        day = briefing.date.date()
        if wanted.intersection(briefing.issues) and (pack.since is None or day >= pack.since.date()) \
                and (pack.until is None or day <= pack.until.date()):
            chosen.setdefault(briefing.slug)
    if not chosen:
        problems.append(ContentError(pack.source_path, pack.selection_line, "the pack holds no briefings",
                                     "list briefings under 'briefings:', or name issues under 'issues:' "
                                     "(and widen 'since:'/'until:')"))
    elif len(chosen) > MAX_PACK:
        problems.append(ContentError(pack.source_path, pack.selection_line,
                                     f"the pack holds {len(chosen)} briefings; the limit is {MAX_PACK}",
                                     "narrow it with 'since:'/'until:' or fewer issues, or split it into several packs"))
    return replace(pack, chosen=tuple(chosen))


def read_gazetteer(project: Path, problems: list[ContentError]) -> tuple[Organisation, ...] | None:
    """Read content/organisations.yaml if there is one; None when there is none or it is broken (its problems are added)."""
    file = project / fields.GAZETTEER
    if not file.exists() and not file.is_symlink():
        return None
    try:
        return fields.parse_gazetteer(decode_text(read_bytes(file, fields.GAZETTEER), fields.GAZETTEER), fields.GAZETTEER)
    except FrontMatterError as error:
        problems.append(error.error)
    except BuildFailed as failure:
        problems.extend(failure.errors)
    return None  # briefings' organisations go unchecked, rather than each failing against a gazetteer we could not read


def read_entries(job: Job, entries: list[Entry], cache: dict, jobs: int, progress: Progress) -> list[Reading]:
    """Read every entry, reusing cached readings that are still valid and updating the cache.

    When the cache was last checked against what this build's files name (see checked_against), a reading whose
    file kept its stamp holds as it is: an edit checks the readings of the files whose stamp changed, not every one.
    """
    last = getattr(cache, "job", None)  # a running preview's last job, which its next usually equals in all it names
    checked = cache.checked if last is not None and named_alike(last, job) else checked_against(job)
    readings = {}
    if checked and getattr(cache, "checked", "") == checked:
        readings = {entry.source_path: kept for entry in entries
                    if (kept := cache.get(entry.source_path)) is not None and kept.stamp == entry.stamp}
    for entry in entries if len(readings) < len(entries) else ():
        kept = cache.get(entry.source_path)
        if entry.source_path not in readings and kept is not None and still_valid(kept, entry, job):
            if kept.stamp != entry.stamp:  # same bytes, new time (a fresh clone): remember the new time
                kept = cache[entry.source_path] = replace(kept, stamp=entry.stamp)
            readings[entry.source_path] = kept
    missing = [entry for entry in entries if entry.source_path not in readings]
    for entry, reading in zip(missing, read_many(job, missing, jobs, progress)):
        readings[entry.source_path] = reading
        if reading.item is not None:
            cache[entry.source_path] = reading
        else:
            cache.pop(entry.source_path, None)
    for gone in cache.keys() - readings.keys():
        del cache[gone]
    if isinstance(cache, Readings):
        cache.checked = checked  # every reading kept now holds against it: any other was read again, or dropped
        cache.job = job
    return [readings[entry.source_path] for entry in entries]


class Readings(dict):
    """Readings by source path, as a build keeps them for the next, with a digest of all they were last checked
    against besides their own files (`checked`, see checked_against), and the Job that did it (`job`: a running
    preview reads an edited file again with it, at once)."""

    checked = ""
    job: Job | None = None
    listing: Listing | None = None  # a running preview's content listing (content_listing)


def checked_against(job: Job) -> str:
    """A digest of all that a cached reading's validity depends on besides its own file: the settings, every
    content file's page (which its links resolve to), the issues, organisations and briefings that exist ('' when
    the issues could not be listed: then no reading holds)."""
    if job.known is None:
        return ""
    named = (sorted(job.known), None if job.organisations is None else sorted(job.organisations),
             None if job.briefings is None else sorted(job.briefings))
    return hashlib.sha256(repr((job.settings, job.pages, named)).encode()).hexdigest()


def named_alike(last: Job, job: Job) -> bool:
    """Whether two jobs give the same checked_against digest (comparing them costs about a fifteenth of it)."""
    return (last.settings, last.pages, last.known, last.organisations, last.briefings) == \
        (job.settings, job.pages, job.known, job.organisations, job.briefings)


def still_valid(reading: Reading, entry: Entry, job: Job) -> bool:
    """A cached reading holds while its file, the settings it used and the links it resolved are unchanged,
    and while the issues and organisations it names still exist (a reading is cached only when it had no errors).
    """
    item = reading.item
    return ((reading.stamp == entry.stamp or reading.content == file_digest(job.project / entry.source_path))
            and reading.settings == job.settings
            and (not reading.lookups or all(job.pages.get(source, "") == page for source, page in reading.lookups))
            and job.known is not None and job.known.issuperset(getattr(item, "issues", ()))
            and (job.organisations is None or job.organisations.issuperset(getattr(item, "organisations", ())))
            and (job.briefings is None or not isinstance(item, Pack) or job.briefings.issuperset(item.briefings)))


def file_digest(path: Path) -> str:
    """The sha256 of a file's bytes ('' when it cannot be read as a content file)."""
    try:
        return hashlib.sha256(read_bytes(path, str(path))).hexdigest()
    except FrontMatterError:
        return ""


def read_many(job: Job, entries: list[Entry], jobs: int, progress: Progress) -> list[Reading]:
    """Read entries here, or in `jobs` worker processes when there are enough to be worth it."""
    if jobs <= 1 or len(entries) < PARALLEL_FROM or not can_fork():
        readings = []
        for number, entry in enumerate(entries, 1):
            readings.append(packed(read_entry(job, entry)))
            progress("reading", number, len(entries))
        return readings
    global _JOB, _SHARED
    _JOB, _SHARED = job, Shared(job)  # inherited by the forked workers, instead of being pickled once per file
    try:
        with forked_workers(jobs) as pool, collection_paused():
            readings = []
            # Small chunks, so that the workers run out of work within a few files of each other.
            size = max(1, len(entries) // (jobs * 32))
            for data in pool.map(_read_in_worker, [entries[start:start + size] for start in range(0, len(entries), size)]):
                readings += _SHARED.load(data)
                progress("reading", len(readings), len(entries))
    finally:
        _JOB = _SHARED = None  # the build goes on without them: the job's pages need not live to the end
    # They live as long as the build's memory (a running preview's, until their files change) and hold no cycles: the
    # collector need not walk them again (each of its full looks took 0.15 s at 20,000 briefings).
    gc.freeze()
    return readings


PARALLEL_FROM = 64  # below this, starting workers costs more than it saves
_JOB: Job | None = None


class Shared:
    """What the readings of a job share, for their way back from the workers: every source path, page, issue,
    briefing and organisation the job names, and its settings. A reading pickled by `dump` holds each as a number,
    and `load` gives the parent's own object in its place; each reading would otherwise bring its own copies (about
    half a kilobyte a briefing)."""

    def __init__(self, job: Job):
        named = [*job.pages.keys(), *job.pages.values(), *(job.known or ()), *(job.briefings or ()),
                 *(job.organisations or ()), job.config.language]
        self.objects = [*named, job.settings]
        self.numbers = {text: number for number, text in enumerate(named)}
        self.settings = (job.settings, len(named))

    def dump(self, value: object) -> bytes:
        """`value` pickled, each object shared standing as its number."""
        data = io.BytesIO()
        _SharingPickler(data, self).dump(value)
        return data.getvalue()

    def load(self, data: bytes) -> object:
        """What `dump` pickled, with this process's objects in place of the numbers."""
        unpickler = pickle.Unpickler(io.BytesIO(data))
        unpickler.persistent_load = self.objects.__getitem__
        return unpickler.load()


class _SharingPickler(pickle.Pickler):
    """A pickler that writes the objects a Shared holds as their numbers."""

    def __init__(self, file: io.BytesIO, shared: Shared):
        super().__init__(file, pickle.HIGHEST_PROTOCOL)
        self.numbers, (self.settings, self.settings_number) = shared.numbers, shared.settings

    def persistent_id(self, found: object) -> int | None:
        if type(found) is str:
            return self.numbers.get(found)
        return self.settings_number if found is self.settings else None


_SHARED: Shared | None = None


def _read_in_worker(entries: list[Entry]) -> bytes:
    """Read some entries in a worker process, with the build's shared Job; give their readings pickled against it."""
    assert _JOB is not None and _SHARED is not None
    return _SHARED.dump([packed(read_entry(_JOB, entry)) for entry in entries])


def packed(reading: Reading) -> Reading:
    """The reading with its body's text packed (model.PackedBody): what a build keeps of each file it read."""
    body = getattr(reading.item, "body", None)
    return reading if body is None else replace(reading, item=replace(reading.item, body=pack_body(body)))


def read_issues(project: Path, config: Config) -> tuple[Issue, ...]:
    """Read only content/issues/ (the importer needs their keywords even when a briefing is broken)."""
    problems: list[ContentError] = []
    entries = [entry for entry in list_content(project, problems, config) if entry.kind == "issues"]
    job = Job(project, config, frozenset(entry.slug for entry in entries), {})
    readings = [read_entry(job, entry) for entry in entries]
    errors = [p for r in readings for p in r.problems if not p.warning]
    if errors:
        raise BuildFailed(errors)
    return tuple(r.item for r in readings if r.item is not None)


def hold_back(briefing: Briefing, drafts: bool, future: bool, today: date) -> str:
    """Say why a briefing stays out of the site ('' when it goes in)."""
    if briefing.draft and not drafts:
        return f"{briefing.source_path} (draft)"
    if briefing.date.date() > today and not future:
        return f"{briefing.source_path} (scheduled for {briefing.date.date().isoformat()})"
    return ""


@dataclass(frozen=True)
class Listing:
    """What listing content/ found: its entries in order and the problems of their names, with what they depend on
    (the config, and which folders content/ and its kinds' folders are)."""

    entries: tuple[Entry, ...]
    problems: tuple[ContentError, ...]
    config: Config
    folders: tuple
    looked: tuple[Entry, ...] | None = None  # brought up to date (after) with no file gone: the entries looked at again

    def after(self, project: Path, config: Config, saved: frozenset[str]) -> Listing | None:
        """This listing with the `saved` files (paths in the project) looked at again: the usual save, to a file
        listed before or to one a listing ignores. None when a listing must say what changed (a file added, a
        folder, a name with a problem, another config), and content/ is listed again."""
        if self.problems or config != self.config or folder_identities(project) != self.folders:
            return None
        where = self.places
        entries, gone, looked = list(self.entries), set(), []
        for path in saved:
            folder, _, name = path.rpartition("/")
            if not path.startswith(LISTED):
                continue  # the theme, site.toml, organisations.yaml: not listed (the build looks at them itself)
            if folder[len("content/"):] not in KINDS:
                return None  # in a folder inside a kind's folder: a listing warns about it
            if name.startswith(".") and not name.endswith(".md"):
                continue  # a hidden file (an editor's swap file), which a listing passes over in silence
            if path not in where:
                return None  # a new file: its name is checked against the others by a listing
            try:
                info = os.lstat(project / path)
            except FileNotFoundError:
                gone.add(path)
                continue
            except OSError:
                return None
            if not stat.S_ISREG(info.st_mode):
                return None
            number = where[path]
            entries[number] = replace(entries[number], stamp=(info.st_size, info.st_mtime_ns, info.st_ino))
            looked.append(entries[number])
        if gone:
            return replace(self, entries=tuple(entry for entry in entries if entry.source_path not in gone), looked=None)
        listing = replace(self, entries=tuple(entries), looked=tuple(looked))
        listing.__dict__["places"] = where  # the same files in the same places
        return listing

    @functools.cached_property
    def places(self) -> dict[str, int]:
        """Each entry's place in `entries`, by source path."""
        return {entry.source_path: number for number, entry in enumerate(self.entries)}


LISTED = tuple(f"content/{kind}/" for kind in KINDS)


def content_listing(project: Path, config: Config, listed: dict | None = None, cache: dict | None = None,
                    saved: frozenset[str] | None = None) -> Listing:
    """content/'s Listing: the last one brought up to date when a running preview says what was `saved` since (its
    watcher looks at every file), otherwise listed from disk (from `listed` when given); a preview keeps it with
    its readings (`cache`) for the next build."""
    last = getattr(cache, "listing", None) if saved is not None else None
    listing = last.after(project, config, saved) if last is not None else None
    if listing is None:
        folders, problems = folder_identities(project) if saved is not None else (), []  # () never kept
        listing = Listing(tuple(list_content(project, problems, config, listed)), tuple(problems), config, folders)
    if isinstance(cache, Readings):
        # Kept only when a watcher looks at every save from now on: the build before it started may have missed one.
        cache.listing = listing if saved is not None else None
    return listing


def folder_identities(project: Path) -> tuple:
    """Which folders content/ and its kinds' folders are (inode and type, None for one missing): a folder replaced,
    or made a link, changes it."""
    identities = []
    for folder in ("content", *(f"content/{kind}" for kind in KINDS)):
        try:
            info = os.lstat(project / folder)
            identities.append((info.st_ino, info.st_mode))
        except OSError:
            identities.append(None)
    return tuple(identities)


def list_content(project: Path, problems: list[ContentError], config: Config, listed: dict | None = None) -> list[Entry]:
    """Find the .md files of content/issues and content/briefings, refusing links, odd files and bad names."""
    content = project / "content"
    if content.is_symlink() or not content.is_dir():
        problems.append(ContentError("content", None, "content/ must be a folder (not a link)", "create content/briefings and content/issues"))
        return []
    entries = []
    for kind in KINDS:
        entries += _list_kind(content / kind, f"content/{kind}", kind, problems, config, listed or {})
    return entries


def _list_kind(folder: Path, rel: str, kind: str, problems: list[ContentError], config: Config,
               listed: dict) -> list[Entry]:
    """List one content folder's .md files in name order (from `listed`, its entries by path, when there)."""
    if folder.is_symlink():
        problems.append(ContentError(rel, 1, "symlinks/special files are not allowed in content/", "replace the link by a real folder"))
        return []
    if not folder.is_dir():
        return []
    entries, seen = [], {}
    found = listed.get(str(folder))
    for item in sorted(os.scandir(folder) if found is None else found, key=BY_NAME):
        name = item.name
        info = item.stat(follow_symlinks=False)
        stem = name[:-3]
        if PLAIN_NAME.match(name) and stem not in RESERVED and stat.S_ISREG(info.st_mode) and stem not in seen:
            # The usual name (a plain slug, no language, not reserved): the checks of _entry cannot fail.
            seen[stem] = name
            entries.append(Entry(kind, stem, f"{rel}/{name}", f"{kind}/{stem}/index.html",
                                 (info.st_size, info.st_mtime_ns, info.st_ino)))
            continue
        path = f"{rel}/{item.name}"
        mode = info.st_mode
        if item.name.startswith("."):
            if item.name.endswith(".md"):
                problems.append(ContentError(path, 1, "hidden file ignored", "remove the leading dot to publish it", warning=True))
            continue
        if not stat.S_ISREG(mode) or not item.name.endswith(".md"):
            if stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                problems.append(ContentError(path, 1, "symlinks/special files are not allowed in content/", "replace it by a regular .md file"))
            else:
                problems.append(ContentError(path, 1, f"only .md files belong in {rel}/", "move it elsewhere, or rename it to end in .md", warning=True))
            continue
        entry = _entry(kind, rel, item.name[:-3], problems, info, config)
        key = item.name[:-3] if PLAIN_SLUG.match(item.name[:-3]) else slugify(item.name[:-3]) or item.name
        if key in seen:
            problems.append(ContentError(path, 1, f"'{item.name}' and '{seen[key]}' give the same address '{key}'",
                                         f"rename one of {rel}/{seen[key]} and {path}"))
        seen[key] = item.name
        if entry:
            entries.append(entry)
    return entries


def _entry(kind: str, rel: str, name: str, problems: list[ContentError], info: os.stat_result,
           config: Config) -> Entry | None:
    """Check that a file name is a usable slug (and a declared language, if it names one) and make its Entry."""
    path = f"{rel}/{name}.md"
    stem, lang = languages.split_name(name)
    problem = lang and (languages.tag_problem(lang) or languages.undeclared_problem(config, lang))
    if problem:
        problems.append(ContentError(path, 1, f"file name {name}.md: {problem[0]}", problem[1]))
        return None
    if not SLUG.match(stem):
        suggestion = slugify(stem, max_length=80) or "briefing"
        problems.append(ContentError(path, 1, f"file name '{stem}.md' is not a slug; slug must match `{SLUG.pattern}`",
                                     f"rename it to {suggestion}.md"))
        return None
    if stem in RESERVED:
        problems.append(ContentError(path, 1, f"'{stem}' is a reserved name", f"rename it, e.g. to {stem}-1.md"))
        return None
    root = languages.language_of(config, lang or config.language).root
    return Entry(kind, stem, path, f"{root}{kind}/{stem}/index.html", (info.st_size, info.st_mtime_ns, info.st_ino),
                 lang)


def briefing_entry(project: Path, source_path: str, config: Config) -> Entry | None:
    """The Entry of one briefing file, if it is a regular file with a usable name."""
    folder, _, name = source_path.rpartition("/")
    try:
        info = os.stat(project / source_path, follow_symlinks=False)
    except OSError:
        return None
    if folder != "content/briefings" or not name.endswith(".md") or not stat.S_ISREG(info.st_mode):
        return None
    return _entry("briefings", folder, name[:-3], [], info, config)


def read_entry(job: Job, entry: Entry) -> Reading:
    """Read one content file into a Briefing or Issue, with every problem found in it."""
    try:
        data = read_bytes(job.project / entry.source_path, entry.source_path)
        text = decode_text(data, entry.source_path)
        document = parse_document(text, entry.source_path)
    except FrontMatterError as error:
        return Reading(None, (error.error,))
    context = fields.Context(entry.source_path, job.config, job.known, [], job.organisations, job.briefings,
                             named_lang=entry.lang)
    schema = {"briefings": fields.BRIEFING, "issues": fields.ISSUE, "packs": fields.PACK}[entry.kind]
    values, found = fields.read_fields(document, schema, context)
    if entry.kind != "packs":  # a pack is in the default language, as the briefings it lists
        values["lang"] = entry.lang or values.get("lang") or job.config.language
        if values["lang"] != entry.lang:  # named in the front matter alone: its pages live in that language's folder
            root = (languages.language_of(job.config, values["lang"]) or languages.default_language(job.config)).root
            entry = replace(entry, output_path=f"{root}{entry.kind}/{entry.slug}/index.html")
    try:
        body, lookups = render_body(document, entry, job.config, job.pages, found, values.get("summary") or "")
    except RenderTimeout:
        return Reading(None, (*found, ContentError(
            entry.source_path, document.body_line, f"rendering exceeded {RENDER_SECONDS:.0f} s",
            "simplify the Markdown: thousands of unclosed [ or ( in a row are the usual cause")))
    problems = (*document.warnings, *found)
    if any(not p.warning for p in found):
        return Reading(None, problems)
    digest = hashlib.sha256(f"{text}\0{lookups!r}".encode()).hexdigest()
    if entry.kind == "issues":
        item = Issue(slug=entry.slug, source_path=entry.source_path, body=body, digest=digest, **values)
    elif entry.kind == "packs":
        item = make_pack(entry, document, body, digest, values)
    else:
        values["date_precision"] = fields.date_precision(document.meta.get("date"))
        card = hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()  # the front matter alone
        item = Briefing(slug=entry.slug, source_path=entry.source_path, body=body, digest=digest, card=card, **values)
    return Reading(item, problems, lookups, entry.stamp, job.settings, hashlib.sha256(data).hexdigest())


def make_pack(entry: Entry, document: Document, body: Body, digest: str, values: dict) -> Pack:
    """A Pack from its fields; the selection is checked once every briefing is read (choose_briefings)."""
    listed = values.pop("briefings", ())
    keys = [document.meta[key].line for key in ("briefings", "issues") if key in document.meta]
    return Pack(slug=entry.slug, source_path=entry.source_path, body=body, digest=digest,
                briefings=tuple(slug for slug, _ in listed), listed_at=tuple(line for _, line in listed),
                selection_line=min(keys, default=document.body_line - 1), **values)


def render_body(document: Document, entry: Entry, config: Config, pages: dict[str, str],
                problems: list[ContentError], summary: str = "") -> tuple[Body, tuple[tuple[str, str], ...]]:
    """Render the Markdown body, locating its links and anything the sanitiser removed."""
    rendered = render_markdown(document.body, entry.source_path, entry.output_path, pages, config.sanitize_html)
    lines = [line.casefold() for line in document.body.split("\n")]  # folded once per file, not once per link
    for removal in rendered.removals:
        problems.append(ContentError(
            entry.source_path, _line_of(removal.needle, lines, document.body_line),
            f"removed {removal.what}", "raw HTML scripts, event handlers and unsafe URLs are not allowed", warning=True))
    for source in rendered.unlabelled:
        problems.append(ContentError(
            entry.source_path, _line_of(source or "<img", lines, document.body_line),
            f"image '{source}' has no text alternative", "describe it: ![what the image shows](...)", warning=True))
    links = tuple(link._replace(line=_line_of(link.written, lines, document.body_line)) for link in rendered.links)
    opening, words = body_entry(rendered.html, summary)
    return Body(rendered.html, rendered.ids, links, opening, words, opens_with(rendered.html, summary)), rendered.lookups


def _line_of(needle: str, lines: list[str], first_line: int) -> int:
    """Return the file line where `needle` first appears in the body's case-folded `lines` (its first line if nowhere)."""
    folded = needle.casefold()
    return next((first_line + n for n, line in enumerate(lines) if folded in line), first_line)


def read_bytes(path: Path, rel: str) -> bytes:
    """Read a regular file of at most MAX_BYTES, never following a link or blocking on a FIFO."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise FrontMatterError(ContentError(rel, 1, f"cannot read the file: {error.strerror}", "symlinks/special files are not allowed in content/")) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FrontMatterError(ContentError(rel, 1, "symlinks/special files are not allowed in content/", "use a regular .md file"))
        if info.st_size > MAX_BYTES:
            raise FrontMatterError(ContentError(rel, 1, f"file is {info.st_size / 1_048_576:.1f} MB; limit 2 MB", "split it into several briefings"))
        # As much as the file holds (asking for the 2 MB limit at once would make every 5 KB read allocate 2 MB),
        # then on to the end, up to one byte over the limit, in case it grew since.
        data = os.read(fd, info.st_size + 1)
        while len(data) <= MAX_BYTES and (more := os.read(fd, MAX_BYTES + 1 - len(data))):
            data += more
        return data
    finally:
        os.close(fd)


def decode_text(data: bytes, rel: str) -> str:
    """Decode UTF-8 (with or without BOM), make line endings LF, and refuse control characters."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        col = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise FrontMatterError(ContentError(rel, line, f"invalid UTF-8 byte 0x{data[error.start]:02X}",
                                            "save the file as UTF-8 in your editor", col)) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = CONTROL.search(text) if data.translate(None, NOT_CONTROL) or b"\xc2" in data else None
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise FrontMatterError(ContentError(rel, line, f"control character U+{ord(bad[0]):04X} is not allowed",
                                            "delete it; it is invisible in most editors", col))
    return unicodedata.normalize("NFC", text)


def check_references(issues: list[Issue], briefings: list[Briefing]) -> list[ContentError]:
    """Warn about issues that no briefing belongs to (the unknown-slug check is in fields)."""
    used = {slug for briefing in briefings for slug in briefing.issues}
    return [ContentError(issue.source_path, 1, f"issue '{issue.slug}' has no briefings",
                         "add it to a briefing's 'issues' list, or remove the issue", warning=True)
            for issue in issues if issue.slug not in used]
