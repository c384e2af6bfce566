"""Takes generated briefing files (any bytes or text, YAML-ish front matter, titles written by YAML dumpers) and checks that
the front-matter reader gives a Briefing or located ContentErrors, never another exception, and that text shows as typed.
"""
from __future__ import annotations

import json
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import frontmatter
import pytest
import yaml
from hypothesis import event, given, settings
from hypothesis import strategies as st

from broadside.config import load_config
from broadside.errors import BuildFailed, ContentError
from broadside.fields import BRIEFING
from broadside.importer.article import Article
from broadside.importer.write import briefing_text
from broadside.reader import read_site
from broadside.renderer import render_site
from tests.helpers import make_project
from tests.test_importer import HEADLINE, PARAGRAPH_TEXT, squash

PATH = "content/briefings/x.md"
FEW = settings(max_examples=150, deadline=None, database=None)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)))  # anything UTF-8 can carry
WORDS = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)  # what gets past the control check
# Scalars YAML reads as something else, or refuses: implicit types, indicators, anchors, aliases, tags, fences.
TRICKY = st.sampled_from([
    "yes", "no", "NO", "on", "~", "null", "''", '""', "0123", "1.10", "12:30", "1e3", ".inf", "2021-06-28",
    "2024-02-30", "2021-06-28 10:00", "2021-06-28T10:00:00+02:00", "0001-01-01 00:00:00+02:00", "March 5, 2024",
    "[", "]", "{", "}", "[a, b]", "{a: b}", "[[[[[[[[[[[[x]]]]]]]]]]]]", "&a x", "*a", "<<: *a", "!!binary aGk=", "!foo x",
    "!!python/object/apply:os.system ['true']", "|", ">", "|-", "'open", '"open', "a: b", "a #b", "#", "- ", "-",
    "---", "...", "%YAML 1.1", "@", "`", "?", ",", "\t", " ", "alpha", "beta", "ZW", "Kimberley Process",
    "https://x.example/", "javascript:x", "\ufeff", "\u200b", "\u202e", "\u2028", "\x85", "\x00", "\\", "é", "e\u0301"])
# Mostly the keys a briefing has, so that every field reader meets wrong shapes and types.
KEYS = st.one_of(st.sampled_from([*BRIEFING, "publication", "author", "url", "text", "speaker", "titel", "Title", "layout"]),
                 st.sampled_from(["", "? x", "- a", "&a k", "*a"]), WORDS)
SCALAR = st.one_of(TRICKY, WORDS)
YAMLISH_LINE = st.tuples(
    st.sampled_from(["", " ", "  ", "    ", "\t"]), st.sampled_from(["", "- ", "? ", "- - "]),
    st.one_of(st.just(""), KEYS.map(lambda key: f"{key}:")), st.sampled_from(["", " ", "  "]), SCALAR).map("".join)
