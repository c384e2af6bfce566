"""Takes what one build learned (files read, pages rendered, files written) and gives it to the next build.

The cache lives in .broadside/cache/cache.sqlite (git-ignored), an SQLite database in WAL mode with one row per
content file (its reading, the body's text packed apart), per output file (its fingerprint and the size and time
it was written with) and per entry of the search and related-briefings memos, and a row per output folder for
the last build's record (what it reported, and the stamps of the files and folders it left). A build first
reads that one row: when nothing changed, it reads nothing more. Otherwise it reads the other rows, leaving each
body's text packed until a page asks for it, and, when it ends, writes in one transaction only the rows that
changed, so a one-edit build writes a few rows, not the whole cache. The cache only ever makes a build faster: every entry is checked
before use (the readings together, by the digest of all they were checked against, kept in `about`: see
reader.checked_against), a cache from another version of Broadside, Python or the libraries is emptied, and a damaged or
foreign file is set aside with a note and started again. Deleting the folder is always safe.

A content file whose time changed but whose bytes did not (a fresh `git clone`, a restored CI cache) keeps its
reading: readings carry the file's sha256. Builds into different output folders (`output/`, the preview, a
`--output`) share the readings and the briefings' search entries (target SHARED) and keep their own output rows; a
build forgets the rows of another folder deleted since, and the pages freed go back to the disk (auto_vacuum,
give_back_free_pages). A running preview reads its rows when it starts and
then keeps what it learns in memory (open_cache), and `check` reads the database without ever writing it
(read_cache). Two builds at once never corrupt the database: SQLite lets one write at a time; the other waits for
it (saying so), and after LOCK_SECONDS builds on without saving what it learned. A program that locks the
database even against readers makes a build wait OPEN_SECONDS, then go on without the cache.
"""
from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import io
import os
import pickle
import sqlite3
import stat
import sys
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import AbstractSet, Callable, Iterator

import jinja2
import jinja2.bccache

from .errors import ContentError, DamagedCache
from .model import PackedBody, pack_body
from .reader import Readings
from .search import ENTRIES as SEARCH_ENTRIES, Entries, entry_slug, memo_from_parts, memo_parts, pack_entry, unpack_entry
from .workers import collection_paused
from .writer import intact_files, walk_files

CACHE_FOLDER = ".broadside/cache"
DATABASE = "cache.sqlite"
PACKAGE = Path(__file__).resolve().parent
APPLICATION = "broadside build cache"
SCHEMA_VERSION = 9  # raise it when the tables or what their rows hold change: an older database is then started again
LOCK_SECONDS = 30.0  # how long a build waits for another one to finish writing the cache
OPEN_SECONDS = 5.0  # and for a program that locks even readers out (Broadside's builds never do)
TABLES = (
    "CREATE TABLE IF NOT EXISTS about (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS readings (source_path TEXT PRIMARY KEY, body BLOB)",
    "CREATE TABLE IF NOT EXISTS fields (shard INTEGER PRIMARY KEY, readings BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS outputs (target TEXT, output_path TEXT, fingerprint TEXT, size INTEGER,"
    " mtime_ns INTEGER, PRIMARY KEY (target, output_path)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS memos (target TEXT, name TEXT, key BLOB, value BLOB,"
    " PRIMARY KEY (target, name, key)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS builds (target TEXT PRIMARY KEY, record BLOB NOT NULL)",
)
MEMOS = ("search", "related", "compiled", "uses")  # the BuildCache dicts kept a row per entry (the search memo's
# briefings too)
SHARED = ""  # the target of the rows every output folder shares: the briefings' search entries (no folder is named '')


@dataclass(frozen=True)
class LastBuild:
    """A finished build: a digest of everything it read, what it reported, and the output it left."""

    inputs: str
    pages: int
    held_back: tuple[str, ...]
    warnings: tuple
    files: dict[str, tuple[int, int]]  # output path -> (size, mtime in ns)
    folders: dict[str, int]  # output folder ('' for the output itself) -> mtime in ns: a file added or removed changes it


@dataclass
class BuildCache:
    """What a build remembers: readings by source path, page fingerprints, the written files, search entries."""

    readings: Readings = field(default_factory=Readings)
    fingerprints: dict[str, str] = field(default_factory=dict)
    written: dict[str, tuple[int, int]] = field(default_factory=dict)  # output path -> (size, mtime_ns)
    search: dict = field(default_factory=dict)  # each briefing's search entry
    related: dict = field(default_factory=dict)  # each briefing's related briefings, while the list stays the same
    editions: dict = field(default_factory=dict)  # the related memo of each other language, by root (search's has all)
    basis: tuple | None = None  # what `fingerprints` were made from (renderer.render_changes)
    seen: tuple = ()  # the briefings of the last basis made, with it, kept in memory only (renderer.briefing_maps)
    paths: tuple = ()  # the last build's output paths, as a set, and how many are pages (renderer.path_set)
    compiled: dict = field(default_factory=dict)  # Jinja's compiled templates: key -> (source checksum, bytecode)
    uses: dict = field(default_factory=dict)  # the theme's digest -> each template's digest with what it brings in
    links: dict = field(default_factory=dict)  # what the last link check found clean (links.check_links)
    site: object = None  # the last Site built, kept by a running preview only (never saved: it is in `readings`)
    last: LastBuild | None = None  # and the last build's record, so that its next build need not list the output
    touched: set[str] = field(default_factory=set)  # output paths the preview wrote, not a build (pages shown at once)

    def forget(self) -> None:
        """Forget everything, as an empty BuildCache."""
        vars(self).update(vars(BuildCache()))

    @property
    def started(self) -> bool:
        """Whether a build has read the site into this memory: a running preview's later builds go on from it."""
        return self.readings.job is not None

    def related_of(self, root: str) -> dict:
        """The related memo of the language at `root` ('' for the first), made empty when there is none yet."""
        return self.related if not root else self.editions.setdefault(root, {})


# What unpacking a row raises when its bytes changed on disk but SQLite found nothing wrong with its pages: the
# build then starts the cache again, as for a damaged file, rather than stop with a traceback.
ROW_DAMAGE = (zlib.error, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError,
              IndexError, KeyError)
DAMAGED_ROW = sqlite3.DatabaseError("a row of it cannot be read")

# The libraries whose output a cached reading or page holds: upgrading one may change that output.
LIBRARIES = ("markdown", "nh3", "jinja2", "markupsafe", "pyyaml", "python-slugify", "pycountry", "pillow")


