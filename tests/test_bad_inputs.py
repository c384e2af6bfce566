"""Tests every case folder of tests/bad_inputs/ through build.py: exit code, exact messages, output untouched, nothing injected."""
import time

import pytest

from tests.bad_inputs.report import SUITE_RUN, SuiteRun
from tests.bad_inputs.runner import Result, load_cases, run_cases

CASES = load_cases()


@pytest.fixture(scope="session")
def bad_input_results(request, tmp_path_factory) -> dict[str, Result]:
    """Every case this session selected, run once over all cores; tests/conftest.py prints their figures at the end."""
    selected = [item.callspec.params["case"] for item in request.session.items
                if getattr(item, "function", None) is test_bad_input]
    started = time.perf_counter()
    results = run_cases(selected, tmp_path_factory.mktemp("bad_inputs"))
    request.config.stash[SUITE_RUN] = SuiteRun(results, time.perf_counter() - started)
    return {result.case.name: result for result in results}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input(case, bad_input_results):
    result = bad_input_results[case.name]
    assert not result.problems, "\n".join(result.problems)
    # CPU time, not the clock: a case must not fail because other work shares the machine.
    assert result.cpu_seconds < time_allowed(case) or case.spec.get("kind") == "pytest"


def time_allowed(case) -> float:
    """CPU seconds a case's commands may take before it counts as too slow: a PDF (WeasyPrint) costs seconds by itself."""
    if case.spec.get("outcome") == "PDF":
        return 30
    return 15 if case.spec.get("row") == 10 else 5


def test_every_row_of_the_spec_has_a_case():
    rows = {case.spec["row"] for case in CASES}
    assert set(range(1, 41)) <= rows  # the spec's 40 rows, then the project's own from row 41 on
    assert rows <= set(range(1, 71))
