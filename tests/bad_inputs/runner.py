"""Takes the case folders of tests/bad_inputs/ and gives, for each, what build.py did and whether that was right."""
from __future__ import annotations

import json
import os
import posixpath
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from broadside.markup import url_scheme
from tests.helpers import REPO, make_project, manifest

CASES = REPO / "tests" / "bad_inputs"
HANG_SECONDS = 30
EMBEDDING = {"script", "iframe", "object", "embed", "form", "base", "style", "input", "svg"}
THEME_SCRIPTS = {"static/search.js", "search/index.js", "static/filter.js"}  # the theme's own, besides JSON-LD data
LOCATED = re.compile(r"^(content|themes)/\S+:\d+(:\d+)?: |^site\.toml:\d+(:\d+)?: ")
SEED_NAMED = re.compile(r"^seeds/\S+?(:\d+(:\d+)?)?: ")  # the importer: a file-level problem has no line
CANARY = "CANARY-7f3a9c-do-not-publish"


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


def load_cases() -> list[Case]:
    """Every case folder, in name order."""
    return [Case(folder, json.loads((folder / "case.json").read_text()))
            for folder in sorted(CASES.iterdir()) if (folder / "case.json").is_file()]


def run_case(case: Case, scratch: Path) -> Result:
    """Run one case in a throwaway copy of the fixture site under `scratch`."""
    started = time.perf_counter()
    kind = case.spec.get("kind", "build")
    result = {"build": run_build_case, "import": run_import_case, "pytest": run_pytest_case}[kind](case, scratch)
    result.seconds = time.perf_counter() - started
    return result


def run_cli(project: Path, args: list[str], result: Result) -> subprocess.CompletedProcess | None:
    """Run build.py as a person would, noting crashes, hangs and peak memory."""
    command = [sys.executable, str(REPO / "build.py"), *args, "--project", str(project)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=HANG_SECONDS, cwd=project)
    except subprocess.TimeoutExpired:
        result.hung = True
        result.problems.append(f"no answer within {HANG_SECONDS} s")
        return None
    result.peak_kb = max(result.peak_kb, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    result.exit_codes.append(done.returncode)
    if "Traceback" in done.stderr or done.returncode not in (0, 1, 130):
        result.crashed = True
        result.problems.append(f"crash (exit {done.returncode}):\n{done.stderr[-2000:]}")
    if "<unicode string>" in done.stderr:
        result.problems.append("a message names '<unicode string>' instead of the file")
    return done


def prepare(case: Case, scratch: Path) -> Path:
    """A fixture project with a first good build, then the case's files, links and FIFOs laid over it."""
    project = make_project(scratch)
    (scratch / "canary.txt").write_text(f"---\ntitle: {CANARY}\ndate: 2020-01-01\n---\n{CANARY}\n")
    subprocess.run([sys.executable, str(REPO / "build.py"), "--project", str(project)], check=True, capture_output=True)
    overlay(project, case.folder / "files", case.spec.get("rename", {}))
    for path in case.spec.get("remove", []):
        shutil.rmtree(project / path)
    for link, target in case.spec.get("links", {}).items():
        (project / link).symlink_to(target.replace("{canary}", str(scratch / "canary.txt")))
    for fifo in case.spec.get("fifos", []):
        os.mkfifo(project / fifo)
    for path, size in case.spec.get("sparse", {}).items():
        with open(project / path, "wb") as handle:
            handle.truncate(size)
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


def outside_output(scratch: Path) -> dict[str, str]:
    """Every file of the sandbox except the output folder and Broadside's own disposable build cache."""
    return {path: digest for path, digest in manifest(scratch).items()
            if not path.startswith(("project/output/", "project/.broadside/cache/"))}


def run_build_case(case: Case, scratch: Path) -> Result:
    """Build the case's site and check the outcome its case.json names."""
    result = Result(case)
    project = prepare(case, scratch)
    before, untouched = manifest(project / "output"), outside_output(scratch)
    done = run_cli(project, ["build", *case.spec.get("args", [])], result)
    result.outside_kept = outside_output(scratch) == untouched
    if not result.outside_kept:
        result.problems.append("a file outside the output folder changed")
    if done is None:
        return result
    check_outcome(case, project, done, before, result)
    leaked = [path for path in (project / "output").rglob("*") if path.is_file() and CANARY.encode() in path.read_bytes()]
    if leaked:
        result.problems.append(f"the canary outside the project reached {leaked}")
    for path in case.spec.get("absent", []):
        want(result, not os.path.exists(path), f"{path} exists: content or a template ran a command")
    return result


def check_outcome(case: Case, project: Path, done: subprocess.CompletedProcess, before: dict, result: Result) -> None:
    """Compare what the build did with the case's outcome: FAIL, WARN, NEUTRALISE or ACCEPT."""
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


def clean_variant(case: Case, scratch: Path) -> dict[str, str]:
    """The output of the case's clean variant (the fixture itself when the case has no clean/ folder)."""
    project = make_project(scratch)
    overlay(project, case.folder / "clean", {})
    subprocess.run([sys.executable, str(REPO / "build.py"), "--project", str(project)], check=True, capture_output=True)
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
    briefings = manifest(project / "content/briefings")
    done = run_cli(project, ["import", *case.spec.get("args", [])], result)
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
    built = run_cli(project, ["build", "--strict"], result)
    want(result, built is not None and built.returncode == 0, "the imported briefing does not build with --strict")
    result.scripts = executable_bits(project / "output")
    want(result, not result.scripts, f"executable content in the output: {result.scripts}")
    return result


def run_pytest_case(case: Case, scratch: Path) -> Result:
    """Run the failure-injection tests that cover this row (they need real mounts, signals or a server)."""
    result = Result(case)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *case.spec["tests"]]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=600)
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
            return attrs.get("type") == "application/ld+json" or src in THEME_SCRIPTS
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
