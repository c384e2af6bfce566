"""Tests of the localised theme: catalogues read and checked, Babel's dates, numbers, plurals and country names, and
French and Portuguese sites built and read in Chromium (from disk, and served under a sub-path for axe and the 404
page), valid and accessible in both colour schemes."""
from __future__ import annotations

import functools
import http.server
import json
import re
import subprocess
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po
from pypdf import PdfReader

from broadside.errors import BuildFailed
from broadside.i18n import english_words, load_language, missing_messages, parse_catalogue, used_messages
from broadside.model import Entity
from broadside.pipeline import BuildOptions, build_site
from broadside.renderer import theme_warnings  # noqa: F401 - imported for MARKED: the page titles it marks
from broadside.search import KINDS  # noqa: F401 - the same, for the search index's words
from tests.conftest import SUB_PATH, SubPathHandler
from tests.helpers import REPO, make_project, run_cli
from tests.test_html_valid import describe, is_skip_notice
from tests.test_accessibility import (PREVIEW_PAGES, UNKNOWN_ADDRESS, axe_js, describe_violations,  # noqa: F401 - a fixture
                                      preview_files, run_axe, scheme_contexts)

THEME = REPO / "themes" / "default"
LANGUAGES = ("en", "fr", "pt")
MOMENT = datetime(2021, 6, 28, 23, 30, tzinfo=ZoneInfo("UTC"))  # already 29 June in Johannesburg


def language(tag: str, timezone: str = "UTC"):
    """The default theme's language `tag`."""
    return load_language(THEME, "default", tag, timezone)


def site_toml(tag: str) -> str:
    """The basic fixture's settings with the language `tag`."""
    return (REPO / "tests/fixtures/sites/basic/site.toml").read_text().replace('language = "en"', f'language = "{tag}"')


# --- Babel's formats ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("tag", "day", "month", "year"), [
    ("en", "28 June 2021", "June 2021", "2021"),
    ("fr", "28 juin 2021", "juin 2021", "2021"),
    ("pt", "28 de junho de 2021", "junho de 2021", "2021"),
])
def test_dates_follow_the_page_language_at_each_precision(tag, day, month, year):
    speaking = language(tag)
    assert [speaking.date(MOMENT, precision) for precision in ("day", "month", "year")] == [day, month, year]


def test_dates_are_shown_in_the_site_time_zone():
    assert language("fr", "Africa/Johannesburg").date(MOMENT) == "29 juin 2021"


def test_numbers_and_plurals_follow_the_language():
    assert language("en").ngettext("%(num)s briefing", "%(num)s briefings", 1234) == "1,234 briefings"
    assert language("fr").ngettext("%(num)s briefing", "%(num)s briefings", 1234) == "1\u202f234 notes d’information"
    assert language("fr").ngettext("%(num)s briefing", "%(num)s briefings", 0) == "0 note d’information"
    assert language("fr").ngettext("%(num)s quote", "%(num)s quotes", 1000000) == "1\u202f000\u202f000 de citations"
    assert language("pt").ngettext("%(num)s quote", "%(num)s quotes", 2) == "2 citações"
    assert language("pt").ngettext("%(num)s quote", "%(num)s quotes", 1) == "1 citação"


def test_plural_forms_for_scripts_name_each_category_of_the_language():
    forms = language("fr").plural_forms("%(num)s briefing matches “%(query)s”.", "%(num)s briefings match “%(query)s”.")
    assert forms == {"one": "%(num)s note d’information correspond à «\xa0%(query)s\xa0».",
                     "many": "%(num)s de notes d’information correspondent à «\xa0%(query)s\xa0».",
                     "other": "%(num)s notes d’information correspondent à «\xa0%(query)s\xa0»."}
    assert set(language("en").plural_forms("%(num)s quote", "%(num)s quotes")) == {"one", "other"}


