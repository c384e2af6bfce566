"""Takes {output_path: bytes} and gives the output folder, changed all at once: the only code that writes it.

Everything new is first written to a sibling folder `<output>.tmp-<pid>`, the staging folder. A first
build then renames that folder into place. Later builds move just the changed files in and delete the
stale ones, with SIGINT/SIGTERM held off while they do, so an interrupted build leaves the previous output
as it was (the staging folder is removed, or swept by the next build). A file given as None is unchanged
since the last build and stays as it is. Rendering workers may write pages into the staging folder as they
go (`Staging.put`), so a large site is never held in memory whole.

Nothing is flushed to disk with fsync: an interrupted or failed build cannot mix old and new files, and after
a power cut a build simply runs again (the output is always rebuilt from content/).
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import posixpath
import re
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import AbstractSet, Iterable, Mapping

from .errors import BuildFailed, ContentError

SAFE_PATH = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


@dataclass(frozen=True)
class Staged:
    """Stands for a file already written into the staging folder at its output path."""


STAGED = Staged()


@dataclass(frozen=True)
class WriteReport:
    """How many files a write changed and left alone, and each file's stamp for the next build."""

    written: int
    unchanged: int
    stamps: dict[str, tuple[int, int]]  # output path -> (size, mtime in ns)
    stamped: set[str] | None = None  # the files stamped anew (the others kept the stamps the write was given)


@dataclass(frozen=True)
class Staging:
    """An output folder being written: its staging folder, and whether it replaces the output whole (first build)."""

    output: Path
    folder: Path
    whole: bool

    def put(self, files: dict[str, bytes]) -> dict[str, Staged]:
        """Write files into the staging folder now (from any process); give the marks that stand for them."""
        for output_path, data in files.items():
            check_output_path(output_path)
            target = self.folder / output_path
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as handle:
                handle.write(data)
        return dict.fromkeys(files, STAGED)

    def commit(self, files: dict[str, bytes | Staged | None], present: AbstractSet[str] | None = None,
               stamps: dict[str, tuple[int, int]] | None = None) -> WriteReport:
        """Make the output hold exactly `files` (staged, given as bytes, or None: unchanged).

        `present`, when known, is every file the output holds now (it spares looking through the folder);
        `stamps`, the stamps of the unchanged files, just checked (it spares a stat of each).
        """
        changed = [path for path, data in files.items() if data is not None]  # of a preview's save, a few of 28,000
        for output_path in changed:  # an unchanged file's path was checked by the build that wrote it
            check_output_path(output_path)
        if self.whole:
            written = fill_folder(self.folder, files)
            swap_in(self.folder, self.output)
        else:
            written = update_folder(self.output, self.folder, files, changed, present)
        return WriteReport(written, len(files) - written, *new_stamps(self.output, files, changed, stamps or {}))


def new_stamps(output: Path, files: dict, changed: list[str], known: dict[str, tuple[int, int]]
               ) -> tuple[dict[str, tuple[int, int]], set[str]]:
    """The stamp of each of `files`: the one `known` for an unchanged file, taken as it is, and a new one for the
    others (a preview's save writes a few of 28,000: no pass over every file but a copy); and the paths stamped anew.

    Each unchanged file's stamp is known, so the files are as many as the known ones and the changed ones not known
    unless some known are gone; only then are they looked for."""
    stamps, stamped = dict(known), set(changed)
    if not held_whole(files, known, stamped):
        for path in known.keys() - files.keys():  # files of the last build gone
            del stamps[path]
        stamped.update(files.keys() - known.keys())
    for path in stamped:
        stamps[path] = stamp_of(f"{output}/{path}")
    return stamps, stamped


def write_site(files: dict[str, bytes | None], output: Path, label: str = "output") -> WriteReport:
    """Make the folder `output` hold exactly `files`; raise BuildFailed if that cannot be done."""
    with staging_for(output, label) as staging:
        return staging.commit(files)


