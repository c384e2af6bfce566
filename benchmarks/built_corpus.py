"""Takes a briefing count and a folder, gives the benchmark corpus written there as a Broadside project and built.

Both are reused when present (a 50,000-briefing corpus takes minutes to write and build), so the search and
page-size benchmarks can measure one build in turn; the project's theme is replaced by the repository's and the
site built again each time (incrementally: a build with nothing changed takes seconds), so what is measured is
always the current code and theme:
    .venv/bin/python benchmarks/search_size.py --briefings 50000 --folder /var/tmp/c50k
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from broadside.pipeline import BuildOptions, build_site  # noqa: E402
from corpus import Corpus, make_corpus, write_broadside  # noqa: E402


def built_corpus(count: int, folder: Path | None) -> tuple[Corpus, Path]:
    """The corpus of `count` briefings and the folder of its built site (folder/site); a temporary folder if None."""
    folder = Path(folder or tempfile.mkdtemp(prefix="broadside-corpus-"))
    corpus = make_corpus(count)
    project, site = folder / "broadside", folder / "site"
    if not (project / "site.toml").is_file():
        started = time.perf_counter()
        write_broadside(corpus, project)
        print(f"wrote {count} briefings into {project} in {time.perf_counter() - started:.0f} s", flush=True)
    else:
        shutil.rmtree(project / "themes")
        shutil.copytree(REPO / "themes", project / "themes")
    started = time.perf_counter()
    summary = build_site(BuildOptions(project=project, output=site))
    print(f"built {summary.pages} pages into {site} ({summary.written} files written) in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return corpus, site


def corpus_from_arguments(description: str, default: int) -> tuple[int, Corpus, Path]:
    """Read --briefings and --folder from the command line; give the count, the corpus and its built site."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--briefings", type=int, default=default)
    parser.add_argument("--folder", type=Path, help="reuse (or make) the corpus and its build here")
    arguments = parser.parse_args()
    return (arguments.briefings, *built_corpus(arguments.briefings, arguments.folder))