@functools.cache
def code_version() -> str:
    """A fingerprint of Broadside's own code, the libraries it renders with and the Python running it: a change
    invalidates every cache."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + path.read_bytes())
    for library in LIBRARIES:
        try:
            digest.update(f"{library} {metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library} none".encode())
    return digest.hexdigest()


class Cache:
    """One build's cache: what earlier builds into the same output learned (`memory`), the record of the last one,
    and, for a stored cache, the database it came from and goes back to."""

    def __init__(self, output: Path, memory: BuildCache, store: Store | None = None, last: LastBuild | None = None,
                 rest: Callable[[BuildCache], None] | None = None):
        self.output, self._memory, self.store, self.last = output, memory, store, last
        # A running preview's own folder, which only it writes: its last build's record is trusted, but for the
        # pages it wrote since (`touched`), so a save does not look at every file and folder of the output. Not
        # when the folder itself changed (deleted, say, or a file added at its top).
        self.trusted = store is None and last is not None and folder_time(output) == last.folders.get("")
        self.touched = frozenset(memory.touched)
        self.inputs = ""
        # The stamps of the files `previous` found as written (of a trusted preview's, the pages shown at once too:
        # they are rendered and written again, and stamped anew).
        self.intact: dict[str, tuple[int, int]] = {}
        self.relisted: set[str] | None = None  # the output folders `present` found changed since the last build
        self._rest = rest  # reads the readings and memos into `memory` when first needed: a no-change build never does

    @property
    def memory(self) -> BuildCache:
        """What earlier builds learned, read from the database the first time it is asked for."""
        if self._rest is not None:
            rest, self._rest = self._rest, None
            rest(self._memory)
        return self._memory

    @property
    def notes(self) -> list[ContentError]:
        """What went wrong with the stored cache (the build went on without it, or without saving)."""
        return self.store.notes if self.store else []

    @property
    def readings(self) -> dict:
        """Source path -> reading, used and updated by read_site."""
        return self.memory.readings

    def save_readings(self) -> None:
        """Start saving the readings, once the site is read, when they are many new ones (Store.write_readings_apart);
        the build's record waits for them."""
        if self.store is not None:
            self.store.write_readings_apart(self.memory.readings)

    def unchanged(self, inputs: Callable[[], str]) -> LastBuild | None:
        """The last build, when it read exactly these `inputs` (a digest, made only for a stored cache) and the
        output holds exactly what it wrote (the database then forgets the output folders gone since: Store.tidy);
        None when this build has work to do."""
        if self.store is None:
            return None
        self.inputs = inputs()
        last = self.last
        if last and last.inputs == self.inputs and output_as_left(self.output, last):
            self.store.tidy()
            return last
        return None

    def previous(self) -> dict[str, str]:
        """The fingerprints of the output files still exactly as the last build wrote them (`trusted`: all but the
        pages shown at once since)."""
        written, fingerprints = self.memory.written, self.memory.fingerprints
        if self.trusted:  # as its last build left them (which recorded the fingerprints of the files it wrote)
            # The pages shown at once since are no longer as that build wrote them: forgotten from the memory's own
            # record (the next record replaces it), so they are rendered and written again.
            for path in self.touched:
                fingerprints.pop(path, None)
            self.intact = written
            return fingerprints
        intact = intact_files(self.output, written) if self.output.is_dir() else set()
        self.intact = {path: written[path] for path in intact}
        return {path: value for path, value in fingerprints.items() if path in intact}

    def present(self) -> AbstractSet[str] | None:
        """Every file the output holds, from the last build's record and a listing of the few folders changed since
        (the preview's page shown at once changes one); None when that would not spare listing the whole output."""
        if self.last is None:
            return None
        if self.trusted:  # the record's own keys, not a copy, when the pages shown at once are among them (most are)
            self.relisted = {path.rpartition("/")[0] for path in self.touched}
            files = self.last.files.keys()
            return files if all(path in files for path in self.touched) else files | self.touched
        self.relisted = set()
        present = present_files(self.output, self.last, self.relisted)
        if present is None:
            self.relisted = None
        return present

    def record(self, fingerprints: dict[str, str], stamps: dict[str, tuple[int, int]], basis: tuple | None, *,
               pages: int, held_back: tuple[str, ...], warnings: tuple, stamped: set[str] | None = None) -> None:
        """Remember a finished build: its fingerprints, the files written and what it reported (`stamped`: the files
        whose stamps the write took anew, when it says); a stored cache writes the rows that changed."""
        memory = self.memory
        memory.fingerprints, memory.written, memory.basis = fingerprints, stamps, basis
        folders = folder_stamps(self.output, stamps, self.last, self.relisted, stamped)
        self.last = memory.last = LastBuild(self.inputs, pages, held_back, warnings, stamps, folders)
        memory.touched -= self.touched  # those written again while this build ran stay touched
        if self.store is not None:
            self.store.save(self)


@contextlib.contextmanager
def open_cache(project: Path, output: Path, memory: BuildCache | None = None, stored: bool = True) -> Iterator[Cache]:
    """The cache of the builds of `project` into `output`: `memory` when a running preview keeps one (filled from the
    project's database by the preview's first build, when `stored`), the project's database when `stored`, an empty
    one otherwise."""
    output = Path(os.path.abspath(output))
    if memory is not None and (memory.started or not stored):
        last, memory.last = memory.last, None  # until this build is recorded: after a failed one, the next checks
        yield Cache(output, memory, last=last)
        return
    if not stored:
        yield Cache(output, BuildCache())
        return
    if memory is None:
        memory = BuildCache()
    else:  # a preview starting: it goes on from what its last run left in the database, not from a cold build
        memory.forget()
    store = Store.open(project / CACHE_FOLDER, target_of(project, output), project)
    try:
        yield store.load(output, memory) if store.connection is not None else Cache(output, memory, store)
    finally:
        store.close()


@contextlib.contextmanager
def read_cache(project: Path, output: Path) -> Iterator[Cache]:
    """The cache of the builds of `project` into `output`, read only (`check` writes nothing): what the project's
    database holds when it is this version's cache, an empty cache otherwise (no note: a build says what is wrong)."""
    output = Path(os.path.abspath(output))
    path = project / CACHE_FOLDER / DATABASE
    store = Store(path, target_of(project, output), connect_read_only(path), [], read_only=True)
    try:
        yield store.load(output, BuildCache()) if store.connection is not None else Cache(output, BuildCache())
    finally:
        store.close()


def connect_read_only(path: Path) -> sqlite3.Connection | None:
    """The database at `path` opened read only, when it is this version of Broadside's cache; None otherwise."""
    if not path.is_file():
        return None
    connection = None
    try:
        connection = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=OPEN_SECONDS,
                                     isolation_level=None)
        about = dict(connection.execute("SELECT key, value FROM about"))
    except sqlite3.Error:
        return close(connection)
    usable = (APPLICATION, str(SCHEMA_VERSION), code_version())
    return connection if (about.get("application"), about.get("schema"), about.get("code")) == usable else close(connection)


def target_of(project: Path, output: Path) -> str:
    """How the cache names an output folder: relative to the project when inside it (the same in every clone)."""
    try:
        return output.relative_to(Path(os.path.abspath(project))).as_posix()
    except ValueError:
        return output.as_posix()


