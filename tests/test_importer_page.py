"""Tests saved web pages as seeds: real articles saved with their sites' menus and scripts in, briefings out."""
from __future__ import annotations

import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from broadside.importer.article import SeedError
from broadside.importer.page import (Block, Segment, blocks_markdown, decode_page, is_written, markdown_paragraphs,
                                     page_reading)
from broadside.markup import render_markdown
from broadside.meta import parse_document
from tests.helpers import REPO, make_project, run_cli
from tests import test_site_in_browser as in_browser  # its helpers; a module, so its tests are not collected twice

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "broadside-hypothesis")  # never .hypothesis/ in the repository
PAGES = REPO / "tests" / "fixtures" / "pages"
LIST_PAGE = REPO / "tests" / "bad_inputs" / "44-html-list-page" / "files" / "seeds" / "list.html"  # a real tag page
# Text of the sites' menus, cookie notices, share buttons, teasers, scripts and styles: none may reach a briefing.
CHROME = ("Accept all cookies", "Manage preferences", "Subscribe now", "Share on Facebook", "Share on Twitter",
          "Share via Email", "Related Articles", "De Beers bets on lab-grown gems", "More from Business",
          "Pound climbs", "Terms and Conditions", "Telegraph Media Group", "TRACKING-SCRIPT-TEXT", "STYLE-RULE-TEXT",
          "CONSENT-SCRIPT-TEXT", "dataLayer", "Credit: Bloomberg", "It’s your choice", "Support the Guardian",
          "Explore more on these topics", "Most viewed", "Pension gap", "OPHAN-SCRIPT-TEXT", "GUARDIAN-STYLE-TEXT",
          "LOADER-SCRIPT-TEXT", "Reuse this content", "more than 20 years old", "Cookie policy", "Skip to main",
          "UA-OKAPI-SCRIPT-TEXT", "OKAPI-STYLE-TEXT", "Articles similaires", "Partager", "Rechercher",
          "Tous droits réservés", "Accueil", "Clôture de la réunion")
EXPECTED = {
    "telegraph-blood-diamond-trade.html": dict(
        title="War on blood diamond trade loses its lustre in age of digital smuggling", date="2018-01-28",
        author="Jon Yeomans", publication="The Telegraph",
        url="https://www.telegraph.co.uk/business/2018/01/28/war-blood-diamond-trade-loses-lustre-age-digital-smuggling/",
        summary="The Kimberley Process, a scheme designed to certify that diamonds are conflict-free, is under pressure "
                "to reform.", paragraphs=5,
        first="The diamond industry stands at a crossroads. The Kimberley Process, a scheme designed to certify that "
              "diamonds are “conflict-free”, is under pressure to reform."),
    "guardian-blood-still-stains.html": dict(
        title="Blood still stains symbols of love", date="2003-09-07", author="Nick Kettles",
        publication="The Guardian", url="https://www.theguardian.com/money/2003/sep/07/ethicalmoney.observercashsection",
        summary="Conflict diamonds are leading ethical buyers into a minefield, says Nick Kettles", paragraphs=5,
        first="Conflict diamonds illegally traded for weapons by rebel armies have contributed to the deaths of "
              "hundreds of thousands of people in the world's war zones in the last decade."),
    "radiookapi-panorama.html": dict(
        title="Panorama économique de la semaine", date="2011-06-26", author="", publication="Radio Okapi",
        url="https://www.radiookapi.net/economie/2011/06/26/panorama-economique-de-la-semaine-2", summary="",
        paragraphs=1,
        first="Kinshasa a abrité du lundi 20 juin au jeudi 23 juin la grande réunion internationale du processus de "
              "Kimberley. Des délégations de plusieurs pays se sont retrouvées dans la capitale de la RDC pour "
              "discuter de la certification du diamant afin d’éviter à ce que le diamant d’origine illicite ne soit "
              "introduit dans le commerce légal."),
}
ARTICLE = ("<p>The Kimberley Process met in Kinshasa this week, where delegates from Zimbabwe and the European Union "
           "argued for three days over the definition of conflict diamonds and over the Marange fields.</p>"
           "<p>Civil society observers said the scheme had again failed to agree on reform, and several groups "
           "walked out of the plenary before its closing statement was read.</p>")


