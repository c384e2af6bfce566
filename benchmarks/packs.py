"""Takes pack sizes and a site size, gives the time to make briefing packs and the cost of briefing_pdfs = true.

Run: .venv/bin/python benchmarks/packs.py [--packs 20 200] [--site 1000] [--runs 3] [--cold-runs 1]
It writes one generated corpus (benchmarks/corpus.py: 4-6 KB briefings in 1-3 of 40 issues) and measures:
  pack PDF            one pack of the first N briefings, made in this process (Jinja, then WeasyPrint layout and
                      PDF), one core: seconds, pages, kilobytes, and seconds per briefing
  briefing PDF        one briefing's own PDF, the same way (the median over 20 briefings)
  briefing_pdfs       `build.py build` of the site (N = --site, or the largest pack if larger) with briefing_pdfs = false and = true
                      (two copies of the site, each with its own output and cache): a cold build (cache and output
                      removed) and a one-edit rebuild (a sentence appended to one briefing), each as a fresh process
                      like a person's, off and on in turn; the ratio true / false is the extra cost (target for the
                      one-edit rebuild: <= 1.5 x)
Each figure is the median of the runs, with the min-max spread, as wall time and as CPU time (this process's for
the PDFs made here; the build's whole process tree's, its workers included, for the builds). The machine may be
shared: the load average is printed at the start and the end; on a loaded machine the CPU times and the ratios
(taken side by side, run after run) say more than the wall times.
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

import corpus
from run import compile_broadside

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from broadside import layout, packs  # noqa: E402
from broadside.config import load_config  # noqa: E402
from broadside.reader import read_site  # noqa: E402
from broadside.renderer import make_environment, templates_digest  # noqa: E402


def spread(values: list[float]) -> str:
    """'1.23 s (1.20-1.31)': the median and the range."""
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def children_cpu() -> float:
    """The CPU seconds (user and system) of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    """The load averages over 1, 5 and 15 minutes."""
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def write_site(folder: Path, count: int, pack_sizes: list[int]) -> Path:
    """A generated Broadside project of `count` briefings, with a pack of the first N briefings for each N."""
    project = folder / f"site-{count}"
    data = corpus.make_corpus(count)
    corpus.write_broadside(data, project)
    for size in pack_sizes:
        slugs = "".join(f"- {briefing.slug}\n" for briefing in data.briefings[:size])
        corpus.write_text(project / "content/packs" / f"pack-{size}.md",
                          f"---\ntitle: Pack of {size}\ndate: 2023-06-01\nbriefings:\n{slugs}---\nA foreword.\n")
    return project