class Store:
    """The cache database of one project, seen from builds into one output folder (`target`)."""

    def __init__(self, path: Path, target: str, connection: sqlite3.Connection | None, notes: list[ContentError],
                 read_only: bool = False, project: Path | None = None):
        self.path, self.target, self.connection, self.notes = path, target, connection, notes
        self.read_only = read_only  # read_cache's: never written, emptied nor deleted
        self.project = project  # where the targets named relative to it are (None: no target is forgotten)
        self.loaded: dict = {}  # what was read, to find what changed: name -> {key: (object, stored bytes)}
        self.changes = 0  # rows the last save inserted, replaced or deleted
        self.apart: threading.Thread | None = None  # writing the readings while the build goes on (write_readings_apart)
        self.written_apart: dict = {}  # what it wrote: the readings, shards and check, and how many rows it changed

    @classmethod
    def open(cls, folder: Path, target: str, project: Path | None = None) -> Store:
        """Open (or start) the database in `folder`; one that is damaged, foreign or newer is set aside with a note,
        one from another version of Broadside is emptied. Without a usable database, builds go on without one."""
        store = cls(folder / DATABASE, target, None, [], project=project)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            remove_old_cache_files(folder)
        except OSError:
            return store  # a read-only project: build without a cache
        if os.access(folder, os.W_OK):
            store.connect()
        return store

    def connect(self) -> None:
        """Connect to the database, starting a new one in place of one that is damaged, foreign or newer."""
        for attempt in range(2):
            connection = None
            try:
                connection = connect(self.path)
                problem = check_database(connection)
                if problem is None:
                    self.connection = connection
                    return
            except sqlite3.OperationalError as error:  # locked, or the disk is full or failing: leave it be
                close(connection)
                if not self.locked(error):
                    self.notes.append(cache_note(self.path, f"cannot be used ({error}); this build goes on without it",
                                                 "check free disk space"))
                return
            except sqlite3.DatabaseError as error:
                problem = f"is damaged ({error})"
            close(connection)
            if attempt == 0:
                self.notes.append(cache_note(self.path, f"{problem}; it was deleted and a new cache started",
                                             "nothing to do: this build reads every file again"))
                delete_database(self.path)

    def locked(self, error: sqlite3.DatabaseError) -> bool:
        """Whether `error` says another program holds the database; if so, note that this build goes on without it."""
        if not isinstance(error, sqlite3.OperationalError) or not is_locked(error):
            return False
        self.notes.append(cache_note(self.path, "is locked by another program; this build goes on without it",
                                     "close the program holding it, or delete .broadside/cache/"))
        return True

    def load(self, output: Path, memory: BuildCache) -> Cache:
        """What the database holds for builds into `output`, read into `memory` (empty): the last build's record and
        output files at once, the readings every build shares and the memos when the build first needs them (a
        no-change build never does)."""
        try:
            last = self.read_record()
        except sqlite3.DatabaseError as error:
            return self.start_over(output, error, memory)
        except ROW_DAMAGE:
            return self.start_over(output, DAMAGED_ROW, memory)
        return Cache(output, memory, self, last, self.read_rest)

    def start_over(self, output: Path, error: sqlite3.DatabaseError, memory: BuildCache | None = None) -> Cache:
        """A database damaged beyond what opening saw: deleted and started again, with a note (left as it is when
        read only); an empty cache (`memory`, if given, which is empty)."""
        self.connection = close(self.connection)
        self.loaded = {}
        if not self.read_only and not self.locked(error):
            self.notes.append(damaged_note(self.path, error))
            delete_database(self.path)
            self.connect()
        return Cache(output, BuildCache() if memory is None else memory, self)

    def read_rest(self, memory: BuildCache) -> None:
        """Read the readings, fingerprints and memos into `memory`; a damaged database leaves it empty, and is
        started again (unless read only)."""
        try:
            with collection_paused():
                self.read_memos(memory)
                gc.freeze()  # what was just read lives to the end of the command: the cycle collector can skip it
        except (sqlite3.DatabaseError, *ROW_DAMAGE) as error:
            memory.forget()  # nothing read from this database can be trusted now
            self.start_over(Path(), error if isinstance(error, sqlite3.DatabaseError) else DAMAGED_ROW)

    def read_record(self) -> LastBuild | None:
        """Read the last build's record into this target: one row, with the stamps of the files and folders it
        left, so that a no-change build reads nothing else."""
        row = self.connection.execute("SELECT record FROM builds WHERE target = ?", (self.target,)).fetchone()
        record = pickle.loads(row[0]) if row else None
        return LastBuild(**record) if isinstance(record, dict) else None

    def read_memos(self, memory: BuildCache) -> None:
        """Read every reading, and the memos of this target, into `memory`."""
        connection, target = self.connection, self.target
        for path, fingerprint, size, mtime in connection.execute(
                "SELECT output_path, fingerprint, size, mtime_ns FROM outputs WHERE target = ?", (target,)):
            memory.fingerprints[path], memory.written[path] = fingerprint, (size, mtime)
        shards: dict[int, list[str]] = {}  # each row of `fields`: the source paths it holds
        readings = unpack_readings(connection.execute("SELECT shard, readings FROM fields"),
                                   connection.execute("SELECT source_path, body FROM readings"), shards)
        memory.readings = Readings(readings)
        memory.readings.checked = next(iter(connection.execute("SELECT value FROM about WHERE key = 'checked'")), ("",))[0]
        memos: dict[str, dict] = {name: {} for name in (*MEMOS, "basis")}
        entries: dict[tuple, tuple] = {}  # the search entries' shards: (folder, shard) -> (its row's key, entry keys)
        packed: dict[str, dict] = {}  # each briefing's search entry as stored, by index folder then key
        for name, key, value in connection.execute("SELECT name, key, value FROM memos WHERE target = ?", (target,)):
            if name in memos:
                found = pickle.loads(key)
                if name == "search" and len(found) == 3 and found[1] == SEARCH_ENTRIES:
                    entries[(found[0], found[2])] = (key, frozenset(pickle.loads(value)))
                    continue
                plain = zlib.decompress(value)
                memos[name][found] = (pickle.loads(plain), key, plain)
        for key, value in connection.execute("SELECT key, value FROM memos WHERE target = ? AND name = 'search'",
                                             (SHARED,)):
            packed.setdefault(pickle.loads(key)[0], {}).update(pickle.loads(value))
        memory.search = search_from_rows({key: found[0] for key, found in memos["search"].items()})
        # Every index's entries, this folder's or not: a folder built for the first time (the preview, started after
        # a build) indexes only the briefings no other folder did. The render forgets the indexes it does not make.
        for folder, stored in packed.items():
            memory.search.setdefault(folder, {})[SEARCH_ENTRIES] = Stored(stored)
        for key, found in memos["related"].items():  # another language's rows are keyed (its root, key)
            root, name = key if isinstance(key, tuple) else ("", key)
            memory.related_of(root)[name] = found[0]
        memory.compiled = {key: found[0] for key, found in memos["compiled"].items()}
        memory.uses = {key: found[0] for key, found in memos["uses"].items()}
        memory.basis = basis_from_rows({key: found[0] for key, found in memos["basis"].items()})
        self.loaded = {"outputs": (memory.fingerprints, memory.written), "readings": readings, "memos": memos, "entries": entries, "packed": packed,
                       "checked": memory.readings.checked, "shards": shards, "basis": memory.basis}

    def save(self, cache: Cache) -> None:
        """Write the rows that changed since `load`, in one transaction; failing to is never an error (a note)."""
        self.readings_written_apart()
        if self.connection is None or self.read_only:
            return
        try:
            before = self.connection.total_changes
            # The rows made make no garbage cycles, and a collection meanwhile would walk the whole site (a quarter
            # of a second at 20,000 briefings).
            with self.transaction(), collection_paused():
                self.write_changes(cache)
                self.forget_gone_targets()
            self.changes = self.connection.total_changes - before + self.written_apart.get("changes", 0)
            give_back_free_pages(self.connection)
        except sqlite3.OperationalError as error:
            why = "was still locked by another build" if is_locked(error) else f"could not be written ({error})"
            self.notes.append(cache_note(self.path, f"{why}: what this build learned is not remembered",
                                         "the next build reads or renders again what this one did"))
        except sqlite3.DatabaseError as error:
            if error is DAMAGED_ROW:  # another folder's row, read only now: SQLite finds nothing wrong with the file
                self.connection = close(self.connection)
                delete_database(self.path)
            self.notes.append(cache_note(self.path, f"is damaged ({error}); it will be started again",
                                         "nothing to do: the next build reads every file again"))

    def tidy(self) -> None:
        """For a build that saves nothing (no change): forget the output folders gone since, when there are any and
        the database is free at once; otherwise the next build does (it is housekeeping, never worth a wait)."""
        if self.connection is None or self.read_only or not (gone := self.gone_targets()):
            return
        with contextlib.suppress(sqlite3.Error):
            with self.transaction(wait=False):
                self.forget_gone_targets(gone)
            give_back_free_pages(self.connection)

    def transaction(self, wait: bool = True):
        """transaction() on this database's connection."""
        return transaction(self.connection, self.path, wait)

    def write_readings_apart(self, readings: Readings) -> None:
        """Start writing `readings` in a thread of its own, on a connection and in a transaction of its own, when the
        database held fewer than half of them (a first build, or the first after Broadside changed): they are most of
        what such a build saves (a second at 20,000 briefings with the copy into the database), and the pages render
        meanwhile. `save` waits for it, and writes them itself if it failed. Readings hold whatever the build does
        next: kept even when it fails, they spare the next one reading the files again."""
        if self.connection is None or self.read_only or self.apart is not None \
                or 2 * len(self.loaded.get("readings", {})) >= len(readings):
            return
        loaded = self.loaded  # as they are now: `save` takes what the thread wrote in their place
        now = (dict(readings), readings.checked)  # what a running preview changes meanwhile is saved by `save`
        self.apart = threading.Thread(target=self._write_readings, args=(loaded, *now), daemon=True)
        self.apart.start()

    def _write_readings(self, loaded: dict, readings: dict, checked: str) -> None:
        """write_readings_apart's thread: the readings changed since `loaded`, then the copy of them into the
        database (a checkpoint), which the build's own save would otherwise make with everything else."""
        connection = None
        try:
            connection = connect(self.path)
            with transaction(connection, self.path, wait=False):  # another build writes: the save waits for it
                shards = changed_readings_checked(connection.executemany, loaded, readings, checked)
            self.written_apart = {"readings": readings, "shards": shards, "checked": checked,
                                  "changes": connection.total_changes}
            with contextlib.suppress(sqlite3.Error):  # another connection reads: the save's commit copies them
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:  # noqa: BLE001 - written by `save` instead, which says what went wrong
            self.written_apart = {}
        finally:
            close(connection)

    def readings_written_apart(self) -> None:
        """Wait for write_readings_apart's thread, if one runs; take what it wrote as loaded."""
        if self.apart is None:
            return
        self.apart.join()
        self.apart = None
        if self.written_apart:
            self.loaded.update((key, self.written_apart[key]) for key in ("readings", "shards", "checked"))

    def write_changes(self, cache: Cache) -> None:
        """The statements that bring the database's rows for this target up to `cache`."""
        run, target, memory, loaded = self.connection.executemany, self.target, cache.memory, self.loaded
        changed_readings_checked(run, loaded, memory.readings, memory.readings.checked)
        changed_outputs(run, target, *loaded.get("outputs", ({}, {})), memory.fingerprints, memory.written)
        memos = loaded.get("memos", {})
        changed_memos(run, target, "search", memos.get("search", {}), search_rows(memory.search))
        changed_entries(self.connection, target, loaded.get("entries", {}), memory.search, loaded.get("packed", {}))
        changed_memos(run, target, "related", memos.get("related", {}), {**memory.related, **{
            (root, key): value for root, kept in memory.editions.items() for key, value in kept.items()}})
        changed_memos(run, target, "compiled", memos.get("compiled", {}), memory.compiled)
        changed_memos(run, target, "uses", memos.get("uses", {}), memory.uses)
        basis = memos.get("basis", {})
        changed_memos(run, target, "basis", basis, basis_rows(memory.basis, loaded.get("basis"),
                                                              {key: found[0] for key, found in basis.items()}))
        last = cache.last
        record = {"inputs": last.inputs, "pages": last.pages, "held_back": last.held_back, "warnings": last.warnings,
                  "files": last.files, "folders": last.folders}
        run("INSERT OR REPLACE INTO builds VALUES (?, ?)", [(target, pickle.dumps(record, pickle.HIGHEST_PROTOCOL))])

    def gone_targets(self) -> list[str]:
        """The other output folders the database keeps rows for that no longer exist (a `--output` into a folder
        deleted since, say)."""
        if self.project is None:
            return []
        others = targets_of(self.connection, self.target)[1:]
        return [target for target in others if not os.path.isdir(self.project / target)]  # an absolute one as it is

    def forget_gone_targets(self, gone: list[str] | None = None) -> None:
        """Delete the rows of the output folders gone (`gone`, else gone_targets), and the shared search entries that
        only they listed: nothing could use them."""
        gone = self.gone_targets() if gone is None else gone
        if not gone:
            return
        connection = self.connection
        for table in ("outputs", "memos", "builds"):
            connection.executemany(f"DELETE FROM {table} WHERE target = ?", [(target,) for target in gone])
        shards, stored = set(), {}  # every shared row, and the entries they hold, by index folder
        for key, value in connection.execute("SELECT key, value FROM memos WHERE target = ? AND name = 'search'",
                                             (SHARED,)).fetchall():
            folder, _, shard = stored_value(key)
            shards.add((folder, shard))
            stored.setdefault(folder, {}).update(stored_value(value))
        share_entries(connection, shards, {}, stored, targets_of(connection, self.target))

    def close(self) -> None:
        """Close the database (the next build opens it again), once the readings written apart are."""
        self.readings_written_apart()
        self.connection = close(self.connection)


