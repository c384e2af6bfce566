"""Tests the importer: seeds (real, awkward and hostile) in, briefings out, every problem located."""
from __future__ import annotations

import datetime
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from broadside import importer, pipeline
from broadside.importer import write
from broadside.importer.article import ImportResult
from broadside.errors import BuildFailed
from broadside.model import Source
from broadside.importer import import_seeds
from broadside.importer.article import Article, ImporterBug, ImportFailed, SeedError
from broadside.importer.decode import decode_seed
from broadside.importer.escape import escape_paragraph, unescape_paragraph
from broadside.importer.text import looks_like_byline, parse_byline, parse_seed
from broadside.importer.write import SLUG, briefing_body, briefing_slug, briefing_text, match_issues, raw_value
from broadside.meta import parse_document

REPO = Path(__file__).resolve().parents[1]
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "broadside-hypothesis")  # never .hypothesis/ in the repository
REAL_SEED = REPO / "seeds" / "000_0cbb3836fd1dea7a.txt"
FIXTURES = REPO / "tests" / "fixtures" / "seeds"
EXTENSIONS = ["tables", "fenced_code", "footnotes", "sane_lists", "toc"]
FORBIDDEN = {"script", "a", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ol", "ul", "li", "hr",
             "code", "pre", "em", "strong", "table", "div", "img", "sup", "dl", "dd"}
KEYWORDS = {"conflict-diamond-definition": ("conflict diamonds", "definition"), "unrelated": ("gold smuggling",)}
SIMPLE = " date 2021-06-28 A headline\n\nFirst paragraph.\n\nSecond paragraph.\n\nJane Roe, Reporter, Daily Example\n"

PARAGRAPH_TEXT = st.lists(
    st.one_of(
        st.sampled_from(list("\\`*_[]{}<>&#;:|~-+=.!()/?@\"' \t0123456789aZ") + ["\u00a0", "\u2028", "é", "日"]),
        st.sampled_from(["&amp;", "&#35;", "&#x1F;", "<b>", "</p>", "<!--", "-->", "<?x?>", "<a@b.c>", "<http://x>",
                         "1. ", "- ", "* ", "+ ", "# ", "> ", "---", "~~~", "```", "|a|b|", "{: x}", "[x](y)",
                         "[^1]", "[^1]: ", "[TOC]", "{{ x }}", "  ", "\\\\", "<![CDATA[", "]]>", "=="]),
        st.characters(blacklist_categories=("Cc", "Cs"))),
    min_size=1).map("".join).filter(str.strip)
HEADLINE = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1).filter(str.strip)


# --- helpers -------------------------------------------------------------------------------


def new_project(tmp_path: Path, seeds: dict[str, bytes | str]) -> Path:
    """Make an empty project in tmp_path with the given seeds (text is written as UTF-8, newlines as given)."""
    project = tmp_path / "project"
    (project / "seeds").mkdir(parents=True, exist_ok=True)
    for name, data in seeds.items():
        raw = data if isinstance(data, bytes) else data.encode("utf-8")
        (project / "seeds" / name).write_bytes(raw)
    return project


def run_import(project: Path, *names: str, **options) -> list[ImportResult]:
    """Import the named seeds (all of seeds/*.txt when none are named), as the CLI does."""
    seeds = [Path("seeds", name) for name in names] or sorted(
        path.relative_to(project) for path in (project / "seeds").glob("*.txt"))
    return import_seeds(project, seeds, options.pop("keywords", KEYWORDS), **options)


def failure(project: Path, *names: str, **options) -> list[str]:
    """Import and return the error lines, failing the test if the import succeeds."""
    with pytest.raises(BuildFailed) as caught:
        run_import(project, *names, **options)
    return [str(error) for error in caught.value.errors]


def read_briefing(project: Path, result: ImportResult):
    """Return (raw meta, body, text) of the briefing a result names."""
    text = (project / result.source_path).read_text(encoding="utf-8")
    document = parse_document(text, result.source_path)
    return {key: raw_value(value) for key, value in document.meta.items()}, document.body, text


