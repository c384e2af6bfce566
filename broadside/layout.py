"""Takes the HTML of PDFs and gives the PDFs, laid out by WeasyPrint here, or in a process of its own started as soon
as a build begins, which loads WeasyPrint while the build reads the site.

Loading WeasyPrint (and the Pango, HarfBuzz and fontconfig it loads) costs about a third of a second of CPU, half of
what a one-edit rebuild costs on its own; started early, on the second core, it is done by about the time the build
knows which PDFs changed. WeasyPrint is imported only in that process, or where a PDF has
to be made, so a build of a site without PDFs never loads it.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import multiprocessing
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .errors import BuildFailed, ContentError
from .workers import Apart, can_fork, forked_workers

PAPER = {"a4": "A4", "letter": "letter"}
STYLESHEET = "pdf/pack.css"  # in the theme's folder (not static/: browsers and the HTML checker do not read paged media)
PDF_VARIANT = "pdf/ua-1"  # tagged for screen readers, with the title and language in its metadata
# The shared libraries WeasyPrint loads, and the Debian package that gives each one.
LIBRARIES = {"pangoft2": "libpangoft2-1.0-0", "pango": "libpango-1.0-0", "gobject": "libglib2.0-0",
             "harfbuzz": "libharfbuzz0b", "fontconfig": "libfontconfig1"}
PARALLEL_FROM = 2  # a PDF costs a tenth of a second or more: two are worth a worker each


@dataclass(frozen=True)
class PdfSize:
    """A PDF as its page describes it: its path, pages and size."""

    output_path: str
    pages: int
    size: int

    @property
    def kilobytes(self) -> int:
        """The size in whole kilobytes (at least 1)."""
        return max(1, round(self.size / 1024))


@dataclass(frozen=True)
class Sheet:
    """One PDF to lay out: where it goes, the file to blame if it fails, and the HTML it is made from."""

    output_path: str
    source_path: str
    html: str


@dataclass(frozen=True)
class Made:
    """One PDF made: what stands for its bytes in the build's files, and its size."""

    stand_in: object
    size: PdfSize


def load_weasyprint(source_path: str):
    """Import WeasyPrint, or fail with the Debian package to install when a system library it needs is missing."""
    try:
        try:
            with names_for_other_systems_skipped():
                import weasyprint
        except OSError:  # missing, or found by find_library alone: load it as WeasyPrint does (and get its message)
            import weasyprint
        import weasyprint.text.fonts
        import weasyprint.urls
        from weasyprint.text.ffi import ffi
    except OSError as error:  # cffi could not load a shared library
        raise BuildFailed([missing_library(source_path, str(error))]) from None
    except ImportError as error:
        raise BuildFailed([ContentError(source_path, None, f"making PDFs needs the Python package WeasyPrint ({error})",
                                        "reinstall Broadside: .venv/bin/pip install -e .")]) from None
    logging.getLogger("weasyprint").setLevel(logging.CRITICAL)  # images it may not fetch: we say so in README
    logging.getLogger("fontTools").setLevel(logging.CRITICAL)
    arrays_sized_without_parsing(ffi)
    return weasyprint


@contextlib.contextmanager
def names_for_other_systems_skipped() -> Iterator[None]:
    """While WeasyPrint loads on Linux, ctypes finds no library by a bare name: WeasyPrint then opens each library
    by the file name Linux gives it, which it tries after the names other systems use.

    For each of those other names (about sixteen), ctypes' find_library runs ldconfig, gcc and ld in turn, which
    takes ~10 ms a name: a third of WeasyPrint's loading time, on the way to every PDF a one-edit build makes. A
    library the dynamic linker can find by file name is found all the same (it is how find_library's answers are
    opened too); should one not be, load_weasyprint asks again with find_library as it is."""
    if sys.platform != "linux":
        yield
        return
    import ctypes.util

    find_library = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        yield
    finally:
        ctypes.util.find_library = find_library


def arrays_sized_without_parsing(ffi) -> None:
    """Let cffi make the type of an array of a given length (`T[n]`) from the type of its items, not by parsing C.

    Laying out a PDF, WeasyPrint asks for a few such types per font, sized by the glyphs the PDF uses, and cffi parses
    each new size with all of WeasyPrint's C declarations (~2.5 ms, a dozen in a briefing's PDF): most of what the
    first PDF of a process costs more than the next. cffi's backend keeps one type per item type and length, so the
    type is the very object parsing would give; any other request, or another cffi, goes the usual way."""
    if type(getattr(ffi, "_parsed_types", None)) is dict:
        ffi._parsed_types = SizedArrays(ffi)