def changed_outputs(run, target: str, fingerprints: dict, written: dict, new_fingerprints: dict, new_written: dict
                    ) -> None:
    """Write the rows of the output files whose fingerprint or stamp (size and time written) changed since the
    `fingerprints` and `written` read, found by comparing the dicts' items rather than a file at a time; delete
    those of the files gone."""
    changed = {path for path, _ in new_fingerprints.items() - fingerprints.items()}
    changed.update(path for path, _ in new_written.items() ^ written.items() if path in new_fingerprints)
    run("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?, ?)",
        ((target, path, new_fingerprints[path], *new_written.get(path, (None, None))) for path in sorted(changed)))
    run("DELETE FROM outputs WHERE target = ? AND output_path = ?",
        ((target, path) for path in fingerprints.keys() - new_fingerprints.keys()))


def changed_memos(run, target: str, name: str, before: dict, after: dict) -> None:
    """Write the entries of one memo that changed, pickled and compressed (search entries are mostly words). An
    immutable entry (a tuple or text) counts as the same when it is the very object read or equal to it; anything
    that can change in place, when it pickles to the bytes read (`before` holds them uncompressed)."""
    def rows():  # made as SQLite takes them, so that a cold build never holds every entry pickled
        for key, value in after.items():
            found = before.get(key)
            if found is not None and isinstance(value, IMMUTABLE) and (value is found[0] or value == found[0]):
                continue
            data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
            if found is None or data != found[2]:
                yield (target, name, found[1] if found else pickle.dumps(key, pickle.HIGHEST_PROTOCOL),
                       zlib.compress(data, 1))

    run("INSERT OR REPLACE INTO memos VALUES (?, ?, ?, ?)", rows())
    run("DELETE FROM memos WHERE target = ? AND name = ? AND key = ?",
        ((target, name, before[key][1]) for key in before.keys() - after.keys()))


