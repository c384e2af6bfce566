"""Takes a fixture name and overlay files and gives a throwaway project (and runs the CLI on it) for tests."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "sites"


def render_in_memory(options):
    """The project read and rendered whole, with no cache, every file's bytes kept: for tests that look at them."""
    from broadside.cache import open_cache
    from broadside.config import load_config
    from broadside.pipeline import output_folder, read_and_render

    with open_cache(options.project, output_folder(options), stored=False) as cache:
        return read_and_render(options, load_config(options.project, options.base_url), cache)


def make_project(tmp_path: Path, fixture: str = "basic", files: dict[str, str | bytes] | None = None) -> Path:
    """Copy a fixture site and the default theme into tmp_path/project, then write `files` over it."""
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / fixture, project)
    shutil.copytree(REPO / "themes", project / "themes")
    for rel, data in (files or {}).items():
        target = project / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8", newline="")
    return project


def branded_fixture(tmp_path: Path) -> Path:
    """The basic fixture's content with the branded fixture over it: its site.toml, brand files and the child theme
    `campaign` (base.html extends the default's to add a banner), whose style.css is the default's with one rule more."""
    overlay = FIXTURES / "branded"
    files = {path.relative_to(overlay).as_posix(): path.read_bytes() for path in overlay.rglob("*") if path.is_file()}
    style = (REPO / "themes/default/static/style.css").read_text(encoding="utf-8")
    files["themes/campaign/static/style.css"] = style + "\n.campaign-banner {\n  margin: 0 auto;\n  padding-bottom: 0.75rem;\n  font-weight: 700;\n}\n"
    return make_project(tmp_path, files=files)


def run_cli(project: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run build.py on `project` the way a person would, capturing its output."""
    command = [sys.executable, str(REPO / "build.py"), *args, "--project", str(project)]
    if not args or args[0].startswith("-"):
        command = [sys.executable, str(REPO / "build.py"), "build", *args, "--project", str(project)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=project)


def manifest(folder: Path) -> dict[str, str]:
    """Map every file under `folder` to its sha256, to compare trees."""
    if not folder.exists():
        return {}
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}
