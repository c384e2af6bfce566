"""Takes the shipped site and generated ones of the sizes asked for and gives save-to-visible reload times of `serve`.

Run: .venv/bin/python benchmarks/serve_reload.py [--runs 10] [--briefings 1000 [20000 ...]]
Each run appends a unique sentence to a briefing's file and times, with time.perf_counter, from just before
the write until the sentence is visible in the open page (livereload reloads it; the script never navigates).
Targets: median <= 300 ms on the shipped site, <= 1 s with 1,000 briefings; with several sizes, the last lines
give each size's median (save to reloaded page parsed) against the first size's: within 1.5 x at 20,000.
"""
from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHIPPED_BRIEFING = "kp-civil-society-coalition-to-approach-un-over-impasse-on"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MARK_CONNECTED = "document.addEventListener('LiveReloadConnect', () => { window.liveReloadConnected = true; })"
# When the reloaded page had parsed (wall clock, ms): what a person sees, without Playwright's own polling delay.
IN_PAGE_READY = "performance.timeOrigin + performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
SERVE_SECONDS = 900  # the first build of 20,000 briefings takes a few minutes on a shared machine
BUILD_SECONDS = re.compile(r"^Built .* in (\d+\.\d+) s$")
GENERATED = """---
title: "Generated briefing number {n}"
date: {year}-{month:02d}-{day:02d}
summary: A generated briefing used to measure how fast the preview reloads.
issues: [{issue}]
source:
  publication: Benchmark Wire
  url: https://news.example/benchmark/{n}
---
## What happened

Briefing {n} reports that delegates met again and disagreed about the definition of conflict diamonds.
Civil society observers asked for a review mechanism with teeth, and for public reporting of findings.

## Why it matters

{paragraph}
"""


def copy_shipped_site(folder: Path) -> Path:
    """Copy site.toml, content/ and themes/ of the repository into `folder`."""
    shutil.copy(REPO / "site.toml", folder / "site.toml")
    for name in ("content", "themes"):
        shutil.copytree(REPO / name, folder / name)
    return folder


def add_briefings(project: Path, count: int) -> None:
    """Write `count` simple generated briefings, spread over ten years and the shipped issues."""
    # kp-reform.fr.md is kp-reform in French: the issues are the slugs before any language part.
    issues = sorted({path.stem.partition(".")[0] for path in (project / "content/issues").glob("*.md")})
    paragraph = " ".join(["The outcome shapes how buyers, regulators and mining communities act next."] * 6)
    for n in range(1, count + 1):
        text = GENERATED.format(n=n, year=2014 + n % 10, month=1 + n % 12, day=1 + n % 28,
                                issue=issues[n % len(issues)], paragraph=paragraph)
        (project / f"content/briefings/generated-{n:04d}.md").write_text(text, encoding="utf-8")


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_serve(project: Path) -> tuple[subprocess.Popen, int, list[str]]:
    """Start `build.py serve` on `project`; give the process, its port and its output lines (filled as printed)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", "--project", str(project),
                                "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    threading.Thread(target=keep_lines, args=(process, lines), daemon=True).start()
    deadline = time.monotonic() + SERVE_SECONDS
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
            return process, port, lines
        except OSError:
            if process.poll() is not None:
                raise SystemExit("serve exited:\n" + "\n".join(lines))
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"serve did not answer within {SERVE_SECONDS} s")


def keep_lines(process: subprocess.Popen, lines: list[str]) -> None:
    """Add each line `process` prints to `lines` as it comes (read in a thread of its own)."""
    for line in process.stdout:
        lines.append(line.rstrip())


@dataclass
class Timings:
    """Seconds from each save until the text is visible to Playwright, and until the page's own DOMContentLoaded."""

    visible: list[float] = field(default_factory=list)
    in_page: list[float] = field(default_factory=list)


def time_reloads(browser, project: Path, port: int, runs: int) -> Timings:
    """Append a unique sentence to the shipped briefing `runs` times; time each save until the text shows."""
    source = project / f"content/briefings/{SHIPPED_BRIEFING}.md"
    page = browser.new_page()
    page.add_init_script(MARK_CONNECTED)
    page.goto(f"http://127.0.0.1:{port}/briefings/{SHIPPED_BRIEFING}/index.html")
    timings = Timings()
    for run in range(runs):
        page.wait_for_function("window.liveReloadConnected === true", timeout=30_000)
        time.sleep(0.2)  # let the reconnected page settle, so each run measures one save
        sentence = f"Benchmark sentence {time.time_ns()} number {run}."
        written_at = time.time() * 1000
        started = time.perf_counter()
        with open(source, "a", encoding="utf-8") as handle:
            handle.write(f"\n\n{sentence}\n")
        page.wait_for_function("text => document.body !== null && document.body.innerText.includes(text)",
                               arg=sentence, timeout=30_000, polling="raf")
        timings.visible.append(time.perf_counter() - started)
        timings.in_page.append((page.evaluate(IN_PAGE_READY) - written_at) / 1000)
    page.close()
    return timings


def measure(browser, label: str, project: Path, runs: int) -> float:
    """Serve `project`, time the reloads and print median, min and max (and the server's build times); give the
    median from save to reloaded page parsed."""
    process, port, lines = start_serve(project)
    try:
        timings = time_reloads(browser, project, port, runs)
    finally:
        process.terminate()
        process.wait(timeout=30)
    rebuilds = [float(match[1]) for line in lines if (match := BUILD_SECONDS.match(line))][1:]  # not the first build
    print(f"{label}, {runs} saves:")
    print(f"  save -> text visible (Playwright): {figures(timings.visible)}")
    print(f"  save -> reloaded page parsed (DOMContentLoaded): {figures(timings.in_page)}")
    print(f"  the server's rebuild alone: {figures(rebuilds)}")
    return statistics.median(timings.in_page)


def figures(seconds: list[float]) -> str:
    """Median, min and max in milliseconds."""
    if not seconds:
        return "none measured"
    return (f"median {statistics.median(seconds) * 1000:.0f} ms, min {min(seconds) * 1000:.0f} ms, "
            f"max {max(seconds) * 1000:.0f} ms")


def main() -> None:
    """Measure the shipped site, then each generated one, and compare the sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--briefings", type=int, nargs="+", default=[1000], help="sizes of the generated sites")
    arguments = parser.parse_args()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    try:
        with tempfile.TemporaryDirectory() as shipped:
            measure(browser, "shipped site", copy_shipped_site(Path(shipped)), arguments.runs)
        medians = {}
        for count in arguments.briefings:  # one run, so that the sizes' figures compare
            with tempfile.TemporaryDirectory() as generated:
                project = copy_shipped_site(Path(generated))
                add_briefings(project, count)
                medians[count] = measure(browser, f"shipped site + {count} briefings", project, arguments.runs)
    finally:
        browser.close()
        playwright.stop()
    first = arguments.briefings[0]
    for count, median in list(medians.items())[1:]:
        print(f"save to reloaded page at {count} briefings: {median * 1000:.0f} ms, "
              f"{median / medians[first]:.2f} x the figure at {first}")


if __name__ == "__main__":
    main()