IMMUTABLE = (tuple, str, bytes, int, float, type(None))


FIELD_SHARDS = 64  # the readings' fields are kept in this many rows, each reading's by its path's CRC


def changed_readings_checked(run, loaded: dict, readings: dict, checked: str) -> dict[int, list[str]]:
    """changed_readings since the readings `loaded`, and the digest they were `checked` against if it changed; the
    shards as the rows now hold them."""
    if checked != loaded.get("checked"):
        run("INSERT OR REPLACE INTO about VALUES ('checked', ?)", [(checked,)])
    return changed_readings(run, loaded.get("readings", {}), readings, loaded.get("shards", {}))


def changed_readings(run, before: dict, after: dict, shards: dict[int, list[str]]) -> dict[int, list[str]]:
    """Write the readings that changed since `before` (as loaded, by identity): each one's body text in its own row,
    and its fields in the row of its shard, which holds those of every reading of the shard (a build reads every
    reading's fields: one row of many unpacks several times faster than many rows of one). `shards` holds the source
    paths of each row as loaded, so that only the paths of the rows rewritten are looked at again; given back as the
    rows now hold them. A shard at a time, so that a cold build holds the bare copies (bare_reading) of one shard's
    readings, not of every one."""
    changed = [path for path, reading in after.items() if before.get(path) is not reading]
    gone = before.keys() - after.keys()
    new: dict[int, list[str]] = {shard: [] for shard in map(field_shard, gone)}  # the paths changed, by shard
    for path in changed:
        new.setdefault(field_shard(path), []).append(path)
    run("DELETE FROM readings WHERE source_path = ?", ((path,) for path in gone))
    stored = dict(shards)
    for shard, paths in new.items():
        held, bodies = {}, []
        for path in (*shards.get(shard, ()), *paths):
            if path in after and path not in held:
                held[path], body = bare_reading(after[path])
                if before.get(path) is not after[path]:
                    bodies.append((path, body))
        run("INSERT OR REPLACE INTO readings VALUES (?, ?)", bodies)
        if held:  # not compressed: a build unpacks every shard, and decompressing them cost a third as much as unpickling
            run("INSERT OR REPLACE INTO fields VALUES (?, ?)", [(shard, sealed(bare_pickled(held)))])
        else:
            run("DELETE FROM fields WHERE shard = ?", [(shard,)])
        stored[shard] = list(held)
    return {shard: paths for shard, paths in stored.items() if paths}


def sealed(data: bytes) -> bytes:
    """`data` behind its CRC: a row kept uncompressed has no zlib checksum to show that its bytes were damaged."""
    return zlib.crc32(data).to_bytes(4, "big") + data


def unsealed(row: bytes) -> memoryview:
    """The data sealed() kept in `row`; DAMAGED_ROW when its CRC says its bytes changed."""
    data = memoryview(row)[4:]
    if zlib.crc32(data) != int.from_bytes(row[:4], "big"):
        raise DAMAGED_ROW
    return data


def field_shard(path: str) -> int:
    """The row of `fields` a reading's fields are kept in."""
    return zlib.crc32(path.encode()) % FIELD_SHARDS


def bare_reading(reading) -> tuple[object, bytes | None]:
    """A reading as the cache keeps it (its body packed, which bare_pickled writes without its text), then that
    text, packed, for a row of its own. A reading as read is kept as it is: no copy of 20,000 of them."""
    body = getattr(reading.item, "body", None)
    if body is None:
        return reading, None
    if isinstance(body, PackedBody):
        return reading, body.packed
    packed = pack_body(body)
    return replace(reading, item=replace(reading.item, body=packed)), packed.packed


def bare_pickled(value: object) -> bytes:
    """`value` pickled with each packed body's text left out (see bare_reading)."""
    data = io.BytesIO()
    _BarePickler(data, pickle.HIGHEST_PROTOCOL).dump(value)
    return data.getvalue()


class _BarePickler(pickle.Pickler):
    """Writes each packed body without its text; every other object as pickle does."""

    dispatch_table = {PackedBody: PackedBody.reduced_without_text}


def unpack_readings(fields, bodies, shards: dict[int, list[str]]) -> dict:
    """The readings kept by changed_readings, from the rows of `fields` (whose source paths go into `shards`) and
    `readings`, each body's text left packed until asked for; a reading whose body is missing is left out (its file
    is read again)."""
    readings = {}
    for shard, data in fields:
        held = pickle.loads(unsealed(data))
        shards[shard] = list(held)
        readings.update(held)
    found = dict(bodies)
    for path, reading in list(readings.items()):
        body = getattr(reading.item, "body", None)
        if body is None:
            continue
        if found.get(path) is None:
            del readings[path]
        else:
            object.__setattr__(body, "packed", found[path])
    return readings


def search_rows(search: dict) -> dict:
    """The search memo (search.search_files's, per index folder) as memo entries: each index's state in the parts
    search.memo_parts gives (its briefings' entries apart: see changed_entries), so that an edit rewrites the few
    parts it changed, not the whole state."""
    return {(folder, *part): value for folder, state in search.items() for part, value in memo_parts(state).items()}


def search_from_rows(rows: dict) -> dict:
    """The search memo again, from its entries."""
    parts: dict[str, dict] = {}
    for key, value in rows.items():
        parts.setdefault(key[0], {})[key[1:]] = value
    return {folder: memo_from_parts(found) for folder, found in parts.items()}


