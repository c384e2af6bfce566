"""Takes a saved web page (its bytes, and its address when known), gives the article in it as an Article record."""
from __future__ import annotations

import datetime
import re
import urllib.parse
from dataclasses import dataclass

from pathlib import Path

from ..errors import ContentError
from ..model import Source
from ..reader import CONTROL
from .article import Article, LeftOut, Reading, SeedError
from .decode import Decoded, decode_seed, lookup_codec, read_seed
from .escape import _INLINE, escape_character, escape_paragraph, unescape_paragraph

MAX_PAGE_BYTES = 10 * 2**20  # saved pages carry their scripts and styles: far more than an article's text
TITLE_LIMIT = 110  # the longest headline kept whole; a longer page title is cut at a word and reported
LINK_KEY = 15  # link texts shorter than this are menu words, not teasers
MIN_ARTICLE_CHARS = 200  # less running text than this is a list of links, a login page or an empty page
PAGE_SUFFIXES = (".html", ".htm")
NO_DATE = "no publication date found in the page"
NO_DATE_HINT = "re-run with --date YYYY-MM-DD"
# Where a browser records the address a page was saved from (Chrome, Edge and Internet Explorer write it).
_SAVED_FROM = re.compile(rb"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.IGNORECASE)
# <meta charset>, <meta http-equiv="Content-Type" content="...; charset=...">, or an XHTML page's XML declaration.
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)"""
                           rb"""|<\?xml\b[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# The HTML standard reads these labels as windows-1252, and so do browsers: Python's latin-1 would not.
_WINDOWS_1252 = frozenset(("iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "cp819",
                           "ibm819", "iso-ir-100", "windows-1252", "x-cp1252"))
_SPACE = re.compile(r"\s+")
_BLOCK_TAGS = frozenset(("list", "p", "quote", "head", "table"))


@dataclass(frozen=True)
class Segment:
    """A run of text in a block, and the address it links to ('' for plain text)."""

    text: str
    href: str = ""


@dataclass(frozen=True)
class Block:
    """One block of the article body: its kind (p, h2-h6, ul, ol, quote), its text and its links."""

    kind: str
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        return "".join(segment.text for segment in self.segments)


def is_page(name: str) -> bool:
    """Tell whether a seed file name is a saved web page (.html or .htm)."""
    return name.lower().endswith(PAGE_SUFFIXES)


def read_page(file: Path, shown: str, encoding: str | None = None) -> Reading:
    """Read a saved page file into an Article; the address a browser noted when saving it is used for its links."""
    return page_reading(read_seed(file, shown, MAX_PAGE_BYTES), shown, file.name, encoding)


def page_reading(data: bytes, shown: str, seed_name: str, encoding: str | None = None, declared: str | None = None,
                 address: str = "") -> Reading:
    """Read a page's bytes into an Article (`declared`: the charset an HTTP server gave; `address`: where it was found)."""
    decoded = decode_page(data, shown, encoding, declared)
    article = parse_page(decoded.text, shown, address or saved_from(data))
    return Reading(article, seed_name, decoded.warnings + page_warnings(article, shown))


def page_warnings(article: Article, shown: str) -> tuple[ContentError, ...]:
    """Return what to check in a briefing made from a page: a cut title, links that were left out."""
    warnings = [ContentError(shown, None, f"the page's title was cut to {TITLE_LIMIT} characters",
                             "check the briefing's title", warning=True)
                for left in article.left_out if left.reason.startswith("title cut")]
    links = [left.text for left in article.left_out if left.reason.startswith("link")]
    if links:
        warnings.append(ContentError(
            shown, None, f"{len(links)} link(s) left out, their text kept: not absolute http(s) addresses "
            f"(first: '{links[0][:60]}')", "add the addresses by hand if they matter", warning=True))
    return tuple(warnings)


# --- bytes to text -------------------------------------------------------------------------


def decode_page(data: bytes, path: str, encoding: str | None = None, declared: str | None = None) -> Decoded:
    """Return a page's text: `encoding` (--encoding) wins, then `declared` (HTTP), then the page's own <meta>, then UTF-8."""
    if data.lstrip()[:5] == b"%PDF-":
        raise SeedError(ContentError(path, None, "a PDF file, not a web page",
                                     "copy the article's text into a .txt seed instead"))
    label = encoding or declared or meta_charset(data)
    if label is None:
        return decode_seed(data, path)
    codec = page_codec(label, path, given=encoding is not None)
    return decode_seed(data, path, codec)


def meta_charset(data: bytes) -> str | None:
    """Return the encoding a page names in its first 4 KB (where browsers look), else None."""
    found = _META_CHARSET.search(data[:4096])
    return (found.group(1) or found.group(2)).decode("ascii") if found else None


def page_codec(label: str, path: str, given: bool) -> str:
    """Return the Python codec for an encoding label, as browsers read it; fail naming an unknown one."""
    if label.strip().lower() in _WINDOWS_1252:
        return "cp1252"
    if given:
        return lookup_codec(label, path)
    try:
        return lookup_codec(label, path)
    except SeedError:
        raise SeedError(ContentError(path, None, f"the page says its encoding is '{label}', which is unknown",
                                     "re-run with --encoding naming the real one, e.g. cp1252 or utf-8")) from None


def saved_from(data: bytes) -> str:
    """Return the address a browser noted when saving the page ('' when there is none)."""
    found = _SAVED_FROM.search(data[:4096])
    return found.group(1).decode("ascii", errors="replace") if found else ""


# --- the page to an Article ----------------------------------------------------------------


def parse_page(html: str, path: str, address: str = "") -> Article:
    """Return the article in a page's HTML: metadata and body by trafilatura; `address` is where it was found."""
    import trafilatura  # only importing pages needs it, and it takes a while to load

    found = trafilatura.bare_extraction(html, url=address or None, with_metadata=True, include_links=True,
                                        include_comments=False, include_tables=True, include_images=False,
                                        include_formatting=False)
    if found is None or found.body is None:
        raise SeedError(not_an_article(path))
    url = page_url(found.url or "", address)
    title, title_left_out = page_title(found.title or "", path)
    blocks = body_blocks(found.body, title)
    if article_chars(blocks, link_texts(html)) < MIN_ARTICLE_CHARS:
        raise SeedError(not_an_article(path))
    date, date_origin = page_date(found.date, html, url, path)
    dropped = tuple(LeftOut(None, href, "link left out: not an absolute http(s) address")
                    for block in blocks for href in dropped_links(block))
    blocks = tuple(keep_links(block) for block in blocks)
    return Article(date=date, title=title, paragraphs=tuple(clean(block.text) for block in blocks),
                   byline=page_byline(found, url), markdown=blocks_markdown(blocks),
                   summary=clean(found.description or ""), title_origin="page metadata", date_origin=date_origin,
                   byline_origin="page metadata", left_out=title_left_out + dropped, lines=len(blocks))


def not_an_article(path: str) -> ContentError:
    """The error for a page with no article text in it."""
    return ContentError(path, None, "no article found in the page: it looks like a list of links or an empty page",
                        "save the article's own page, or copy its text into a .txt seed")


def clean(text: str) -> str:
    """Return text with runs of white space made one space and invisible control characters removed."""
    return _SPACE.sub(" ", CONTROL.sub("", text)).strip()


def page_url(found: str, address: str) -> str:
    """Return the page's canonical address, made absolute against `address`; '' unless it is http(s)."""
    url = urllib.parse.urljoin(address, found.strip()) if address else found.strip()
    return url if is_web_address(url) else (address if is_web_address(address) else "")


def is_web_address(url: str) -> bool:
    """Tell whether `url` is an absolute http or https address with a host."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def page_title(title: str, path: str) -> tuple[str, tuple[LeftOut, ...]]:
    """Return the headline, cut at a word to TITLE_LIMIT characters if the page's is longer (the rest reported)."""
    title = clean(title)
    if not title:
        raise SeedError(ContentError(path, None, "the page has no title", "save the article's own page"))
    if len(title) <= TITLE_LIMIT:
        return title, ()
    cut = title[:TITLE_LIMIT + 1].rsplit(" ", 1)[0] if " " in title[:TITLE_LIMIT + 1] else title[:TITLE_LIMIT]
    cut = cut[:TITLE_LIMIT].rstrip()
    return cut, (LeftOut(None, title[len(cut):].strip(), f"title cut to {TITLE_LIMIT} characters"),)


def page_date(found: str | None, html: str, url: str, path: str) -> tuple[str, str]:
    """Return the publication date (YYYY-MM-DD) and where it came from: trafilatura's metadata, else htmldate's search
    ('' when neither finds one).

    htmldate's search of the whole text also reads a bare year ('© 2024') as 1 January: its answer is only
    taken when the page writes that day out, so no day is ever invented.
    """
    if found:
        return found[:10], "page metadata"
    from htmldate import find_date  # trafilatura's own search is the quick one; this one reads the whole page

    searched = find_date(html, url=url or None, original_date=True, extensive_search=True)
    if searched and is_written(datetime.date.fromisoformat(searched[:10]), html + " " + url):
        return searched[:10], "found in the page's text"
    return "", ""  # the writer refuses it, unless --date gives one


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")


def is_written(day: datetime.date, text: str) -> bool:
    """Tell whether `text` writes out this day: as numbers (2011-06-26, 26/06/2011, 2011/06/26) or in English words."""
    y, m, d, month = day.year, day.month, day.day, _MONTH_NAMES[day.month - 1]
    forms = (rf"{y}-0?{m}-0?{d}", rf"0?{d}[/.]0?{m}[/.]{y}", rf"0?{m}/0?{d}/{y}", rf"{y}/0?{m}/0?{d}",
             rf"0?{d}(?:st|nd|rd|th)? {month[:3]}\w*\.?,? {y}", rf"{month[:3]}\w*\.? 0?{d}(?:st|nd|rd|th)?,? {y}")
    return re.search(r"(?<!\d)(?:" + "|".join(forms) + r")(?!\d)", text, re.IGNORECASE) is not None


def page_byline(found, url: str) -> Source | None:
    """Return author, publication (the site's name) and canonical address; None when the page gives none."""
    author = clean((found.author or "").replace(";", ","))
    source = Source(publication=clean(found.sitename or ""), author=author, url=url)
    return source if source != Source() else None


# --- the body ------------------------------------------------------------------------------


def body_blocks(body, title: str) -> tuple[Block, ...]:
    """Return the blocks of trafilatura's body tree, without a first heading that repeats the title."""
    blocks: list[Block] = []
    for element in body:
        blocks.extend(element_blocks(element))
    blocks = [block for block in blocks if clean(block.text)]
    if blocks and blocks[0].kind.startswith("h") and same_text(blocks[0].text, title):
        blocks = blocks[1:]
    return tuple(blocks)


def same_text(one: str, other: str) -> bool:
    """Tell whether two texts read the same, ignoring case and spacing."""
    return clean(one).casefold() == clean(other).casefold()


def element_blocks(element) -> list[Block]:
    """Return the blocks one element of the body gives: a list gives one per item, a table one per row."""
    tag = element.tag
    if tag == "head":
        rend = element.get("rend") or ""
        level = max(2, int(rend[1])) if re.fullmatch(r"h[1-6]", rend) else 2  # the page's own h1 is the title
        return [Block(f"h{level}", inline_segments(element))]
    if tag == "list":
        kind = "ol" if element.get("rend") == "ol" else "ul"
        return [block for item in element.iter("item") for block in [Block(kind, inline_segments(item))]]
    if tag == "quote":
        inner = [block for child in element if child.tag in _BLOCK_TAGS for block in element_blocks(child)]
        own = Block("quote", inline_segments(element, skip_children=True))
        return [Block("quote", block.segments) for block in [own, *inner]]
    if tag == "table":
        return [Block("p", row_segments(row)) for row in element.iter("row")]
    return [Block("p", inline_segments(element))]


def row_segments(row) -> tuple[Segment, ...]:
    """Return a table row as one line, its cells separated by ' | '."""
    segments: list[Segment] = []
    for number, cell in enumerate(row.iter("cell")):
        if number:
            segments.append(Segment(" | "))
        segments.extend(inline_segments(cell))
    return tuple(segments)


def inline_segments(element, skip_children: bool = False) -> tuple[Segment, ...]:
    """Return the text and links inside an element, in order; nested lists and block children are left to their own blocks."""
    segments = [Segment(element.text or "")]
    for child in element:
        if child.tag in _BLOCK_TAGS and (skip_children or element.tag == "item"):
            segments.append(Segment(child.tail or ""))
            continue
        if child.tag == "ref":
            segments.append(Segment("".join(child.itertext()), (child.get("target") or "").strip()))
        elif child.tag == "lb":
            segments.append(Segment(" "))
        else:
            segments.extend(inline_segments(child))
        segments.append(Segment(child.tail or ""))
    return squeeze(segments)


def squeeze(segments: list[Segment]) -> tuple[Segment, ...]:
    """Return segments with white space made single spaces, trimmed at both ends, empty ones dropped."""
    result: list[Segment] = []
    for segment in segments:
        text = _SPACE.sub(" ", CONTROL.sub("", segment.text))
        if result and result[-1].text.endswith(" "):
            text = text.lstrip(" ")
        if text:
            result.append(Segment(text, segment.href))
    if result:
        result[0] = Segment(result[0].text.lstrip(" "), result[0].href)
        result[-1] = Segment(result[-1].text.rstrip(" "), result[-1].href)
    return tuple(segment for segment in result if segment.text)


def link_texts(html: str) -> dict[str, tuple[str, ...]]:
    """Return the texts of the page's links (a list page's teasers are all links), by their first LINK_KEY characters."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.document_fromstring(html)
    except (ValueError, SyntaxError):  # lxml's ParserError is a ValueError; an empty document raises one too
        return {}
    texts = {clean(anchor.text_content()) for anchor in tree.iter("a")}
    by_start: dict[str, list[str]] = {}
    # Menu words ("News", "World") are left alone: taken out, they would also be taken out of the article's words.
    for text in sorted((text for text in texts if len(text) >= LINK_KEY), key=len, reverse=True):
        by_start.setdefault(text[:LINK_KEY], []).append(text)
    return {key: tuple(texts) for key, texts in by_start.items()}


_WORD_START = re.compile(r"(?<!\S)\S")


def article_chars(blocks: tuple[Block, ...], links: dict[str, tuple[str, ...]]) -> int:
    """Count the letters of running text (paragraphs and quotes) that are not the text of a link on the page."""
    total = 0
    for block in blocks:
        if block.kind in ("p", "quote"):
            text = clean(block.text)
            total += len(text.replace(" ", "")) - link_chars(text, links)
    return total


def link_chars(text: str, links: dict[str, tuple[str, ...]]) -> int:
    """Count the letters of `text` that are the text of a link, looking only where words start (linear in `text`)."""
    covered, after = 0, 0
    for found in _WORD_START.finditer(text):
        start = found.start()
        if start < after:
            continue
        link = next((link for link in links.get(text[start:start + LINK_KEY], ()) if text.startswith(link, start)), "")
        covered, after = covered + len(link.replace(" ", "")), start + len(link)
    return covered


def dropped_links(block: Block) -> list[str]:
    """Return the link targets of a block that are not absolute http(s) addresses."""
    return [segment.href for segment in block.segments
            if segment.href and not is_web_address(segment.href) and segment.text.strip()]


def keep_links(block: Block) -> Block:
    """Return the block with every link that is not an absolute http(s) address turned into plain text."""
    return Block(block.kind, tuple(segment if is_web_address(segment.href) else Segment(segment.text)
                                   for segment in block.segments))


# --- Markdown ------------------------------------------------------------------------------

_PREFIX = {"ul": "- ", "ol": "1. ", "quote": "> "}


def blocks_markdown(blocks: tuple[Block, ...]) -> str:
    """Return the body as Markdown: lists kept together, every other block separated by a blank line."""
    parts: list[str] = []
    for number, block in enumerate(blocks):
        line = block_markdown(block)
        if number and not (block.kind in ("ul", "ol") and blocks[number - 1].kind == block.kind):
            parts.append("\n" if block.kind != "quote" or blocks[number - 1].kind != "quote" else ">\n")
        parts.append(line + "\n")
    return "".join(parts)


def block_markdown(block: Block) -> str:
    """Return one block as one line of Markdown that displays exactly its text and links."""
    if block.kind.startswith("h"):
        return "#" * int(block.kind[1]) + " " + inline_markdown(block.segments, heading=True)
    return _PREFIX.get(block.kind, "") + inline_markdown(block.segments)


def inline_markdown(segments: tuple[Segment, ...], heading: bool = False) -> str:
    """Return text and links as Markdown; the first segment is escaped as the start of a paragraph."""
    parts = []
    for number, segment in enumerate(segments):
        if segment.href:
            parts.append(f"[{escape_inline(segment.text, heading)}]({link_target(segment.href)})")
        elif number == 0 and not heading:
            parts.append(escape_start(segment.text))
        else:
            parts.append(escape_inline(segment.text, heading))
        if not segment.href and number + 1 < len(segments) and segments[number + 1].href and parts[-1].endswith("!"):
            parts[-1] = parts[-1][:-1] + "\\!"  # '!' before '[' would make the link an image
    return "".join(parts)


def escape_start(text: str) -> str:
    """Return Markdown displaying `text` at the start of a paragraph (block markers escaped), its last space kept."""
    return escape_paragraph(text).replace("<", "&lt;") + " " * text.endswith(" ")


def escape_inline(text: str, heading: bool = False) -> str:
    """Return Markdown displaying exactly `text` inside a line: every '<' escaped, as a link may follow it.

    In a heading every '#' is escaped too, as trailing ones would be read as closing the heading.
    """
    escaped = _INLINE.sub(escape_character, text).replace("<", "&lt;")
    return escaped.replace("#", "\\#") if heading else escaped


def link_target(href: str) -> str:
    """Return an address as a Markdown link target: characters Markdown reads (space, brackets, quotes) percent-encoded."""
    return urllib.parse.quote(href, safe="!#$%&'*+,-./:;=?@~_")


# An escaped character, or a link: `[` and `]` only ever appear unescaped in the links blocks_markdown writes.
_LINK = re.compile(r"\\.|\[((?:\\.|[^\]\\])*)\]\([^)\s]*\)")
_MARKER = re.compile(r"(?:#{2,6} |- |1\. |> ?)")


def markdown_paragraphs(body: str) -> tuple[str, ...]:
    """Return the plain text of each block of a body written by blocks_markdown: its inverse, as extraction reads it."""
    paragraphs = []
    for line in body.split("\n"):
        text = _LINK.sub(lambda found: found.group() if found.group(1) is None else found.group(1), _MARKER.sub("", line, count=1) if _MARKER.match(line) else line)
        text = unescape_paragraph(text.strip())
        if text:
            paragraphs.append(text)
    return tuple(paragraphs)