@contextlib.contextmanager
def staging_for(output: Path, label: str = "output"):
    """Lock the output, make its staging folder and give a Staging; always remove the staging folder after.

    A file that cannot be written (full disk, read-only folder) ends the build with one clear error.
    """
    output = Path(os.path.abspath(output))
    with build_lock(output, label):
        refuse_foreign_folder(output, label)
        sweep_leftovers(output)
        temporary = output.with_name(f"{output.name}.tmp-{os.getpid()}")
        try:
            temporary.mkdir()
            yield Staging(output, temporary, not output.is_dir())
        except OSError as error:
            raise BuildFailed([ContentError(label, None, f"cannot write {label}/: {error.strerror or error}",
                                            "check free disk space and that the folder is writable")]) from None
        finally:
            remove_tree(temporary)


def replace_file(output: Path, output_path: str, data: bytes, label: str = "output") -> None:
    """Replace one file of an existing output folder at once (the preview shows an edited page before the rest)."""
    check_output_path(output_path)
    output = Path(os.path.abspath(output))
    target = output / output_path
    # The preview builds in a thread of its own while it shows an edited page at once: its own build holds the lock.
    ours = str(output.parent) in HELD
    with contextlib.nullcontext() if ours else build_lock(output, label):
        temporary = target.with_name(f"{target.name}~{os.getpid()}")  # "~" is in no output path
        try:
            temporary.write_bytes(data)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)


def stamp_of(path: Path | str) -> tuple[int, int]:
    """What tells a later build whether a written file is still as written."""
    info = os.stat(path)
    return (info.st_size, info.st_mtime_ns)


def intact_files(output: Path, stamps: dict[str, tuple[int, int]]) -> set[str]:
    """The files of the last build still in `output` exactly as written (nobody touched them since)."""
    intact, folder, stat = set(), f"{output}/", os.stat  # plain strings: Path costs more than the stat
    for path, stamp in stamps.items():
        try:
            info = stat(folder + path)
        except OSError:
            continue
        if (info.st_size, info.st_mtime_ns) == stamp:
            intact.add(path)
    return intact


def check_output_path(output_path: str) -> None:
    """Refuse any path that could land outside the output folder."""
    parts = output_path.split("/")
    if not SAFE_PATH.match(output_path) or any(part in ("", ".", "..") for part in parts) \
            or posixpath.normpath(output_path) != output_path:
        raise BuildFailed([ContentError("output", None, f"refusing to write outside the output folder: '{output_path}'",
                                        "this is a bug in Broadside or its theme; please report it")])


@contextlib.contextmanager
def build_lock(output: Path, label: str):
    """Hold an exclusive lock on the output's parent folder, so two builds never interleave."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(output.parent, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildFailed([ContentError(label, None, f"another build is running (pid {other_builder(output)})",
                                            "wait for it to finish, then build again")]) from None
        HELD.add(str(output.parent))
        try:
            yield
        finally:
            HELD.discard(str(output.parent))
    finally:
        os.close(fd)


HELD: set[str] = set()  # the folders whose build lock this process holds


def other_builder(output: Path) -> str:
    """Guess the pid of the build that holds the lock from its temporary folder's name."""
    for sibling in output.parent.glob(f"{output.name}.tmp-*"):
        return sibling.name.rsplit("-", 1)[1]
    return "unknown"


def refuse_foreign_folder(output: Path, label: str) -> None:
    """Never replace a folder Broadside did not make: it could hold someone's files."""
    if output.is_symlink() or (output.exists() and not output.is_dir()):
        raise BuildFailed([ContentError(label, None, f"{label} is not a folder", "choose another --output")])
    if output.is_dir() and any(output.iterdir()) and not (output / ".nojekyll").is_file():
        raise BuildFailed([ContentError(label, None, f"{label}/ holds files Broadside did not write",
                                        "choose an empty or new folder with --output")])


def sweep_leftovers(output: Path) -> None:
    """Remove temporary folders that an interrupted build left behind (we hold the lock)."""
    for pattern in (f"{output.name}.tmp-*", f"{output.name}.old-*"):
        for leftover in output.parent.glob(pattern):
            remove_tree(leftover)


