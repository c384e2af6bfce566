"""Takes what one build learned (files read, pages rendered, files written) and gives it to the next build.

The cache lives in .broadside/cache/ (git-ignored) and only ever makes a build faster: every entry
is checked before use, a cache from another version of Broadside, Python or the theme is ignored,
and deleting the folder is always safe. Beside it, a small record of the last build (`LastBuild`) lets a
build that finds every input and every output file exactly as that build left them stop at once.
"""
from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import os
import pickle
import sys
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path

from .writer import intact_files

CACHE_FOLDER = ".broadside/cache"
PACKAGE = Path(__file__).resolve().parent


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

    readings: dict = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    written: dict[str, tuple[int, int]] = field(default_factory=dict)  # output path -> (size, mtime_ns)
    search: dict = field(default_factory=dict)  # each briefing's search entry
    related: dict = field(default_factory=dict)  # each briefing's related briefings, while the list stays the same
    basis: tuple | None = None  # what `fingerprints` were made from (renderer.render_changes)
    site: object = None  # the last Site built, kept by a running preview only (never saved: it is in `readings`)


# The libraries whose output a cached reading or page holds: upgrading one may change that output.
LIBRARIES = ("markdown", "nh3", "jinja2", "markupsafe", "pyyaml", "python-slugify", "pycountry", "pillow")


@functools.cache
def code_version() -> str:
    """A fingerprint of Broadside's own code, the libraries it renders with and the Python running it: a change
    invalidates every cache."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(PACKAGE.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    for library in LIBRARIES:
        try:
            digest.update(f"{library} {metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library} none".encode())
    return digest.hexdigest()


def cache_file(project: Path, output: Path) -> Path:
    """The cache of one project built into one output folder (a preview and output/ keep their own)."""
    name = hashlib.sha256(os.path.abspath(output).encode()).hexdigest()[:16]
    return project / CACHE_FOLDER / f"build-{name}.pickle"


def load_cache(path: Path) -> BuildCache:
    """Read a cache; anything missing, unreadable or from another version gives an empty one."""
    try:
        with open(path, "rb") as handle, collection_paused():
            version, cache = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError):
        return BuildCache()
    return cache if version == code_version() and isinstance(cache, BuildCache) else BuildCache()


@contextlib.contextmanager
def collection_paused():
    """Pause Python's cycle collector: unpickling a big cache makes it walk every new object again and again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def save_cache(path: Path, cache: BuildCache) -> None:
    """Write a cache atomically; failing to is never an error (the next build is just slower)."""
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            pickle.dump((code_version(), replace(cache, site=None)), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):  # on a read-only disk even this fails
            temporary.unlink(missing_ok=True)


def inputs_digest(settings: object, folders: list[Path], files: list[Path]) -> str:
    """A digest of `settings`, Broadside's code and the name, size, time and inode of every file in `folders` and of `files`.

    Any edit, addition, removal or rename under content/ or the theme changes it, as does a new day (in
    `settings`) that may publish a scheduled briefing.
    """
    digest = hashlib.sha256(f"{code_version()}\0{settings!r}".encode())
    for path in files:
        digest.update(f"\0{path}:{_stamp(path)}".encode())
    for folder in folders:
        for root, dirs, names in os.walk(folder):
            dirs.sort()
            for name in sorted(names) + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
                path = os.path.join(root, name)
                digest.update(f"\0{path}:{_stamp(path)}".encode())
    return digest.hexdigest()


def _stamp(path: os.PathLike | str) -> tuple:
    """What changes when a file (or the file a link points to) changes; None when it is missing."""
    try:
        info, link = os.stat(path), os.lstat(path)
    except OSError:
        return ()
    return (info.st_size, info.st_mtime_ns, info.st_ino, info.st_mode, link.st_mode, link.st_mtime_ns)


def last_build_file(path: Path) -> Path:
    """Where the record of the last build sits, beside its cache."""
    return path.with_suffix(".last")


def load_last_build(path: Path) -> LastBuild | None:
    """The record of the last build into this output, if there is a readable one from this version."""
    try:
        with open(last_build_file(path), "rb") as handle:
            version, last = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError):
        return None
    return last if version == code_version() and isinstance(last, LastBuild) else None


def save_last_build(path: Path, last: LastBuild | None) -> None:
    """Record a finished build (or, with None, forget it); failing to is never an error."""
    target = last_build_file(path)
    temporary = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    try:
        if last is None:
            target.unlink(missing_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            pickle.dump((code_version(), last), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, target)
    except OSError:
        with contextlib.suppress(OSError):  # on a read-only disk even this fails
            temporary.unlink(missing_ok=True)


def folder_stamps(output: Path, files: dict) -> dict[str, int]:
    """The modification time of the output folder and of every folder holding an output file."""
    folders = {""} | {path.rsplit("/", 1)[0] for path in files if "/" in path}
    for folder in list(folders):  # the folders between, too: a stray folder added there changes their time
        while "/" in folder:
            folder = folder.rsplit("/", 1)[0]
            folders.add(folder)
    return {folder: os.stat(f"{output}/{folder}").st_mtime_ns for folder in sorted(folders)}


def folders_as_left(output: Path, last: LastBuild) -> bool:
    """True when no file was added to or removed from `output` since the last build."""
    try:
        return all(os.stat(f"{output}/{folder}").st_mtime_ns == stamp for folder, stamp in last.folders.items())
    except OSError:
        return False


def output_as_left(output: Path, last: LastBuild) -> bool:
    """True when `output` holds exactly the files the last build wrote, untouched since."""
    return folders_as_left(output, last) and len(intact_files(output, last.files)) == len(last.files)
