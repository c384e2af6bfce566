"""Takes problems found anywhere in a run and gives them one shape: `path:line[:col]: message (hint)`."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ContentError:
    """One problem in one file, located as precisely as we know."""

    path: str
    line: int | None
    message: str
    hint: str = ""
    col: int | None = None
    warning: bool = False

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        kind = "warning: " if self.warning else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}: {kind}{self.message}{hint}"

    def as_error(self) -> ContentError:
        """Return the same problem counted as an error (used by --strict)."""
        return ContentError(self.path, self.line, self.message, self.hint, self.col, False)


class BuildFailed(Exception):
    """Raised with every error of a run, so they are all reported at once."""

    def __init__(self, errors: list[ContentError] | tuple[ContentError, ...]):
        self.errors = tuple(sorted(errors, key=sort_key))
        super().__init__("\n".join(str(error) for error in self.errors))

    def __reduce__(self):
        # Rebuilt from its errors, not its message, when it comes back from a worker process.
        return (BuildFailed, (self.errors,))


class DamagedCache(Exception):
    """Raised when a row of the build cache read only when needed (a body's text, a search entry) turns out damaged:
    the build then starts again without the cache."""


def sort_key(problem: ContentError) -> tuple:
    """Order problems by file, then position, so reports are stable."""
    return (problem.path, problem.line or 0, problem.col or 0, problem.message)
