"""Tests that PDFs laid out in the process started early are the PDFs laid out here, that it is stopped whatever
happens, and that a missing system library is named with its Debian package."""
import builtins
import multiprocessing
import re
import subprocess
import sys
from pathlib import Path

import pytest

from broadside import layout
from broadside.errors import BuildFailed
from broadside.renderer import keep

REPO = Path(__file__).resolve().parents[1]
STYLESHEET = (REPO / "themes/default/pdf/pack.css").read_text(encoding="utf-8")
SHEETS = [layout.Sheet(f"briefings/b{number}/b{number}.pdf", f"content/briefings/b{number}.md",
                       f'<html lang="en"><head><title>B{number}</title></head><body><h1>Briefing {number}</h1>'
                       f"<p>Text of briefing {number}, <em>with emphasis</em>.</p></body></html>") for number in range(3)]


def test_pdfs_laid_out_apart_are_those_laid_out_here():
    weasyprint = layout.load_weasyprint("test")
    here = [layout.lay_out(weasyprint, sheet, STYLESHEET, "a4") for sheet in SHEETS]
    with layout.started_layouts() as layouts:
        one = layouts.lay_out(SHEETS[:1], STYLESHEET, "a4", 2, keep)  # one sheet: in the process itself
        several = layouts.lay_out(SHEETS, STYLESHEET, "letter", 2, keep)  # several: in workers it forks
        layouts.finish()
    assert [made.stand_in for made in one] == [here[0][0]]
    assert [made.size.pages for made in one] == [here[0][1]] and one[0].size.size == len(here[0][0])
    letter = [layout.lay_out(weasyprint, sheet, STYLESHEET, "letter")[0] for sheet in SHEETS]
    assert [made.stand_in for made in several] == letter
    assert not multiprocessing.active_children()


def test_an_unused_process_is_stopped_and_a_failure_comes_back_as_the_builds_error():
    with layout.started_layouts():
        pass  # the build needed no PDF
    assert not multiprocessing.active_children()
    bad = layout.Sheet("packs/p/p.pdf", "content/packs/p.md", "<html><body><p>x</p></body></html>")
    with pytest.raises(BuildFailed) as failure, layout.started_layouts() as layouts:
        layouts.lay_out([bad], STYLESHEET, "tabloid", 2, keep)  # a paper WeasyPrint is not given
    assert str(failure.value.errors[0]).startswith("content/packs/p.md: cannot make packs/p/p.pdf: KeyError('tabloid')")
    assert not multiprocessing.active_children()


def test_missing_library_maps_each_library_to_its_package():
    for library, package in [("libpango-1.0-0", "libpango-1.0-0"), ("libgobject-2.0-0", "libglib2.0-0"),
                             ("libharfbuzz.so.0", "libharfbuzz0b"), ("libfontconfig.so.1", "libfontconfig1")]:
        error = layout.missing_library("content/packs/p.md", f"cannot load library '{library}': no such file")
        assert error.hint.endswith(f"sudo apt-get install {package}") and library in error.message


def test_weasyprint_loads_without_asking_ctypes_for_the_names_other_systems_give_its_libraries():
    # In a new interpreter, as WeasyPrint is loaded once per process; find_library counts what it is asked.
    script = ("import ctypes.util; asked = []; find = ctypes.util.find_library; "
              "ctypes.util.find_library = lambda name: asked.append(name) or find(name); "
              "from broadside import layout; layout.load_weasyprint('test'); from weasyprint.text import ffi; "
              "print(len(asked), ctypes.util.find_library('c') is not None, ffi.pango is not None, "
              "ffi.harfbuzz_subset is not None)")
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO)
    assert loaded.stdout.split() == ["0", "True", "True", "True"]  # before: 22 names asked, ~0.17 s


def test_weasyprint_is_loaded_the_slow_way_when_the_quick_way_fails(monkeypatch):
    real_import, refused = builtins.__import__, []

    def refuse_once(name, *args, **kwargs):
        if name == "weasyprint" and not refused:
            refused.append(name)
            raise OSError("cannot load library 'pango-1.0': not found")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", refuse_once)
    assert layout.load_weasyprint("test").__name__ == "weasyprint" and refused == ["weasyprint"]


def test_array_types_sized_by_a_pdf_are_cffis_own_made_without_parsing(monkeypatch):
    weasyprint = layout.load_weasyprint("test")
    ffi, parsed = weasyprint.text.ffi.ffi, []
    parse = ffi._parser.parse_type
    monkeypatch.setattr(ffi._parser, "parse_type", lambda cdecl: parsed.append(cdecl) or parse(cdecl))
    sized = ffi.typeof("hb_codepoint_t[4093]")
    assert len(ffi.new("hb_codepoint_t[3]", [7, 8])) == 3 and ffi.typeof("char[]") is ffi.typeof("char[]")
    assert layout.lay_out(weasyprint, SHEETS[0], STYLESHEET, "a4")[1] == 1
    assert not [cdecl for cdecl in parsed if re.search(r"\[\d+\]$", cdecl)]  # at most `T *`, once for each T
    with ffi._lock:  # as cffi itself calls it
        assert sized is ffi._get_cached_btype(parse("hb_codepoint_t[4093]"))


def test_the_command_line_starts_the_process_early_only_for_a_project_that_may_make_pdfs(tmp_path):
    project = tmp_path / "project"
    (project / "content/packs").mkdir(parents=True)
    (project / "site.toml").write_text('title = "T"\n', encoding="utf-8")
    assert not layout.may_make_pdfs(project)
    with layout.layouts_before_reading(project, 2) as layouts:
        assert layouts is None
    (project / "site.toml").write_text('title = "T"\nbriefing_pdfs = true\n', encoding="utf-8")
    assert layout.may_make_pdfs(project)
    with layout.layouts_before_reading(project, 1) as layouts:
        assert layouts is None  # one process: the build lays its PDFs out itself
    # The process parses the stylesheet and paper the project's files name while it waits: a PDF laid out with
    # those, or with others, is the PDF laid out here.
    guessed = "h1 { color: #555; }\n"
    (project / "themes/plain/pdf").mkdir(parents=True)
    (project / "themes/plain/pdf/pack.css").write_text(guessed, encoding="utf-8")
    (project / "site.toml").write_text('title = "T"\nbriefing_pdfs = true\ntheme = "plain"\npack_paper = "letter"\n',
                                       encoding="utf-8")
    assert layout.likely_styles(project, layout.first_settings(project)) == (guessed, "letter")
    with layout.layouts_before_reading(project, 2) as layouts:
        made = layouts.lay_out(SHEETS[:1], STYLESHEET, "a4", 2, keep) + layouts.lay_out(SHEETS[1:2], guessed, "letter", 2, keep)
        layouts.finish()
    weasyprint = layout.load_weasyprint("test")
    assert [one.stand_in for one in made] == [layout.lay_out(weasyprint, SHEETS[0], STYLESHEET, "a4")[0],
                                              layout.lay_out(weasyprint, SHEETS[1], guessed, "letter")[0]]
    assert not multiprocessing.active_children()
    (project / "site.toml").write_text('title = "T\n', encoding="utf-8")  # the build will say what is wrong
    assert not layout.may_make_pdfs(project)
    (project / "content/packs/p.md").write_text("---\ntitle: P\n---\n", encoding="utf-8")
    assert layout.may_make_pdfs(project)
