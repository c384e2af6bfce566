"""Tests every case folder of tests/bad_inputs/ through build.py: exit code, exact messages, output untouched, nothing injected."""
import json
import posixpath
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from broadside.markup import url_scheme
from tests.helpers import REPO, make_project, manifest, run_cli

CASES = sorted(p for p in (REPO / "tests" / "bad_inputs").iterdir() if (p / "case.json").is_file())
EMBEDDING = {"script", "iframe", "object", "embed", "form", "base", "style", "input", "svg"}
# The theme's own scripts: JSON-LD data, and the search page's two plain scripts.
THEME_SCRIPTS = {"static/search.js", "search/index.js"}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> dict[str, str]:
    """The output of the clean fixture site, built once."""
    project = make_project(tmp_path_factory.mktemp("baseline"))
    assert run_cli(project).returncode == 0
    return manifest(project / "output")


def overlay(project: Path, folder: Path, rename: dict[str, str] | None = None) -> None:
    """Copy a case's files over the project, bytes as they are, under their real names.

    Names Windows cannot store (with \\ or :) are kept in the repository under a stored name.
    """
    for source in sorted(folder.rglob("*")):
        if source.is_file():
            rel = source.relative_to(folder).as_posix()
            target = project / (rename or {}).get(rel, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def outside_output(root: Path) -> dict[str, str]:
    """Every file under `root` except the output folder and Broadside's own disposable build cache."""
    return {path: digest for path, digest in manifest(root).items()
            if not path.startswith(("project/output/", "project/.broadside/cache/"))}


class Inspector(HTMLParser):
    """Finds anything executable or embedding in a generated page."""

    def __init__(self, page: str):
        super().__init__()
        self.found = []
        self.page = page

    def theme_element(self, tag: str, attrs: dict) -> bool:
        """The theme's own <base> on the 404 page, its JSON-LD, its search form and scripts."""
        if tag == "base":
            return self.page == "404.html"
        if tag == "script":
            src = posixpath.normpath(posixpath.join(posixpath.dirname(self.page), attrs.get("src") or "/"))
            return attrs.get("type") == "application/ld+json" or src in THEME_SCRIPTS
        return tag in ("form", "input") and attrs.get("role") in ("search", None) and self.in_search_form(tag, attrs)

    def in_search_form(self, tag: str, attrs: dict) -> bool:
        """A search form of the theme: role=search and an action inside the site."""
        if tag == "form":
            return attrs.get("role") == "search" and url_scheme(attrs.get("action") or "") == ""
        return attrs.get("type") in ("search", "submit", None) and attrs.get("name") in ("q", None)

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
    found = []
    for page in sorted(output.rglob("*.html")):
        inspector = Inspector(page.relative_to(output).as_posix())
        inspector.feed(page.read_text())
        found += [f"{page.relative_to(output)}: {item}" for item in inspector.found]
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case, tmp_path, baseline):
    spec = json.loads((case / "case.json").read_text())
    project = make_project(tmp_path)
    assert run_cli(project).returncode == 0
    overlay(project, case / "files", spec.get("rename"))
    untouched = outside_output(tmp_path)
    result = run_cli(project, *spec.get("args", []))
    assert "Traceback" not in result.stderr
    assert outside_output(tmp_path) == untouched, "a file outside the output folder changed"
    lines = result.stderr.splitlines()
    if spec["outcome"] == "FAIL":
        assert result.returncode == 1
        assert lines == [*spec["expect"], f"{len(spec['expect'])} error(s); nothing was changed"]
        assert manifest(project / "output") == baseline
        return
    assert result.returncode == 0, result.stderr
    assert lines == spec["expect"]
    if spec["outcome"] == "WARN":
        built = manifest(project / "output")
        strict = run_cli(project, "--strict")
        assert strict.returncode == 1 and manifest(project / "output") == built
    if spec["outcome"] == "NEUTRALISE":
        assert executable_bits(project / "output") == []
    if spec["outcome"] == "ACCEPT":
        clean = baseline
        if (case / "clean").is_dir():
            clean_project = make_project(tmp_path / "clean")
            overlay(clean_project, case / "clean")
            assert run_cli(clean_project).returncode == 0
            clean = manifest(clean_project / "output")
        assert manifest(project / "output") == clean