def time_pdfs(project: Path, runs: int) -> None:
    """Make each pack's PDF, and 20 briefings' PDFs, in this process; print the figures."""
    config = load_config(project)
    site = read_site(project, config, jobs=1)
    theme = project / "themes" / config.theme
    environment = make_environment(theme / "templates", templates_digest(theme / "templates", theme / "locale"))
    stylesheet = packs.read_stylesheet(theme, config.theme)
    weasyprint = layout.load_weasyprint("benchmark")
    for pack in site.packs:
        job = packs.pack_job(site, pack)
        seconds, cpu, made = [], [], None
        for _ in range(runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            made = packs.make_pdf(weasyprint, config, environment, stylesheet, job)
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        per = statistics.median(cpu) / len(pack.chosen)
        print(f"| pack of {len(pack.chosen)} briefings | {spread(seconds)} | {spread(cpu)} | {made[1]} pages, "
              f"{len(made[0]) // 1024} KB | {per * 1000:.0f} ms |", flush=True)
    seconds, cpu = [], []
    for briefing in site.briefings[:20]:
        started, started_cpu = time.perf_counter(), time.process_time()
        packs.make_pdf(weasyprint, config, environment, stylesheet, packs.briefing_job(site, briefing))
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    print(f"| one briefing's own PDF (20 briefings) | {spread(seconds)} | {spread(cpu)} | | |", flush=True)


def build(project: Path) -> tuple[float, float]:
    """One `build.py build` as a person runs it; its wall time and the CPU time of its process tree."""
    started, started_cpu = time.perf_counter(), children_cpu()
    subprocess.run([sys.executable, str(REPO / "build.py"), "build", "-q", "--project", str(project)],
                   check=True, timeout=3600, stderr=subprocess.DEVNULL)  # the generated issues' warnings
    return time.perf_counter() - started, children_cpu() - started_cpu


def time_briefing_pdfs(project: Path, runs: int, cold_runs: int) -> None:
    """Cold and one-edit builds with briefing_pdfs off and on, side by side; print medians and ratios.

    Off and on are two copies of the project, each with its own output and cache, so that every one-edit rebuild
    follows a build of the same settings (switching briefing_pdfs in one project would render every page again)."""
    shutil.rmtree(project / "content/packs")  # the briefing PDFs alone
    projects = {False: project, True: project.with_name(project.name + "-pdfs")}
    shutil.copytree(project, projects[True])
    with open(projects[True] / "site.toml", "a", encoding="utf-8") as config:
        config.write("briefing_pdfs = true\n")
    briefings = sorted((project / "content/briefings").glob("*.md"))
    edited = briefings[len(briefings) // 2].relative_to(project)
    figures: dict[tuple[str, bool], list[tuple[float, float]]] = {}
    for number in range(max(cold_runs, 1)):
        for on, folder in projects.items():
            shutil.rmtree(folder / "output", ignore_errors=True)
            shutil.rmtree(folder / ".broadside", ignore_errors=True)
            cold = build(folder)
            if number < cold_runs:
                figures.setdefault(("cold", on), []).append(cold)
    for number in range(runs):
        for on, folder in projects.items():
            with open(folder / edited, "a", encoding="utf-8") as handle:
                handle.write(f"\nOne more sentence, number {number}.\n")
            figures.setdefault(("one-edit", on), []).append(build(folder))
    for kind in ("cold", "one-edit"):
        if (kind, False) not in figures:
            continue
        for measure, index in (("wall", 0), ("CPU", 1)):
            off = [run[index] for run in figures[(kind, False)]]
            on = [run[index] for run in figures[(kind, True)]]
            ratio = statistics.median(on) / statistics.median(off)
            target = " (target <= 1.5 x: " + ("met" if ratio <= 1.5 else "not met") + ")" if kind == "one-edit" else ""
            print(f"| {kind} build, {measure} | {spread(off)} | {spread(on)} | {ratio:.2f} x{target} |", flush=True)


def main() -> None:
    """Parse the options, write the corpus, print every table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packs", type=int, nargs="+", default=[20, 200], help="pack sizes, in briefings")
    parser.add_argument("--site", type=int, default=1000, help="briefings in the site for briefing_pdfs (0: skip)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each pack and of each one-edit rebuild")
    parser.add_argument("--cold-runs", type=int, default=1, help="runs of each cold build (0: one, not shown)")
    options = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average at the start: {load()}", flush=True)
    compile_broadside()
    with tempfile.TemporaryDirectory() as scratch:
        project = write_site(Path(scratch), max(options.site, *options.packs), options.packs)
        print("\n| PDF | wall (median, spread) | CPU (median, spread) | size | CPU a briefing |\n|---|---|---|---|---|",
              flush=True)
        time_pdfs(project, options.runs)
        if options.site:
            count = max(options.site, *options.packs)  # the corpus holds the largest pack too
            print(f"\n| N = {count} briefings | briefing_pdfs = false | briefing_pdfs = true | ratio |\n"
                  "|---|---|---|---|", flush=True)
            time_briefing_pdfs(project, options.runs, options.cold_runs)
    print(f"\nload average at the end: {load()}")


if __name__ == "__main__":
    main()