DATA = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.dates(), WORDS, TRICKY),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3), max_leaves=12)
GOOD = {"title": "T", "date": "2021-06-28", "issues": ["alpha"]}  # what a briefing needs, for the others to be read
# Bytes and text around the fences: BOMs, blank lines, CR and CRLF, a fence that does not close.
FILE_TOKENS = st.one_of(st.sampled_from(["---", "---\n", "\n", "\r", "\r\n", "\ufeff", "title: T", "date: 2021-06-28",
                                         "issues: [alpha]", "  ", "...", "\n---\n", ": ", "- "]), SCALAR)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The basic fixture site with no briefings of its own: each example writes the only one, content/briefings/x.md."""
    project = make_project(tmp_path_factory.mktemp("properties"))
    for briefing in (project / "content/briefings").iterdir():
        briefing.unlink()
    return project


def read_file(project: Path, data: bytes):
    """Write `data` as the briefing and read the site: the Site, or the BuildFailed it raised."""
    (project / PATH).write_bytes(data)
    try:
        return read_site(project, load_config(project))
    except BuildFailed as failure:
        return failure


def check_outcome(project: Path, data: bytes) -> None:
    """The briefing is read (or held back), or every error is a ContentError located on a line of the file."""
    outcome = read_file(project, data)
    lines = len(data.splitlines()) + 1  # a file's last line may be the empty one after its final line break
    # With --hypothesis-show-statistics, these events show how far the examples got.
    if not isinstance(outcome, BuildFailed):
        event("a briefing")
        assert [b.source_path for b in outcome.briefings] == [PATH] or PATH in " ".join(outcome.held_back)
        assert all(isinstance(w, ContentError) and w.line and w.line >= 1 for w in outcome.warnings)
        return
    assert outcome.errors
    event(re.sub(r"'.*?'|\w*\d\w*", "_", outcome.errors[0].message))
    for error in outcome.errors:
        assert isinstance(error, ContentError) and error.path == PATH, error
        assert isinstance(error.line, int) and 1 <= error.line <= lines, (str(error), lines)


@given(st.binary(max_size=400))
@FEW
def test_any_bytes_give_a_briefing_or_located_errors(project, data):
    check_outcome(project, data)


@given(st.binary(max_size=200), st.sampled_from([b"", b"\xef\xbb\xbf", b"\n\n", b"\r\n"]))
@FEW
def test_any_bytes_as_front_matter_give_a_briefing_or_located_errors(project, data, before):
    check_outcome(project, before + b"---\n" + data + b"\n---\nBody.\n")


@given(TEXT)
@FEW
def test_any_text_as_front_matter_gives_a_briefing_or_located_errors(project, text):
    check_outcome(project, f"---\n{text}\n---\nBody.\n".encode())


@given(st.lists(YAMLISH_LINE, max_size=8), st.integers(0, 3))
@FEW
def test_yamlish_lines_give_a_briefing_or_located_errors(project, lines, at):
    good = yaml.safe_dump(GOOD, sort_keys=False).splitlines()
    check_outcome(project, "\n".join(["---", *good[:at], *lines, *good[at:], "---", "Body."]).encode())


@given(st.dictionaries(KEYS, DATA, max_size=5), st.booleans())
@FEW
def test_any_yaml_structure_gives_a_briefing_or_located_errors(project, meta, flow):
    dumped = yaml.safe_dump({**GOOD, **meta}, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    check_outcome(project, f"---\n{dumped}---\nBody.\n".encode())


@given(st.lists(FILE_TOKENS, max_size=14))
@FEW
def test_any_arrangement_of_fences_and_line_ends_gives_a_briefing_or_located_errors(project, tokens):
    check_outcome(project, "".join(tokens).encode())


def written_by_the_importer(title: str, summary: str) -> str:
    """A briefing file as `build.py import` writes it (python-frontmatter over PyYAML's SafeDumper)."""
    return briefing_text(Article("2021-06-28", title, (summary, "Body.")), ("alpha",), "x.txt", {})


def written_by_python_frontmatter(title: str, summary: str) -> str:
    """A briefing file as another tool would write it with python-frontmatter's defaults, but for the key order."""
    post = frontmatter.Post("Body.", title=title, date="2021-06-28", summary=summary, issues=["alpha"])
    # python-frontmatter strips the whole YAML text, so the last value would lose trailing white space such as U+00A0.
    return frontmatter.dumps(post, sort_keys=False) + "\n"


def written_by_pyyaml(title: str, summary: str) -> str:
    """A briefing file with PyYAML's defaults: non-ASCII escaped, long values folded over lines."""
    meta = {"title": title, "date": "2021-06-28", "summary": summary, "issues": ["alpha"]}
    return f"---\n{yaml.safe_dump(meta)}---\nBody.\n"


# The importer and python-frontmatter write C1 controls such as U+0085 raw, and Broadside refuses a file with raw
# control characters (row 8 of the bad-input spec); PyYAML's defaults escape every one of them.
WRITTEN_TITLES = st.one_of(
    st.tuples(st.sampled_from([written_by_the_importer, written_by_python_frontmatter]), st.one_of(HEADLINE, WORDS)),
    st.tuples(st.just(written_by_pyyaml), TEXT))


def read_briefing(project: Path, text: str):
    """The site and its one briefing, read from `text`; fails the test with the errors if there are any."""
    outcome = read_file(project, text.encode("utf-8"))
    assert not isinstance(outcome, BuildFailed), f"{outcome}\n{text}"
    (briefing,) = outcome.briefings
    return outcome, briefing


@given(WRITTEN_TITLES)
@FEW
def test_a_title_written_by_yaml_reads_back_as_written(project, written):
    write, title = written
    _, briefing = read_briefing(project, write(title, "A summary."))
    # A file is read in NFC (canonical composition), so that 'é' typed two ways is one title: a title written
    # literally comes back composed, one written as escapes (PyYAML's ASCII default) exactly as it was.
    assert briefing.title in (title, unicodedata.normalize("NFC", title))


class Shown(HTMLParser):
    """What a reader and a machine see of a page: text by element, meta contents and the JSON-LD data."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text: dict[str, str] = {"title": "", "h1": "", "body": ""}
        self.meta: dict[str, str] = {}
        self.data: list[dict] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        if tag == "meta" and "content" in named:
            self.meta[named.get("name") or named.get("property") or ""] = named["content"]
        if tag not in ("meta", "link", "input", "br", "img"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag):]

    def handle_data(self, data):
        if "script" in self.open:
            if data.strip().startswith("{"):  # JSON-LD; the other scripts are files
                self.data.append(json.loads(data))
            return
        for element in ("title", "h1", "body"):
            if element in self.open:
                self.text[element] += data


@given(PARAGRAPH_TEXT, PARAGRAPH_TEXT)
@settings(max_examples=40, deadline=None, database=None)
def test_title_and_summary_show_as_typed_on_the_built_page(project, title, summary):
    site, _ = read_briefing(project, written_by_the_importer(title, summary))
    page = Shown(render_site(site, project / "themes/default", "default")["briefings/x/index.html"].decode())
    typed_title, typed_summary = (unicodedata.normalize("NFC", text) for text in (title, summary))
    assert squash(page.text["h1"]) == squash(typed_title)
    assert squash(page.text["title"]).startswith(squash(typed_title))
    assert squash(typed_summary) in squash(page.text["body"])
    assert page.meta["og:title"] == typed_title and page.meta["description"] == page.meta["og:description"] == typed_summary
    (article,) = [data for data in page.data if data.get("@type") == "NewsArticle"]
    assert article["headline"] == typed_title and article["description"] == typed_summary
