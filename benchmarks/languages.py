"""Takes a briefing count, gives the time to build that many briefings in one language and with a fifth of them in
French (a second language tree, its feeds and its search), and the ratio of the two (the target is at most 1.25).

Run: .venv/bin/python benchmarks/languages.py 5000 /tmp/languages   (try 500 first on a busy machine)
Both projects hold the same generated briefings (benchmarks/corpus.py); in the second, every fifth briefing file is
renamed <slug>.fr.md and site.toml declares [languages.fr]. Each build starts from an empty output folder with no
cache, and the best of --repeat runs counts.
"""
from __future__ import annotations

import argparse
import os
import shutil
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


def best_build(project: Path, repeat: int, jobs: int) -> tuple[float, int]:
    """The fastest of `repeat` full builds (empty output, no cache), in seconds, and the pages built."""
    times, pages = [], 0
    for _ in range(repeat):
        shutil.rmtree(project / "output", ignore_errors=True)
        started = time.perf_counter()
        pages = build_site(BuildOptions(project=project, use_cache=False, jobs=jobs)).pages
        times.append(time.perf_counter() - started)
    return min(times), pages


def main() -> None:
    """Build both projects and print the figures and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    options = parser.parse_args()
    one, two = make_projects(options.count, options.folder)
    single, single_pages = best_build(one, options.repeat, options.jobs)
    double, double_pages = best_build(two, options.repeat, options.jobs)
    french = len(list((two / "content/briefings").glob("*.fr.md")))
    print(f"briefings: {options.count} ({french} in French in the second project), jobs: {options.jobs}, "
          f"best of {options.repeat}")
    print(f"one language : {single:7.2f} s, {single_pages} pages")
    print(f"two languages: {double:7.2f} s, {double_pages} pages")
    print(f"ratio        : {double / single:7.2f} (target <= 1.25)")


if __name__ == "__main__":
    main()
