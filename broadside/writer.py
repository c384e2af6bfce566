"""Takes {output_path: bytes} and gives the output folder, replaced all at once: the only code that writes it.

The new build goes into a sibling folder `<output>.tmp-<pid>`; files whose bytes did not change are
hard-linked from the previous build; then the old folder is renamed away and the new one renamed in,
with SIGINT/SIGTERM held off between the two renames. A failed or interrupted build leaves the
previous output as it was, and its temporary folder is removed (or swept by the next build).
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import posixpath
import re
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildFailed, ContentError

SAFE_PATH = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


@dataclass(frozen=True)
class WriteReport:
    """How many files a write produced, and how many were unchanged since the last build."""

    written: int
    unchanged: int


def write_site(files: dict[str, bytes], output: Path, label: str = "output") -> WriteReport:
    """Replace the folder `output` by exactly `files`; raise BuildFailed if that cannot be done."""
    output = Path(os.path.abspath(output))
    for output_path in files:
        check_output_path(output_path)
    with build_lock(output, label):
        refuse_foreign_folder(output, label)
        sweep_leftovers(output)
        temporary = output.with_name(f"{output.name}.tmp-{os.getpid()}")
        try:
            report = fill_folder(temporary, files, output)
            swap_in(temporary, output)
        except OSError as error:
            raise BuildFailed([ContentError(label, None, f"cannot write {label}/: {error.strerror or error}",
                                            "check free disk space and that the folder is writable")]) from None
        finally:
            remove_tree(temporary)
    return report


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
        yield
    finally:
        os.close(fd)


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


def fill_folder(folder: Path, files: dict[str, bytes], previous: Path) -> WriteReport:
    """Write every file into `folder`, hard-linking those identical to the previous build."""
    folder.mkdir()
    unchanged = 0
    for output_path, data in files.items():
        target = folder / output_path
        target.parent.mkdir(parents=True, exist_ok=True)
        if link_if_unchanged(previous / output_path, target, data):
            unchanged += 1
        else:
            with open(target, "xb") as handle:
                handle.write(data)
    os.sync()  # the data must be on disk before the rename makes it the output
    return WriteReport(len(files) - unchanged, unchanged)


def link_if_unchanged(old: Path, new: Path, data: bytes) -> bool:
    """Hard-link `old` to `new` when it holds exactly `data`; say whether it did."""
    try:
        if old.is_symlink() or old.stat().st_size != len(data) or old.read_bytes() != data:
            return False
        os.link(old, new)
        return True
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EROFS, errno.EDQUOT):
            raise
        return False


def swap_in(new: Path, output: Path) -> None:
    """Make `new` the output folder; no signal can land between the two renames."""
    old = output.with_name(f"{output.name}.old-{os.getpid()}")
    blocked = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        if output.exists():
            os.rename(output, old)
        try:
            os.rename(new, output)
        except OSError:
            if old.exists():
                os.rename(old, output)
            raise
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    remove_tree(old)


def remove_tree(path: Path) -> None:
    """Delete a folder of ours if it exists, even when interrupted again meanwhile."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