def page(title: str = "Delegates argue over conflict diamonds", body: str = ARTICLE, head: str = "") -> bytes:
    """A small article page with a title, a date in its metadata and two paragraphs."""
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="article:published_time" content="2021-06-24">{head}</head>'
            f"<body><article><h1>{title}</h1>{body}</article></body></html>").encode("utf-8")


def read(data: bytes, **options):
    """Read page bytes as seeds/page.html."""
    return page_reading(data, "seeds/page.html", "page.html", **options)


class TextOf(HTMLParser):
    """Collects the text of a built briefing's body (its div.prose) and the addresses it links to."""

    def __init__(self):
        super().__init__()
        self.depth, self.blocks, self.links, self.tags = 0, [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and attrs.get("class") == "prose":
            self.depth = 1
        elif self.depth:
            self.depth += tag == "div"
            self.tags.append(tag)
            if tag in ("p", "li", "h2", "h3", "h4", "h5", "h6"):
                self.blocks.append("")
            if tag == "a":
                self.links.append(attrs.get("href"))

    def handle_endtag(self, tag):
        if self.depth and tag == "div":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and self.blocks:
            self.blocks[-1] += data


def built_body(project: Path, slug: str) -> TextOf:
    """Parse the body of a built briefing page."""
    parser = TextOf()
    parser.feed((project / "output" / "briefings" / slug / "index.html").read_text(encoding="utf-8"))
    return parser


# --- real pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_saved_pages_give_their_metadata_and_only_their_article(name):
    expected = EXPECTED[name]
    reading = read((PAGES / name).read_bytes())
    article = reading.article
    assert article.title == expected["title"]
    assert article.date == expected["date"]
    assert article.byline.author == expected["author"]
    assert article.byline.publication == expected["publication"]
    assert article.byline.url == expected["url"]
    assert article.summary == expected["summary"]
    assert len(article.paragraphs) == expected["paragraphs"]
    assert article.paragraphs[0] == expected["first"]
    everything = article.markdown + "\n".join(article.paragraphs)
    assert [text for text in CHROME if text in everything] == []
    assert "<" not in article.markdown and "script" not in everything.lower()


def test_a_page_import_writes_a_briefing_that_shows_the_article_exactly(tmp_path):
    name = "telegraph-blood-diamond-trade.html"
    project = make_project(tmp_path, files={f"seeds/{name}": (PAGES / name).read_bytes()})
    done = run_cli(project, "import", f"seeds/{name}")
    assert done.returncode == 0, done.stderr
    slug = "war-on-blood-diamond-trade-loses-its-lustre-in-age-of"
    assert done.stdout.splitlines()[0] == f"seeds/{name} -> content/briefings/{slug}.md"  # then its report
    document = parse_document((project / "content" / "briefings" / f"{slug}.md").read_text(encoding="utf-8"), "x.md")
    meta = {key: value.data for key, value in document.meta.items()}
    assert meta["title"] == EXPECTED[name]["title"] and meta["date"] == "2018-01-28" and meta["seed"] == name
    assert {key: value.data for key, value in meta["source"].items()} == {
        "author": "Jon Yeomans", "publication": "The Telegraph", "url": EXPECTED[name]["url"]}
    assert "AO" in [value.data for value in meta["countries"]]  # Angola, named in the body
    built = run_cli(project, "build", "--strict")
    assert built.returncode == 0, built.stderr
    body = built_body(project, slug)
    assert [" ".join(block.split()) for block in body.blocks] == list(read((PAGES / name).read_bytes()).article.paragraphs)
    assert body.links == ["https://www.telegraph.co.uk/business/de-beers/"]


def test_a_saved_page_is_imported_again_with_force_and_its_entities_refreshed(tmp_path):
    name = "guardian-blood-still-stains.html"
    project = make_project(tmp_path, files={f"seeds/{name}": (PAGES / name).read_bytes()})
    assert run_cli(project, "import", f"seeds/{name}").returncode == 0
    briefing = project / "content" / "briefings" / "blood-still-stains-symbols-of-love.md"
    again = run_cli(project, "import", f"seeds/{name}")
    assert again.returncode == 1 and "already imported as content/briefings/blood-still-stains" in again.stderr
    first = briefing.read_text(encoding="utf-8")
    briefing.write_text(first.replace("countries:\n- AO\n", "countries:\n- AO\n- SL\n- CD\n- GB\n"), encoding="utf-8")
    corrected = briefing.read_text(encoding="utf-8")
    assert run_cli(project, "import", f"seeds/{name}", "--force").returncode == 0
    assert briefing.read_text(encoding="utf-8") == corrected  # the person's correction kept, nothing else changed
    refreshed = run_cli(project, "import", f"seeds/{name}", "--refresh-entities")
    assert refreshed.returncode == 0, refreshed.stderr
    assert briefing.read_text(encoding="utf-8") == first


def test_the_body_keeps_headings_lists_quotes_and_safe_links_only(tmp_path):
    body = ("<p>The plenary opened with a statement, and <a href='https://example.org/statement'>its text</a> was "
            "posted, with <a href='javascript:alert(1)'>a script link</a>, <a href='/relative'>a relative one</a> and "
            "<a href='mailto:press@example.org'>the press office</a> named in it for the delegates.</p>"
            "<h2>What was agreed</h2><ul><li>A review of Marange</li><li>A new chair</li></ul>"
            "<blockquote><p>“We will not accept this,” said a delegate from the coalition.</p></blockquote>"
            "<p>The meeting closed late on Thursday after long talks about the definition of conflict diamonds "
            "and the role of civil society observers.</p>")
    reading = read(page(body=body))
    markdown = reading.article.markdown
    assert "## What was agreed\n\n- A review of Marange\n- A new chair\n\n> “We will not accept" in markdown
    assert "[its text](https://example.org/statement)" in markdown
    assert "a script link, a relative one and the press office" in markdown
    assert [left.text for left in reading.article.left_out] == ["javascript:alert(1)", "/relative",
                                                               "mailto:press@example.org"]
    assert [str(warning) for warning in reading.warnings] == [
        "seeds/page.html: warning: 3 link(s) left out, their text kept: not absolute http(s) addresses "
        "(first: 'javascript:alert(1)') (add the addresses by hand if they matter)"]
    rendered = render_markdown(markdown, "content/briefings/x.md", "briefings/x/index.html", {})
    for tag in ("<h2", "<ul>", "<li>", "<blockquote>", '<a href="https://example.org/statement">'):
        assert tag in rendered.html


def test_relative_links_are_made_absolute_against_the_address_a_browser_noted():
    body = ARTICLE.replace("Marange fields", "<a href='/marange'>Marange fields</a>")
    saved = b"<!-- saved from url=(0034)https://news.example.org/kp/2021/ -->\n" + page(body=body)
    article = read(saved).article
    assert "[Marange fields](https://news.example.org/marange)" in article.markdown
    assert article.byline.url == "https://news.example.org/kp/2021/" and article.left_out == ()


# --- what the body shows -----------------------------------------------------------------------

TEXT = st.lists(st.one_of(
    st.sampled_from(list("\\`*_[]{}<>&#;:|~-+=.!()/?@\"' 0123456789aZ") + ["é", "日", "“", "’"]),
    st.sampled_from(["&amp;", "&#35;", "<b>", "</p>", "<!--", "-->", "<a@b.c>", "<http://x>", "1. ", "- ", "* ",
                     "# ", "> ", "---", "```", "|a|b|", "{: x}", "[x](y)", "[^1]", "[TOC]", "{{ x }}", "!", "!["])),
    min_size=1).map("".join).map(lambda text: " ".join(text.split())).filter(bool)
HREF = st.sampled_from(["https://example.org/a_b*c", "https://example.org/a b(c)", "http://x.org/?q=1&r=[2]",
                        "https://example.org/`x`\\y", "https://example.org/#frag"])
SEGMENTS = st.lists(st.tuples(TEXT, st.one_of(st.just(""), HREF)), min_size=1, max_size=4)


@given(st.lists(st.tuples(st.sampled_from(["p", "h2", "h3", "ul", "ol", "quote"]), SEGMENTS), min_size=1, max_size=5))
@settings(max_examples=150, deadline=None)
def test_every_block_renders_as_exactly_its_text_and_links(raw):
    blocks = tuple(Block(kind, tuple(Segment(text, href) for text, href in segments)) for kind, segments in raw)
    markdown = blocks_markdown(blocks)
    rendered = render_markdown(markdown, "content/briefings/x.md", "briefings/x/index.html", {})
    parser = TextOf()
    parser.feed(f'<div class="prose">{rendered.html}</div>')
    assert [" ".join(text.split()) for text in parser.blocks] == [" ".join(block.text.split()) for block in blocks]
    assert len(parser.links) == sum(1 for block in blocks for segment in block.segments if segment.href)
    assert not {"script", "img", "pre", "code", "table", "em", "strong", "hr"} & set(parser.tags)
    assert markdown_paragraphs(markdown) == tuple(" ".join(block.text.split()) for block in blocks)


# --- encodings -----------------------------------------------------------------------------------


def test_a_page_in_latin_1_reads_as_windows_1252_as_browsers_do():
    article = read((PAGES / "radiookapi-panorama.html").read_bytes()).article
    assert "d’éviter" in article.paragraphs[0]  # byte 0x92: a control character in latin-1, ’ in windows-1252


def test_the_http_header_charset_wins_over_the_page_and_encoding_wins_over_both():
    data = page(title="Réunion à Kinshasa").decode("utf-8").replace('charset="utf-8"', 'charset="utf-8"').encode("cp1252")
    with pytest.raises(SeedError) as refused:
        read(data)
    assert "not UTF-8 (invalid byte 0xE9; looks like cp1252)" in str(refused.value)
    assert read(data, declared="windows-1252").article.title == "Réunion à Kinshasa"
    assert read(data, encoding="cp1252").article.title == "Réunion à Kinshasa"


def test_an_undeclared_or_unknown_encoding_is_a_clear_error():
    undeclared = page(title="Réunion à Kinshasa").replace(b'<meta charset="utf-8">', b"").decode().encode("cp1252")
    with pytest.raises(SeedError) as refused:
        read(undeclared)
    assert str(refused.value).startswith("seeds/page.html:1:")
    assert "re-run with --encoding cp1252" in str(refused.value)
    unknown = page().replace(b'charset="utf-8"', b'charset="x-martian"')
    with pytest.raises(SeedError) as refused:
        read(unknown)
    assert str(refused.value) == ("seeds/page.html: the page says its encoding is 'x-martian', which is unknown "
                                  "(re-run with --encoding naming the real one, e.g. cp1252 or utf-8)")


def test_an_xhtml_page_names_its_encoding_in_its_xml_declaration():
    data = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n' + page(title="Réunion à Kinshasa").replace(
        b'<meta charset="utf-8">', b"").decode("utf-8").encode("cp1252")
    assert read(data).article.title == "Réunion à Kinshasa"