class Visible(HTMLParser):
    """Collects every element opened and the displayed text of each top-level paragraph."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.paragraphs: list[str] = []
        self.outside = ""
        self.in_paragraph = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "p":
            self.paragraphs.append("")
            self.in_paragraph = True

    def handle_endtag(self, tag):
        if tag == "p":
            self.in_paragraph = False

    def handle_data(self, data):
        if self.in_paragraph:
            self.paragraphs[-1] += data
        else:
            self.outside += data

    def handle_comment(self, data):
        self.tags.append("!--")

    def handle_pi(self, data):
        self.tags.append("?")

    def handle_decl(self, decl):
        self.tags.append("!")


def render(body: str) -> Visible:
    """Render a body the way the site does and read back what a reader sees."""
    visible = Visible()
    visible.feed(markdown.markdown(body, extensions=EXTENSIONS))
    visible.close()
    return visible


def squash(text: str) -> str:
    """Collapse whitespace runs, as a browser displays them."""
    return " ".join(text.split())


# --- the real seed -------------------------------------------------------------------------


def test_real_seed_becomes_a_complete_briefing(tmp_path):
    project = new_project(tmp_path, {REAL_SEED.name: REAL_SEED.read_bytes()})
    [result] = run_import(project)
    meta, body, text = read_briefing(project, result)
    paragraphs = body.strip().split("\n\n")
    assert result.seed_path == f"seeds/{REAL_SEED.name}"
    assert result.source_path.startswith("content/briefings/kp-civil-society-coalition-to-approach-un")
    assert list(meta) == ["title", "date", "summary", "issues", "source", "seed",
                          "countries", "organisations", "people", "quotes"]
    assert meta["title"] == ("KP Civil Society Coalition to approach UN over impasse on redefinition "
                             "of conflict diamonds")
    assert meta["date"] == "2021-06-28" and "\ndate: 2021-06-28\n" in text
    assert meta["summary"].startswith("The Kimberley Process Civil Society Coalition (CSC) is planning")
    assert meta["summary"] == paragraphs[0]
    assert meta["issues"] == ["conflict-diamond-definition"]
    assert meta["source"] == {"author": "Mathew Nyaungwa", "role": "Editor in Chief of the African Bureau",
                              "publication": "Rough&Polished"}
    assert meta["seed"] == REAL_SEED.name
    assert len(paragraphs) == 8
    assert paragraphs[-1].startswith("“As per tradition")
    assert "Nyaungwa" not in body
    assert result.warnings == ()


def test_real_seed_paragraphs_render_as_their_text(tmp_path):
    article = parse_seed(REAL_SEED.read_text(encoding="utf-8"), "seeds/x.txt")
    visible = render(briefing_body(article))
    assert visible.paragraphs == list(article.paragraphs)
    assert set(visible.tags) == {"p"}


def test_front_matter_is_written_by_a_serializer(tmp_path):
    article = Article("2021-06-28", 'A: "b" #c', ("Lead.",), Source(author="Jane Roe"))
    text = briefing_text(article, (), "x.txt")
    assert text.startswith("---\ntitle: 'A: \"b\" #c'\ndate: 2021-06-28\nsummary: Lead.\nissues: []\n")
    assert ("source:\n  author: Jane Roe\nseed: x.txt\ncountries: []\norganisations: []\npeople: []\n"
            "quotes: []\n---\n\nLead.\n") in text


# --- line endings and encodings ------------------------------------------------------------


@pytest.mark.parametrize("variant", ["crlf", "cr", "bom", "bom-crlf"])
def test_line_endings_and_bom_give_the_same_briefing(tmp_path, variant):
    lf = SIMPLE.encode("utf-8")
    data = {"crlf": lf.replace(b"\n", b"\r\n"), "cr": lf.replace(b"\n", b"\r"), "bom": b"\xef\xbb\xbf" + lf,
            "bom-crlf": b"\xef\xbb\xbf" + lf.replace(b"\n", b"\r\n")}[variant]
    expected = new_project(tmp_path / "lf", {"x.txt": lf})
    actual = new_project(tmp_path / variant, {"x.txt": data})
    [one], [two] = run_import(expected), run_import(actual)
    assert (actual / two.source_path).read_bytes() == (expected / one.source_path).read_bytes()
    assert b"\r" not in (actual / two.source_path).read_bytes()


def test_cp1252_fails_with_position_and_hint(tmp_path):
    project = new_project(tmp_path, {"x.txt": (FIXTURES / "cp1252.txt").read_bytes()})
    assert failure(project) == [
        "seeds/x.txt:3:1: not UTF-8 (invalid byte 0x93; looks like cp1252) (re-run with --encoding cp1252)"]
    assert not (project / "content").exists()


def test_cp1252_column_counts_characters_not_bytes(tmp_path):
    data = " date 2021-06-28 Héadline\n\nCafé \x93x\x94\n".encode("utf-8").replace(b"\xc2\x93", b"\x93")
    data = data.replace(b"\xc2\x94", b"\x94")
    project = new_project(tmp_path, {"x.txt": data})
    assert failure(project)[0].startswith("seeds/x.txt:3:6: not UTF-8 (invalid byte 0x93;")


def test_cp1252_with_encoding_decodes_correctly(tmp_path):
    project = new_project(tmp_path, {"x.txt": (FIXTURES / "cp1252.txt").read_bytes()})
    [result] = run_import(project, encoding="cp1252")
    meta, body, text = read_briefing(project, result)
    assert body.strip() == "“We will not close,” said the owner of the café."
    assert "\ufffd" not in text and "â€" not in text and "Ã" not in text
    assert meta["source"] == {"author": "Jane Roe", "role": "Reporter", "publication": "Daily Example"}


def test_encoding_option_leaves_utf8_seeds_readable(tmp_path):
    project = new_project(tmp_path, {"x.txt": SIMPLE.replace("First", "Café “first”")})
    [result] = run_import(project, encoding="cp1252")
    _, body, _ = read_briefing(project, result)
    assert "Café “first” paragraph." in body
    assert result.warnings[0].message == "read as UTF-8, not cp1252, because the file is valid UTF-8"


def test_unknown_encoding_is_reported(tmp_path):
    project = new_project(tmp_path, {"x.txt": SIMPLE})
    assert failure(project, encoding="no-such-codec") == [
        "seeds/x.txt: unknown encoding 'no-such-codec' (use a Python codec name such as cp1252, latin-1 or utf-16)"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be-bom", "utf-32"])
def test_utf16_and_utf32_with_bom_are_decoded(tmp_path, codec):
    text = (FIXTURES / "cp1252.txt").read_bytes().decode("cp1252")
    data = {"utf-16": (FIXTURES / "utf16-bom.txt").read_bytes(),
            "utf-16-be-bom": b"\xfe\xff" + text.encode("utf-16-be"), "utf-32": text.encode("utf-32")}[codec]
    project = new_project(tmp_path, {"x.txt": data})
    [result] = run_import(project)
    meta, body, _ = read_briefing(project, result)
    assert meta["title"] == "Owners speak out"
    assert body.strip() == "“We will not close,” said the owner of the café."


def test_binary_file_is_not_a_text_file(tmp_path):
    project = new_project(tmp_path, {"x.txt": (FIXTURES / "binary.txt").read_bytes()})
    assert failure(project) == [
        "seeds/x.txt:1: not a text file (it contains NUL bytes; save the article as plain text)"]


def test_utf16_without_bom_gets_a_useful_hint(tmp_path):
    project = new_project(tmp_path, {"x.txt": SIMPLE.encode("utf-16-le")})
    [line] = failure(project)
    assert line.endswith("not a text file (it looks like UTF-16 without a byte-order mark: "
                         "re-run with --encoding utf-16-le)")
    [result] = run_import(project, encoding="utf-16-le")
    assert read_briefing(project, result)[0]["title"] == "A headline"


@pytest.mark.parametrize("char", ["\x07", "\x1b", "\x0c", "\x7f", "\x85", "\x9d"])
def test_control_characters_are_located(tmp_path, char):
    project = new_project(tmp_path, {"x.txt": SIMPLE.replace("Second", f"Sec{char}ond")})
    assert failure(project) == [
        f"seeds/x.txt:5:4: control character U+{ord(char):04X} is not allowed "
        "(delete it: it is invisible and usually comes from a copy-paste or a wrong --encoding)"]


@pytest.mark.parametrize("data", [b"", b"   \n\n\t\r\n  ", b"\xef\xbb\xbf\n"])
def test_empty_seed_fails(tmp_path, data):
    project = new_project(tmp_path, {"x.txt": data})
    assert failure(project) == ["seeds/x.txt:1: the seed is empty (a seed starts with ' date YYYY-MM-DD Headline')"]


def test_empty_fixture_fails(tmp_path):
    project = new_project(tmp_path, {"empty.txt": (FIXTURES / "empty.txt").read_bytes()})
    assert failure(project)[0].startswith("seeds/empty.txt:1: the seed is empty")


def test_huge_file_is_refused_without_being_read(tmp_path, monkeypatch):
    project = new_project(tmp_path, {})
    with open(project / "seeds" / "big.txt", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: costs no disk
    opened = []
    real_open = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: opened.append(self) or real_open(self, *a, **k))
    assert failure(project) == ["seeds/big.txt: file is 50.0 MB; limit 2 MB (a seed is one article as plain text)"]
    assert opened == []


def test_missing_seed_and_folder_are_reported(tmp_path):
    project = new_project(tmp_path, {})
    (project / "seeds" / "dir.txt").mkdir()
    assert failure(project, "gone.txt", "dir.txt") == [
        "seeds/dir.txt: not a regular file (seeds are plain .txt files)",
        "seeds/gone.txt: file not found (check the path)"]


# --- bylines -------------------------------------------------------------------------------


@pytest.mark.parametrize("line, expected", [
    ("Mathew Nyaungwa", {"author": "Mathew Nyaungwa"}),
    ("Mathew Nyaungwa, Rough&Polished", {"author": "Mathew Nyaungwa", "publication": "Rough&Polished"}),
    ("Jane Roe, Spokesperson, U.S. Department of State",
     {"author": "Jane Roe", "role": "Spokesperson", "publication": "U.S. Department of State"}),
    ("Jane Roe, Head, Africa Desk, Example Inc.",
     {"author": "Jane Roe", "role": "Head, Africa Desk", "publication": "Example Inc."}),
    ("By Ludwig van Beethoven, Composer, Example Ltd.",
     {"author": "Ludwig van Beethoven", "role": "Composer", "publication": "Example Ltd."}),
    ("Omar al-Bashir, Reporter, Example News", {"author": "Omar al-Bashir", "role": "Reporter",
                                                "publication": "Example News"}),
    ("Seán O’Brien, Editor, The Irish Example", {"author": "Seán O’Brien", "role": "Editor",
                                                "publication": "The Irish Example"}),
])
def test_bylines_give_source_parts(tmp_path, line, expected):
    project = new_project(tmp_path, {"x.txt": f" date 2021-06-28 Headline\n\nBody text.\n\n{line}\n\n\n\n"})
    [result] = run_import(project)
    meta, body, _ = read_briefing(project, result)
    assert meta["source"] == expected
    assert body.strip() == "Body text."


@pytest.mark.parametrize("line", [
    "“We will act,” said Jane Roe.",
    "Jane Roe said nothing more about it",
    "Additional reporting by Jane Roe, Reuters",
    "It Was A Long Day For Everyone Here, Truly.",
    "Jane Roe, Reporter, " + "Very Long Publication Name " * 5 + "Ends Here",
    "Jane Roe, Reporter, Daily Example?",
])
def test_lines_that_are_not_bylines_stay_in_the_body(tmp_path, line):
    project = new_project(tmp_path, {"x.txt": f" date 2021-06-28 Headline\n\nBody text.\n\n{line}\n"})
    [result] = run_import(project)
    meta, body, _ = read_briefing(project, result)
    assert "source" not in meta
    assert render(body).paragraphs == ["Body text.", line]
    assert [w.message for w in result.warnings][0] == "no byline found; 'source' was left out"


def test_byline_over_two_lines_is_body_text():
    article = parse_seed(" date 2021-06-28 H\n\nBody.\n\nJane Roe,\nReporter\n", "x")
    assert article.byline is None and article.paragraphs == ("Body.", "Jane Roe, Reporter")


def test_a_lone_paragraph_is_never_taken_for_a_byline():
    article = parse_seed(" date 2021-06-28 H\n\nJane Roe, Reporter, Daily Example\n", "x")
    assert article.byline is None and article.paragraphs == ("Jane Roe, Reporter, Daily Example",)


def test_byline_helpers():
    assert parse_byline("Jane Roe,, Daily Example,") == Source(author="Jane Roe", publication="Daily Example")
    assert looks_like_byline("Maria da Silva, Reporter, Folha")
    assert not looks_like_byline("maria da silva, Reporter, Folha")
    assert not looks_like_byline("One Two Three Four Five Six Seven, Reporter, Folha")


# --- size, dates, headlines ----------------------------------------------------------------


def test_huge_paragraph_is_imported_whole(tmp_path):
    paragraph = " ".join(f"word{i} *x* [y] <b> &amp;" for i in range(25_000))  # ~ 600 KB
    project = new_project(tmp_path, {"x.txt": f" date 2021-06-28 Headline\n\n{paragraph}\n\nSecond.\n"})
    started = time.process_time()  # CPU time: a shared, busy machine does not inflate it, a quadratic step would
    [result] = run_import(project)
    assert time.process_time() - started < 10  # ~3 s on an idle machine; a quadratic step takes minutes
    meta, body, _ = read_briefing(project, result)
    assert meta["summary"] == paragraph
    assert body.count("\n\n") == 1 and body.count("\\*") == 50_000


@pytest.mark.parametrize("written", ["2021-06-28", "2021/06/28", "28 June 2021", "28 Jun 2021", "28 jun. 2021",
                                     "June 28, 2021", "2021-6-28", "Sept 28, 2021"])
def test_date_forms(written):
    article = parse_seed(f" date {written} The headline\n\nBody.\n", "x")
    month = 9 if written.startswith("Sept") else 6
    assert article.date == datetime.date(2021, month, 28).isoformat() and article.title == "The headline"


@pytest.mark.parametrize("first, message", [
    ("date 2009-11-31 Headline", "seeds/x.txt:1:6: invalid date '2009-11-31' (no such day)"),
    (" date 2021-02-30 Headline", "seeds/x.txt:1:7: invalid date '2021-02-30' (no such day)"),
    (" date 2021-13-01 Headline", "seeds/x.txt:1:7: invalid date '2021-13-01' (no such day)"),
    (" date 28 Jnue 2021 Headline", "seeds/x.txt:1:7: invalid date '28 Jnue 2021' "
                                    "(write the month in English, French, Portuguese or Dutch, e.g. 28 June 2021)"),
    (" date 2021-00 Headline", "seeds/x.txt:1:7: invalid date '2021-00' (no such month)"),
    ("KP coalition to approach UN", "seeds/x.txt: no date found in the article (start it with a line "
                                    "' date YYYY-MM-DD Headline', or re-run with --date YYYY-MM-DD)"),
    (" date 28/06/2021 Headline", "seeds/x.txt:1: the first line must be ' date YYYY-MM-DD Headline' "
                                  "(it reads 'date 28/06/2021 Headline'; "
                                  "dates may also be YYYY/MM/DD, 28 June 2021, YYYY-MM or YYYY)"),
    (" date 2021-06-28x Headline", "seeds/x.txt:1: the first line must be ' date YYYY-MM-DD Headline' "
                                   "(the date '2021-06-28x' is not one)"),
])
def test_bad_first_lines(tmp_path, first, message):
    project = new_project(tmp_path, {"x.txt": f"{first}\n\nBody.\n"})
    assert failure(project) == [message]
    assert not (project / "content").exists()


def test_leading_whitespace_variants_and_blank_lines_before_the_header():
    for first in ("date 2021-06-28 H", "    date 2021-06-28 H", "\tDate: 2021-06-28 H", "\n\n date 2021-06-28 H"):
        assert parse_seed(f"{first}\n\nBody.\n", "x").title == "H"


def test_no_text_after_the_headline_fails():
    with pytest.raises(SeedError) as caught:
        parse_seed(" date 2021-06-28 Headline\n\n\n", "seeds/x.txt")
    assert [str(e) for e in caught.value.errors] == [
        "seeds/x.txt:1: the seed has no article text after the headline "
        "(add the article's paragraphs below the first line)"]


@pytest.mark.parametrize("title", [
    'Breaking: "cuts" & \'more\' “curly” ‘single’', "Ends with #hash", "Has ' #' inside # here", "---",
    "--- starts with rules", "{braces} and {{ jinja }}", "key: value", "- looks like a list", "&amp; entity",
    "yes", "2021-06-28", "null", "~", "@at", "%percent", "!bang", "|pipe", ">folded", "* star", "? question",
    "Trailing space is stripped   ", "Emoji 🎉 and 日本語"])
def test_headlines_survive_exactly(tmp_path, title):
    project = new_project(tmp_path, {"x.txt": f" date 2021-06-28 {title}\n\nBody.\n"})
    [result] = run_import(project)
    meta, _, text = read_briefing(project, result)
    assert meta["title"] == title.strip()
    assert SLUG.match(Path(result.source_path).stem)


# --- hostile bodies ------------------------------------------------------------------------


HOSTILE_PARAGRAPHS = [
    "Lead paragraph with *stars*, _under_ and `code`.", "---", "# Not a heading", "> not a quote",
    "1. not a list", "- not a bullet", "<script>alert(1)</script>", "[x](javascript:alert(1))", "{: onclick=x}",
    "|a|b|", "&amp; stays &amp; and &#123; and &#x1F;", "{{ x }} and {% raw %}",
    "indented four spaces and wrapped", "~~~", ": colon start", "* star bullet", "+ plus bullet", "***", "___",
    "[TOC]", "[^1]: a footnote", "<!-- comment --> <?php ?> <!DOCTYPE html> </p>",
    "<mail@example.org> and <http://example.org>", "A trailing backslash \\"]


def test_hostile_body_displays_literally(tmp_path):
    project = new_project(tmp_path, {"hostile.txt": (FIXTURES / "hostile.txt").read_bytes()})
    [result] = run_import(project)
    meta, body, _ = read_briefing(project, result)
    visible = render(body)
    assert visible.paragraphs == HOSTILE_PARAGRAPHS
    assert set(visible.tags) == {"p"} and not FORBIDDEN.intersection(visible.tags)
    assert visible.outside.strip() == ""
    assert meta["title"] == 'Breaking: "Cuts" & \'more\' “curly” ‘single’ #1 --- {x}'
    assert meta["summary"] == HOSTILE_PARAGRAPHS[0]
    assert meta["source"] == {"author": "Jane Roe", "role": "Spokesperson", "publication": "U.S. Department of State"}


def test_hostile_body_stays_readable(tmp_path):
    article = parse_seed((FIXTURES / "hostile.txt").read_text(encoding="utf-8"), "x")
    lines = briefing_body(article).split("\n\n")
    assert "\\---" in lines and "\\# Not a heading" in lines and "1\\. not a list" in lines
    assert "&lt;script>alert(1)&lt;/script>" in lines and "&#126;~~" in lines
    assert "indented four spaces and wrapped" in lines  # no escapes where none are needed
    assert not any(line.startswith(" ") for line in lines)


def test_a_dash_line_in_the_body_never_closes_front_matter(tmp_path):
    text = briefing_text(Article("2021-06-28", "T", ("Lead.", "---", "title: injected")), (), "x.txt")
    document = parse_document(text, "x")
    assert raw_value(document.meta["title"]) == "T" and "seed" in document.meta


@given(PARAGRAPH_TEXT)
@settings(max_examples=200, deadline=None, database=None)
def test_any_paragraph_displays_as_itself(text):
    visible = render(escape_paragraph(text))
    assert squash("".join(visible.paragraphs)) == squash(text)
    assert set(visible.tags) <= {"p"} and squash(visible.outside) == ""


@given(HEADLINE)
@settings(max_examples=200, deadline=None, database=None)
def test_any_headline_round_trips_through_front_matter(title):
    text = briefing_text(Article("2021-06-28", title, ("Body.",)), (), "x.txt")
    assert raw_value(parse_document(text, "x").meta["title"]) == title
    if "\n" not in title and "\r" not in title:
        article = parse_seed(f" date 2021-06-28 {title}\n\nBody.\n", "x")
        if article.title_made_up:  # read as a lead sentence (e.g. over 110 characters): kept whole in the body
            assert article.paragraphs[0] == title.strip() and len(article.title) <= 110
        else:
            assert article.title == title.strip()


@given(st.text())
@settings(max_examples=200, deadline=None, database=None)
def test_parse_seed_fails_only_with_seed_errors(text):
    try:
        article = parse_seed(text, "seeds/x.txt")
    except SeedError as error:
        assert error.errors and all(e.path == "seeds/x.txt" and e.line for e in error.errors)
        return
    briefing_text(article, (), "x.txt")  # whatever parses also serialises and reads back


@given(st.binary())
@settings(max_examples=200, deadline=None, database=None)
def test_decode_seed_fails_only_with_seed_errors(data):
    try:
        decode_seed(data, "seeds/x.txt")
    except SeedError:
        pass


# --- the run: issues, slugs, collisions, atomic writes -------------------------------------


def test_issue_keywords_match_whole_words_case_insensitively():
    article = Article("2021-06-28", "GOLD smuggling rises", ("The redefinition stalled.",
                                                                           "C++ and conflict\u00a0diamonds."))
    keywords = {"gold": ("gold smuggling",), "definition": ("definition",), "code": ("c++",),
                "cd": ("Conflict Diamonds",), "none": (), "blank": ("  ",)}
    assert match_issues(article, keywords) == ("cd", "code", "gold")


def test_bad_seed_does_not_stop_good_ones(tmp_path):
    project = new_project(tmp_path, {"a.txt": SIMPLE, "b.txt": "not a header\n\nBody.\n",
                                     "c.txt": SIMPLE.replace("A headline", "Another")})
    with pytest.raises(ImportFailed) as caught:
        run_import(project)
    assert [str(e) for e in caught.value.errors] == [
        "seeds/b.txt: no date found in the article "
        "(start it with a line ' date YYYY-MM-DD Headline', or re-run with --date YYYY-MM-DD)"]
    assert [r.source_path for r in caught.value.results] == ["content/briefings/a-headline.md",
                                                             "content/briefings/another.md"]
    assert sorted(p.name for p in (project / "content" / "briefings").iterdir()) == ["a-headline.md", "another.md"]


def test_existing_briefing_needs_force(tmp_path):
    project = new_project(tmp_path, {"x.txt": SIMPLE})
    [first] = run_import(project)
    target = project / first.source_path
    target.write_text(target.read_text().replace("Second paragraph.", "Edited by hand."))
    assert failure(project) == [
        "seeds/x.txt: already imported as content/briefings/a-headline.md (use --force to overwrite)"]
    assert "Edited by hand." in target.read_text()
    [again] = run_import(project, force=True)
    assert again.source_path == first.source_path and "Second paragraph." in target.read_text()


def test_renamed_headline_still_counts_as_imported(tmp_path):
    project = new_project(tmp_path, {"x.txt": SIMPLE})
    run_import(project)
    (project / "seeds" / "x.txt").write_text(SIMPLE.replace("A headline", "A better headline"))
    assert failure(project)[0].startswith("seeds/x.txt: already imported as content/briefings/a-headline.md")
    [forced] = run_import(project, force=True)
    assert forced.source_path == "content/briefings/a-headline.md"  # the published URL stays


def test_slug_taken_by_another_seed_or_by_hand_gets_a_number(tmp_path):
    project = new_project(tmp_path, {"a.txt": SIMPLE, "b.txt": SIMPLE, "c.txt": SIMPLE})
    briefings = project / "content" / "briefings"
    briefings.mkdir(parents=True)
    (briefings / "a-headline.md").write_text("written by hand, no front matter\n")
    results = run_import(project)
    assert [r.source_path for r in results] == [f"content/briefings/a-headline-{n}.md" for n in (2, 3, 4)]
    assert (briefings / "a-headline.md").read_text() == "written by hand, no front matter\n"


def test_slugs():
    assert briefing_slug("KP Civil Society Coalition to approach UN over impasse on redefinition of conflict "
                         "diamonds", "x") == "kp-civil-society-coalition-to-approach-un-over-impasse-on"
    assert briefing_slug("“!!!” — ...", "000_0cbb3836fd1dea7a") == "000-0cbb3836fd1dea7a"
    assert briefing_slug("!!!", "___") == "briefing"
    assert briefing_slug("Ünïcödé café", "x") == "unicode-cafe"


def test_failed_write_leaves_no_file_behind(tmp_path, monkeypatch):
    project = new_project(tmp_path, {"x.txt": SIMPLE})

    def broken_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write.os, "replace", broken_replace)
    assert failure(project) == ["seeds/x.txt: cannot write content/briefings/a-headline.md: No space left on device"]
    assert list((project / "content" / "briefings").iterdir()) == []


def test_interrupted_write_leaves_no_file_behind(tmp_path, monkeypatch):
    project = new_project(tmp_path, {"x.txt": SIMPLE})

    def interrupted(source, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(write.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_import(project)
    assert list((project / "content" / "briefings").iterdir()) == []


def test_round_trip_mismatch_is_a_bug(monkeypatch):
    monkeypatch.setattr(write, "as_text", lambda value: {"title": "something else"})
    with pytest.raises(ImporterBug):
        briefing_text(Article("2021-06-28", "T", ("Body.",)), (), "x.txt")


def test_seeds_given_absolute_or_twice(tmp_path):
    project = new_project(tmp_path, {"x.txt": SIMPLE})
    absolute = project / "seeds" / "x.txt"
    [result] = import_seeds(project, [absolute, Path("seeds/x.txt")], {})
    assert result.seed_path == "seeds/x.txt" and result.warnings == ()  # no issues defined: nothing to warn
    [again] = import_seeds(project, [absolute], {"gold": ("gold",)}, force=True)
    assert [w.message for w in again.warnings] == ["no issue keyword matched; 'issues' is empty"]


def test_briefing_gets_ordinary_file_permissions(tmp_path):
    project = new_project(tmp_path, {"x.txt": SIMPLE})
    [result] = run_import(project)
    probe = tmp_path / "probe"
    probe.write_text("x")
    assert (project / result.source_path).stat().st_mode == probe.stat().st_mode


def test_fixture_seeds_in_one_run(tmp_path):
    project = new_project(tmp_path, {path.name: path.read_bytes() for path in FIXTURES.glob("*.txt")})
    with pytest.raises(ImportFailed) as caught:
        run_import(project)
    assert [(e.path, e.message) for e in caught.value.errors] == [
        ("seeds/binary.txt", "not a text file"),
        ("seeds/cp1252.txt", "not UTF-8 (invalid byte 0x93; looks like cp1252)"),
        ("seeds/empty.txt", "the seed is empty")]
    written = sorted(p.name for p in (project / "content" / "briefings").iterdir())
    assert written == sorted(Path(r.source_path).name for r in caught.value.results)
    assert [r.seed_path for r in caught.value.results] == ["seeds/hostile.txt", "seeds/utf16-bom.txt"]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_decode_error_position_is_the_same_for_every_line_ending(newline):
    data = (FIXTURES / "cp1252.txt").read_bytes().replace(b"\n", newline)
    with pytest.raises(SeedError) as caught:
        decode_seed(b"\xef\xbb\xbf" + data, "seeds/x.txt")
    [error] = caught.value.errors
    assert (error.line, error.col) == (3, 1)


# --- campaign intelligence: extraction, corrections kept, refresh ----------------------------

GAZETTEER = REPO / "content" / "organisations.yaml"
QUOTED = (" date 2021-06-28 Coalition speaks\n\n“We will go to the UN,” said the CSC representative Shamiso Mtisi.\n\n"
          "The meeting ended.\n\n“Zimbabwe must listen.”\n\nJane Roe, Reporter, Daily Example\n")


def with_gazetteer(project: Path) -> Path:
    """Give a test project the shipped gazetteer."""
    (project / "content").mkdir(parents=True, exist_ok=True)
    (project / "content" / "organisations.yaml").write_bytes(GAZETTEER.read_bytes())
    return project


def test_real_seed_gets_quotes_countries_organisations_and_people(tmp_path):
    project = with_gazetteer(new_project(tmp_path, {REAL_SEED.name: REAL_SEED.read_bytes()}))
    [result] = run_import(project)
    meta, _, text = read_briefing(project, result)
    assert [quote["speaker"] for quote in meta["quotes"]] == ["Shamiso Mtisi"] * 5
    assert meta["quotes"][0] == {"text": "It is time the UN directly intervenes in this important matter and "
                                         "prescribes the KP what to do.",
                                 "speaker": "Shamiso Mtisi", "role": "CSC representative"}
    assert meta["countries"] == ["AO", "BW", "CD", "CN", "IN", "RU", "ZA", "ZW"]
    assert meta["organisations"] == ["Kimberley Process", "Kimberley Process Civil Society Coalition", "United Nations"]
    assert meta["people"] == ["Shamiso Mtisi"]
    assert result.warnings == ()


def test_force_keeps_corrected_fields_and_follows_the_seed_in_the_others(tmp_path):
    project = with_gazetteer(new_project(tmp_path, {"x.txt": QUOTED}))
    [first] = run_import(project)
    target = project / first.source_path
    corrected = (target.read_text(encoding="utf-8").replace("speaker: ''", "speaker: Shamiso Mtisi")
                 .replace("countries:\n- ZW\n", "countries:\n- ZW\n- ZA\n"))
    target.write_text(corrected, encoding="utf-8")
    seed = project / "seeds" / "x.txt"
    seed.write_text(QUOTED.replace("“Zimbabwe must listen.”", "“Zimbabwe and Angola must listen to Global Witness.”"),
                    encoding="utf-8")
    run_import(project, force=True)
    meta, _, _ = read_briefing(project, first)
    assert [quote["speaker"] for quote in meta["quotes"]] == ["Shamiso Mtisi", "Shamiso Mtisi"]
    assert meta["quotes"][1]["text"] == "Zimbabwe must listen."  # the corrected list is kept whole
    assert meta["countries"] == ["ZW", "ZA"]  # corrected: kept
    assert meta["organisations"] == ["Global Witness", "Kimberley Process Civil Society Coalition", "United Nations"]


def test_force_with_nothing_corrected_rewrites_the_same_file(tmp_path):
    project = with_gazetteer(new_project(tmp_path, {REAL_SEED.name: REAL_SEED.read_bytes()}))
    [result] = run_import(project)
    before = (project / result.source_path).read_bytes()
    run_import(project, force=True)
    assert (project / result.source_path).read_bytes() == before


def test_a_removed_key_comes_back_and_an_emptied_one_stays_empty(tmp_path):
    project = with_gazetteer(new_project(tmp_path, {"x.txt": QUOTED}))
    [result] = run_import(project)
    target = project / result.source_path
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("countries:\n- ZW\n", "").replace("people:\n- Shamiso Mtisi\n", "people: []\n"),
                      encoding="utf-8")
    run_import(project, force=True)
    meta, _, _ = read_briefing(project, result)
    assert meta["countries"] == ["ZW"] and meta["people"] == []


def test_a_bad_gazetteer_stops_the_import_before_any_seed(tmp_path):
    project = new_project(tmp_path, {"x.txt": SIMPLE})
    (project / "content").mkdir()
    (project / "content" / "organisations.yaml").write_text("organisations:\n- name: UN\n- name: un\n")
    assert failure(project) == ["content/organisations.yaml:3:9: 'un' is already a name of 'UN' (line 2) "
                                "(each name and short name must lead to one organisation)"]
    assert not (project / "content" / "briefings").exists()


def test_refresh_rewrites_only_the_four_fields(tmp_path):
    project = new_project(tmp_path, {"x.txt": QUOTED})
    [result] = run_import(project)
    target = project / result.source_path
    edited = (target.read_text(encoding="utf-8")
              .replace("title: Coalition speaks\n", "title: \"Coalition speaks\"  # edited by hand\n")
              .replace("seed: x.txt\n", "seed: x.txt\n# the quotes below were checked\n")
              .replace("speaker: ''", "speaker: Someone Else")
              .replace("\n\n“Zimbabwe", "\n\nAn added line.\n\n“Zimbabwe"))
    target.write_text(edited.replace("\n", "\r\n"), encoding="utf-8", newline="")
    with_gazetteer(project)
    assert importer.refresh_entities(project, [])[0].source_path == result.source_path
    refreshed = target.read_bytes().decode("utf-8")
    assert refreshed.count("\r\n") == refreshed.count("\n")  # line ends kept
    lines = refreshed.replace("\r\n", "\n").split("\n")
    assert 'title: "Coalition speaks"  # edited by hand' in lines and "# the quotes below were checked" in lines
    assert refreshed.replace("\r\n", "\n").split("---", 2)[2] == edited.split("---", 2)[2]  # the body
    meta, _, _ = read_briefing(project, result)
    assert meta["organisations"] == ["Kimberley Process Civil Society Coalition", "United Nations"]
    assert [quote["speaker"] for quote in meta["quotes"]] == ["Shamiso Mtisi", ""]  # re-extracted: the fix is gone


def test_refresh_adds_missing_fields_and_leaves_an_unchanged_file_alone(tmp_path):
    project = new_project(tmp_path, {"x.txt": QUOTED})
    briefings = project / "content" / "briefings"
    briefings.mkdir(parents=True)
    old = "---\ntitle: Old style\ndate: 2021-06-28\nseed: x.txt\n---\n\nBody.\n"
    (briefings / "old.md").write_text(old)
    results = pipeline.import_seeds_into(project, [], refresh_entities=True)
    assert [r.source_path for r in results] == ["content/briefings/old.md"]
    text = (briefings / "old.md").read_text()
    assert text.startswith("---\ntitle: Old style\ndate: 2021-06-28\nseed: x.txt\ncountries:\n- ZW\n")
    assert text.endswith("- text: Zimbabwe must listen.\n  speaker: ''\n---\n\nBody.\n")
    stamp = (briefings / "old.md").stat().st_mtime_ns
    importer.refresh_entities(project, [Path("seeds/x.txt")])
    assert (briefings / "old.md").stat().st_mtime_ns == stamp


def test_refresh_needs_a_briefing_imported_from_the_seed(tmp_path):
    project = new_project(tmp_path, {"x.txt": QUOTED, "y.txt": SIMPLE})
    run_import(project, "x.txt")
    with pytest.raises(ImportFailed) as caught:
        importer.refresh_entities(project, [Path("seeds/y.txt")])
    assert [str(e) for e in caught.value.errors] == [
        "seeds/y.txt: not imported yet, so there is no briefing to refresh "
        "(import it first: python build.py import seeds/y.txt)"]
    assert [r.seed_path for r in importer.refresh_entities(project, [])] == ["seeds/x.txt"]


def test_refresh_refuses_front_matter_it_cannot_update_in_place(tmp_path):
    project = new_project(tmp_path, {"x.txt": QUOTED})
    [result] = run_import(project)
    (project / result.source_path).write_text("---\n{title: T, date: 2021-06-28, seed: x.txt}\n---\nBody\n")
    with pytest.raises(ImportFailed) as caught:
        importer.refresh_entities(project, [])
    assert [str(e) for e in caught.value.errors] == [
        f"{result.source_path}:2: front matter written as one {{...}} mapping cannot be updated in place "
        "(write one 'key: value' per line)"]


@given(PARAGRAPH_TEXT.filter(lambda text: "\n" not in text and text == text.strip()))
@settings(max_examples=200, deadline=None, database=None)
def test_unescape_undoes_escape(text):
    assert unescape_paragraph(escape_paragraph(text)) == text
