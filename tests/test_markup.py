"""Tests Markdown rendering: raw HTML is neutralised, .md links become page links, ids and links are recorded,
and the quick inline and block steps give exactly the HTML of Python-Markdown's own."""
from html.parser import HTMLParser

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broadside import markup
from broadside.markup import render_markdown, url_scheme

PAGES = {"content/briefings/other.md": "briefings/other/index.html", "content/issues/kp.md": "issues/kp/index.html"}
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "form", "input", "base", "meta", "style", "link", "svg"}


def render(text: str, sanitize: bool = True):
    return render_markdown(text, "content/briefings/x.md", "briefings/x/index.html", PAGES, sanitize)


class Scan(HTMLParser):
    """Collects the elements and attributes of rendered HTML, as a browser would see them."""

    def __init__(self, html: str):
        super().__init__()
        self.tags, self.attributes = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]


def assert_inert(html: str) -> None:
    scan = Scan(html)
    assert not DANGEROUS_TAGS & set(scan.tags), scan.tags
    assert not [a for a in scan.attributes if a[1].startswith("on") or a[1] == "style" and "text-align" not in a[2]]
    assert not [a for a in scan.attributes if a[1] in ("href", "src", "action", "formaction")
                and url_scheme(a[2]) not in ("", "http", "https", "mailto")]


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>", "Text <script>alert(1)</script> inline", "<script src=//evil></script>",
    '<div markdown="1"><script>alert(1)</script></div>',
    "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>", "<details open ontoggle=alert(1)>x</details>",
    "[x](javascript:alert(1))", "[x](jav&#x09;ascript:alert(1))", "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)", "[x](vbscript:msgbox)", "![a](javascript:alert(1))",
    "<javascript:alert(1)>", '# T {: onclick="alert(1)" }',
    '{: style="position:fixed;top:0;left:0;width:100%;height:100%" }',
    '[x](https://ok){: href="javascript:alert(1)" }', "<iframe src=//evil></iframe>", "<object data=x></object>",
    "<embed src=x>", "<form action=//evil><input type=password></form>", "<base href=//evil/>",
    '<meta http-equiv=refresh content="0;url=//evil">', "<style>body{display:none}</style>",
    "<link rel=stylesheet href=//evil>", "<!-- unclosed", "<div>unclosed", "<table><tr><td>x",
    "</main></body></html>", '```{ ."><script/}\nx\n```\n\n```{ .html*/</script/}\ny\n```',
])
def test_dangerous_markup_is_neutralised(text):
    assert_inert(render(text).html)


@pytest.mark.parametrize("text, what", [
    ("<script>alert(1)</script>", "<script> element"),
    ("<img src=x onerror=alert(1)>", "'onerror' attribute on <img>"),
    ("[x](javascript:alert(1))", "javascript: URL in <a href>"),
    ("<iframe src=//evil></iframe>", "<iframe> element"),
])
def test_each_removal_is_reported(text, what):
    assert what in [removal.what for removal in render(text).removals]


def test_structure_breaking_html_is_balanced():
    html = render("<div><table><tr><td>x\n\n</main></body></html>").html
    scan = Scan(html)
    assert "main" not in scan.tags and "body" not in scan.tags and html.count("<div") == html.count("</div>")


def test_sites_may_opt_out_of_sanitising():
    assert "<iframe" in render("<iframe src=https://video.example/x></iframe>", sanitize=False).html


def test_md_links_become_relative_page_links():
    html = render("[o](other.md#part) [k](../issues/kp.md) [w](https://example.org/a.md)").html
    assert 'href="../other/index.html#part"' in html and 'href="../../issues/kp/index.html"' in html
    assert 'href="https://example.org/a.md"' in html


def test_links_and_ids_are_recorded():
    result = render("## Hello there\n\n[a](#hello-there) [b](nope.md) [c](https://x.org)")
    assert "hello-there" in result.ids
    assert [(link.target, link.fragment) for link in result.links] == [
        ("briefings/x/index.html", "hello-there"), ("content/briefings/nope.md", ""), ("", "")]


def test_tables_footnotes_and_alignment_survive():
    html = render("| a | b |\n|:-:|--:|\n| 1 | 2 |\n\nNote[^1]\n\n[^1]: Text").html
    assert '<th style="text-align:center">a</th>' in html and 'id="fn:1"' in html


MARKDOWN_ONLY = [
    "A [link](javascript:alert(1)) and ![chart](data:image/png;base64,AAAA \"A chart\").",
    "| a | b |\n|:--|--:|\n| 1 | 2 |\n\nText[^1].\n\n[^1]: A note with [a link](vbscript:x).",
    "```python\nprint('x')\n```\n\n## Heading {#custom}\n\n* list\n* [mail](mailto:a@example.org)\n\n1. one\n2. two",
    "> quote with `code` and **strong** and *em*\n\n---\n\n[ref][r]\n\n[r]: JaVaScRiPt:void(0) \"Title\"",
    "![](plain.png) and [page](other.md#part) and [anchor](#top) and <https://example.org>",
    "[tab](jav&#x09;ascript:alert(1)) and [entity](&#106;avascript:alert(2)) and [ok](https://example.org/?a&amp;b)",
]


@pytest.mark.parametrize("text", MARKDOWN_ONLY)
def test_markdown_without_raw_html_is_judged_as_the_sanitiser_sees_it(text):
    """Without '<' in the source, removals come from the Markdown tree: they must equal what parsing the HTML finds."""
    rendered = render_markdown(text, "content/briefings/a.md", "briefings/a/index.html", {})
    # The same text with a harmless raw HTML element added takes the parsing path.
    parsed = render_markdown(text + "\n\n<span>x</span>", "content/briefings/a.md", "briefings/a/index.html", {})
    assert [r.what for r in rendered.removals] == [r.what for r in parsed.removals]
    assert rendered.unlabelled == parsed.unlabelled