def test_decode_page_reads_a_byte_order_mark_first():
    assert decode_page("<p>é</p>".encode("utf-16"), "x.html", declared="iso-8859-1").text == "<p>é</p>"


# --- pages that are not articles, hostile pages ---------------------------------------------------


@pytest.mark.parametrize("data, message", [
    ((LIST_PAGE).read_bytes(),
     "no article found in the page: it looks like a list of links or an empty page"),
    (b"", "no article found in the page: it looks like a list of links or an empty page"),
    (b"<!DOCTYPE html><html><head><title>Home</title></head><body></body></html>",
     "no article found in the page: it looks like a list of links or an empty page"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "a PDF file, not a web page"),
])
def test_pages_that_are_not_articles_are_refused_saying_why(data, message):
    with pytest.raises(SeedError) as refused:
        read(data)
    assert message in str(refused.value)


def test_a_page_with_no_date_is_refused_unless_date_gives_one(tmp_path):
    undated = page().replace(b'<meta property="article:published_time" content="2021-06-24">', b"")
    undated += b"<footer>\xc2\xa9 2024 Example News</footer>"  # a bare year: never taken for 1 January
    project = make_project(tmp_path, files={"seeds/undated.html": undated})
    refused = run_cli(project, "import", "seeds/undated.html")
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[0] == ("seeds/undated.html: no publication date found in the page "
                                              "(re-run with --date YYYY-MM-DD)")
    assert not list((project / "content" / "briefings").glob("delegates*"))
    dated = run_cli(project, "import", "seeds/undated.html", "--date", "2021-06-24")
    assert dated.returncode == 0, dated.stderr
    [briefing] = (project / "content" / "briefings").glob("delegates*.md")
    assert "\ndate: 2021-06-24\n" in briefing.read_text(encoding="utf-8")


