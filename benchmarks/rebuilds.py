"""Takes corpus sizes and an earlier checkout of Broadside, gives the CPU of a one-edit and a no-change rebuild by
both codes at each size, the two alternating build by build: medians, spreads, each code's ratio to the smallest
size (the issue's flat-rebuild figure) and this code's ratio to the earlier one.

Run: .venv/bin/python benchmarks/rebuilds.py 1000 20000 --before PATH [--rounds 3]
PATH is another checkout of the repository (e.g. `git worktree add PATH <commit>`), built with this Python: its own
build.py imports its own package. Each code builds its own copy of each generated corpus (benchmarks/corpus.py)
cold once, then each round appends a sentence to another briefing and builds (one-edit), then builds again
(no-change). CPU is user + system of `build.py build -q` and its workers. Both checkouts' modules are compiled to
bytecode first, as a person's first build leaves them.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402 - the benchmark's corpus generator, beside this script
from run import append_sentence, compile_broadside  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def build_cpu(checkout: Path, project: Path) -> float:
    """CPU seconds of one `build.py build -q` of `project` by `checkout`, its workers included."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, str(checkout / "build.py"), "build", "-q", "--project", str(project)], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the build and, reaped by it, its workers
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def measure(size: int, codes: dict[str, Path], rounds: int, folder: Path) -> dict[tuple[str, str], list[float]]:
    """The one-edit and no-change CPU of each code at `size`, `rounds` of each."""
    generated, projects = corpus.make_corpus(size), {}
    for name, checkout in codes.items():
        projects[name] = folder / f"{name}-{size}"
        corpus.write_broadside(generated, projects[name])
        shutil.rmtree(projects[name] / "themes")
        shutil.copytree(checkout / "themes", projects[name] / "themes")
        build_cpu(checkout, projects[name])  # cold, once
    slugs = [briefing.slug for briefing in generated.briefings]
    found: dict[tuple[str, str], list[float]] = {(name, kind): [] for name in codes for kind in ("one-edit", "no-change")}
    for number in range(rounds):
        for name, checkout in codes.items():
            slug = slugs[(len(slugs) // 3 + 7 * number) % len(slugs)]
            append_sentence(corpus.broadside_source(projects[name], slug), f"Rebuild {number} edited this.")
            found[(name, "one-edit")].append(build_cpu(checkout, projects[name]))
            found[(name, "no-change")].append(build_cpu(checkout, projects[name]))
    for project in projects.values():
        shutil.rmtree(project)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--before", type=Path, required=True, help="an earlier checkout of the repository")
    parser.add_argument("--rounds", type=int, default=3, help="rebuilds of each kind per code and size (median)")
    arguments = parser.parse_args()
    codes = {"before": arguments.before.resolve(), "now": REPO}
    for checkout in codes.values():
        compile_broadside(checkout)
    with tempfile.TemporaryDirectory(prefix="broadside-rebuilds-") as folder:
        results = {size: measure(size, codes, arguments.rounds, Path(folder)) for size in sorted(arguments.sizes)}
    smallest = min(results)
    print("size | code | rebuild | CPU median (min-max) | against the smallest size | now against before")
    for size, found in results.items():
        for (name, kind), values in found.items():
            median = statistics.median(values)
            print(f"{size} | {name} | {kind} | {median:.2f} s ({min(values):.2f}-{max(values):.2f}) | "
                  f"{median / statistics.median(results[smallest][(name, kind)]):.2f} x | "
                  f"{median / statistics.median(found[('before', kind)]):.2f} x")


if __name__ == "__main__":
    main()
