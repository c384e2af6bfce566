"""Tests that a briefing prints as a clean brief: a real PDF from headless Chromium, read back as text."""
import io
import shutil

import pypdf
import pytest

from broadside.pipeline import BuildOptions, build_site
from tests.helpers import make_project

LINKED = "---\ntitle: Printed brief\ndate: 2021-06-28\nissues: [alpha]\nsummary: What a delegate needs on paper.\n" \
         "source:\n  author: Ada Example\n  role: Correspondent\n  publication: The Daily Fixture\n" \
         "  url: https://news.example/printed\n---\n" \
         "The figures are in [the annual report](https://reports.example/annual-2021).\n\n" + "A long paragraph. " * 400


@pytest.fixture(scope="module")
def printed(tmp_path_factory, chromium) -> str:
    """Print the briefing page to PDF as a person would with Ctrl-P, and return the PDF's text."""
    root = tmp_path_factory.mktemp("print")
    project = make_project(root, files={"content/briefings/printed.md": LINKED})
    build_site(BuildOptions(project=project, output=root / "site"))
    page = chromium.new_page()
    page.goto((root / "site/briefings/printed/index.html").as_uri())
    pdf = page.pdf(format="A4")
    page.close()
    shutil.rmtree(project)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2  # the long body breaks across pages
    return "\n".join(p.extract_text() for p in reader.pages)


def test_pdf_has_the_brief(printed):
    flat = " ".join(printed.split())
    assert "Printed brief" in flat and "What a delegate needs on paper." in flat
    assert "28 June 2021" in flat and "Ada Example" in flat and "The Daily Fixture" in flat


def test_pdf_shows_link_targets(printed):
    flat = "".join(printed.split())  # PDF text may break a long URL across lines
    assert "reports.example/annual-2021" in flat and "news.example/printed" in flat


def test_pdf_has_no_navigation_or_search(printed):
    for chrome in ("Skip to content", "Search briefings", "Archive", "Older", "Newer", "Related briefings", "Built with Broadside"):
        assert chrome not in printed, chrome
