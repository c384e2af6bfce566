"""Takes the bytes of an SVG image and gives them re-written from an allow-list of elements and attributes (no
scripts, event handlers or references outside the file), with the image's size, or each problem at its line."""
from __future__ import annotations

import io
import re
import xml.sax
import xml.sax.handler
import xml.sax.xmlreader
from dataclasses import dataclass, field
from xml.sax.saxutils import XMLGenerator

from .errors import ContentError

MAX_SVG_BYTES = 512 * 1024
MAX_DEPTH = 64
SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
# What logos drawn by hand or exported from drawing programs are made of.
ELEMENTS = frozenset({
    "svg", "g", "defs", "title", "desc", "symbol", "use", "path", "rect", "circle", "ellipse", "line", "polyline",
    "polygon", "text", "tspan", "textPath", "linearGradient", "radialGradient", "stop", "clipPath", "mask", "pattern",
    "marker", "image", "style", "filter", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite",
    "feDropShadow", "feFlood", "feFuncA", "feFuncB", "feFuncG", "feFuncR", "feGaussianBlur", "feMerge", "feMergeNode",
    "feMorphology", "feOffset",
})
# Left out with what they hold, without a word: what drawing programs add about themselves.
DROPPED = frozenset({"metadata"})
# Elements that can run code, load other documents or change attributes over time: refused with a reason.
REFUSED = {
    "script": "a script", "foreignObject": "embedded HTML", "a": "a link",
    "animate": "an animation", "set": "an animation", "animateMotion": "an animation",
    "animateTransform": "an animation", "iframe": "an embedded page", "handler": "a script", "listener": "a script",
}
DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+$")
OUTSIDE_URL = re.compile(r"url\(\s*(?!['\"]?#)", re.IGNORECASE)
UNSAFE_STYLE = re.compile(r"@import|expression\s*\(|javascript:|behavior\s*:|-moz-binding", re.IGNORECASE)
LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")


@dataclass(frozen=True)
class CleanSvg:
    """A sanitised SVG: its bytes and size in CSS pixels, or the problems found (then `data` is empty)."""

    data: bytes
    width: int
    height: int
    problems: tuple[ContentError, ...] = ()


class _Refused(Exception):
    """Stops parsing: the rest of the file cannot be read safely (a DTD can declare entities)."""


@dataclass
class _Cleaner(xml.sax.handler.ContentHandler):
    """Writes the allowed elements and attributes it is given through a serializer; notes every problem."""

    rel: str
    out: io.BytesIO = field(default_factory=io.BytesIO)
    problems: list[ContentError] = field(default_factory=list)
    depth: int = 0
    skipping: int = 0  # how deep inside an element left out, 0 when not
    size: tuple[str, str, str] | None = None  # the root's width, height and viewBox
    locator: object = None

    def __post_init__(self):
        super().__init__()
        self.writer = XMLGenerator(self.out, encoding="utf-8", short_empty_elements=True)
        self.in_style, self.style = False, ""

    def setDocumentLocator(self, locator):  # noqa: N802 - SAX's name
        self.locator = locator

    def line(self) -> int:
        return self.locator.getLineNumber() if self.locator else 1

    def problem(self, message: str, hint: str) -> None:
        self.problems.append(ContentError(self.rel, self.line(), message, hint))

    def startDocument(self):  # noqa: N802
        self.writer.startDocument()

    def endDocument(self):  # noqa: N802
        self.writer.endDocument()

    def startElementNS(self, name, qname, attributes):  # noqa: N802
        space, local = name
        self.depth += 1
        if self.skipping:
            self.skipping += 1
            return
        if self.depth == 1 and name != (SVG, "svg"):
            self.problem('the file is not an SVG image (its first element must be <svg xmlns="http://www.w3.org/2000/svg">)',
                         "export it from the drawing program as SVG")
            self.skipping = 1
            return
        if self.depth > MAX_DEPTH:
            raise _Refused(f"elements are nested more than {MAX_DEPTH} deep", "simplify the drawing")
        if space != SVG or local in DROPPED:
            if space in (None, "http://www.w3.org/1999/xhtml"):
                self.problem(f"<{local}> is not an SVG element", "remove it")
            self.skipping = 1  # otherwise a drawing program's own notes (inkscape:, sodipodi:, rdf:): left out
            return
        if local in REFUSED or local not in ELEMENTS:
            what = REFUSED.get(local, f"the element <{local}>")
            self.problem(f"{what} (<{local}>) is not allowed in a logo", "remove it: a logo is a still picture")
            self.skipping = 1
            return
        self.in_style = local == "style"
        kept = {}
        for (attr_space, attr), value in attributes.items():
            if self.check_attribute(local, attr_space, attr, value):
                # xlink:href is written as plain href (SVG 2, read by every current browser): one namespace less.
                kept[(None, attr) if attr_space == XLINK else (attr_space, attr)] = value
        if self.depth == 1:
            self.size = (attributes.get((None, "width"), ""), attributes.get((None, "height"), ""),
                         attributes.get((None, "viewBox"), ""))
            self.writer.startPrefixMapping(None, SVG)
        self.writer.startElementNS(name, qname, xml.sax.xmlreader.AttributesNSImpl(kept, {}))

    def check_attribute(self, element: str, space: str | None, name: str, value: str) -> bool:
        """True to keep the attribute; a dangerous one is noted as a problem (and left out)."""
        if space not in (None, XLINK, XML) or (space == XLINK and name != "href"):
            return False  # a drawing program's own notes (inkscape:, sodipodi:, ...), or xlink:title and the like
        if name.lower().startswith("on"):
            self.problem(f"the event attribute '{name}' is not allowed in a logo", "remove it: a logo runs no code")
            return False
        if name == "href":
            if value.strip().startswith("#") or (element == "image" and DATA_IMAGE.match(value)):
                return True
            shown = value if len(value) <= 60 else value[:57] + "..."
            self.problem(f"the reference '{shown}' points outside the file", "a logo may refer only to its own parts, as #id")
            return False
        if OUTSIDE_URL.search(value) or (name == "style" and UNSAFE_STYLE.search(value)):
            self.problem(f"the attribute '{name}' refers outside the file", "use url(#id) only")
            return False
        return True

    def endElementNS(self, name, qname):  # noqa: N802
        self.depth -= 1
        if self.skipping:
            self.skipping -= 1
            return
        if self.in_style:
            # A style is checked whole: the parser may hand its text over in pieces.
            if OUTSIDE_URL.search(self.style) or UNSAFE_STYLE.search(self.style):
                self.problem("a style in the file refers outside it", "use url(#id) only, and no @import")
            self.writer.characters(self.style)
            self.in_style, self.style = False, ""
        self.writer.endElementNS(name, qname)

    def characters(self, content):
        if self.skipping:
            return
        if self.in_style:
            self.style += content
        else:
            self.writer.characters(content)

    def ignorableWhitespace(self, content):  # noqa: N802
        self.characters(content)

    def processingInstruction(self, target, data):  # noqa: N802
        if "href" in data:
            self.problem(f"the processing instruction <?{target}?> loads another file", "remove it")

    def startPrefixMapping(self, prefix, uri):  # noqa: N802 - the root's own mappings are written by startElementNS
        pass

    def endPrefixMapping(self, prefix):  # noqa: N802
        pass


