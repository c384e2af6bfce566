"""Takes the Markdown body of a content file and gives safe HTML, its element ids, its links and what was removed."""
from __future__ import annotations

import contextlib
import functools
import html
import posixpath
import re
import signal
import threading
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Mapping
from urllib.parse import unquote, urlsplit

import markdown
import nh3
from markdown.treeprocessors import InlineProcessor, Treeprocessor
from markdown.util import AtomicString

from .model import Link

EXTENSIONS = ("tables", "fenced_code", "footnotes", "sane_lists", "toc")
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "cite", "poster", "data"})
ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
})
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title", "lang", "dir"},
    "a": {"href", "class"}, "img": {"src", "alt", "width", "height"}, "abbr": {"title"},
    "code": {"class"}, "div": {"class"}, "li": {"class"}, "sup": {"class"}, "hr": {"class"},
    "ol": {"start"}, "td": {"style", "colspan", "rowspan"}, "th": {"style", "colspan", "rowspan", "scope"},
    "q": {"cite"}, "blockquote": {"cite"},
}
# Elements removed together with their content: their text is code or markup, never prose.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "select", "math", "svg"})


@dataclass(frozen=True)
class Removal:
    """Something the sanitiser took out, and a piece of source text that locates it."""

    what: str
    needle: str


@dataclass(frozen=True)
class Rendered:
    """The safe HTML of a body, with the facts link checking needs."""

    html: str
    ids: frozenset[str]
    links: tuple[Link, ...]
    removals: tuple[Removal, ...]
    lookups: tuple[tuple[str, str], ...] = ()  # each .md link's content path and the page it gave ('' if none)
    unlabelled: tuple[str, ...] = ()  # the src of each image with no text alternative


class RenderTimeout(Exception):
    """Rendering one body took longer than RENDER_SECONDS (Python-Markdown is quadratic on some inputs)."""


RENDER_SECONDS = 10.0


def render_markdown(text: str, source_path: str, output_path: str,
                    pages: Mapping[str, str], sanitize: bool = True) -> Rendered:
    """Render `text`; `pages` maps content source paths to output paths, for `.md` links.

    Raises RenderTimeout when rendering takes more than RENDER_SECONDS.
    """
    converter = _converter()
    collector = converter.treeprocessors["broadside_links"]
    collector.start(source_path, output_path, pages)
    try:
        with time_limit(RENDER_SECONDS):
            body = converter.reset().convert(text)
    finally:
        links, ids, lookups, unlabelled, unsafe = collector.finish()
    if "<" in text:  # raw HTML: only parsing the result shows what the sanitiser will take out
        inspector = inspect_html(body)
        removals, unlabelled = inspector.removals, [*unlabelled, *inspector.unlabelled]
    else:  # Markdown alone makes only allowed elements: its links and images are all there is to check
        removals = tuple(dict.fromkeys(unsafe))
    if sanitize:
        body = _cleaner().clean(body)
    return Rendered(body, frozenset(ids), tuple(links), removals if sanitize else (), tuple(sorted(lookups.items())),
                    tuple(unlabelled))


def opens_with(body_html: str, summary: str) -> bool:
    """True when the body's first paragraph says `summary` (imported briefings): the page then shows it once."""
    first = FIRST_PARAGRAPH.match(body_html)
    return bool(first) and html.unescape(TAG.sub("", first[1])).split() == summary.split()


FIRST_PARAGRAPH = re.compile(r"\s*<p>(.*?)</p>", re.DOTALL)
TAG = re.compile(r"<[^>]+>")


@contextlib.contextmanager
def time_limit(seconds: float):
    """Interrupt the block after `seconds` with RenderTimeout (main thread only; elsewhere, no limit)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise RenderTimeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@functools.cache
def _converter() -> markdown.Markdown:
    """One Markdown converter per process: building one costs more than a short body."""
    return markdown.Markdown(extensions=[*EXTENSIONS, _LinkExtension(), _QuickInlineExtension(), _QuickBlocksExtension()],
                             output_format="html")


@functools.cache
def _cleaner() -> nh3.Cleaner:
    """One sanitiser per process, with Broadside's allow-list."""
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS), clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(SAFE_SCHEMES), link_rel=None, strip_comments=True,
        filter_style_properties={"text-align"},
    )


