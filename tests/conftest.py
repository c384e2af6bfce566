"""Shared fixtures for the real-component tests (the shipped site built and served, Chromium) and the bad-input figures."""
from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import threading
import urllib.parse
from pathlib import Path
from typing import Iterator

import pytest

from broadside.pipeline import BuildOptions, build_site
from tests.bad_inputs.report import SUITE_RUN, figures

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SUB_PATH = "/briefings-site/"


def require_tool(found: bool, what: str, how: str) -> None:
    """Fail in CI (a missing tool there is a broken setup), skip elsewhere so a laptop without it can still run the rest."""
    if found:
        return
    message = f"{what} is missing: {how}"
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The shipped site, built once with site.toml's base_url, in a temporary folder."""
    output = tmp_path_factory.mktemp("built") / "site"
    build_site(BuildOptions(project=REPO, output=output, use_cache=False))  # no cache: nothing written in the repository
    return output


class SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serves `directory` under SUB_PATH only, like GitHub Pages serves a project site; missing files get 404.html."""

    def send_head(self):
        if not urllib.parse.urlsplit(self.path).path.startswith(SUB_PATH):
            self.send_error(404)  # outside the project site: nothing of it is there
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        return super().translate_path("/" + urllib.parse.urlsplit(path).path[len(SUB_PATH):])

    def send_error(self, code, message=None, explain=None):
        # GitHub Pages answers an unknown address at any depth with the site's 404.html.
        page = Path(self.directory, "404.html")
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # keep pytest output readable


@contextlib.contextmanager
def serve_under_sub_path(output: Path, build) -> Iterator[str]:
    """Serve `output` at http://127.0.0.1:<port>/briefings-site/ while the block runs; gives that base URL.

    The port is only known once bound, and a 404 page's absolute links need it: `build(base_url)` fills `output`
    after binding and before serving.
    """
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SubPathHandler, directory=str(output)))
    base_url = f"http://127.0.0.1:{server.server_port}{SUB_PATH}"
    build(base_url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def served_site(tmp_path_factory) -> str:
    """A site built for and served at http://127.0.0.1:<port>/briefings-site/; gives that base URL."""
    output = tmp_path_factory.mktemp("served") / "site"
    with serve_under_sub_path(output, lambda base_url: build_site(
            BuildOptions(project=REPO, output=output, base_url=base_url, use_cache=False))) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium (the Debian package, never a Playwright download) for the whole session."""
    require_tool(CHROMIUM.is_file(), "Chromium", "run `bash .ci/setup` (installs the Debian package `chromium`)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
    yield browser
    browser.close()
    playwright.stop()


def find_vnu_jar() -> Path | None:
    """The Nu Html Checker's jar: $VNU_JAR if set, else where `npm install -g vnu-jar` puts it."""
    if os.environ.get("VNU_JAR"):
        return Path(os.environ["VNU_JAR"])
    npm = shutil.which("npm")
    if npm is None:
        return None
    root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, check=False).stdout.strip()
    return Path(root, "vnu-jar", "build", "dist", "vnu.jar") if root else None


@pytest.fixture(scope="session")
def vnu_jar() -> Path:
    """The checker's jar, with a Java to run it."""
    jar = find_vnu_jar()
    require_tool(shutil.which("java") is not None, "java", "run `bash .ci/setup` (Java 17+)")
    require_tool(jar is not None and jar.is_file(), f"vnu.jar ({jar})", "run `bash .ci/setup` (npm package vnu-jar)")
    return jar


def bad_input_figures(config) -> list[str]:
    """The bad-input figures of this process's run, or those a test worker process handed over (pytest-xdist)."""
    run = config.stash.get(SUITE_RUN, None)
    return figures(run.results, run.seconds) if run else config.stash.get(HANDED_FIGURES, [])


HANDED_FIGURES = pytest.StashKey[list]()
RUN_BY_ROWS = pytest.StashKey[list]()
DESELECTED = pytest.StashKey[int]()


def pytest_collection_modifyitems(config, items):
    """Tests a bad-input case names (failure injection, mounts, servers) run once, in that case, when it is selected."""
    named = {test: item.callspec.params["case"].name for item in items
             if getattr(item, "originalname", None) == "test_bad_input"
             for test in item.callspec.params["case"].spec.get("tests", ())}
    ran_by_rows = [item for item in items if item.nodeid in named]
    if ran_by_rows:
        items[:] = [item for item in items if item.nodeid not in named]
        config.hook.pytest_deselected(items=ran_by_rows)
        config.stash[RUN_BY_ROWS] = sorted({named[item.nodeid] for item in ran_by_rows})
        config.stash[DESELECTED] = len(ran_by_rows)


def pytest_sessionfinish(session):
    """A test worker process gives its bad-input figures to the process that prints the summary."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["bad_input_figures"] = bad_input_figures(session.config)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """The printing process keeps the figures a finished worker handed over (pytest-xdist's hook)."""
    handed = getattr(node, "workeroutput", {}).get("bad_input_figures")
    if handed:
        node.config.stash[HANDED_FIGURES] = handed


def pytest_terminal_summary(terminalreporter, config):
    """Print the bad-input figures after a run of tests/test_bad_inputs.py, as `python -m tests.bad_inputs` does."""
    lines = bad_input_figures(config)
    if not lines:
        return
    terminalreporter.write_sep("=", "bad-input figures (shared/spec/bad-inputs.md)")
    ran_by_rows = config.stash.get(RUN_BY_ROWS, [])
    if ran_by_rows:
        terminalreporter.write_line(f"the {config.stash[DESELECTED]} deselected tests ran once, inside the cases that "
                                    "name them: " + ", ".join(ran_by_rows))
    for line in lines:
        terminalreporter.write_line(line)
