"""Tests that every page and the stylesheet of the built shipped site pass the Nu Html Checker with no errors or warnings."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from broadside import renderer
from broadside.pipeline import BuildOptions, build_site
from tests.helpers import branded_fixture, make_project

CHECKED_SUFFIXES = (".html", ".css")


GENERATED = 200  # briefings in the generated site, besides the fixture's own


def generated_briefing(n: int) -> str:
    """Briefing n of the generated site: its date, issues, source and body vary with n."""
    source = f"source:\n  publication: Wire {n % 7}\n  url: https://news.example/{n}\n" if n % 3 else ""
    # Quotes by a dozen people, some unnamed; countries and organisations: long people, country and organisation pages.
    speaker = f"Speaker {n % 12} Person" if n % 4 else "''"
    entities = (f"countries: [{'ZW' if n % 2 else 'CD'}, ZA]\norganisations: [Kimberley Process]\n"
                f"quotes:\n- text: Said in part {n}.\n  speaker: {speaker}\n  role: Delegate {n % 3}\n")
    return (f"---\ntitle: Generated briefing {n}\ndate: 20{10 + n % 12}-0{1 + n % 9}-1{n % 10}\n"
            f"summary: What happened in part {n}.\n{source}{entities}"
            f"issues: [{'alpha' if n % 2 else 'beta'}{', beta' if n % 5 == 0 else ''}]\n"
            f"draft: {'true' if n % 50 == 3 else 'false'}\n---\n"
            f"## Part {n}\n\nText of briefing {n}, with a [link](first.md).\n\n> A quoted sentence {n}.\n")


@pytest.fixture(scope="module")
def paged_site(tmp_path_factory) -> Path:
    """The fixture site grown past 200 briefings: paginated lists, related briefings, drafts and scheduled ones."""
    root = tmp_path_factory.mktemp("paged")
    files = {f"content/briefings/gen-{n:03}.md": generated_briefing(n) for n in range(GENERATED)}
    files["content/briefings/later.md"] = "---\ntitle: Later\ndate: 2999-01-01\nissues: [alpha]\n---\nSoon.\n"
    project = make_project(root, files=files)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(renderer, "INDEX_PAGE_SIZE", 5)  # the people index in pages, as a large site's
        build_site(BuildOptions(project=project, output=root / "site", drafts=True, future=True))
    assert (root / "site/people/page/2/index.html").is_file()
    return root / "site"


@pytest.fixture(scope="module")
def branded_site(tmp_path_factory) -> Path:
    """The branded fixture (a child theme, a logo, colours, footer and links), built."""
    root = tmp_path_factory.mktemp("branded")
    build_site(BuildOptions(project=branded_fixture(root), output=root / "site", use_cache=False))
    return root / "site"


@pytest.fixture(scope="module", params=["shipped", "paged", "branded"])
def site_folder(request, built_site, paged_site, branded_site) -> Path:
    """Each site the checker looks at: the shipped one, a larger generated one, and a branded one with a child theme."""
    return {"shipped": built_site, "paged": paged_site, "branded": branded_site}[request.param]


@pytest.fixture(scope="module")
def checker_report(vnu_jar, site_folder) -> dict:
    """Run the checker once over the whole built folder: HTML pages, and CSS too."""
    # --verbose lists each checked file on stdout, so the test can prove nothing was silently skipped.
    result = subprocess.run(
        ["java", "-jar", str(vnu_jar), "--format", "json", "--skip-non-html", "--also-check-css", "--verbose",
         str(site_folder)],
        capture_output=True, text=True, timeout=300, check=False)
    # In JSON mode the report goes to stderr; the exit code is 1 whenever there are errors.
    assert result.stderr.strip().startswith("{"), f"checker did not report JSON (exit {result.returncode}):\n{result.stderr}"
    return {"report": json.loads(result.stderr), "checked": result.stdout.split()}


def describe(message: dict) -> str:
    """One message as 'file:line:col: type: text', for the failure output."""
    where = message.get("url", "?").removeprefix("file:")
    kind = message.get("subType") or message["type"]
    return f"{where}:{message.get('lastLine', '?')}:{message.get('firstColumn', '?')}: {kind}: {message.get('message')}"


def is_skip_notice(message: dict) -> bool:
    """--verbose's note about a file it did not check because it is neither HTML nor CSS (e.g. .nojekyll)."""
    return (message.get("message", "").startswith("File was not checked")
            and not message.get("url", "").endswith(CHECKED_SUFFIXES))


def test_checker_saw_every_page_and_stylesheet(checker_report, site_folder):
    """Every .html and .css file was checked: a clean report means nothing if files were left out."""
    expected = {str(path) for path in site_folder.rglob("*") if path.suffix in CHECKED_SUFFIXES}
    checked = {str(Path(name)) for name in checker_report["checked"]}
    assert expected <= checked, f"checked {len(checked)} files; not checked: {sorted(expected - checked)}"


def test_no_errors_or_warnings(checker_report):
    """The Nu Html Checker finds 0 errors and 0 warnings in the built site."""
    messages = [m for m in checker_report["report"]["messages"] if not is_skip_notice(m)]
    errors = [m for m in messages if m["type"] in ("error", "non-document-error")]
    warnings = [m for m in messages if m["type"] == "info" and m.get("subType") == "warning"]
    assert not errors and not warnings, (f"{len(errors)} errors, {len(warnings)} warnings:\n"
                                         + "\n".join(describe(m) for m in errors + warnings))