class SizedArrays(dict):
    """cffi's parsed types, which make a missing `T[n]` from the type of `T *` and keep it like a parsed one."""

    def __init__(self, ffi) -> None:
        super().__init__(ffi._parsed_types)
        self.ffi = ffi

    def __missing__(self, cdecl):
        sized = re.fullmatch(r"(\w[\w ]*)\[(\d+)\]", cdecl)
        if sized is None:
            raise KeyError(cdecl)  # cffi parses it
        self[cdecl] = self.ffi._backend.new_array_type(self.ffi.typeof(sized[1] + " *"), int(sized[2])), False
        return self[cdecl]


def missing_library(source_path: str, message: str) -> ContentError:
    """The error for a shared library WeasyPrint could not load, naming the Debian package that gives it."""
    named = re.search(r"'([^']+)'", message)
    library = named[1] if named else message
    package = next((debian for key, debian in LIBRARIES.items() if key in library), "libpango-1.0-0")
    return ContentError(source_path, None, f"making PDFs needs the system library {library}, which is missing",
                        f"install the Debian package {package}: sudo apt-get install {package}")


def lay_out(weasyprint, sheet: Sheet, stylesheet: str, paper: str) -> tuple[bytes, int]:
    """Lay out one PDF; give its bytes and its number of pages."""
    try:
        # Nothing is fetched while a PDF is made (no network, no file): an image shows its text alternative instead.
        fetcher = weasyprint.urls.URLFetcher(allowed_protocols=())
        fonts, styles = parsed_styles(weasyprint, stylesheet, paper)
        document = weasyprint.HTML(string=sheet.html, base_url=None, url_fetcher=fetcher).render(
            stylesheets=styles, font_config=fonts)
        data = document.write_pdf(pdf_variant=PDF_VARIANT,
                                  pdf_identifier=hashlib.md5(sheet.html.encode()).hexdigest().encode())
    except Exception as error:  # noqa: BLE001 - WeasyPrint's own failure on odd input: say which file, never a traceback
        raise BuildFailed([ContentError(sheet.source_path, None, f"cannot make {sheet.output_path}: {error!r}",
                                        "simplify the text it holds, or report this with the file")]) from None
    return data, len(document.pages)


@functools.lru_cache(maxsize=2)
def parsed_styles(weasyprint, stylesheet: str, paper: str) -> tuple[object, list]:
    """The print stylesheet and the paper size, parsed once in a process, and the fonts they use: every PDF of a build
    shares them, which saves a sixth of a briefing's PDF (the bytes are the same)."""
    fonts = weasyprint.text.fonts.FontConfiguration()
    return fonts, [weasyprint.CSS(string=stylesheet, font_config=fonts),
                   weasyprint.CSS(string=f"@page {{ size: {PAPER[paper]}; }}", font_config=fonts)]


_WORK: tuple | None = None


def lay_out_all(sheets: list[Sheet], stylesheet: str, paper: str, jobs: int, deliver: Callable) -> list[Made]:
    """Lay out `sheets` here, or in forked workers when there are several; each PDF is delivered where it was made."""
    if not sheets:
        return []
    weasyprint = load_weasyprint(sheets[0].source_path)
    with contextlib.suppress(Exception):  # parsed before workers are forked, to be shared; a failure is reported later
        parsed_styles(weasyprint, stylesheet, paper)
    global _WORK
    _WORK = (weasyprint, stylesheet, paper, deliver)
    try:
        if jobs <= 1 or len(sheets) < PARALLEL_FROM or not can_fork():
            return [_lay_out_in_worker(sheet) for sheet in sheets]
        with forked_workers(min(jobs, len(sheets))) as pool:
            return list(pool.map(_lay_out_in_worker, sheets))  # one at a time: a Ctrl-C waits for one PDF at most
    finally:
        _WORK = None