class _NoDoctype(xml.sax.handler.LexicalHandler if hasattr(xml.sax.handler, "LexicalHandler") else object):
    """Refuses a DOCTYPE: entities declared there are how XML bombs and file inclusions are made."""

    def startDTD(self, name, public_id, system_id):  # noqa: N802
        raise _Refused("a DOCTYPE is not allowed in a logo", "remove the <!DOCTYPE ...> line")

    def endDTD(self):  # noqa: N802
        pass

    def startCDATA(self):  # noqa: N802
        pass

    def endCDATA(self):  # noqa: N802
        pass

    def comment(self, content):
        pass


def sanitise_svg(data: bytes, rel: str) -> CleanSvg:
    """Parse and re-write an SVG from the allow-list; any script, event handler or outside reference is a problem."""
    if len(data) > MAX_SVG_BYTES:
        return CleanSvg(b"", 0, 0, (ContentError(rel, 1, f"the file is {len(data) / 1_048_576:.1f} MB; limit {MAX_SVG_BYTES // 1024} KB",
                                                 "simplify the drawing or save it as PNG"),))
    cleaner = _Cleaner(rel)
    parser = xml.sax.make_parser()
    parser.setFeature(xml.sax.handler.feature_namespaces, True)
    parser.setFeature(xml.sax.handler.feature_external_ges, False)
    parser.setFeature(xml.sax.handler.feature_external_pes, False)
    parser.setProperty(xml.sax.handler.property_lexical_handler, _NoDoctype())
    parser.setContentHandler(cleaner)
    try:
        parser.parse(io.BytesIO(data))
    except _Refused as refused:
        return CleanSvg(b"", 0, 0, (ContentError(rel, cleaner.line(), *refused.args),))
    except xml.sax.SAXParseException as error:
        return CleanSvg(b"", 0, 0, (ContentError(rel, error.getLineNumber(), f"not well-formed XML: {error.getMessage()}",
                                                 "export it again from the drawing program", error.getColumnNumber() + 1),))
    problems = list(cleaner.problems)
    width, height = image_size(cleaner.size)
    if not problems and not (width and height):
        problems.append(ContentError(rel, 1, "the image has no size", 'give its <svg> a viewBox, e.g. viewBox="0 0 120 40"'))
    if problems:
        return CleanSvg(b"", 0, 0, tuple(problems))
    return CleanSvg(cleaner.out.getvalue().rstrip() + b"\n", width, height)


def image_size(size: tuple[str, str, str] | None) -> tuple[int, int]:
    """The image's width and height in CSS pixels: from width and height in pixels, else from the viewBox."""
    if size is None:
        return 0, 0
    width, height, view_box = size
    if LENGTH.match(width) and LENGTH.match(height):
        return round(float(LENGTH.match(width)[1])), round(float(LENGTH.match(height)[1]))
    numbers = re.split(r"[\s,]+", view_box.strip())
    try:
        return (round(float(numbers[2])), round(float(numbers[3]))) if len(numbers) == 4 else (0, 0)
    except ValueError:
        return 0, 0