def test_a_date_in_the_text_is_taken_only_when_its_day_is_written():
    from datetime import date
    assert is_written(date(2011, 6, 26), "Publié le dim, 26/06/2011 - 17:12")
    assert is_written(date(2011, 6, 6), "BANGUI, June 6, 2011 (Reuters)")
    assert is_written(date(2011, 6, 6), "Monday 6th June 2011")
    assert not is_written(date(2024, 1, 1), "© 2024 Example News")


def test_a_title_of_two_thousand_characters_is_cut_at_a_word_and_reported():
    title = " ".join(["Diamonds"] * 222)  # 1,997 characters
    reading = read(page(title=title))
    assert reading.article.title == " ".join(["Diamonds"] * 12)
    assert len(reading.article.title) <= 110
    assert [str(warning) for warning in reading.warnings] == [
        "seeds/page.html: warning: the page's title was cut to 110 characters (check the briefing's title)"]


def test_imported_pages_show_their_text_in_a_browser_and_run_nothing(tmp_path, chromium):
    telegraph = "telegraph-blood-diamond-trade.html"
    hostile = page(title="&lt;script&gt;alert(1)&lt;/script&gt; Delegates argue",
                   body=ARTICLE + "<p onclick='alert(3)'>A paragraph <a href='javascript:alert(4)'>with a script link</a>"
                                  " and <img src=x onerror=alert(5)> an image that fails to load.</p>")
    raw = page(title="<script>alert(2)</script> Delegates argue")
    project = make_project(tmp_path, files={"seeds/hostile.html": hostile, "seeds/raw.html": raw,
                                            f"seeds/{telegraph}": (PAGES / telegraph).read_bytes()})
    done = run_cli(project, "import", "seeds/hostile.html", "seeds/raw.html", f"seeds/{telegraph}")
    assert done.returncode == 0, done.stderr
    assert run_cli(project, "build", "--strict").returncode == 0
    root = (project / "output").as_uri() + "/"
    context = in_browser.open_context(chromium, root)
    dialogs: list[str] = []
    shown = {}
    try:
        for slug in ("script-alert-1-script-delegates-argue", "alert-2-delegates-argue",
                     "war-on-blood-diamond-trade-loses-its-lustre-in-age-of"):
            tab = context.new_page()
            problems = in_browser.watch(tab, root)
            tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            tab.goto(f"{root}briefings/{slug}/index.html")
            tab.locator(".prose a, .prose p").first.click()  # a reader clicking the first paragraph or link
            shown[slug] = (tab.locator("h1").inner_text(), tab.locator(".prose").inner_text())
            assert problems == []
            tab.close()
    finally:
        context.close()
    assert dialogs == []
    # Escaped in the page, the tag is text and shows as such; raw, the HTML parser read it as a tag and kept the words.
    assert shown["script-alert-1-script-delegates-argue"][0] == "<script>alert(1)</script> Delegates argue"
    assert shown["alert-2-delegates-argue"][0] == "alert(2) Delegates argue"
    title, prose = shown["war-on-blood-diamond-trade-loses-its-lustre-in-age-of"]
    assert title == EXPECTED[telegraph]["title"]
    assert prose.split("\n\n") == list(read((PAGES / telegraph).read_bytes()).article.paragraphs)
