"""Takes the case folders of tests/bad_inputs/ and gives, for each, what build.py did and whether that was right."""
from __future__ import annotations

import concurrent.futures
import hashlib
import json
import locale
import multiprocessing
import os
import posixpath
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from broadside.markup import url_scheme
from broadside.pipeline import BuildOptions, build_site
from tests.helpers import REPO, make_project, manifest

CASES = REPO / "tests" / "bad_inputs"
HANG_SECONDS = 30
PDF_HANG_SECONDS = 120  # a case that makes a PDF needs seconds of CPU, which a busy machine stretches several times
PYTEST_HANG_SECONDS = 600  # rows 36-40 run whole failure-injection tests, one of them half a minute long
EMBEDDING = {"script", "iframe", "object", "embed", "form", "base", "style", "input", "svg"}
THEME_SCRIPTS = {"static/search.js", "search/index.js", "static/filter.js"}  # the theme's own, besides JSON-LD data
LANGUAGE_TREE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*/(?=search/index\.js$)")  # fr/search/index.js is French search's
LOCATED = re.compile(r"^(content|themes)/\S+:\d+(:\d+)?: |^site\.toml:\d+(:\d+)?: ")
SEED_NAMED = re.compile(r"^seeds/\S+?(:\d+(:\d+)?)?: ")  # the importer: a file-level problem has no line
CANARY = "CANARY-7f3a9c-do-not-publish"
# The sandbox's $HOME for every command a case runs: a build that writes there, or leaks a key from there, shows.
HOME_FILES = {".ssh/id_rsa": f"-----BEGIN OPENSSH PRIVATE KEY-----\n{CANARY}\n", ".gitconfig": "[user]\n\tname = canary\n",
              ".config/broadside/.keep": ""}


@dataclass(frozen=True)
class Case:
    """One folder: the row of bad-inputs.md it covers, what to do and what must happen."""

    folder: Path
    spec: dict

    @property
    def name(self) -> str:
        return self.folder.name


@dataclass
class Result:
    """What running one case showed; `problems` is empty when Broadside did the right thing."""

    case: Case
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    exit_codes: list[int] = field(default_factory=list)
    crashed: bool = False
    hung: bool = False
    located: bool | None = None  # FAIL cases: a line with path:line named the problem
    planted: int = 0
    reported: int = 0
    output_kept: bool | None = None  # FAIL cases: the previous output was left byte-identical
    outside_kept: bool = True
    scripts: list[str] = field(default_factory=list)
    peak_kb: int = 0
    cpu_seconds: float = 0.0  # the commands' own CPU time, their worker processes included: steady on a busy machine


def load_cases() -> list[Case]:
    """Every case folder, in name order."""
    return [Case(folder, json.loads((folder / "case.json").read_text()))
            for folder in sorted(CASES.iterdir()) if (folder / "case.json").is_file()]


def run_cases(cases: list[Case], scratch: Path, workers: int = len(os.sched_getaffinity(0))) -> list[Result]:
    """Run every case, each in its own sandbox under `scratch`, over `workers` processes; results in case order."""
    if workers < 2 or len(cases) < 2:
        return [run_case(case, scratch / case.name, scratch) for case in cases]
    # The longest go first (the cases that run tests, one of them half a minute long, then the biggest inputs), so
    # that no worker is left with a long one at the end. A case's tests run in one pytest: starting one costs a
    # second and a half of CPU, more than most of those tests.
    ordered = sorted(cases, key=lambda case: (case.spec.get("kind") != "pytest", -input_size(case)))
    # Spawned, not forked: the caller may be a pytest run whose browser and server threads must not be copied.
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(min(workers, len(cases)), mp_context=context) as pool:
        futures = {case.name: pool.submit(run_case, case, scratch / case.name, scratch) for case in ordered}
        return [futures[case.name].result() for case in cases]


def input_size(case: Case) -> int:
    """The bytes of the case's files: the big inputs are the slow ones."""
    return sum(path.stat().st_size for path in (case.folder / "files").rglob("*") if path.is_file())