def test_country_names_in_the_language_and_english_names_unchanged():
    congo = Entity("country", "The Democratic Republic of the Congo", "cd", aliases=("CD",))
    ivory = Entity("country", "Côte d'Ivoire", "ci", aliases=("CI",))
    assert language("en").named(congo) is congo
    assert [c.name for c in language("fr").countries((congo, ivory))] == ["Congo-Kinshasa", "Côte d’Ivoire"]
    assert [c.name for c in language("pt").countries((congo, ivory))] == ["Congo - Kinshasa", "Costa do Marfim"]


def test_a_language_without_catalogue_speaks_english_with_its_own_formats():
    german = language("de")
    assert german.gettext("Who said what") == "Who said what"
    assert german.date(MOMENT) == "28 Juni 2021"
    assert language("pt-BR").gettext("Who said what") == "Quem disse o quê"  # pt serves pt-BR
    assert english_words("fr", "UTC").gettext("Who said what") == "Who said what"


# --- catalogues: complete, and checked --------------------------------------------------------------------------

def catalogue(tag: str):
    """A shipped catalogue, parsed."""
    with open(THEME / "locale" / tag / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def test_the_template_lists_every_message_the_theme_uses():
    """messages.pot is up to date: pybabel extract finds what the build checks for (README says how to refresh it)."""
    with open(THEME / "locale" / "messages.pot", "rb") as handle:
        extracted = {m.id[0] if isinstance(m.id, tuple) else m.id for m in read_po(handle) if m.id}
    assert extracted == {message for _, _, message in used_messages(THEME / "templates", "default")}


@pytest.mark.parametrize("tag", LANGUAGES)
def test_shipped_catalogues_are_complete(tag):
    used = used_messages(THEME / "templates", "default")
    assert missing_messages(THEME, "default", tag, used) == []
    entries = [m for m in catalogue(tag) if m.id]
    assert all(not m.fuzzy and (all(m.string) if isinstance(m.id, tuple) else m.string) for m in entries)
    plural = [m for m in entries if isinstance(m.id, tuple)]
    assert plural and all(len(m.string) == (2 if tag == "en" else 3) for m in plural)  # one, (many,) other


def test_english_catalogue_says_exactly_the_msgids():
    for m in catalogue("en"):
        if m.id:
            assert (tuple(m.string) if isinstance(m.id, tuple) else m.string) == m.id


def broken(text: str) -> list[str]:
    """The errors a catalogue's text gives."""
    with pytest.raises(BuildFailed) as failed:
        parse_catalogue(text.encode("utf-8"), "themes/t/locale/fr/LC_MESSAGES/messages.po")
    return [str(error) for error in failed.value.errors]


HEADER = 'msgid ""\nmsgstr ""\n"Language: fr\\n"\n"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'


def test_a_misspelt_placeholder_is_an_error_at_its_line():
    assert broken(HEADER + 'msgid "%(num)s quote"\nmsgid_plural "%(num)s quotes"\nmsgstr[0] "%(num)s citation"\n'
                  'msgstr[1] "%(nmu)s citations"\n') == [
        "themes/t/locale/fr/LC_MESSAGES/messages.po:9: unknown named placeholder 'nmu' in the translation of "
        "'%(num)s quote' (keep the msgid's placeholders exactly as they are: %(num)s)"]


def test_a_syntax_error_is_an_error_at_its_line():
    assert broken(HEADER + 'msgid "Draft"\nmsgstr "Brouillon\n') == [
        "themes/t/locale/fr/LC_MESSAGES/messages.po:7: cannot read this line of the catalogue: 'msgstr \"Brouillon' "
        '(each line is a comment (#), msgid/msgstr followed by a "quoted string", or a "quoted string")']
    assert broken(HEADER + 'msgid "Draft"\nmsgtsr "Brouillon"\n')[0].startswith("themes/t/locale/fr/LC_MESSAGES/messages.po:7: ")


def test_a_catalogue_that_is_not_utf8_is_an_error():
    with pytest.raises(BuildFailed) as failed:
        parse_catalogue((HEADER + 'msgid "Draft"\nmsgstr "Ébauche"\n').encode("latin-1"), "x.po")
    assert str(failed.value.errors[0]) == "x.po:7: catalogue is not UTF-8 (save it as UTF-8)"


def test_a_missing_string_shows_in_english_and_strict_reports_it(tmp_path):
    fr = (THEME / "locale/fr/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    without = fr.replace('msgid "Related briefings"\nmsgstr "Notes d’information liées"\n', 'msgid "Related briefings"\nmsgstr ""\n')
    assert without != fr
    project = make_project(tmp_path, files={"site.toml": site_toml("fr"), "themes/default/locale/fr/LC_MESSAGES/messages.po": without})
    line = without.splitlines().index('msgid "Related briefings"') + 1
    warning = (f"themes/default/locale/fr/LC_MESSAGES/messages.po:{line}: warning: message 'Related briefings' (used at "
               f"themes/default/templates/briefing.html:{briefing_line('Related briefings')}) has no translation; pages show it "
               "in English (run pybabel update, then translate it)")
    built = run_cli(project)
    assert built.returncode == 0 and warning in built.stderr.splitlines()
    assert "Related briefings" in (project / "output/briefings/first/index.html").read_text(encoding="utf-8")
    checked = run_cli(project, "check", "--strict")
    assert checked.returncode == 1 and warning.replace("warning: ", "") in checked.stderr.splitlines()


def briefing_line(message: str) -> int:
    """The line of briefing.html asking for `message`."""
    lines = (THEME / "templates/briefing.html").read_text(encoding="utf-8").splitlines()
    return next(number for number, text in enumerate(lines, 1) if f'_("{message}")' in text)


def test_a_language_without_catalogue_is_a_warning_naming_the_catalogue_to_create(tmp_path):
    assert missing_messages(THEME, "default", "en-GB", []) == []
    [warning] = missing_messages(THEME, "default", "de", [])
    assert str(warning) == ("themes/default/locale/de/LC_MESSAGES/messages.po: warning: no catalogue for language 'de': "
                            "the theme shows its words in English (create it: pybabel init -i themes/default/locale/"
                            "messages.pot -d themes/default/locale -l de)")


def test_a_catalogue_edit_renders_again_the_pages_that_use_it(tmp_path):
    project = make_project(tmp_path, files={"site.toml": site_toml("fr")})
    options = BuildOptions(project=project, jobs=1)
    build_site(options)
    page = project / "output/briefings/first/index.html"
    assert "Qui a dit quoi" in page.read_text(encoding="utf-8")
    po = project / "themes/default/locale/fr/LC_MESSAGES/messages.po"
    po.write_text(po.read_text(encoding="utf-8").replace('"Qui a dit quoi"', '"Qui a dit cela"'), encoding="utf-8")
    summary = build_site(options)
    assert "Qui a dit cela" in page.read_text(encoding="utf-8") and summary.written > 0


# --- French and Portuguese sites in Chromium ------------------------------------------------------------------------

EXPECTED = {  # what a reader sees: navigation, a date, a month of the timeline, pagination, a country, search
    "fr": {"nav": ["Notes d’information", "Dossiers", "Personnes", "Pays", "Organisations", "Archives", "Recueils"],
           "date": "5 mars 2020", "month": "septembre 2019", "pages": "Page 1 sur 7", "country": "Congo-Kinshasa",
           "found": "notes d’information correspondent à «\xa0briefing\xa0».",
           "none": "Aucune note d’information ne correspond à «\xa0zzzq\xa0». Essayez avec moins de mots, ou des mots plus courts.",
           "names": "Et aussi 1 personne, pays ou organisation.", "filter": "Aucun résultat sur 2.",
           "follow": "Suivre ce dossier", "quotes": "Qui a dit quoi", "404": "Page introuvable",
           "packs": "Recueils de notes d’information", "download": "Télécharger le PDF", "contents": "Sommaire", "pack_date": "8 novembre 2019"},
    "pt": {"nav": ["Notas informativas", "Temas", "Pessoas", "Países", "Organizações", "Arquivo", "Dossiês"],
           "date": "5 de março de 2020", "month": "setembro de 2019", "pages": "Página 1 de 7", "country": "Congo - Kinshasa",
           "found": "notas informativas correspondem a “briefing”.",
           "none": "Nenhuma nota informativa corresponde a “zzzq”. Experimente menos palavras, ou palavras mais curtas.",
           "names": "E ainda 1 pessoa, país ou organização.", "filter": "Nenhum resultado em 2.",
           "follow": "Seguir este tema", "quotes": "Quem disse o quê", "404": "Página não encontrada",
           "packs": "Dossiês de notas informativas", "download": "Descarregar o PDF", "contents": "Índice", "pack_date": "8 de novembro de 2019"},
}


PACK = ("---\ntitle: Plenary 2019\ndate: 2019-11-08\nsummary: What we ask this year.\nissues: [alpha]\n"
        "since: 2019-01-01\nuntil: 2019-12-31\n---\nFor the delegates.\n")
PACK_PAGES = {"pack-index": "packs/index.html", "pack": "packs/plenary/index.html"}


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """The preview fixture site (drafts, scheduled briefings, long lists) in French and in Portuguese, each served under
    a sub-path; gives {tag: (folder, base URL)}."""
    built = {}
    servers = []
    for tag in EXPECTED:
        root = tmp_path_factory.mktemp(f"site-{tag}")
        project = make_project(root, files={**preview_files(), "site.toml": site_toml(tag), "content/packs/plenary.md": PACK})
        output = root / "site"
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SubPathHandler, directory=str(output)))
        base_url = f"http://127.0.0.1:{server.server_port}{SUB_PATH}"
        build_site(BuildOptions(project=project, output=output, base_url=base_url, drafts=True, future=True, use_cache=False))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        built[tag] = (output, base_url)
    yield built
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser_contexts(chromium, sites):
    """A context per colour scheme that lets pages load from disk and from the two servers only."""
    yield from scheme_contexts(chromium, ("file://", *(base for _, base in sites.values())))


