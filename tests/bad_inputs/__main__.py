"""Takes every bad-input case and gives the figures of shared/spec/bad-inputs.md: run `python -m tests.bad_inputs`."""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tests.bad_inputs.report import figures
from tests.bad_inputs.runner import load_cases, run_cases


def main() -> int:
    """Run every case, print each failure and the figures; exit 1 if any case failed."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        results = run_cases(load_cases(), Path(scratch))
    for result in results:
        for problem in result.problems:
            print(f"FAILED {result.case.name}: {problem}", file=sys.stderr)
    print("\n".join(figures(results, time.perf_counter() - started)))
    return 1 if any(r.problems for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