def fill_folder(folder: Path, files: dict[str, bytes | Staged | None]) -> int:
    """Write into the new `folder` every file not staged there yet; return how many files it holds."""
    for output_path, data in files.items():
        if data is None:
            raise ValueError(f"{output_path} is marked unchanged but there is no previous output")
        if not isinstance(data, Staged):  # a mark made in a worker is a copy: compare by type
            target = folder / output_path
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as handle:
                handle.write(data)
    return len(files)


def held_whole(files: Mapping, held: AbstractSet[str] | Mapping, changed: Iterable[str]) -> bool:
    """Whether `held` (the files present, or those with known stamps: every unchanged file is among them) holds no
    path `files` lacks, told by counting: `files` are then exactly `held` and the `changed` paths it lacks."""
    return len(held) + sum(path not in held for path in changed) == len(files)


def update_folder(output: Path, staging: Path, files: dict[str, bytes | Staged | None], changed: list[str],
                  present: AbstractSet[str] | None = None) -> int:
    """Change `output` to hold exactly `files`: stage what changed (`changed`: the paths whose data is not None),
    then move it in at once; return how many."""
    moves = []
    for output_path in changed:
        data = files[output_path]
        if isinstance(data, Staged):
            staged = staging / output_path
            if not same_file(output / output_path, staged):
                moves.append((staged, output / output_path))
            continue
        if same_bytes(output / output_path, data):
            continue
        # Staged flat, by number: creating a folder per page would cost more than the write itself.
        name = staging / f"~{len(moves)}"  # "~" is in no output path: never a staged page
        with open(name, "xb") as handle:
            handle.write(data)
        moves.append((name, output / output_path))
    if present is None:
        stale = [path for path in walk_files(output) if path not in files]
    else:  # an unchanged file is present: unless some present are stale (counted), none is looked for
        stale = () if held_whole(files, present, changed) else present - files.keys()
    with signals_held():
        for name, target in moves:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(name, target)
        for path in stale:
            (output / path).unlink()
        remove_emptied_folders(output, stale)
    return len(moves)


def same_file(path: Path, staged: Path) -> bool:
    """True when `path` is a regular file with the bytes of the staged file."""
    try:
        return (not path.is_symlink() and path.stat().st_size == staged.stat().st_size
                and path.read_bytes() == staged.read_bytes())
    except OSError:
        return False


def same_bytes(path: Path, data: bytes) -> bool:
    """True when `path` is a regular file holding exactly `data` (a re-rendered page often is)."""
    try:
        return not path.is_symlink() and path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def walk_files(folder: Path) -> list[str]:
    """Every file under `folder`, as output paths."""
    found = []
    for root, _, names in os.walk(folder):
        prefix = os.path.relpath(root, folder).replace(os.sep, "/")
        found += [name if prefix == "." else f"{prefix}/{name}" for name in names]
    return found


def remove_emptied_folders(output: Path, stale: Iterable[str]) -> None:
    """Remove the folders that deleting the `stale` files left empty (a language given up empties a whole tree)."""
    folders = set()
    for path in stale:
        while "/" in path:
            path = path.rpartition("/")[0]
            folders.add(path)
    for folder in sorted(folders, key=lambda name: name.count("/"), reverse=True):  # the deepest first
        with contextlib.suppress(OSError):  # one that still holds something stays
            os.rmdir(output / folder)


@contextlib.contextmanager
def signals_held():
    """Hold SIGINT and SIGTERM off until the block ends: they are delivered then."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def swap_in(new: Path, output: Path) -> None:
    """Make `new` the output folder; no signal can land between the two renames."""
    old = output.with_name(f"{output.name}.old-{os.getpid()}")
    with signals_held():
        if output.exists():
            os.rename(output, old)
        try:
            os.rename(new, output)
        except OSError:
            if old.exists():
                os.rename(old, output)
            raise
    remove_tree(old)


def remove_tree(path: Path) -> None:
    """Delete a folder of ours if it exists, even when interrupted again meanwhile."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
