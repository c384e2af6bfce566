"""Briefing packs and briefing PDFs, read back as a reader would: pypdf for structure and text, pdftoppm for looks."""
from __future__ import annotations

import builtins
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from broadside import packs
from broadside.errors import BuildFailed
from broadside.pipeline import BuildOptions, build_site
from tests.conftest import require_tool
from tests.helpers import make_project, render_in_memory, run_cli

PACK = """---
title: Plenary pack & more
date: 2021-11-08
summary: What we ask at the plenary.
briefings: [second]
issues: [beta]
---
A foreword for *delegates*.
"""
PACK_PDF = "packs/plenary/plenary.pdf"
# The fixture's briefings and quotations, as the pack must hold them (second listed first, then beta's, newest first).
TITLES = ["Second briefing", "Third briefing, same year", "First briefing: alpha & beta"]
QUOTES = ["Later, more was said.", "The scheme works as it is.", "We object to the agenda.",
          "We will publish the alpha figures & the beta ones.", "Nobody said who said this."]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The fixture site with one pack and briefing PDFs, built once."""
    project = make_project(tmp_path_factory.mktemp("packs"), files={"content/packs/plenary.md": PACK})
    with open(project / "site.toml", "a", encoding="utf-8") as config:
        config.write("briefing_pdfs = true\n")
    build_site(BuildOptions(project, jobs=2))
    return project


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces made single spaces."""
    return " ".join(text.split())


def outline_entries(outline, level: int = 1) -> list[tuple[int, str, object]]:
    """The PDF's bookmarks, depth first: (level, title, destination)."""
    found = []
    for item in outline:
        if isinstance(item, list):
            found += outline_entries(item, level + 1)
        else:
            found.append((level, item.title, item))
    return found


def test_the_pack_holds_every_briefing_title_and_quotation_as_text(built):
    reader = PdfReader(built / "output" / PACK_PDF)
    text = flat(" ".join(page.extract_text() for page in reader.pages))
    for wanted in [*TITLES, *QUOTES, "Plenary pack & more", "Fixture Watch", "A foreword for delegates.",
                   "Alpha campaign", "Publish the alpha figures.", "Status: Open", "Ada Speaker, Fixture Coalition spokesperson",
                   "https://news.example/first", "Ada Example, Correspondent — The Daily Fixture"]:
        assert wanted in text, wanted
    assert "Speaker not named" in text  # the quotation without a speaker says so rather than inventing one


def test_the_outline_matches_the_contents_and_leads_to_the_right_pages(built):
    reader = PdfReader(built / "output" / PACK_PDF)
    entries = outline_entries(reader.outline)
    assert [(level, title) for level, title, _ in entries] == [
        (1, "Issues in this pack"), (2, "Beta reform"), (2, "Alpha campaign"),  # named issues first, then the briefings'
        (1, "Briefings"), *[(2, title) for title in TITLES], (1, "Sources")]
    contents = flat(reader.pages[1].extract_text())
    assert contents.startswith("Contents") and "Plenary pack & more 2 / " in contents  # header and page number
    for level, title, destination in entries:
        page = reader.get_destination_page_number(destination)
        assert title in flat(reader.pages[page].extract_text())
        # The contents page gives the same page number (1-based) after the title and its dotted leader.
        assert re.search(re.escape(title) + r"[ .]*" + str(page + 1) + r"\b", contents), (title, contents)


def test_internal_links_resolve_to_pages_and_briefing_links_use_base_url(built):
    reader = PdfReader(built / "output" / PACK_PDF)
    named = reader.named_destinations
    internal, external = 0, set()
    for page in reader.pages:
        for annotation in page.get("/Annots", []):
            link = annotation.get_object()
            if "/Dest" in link:
                internal += 1
                assert reader.get_destination_page_number(named[link["/Dest"]]) in range(len(reader.pages))
            elif "/A" in link:
                external.add(link["/A"]["/URI"])
    assert internal >= 8  # every line of the contents
    assert "https://fixture.example/watch/briefings/second/index.html" in external
    assert "https://news.example/first" in external


