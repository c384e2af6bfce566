"""Tests for svg.py: an SVG logo is re-written from an allow-list, and anything that could run code or load
another file is refused at its line."""
from __future__ import annotations

import pytest

from broadside.svg import MAX_SVG_BYTES, sanitise_svg

SVG_OPEN = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 80 40">'


def problems_of(body: str) -> list[str]:
    """The problems found in an SVG whose <svg> element (line 1) holds `body` (from line 2 on)."""
    return [str(problem) for problem in sanitise_svg(f"{SVG_OPEN}\n{body}\n</svg>\n".encode(), "logo.svg").problems]


def test_a_drawing_program_export_keeps_its_drawing_and_loses_its_notes():
    data = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Generator: a drawing program -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="120" height="48" viewBox="0 0 80 32" inkscape:version="1.3">
  <metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>
  <inkscape:grid/>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#000"/></linearGradient></defs>
  <style>.a { fill: url(#g) }</style>
  <title>Us &amp; them</title>
  <rect class="a" width="10" height="10" fill="url(#g)"/><use xlink:href="#g" xlink:title="x"/>
</svg>""".encode()
    clean = sanitise_svg(data, "logo.svg")
    text = clean.data.decode()
    assert clean.problems == () and (clean.width, clean.height) == (120, 48)
    assert '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="48" viewBox="0 0 80 32">' in text
    assert '<use href="#g"/>' in text and "<title>Us &amp; them</title>" in text and ".a { fill: url(#g) }" in text
    assert "inkscape" not in text and "metadata" not in text and "Generator" not in text and "xlink" not in text


@pytest.mark.parametrize(("body", "expected"), [
    ("<script>alert(1)</script>", "logo.svg:2: a script (<script>) is not allowed in a logo (remove it: a logo is a still picture)"),
    ('<rect width="1" height="1" onclick="alert(1)"/>',
     "logo.svg:2: the event attribute 'onclick' is not allowed in a logo (remove it: a logo runs no code)"),
    ('<image href="https://evil.example/x.png" width="1" height="1"/>',
     "logo.svg:2: the reference 'https://evil.example/x.png' points outside the file (a logo may refer only to its own parts, as #id)"),
    ('<use xlink:href="other.svg#a"/>',
     "logo.svg:2: the reference 'other.svg#a' points outside the file (a logo may refer only to its own parts, as #id)"),
    ('<a href="javascript:alert(1)"><rect width="1" height="1"/></a>',
     "logo.svg:2: a link (<a>) is not allowed in a logo (remove it: a logo is a still picture)"),
    ('<set attributeName="href" to="javascript:alert(1)"/>',
     "logo.svg:2: an animation (<set>) is not allowed in a logo (remove it: a logo is a still picture)"),
    ('<foreignObject><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject>',
     "logo.svg:2: embedded HTML (<foreignObject>) is not allowed in a logo (remove it: a logo is a still picture)"),
    ('<rect width="1" height="1" style="fill: url(https://evil.example/track)"/>',
     "logo.svg:2: the attribute 'style' refers outside the file (use url(#id) only)"),
    ('<style>@import "https://evil.example/x.css";</style>',
     "logo.svg:2: a style in the file refers outside it (use url(#id) only, and no @import)"),
    ('<rect width="1" height="1" filter="url(https://evil.example/f.svg#f)"/>',
     "logo.svg:2: the attribute 'filter' refers outside the file (use url(#id) only)"),
])
def test_anything_that_runs_code_or_loads_another_file_is_refused_at_its_line(body, expected):
    assert problems_of(body) == [expected]


def test_an_onload_on_the_svg_element_itself_is_refused():
    data = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8" onload="alert(1)"><rect width="8" height="8"/></svg>'
    assert [str(p) for p in sanitise_svg(data, "logo.svg").problems] == [
        "logo.svg:1: the event attribute 'onload' is not allowed in a logo (remove it: a logo runs no code)"]


def test_every_problem_of_a_file_is_reported_at_once():
    assert len(problems_of('<script/>\n<rect onload="x" width="1" height="1"/>\n<use href="http://x.example/a"/>')) == 3


def test_a_doctype_is_refused_before_any_entity_is_expanded():
    bomb = (b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
            b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><text>&b;</text></svg>')
    assert [str(p) for p in sanitise_svg(bomb, "logo.svg").problems] == [
        "logo.svg:2: a DOCTYPE is not allowed in a logo (remove the <!DOCTYPE ...> line)"]
    external = b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>'
    assert "DOCTYPE" in str(sanitise_svg(external, "logo.svg").problems[0])


@pytest.mark.parametrize(("data", "expected"), [
    (b"<svg><rect/></svg>", 'logo.svg:1: the file is not an SVG image (its first element must be <svg xmlns="http://www.w3.org/2000/svg">)'),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><rect/>', "logo.svg:1:"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "logo.svg:1: the image has no size"),
    (b"\x89PNG\r\n\x1a\n", "logo.svg:1:"),
])
def test_a_file_that_is_not_a_whole_svg_image_is_refused(data, expected):
    assert str(sanitise_svg(data, "logo.svg").problems[0]).startswith(expected)


def test_a_file_over_the_limit_is_refused_unparsed():
    problem = sanitise_svg(b" " * (MAX_SVG_BYTES + 1), "logo.svg").problems[0]
    assert str(problem).startswith("logo.svg:1: the file is 0.5 MB; limit 512 KB")


def test_an_embedded_bitmap_is_kept_but_not_an_embedded_document():
    bitmap = '<image width="1" height="1" href="data:image/png;base64,iVBORw0KGgo="/>'
    assert problems_of(bitmap) == []
    assert problems_of('<image width="1" height="1" href="data:image/svg+xml;base64,PHN2Zz4="/>')[0].startswith(
        "logo.svg:2: the reference 'data:image/svg+xml")