@pytest.fixture
def open_tab(browser_contexts):
    """Open a tab (light or dark) that records console errors; closed after the test."""
    tabs = []

    def opening(scheme: str = "light"):
        page = browser_contexts[scheme].new_page()
        page.errors = []
        page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        tabs.append(page)
        return page

    yield opening
    for page in tabs:
        page.close()


def text_of(page, selector: str) -> str:
    """The text of the first element matching `selector` (as written, before CSS capitals), spaces collapsed."""
    return " ".join(page.locator(selector).first.text_content().split())


@pytest.mark.parametrize("tag", EXPECTED)
def test_pages_opened_from_disk_speak_the_language(open_tab, sites, tag):
    expected, root = EXPECTED[tag], sites[tag][0].as_uri() + "/"
    page = open_tab()
    page.goto(root + "index.html")
    assert page.get_attribute("html", "lang") == tag
    assert [" ".join(text.split()) for text in page.locator(".site-nav a").all_inner_texts()] == expected["nav"]
    assert text_of(page, ".pagination-status") == expected["pages"]
    page.goto(root + "briefings/first/index.html")
    assert text_of(page, ".page-head .meta time") == expected["date"]
    assert text_of(page, "#briefing_quotes") == expected["quotes"]
    assert expected["country"] in page.locator(".briefing-about").inner_text()
    page.goto(root + "issues/alpha/index.html")
    assert expected["follow"] in text_of(page, ".follow")
    assert expected["month"] in [" ".join(t.split()) for t in page.locator(".timeline-month").all_inner_texts()]
    assert page.errors == []