def test_metadata_tags_page_numbers_and_embedded_fonts(built):
    reader = PdfReader(built / "output" / PACK_PDF)
    root = reader.trailer["/Root"]
    assert reader.metadata.title == "Plenary pack & more"
    assert root["/Lang"] == "en" and root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root
    assert reader.metadata["/CreationDate"].startswith("D:20211108")  # the pack's date, not the build's
    count = len(reader.pages)
    assert f"3 / {count}" in reader.pages[2].extract_text()
    assert "Plenary pack & more" in reader.pages[2].extract_text()  # the running header
    assert "1 / " not in reader.pages[0].extract_text()  # the cover has neither
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object()["/FontDescriptor"]
                assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]
                fonts.add(font["/BaseFont"])
    assert fonts
    width, height = (float(value) for value in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 by default
    page = (built / "output" / "packs/plenary/index.html").read_text(encoding="utf-8")
    assert f"{count} pages, " in page and 'href="plenary.pdf" download' in page


def test_the_cover_renders_with_its_title_in_place(built, tmp_path):
    require_tool(shutil.which("pdftoppm") is not None, "pdftoppm", "install the Debian package poppler-utils")
    subprocess.run(["pdftoppm", "-r", "30", "-f", "1", "-l", "3", "-png", str(built / "output" / PACK_PDF),
                    str(tmp_path / "page")], check=True, timeout=60)
    images = [Image.open(path).convert("L") for path in sorted(tmp_path.glob("page-*.png"))]
    assert len(images) == 3
    for image in images:
        assert image.getextrema()[0] < 100  # ink: not a blank page
    cover = images[0]
    rows = [y for y in range(cover.height) if min(cover.crop((0, y, cover.width, y + 1)).get_flattened_data()) < 128]
    assert rows and rows[0] > cover.height * 0.15  # nothing above the cover's block: no running header on it
    # The title (the largest type on the cover) is the darkest band, a third of the way down the page.
    dark = [y for y in rows if sum(1 for value in cover.crop((0, y, cover.width, y + 1)).get_flattened_data() if value < 80) > 8]
    assert cover.height * 0.2 < dark[0] < cover.height * 0.45


def test_two_builds_and_jobs_1_give_byte_identical_pdfs(built, tmp_path):
    again = tmp_path / "again"
    build_site(BuildOptions(built, output=again, jobs=1, use_cache=False))
    for path in (PACK_PDF, "briefings/second/second.pdf"):
        assert (again / path).read_bytes() == (built / "output" / path).read_bytes(), path


def test_briefing_pdfs_are_linked_from_their_pages(built):
    reader = PdfReader(built / "output" / "briefings/first/first.pdf")
    text = flat(" ".join(page.extract_text() for page in reader.pages))
    assert "First briefing: alpha & beta" in reader.pages[0].extract_text()  # on the first page, under the site's name
    assert "First briefing: alpha & beta" in text and QUOTES[3] in text
    assert reader.metadata.title == "First briefing: alpha & beta"
    page = (built / "output" / "briefings/first/index.html").read_text(encoding="utf-8")
    assert 'href="first.pdf" download>Download PDF</a>' in page
    issue = (built / "output" / "issues/beta/index.html").read_text(encoding="utf-8")
    assert 'href="../../packs/plenary/index.html">Plenary pack &amp; more</a>' in issue


def test_a_pdf_is_made_again_only_when_something_it_shows_changed(built, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(built, project)
    output = project / "output"

    def stamps() -> dict[str, int]:
        return {path: (output / path).stat().st_mtime_ns for path in (PACK_PDF, "briefings/first/first.pdf",
                                                                       "briefings/second/second.pdf")}
    before = stamps()
    briefing = project / "content/briefings/first.md"
    briefing.write_text(briefing.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    build_site(BuildOptions(project, jobs=2))  # laid out by the process started while the site was read
    after = stamps()
    build_site(BuildOptions(project, output=tmp_path / "alone", jobs=1, use_cache=False))
    for path in (PACK_PDF, "briefings/first/first.pdf"):
        assert (output / path).read_bytes() == (tmp_path / "alone" / path).read_bytes(), path
    assert after[PACK_PDF] != before[PACK_PDF] and after["briefings/first/first.pdf"] != before["briefings/first/first.pdf"]
    assert after["briefings/second/second.pdf"] == before["briefings/second/second.pdf"]
    assert "One more sentence." in flat(" ".join(p.extract_text() for p in PdfReader(output / PACK_PDF).pages))
    issue = project / "content/issues/alpha.md"  # second's issue: its title is on second's PDF, not on third's
    issue.write_text(issue.read_text(encoding="utf-8").replace("Alpha campaign", "Alpha drive"), encoding="utf-8")
    third = (output / "briefings/third/third.pdf").stat().st_mtime_ns
    build_site(BuildOptions(project, jobs=1))
    assert "Alpha drive" in flat(PdfReader(output / "briefings/second/second.pdf").pages[0].extract_text())
    assert (output / "briefings/third/third.pdf").stat().st_mtime_ns == third
    stylesheet = project / "themes/default/pdf/pack.css"
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8") + "\n.online { color: #333; }\n", encoding="utf-8")
    build_site(BuildOptions(project, jobs=1))
    assert stamps()["briefings/second/second.pdf"] != after["briefings/second/second.pdf"]


def test_letter_paper_and_relative_links_without_a_base_url(tmp_path):
    project = make_project(tmp_path, files={"content/packs/plenary.md": PACK.replace("issues: [beta]\n", "")})
    config = project / "site.toml"
    text = re.sub(r"base_url = .*\n", "", config.read_text(encoding="utf-8"))
    config.write_text(text + 'pack_paper = "letter"\n', encoding="utf-8")
    build_site(BuildOptions(project, jobs=1))
    reader = PdfReader(project / "output" / PACK_PDF)
    assert [round(float(value)) for value in reader.pages[0].mediabox[2:]] == [612, 792]
    links = {a.get_object()["/A"]["/URI"] for page in reader.pages for a in page.get("/Annots", [])
             if "/A" in a.get_object()}
    assert "../../briefings/second/index.html" in links
    assert not (project / "output/briefings/second/second.pdf").exists()  # briefing_pdfs is off by default


def test_the_command_line_makes_the_pdfs_and_a_build_with_nothing_changed_leaves_them(tmp_path):
    """build.py starts WeasyPrint before the rest of Broadside; a build with nothing to do stops it and is quick."""
    project = make_project(tmp_path, files={"content/packs/plenary.md": PACK})
    config = project / "site.toml"
    config.write_text(config.read_text(encoding="utf-8") + "briefing_pdfs = true\n", encoding="utf-8")
    first = run_cli(project, "--jobs", "2")
    assert first.returncode == 0, first.stderr
    pdfs = {path: path.read_bytes() for path in (project / "output").rglob("*.pdf")}
    assert len(pdfs) == 1 + len(list((project / "content/briefings").glob("*.md")))
    assert all(PdfReader(path).pages for path in pdfs)
    again = run_cli(project, "--jobs", "2")
    assert again.returncode == 0 and " 0 files written" in again.stdout, again.stdout + again.stderr
    assert {path: path.read_bytes() for path in (project / "output").rglob("*.pdf")} == pdfs


@pytest.mark.parametrize("front, line, message", [
    ("briefings: [second, secnd]\n", 4, "unknown briefing 'secnd' (did you mean 'second'?)"),
    ("briefings: [second]\nissue: [beta]\n", 5, "unknown key 'issue' (did you mean 'issues'?)"),
    ("issues: [beta]\nsince: 2030-01-01\n", 4, "the pack holds no briefings"),
    ("summary: nothing chosen\n", 5, "the pack holds no briefings"),
    ("briefings: [second]\nuntil: 2021-13-01\n", 5, "invalid date '2021-13-01'"),
])
def test_mistakes_in_a_pack_are_reported_at_their_line(tmp_path, front, line, message):
    text = f"---\ntitle: Pack\ndate: 2021-11-08\n{front}---\nForeword.\n"
    project = make_project(tmp_path, files={"content/packs/pack.md": text})
    result = run_cli(project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert re.search(rf"^content/packs/pack\.md:{line}(:\d+)?: {re.escape(message)}", result.stderr, re.M), result.stderr
    assert not (project / "output").exists()


def test_a_held_back_briefing_is_left_out_with_a_warning(tmp_path):
    draft = "---\ntitle: Draft one\ndate: 2021-01-01\ndraft: true\n---\nNot yet.\n"
    project = make_project(tmp_path, files={"content/briefings/draft-one.md": draft,
                                            "content/packs/pack.md": PACK.replace("[second]", "[draft-one, second]")})
    rendered = render_in_memory(BuildOptions(project, jobs=1, pdfs=False))
    assert "content/packs/pack.md:5: warning: briefing 'draft-one' is held back" in "\n".join(map(str, rendered.warnings))
    assert rendered.site.packs[0].chosen == ("second", "third", "first")


@pytest.mark.parametrize("jobs", [1, 2])  # 2: WeasyPrint fails to load in the process started early, and says so
def test_a_missing_system_library_names_the_package_to_install(tmp_path, monkeypatch, jobs):
    project = make_project(tmp_path, files={"content/packs/pack.md": PACK})
    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpangoft2-1.0-0': libpangoft2-1.0-0: cannot open shared object file")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_pango)
    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    with pytest.raises(BuildFailed) as failure:
        build_site(BuildOptions(project, jobs=jobs))
    assert str(failure.value.errors[0]) == (
        "content/packs/pack.md: making PDFs needs the system library libpangoft2-1.0-0, which is missing "
        "(install the Debian package libpangoft2-1.0-0: sudo apt-get install libpangoft2-1.0-0)")
    assert not (project / "output").exists()
    (project / "content/packs/pack.md").unlink()
    build_site(BuildOptions(project, jobs=1))  # a site without PDFs never imports WeasyPrint
    assert (project / "output/index.html").is_file()


def test_the_preview_shows_packs_as_html_and_makes_a_pdf_on_request(tmp_path):
    project = make_project(tmp_path, files={"content/packs/plenary.md": PACK})
    rendered = render_in_memory(BuildOptions(project, jobs=1, pdfs=False))
    assert "packs/plenary/plenary.html" in rendered.files and PACK_PDF not in rendered.files
    page = rendered.files["packs/plenary/index.html"].decode()
    assert 'href="plenary.pdf">Make and open the PDF</a>' in page
    data = packs.preview_pdf(rendered.site, project / "themes/default", PACK_PDF)
    assert data.startswith(b"%PDF-") and packs.preview_pdf(rendered.site, project / "themes/default", "packs/x/x.pdf") is None


def test_a_huge_pack_is_refused_with_the_limit(tmp_path):
    files = {f"content/briefings/b{n}.md": f"---\ntitle: B {n}\ndate: 2021-01-01\nissues: [beta]\n---\nText.\n"
             for n in range(packs_limit() + 1)}
    files["content/packs/pack.md"] = "---\ntitle: Pack\ndate: 2021-11-08\nissues: [beta]\n---\n"
    project = make_project(tmp_path, files=files)
    with pytest.raises(BuildFailed) as failure:
        render_in_memory(BuildOptions(project, jobs=1, pdfs=False))
    assert f"content/packs/pack.md:4: the pack holds {packs_limit() + 3} briefings; the limit is {packs_limit()}" in str(failure.value)


def packs_limit() -> int:
    """The largest pack a build makes (README states it)."""
    from broadside.reader import MAX_PACK
    return MAX_PACK


def test_links_in_a_foreword_are_resolved_and_checked(tmp_path):
    foreword = PACK.replace("A foreword for *delegates*.", "See [the second](../briefings/second.md) and [gone](../briefings/gone.md).")
    project = make_project(tmp_path, files={"content/packs/plenary.md": foreword})
    rendered = render_in_memory(BuildOptions(project, jobs=1, pdfs=False))
    assert 'href="../../briefings/second/index.html"' in rendered.files["packs/plenary/index.html"].decode()
    assert [str(w) for w in rendered.warnings if "plenary" in w.path] == [
        "content/packs/plenary.md:8: warning: broken link '../briefings/gone.md': there is no content/briefings/gone.md (check the file name)"]


def markdown_table(columns: int, rows: int) -> str:
    """A Markdown table of `columns` columns and `rows` rows, each cell naming its place."""
    lines = ["| " + " | ".join(f"Heading {c}" for c in range(columns)) + " |", "|" + "---|" * columns]
    lines += ["| " + " | ".join(f"r{r}c{c}-long-value" for c in range(columns)) + " |" for r in range(rows)]
    return "\n".join(lines) + "\n"


def test_a_table_too_wide_for_the_page_is_printed_as_several_each_with_the_first_column():
    from broadside.markup import render_markdown

    html = packs.print_tables(render_markdown(markdown_table(30, 3), "wide.md", "wide/index.html", {}).html)
    parts = re.findall(r"<table>.*?</table>", html, re.S)
    assert len(parts) > 3
    shown = [re.findall(r"<t[hd]>([^<]*)</t[hd]>", part) for part in parts]
    assert all(cells[0] == "Heading 0" for cells in shown)  # the first column opens every part
    headings = [cell for cells in shown for cell in cells if cell.startswith("Heading") and cell != "Heading 0"]
    assert headings == [f"Heading {c}" for c in range(1, 30)]  # every other column once, in order
    for part in parts:
        widths = [float(width) for width in re.findall(r'<col style="width: ([\d.]+)%">', part)]
        assert len(widths) == len(re.findall(r"<th>", part)) and abs(sum(widths) - 100) < 0.1
    narrow = packs.print_tables(render_markdown(markdown_table(3, 2), "narrow.md", "narrow/index.html", {}).html)
    assert narrow.count("<table>") == 1 and narrow.count("<col ") == 3
    merged = '<table><tr><td colspan="2">x</td></tr></table>'
    assert packs.print_tables(merged) == merged


def test_a_failed_build_stops_the_pdfs_being_made_and_leaves_the_output(tmp_path):
    import multiprocessing

    project = make_project(tmp_path, files={"content/packs/plenary.md": PACK})
    with open(project / "site.toml", "a", encoding="utf-8") as config:
        config.write("briefing_pdfs = true\n")
    build_site(BuildOptions(project, jobs=2))
    before = {path: path.read_bytes() for path in (project / "output").rglob("*") if path.is_file()}
    briefing = project / "content/briefings/first.md"
    briefing.write_text(briefing.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    template = project / "themes/default/templates/briefing.html"
    template.write_text(template.read_text(encoding="utf-8").replace("{% block meta %}", "{% block meta %}{{ no_such.value }}"),
                        encoding="utf-8")
    with pytest.raises(BuildFailed):
        build_site(BuildOptions(project, jobs=2))
    assert not multiprocessing.active_children()  # the PDFs' process was stopped and waited for
    assert {path: path.read_bytes() for path in (project / "output").rglob("*") if path.is_file()} == before
    assert [path.name for path in tmp_path.iterdir() if ".tmp-" in path.name] == []