# One text each of Python-Markdown's inline patterns matches, by the pattern's name.
MATCHED_BY = {
    "backtick": "a `code` b", "escape": "a \\*b\\* c", "footnote": "a[^1]\n\n[^1]: note", "reference": "[a][r]\n\n[r]: /x",
    "link": "[a](/x)", "short_reference": "[r]\n\n[r]: /x", "image_link": "![a](x.png)",
    "image_reference": "![a][r]\n\n[r]: x.png", "short_image_ref": "![r]\n\n[r]: x.png",
    "autolink": "<https://example.org>", "automail": "write to <word@example.org>", "linebreak": "a  \nb",
    "html": "a <b>bold</b> c", "entity": "a &amp; &#65; b", "em_strong": "*a* **b** _c_ __d__",
}
# Pieces of Markdown that start, end or break inline patterns, to be strung together at random.
PIECES = ["word", "a", " ", "  ", "\n", "\n\n", "  \n", "`", "``", "\\", "\\`", "[", "]", "(", ")", "![", "[^1]",
          "[^1]: note", "[r]", "[r]: https://example.org", "<", ">", "</b>", "<b>", "<!-- c -->", "@", "a@b.org",
          "<https://example.org>", "&", "&amp;", "&#65;", ";", "*", "**", "***", "_", "__", "# ", "- ", "1. ", "> ",
          "| a | b |\n|---|---|\n", "```\n", "    ", "[TOC]", "{#id}", "https://example.org", "é", "\x02", "\x03"]


def assert_quick_inline_agrees(text: str) -> None:
    assert isinstance(markup._converter().treeprocessors["inline"], markup._QuickInline)
    stock = markdown.Markdown(extensions=[*markup.EXTENSIONS], output_format="html")
    quick = markdown.Markdown(extensions=[*markup.EXTENSIONS, markup._QuickInlineExtension()], output_format="html")
    assert quick.convert(text) == stock.convert(text)


@pytest.mark.parametrize("name", sorted(markup.NEEDLES))
def test_the_quick_inline_step_applies_each_pattern_it_knows(name):
    """Skipping patterns whose needles a text lacks must not skip one that matches it."""
    assert_quick_inline_agrees(MATCHED_BY[name])


@settings(max_examples=600, deadline=None, database=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
def test_the_quick_inline_step_gives_exactly_what_python_markdown_gives(text):
    """Any text: the HTML is what Python-Markdown's own inline step gives."""
    assert_quick_inline_agrees(text)


# One text each of the block steps whose test asks first for a needle takes, with what it makes of it.
TAKEN_BY = {
    "hashheader": ("Text\n## Heading ##\nmore", "<h2"), "setextheader": ("Heading\n---", "<h2"), "hr": ("a\n\n_ _ _", "<hr"),
    "quote": ("   > said\n> more", "<blockquote>"), "footnote": ("a[^n]\n\n[^n]: the note", 'class="footnote"'),
    "reference": ("[a][r]\n\n [r]: /x 'T'", 'href="/x"'), "table": ("a | b\n--|--\n1 | 2", "<table>"),
}
BLOCK_PIECES = ["# ", "## x ##", "\n", "\n\n", "=", "===", "-", "---", "- - -", "***", "_", "___", "> ", ">", "[^1]",
                "[^1]: note", "[r]", "[r]: /x", "]:", "|", "| a | b |\n|---|---|\n", "a | b\n", "--|--\n", "    ",
                "word", " ", "1. ", "* ", "```\n", "<div>", "</div>", "{#id}", "[TOC]", "é", "\t"]


def assert_quick_blocks_agree(text: str) -> None:
    stock = markdown.Markdown(extensions=[*markup.EXTENSIONS], output_format="html")
    quick = markdown.Markdown(extensions=[*markup.EXTENSIONS, markup._QuickBlocksExtension()], output_format="html")
    assert quick.convert(text) == stock.convert(text)


@pytest.mark.parametrize("name", sorted(markup.BLOCK_NEEDS))
def test_each_quick_block_step_still_takes_what_it_took(name):
    """A block step asks for its needle first: a block it takes is still taken, and made into the same HTML."""
    text, made = TAKEN_BY[name]
    assert markup.BLOCK_NEEDS[name](text)
    assert made in markup._converter().reset().convert(text)
    assert_quick_blocks_agree(text)


@settings(max_examples=600, deadline=None, database=None)
@given(st.lists(st.sampled_from(BLOCK_PIECES), max_size=40).map("".join))
def test_the_quick_block_steps_give_exactly_what_python_markdown_gives(text):
    """Any text: the HTML is what Python-Markdown's own block steps give."""
    assert_quick_blocks_agree(text)


def test_a_body_that_opens_with_its_summary_is_told_apart():
    """An imported briefing's first paragraph is its summary: the page then shows it once (tags, entities and spacing
    aside), and only the first paragraph counts."""
    body = render("The *minister*   said &amp; so.\n\nMore.").html
    assert markup.opens_with(body, "The minister said & so.")
    assert not markup.opens_with(body, "The minister said so.")
    assert not markup.opens_with(render("# Heading\n\nThe minister said.").html, "The minister said.")
    assert not markup.opens_with(render("Intro.\n\nThe minister said.").html, "The minister said.")