class _LinkExtension(markdown.Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - Python-Markdown's name
        # Priority 1: after the toc extension (5) has given headings their ids.
        md.treeprocessors.register(_LinkCollector(md), "broadside_links", 1)


# Text that each of Python-Markdown's inline patterns cannot match without: a pattern is tried on a piece of
# text only when one of its needles is in it. Patterns not named here are always tried.
NEEDLES = {
    "backtick": ("`",), "escape": ("\\",), "footnote": ("[^",), "reference": ("[",), "link": ("[",),
    "short_reference": ("[",), "image_link": ("![",), "image_reference": ("![",), "short_image_ref": ("![",),
    "autolink": ("<",), "automail": ("@",), "linebreak": ("  \n",), "html": ("<",), "entity": ("&",),
    "em_strong": ("*", "_"),
}
# The inline step's inner loop is a private method, so the quick one is used only where it exists.
QUICK_INLINE = all(hasattr(InlineProcessor, name) for name in ("_InlineProcessor__handleInline", "_InlineProcessor__applyPattern"))


class _QuickInlineExtension(markdown.Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - Python-Markdown's name
        if QUICK_INLINE:
            md.treeprocessors.register(_QuickInline(md), "inline", 20)  # the name and priority of the step it replaces


# What a block must hold for each of Python-Markdown's block steps to take it, by the step's name: a heading's '#', a
# setext heading's line of '=' or '-', a rule's three '-', '_' or '*', a quotation's '>', a footnote's '[^', a link
# reference's ']:', a table's '|'. Their patterns cannot match a block without it.
BLOCK_NEEDS = {
    "hashheader": lambda block: "#" in block,
    "setextheader": lambda block: "\n=" in block or "\n-" in block,
    "hr": lambda block: block.count("-") > 2 or block.count("_") > 2 or block.count("*") > 2,
    "quote": lambda block: ">" in block,
    "footnote": lambda block: "[^" in block,
    "reference": lambda block: "]:" in block,
    "table": lambda block: "|" in block,
}


class _QuickBlocksExtension(markdown.Extension):
    """Python-Markdown's block steps with the same output, each passing at once over a block it cannot take.

    Every block (a paragraph, mostly) was searched with the patterns of headings, rules, quotations, footnotes, link
    references and tables in turn before it fell to the paragraph step: 3-4 % of a cold build's CPU.
    """

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - Python-Markdown's name
        steps = md.parser.blockprocessors
        for name, can_take in BLOCK_NEEDS.items():
            if name in steps:  # the same object stays in its place: only its test is asked first whether to bother
                step = steps[name]
                step.test = functools.partial(_test_if, can_take, step.test)


def _test_if(can_take, test, parent, block: str) -> bool:
    """`test(parent, block)`, when `can_take(block)`; False at once otherwise."""
    return can_take(block) and test(parent, block)


class _QuickInline(InlineProcessor):
    """Python-Markdown's inline step with the same output, skipping patterns whose needles a piece of text lacks.

    Trying all fifteen patterns on every piece of text was a third of the time a briefing took to convert,
    and most pieces of prose hold none of the characters that start a link, emphasis or code.
    """

    def run(self, tree, ancestors=None):
        """Note the patterns in order, each with its needles, for this document; then run the step as usual."""
        needles = {id(self.inlinePatterns[name]): found for name, found in NEEDLES.items() if name in self.inlinePatterns}
        self.tried = [(pattern, needles.get(id(pattern), ())) for pattern in self.inlinePatterns]
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802,N803 - the name it replaces
        """Apply the patterns from `patternIndex` on, as the method this replaces does, to those with a needle in `data`."""
        if isinstance(data, AtomicString):
            return data
        start = 0
        while patternIndex < len(self.tried):
            pattern, needles = self.tried[patternIndex]
            if needles and not any(needle in data for needle in needles):
                matched, start = False, 0  # what trying it would have given: no match, and the next pattern starts at 0
            else:
                data, matched, start = self._InlineProcessor__applyPattern(pattern, data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


class _LinkCollector(Treeprocessor):
    """Rewrites links to `.md` files into links to their pages and records every link and id."""

    def start(self, source_path: str, output_path: str, pages: Mapping[str, str]) -> None:
        """Prepare for one document."""
        self.source_dir = posixpath.dirname(source_path)
        self.page_dir = posixpath.dirname(output_path)
        self.pages = pages
        self.links: list[Link] = []
        self.ids: set[str] = set()
        self.lookups: dict[str, str] = {}
        self.unlabelled: list[str] = []
        self.unsafe: list[Removal] = []

    def finish(self) -> tuple[list[Link], set[str], dict[str, str], list[str], list[Removal]]:
        """Return what one document held."""
        return self.links, self.ids, self.lookups, self.unlabelled, self.unsafe

    def run(self, root) -> None:
        for element in root.iter():
            if element.get("id"):
                self.ids.add(element.get("id"))
            attribute = {"a": "href", "img": "src"}.get(element.tag)
            if attribute and element.get(attribute) is not None:
                element.set(attribute, self.follow(element.get(attribute)))
                scheme = url_scheme(html.unescape(element.get(attribute)))  # "jav&#x09;ascript:" is javascript:
                if scheme not in SAFE_SCHEMES | {""}:
                    self.unsafe.append(Removal(f"{scheme}: URL in <{element.tag} {attribute}>", element.get(attribute)[:16]))
            if element.tag == "img" and not (element.get("alt") or "").strip():
                self.unlabelled.append(element.get("src") or "")

    def follow(self, written: str) -> str:
        """Record one link; return the href to write (a page link for a `.md` link)."""
        unescaped = html.unescape(written)
        parts = urlsplit(unescaped)
        if url_scheme(unescaped) or parts.netloc or unescaped.startswith("/"):
            self.links.append(Link(written, "", ""))
            return written
        path = unquote(parts.path)
        if not path:
            self.links.append(Link(written, posixpath.join(self.page_dir, "index.html"), parts.fragment))
            return written
        if path.endswith(".md"):
            source = posixpath.normpath(posixpath.join(self.source_dir, path))
            page = self.pages.get(source)
            self.lookups[source] = page or ""
            self.links.append(Link(written, page or source, parts.fragment))
            if page:
                href = posixpath.relpath(page, self.page_dir)
                return href + ("#" + parts.fragment if parts.fragment else "")
            return written
        target = posixpath.normpath(posixpath.join(self.page_dir, path))
        self.links.append(Link(written, target, parts.fragment))
        return written


def inspect_html(body: str) -> _Inspector:
    """Find what the sanitiser will take out of the HTML `body`, and raw images with no alt, so the author can be told."""
    inspector = _Inspector()
    inspector.feed(body)
    inspector.close()
    inspector.removals = tuple(dict.fromkeys(inspector.removals))
    return inspector


def url_scheme(value: str) -> str:
    """Return the scheme of a URL as a browser would see it ('' for relative URLs)."""
    # Browsers ignore tabs, newlines and leading control characters inside URLs.
    cleaned = re.sub(r"[\x00-\x20]", "", value)
    found = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", cleaned)
    return found[1].lower() if found else ""


class _Inspector(HTMLParser):
    """Walks raw HTML and notes each element, attribute and URL outside the allow-list."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.removals: list[Removal] = []
        self.unlabelled: list[str] = []

    def raw_value(self, name: str) -> str:
        """The attribute's value as written (entities and all), which is what the source file holds."""
        found = re.search(rf"""\s{name}\s*=\s*("[^"]*"|'[^']*'|[^\s>]*)""", self.get_starttag_text() or "", re.IGNORECASE)
        return found[1].strip("\"'") if found else name

    def handle_starttag(self, tag, attrs):
        if tag == "img" and "alt" not in dict(attrs):
            self.unlabelled.append(dict(attrs).get("src") or "")
        if tag not in ALLOWED_TAGS:
            self.removals.append(Removal(f"<{tag}> element", f"<{tag}"))
            return
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ALLOWED_ATTRIBUTES["*"]
        for name, value in attrs:
            if name not in allowed:
                self.removals.append(Removal(f"'{name}' attribute on <{tag}>", name))
            elif name in URL_ATTRIBUTES and value and url_scheme(value) not in SAFE_SCHEMES | {""}:
                self.removals.append(Removal(f"{url_scheme(value)}: URL in <{tag} {name}>", self.raw_value(name)[:16]))
            elif name == "style" and not re.fullmatch(r"\s*text-align:\s*\w+;?\s*", value or ""):
                self.removals.append(Removal(f"style on <{tag}> (only text-align is kept)", "style"))