ENTRY_SHARDS = 64  # each index's briefings' search entries are kept in this many rows, by the CRC of the slug


def changed_entries(connection: sqlite3.Connection, target: str, before: dict[tuple, tuple], search: dict,
                    stored: dict[str, dict]) -> None:
    """Write the rows of the search entries' shards whose keys changed since the last build (`before`: each shard's
    row key and entry keys; `stored`: the entries as read, packed), delete those no longer used, and make again the
    shared rows of those shards (share_entries). An entry's key holds all it is made from, so a shard holding the
    same keys holds the same entries: a one-edit build unpacks one entry and writes a shard's two rows, and a build
    reads the keys of 64 rows, not of a row per briefing. The keys added or gone are found by comparing sets, so only
    theirs are sorted into shards."""
    kept, shared = set(), set()  # shared: the shards whose shared row is made again
    for folder, state in search.items():
        entries = state.get(SEARCH_ENTRIES, {})
        held = {shard: found[1] for (where, shard), found in before.items() if where == folder}
        now = set(entries)
        moved: dict[int, list] = {}  # the keys added or gone, by shard
        for key in now.symmetric_difference(frozenset().union(*held.values())):
            moved.setdefault(entry_shard(key), []).append(key)
        # and those the shared rows lack (another folder's build made their row again meanwhile, without them)
        shared.update((folder, entry_shard(key)) for key in now - stored.get(folder, {}).keys())
        kept.update((folder, shard) for shard in held.keys() - moved.keys())
        for shard, keys in moved.items():
            shared.add((folder, shard))
            keys = [key for key in (*held.get(shard, ()), *keys) if key in now]
            if not keys:
                continue  # every entry of the shard is gone: its row is deleted
            kept.add((folder, shard))
            connection.execute("INSERT OR REPLACE INTO memos VALUES (?, ?, ?, ?)", (
                target, "search", entries_key(folder, shard), pickle.dumps(tuple(keys), pickle.HIGHEST_PROTOCOL)))
    connection.executemany("DELETE FROM memos WHERE target = ? AND name = 'search' AND key = ?",
                           ((target, before[shard][0]) for shard in before.keys() - kept))
    shared.update(before.keys() - kept)
    share_entries(connection, shared, search, stored, targets_of(connection, target))


def share_entries(connection: sqlite3.Connection, shards: set[tuple[str, int]], search: dict,
                  stored: dict[str, dict], targets: list[str]) -> None:
    """Make again the shared rows of `shards`: each holds the entries, packed, of the keys that the rows of the output
    folders (`targets`) list for that shard (one entry for the site and the preview alike), those at hand (`search`:
    this build's; `stored`: those read). An entry another folder's build made since this one started is left out:
    that build makes it again. A row a time: a cold build's rows together hold every entry packed."""
    for folder, shard in sorted(shards):
        key = entries_key(folder, shard)
        needed = listed_keys(connection, key, targets)
        entries, packed = search.get(folder, {}).get(SEARCH_ENTRIES, {}), stored.get(folder, {})
        row = {entry: packed[entry] if entry in packed else stored_entry(entries, entry)
               for entry in needed if entry in packed or entry in entries}
        if row:
            connection.execute("INSERT OR REPLACE INTO memos VALUES (?, ?, ?, ?)",
                               (SHARED, "search", key, pickle.dumps(row, pickle.HIGHEST_PROTOCOL)))
        else:
            connection.execute("DELETE FROM memos WHERE target = ? AND name = 'search' AND key = ?", (SHARED, key))


def targets_of(connection: sqlite3.Connection, target: str) -> list[str]:
    """`target`, then every other output folder whose last build the database keeps."""
    return [target, *(found for (found,) in connection.execute("SELECT target FROM builds WHERE target != ?",
                                                                (target,)))]


def listed_keys(connection: sqlite3.Connection, key: bytes, targets: list[str]) -> set[str]:
    """The search entries' keys that the rows `key` of `targets` list (read by the primary key, a row each)."""
    listed: set[str] = set()
    for target in targets:
        for (value,) in connection.execute("SELECT value FROM memos WHERE target = ? AND name = 'search' AND key = ?",
                                           (target, key)):
            listed.update(stored_value(value))
    return listed


def stored_value(data: bytes):
    """A row's pickled value, read while the cache is saved; DAMAGED_ROW when its bytes cannot be unpickled."""
    try:
        return pickle.loads(data)
    except ROW_DAMAGE:
        raise DAMAGED_ROW from None


def entries_key(folder: str, shard: int) -> bytes:
    """The key of the rows of one shard of an index's search entries (its keys for each folder, its entries shared)."""
    return pickle.dumps((folder, SEARCH_ENTRIES, shard), pickle.HIGHEST_PROTOCOL)


def stored_entry(entries: Mapping, key: str) -> bytes:
    """A search entry packed as its row keeps it: as this build packed it, or packed now."""
    return (entries.packed(key) if isinstance(entries, Entries) else None) or pack_entry(entries[key])


def entry_shard(key: str) -> int:
    """The row a briefing's search entry is kept in, by its slug."""
    return zlib.crc32(entry_slug(key).encode()) % ENTRY_SHARDS


class Stored(Mapping):
    """A memo's entries as the database holds them, each unpacked (decompressed and unpickled) when first asked
    for: a rebuild unpacks only those of what it changed."""

    def __init__(self, packed: dict):
        self.packed, self.unpacked = packed, {}

    def __getitem__(self, key):
        if key not in self.unpacked:
            try:
                self.unpacked[key] = unpack_entry(self.packed[key])
            except ROW_DAMAGE as error:
                raise DamagedCache(str(error)) from error
        return self.unpacked[key]

    def __contains__(self, key: object) -> bool:
        return key in self.packed

    def __iter__(self):
        return iter(self.packed)

    def __len__(self) -> int:
        return len(self.packed)


BASIS_ROWS = 64  # the briefings' cards and digests are kept in this many rows, each briefing's by its key's CRC


def basis_rows(basis: tuple | None, before: tuple | None = None, rows: dict | None = None) -> dict:
    """renderer.render_changes's basis as memo entries: its head, its plan (key and pages), and the briefings' cards
    and digests in BASIS_ROWS rows (an edit rewrites one; a row per briefing made reading them cost more than what
    they spare). Given the basis `before` and its `rows` as read, only the rows of the briefings whose card or digest
    changed are made again."""
    if basis is None:
        return {}
    head, cards, digests, plan = basis
    if before is None or not rows:
        made: dict[int, list] = {}
        for key, card in cards.items():
            made.setdefault(basis_row(key), []).append((key, card, digests[key]))
        parts = {row: tuple(part) for row, part in made.items()}
    else:
        edited = {key for key, _ in cards.items() ^ before[1].items()} | {key for key, _ in digests.items() ^ before[2].items()}
        parts = {key[1]: part for key, part in rows.items() if key[0] == "briefings"}
        moved: dict[int, list] = {}  # the briefings edited, added or removed, by row
        for key in sorted(edited):
            moved.setdefault(basis_row(key), []).append(key)
        for row, keys in moved.items():
            keys = [*(key for key, _, _ in parts.pop(row, ()) if key not in edited), *keys]
            parts[row] = tuple((key, cards[key], digests[key]) for key in keys if key in cards)
    # Tuples, which the save compares as they are (a dict would be pickled to be compared).
    return {("head",): head, ("plan",): plan, **{("briefings", row): part for row, part in parts.items() if part}}


