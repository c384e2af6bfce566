"""Tests every case folder of tests/bad_inputs/ through build.py: exit code, exact messages, output untouched, nothing injected."""
import pytest

from tests.bad_inputs.runner import load_cases, run_case

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input(case, tmp_path):
    result = run_case(case, tmp_path)
    assert not result.problems, "\n".join(result.problems)
    assert result.seconds < (15 if case.spec.get("row") == 10 else 5) or case.spec.get("kind") == "pytest"


def test_every_row_of_the_spec_has_a_case():
    assert {case.spec["row"] for case in CASES} == set(range(1, 41))
