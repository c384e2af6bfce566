"""Takes (step, done, total) counts from a build and gives a one-line progress bar on a terminal."""
from __future__ import annotations

import sys
from typing import Callable, TextIO

Progress = Callable[[str, int, int], None]
WIDTH = 30


def no_progress(step: str, done: int, total: int) -> None:
    """Say nothing: for pipes, files, tests and --quiet."""


def terminal_progress(stream: TextIO = sys.stderr, minimum: int = 50) -> Progress:
    """A bar redrawn in place, shown only for steps of at least `minimum` items and only on a terminal."""
    if not stream.isatty():
        return no_progress

    def show(step: str, done: int, total: int) -> None:
        if total < minimum or (done % max(1, total // 50) and done != total):
            return
        filled = WIDTH * done // total
        stream.write(f"\r{step:<10} [{'#' * filled}{' ' * (WIDTH - filled)}] {done}/{total}")
        if done == total:
            stream.write("\r\033[K")  # clear the line: the summary line follows
        stream.flush()

    return show