def basis_row(key: str) -> int:
    """The row of the basis a briefing's card and digest are kept in."""
    return zlib.crc32(key.encode()) % BASIS_ROWS


def basis_from_rows(rows: dict) -> tuple | None:
    """The basis again, from its memo entries."""
    if ("head",) not in rows:
        return None
    briefings = [found for row, part in rows.items() if row[0] == "briefings" for found in part]
    return (rows[("head",)], {key: card for key, card, _ in briefings}, {key: digest for key, _, digest in briefings},
            rows.get(("plan",), ("", ())))


class CompiledTemplates(jinja2.BytecodeCache):
    """Jinja's compiled templates, kept in a build's memory (so in the database) by template and source: a build
    that renders a few pages would otherwise spend more compiling the theme than rendering them."""

    def __init__(self, kept: dict):
        self.kept = kept

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Give Jinja the template's code when its source is the one it was compiled from."""
        found = self.kept.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.bytecode_from_string(found[1])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Keep a template Jinja just compiled."""
        self.kept[bucket.key] = (bucket.checksum, bucket.bytecode_to_string())


@contextlib.contextmanager
def collections_spaced(young: int = 20_000):
    """Let Python's cycle collector look at new objects after `young` of them rather than 700: each of its looks
    walks every container still new, and a running preview's later build makes a few dicts of every output path
    (a look took 1-2 ms at 20,000 briefings, a few a save). The garbage it waits for stays bounded."""
    threshold = gc.get_threshold()
    gc.set_threshold(young, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


@contextlib.contextmanager
def transaction(connection: sqlite3.Connection, path: Path, wait: bool = True):
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error), saying so when another build makes us wait (unless told
    not to wait: then the lock's error is raised)."""
    connection.execute("PRAGMA busy_timeout = 0")
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if not is_locked(error) or not wait:
            raise
        print(cache_note(path, "another build is writing it; waiting for it to finish", ""), file=sys.stderr,
              flush=True)
        connection.execute(f"PRAGMA busy_timeout = {int(LOCK_SECONDS * 1000)}")
        connection.execute("BEGIN IMMEDIATE")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise


def connect(path: Path) -> sqlite3.Connection:
    """Open the database in WAL mode (readers never wait for a writer), with transactions made explicit."""
    connection = sqlite3.connect(path, timeout=OPEN_SECONDS, isolation_level=None)
    try:
        # Rows of 2-5 KB (a reading and its packed body) waste half of SQLite's default 4 KB pages in overflow
        # pages; 16 KB pages hold several. Only a new database takes it (before WAL mode is set).
        connection.execute("PRAGMA page_size = 16384")
        if connection.execute("PRAGMA page_count").fetchone() == (0,):  # set on a database made before, it waits to write
            connection.execute("PRAGMA auto_vacuum = INCREMENTAL")  # so that pages freed can go back to the disk
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")  # a cache: losing the last commit on a power cut is fine
    except BaseException:
        connection.close()
        raise
    return connection


def check_database(connection: sqlite3.Connection) -> str | None:
    """Make the tables of a new database; empty one from another version; say what is wrong with a foreign or
    newer one (None when it is usable)."""
    tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables and "about" not in tables:
        return "is not Broadside's build cache"
    about = dict(connection.execute("SELECT key, value FROM about")) if tables else {}
    if tables and about.get("application") != APPLICATION:
        return "is not Broadside's build cache"
    schema = int(about.get("schema", "0")) if about.get("schema", "0").isdigit() else 0
    if schema > SCHEMA_VERSION:
        return f"was made by a newer Broadside (cache format {schema}; this one reads {SCHEMA_VERSION})"
    if schema != SCHEMA_VERSION or about.get("code") != code_version():
        start_again(connection, tables)
    return None


def start_again(connection: sqlite3.Connection, tables: set[str]) -> None:
    """Drop every table and make them new, for this version of Broadside."""
    connection.execute("PRAGMA busy_timeout = %d" % int(LOCK_SECONDS * 1000))
    connection.execute("BEGIN IMMEDIATE")
    try:
        for table in sorted(tables):
            connection.execute(f'DROP TABLE "{table}"')
        for statement in TABLES:
            connection.execute(statement)
        connection.executemany("INSERT INTO about VALUES (?, ?)", [
            ("application", APPLICATION), ("schema", str(SCHEMA_VERSION)), ("code", code_version())])
        connection.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already (a full disk)
            connection.execute("ROLLBACK")
        raise
    # Emptied, the file still has the size of everything the older version kept. Made again while it is empty (a few
    # milliseconds), it shrinks, and a database made before auto_vacuum was set takes it.
    connection.execute("PRAGMA busy_timeout = 0")
    with contextlib.suppress(sqlite3.OperationalError):  # another build is reading it: the next one shrinks it
        connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
        connection.execute("VACUUM")