def _lay_out_in_worker(sheet: Sheet) -> Made:
    """Lay out one PDF and deliver it (in a worker, or here)."""
    weasyprint, stylesheet, paper, deliver = _WORK
    data, pages = lay_out(weasyprint, sheet, stylesheet, paper)
    return Made(deliver({sheet.output_path: data})[sheet.output_path], PdfSize(sheet.output_path, pages, len(data)))


class Layouts:
    """A process that loads WeasyPrint at once, then lays out the sheets it is sent (in workers it forks when there
    are several): the PDFs of a build, made without waiting for WeasyPrint to load.

    A process forked from this one's creator may send the sheets (the PDFs' own process does); `stop` ends it.
    `likely`, the stylesheet and paper the PDFs will most likely be laid out with, is parsed while it waits."""

    def __init__(self, likely: tuple[str, str] | None = None):
        waiting, self.asking = multiprocessing.get_context("fork").Pipe(duplex=False)
        self.apart = Apart(_serve_sheets, waiting, likely)
        waiting.close()

    def lay_out(self, sheets: list[Sheet], stylesheet: str, paper: str, jobs: int, deliver: Callable) -> list[Made]:
        """What `lay_out_all` gives, made in the process (raising here what it raised there)."""
        self.asking.send((sheets, stylesheet, paper, jobs, deliver))
        return self.apart.receive()

    def finish(self) -> None:
        """Tell the process that nothing more will be sent: it ends once it is done."""
        self.asking.send(None)

    def stop(self) -> None:
        """End the process if it still runs (it was not needed, or the build failed) and wait for it."""
        self.apart.stop()
        self.asking.close()


def _serve_sheets(send: Callable, waiting, likely: tuple[str, str] | None) -> None:
    """In the process of its own: load WeasyPrint and parse the `likely` stylesheet, unless sheets are waiting already;
    then lay out each batch of sheets sent, until told there are no more.

    It lays out no first page while it waits: one, with the print stylesheet, brings the first real PDF's layout from
    0.3 s to 0.18 s but costs 0.15-0.19 s itself, and a one-edit build's changed sheet arrives about when WeasyPrint
    is loaded, so the page only competed for the cores (measured)."""
    with contextlib.suppress(Exception):  # what fails here fails again when a PDF is asked for, and is reported then
        weasyprint = load_weasyprint("")
        if likely is not None and not waiting.poll():
            parsed_styles(weasyprint, *likely)
    with contextlib.suppress(EOFError):  # the build ended without a word (killed): so does this process
        while (batch := waiting.recv()) is not None:
            send(lay_out_all(*batch))


def first_settings(project: Path) -> dict:
    """site.toml as it reads before the build reads and checks it ({} when it cannot be read)."""
    try:
        with open(project / "site.toml", "rb") as file:
            return tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def may_make_pdfs(project: Path, settings: dict | None = None) -> bool:
    """The project may ask for PDFs, as its files say before they are read: site.toml turns `briefing_pdfs` on, or
    content/packs/ holds a pack file."""
    settings = first_settings(project) if settings is None else settings
    return settings.get("briefing_pdfs") is True or any((project / "content/packs").glob("*.md"))


def likely_styles(project: Path, settings: dict) -> tuple[str, str] | None:
    """The print stylesheet and paper the project's PDFs will most likely be laid out with, as its files say before
    they are read: its theme's own stylesheet (None when the theme has none, and takes its parent's)."""
    theme, paper = settings.get("theme", "default"), settings.get("pack_paper", "a4")
    try:
        return (project / "themes" / str(theme) / STYLESHEET).read_text(encoding="utf-8"), paper
    except (OSError, UnicodeDecodeError):
        return None


def layouts_before_reading(project: Path, jobs: int) -> contextlib.AbstractContextManager[Layouts | None]:
    """For a build with workers of a project that may ask for PDFs, a Layouts process, started before the site is read
    (by the command line, before the rest of Broadside is even imported, a third of a second sooner than the build
    could start it); nothing for the other builds."""
    settings = first_settings(project)
    if jobs <= 1 or not can_fork() or not may_make_pdfs(project, settings):
        return contextlib.nullcontext()
    return started_layouts(likely_styles(project, settings))


@contextlib.contextmanager
def started_layouts(likely: tuple[str, str] | None = None) -> Iterator[Layouts]:
    """A Layouts process, stopped at the end whatever happens."""
    layouts = Layouts(likely)
    try:
        yield layouts
    finally:
        layouts.stop()
