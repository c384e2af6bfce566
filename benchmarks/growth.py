"""Takes corpus sizes, gives Broadside's growth table: what a cold build, a one-edit and a no-change rebuild and a
preview save cost at each size, with the memory, cache and page sizes, and each figure's ratio to the smallest size.

It prints the growth table first (a row per size, the columns of issue 13, and the CPU ratios of the rebuilds to
the smallest size), then every figure with its ratio, then the step profile if asked for.

Run: .venv/bin/python benchmarks/growth.py 1000 5000 20000 [--runs 3] [--steps] [--check]
Each size gets one generated corpus (benchmarks/corpus.py, Broadside's project only) in a scratch folder, then:
  cold build          `build.py build` with no cache and no output: wall time, CPU time (user + system of the
                      build and its workers), and the largest single process's max RSS (wait4)
  no-change rebuild   the same command again (median of --runs), wall and CPU
  one-edit rebuild    after appending a sentence to one briefing (median of --runs, a different briefing each;
                      the edited briefings, their slugs and bodies, are the same at every size)
  preview save        in a process of its own, as `build.py serve` does it: the preview built once, then per
                      save the edited page written at once (`preview_briefing`) and the full preview build that
                      follows (`build_site` with the preview's memory, told the file saved as the server's
                      watcher tells it); medians of --runs saves
  preview start       a preview started again after those saves: its first build (from the build cache)
  sizes               the build cache on disk, content/ (Markdown bytes), search/index.js, search/index.html,
                      archive/index.html, the largest HTML page and the largest feed
With --steps, a one-edit build at each size runs under cProfile and the cumulative CPU time of each named step
is printed, so that a step whose cost grows with the archive (and not with the edit) shows by its ratio.
With --check, the project is built once more (incrementally: the preview's saves edited three briefings since the
last build), then its output is compared with a clean `--jobs 1` build (sha256 of every file).
The machine may be shared: compare ratios within one run, not absolute times between runs; the CPU rows
(user + system seconds of the build and its workers; of the preview's own process for a save) move much less
with other work on the machine than the wall times do.
"""
from __future__ import annotations

import argparse
import cProfile
import dataclasses
import inspect
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import corpus
from run import (CommandFailed, append_sentence, check_identical, broadside_tool, compile_broadside, remove, run_command,
                 set_aside)

REPO = Path(__file__).resolve().parents[1]
BUILD = [sys.executable, str(REPO / "build.py"), "build", "-q"]
# The steps of a one-edit build, as (label, module, function); a step's time includes what it calls.
STEPS = (
    ("whole build", "pipeline", "build_site"),
    ("  digest of the inputs", "pipeline", "project_inputs"),
    ("  open and load the cache", "cache", "open_cache"),
    ("  read the site", "reader", "read_site"),
    ("    load readings and memos", "cache", "read_rest"),
    ("    list content/", "reader", "list_content"),
    ("    read changed files", "reader", "read_many"),
    ("  render what changed", "renderer", "render_changes"),
    ("    related briefings", "renderer", "related_table"),
    ("    plan the pages", "renderer", "plan_pages"),
    ("    site salt", "renderer", "site_salt"),
    ("    fingerprint", "renderer", "fingerprint"),
    ("    search index", "search", "search_steps"),
    ("    feeds", "feeds", "feed_makers"),
    ("    render pages", "renderer", "render_pages"),
    ("  check links", "links", "check_links"),
    ("  write the output", "writer", "commit"),
    ("    stamp the output", "writer", "stamp_of"),
    ("  save the cache", "cache", "save"),
)


def log(message: str) -> None:
    """Progress on stderr; stdout holds the tables."""
    print(message, file=sys.stderr, flush=True)


def build(project: Path, *extra: str) -> dict:
    """One `build.py build` of `project`: wall and CPU seconds, largest process max RSS in MiB."""
    run = run_command([*BUILD, "--project", str(project), *extra], project)
    return {"wall": run.seconds, "cpu": run.cpu, "rss": run.rss_mib}


