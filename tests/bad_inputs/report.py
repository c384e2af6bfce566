"""Takes the results of bad-input cases and gives the figures of shared/spec/bad-inputs.md, one a line.

`python -m tests.bad_inputs` prints them, and so does the pytest run of tests/test_bad_inputs.py (see tests/conftest.py).
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass

import pytest

from tests.bad_inputs.runner import Result


@dataclass(frozen=True)
class SuiteRun:
    """The results of one run of the cases and how long the whole run took."""

    results: list[Result]
    seconds: float


SUITE_RUN = pytest.StashKey[SuiteRun]()  # where tests/test_bad_inputs.py leaves its run for the terminal summary


def percent(part: int, whole: int) -> str:
    """'100 % (12/12)', or 'n/a' when there is nothing to count."""
    return f"{100 * part / whole:.0f} % ({part}/{whole})" if whole else "n/a"


def figures(results: list[Result], seconds: float) -> list[str]:
    """The report, one figure a line."""
    fails = [r for r in results if r.located is not None]
    kept = [r for r in results if r.output_kept is not None]
    named = lambda word: [r for r in results if word in r.case.name]  # noqa: E731
    collisions, encodings = named("collision"), [r for r in results if r.case.spec.get("row") in (6, 7) and r.case.spec["outcome"] == "ACCEPT"]
    slowest = max(results, key=lambda r: r.seconds)
    return [
        f"cases={len({r.case.spec['row'] for r in results})} rows, variants={len(results)}",
        f"crashes={sum(r.crashed for r in results)}, hangs={sum(r.hung for r in results)}, "
        f"over 500 MB={sum(r.peak_kb > 500 * 1024 for r in results)}",
        f"messages with exact path:line={percent(sum(bool(r.located) for r in fails), len(fails))}",
        f"errors_reported/errors_planted={sum(r.reported for r in fails)}/{sum(r.planted for r in fails)}"
        f" = {sum(r.reported for r in fails) / max(1, sum(r.planted for r in fails)):.2f}",
        f"files touched outside the output folder ($HOME included)={sum(not r.outside_kept for r in results)} cases",
        f"output folders changed by a failed build={sum(not r.output_kept for r in kept)} of {len(kept)}",
        f"script paths in output={sum(len(r.scripts) for r in results)} (HTML parser over every page)",
        f"collisions caught={percent(sum(not r.problems for r in collisions), len(collisions))}",
        f"encodings made canonical={percent(sum(not r.problems for r in encodings), len(encodings))}",
        f"slowest case={slowest.case.name} {slowest.seconds:.1f} s; median {statistics.median(r.seconds for r in results):.2f} s;"
        f" whole suite {seconds:.0f} s",
        f"cases failing their expectation={sum(bool(r.problems) for r in results)}",
    ]
