"""Takes a briefing count (and optionally an earlier checkout of Broadside), gives the cold build time of one generated
corpus built in English and in French, and by the earlier checkout in English: medians, spreads and ratios, of the
wall-clock time and of the CPU time (the build's processes, its workers included), which a busy machine disturbs less.

Run: .venv/bin/python benchmarks/theme_i18n.py 1000 --runs 5 [--before PATH]
PATH is another checkout of the repository (e.g. `git worktree add PATH <commit>`), built with this Python: its own
build.py imports its own package, so the two builds differ only by their code. Rounds alternate the builds, so a
machine that gets busier or quieter during the run slows each of them alike.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402 - the benchmark's corpus generator, beside this script

REPO = Path(__file__).resolve().parents[1]


def make_project(count: int, folder: Path, language: str, checkout: Path) -> Path:
    """The corpus as a Broadside project with the themes of `checkout`, whose site.toml names `language`."""
    project = folder / f"broadside-{language}-{len(list(folder.iterdir()))}"
    corpus.write_broadside(corpus.make_corpus(count), project)
    shutil.rmtree(project / "themes")
    shutil.copytree(checkout / "themes", project / "themes")
    settings = project / "site.toml"
    settings.write_text(settings.read_text(encoding="utf-8") + f'language = "{language}"\n', encoding="utf-8")
    return project


def cold_build(checkout: Path, project: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one build with no cache and no output folder, by the build.py of `checkout`."""
    for leftover in (project / ".broadside", project / "output"):
        shutil.rmtree(leftover, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, str(checkout / "build.py"), "build", "-q", "--project", str(project)], check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the build and, reaped by it, its workers
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def spread(values: list[float]) -> str:
    """'median s (min–max)'."""
    return f"{statistics.median(values):.2f} s ({min(values):.2f}–{max(values):.2f})"


def ratio(times: dict[str, list[tuple[float, float]]], top: str, bottom: str) -> str:
    """The ratio of two variants' medians, wall-clock and CPU."""
    return " / ".join(f"{statistics.median(t[k] for t in times[top]) / statistics.median(t[k] for t in times[bottom]):.3f} ×"
                      for k in (0, 1)) + " (wall / CPU)"


def main() -> None:
    """Build each variant `runs` times, alternating, and print the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path, help="an earlier checkout, built in English for comparison")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        variants = {"this checkout, English": (REPO, make_project(arguments.count, folder, "en", REPO)),
                    "this checkout, French": (REPO, make_project(arguments.count, folder, "fr", REPO))}
        if arguments.before:
            before = arguments.before.resolve()
            variants = {"earlier checkout, English": (before, make_project(arguments.count, folder, "en", before)), **variants}
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        for _ in range(arguments.runs):
            for name, (checkout, project) in variants.items():
                times[name].append(cold_build(checkout, project))
    print(f"N = {arguments.count:,} briefings, cold builds, median of {arguments.runs} (min–max); load average "
          f"{os.getloadavg()[0]:.1f} at the end:")
    for name, values in times.items():
        print(f"  {name:28} wall {spread([wall for wall, _ in values])}   CPU {spread([cpu for _, cpu in values])}")
    print(f"  French / English (this checkout): {ratio(times, 'this checkout, French', 'this checkout, English')}")
    if arguments.before:
        print(f"  this / earlier checkout, English: {ratio(times, 'this checkout, English', 'earlier checkout, English')}")


if __name__ == "__main__":
    main()
