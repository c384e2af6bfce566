"""Tests the importer on the corpus of real articles as people paste them: every field right, nothing lost or invented."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from broadside.importer.text import parse_seed
from tests.helpers import make_project, run_cli
from tests.import_corpus import CORPUS, FIELDS, load_expected, score
EXPECTED = load_expected()


def test_the_corpus_is_wide_enough():
    outlets = {entry["outlet"] for entry in EXPECTED}
    kinds = {entry["kind"] for entry in EXPECTED}
    assert len(EXPECTED) >= 20 and len(outlets) >= 8
    assert {"news agency", "NGO", "government"} <= kinds
    assert {"fr", "pt", "nl"} <= {entry["language"] for entry in EXPECTED}


@pytest.mark.parametrize("expected", EXPECTED, ids=[entry["file"] for entry in EXPECTED])
def test_every_field_of_every_article_is_right(expected):
    scored = score(expected)
    assert {name: scored.found[name] for name in FIELDS} == {name: expected[name] for name in FIELDS}
    assert scored.lost == () and scored.invented == ()


def test_text_in_other_languages_keeps_every_character():
    for entry in (e for e in EXPECTED if e["language"] != "en"):
        text = (CORPUS / entry["file"]).read_text(encoding="utf-8")
        article = parse_seed(text, "x")
        for paragraph in article.paragraphs:
            assert all(word in text for word in paragraph.split())  # joined lines, every character as written
        assert any(not char.isascii() for char in "".join(article.paragraphs) + article.title)


def test_a_200_kb_article_imports_in_reasonable_time():
    body = (CORPUS / "trt-car-embargo.txt").read_text(encoding="utf-8")
    text = body + "\n\n".join(f"Paragraph {i}: " + "The Kimberley Process met again in Dubai. " * 10
                              for i in range(500))
    assert len(text.encode()) > 200_000
    started = time.process_time()  # CPU time, which a busy machine does not inflate
    article = parse_seed(text, "x")
    assert time.process_time() - started < 10  # a sanity bound; benchmarks/import_accuracy.py measures it
    assert len(article.paragraphs) == 505


def test_the_corpus_imports_and_builds_from_the_command_line(tmp_path):
    project = make_project(tmp_path, files={f"seeds/{e['file']}": (CORPUS / e["file"]).read_bytes() for e in EXPECTED})
    done = run_cli(project, "import", "--json", timeout=600)
    assert done.returncode == 0, done.stderr
    reports = {Path(report["seed"]).name: report for report in json.loads(done.stdout)}
    assert set(reports) == {entry["file"] for entry in EXPECTED}
    for entry in EXPECTED:
        report = reports[entry["file"]]
        assert (report["title"], report["date"], report["paragraphs"]) == (entry["title"], entry["date"],
                                                                           entry["paragraphs"])
        assert len(report["left_out"]) == entry["left_out"]
        assert any("made from the first sentence" in check for check in report["checks"]) == entry["title_made_up"]
    built = run_cli(project, "build", "-q", timeout=600)
    assert built.returncode == 0, built.stderr
    page = (project / "output" / "briefings" / "central-african-republic-suspended-from-world-diamond-body"
            / "index.html").read_text(encoding="utf-8")
    assert '<time datetime="2013-05">May 2013</time>' in page
