"""Takes a briefing count, gives the time to build that many briefings in one language and with a fifth of them in
French (a second language tree, its feeds and its search), and the ratio of the two (the target is at most 1.25).

Run: .venv/bin/python benchmarks/languages.py 5000 /tmp/languages   (try 500 first on a busy machine)
Both projects hold the same generated briefings (benchmarks/corpus.py); in the second, every fifth briefing file is
renamed <slug>.fr.md and site.toml declares [languages.fr]. Each build starts from an empty output folder with no
cache; rounds alternate the two projects, and the median and best of --repeat rounds are printed, of the wall-clock
time and of the CPU time of the build's processes (its workers included), which a busy machine disturbs less.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.corpus import make_corpus, write_broadside  # noqa: E402
from broadside.pipeline import BuildOptions, build_site  # noqa: E402

FRENCH = '\n[languages.fr]\ntitle = "Veille diamants"\ndescription = "Des dossiers générés pour mesurer la construction."\n'


def make_projects(count: int, folder: Path) -> tuple[Path, Path]:
    """The one-language project and the same briefings with every fifth one in French."""
    shutil.rmtree(folder, ignore_errors=True)
    one, two = folder / "one-language", folder / "two-languages"
    write_broadside(make_corpus(count), one)
    shutil.copytree(one, two)
    for number, path in enumerate(sorted((two / "content/briefings").glob("*.md"))):
        if number % 5 == 4:
            path.rename(path.with_name(f"{path.stem}.fr.md"))
    with open(two / "site.toml", "a", encoding="utf-8") as handle:
        handle.write(FRENCH)
    return one, two


def cpu_seconds() -> float:
    """CPU time used so far by this process and its finished children (the build's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_build(project: Path, jobs: int) -> tuple[float, float, int]:
    """One full build (empty output, no cache): wall-clock seconds, CPU seconds and the pages built."""
    shutil.rmtree(project / "output", ignore_errors=True)
    started, cpu = time.perf_counter(), cpu_seconds()
    pages = build_site(BuildOptions(project=project, use_cache=False, jobs=jobs)).pages
    return time.perf_counter() - started, cpu_seconds() - cpu, pages


def summary(runs: list[tuple[float, float, int]]) -> str:
    """Median and best of the wall-clock and CPU times of some builds."""
    walls, cpus = [run[0] for run in runs], [run[1] for run in runs]
    return (f"wall {statistics.median(walls):7.2f} s (best {min(walls):.2f}), "
            f"CPU {statistics.median(cpus):7.2f} s (best {min(cpus):.2f}), {runs[0][2]} pages")


def main() -> None:
    """Build both projects and print the figures and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    options = parser.parse_args()
    one, two = make_projects(options.count, options.folder)
    singles, doubles = [], []
    for _ in range(options.repeat):  # alternating, so a machine getting busier slows both alike
        singles.append(timed_build(one, options.jobs))
        doubles.append(timed_build(two, options.jobs))
    french = len(list((two / "content/briefings").glob("*.fr.md")))
    print(f"briefings: {options.count} ({french} in French in the second project), jobs: {options.jobs}, "
          f"{options.repeat} rounds, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"one language : {summary(singles)}")
    print(f"two languages: {summary(doubles)}")
    ratio = lambda index: statistics.median(d[index] for d in doubles) / statistics.median(s[index] for s in singles)  # noqa: E731
    print(f"ratio of medians: {ratio(0):.2f} wall, {ratio(1):.2f} CPU (target <= 1.25)")


if __name__ == "__main__":
    main()