@pytest.mark.parametrize("tag", EXPECTED)
def test_search_and_filter_messages_come_from_the_catalogue(open_tab, sites, tag):
    expected, root = EXPECTED[tag], sites[tag][0].as_uri() + "/"
    page = open_tab()
    page.goto(root + "search/index.html?q=briefing")
    page.wait_for_function("() => document.querySelectorAll('.search-result-title').length > 0")
    status = page.locator("#search_status").text_content()
    assert re.fullmatch(r"\d+ " + re.escape(expected["found"]), status), status
    page.fill("#search_query", "zzzq")
    page.wait_for_function("() => !document.querySelector('.search-result-title')")
    assert page.locator("#search_status").inner_text() == expected["none"]
    page.fill("#search_query", "kinshasa")
    page.wait_for_function("() => !document.getElementById('search_entities').hidden")
    assert page.locator("#search_status").inner_text().endswith(expected["names"])
    assert text_of(page, "#search_entity_results a") == expected["country"]
    page.goto(root + "countries/index.html")
    page.fill("#entity_filter", "zzzq")
    assert page.locator(".filter-status").inner_text() == expected["filter"]
    assert page.errors == []


@pytest.mark.parametrize("tag", EXPECTED)
def test_not_found_page_speaks_the_language(open_tab, sites, tag):
    page = open_tab()
    page.goto(sites[tag][1] + UNKNOWN_ADDRESS)
    assert text_of(page, "h1") == EXPECTED[tag]["404"]


