"""Takes what one build learned (files read, pages rendered, files written) and gives it to the next build.

The cache lives in .broadside/cache/ (git-ignored) and only ever makes a build faster: every entry
is checked before use, a cache from another version of Broadside, Python or the theme is ignored,
and deleting the folder is always safe.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
from dataclasses import dataclass, field
from pathlib import Path

CACHE_FOLDER = ".broadside/cache"
PACKAGE = Path(__file__).resolve().parent


@dataclass
class BuildCache:
    """What a build remembers: readings by source path, page fingerprints, the written files, search entries."""

    readings: dict = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    written: dict[str, tuple[int, int]] = field(default_factory=dict)  # output path -> (size, mtime_ns)
    search: dict = field(default_factory=dict)  # each briefing's search entry


def code_version() -> str:
    """A fingerprint of Broadside's own code and the Python running it: a change invalidates every cache."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(PACKAGE.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def cache_file(project: Path, output: Path) -> Path:
    """The cache of one project built into one output folder (a preview and output/ keep their own)."""
    name = hashlib.sha256(os.path.abspath(output).encode()).hexdigest()[:16]
    return project / CACHE_FOLDER / f"build-{name}.pickle"


def load_cache(path: Path) -> BuildCache:
    """Read a cache; anything missing, unreadable or from another version gives an empty one."""
    try:
        with open(path, "rb") as handle:
            version, cache = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError):
        return BuildCache()
    return cache if version == code_version() and isinstance(cache, BuildCache) else BuildCache()


def save_cache(path: Path, cache: BuildCache) -> None:
    """Write a cache atomically; failing to is never an error (the next build is just slower)."""
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            pickle.dump((code_version(), cache), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