def run_case(case: Case, scratch: Path, workspace: Path) -> Result:
    """Run one case in its own sandbox, left at `scratch`; a fault of the runner is a failed case.

    Build cases start from a copy of a first build of the fixture site, made once per process in `workspace`.
    """
    started = time.perf_counter()
    kind = case.spec.get("kind", "build")
    try:
        if kind == "build":
            result = run_build_case(case, scratch, workspace)
        else:
            make_home(scratch)
            result = {"import": run_import_case, "pytest": run_pytest_case}[kind](case, scratch)
    except Exception:  # noqa: BLE001 -- one broken case must not hide the figures of the other 133
        result = Result(case, problems=[f"the runner failed:\n{traceback.format_exc()}"])
    result.seconds = time.perf_counter() - started
    return result


def make_home(sandbox: Path) -> None:
    """The sandbox's $HOME, with files a careless build could change or leak; it is snapshotted with the sandbox."""
    for rel, text in HOME_FILES.items():
        path = sandbox / "home" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@dataclass(frozen=True)
class Finished:
    """How a command ended: exit code, what it printed, its peak memory and CPU time (its own child processes included)."""

    returncode: int
    stdout: str
    stderr: str
    peak_kb: int
    cpu_seconds: float


def run_measured(command: list[str], cwd: Path, sandbox: Path, timeout: float) -> Finished | None:
    """Run a command with $HOME in the sandbox; None if it had to be killed after `timeout` seconds."""
    environment = dict(os.environ, HOME=str(sandbox / "home"))
    environment.pop("BROADSIDE_BASE_URL", None)  # the cases expect site.toml's base_url
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        # A session of its own, so that a hung command is killed with the processes it started (its PDFs' process,
        # its workers), which would otherwise go on writing in the sandbox.
        process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=stdout, stderr=stderr,
                                   start_new_session=True)
        deadline = time.monotonic() + timeout
        # wait4, not wait: its rusage is this command's own peak, where RUSAGE_CHILDREN is the peak of every child so far.
        while (ended := os.wait4(process.pid, os.WNOHANG))[0] == 0:
            if time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                os.wait4(process.pid, 0)
                process.returncode = -signal.SIGKILL  # reaped here, so Popen must not wait for it again
                return None
            time.sleep(0.005)
        _, status, usage = ended
        process.returncode = os.waitstatus_to_exitcode(status)
        return Finished(process.returncode, read_text(stdout), read_text(stderr), usage.ru_maxrss,
                        usage.ru_utime + usage.ru_stime)


