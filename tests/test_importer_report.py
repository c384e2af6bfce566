"""Tests the import report and the import options as a person uses them: build.py import on real files and on stdin."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from broadside.importer.article import Article, LeftOut
from broadside.importer.report import format_report, make_report
from broadside.model import Source
from tests.helpers import make_project, run_cli

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "fixtures" / "articles"
DUMP = (CORPUS / "trt-car-embargo.txt").read_text(encoding="utf-8")
UNDATED = "Kimberley Process meets in Dubai\n\nThe Kimberley Process met in Dubai.\n\nCivil society asked for reform.\n"


def test_the_report_shows_every_guess_and_marks_the_doubtful_ones(tmp_path):
    project = make_project(tmp_path, files={"seeds/trt.txt": DUMP})
    done = run_cli(project, "import", "seeds/trt.txt")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "seeds/trt.txt -> content/briefings/central-africa-republic-seeks-lifting-of-embargo-on-its.md"
    assert "  title         Central Africa Republic seeks lifting of embargo on its diamonds (line 3)" in lines
    assert "  label         BUSINESS & TECHNOLOGY (line 1)" in lines
    assert "  date          2024-11-12 (day; line 1)" in lines and "  paragraphs    5" in lines
    assert "  left out      4 of 11 lines" in lines and "    line 2: 4 MIN READ (menu)" in lines
    assert "  ! no byline found; add 'source:' with author and publication by hand" in lines
    assert "  ! 4 of 11 lines were left out; check them below" in lines
    text = (project / "content/briefings/central-africa-republic-seeks-lifting-of-embargo-on-its.md").read_text()
    assert "\nlabel: BUSINESS & TECHNOLOGY\n" in text and "MIN READ" not in text


def test_json_prints_the_same_report(tmp_path):
    project = make_project(tmp_path, files={"seeds/trt.txt": DUMP})
    [report] = json.loads(run_cli(project, "import", "--json", "seeds/trt.txt").stdout)
    assert (report["title_origin"], report["date_precision"], report["paragraphs"]) == ("line 3", "day", 5)
    assert report["left_out"][0] == {"line": 2, "text": "4 MIN READ", "reason": "menu"}
    assert report["countries"] == ["AE", "CF"] and report["checks"]


def test_an_undated_article_is_not_written_and_the_error_says_use_date(tmp_path):
    project = make_project(tmp_path, files={"seeds/x.txt": UNDATED})
    done = run_cli(project, "import", "seeds/x.txt")
    assert done.returncode == 1
    assert "seeds/x.txt: no date found in the article (start it with a line ' date YYYY-MM-DD Headline', " \
           "or re-run with --date YYYY-MM-DD)" in done.stderr
    assert not list((project / "content/briefings").glob("kimberley*"))
    dated = run_cli(project, "import", "seeds/x.txt", "--date", "2024-01")
    assert dated.returncode == 0, dated.stderr
    text = (project / "content/briefings/kimberley-process-meets-in-dubai.md").read_text()
    assert "\ndate: 2024-01\n" in text and "(month; --date)" in dated.stdout


def test_date_overrides_the_seed_and_refuses_a_non_date(tmp_path):
    project = make_project(tmp_path, files={"seeds/trt.txt": DUMP})
    assert run_cli(project, "import", "seeds/trt.txt", "--date", "2024-11-13").returncode == 0
    assert "\ndate: 2024-11-13\n" in next((project / "content/briefings").glob("central*")).read_text()
    bad = run_cli(project, "import", "seeds/trt.txt", "--force", "--date", "2024-13-01")
    assert bad.returncode == 2 and "invalid date '2024-13-01' (no such day)" in bad.stderr


def test_import_dash_reads_one_article_from_standard_input(tmp_path):
    project = make_project(tmp_path)
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "import", "-", "--project", str(project)],
                          input=DUMP.encode(), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seed = project / "seeds" / "central-africa-republic-seeks-lifting-of-embargo-on-its.txt"
    assert seed.read_text(encoding="utf-8") == DUMP  # kept for provenance and re-import
    assert (project / "content/briefings/central-africa-republic-seeks-lifting-of-embargo-on-its.md").exists()
    plain = "Première phrase du communiqué, avec des accents : é, è, ç.\n\nDeuxième paragraphe.\n"
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "import", "-", "--title", "Communiqué de la CSC",
                           "--date", "2024-02-03", "--project", str(project)],
                          input=plain.encode(), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = (project / "content/briefings/communique-de-la-csc.md").read_text(encoding="utf-8")
    assert "title: Communiqué de la CSC\ndate: 2024-02-03\n" in text and "accents : é, è, ç." in text
    assert "(--title)" in done.stdout.decode()


def test_keep_all_keeps_every_line(tmp_path):
    project = make_project(tmp_path, files={"seeds/trt.txt": DUMP})
    done = run_cli(project, "import", "--keep-all", "seeds/trt.txt")
    assert "  left out      0 of 11 lines" in done.stdout.splitlines()
    text = next((project / "content/briefings").glob("central*")).read_text()
    assert "4 MIN READ" in text and "Photo&#58;" not in text and "Photo: Getty Images" in text


def test_partial_dates_build_and_show_as_written(tmp_path):
    project = make_project(tmp_path, files={
        "seeds/month.txt": " date 2024-01 A month only briefing about the KP\n\nBody text here.\n",
        "seeds/year.txt": " date 2023 A year only briefing about the KP\n\nBody text here.\n"})
    assert run_cli(project, "import", "seeds/month.txt", "seeds/year.txt").returncode == 0
    assert run_cli(project, "build", "--strict").returncode == 0
    month = (project / "output/briefings/a-month-only-briefing-about-the-kp/index.html").read_text()
    year = (project / "output/briefings/a-year-only-briefing-about-the-kp/index.html").read_text()
    assert '<time datetime="2024-01">January 2024</time>' in month and '<time datetime="2023">2023</time>' in year
    feed = (project / "output/feed.xml").read_text()
    assert "<published>2024-01-01T00:00:00+01:00</published>" in feed
    assert "<lastmod>2023-01-01</lastmod>" in (project / "output/sitemap.xml").read_text()


def test_report_checks_of_a_made_up_title_and_a_long_one():
    lead = "A" * 120
    article = Article("2024", lead, ("Body.",), Source(author="Jane Roe"), title_origin="made from the first sentence",
                      title_made_up=True, left_out=(LeftOut(3, "Share this", "share line"),), lines=3)
    report = make_report("seeds/x.txt", "content/briefings/x.md", article, (), {})
    assert report.date_precision == "year" and len(report.checks) == 3
    block = format_report(report)
    assert "  ! the title was made from the first sentence; write the real headline" in block
    assert "  ! the title is 120 characters long; is it really the headline?" in block
    assert "  ! 1 of 3 lines were left out; check them below" in block