def medians(runs: list[dict]) -> tuple[float, float]:
    """The median wall and CPU seconds of some builds."""
    return statistics.median(run["wall"] for run in runs), statistics.median(run["cpu"] for run in runs)


def edit_builds(project: Path, slugs: list[str], runs: int, tag: str) -> list[dict]:
    """`runs` one-edit rebuilds, each after a sentence appended to another briefing."""
    builds = []
    for number in range(runs):
        append_sentence(corpus.broadside_source(project, slugs[number % len(slugs)]), f"Edited {tag} {number}.")
        builds.append(build(project))
    return builds


def folder_bytes(folder: Path) -> int:
    """The bytes of every file under `folder`."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) if folder.exists() else 0


def page_sizes(project: Path) -> dict[str, int]:
    """The bytes of the cache, the content and the pages that grow with the archive, if anything does."""
    output = project / "output"
    named = {name: (output / name).stat().st_size if (output / name).exists() else 0
             for name in ("search/index.js", "search/index.html", "archive/index.html")}
    pages = [path.stat().st_size for path in output.rglob("*.html")]
    feeds = [path.stat().st_size for path in output.rglob("*") if path.name in ("feed.xml", "feed.json")]
    return {"cache": folder_bytes(project / ".broadside" / "cache"), "content": folder_bytes(project / "content"),
            **named, "largest page": max(pages, default=0), "largest feed": max(feeds, default=0)}


def preview_saves(project: Path, slugs: list[str], runs: int, code: Path = REPO) -> dict:
    """Time the preview's saves in a process of its own (so this one's memory does not count), with the Broadside of
    `code` (a checkout: alternate.py times two commits' saves with the same harness)."""
    command = [sys.executable, __file__, "--preview-child", str(project), "--runs", str(runs), "--code", str(code),
               "--slugs", *slugs]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO / "benchmarks")
    if done.returncode != 0:
        raise CommandFailed(done.stderr.strip()[-1500:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def preview_child(project: Path, slugs: list[str], runs: int, code: Path = REPO) -> None:
    """In the child: build a preview as `serve` does, then per save time the page written at once and the
    full build that follows; print medians as JSON."""
    sys.path.insert(0, str(code))
    from broadside.cache import BuildCache
    from broadside.pipeline import BuildOptions, build_site, preview_briefing

    if not Path(sys.modules["broadside"].__file__).resolve().is_relative_to(code.resolve()):
        raise SystemExit(f"Broadside was imported from {sys.modules['broadside'].__file__}, not from {code}")

    # As `serve` builds: into the project's .broadside/preview/, from the build cache, with its address and no PDFs.
    options = BuildOptions(project, output=project / ".broadside" / "preview", drafts=True, future=True,
                           base_url="http://127.0.0.1:8000/", pdfs=False)
    memory = BuildCache()
    told = "saved" in inspect.signature(build_site).parameters
    wall, cpu = time.perf_counter(), time.process_time()
    build_site(options, memory=memory)
    timings: dict[str, list[float]] = {"start": [time.perf_counter() - wall], "start_cpu": [time.process_time() - cpu],
                                       "at_once": [], "at_once_cpu": [], "full": [], "full_cpu": []}
    for number in range(runs):
        slug = slugs[number % len(slugs)]
        append_sentence(corpus.broadside_source(project, slug), f"Preview save {number}.")
        wall, cpu = time.perf_counter(), time.process_time()
        shown = preview_briefing(options, memory, f"content/briefings/{slug}.md")
        timings["at_once"].append(time.perf_counter() - wall)
        timings["at_once_cpu"].append(time.process_time() - cpu)
        if shown is None:
            raise SystemExit(f"the save of {slug} was not shown at once")
        wall, cpu = time.perf_counter(), time.process_time()
        # Told what was saved, as `serve` tells it (its watcher looks at every file); code from before takes no such word.
        build_site(options, memory=memory, **({"saved": frozenset({f"content/briefings/{slug}.md"})} if told else {}))
        timings["full"].append(time.perf_counter() - wall)
        timings["full_cpu"].append(time.process_time() - cpu)
    print(json.dumps({key: statistics.median(values) for key, values in timings.items()}))


def profile_steps(project: Path, slug: str) -> dict[str, float]:
    """A one-edit build under cProfile, in a process of its own: the cumulative seconds of each step."""
    append_sentence(corpus.broadside_source(project, slug), "Edited for the step profile.")
    command = [sys.executable, __file__, "--steps-child", str(project)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO / "benchmarks")
    if done.returncode != 0:
        raise CommandFailed(done.stderr.strip()[-1500:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def steps_child(project: Path) -> None:
    """In the child: build once under cProfile; print each step's cumulative seconds as JSON."""
    sys.path.insert(0, str(REPO))
    from broadside.pipeline import BuildOptions, build_site

    profiler = cProfile.Profile(time.process_time)  # CPU time: on a shared machine, wall time is mostly waiting
    profiler.runcall(build_site, BuildOptions(project))
    stats = pstats.Stats(profiler).stats
    found = {}
    for label, module, function in STEPS:
        found[label] = sum(value[3] for (path, _, name), value in stats.items()
                           if name == function and Path(path).stem == module and Path(path).parent.name == "broadside")
    print(json.dumps(found))


def with_same_edits(generated: corpus.Corpus, runs: int) -> tuple[corpus.Corpus, list[str]]:
    """The corpus, and the slugs of the briefings the rebuilds and saves edit: the same at every size (among the first
    1,000, whose slugs every size shares) and each given the same body at every size, so that a ratio between two
    sizes measures the archive's size and not the length of the text that happened to be edited."""
    shared = min(len(generated.briefings), 1000)
    places = [(number * 137 + 333) % shared for number in range(max(runs, 1))]
    prose = corpus.Prose(random.Random(EDITED_SEED))
    briefings = list(generated.briefings)
    for place in places:
        briefings[place] = dataclasses.replace(briefings[place], body=corpus.make_body(prose, [briefings[0].slug]))
    return dataclasses.replace(generated, briefings=tuple(briefings)), [briefings[place].slug for place in places]


EDITED_SEED = 13  # the bodies of the edited briefings


def measure_size(size: int, workspace: Path, runs: int, steps: bool, check: bool) -> dict:
    """Every figure of the growth table for one corpus size."""
    folder = workspace / f"n{size}"
    log(f"N = {size:,}: writing the corpus")
    generated, slugs = with_same_edits(corpus.make_corpus(size), runs)
    corpus.write_broadside(generated, folder / "broadside")
    project = folder / "broadside"
    for path in (project / ".broadside", project / "output"):
        set_aside(path, workspace / "set-aside")
    log(f"N = {size:,}: cold build (load {os.getloadavg()[0]:.2f})")
    cold = build(project)
    figures = {"size": size, "cold wall": cold["wall"], "cold cpu": cold["cpu"], "rss": cold["rss"]}
    build(project)  # the first rebuild after a cold one also records the cache's row for the output folders
    figures["no-change"], figures["no-change cpu"] = medians([build(project) for _ in range(runs)])
    figures["one-edit"], figures["one-edit cpu"] = medians(edit_builds(project, slugs, runs, "rebuild"))
    figures.update(page_sizes(project))
    log(f"N = {size:,}: preview saves")
    preview = preview_saves(project, slugs, runs)
    restarted = preview_saves(project, slugs, 1)  # the preview started again: its first build, after the saves above
    figures["preview start"], figures["preview start cpu"] = restarted["start"], restarted["start_cpu"]
    figures["save at once"], figures["save at once cpu"] = preview["at_once"], preview["at_once_cpu"]
    figures["save full"], figures["save full cpu"] = preview["full"], preview["full_cpu"]
    if steps:
        log(f"N = {size:,}: step profile of a one-edit build")
        figures["steps"] = profile_steps(project, slugs[0])
    if check:
        build(project)  # the preview's saves edited sources after the last build: output/ catches up incrementally
        tool = broadside_tool(project, project / "output")
        figures["check"] = check_identical(tool, folder)
    log(f"N = {size:,}: {json.dumps({k: v for k, v in figures.items() if k != 'steps'})}")
    return figures


COLUMNS = (  # (heading, key, format)
    ("cold wall", "cold wall", "{:.1f} s"), ("cold CPU", "cold cpu", "{:.1f} s"),
    ("CPU / briefing", "cpu per briefing", "{:.2f} ms"), ("one-edit", "one-edit", "{:.2f} s"),
    ("one-edit CPU", "one-edit cpu", "{:.2f} s"), ("no-change", "no-change", "{:.2f} s"),
    ("no-change CPU", "no-change cpu", "{:.2f} s"), ("save: page at once", "save at once", "{:.0f} ms"),
    ("save: page at once, CPU", "save at once cpu", "{:.0f} ms"), ("save: full preview build", "save full", "{:.2f} s"),
    ("save: full preview build, CPU", "save full cpu", "{:.2f} s"), ("preview started again", "preview start", "{:.2f} s"),
    ("preview started again, CPU", "preview start cpu", "{:.2f} s"), ("largest process", "rss", "{:.0f} MiB"),
    ("cache", "cache", "{:.1f} MB"), ("content/", "content", "{:.1f} MB"),
    ("search/index.js", "search/index.js", "{:.2f} MB"), ("search/index.html", "search/index.html", "{:.2f} MB"),
    ("archive/index.html", "archive/index.html", "{:.2f} MB"), ("largest page", "largest page", "{:.2f} MB"),
    ("largest feed", "largest feed", "{:.2f} MB"),
)
SCALE = {"cache": 1e-6, "content": 1e-6, "search/index.js": 1e-6, "search/index.html": 1e-6,
         "archive/index.html": 1e-6, "largest page": 1e-6, "largest feed": 1e-6, "save at once": 1000,
         "save at once cpu": 1000, "cpu per briefing": 1000}


GROWTH = (  # the growth table as issue 13 draws it: a row per size; (heading, cell)
    ("briefings", lambda r: f"{r['size']:,}"),
    ("cold build (wall / CPU)", lambda r: f"{r['cold wall']:.1f} s / {r['cold cpu']:.1f} s"),
    ("one-edit rebuild (wall / CPU)", lambda r: f"{r['one-edit']:.2f} s / {r['one-edit cpu']:.2f} s"),
    ("no-change (wall / CPU)", lambda r: f"{r['no-change']:.2f} s / {r['no-change cpu']:.2f} s"),
    ("preview save: page at once (wall / CPU)",
     lambda r: f"{r['save at once'] * 1000:.1f} ms / {r['save at once cpu'] * 1000:.1f} ms"),
    ("preview save: full build (wall / CPU)", lambda r: f"{r['save full']:.2f} s / {r['save full cpu']:.2f} s"),
    ("preview started again (wall / CPU)", lambda r: f"{r['preview start']:.2f} s / {r['preview start cpu']:.2f} s"),
    ("largest process", lambda r: f"{r['rss']:.0f} MiB"),
    ("cache file", lambda r: f"{r['cache'] / 1e6:.1f} MB"),
    ("search/index.js", lambda r: f"{r['search/index.js'] / 1e6:.2f} MB"),
    ("search/index.html", lambda r: f"{r['search/index.html'] / 1e6:.2f} MB"),
    ("archive/index.html", lambda r: f"{r['archive/index.html'] / 1e6:.2f} MB"),
)
FLAT = (  # the rebuilds' CPU rows: (heading, key, format, scale); the page at once is what the browser shows first
    ("one-edit", "one-edit cpu", "{:.2f} s", 1), ("no-change", "no-change cpu", "{:.2f} s", 1),
    ("preview save: page at once", "save at once cpu", "{:.1f} ms", 1000),
    ("preview save: full build", "save full cpu", "{:.2f} s", 1))


def growth_table(results: list[dict]) -> str:
    """The growth table, a row per size (Markdown), then the rebuilds' CPU medians, each with its ratio to the
    smallest size (the target: each within 1.5 ×)."""
    lines = ["| " + " | ".join(heading for heading, _ in GROWTH) + " |", "|" + "---|" * len(GROWTH)]
    lines += ["| " + " | ".join(cell(r) for _, cell in GROWTH) + " |" for r in results]
    first = results[0]
    lines += ["", f"Rebuilds, CPU (medians), and the ratio to {first['size']:,} briefings (target: each within 1.5 ×):", "",
              "| briefings | " + " | ".join(f"{name} | ×" for name, *_ in FLAT) + " |", "|---|" + "---|---|" * len(FLAT)]
    for r in results:
        cells = [form.format(r[key] * scale) + (f" | {r[key] / first[key]:.2f} ×" if first[key] else " | –")
                 for _, key, form, scale in FLAT]
        lines.append(f"| {r['size']:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(results: list[dict]) -> None:
    """Print the growth table (a row per size), then every figure (one column per size) with its ratio to the
    smallest size."""
    for figures in results:
        figures["cpu per briefing"] = figures["cold cpu"] / figures["size"]
    print("\nGrowth table:\n")
    print(growth_table(results))
    print("\nEvery figure:\n")
    first = results[0]
    header = ["measure", *(f"N = {r['size']:,}" for r in results), *(f"× at {r['size']:,}" for r in results[1:])]
    rows = [header]
    for heading, key, form in COLUMNS:
        values = [r[key] * SCALE.get(key, 1) for r in results]
        ratios = [f"{r[key] / first[key]:.2f} ×" if first[key] else "–" for r in results[1:]]
        rows.append([heading, *(form.format(value) for value in values), *ratios])
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    print("\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows))
    print("\nMarkdown:\n")
    print("\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
                     *("| " + " | ".join(row) + " |" for row in rows[1:])]))
    if "steps" in first:
        print("\nOne-edit build, cumulative CPU seconds per step (cProfile, so slower than the builds above):")
        labels = [label for label, _, _ in STEPS]
        width = max(map(len, labels))
        for label in labels:
            values = [r["steps"][label] for r in results]
            ratios = [f"{value / values[0]:.1f} ×" if values[0] > 0.0005 else "–" for value in values[1:]]
            print(f"{label.ljust(width)}  " + "  ".join(f"{value:8.3f}" for value in values) + "  " + "  ".join(ratios))
    for figures in results:
        if "check" in figures:
            print(f"N = {figures['size']:,}: {figures['check']}")


def main() -> None:
    """Measure each size named on the command line; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="*", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=3, help="rebuilds and saves per figure (median)")
    parser.add_argument("--steps", action="store_true", help="profile the steps of a one-edit build")
    parser.add_argument("--check", action="store_true", help="compare with a clean --jobs 1 build")
    parser.add_argument("--preview-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--steps-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--slugs", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--code", type=Path, default=REPO, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.preview_child:
        return preview_child(arguments.preview_child, arguments.slugs, arguments.runs, arguments.code)
    if arguments.steps_child:
        return steps_child(arguments.steps_child)
    print(f"command: python benchmarks/growth.py {' '.join(sys.argv[1:])}")
    compile_broadside()
    print(f"machine: {os.cpu_count()} cores, load average at start {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="broadside-growth-") as workspace:
        results = [measure_size(size, Path(workspace), arguments.runs, arguments.steps, arguments.check)
                   for size in arguments.sizes]
    print(f"load average at end {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    report(results)


if __name__ == "__main__":
    main()