def give_back_free_pages(connection: sqlite3.Connection) -> None:
    """Give the disk back the pages the rows deleted freed, when they are many (another output folder's rows
    forgotten, say): a one-edit build frees a few, which the next reuses."""
    free = connection.execute("PRAGMA freelist_count").fetchone()[0]
    if free > max(FREE_PAGES, connection.execute("PRAGMA page_count").fetchone()[0] // 8):
        with contextlib.suppress(sqlite3.OperationalError):  # busy: the pages stay free, for later rows
            # A page freed a step, and execute() takes one step: executescript() takes them all. The file shrinks
            # when the pages are copied back from the WAL: now, rather than when the last connection closes.
            connection.executescript("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(PASSIVE)")


FREE_PAGES = 16  # 256 KB of 16 KB pages


def is_locked(error: sqlite3.OperationalError) -> bool:
    """Whether SQLite gave up waiting for another connection's lock."""
    return "locked" in str(error) or "busy" in str(error)


def close(connection: sqlite3.Connection | None) -> None:
    """Close a connection if there is one; give None."""
    if connection is not None:
        with contextlib.suppress(sqlite3.Error):
            connection.close()


def delete_database(path: Path) -> None:
    """Delete an unusable database and its WAL files (it only ever held what builds can find again)."""
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            os.unlink(f"{path}{suffix}")


def remove_old_cache_files(folder: Path) -> None:
    """Delete what older versions of Broadside kept here (a pickle per output folder)."""
    for pattern in ("build-*.pickle", "build-*.last", "build-*.tmp-*"):
        for path in folder.glob(pattern):
            path.unlink(missing_ok=True)


def deleted_as_damaged(project: Path) -> ContentError:
    """Delete the project's database after a build found a damaged row that it reads only when needed; the note."""
    path = project / CACHE_FOLDER / DATABASE
    delete_database(path)
    return damaged_note(path, DAMAGED_ROW)


def damaged_note(path: Path, error: Exception) -> ContentError:
    """The note of a damaged database that was deleted and started again."""
    return cache_note(path, f"is damaged ({error}); it was deleted and a new cache started",
                      "nothing to do: this build reads every file again")


def cache_note(path: Path, message: str, hint: str) -> ContentError:
    """A note about the cache, named as the user sees it."""
    return ContentError(f"{CACHE_FOLDER}/{path.name}", None, message, hint, warning=True)


def inputs_digest(settings: object, folders: list[Path], files: list[Path], listed: dict | None = None) -> str:
    """A digest of `settings`, Broadside's code and the name, size, time and inode of every file in `folders` and of `files`.

    Any edit, addition, removal or rename under content/ or the theme changes it, as does a new day (in
    `settings`) that may publish a scheduled briefing. `listed`, when given, takes each folder's listing (see
    stamp_tree).
    """
    stamps = [f"{code_version()}\0{settings!r}", *(f"{path}:{_stamp(path)}" for path in files)]
    for folder in folders:
        stamp_tree(str(folder), stamps, listed)
    return hashlib.sha256("\0".join(stamps).encode()).hexdigest()


def stamp_tree(folder: str, stamps: list[str], listed: dict | None = None) -> None:
    """Add the path and stamp of every file under `folder` to `stamps`, sorted as text, files before folders.

    One lstat a file, from the folder's listing (a link is followed too, so an edit to its target counts). Each
    folder's entries, as the system lists them, go into `listed` when given: their lstat is kept, so the reader lists
    content/ from them (in name order) without a second look at each file, and sees the files as the digest did.
    """
    try:
        with os.scandir(folder) as listing:
            # As listed: the stamps are sorted below, as text. Sorting the entries by name (a Python key for each)
            # took a third of the digest's time at 20,000 files.
            entries = list(listing)
    except OSError:
        return
    if listed is not None:
        listed[folder] = entries
    found, inner = [], []
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            found.append(f"{entry.path}:()")
            continue
        if stat.S_ISDIR(info.st_mode):
            inner.append(entry.path)
        elif stat.S_ISLNK(info.st_mode):
            found.append(f"{entry.path}:{_stamp(entry.path)}")
        else:
            found.append(f"{entry.path}:{info.st_size} {info.st_mtime_ns} {info.st_ino} {info.st_mode}")
    found.sort()
    stamps += found
    for path in sorted(inner):
        stamps.append(f"{path}/")
        stamp_tree(path, stamps, listed)


def _stamp(path: os.PathLike | str) -> tuple:
    """What changes when a file (or the file a link points to) changes; None when it is missing."""
    try:
        info, link = os.stat(path), os.lstat(path)
    except OSError:
        return ()
    return (info.st_size, info.st_mtime_ns, info.st_ino, info.st_mode, link.st_mode, link.st_mtime_ns)


def folder_stamps(output: Path, files: dict, last: LastBuild | None = None, relisted: set[str] | None = None,
                  stamped: set[str] | None = None) -> dict[str, int]:
    """The modification time of the output folder and of every folder holding an output file.

    Given the `last` build's record and the folders found changed since (`relisted`, by Cache.present), only the
    folders this build changed are looked at again: those where a file was written, added or removed, or a folder
    added or removed; every other one still has the time the last build recorded. `stamped`, the files whose stamps
    are new (the others have the last build's, as Cache.previous found them intact), spares comparing every stamp.
    """
    if last is not None and relisted is not None and last.files.keys() <= files.keys():
        # No file removed (most rebuilds; an edit may add a search shard): the folders are the last build's and those
        # of the files added, and only those where a file was written or added (or a folder added) changed.
        before, added = last.files, set()
        written = [path for path in (files if stamped is None else stamped) if before.get(path) != files[path]]
        for path in written:
            folder = path.rpartition("/")[0] if path not in before else ""
            while folder and folder not in last.folders and folder not in added:
                added.add(folder)
                folder = folder.rpartition("/")[0]
        changed = {*relisted, *(path.rpartition("/")[0] for path in written),
                   *(folder.rpartition("/")[0] for folder in added), *added}
        return {**last.folders, **{folder: os.stat(f"{output}/{folder}").st_mtime_ns for folder in sorted(changed)
                                   if folder in last.folders or folder in added}}
    folders = {""} | {path.rsplit("/", 1)[0] for path in files if "/" in path}
    for folder in list(folders):  # the folders between, too: a stray folder added there changes their time
        while "/" in folder:
            folder = folder.rsplit("/", 1)[0]
            folders.add(folder)
    if last is None or relisted is None:
        return {folder: os.stat(f"{output}/{folder}").st_mtime_ns for folder in sorted(folders)}
    changed = set(relisted)
    changed.update(path.rpartition("/")[0] for path, _ in files.items() - last.files.items())
    changed.update(path.rpartition("/")[0] for path in last.files.keys() - files.keys())
    changed.update(folder.rpartition("/")[0] for folder in folders.symmetric_difference(last.folders) if folder)
    return {folder: os.stat(f"{output}/{folder}").st_mtime_ns if folder in changed or folder not in last.folders
            else last.folders[folder] for folder in sorted(folders)}


def folder_time(folder: Path) -> int | None:
    """The folder's modification time in ns; None when it is missing."""
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:
        return None


def folders_as_left(output: Path, last: LastBuild) -> bool:
    """True when no file was added to or removed from `output` since the last build."""
    try:
        return bool(last.folders) and all(os.stat(f"{output}/{folder}").st_mtime_ns == stamp
                                          for folder, stamp in last.folders.items())
    except OSError:
        return False


def present_files(output: Path, last: LastBuild, changed: set[str] | None = None, most: int = 64) -> set[str] | None:
    """The files `output` holds: those the last build left, with the folders whose time changed since listed
    again (added to `changed`); None when a folder is gone or more than `most` changed."""
    changed = set() if changed is None else changed
    for folder, stamp in last.folders.items():
        try:
            if os.stat(f"{output}/{folder}").st_mtime_ns != stamp:
                changed.add(folder)
        except OSError:
            return None
    if len(changed) > most:
        return None
    listed = set(changed)
    present = {path for path in last.files if path.rpartition("/")[0] not in listed} if changed else set(last.files)
    for folder in changed:
        with os.scandir(f"{output}/{folder}") as listing:
            for entry in listing:
                path = f"{folder}/{entry.name}" if folder else entry.name
                if not entry.is_dir(follow_symlinks=False):
                    present.add(path)
                elif path not in last.folders:  # a folder added since: everything in it
                    present.update(f"{path}/{inner}" for inner in walk_files(Path(entry.path)))
    return present


def output_as_left(output: Path, last: LastBuild) -> bool:
    """True when `output` holds exactly the files the last build wrote, untouched since."""
    return folders_as_left(output, last) and len(intact_files(output, last.files)) == len(last.files)