def read_text(handle) -> str:
    """What a command printed, decoded as subprocess's text mode would, with universal newlines."""
    handle.seek(0)
    text = handle.read().decode(locale.getpreferredencoding(False), errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def run_cli(project: Path, args: list[str], result: Result) -> Finished | None:
    """Run build.py as a person would, noting crashes, hangs and peak memory."""
    command = [sys.executable, str(REPO / "build.py"), *args, "--project", str(project)]
    hang_seconds = PDF_HANG_SECONDS if result.case.spec.get("outcome") == "PDF" else HANG_SECONDS
    done = run_measured(command, project, project.parent, hang_seconds)
    if done is None:
        result.hung = True
        result.problems.append(f"no answer within {hang_seconds} s")
        return None
    result.peak_kb = max(result.peak_kb, done.peak_kb)
    result.cpu_seconds += done.cpu_seconds
    result.exit_codes.append(done.returncode)
    if "Traceback" in done.stderr or done.returncode not in (0, 1, 130):
        result.crashed = True
        result.problems.append(f"crash (exit {done.returncode}):\n{done.stderr[-2000:]}")
    if "<unicode string>" in done.stderr:
        result.problems.append("a message names '<unicode string>' instead of the file")
    return done


def build_in_process(project: Path) -> None:
    """A good build of a good project, without a new interpreter: the start the case builds from, not the case."""
    build_site(BuildOptions(project=project.resolve(), jobs=1))


def first_build(workspace: Path, sandbox: Path) -> Path:
    """The fixture site with a first good build, made at `sandbox` once per process and kept beside it."""
    kept = workspace / f"first-build-{os.getpid()}"
    if not kept.exists():
        build_in_process(make_project(sandbox))
        sandbox.rename(kept)
    return kept


def prepare(case: Case, sandbox: Path, workspace: Path) -> Path:
    """A copy of the first build, then the case's files, links and FIFOs laid over it.

    The copy is made at the path the first build was made at, so the case's build finds the cache (named after
    the output folder's path) that a person's second build would find.
    """
    shutil.copytree(first_build(workspace, sandbox), sandbox, symlinks=True)
    make_home(sandbox)
    project = sandbox / "project"
    (sandbox / "canary.txt").write_text(f"---\ntitle: {CANARY}\ndate: 2020-01-01\n---\n{CANARY}\n")
    overlay(project, case.folder / "files", case.spec.get("rename", {}))
    for path in case.spec.get("remove", []):
        shutil.rmtree(project / path)
    for link, target in case.spec.get("links", {}).items():
        (project / link).symlink_to(target.format(canary=sandbox / "canary.txt", home=sandbox / "home"))
    for fifo in case.spec.get("fifos", []):
        os.mkfifo(project / fifo)
    for path, size in case.spec.get("sparse", {}).items():
        with open(project / path, "wb") as handle:
            handle.truncate(size)
    for path, count in case.spec.get("copies", {}).items():  # many files alike, too many to keep in the repository
        source = project / path
        for number in range(1, count + 1):
            shutil.copyfile(source, source.with_name(f"{source.stem}-{number}{source.suffix}"))
    return project


def overlay(project: Path, folder: Path, rename: dict[str, str]) -> None:
    """Copy a case's files over the project, bytes as they are, under their real names.

    Names Windows cannot store (with \\ or :) are kept in the repository under a stored name.
    """
    if not folder.is_dir():
        return
    for source in sorted(folder.rglob("*")):
        if source.is_file():
            rel = source.relative_to(folder).as_posix()
            target = project / rename.get(rel, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


BUILD_WRITES = ("project/output/", "project/.broadside/cache/")  # a build's output and its disposable cache
FIRST_BUILD_WRITES = ("project/output/", "project/.broadside/")  # the first build also makes the cache's parent
IMPORT_WRITES = ("project/content/briefings/",)


def snapshot(sandbox: Path, skip: tuple[str, ...]) -> dict[str, tuple]:
    """Path, kind, size, mtime and sha256 of everything in the sandbox ($HOME included) but the folders in `skip`."""
    found = {}
    for folder, folders, files in os.walk(sandbox):
        named = {name: Path(folder, name).relative_to(sandbox).as_posix() for name in [*folders, *files]}
        named = {name: rel for name, rel in named.items() if not (rel + "/").startswith(skip)}
        folders[:] = [name for name in folders if name in named]
        found.update((rel, describe(Path(folder, name))) for name, rel in named.items())
    return found


def describe(path: Path) -> tuple:
    """A file by its size, mtime and sha256; a link by its target; anything else by its kind."""
    info = path.lstat()
    if stat.S_ISREG(info.st_mode):
        return "file", info.st_size, info.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()
    if stat.S_ISLNK(info.st_mode):
        return "link", os.readlink(path)
    return (stat.S_IFMT(info.st_mode),)  # a folder's mtime changes whenever a build renames its output in


def check_outside(result: Result, before: dict[str, tuple], after: dict[str, tuple]) -> None:
    """Note any file or folder created, changed or deleted outside what the command may write."""
    changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    if changed:
        result.outside_kept = False
        result.problems.append(f"files outside the output folder changed: {changed[:10]}")


def run_build_case(case: Case, scratch: Path, workspace: Path) -> Result:
    """Build the case's site in this process's sandbox, check the outcome its case.json names, leave it at `scratch`."""
    sandbox = workspace / f"sandbox-{os.getpid()}"
    try:
        return check_build(case, prepare(case, sandbox, workspace))
    finally:
        if sandbox.exists():  # not when the copy failed: the error that stopped it is the one to see
            scratch.parent.mkdir(parents=True, exist_ok=True)
            sandbox.rename(scratch)


def check_build(case: Case, project: Path) -> Result:
    """Build the prepared project and check everything the build did, inside and outside its output folder."""
    result, sandbox = Result(case), project.parent
    before, untouched = manifest(project / "output"), snapshot(sandbox, BUILD_WRITES)
    done = run_cli(project, ["build", *case.spec.get("args", [])], result)
    check_outside(result, untouched, snapshot(sandbox, BUILD_WRITES))
    if done is None:
        return result
    check_outcome(case, project, done, before, result)
    leaked = [path for path in (project / "output").rglob("*") if path.is_file() and CANARY.encode() in path.read_bytes()]
    if leaked:
        result.problems.append(f"the canary outside the project reached {leaked}")
    for path in case.spec.get("absent", []):
        want(result, not os.path.exists(path), f"{path} exists: content or a template ran a command")
    return result


def check_outcome(case: Case, project: Path, done: Finished, before: dict, result: Result) -> None:
    """Compare what the build did with the case's outcome: FAIL, WARN, NEUTRALISE, ACCEPT or PDF."""
    outcome, expect = case.spec["outcome"], case.spec["expect"]
    lines = done.stderr.splitlines()
    if outcome == "FAIL":
        result.planted = case.spec.get("planted", len(expect))
        result.reported = sum(1 for line in lines if LOCATED.match(line))
        result.located = result.reported > 0 and all(LOCATED.match(line) for line in expect)
        result.output_kept = manifest(project / "output") == before
        want(result, done.returncode == 1, f"exit {done.returncode}, expected 1")
        want(result, lines == [*expect, f"{len(expect)} error(s); nothing was changed"], "messages differ:\n" + done.stderr)
        want(result, result.output_kept, "the previous output changed")
        return
    want(result, done.returncode == 0, f"exit {done.returncode}, expected 0:\n{done.stderr}")
    want(result, lines == expect, "messages differ:\n" + done.stderr)
    result.scripts = executable_bits(project / "output")
    want(result, not result.scripts, f"executable content in the output: {result.scripts}")
    if outcome == "WARN":
        built = manifest(project / "output")
        strict = run_cli(project, ["build", "--strict"], result)
        want(result, strict is not None and strict.returncode == 1 and manifest(project / "output") == built,
             "--strict did not turn the warning into an error that leaves the output alone")
    if outcome == "ACCEPT":
        want(result, manifest(project / "output") == clean_variant(case, project.parent / "clean"),
             "the output differs from the clean variant's")
    if outcome == "PDF":
        for path, texts in case.spec["pdfs"].items():
            want(result, not (missing := pdf_lacks(project / "output" / path, texts)), f"{path}: {missing}")
        for path, words in case.spec.get("pdf_words", {}).items():
            want(result, not (missing := pdf_lacks(project / "output" / path, words, whole=True)), f"{path}: {missing}")


def pdf_lacks(path: Path, texts: list[str], whole: bool = False) -> str:
    """What is wrong with a PDF that must hold `texts` (spaces aside, since long words break across lines), or, if
    `whole`, each of them as a word of its own, on one line, in reading order (compared in NFKC form): '' if nothing."""
    from pypdf import PdfReader  # a test extra, needed by the PDF cases only

    try:
        reader = PdfReader(path)
        pages = [page.extract_text() for page in reader.pages]
    except (OSError, ValueError) as error:
        return f"cannot be read: {error}"
    if whole:
        found = {form for page in pages for word in page.split() for form in word_forms(word)}
        lacking = [text for text in texts if unicodedata.normalize("NFKC", text) not in found]
    else:
        flat = "".join("".join(page.split()) for page in pages)
        lacking = [text for text in texts if "".join(text.split()) not in flat]
    return f"lacks {lacking}" if lacking else ""


# Punctuation that may cling to a word as the PDF's text gives it back: a right-to-left line's full stop comes
# first, before the line's first word in reading order (as pypdf extracts it: ".يجب").
CLINGING = ".,:;!?()\"'\u060c\u061b\u061f\u00ab\u00bb"


def word_forms(word: str) -> set[str]:
    """A word of a PDF's text in NFKC form (so that Arabic presentation forms, the shapes of letters, read as the
    letters), with and without the punctuation that clings to it."""
    normal = unicodedata.normalize("NFKC", word)
    return {normal, normal.strip(CLINGING)}


def clean_variant(case: Case, scratch: Path) -> dict[str, str]:
    """The output of the case's clean variant (the fixture itself when the case has no clean/ folder)."""
    project = make_project(scratch)
    overlay(project, case.folder / "clean", {})
    build_in_process(project)
    return manifest(project / "output")


def want(result: Result, condition: bool, problem: str) -> None:
    """Record `problem` unless `condition` holds."""
    if not condition:
        result.problems.append(problem)


def run_import_case(case: Case, scratch: Path) -> Result:
    """Import the case's seeds and check the messages, then build what was imported."""
    result = Result(case)
    project = make_project(scratch)
    overlay(project, case.folder / "files", case.spec.get("rename", {}))
    for path, size in case.spec.get("sparse", {}).items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        with open(project / path, "wb") as handle:
            handle.truncate(size)
    briefings, untouched = manifest(project / "content/briefings"), snapshot(scratch, IMPORT_WRITES)
    done = run_cli(project, ["import", *case.spec.get("args", [])], result)
    check_outside(result, untouched, snapshot(scratch, IMPORT_WRITES))
    if done is None:
        return result
    lines = [line for line in done.stderr.splitlines() if not line.endswith("the others were not")]
    want(result, lines == case.spec["expect"], "messages differ:\n" + done.stderr)
    if case.spec["outcome"] == "FAIL":
        result.planted, result.reported = len(case.spec["expect"]), sum(1 for line in lines if SEED_NAMED.match(line))
        result.located = result.reported > 0
        result.output_kept = manifest(project / "content/briefings") == briefings
        want(result, done.returncode == 1, f"exit {done.returncode}, expected 1")
        want(result, result.output_kept, "content/briefings changed although the import failed")
        return result
    want(result, done.returncode == 0, f"exit {done.returncode}, expected 0")
    untouched = snapshot(scratch, FIRST_BUILD_WRITES)
    built = run_cli(project, ["build", "--strict"], result)
    check_outside(result, untouched, snapshot(scratch, FIRST_BUILD_WRITES))
    want(result, built is not None and built.returncode == 0, "the imported briefing does not build with --strict")
    result.scripts = executable_bits(project / "output")
    want(result, not result.scripts, f"executable content in the output: {result.scripts}")
    return result


def run_pytest_case(case: Case, scratch: Path) -> Result:
    """Run the failure-injection tests that cover this row (they need real mounts, signals or a server)."""
    result = Result(case)
    # Their temporary folders go in the sandbox, so that only $HOME is left to compare, and parallel runs never meet.
    # These tests use no hypothesis, whose plugin would add half a second to every start.
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
               f"--basetemp={scratch / 'pytest'}", *case.spec["tests"]]
    untouched = snapshot(scratch, ("pytest/",))
    done = run_measured(command, REPO, scratch, PYTEST_HANG_SECONDS)
    check_outside(result, untouched, snapshot(scratch, ("pytest/",)))
    if done is None:
        result.hung = True
        result.problems.append(f"the tests did not finish within {PYTEST_HANG_SECONDS} s")
        return result
    result.peak_kb = done.peak_kb
    result.exit_codes.append(done.returncode)
    want(result, done.returncode == 0, "tests failed:\n" + done.stdout[-3000:])
    return result


class Inspector(HTMLParser):
    """Finds anything executable or embedding in a generated page that the theme did not put there."""

    def __init__(self, page: str):
        super().__init__()
        self.found: list[str] = []
        self.page = page

    def theme_element(self, tag: str, attrs: dict) -> bool:
        """The theme's own JSON-LD, search form, index filter box and scripts."""
        if tag == "script":
            src = posixpath.normpath(posixpath.join(posixpath.dirname(self.page), attrs.get("src") or "/"))
            return attrs.get("type") == "application/ld+json" or LANGUAGE_TREE.sub("", src) in THEME_SCRIPTS
        if tag == "form":  # relative, or absolute on the 404 page, which GitHub Pages serves at any depth
            action = attrs.get("action") or ""
            scheme = url_scheme(action)
            return attrs.get("role") == "search" and (scheme == "" or scheme in ("http", "https")
                                                      and action.endswith("search/index.html"))
        return tag == "input" and attrs.get("type") == "search" and (attrs.get("name") == "q"
                                                                    or attrs.get("id") == "entity_filter")

    def handle_starttag(self, tag, attrs):
        if self.theme_element(tag, dict(attrs)):
            return
        if tag in EMBEDDING or tag == "meta" and any(name == "http-equiv" for name, _ in attrs):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or (name in ("href", "src", "action", "formaction")
                                         and url_scheme(value or "") not in ("", "http", "https", "mailto")):
                self.found.append(f"{tag} {name}={value}")


def executable_bits(output: Path) -> list[str]:
    """Every script, event handler, unsafe URL or embedding element in the output's pages."""
    found = []
    for page in sorted(output.rglob("*.html")):
        inspector = Inspector(page.relative_to(output).as_posix())
        inspector.feed(page.read_text())
        found += [f"{page.relative_to(output)}: {item}" for item in inspector.found]
    return found