def a11y_cases() -> list:
    """(language, kind of page, address, scheme) for every kind of page of the preview site."""
    return [pytest.param(tag, kind, path, scheme, id=f"{tag}-{kind}-{scheme}") for tag in EXPECTED
            for kind, path in {**PREVIEW_PAGES, **PACK_PAGES}.items() for scheme in ("light", "dark")]


@pytest.mark.parametrize(("tag", "kind", "path", "scheme"), a11y_cases())
def test_every_kind_of_page_has_no_axe_violations(open_tab, sites, axe_js, tag, kind, path, scheme):
    page = open_tab(scheme)
    page.goto(sites[tag][1] + path, wait_until="load")
    if "?q=" in path:
        page.wait_for_function("() => document.querySelectorAll('.search-result-title').length > 0", timeout=5000)
    violations = run_axe(page, axe_js)
    assert violations == [], f"{tag} {kind} ({scheme}):\n{describe_violations(violations)}"


@pytest.mark.parametrize("tag", EXPECTED)
def test_packs_pages_and_pdfs_speak_the_language(open_tab, sites, tag):
    expected, output = EXPECTED[tag], sites[tag][0]
    page = open_tab()
    page.goto((output / "packs/index.html").as_uri())
    assert text_of(page, "h1") == expected["packs"] and expected["download"] in text_of(page, ".download")
    page.goto((output / "packs/plenary/index.html").as_uri())
    assert text_of(page, ".pack-download .download") == expected["download"]
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(output / "packs/plenary/plenary.pdf").pages)
    assert expected["contents"] in text and expected["pack_date"] in text
    assert page.errors == []


def test_french_and_portuguese_pages_are_valid_html(vnu_jar, sites):
    """The Nu Html Checker finds 0 errors and 0 warnings on every page of both sites, and saw every page."""
    folders = [folder for folder, _ in sites.values()]
    result = subprocess.run(["java", "-jar", str(vnu_jar), "--format", "json", "--skip-non-html", "--also-check-css", "--verbose",
                             *map(str, folders)], capture_output=True, text=True, timeout=300, check=False)
    expected = {str(path) for folder in folders for path in folder.rglob("*.html")}
    assert expected <= {str(Path(name)) for name in result.stdout.split()}
    messages = [m for m in json.loads(result.stderr)["messages"] if not is_skip_notice(m)]
    problems = [m for m in messages if m["type"] in ("error", "non-document-error") or m.get("subType") == "warning"]
    assert problems == [], "\n".join(describe(m) for m in problems)
