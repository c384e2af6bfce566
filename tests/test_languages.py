"""Tests a site in several languages: tags and hints, the language trees, hreflang and switcher links, per-language
feeds and search, and the built pages in Chromium (from disk and under a sub-path), the Nu Html Checker and axe."""
from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest

from broadside import languages, search
from broadside.pipeline import BuildOptions, build_site
from tests.conftest import serve_under_sub_path
from tests.helpers import make_project, manifest, run_cli
from tests.test_accessibility import SCHEMES, axe_js, describe_violations, run_axe, with_axe  # noqa: F401 - axe_js is a fixture
from tests.test_html_valid import describe, is_skip_notice
from tests.test_site_in_browser import open_context, watch

BASE = "https://fixture.example/watch/"
ROOTS = {"en": "", "fr": "fr/", "pt": "pt-pt/"}


def test_closest_tag_spells_codes_and_names_the_bcp47_way():
    assert languages.closest_tag("french") == "fr"
    assert languages.closest_tag("pt_br") == "pt-BR"
    assert languages.closest_tag("Portuguese") == "pt"
    assert languages.standard_tag("fr-be") == "fr-BE" and languages.standard_tag("xx") is None
    assert languages.tag_problem("fr") is None
    assert languages.tag_problem("fr_FR") == ("unknown language 'fr_FR'",
                                              "did you mean 'fr-FR'? Languages are BCP 47 tags, like fr or pt-BR")


def test_file_names_give_slug_and_language():
    assert languages.split_name("kp-reform.fr") == ("kp-reform", "fr")
    assert languages.split_name("kp-reform.pt-BR") == ("kp-reform", "pt-BR")
    assert languages.split_name("kp-reform") == ("kp-reform", "")


def test_locale_name_and_direction():
    assert languages.og_locale("fr") == "fr_FR" and languages.og_locale("pt-BR") == "pt_BR"
    assert languages.language_name("fr") == "Français" and languages.language_name("pt") == "Português"
    assert [languages.text_direction(tag) for tag in ("ar", "fa", "he", "ur", "fr")] == ["rtl"] * 4 + ["ltr"]


@pytest.mark.parametrize(("table", "expected"), [
    ('[languages.french]\ntitle = "T"\ndescription = "D"\n',
     "site.toml:8: unknown language 'french' (did you mean 'fr'? Languages are BCP 47 tags, like fr or pt-BR)"),
    ('[languages.en]\ntitle = "T"\ndescription = "D"\n',
     "site.toml:8: 'en' is the default language (its title and description are those at the top of site.toml)"),
    ('[languages.fr]\ntitle = "T"\n', "site.toml:8: [languages.fr] needs 'description' as non-empty text "
                                     '(add description = "..." in that language)'),
    ('[languages.fr]\ntitle = "T"\ndescription = "D"\nbase_url = "issues"\n',
     "site.toml:8: 'base_url' of [languages.fr] must be one folder name, got 'issues' "
     '(write base_url = "fr": its pages then live under fr/)'),
])
def test_bad_language_tables_are_located_errors(tmp_path, table, expected):
    project = make_project(tmp_path)
    (project / "site.toml").write_text((project / "site.toml").read_text() + "\n" + table)
    result = run_cli(project)
    assert result.returncode == 1 and expected in result.stderr, result.stderr


# --- the fixture site in three languages -----------------------------------------------------------------------

class Links(HTMLParser):
    """The language facts of a page: <html lang/dir>, hreflang alternates, switcher links, og:locale, every href."""

    def __init__(self, text: str):
        super().__init__()
        self.lang = self.dir = ""
        self.alternates: dict[str, str] = {}
        self.switcher: list[dict] = []
        self.hrefs: list[str] = []
        self.locales: list[tuple[str, str]] = []
        self.in_switcher = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "html":
            self.lang, self.dir = values.get("lang", ""), values.get("dir", "")
        if tag == "link" and values.get("hreflang"):
            self.alternates[values["hreflang"]] = values["href"]
        if tag == "meta" and (values.get("property") or "").startswith("og:locale"):
            self.locales.append((values["property"], values["content"]))
        if tag == "nav" and "language-switcher" in (values.get("class") or ""):
            self.in_switcher = True
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"])
            if self.in_switcher:
                self.switcher.append(values)

    def handle_endtag(self, tag):
        if tag == "nav":
            self.in_switcher = False


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The languages fixture: English, French and Portuguese briefings and issues, some translated, some not."""
    return make_project(tmp_path_factory.mktemp("languages"), "languages")


@pytest.fixture(scope="module")
def output(project) -> Path:
    build_site(BuildOptions(project=project, output=project / "output", strict=True, use_cache=False))
    return project / "output"


def pages_of(output: Path) -> dict[str, Links]:
    return {path.relative_to(output).as_posix(): Links(path.read_text(encoding="utf-8"))
            for path in sorted(output.rglob("*.html"))}


def local(url: str) -> str:
    """The output path an absolute URL of the site names."""
    path = url.removeprefix(BASE)
    return path + "index.html" if path == "" or path.endswith("/") else path


def test_each_language_has_its_tree_and_the_default_keeps_its_addresses(output):
    for path in ("index.html", "briefings/first/index.html", "issues/alpha/index.html", "feed.xml", "404.html",
                 "fr/index.html", "fr/briefings/first/index.html", "fr/briefings/echeance/index.html",
                 "fr/issues/alpha/index.html", "fr/issues/beta/index.html", "fr/archive/index.html",
                 "fr/search/index.html", "fr/search/index.js", "fr/feed.xml", "fr/feed.json", "fr/issues/alpha/feed.xml",
                 "pt-pt/briefings/first/index.html", "pt-pt/issues/gama/index.html", "pt-pt/feed.xml"):
        assert (output / path).is_file(), path
    for path in ("briefings/echeance", "fr/404.html", "fr/sitemap.xml", "fr/briefings/second", "issues/gama"):
        assert not (output / path).exists(), path


def test_every_page_says_its_language_and_its_alternates_are_reciprocal(output):
    pages = pages_of(output)
    for path, page in pages.items():
        if path == "404.html":
            continue
        expected = next(lang for lang, root in sorted(ROOTS.items(), key=lambda item: -len(item[1]))
                        if path.startswith(root))
        assert page.lang == expected and page.dir == "", path
        if page.alternates:
            assert page.alternates[expected] == BASE + path.removesuffix("index.html")
            own = {lang: href for lang, href in page.alternates.items()}
            for lang, href in own.items():
                assert pages[local(href)].alternates == own, (path, lang)
    french = pages["fr/briefings/first/index.html"]
    assert set(french.alternates) == {"en", "fr", "pt", "x-default"}
    assert french.alternates["x-default"] == BASE + "briefings/first/"
    assert french.locales == [("og:locale", "fr_FR"), ("og:locale:alternate", "en_US"), ("og:locale:alternate", "pt_BR")]
    assert pages["fr/briefings/echeance/index.html"].alternates == {}  # French only: nothing to pair with


def test_switcher_links_reach_the_same_page_or_say_they_reach_a_home_page(output):
    for path, page in pages_of(output).items():
        if path == "404.html":
            assert not page.switcher
            continue
        assert [link["lang"] for link in page.switcher] == ["en", "fr", "pt"], path
        for link in page.switcher:
            target = (output / path).parent / link["href"]
            assert target.resolve().is_file(), (path, link)
    text = (output / "fr/briefings/echeance/index.html").read_text()
    assert re.search(r'href="../../../index.html" lang="en" hreflang="en">English</a> '
                     r'<span class="untranslated">\(pas de traduction\xa0: page d’accueil\)</span>', text)
    assert '<span class="untranslated">(not translated: home page)</span>' in (output / "briefings/second/index.html").read_text()
    assert 'href="../../../pt-pt/briefings/first/index.html" lang="pt"' in (output / "fr/briefings/first/index.html").read_text()


def test_an_issue_without_a_translation_is_listed_in_the_language_and_marked(output):
    text = (output / "fr/issues/beta/index.html").read_text()
    assert '<h1 lang="en">Beta campaign</h1>' in text
    assert "La page de ce dossier n’est pas traduite" in text
    assert '<a href="../../../issues/beta/index.html" hreflang="en">Lire toute la page en anglais</a>' in text
    assert "Premier dossier" in text and "Only in English, with a" not in text  # French briefings; not the English body
    assert 'href="../../issues/alpha/index.html">Campagne alpha</a>' in (output / "fr/briefings/first/index.html").read_text()


def test_each_language_tree_speaks_its_language_and_writes_its_dates(tmp_path):
    project = make_project(tmp_path, "languages", files={"content/briefings/bilan.fr.md": (
        "---\ntitle: Bilan du mois\ndate: 2024-01\nsummary: Un mois de travail.\nissues: [alpha]\n---\nLe bilan.\n")})
    build_site(BuildOptions(project=project, output=project / "output", strict=True, use_cache=False))
    output = project / "output"
    french = (output / "fr/briefings/first/index.html").read_text()
    assert '<time datetime="2021-06-28">28 juin 2021</time>' in french and ">Qui a dit quoi</h2>" in french
    assert '<time datetime="2024-01">janvier 2024</time>' in (output / "fr/briefings/bilan/index.html").read_text()
    assert ">janvier 2024 <span" in (output / "fr/archive/2024/index.html").read_text()  # the month's heading
    portuguese = (output / "pt-pt/briefings/first/index.html").read_text()
    assert '<time datetime="2021-06-28">28 de junho de 2021</time>' in portuguese and ">Temas</h2>" in portuguese
    english = (output / "briefings/first/index.html").read_text()
    assert '<time datetime="2021-06-28">28 June 2021</time>' in english and ">Who said what</h2>" in english
    assert '"shown":"janvier 2024"' in (output / "fr/search/briefings/0.js").read_text()


def test_feeds_per_language_are_valid_and_say_their_language(output):
    for path, lang, titles in (("feed.xml", "en", 3), ("fr/feed.xml", "fr", 2), ("pt-pt/feed.xml", "pt", 1),
                               ("fr/issues/alpha/feed.xml", "fr", 2), ("pt-pt/issues/gama/feed.xml", "pt", 1)):
        feed = feedparser.parse((output / path).read_bytes())
        assert not feed.bozo, (path, feed.bozo_exception)
        assert feed.feed.language == lang and len(feed.entries) == titles, path
        assert all(entry.link.startswith(BASE + ROOTS[lang]) for entry in feed.entries)
    assert json.loads((output / "fr/feed.json").read_text())["language"] == "fr"


def test_sitemap_lists_every_language_and_its_alternates_resolve(output):
    tree = ET.parse(output / "sitemap.xml")
    spaces = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    locations = [loc.text for loc in tree.iterfind("s:url/s:loc", spaces)]
    assert BASE + "fr/briefings/echeance/" in locations and BASE + "pt-pt/" in locations
    alternates = tree.findall("s:url/x:link", spaces)
    assert len(alternates) > 20
    for link in alternates:
        assert (output / local(link.get("href"))).is_file() and link.get("href") in locations
    assert not (output / "fr/robots.txt").exists()


def test_french_search_indexes_french_briefings_once_folded_as_typed(output):
    def loaded(path: Path):
        text = path.read_text(encoding="utf-8").rstrip().rstrip(";")
        return json.loads(text[text.rindex("= ") + 2:])
    records = [record for shard in sorted((output / "fr/search/briefings").glob("*.js")) for record in loaded(shard)]
    assert sorted(record["url"] for record in records) == ["../briefings/echeance/index.html",
                                                           "../briefings/first/index.html"]
    assert "les" in loaded(output / "fr/search/index.js")["stop"]
    assert search.fold("Négociations, l'œuvre, Cœur") == "negociations, l'oeuvre, coeur"  # as French readers type
    english = "".join(path.read_text(encoding="utf-8") for path in (output / "search").rglob("*.js"))
    assert "echeance" not in english and "Premier dossier" not in english


def test_right_to_left_language_and_a_right_to_left_title_in_a_left_to_right_page(tmp_path):
    project = make_project(tmp_path, files={
        "site.toml": (make_project(tmp_path / "x").joinpath("site.toml").read_text()
                      + '\n[languages.ar]\ntitle = "مراقبة"\ndescription = "موقع صغير"\n'),
        "content/briefings/almas.ar.md": "---\ntitle: الماس والنزاع\ndate: 2020-01-01\nissues: [alpha]\n---\nنص.\n",
        "content/briefings/mixed.md": "---\ntitle: الماس in English\ndate: 2020-01-02\nissues: [alpha]\n---\nText.\n",
    })
    result = run_cli(project)
    assert result.returncode == 0, result.stderr
    arabic = (project / "output/ar/briefings/almas/index.html").read_text()
    assert '<html lang="ar" dir="rtl">' in arabic and "<h1>الماس والنزاع</h1>" in arabic
    mixed = (project / "output/briefings/mixed/index.html").read_text()
    assert '<html lang="en">' in mixed and "<h1><bdi>الماس in English</bdi></h1>" in mixed
    assert "<h1>First briefing" in (project / "output/briefings/first/index.html").read_text()


# --- in the browser, the checker and axe -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory, project) -> str:
    """The languages site built for and served under /briefings-site/ over HTTP."""
    output = tmp_path_factory.mktemp("served-languages") / "site"
    with serve_under_sub_path(output, lambda base_url: build_site(
            BuildOptions(project=project, output=output, base_url=base_url, use_cache=False))) as base_url:
        yield base_url


def open_tab(chromium, root: str):
    """A context refusing requests outside `root`, a page in it, and the list of problems seen on the page."""
    context = open_context(chromium, root)
    page = context.new_page()
    return context, page, watch(page, root)


# Pages whose switcher links are clicked (test_switcher_links_reach_... checks every link of every page on disk).
CLICKED = {"disk": ["fr/index.html", "fr/briefings/first/index.html", "fr/briefings/echeance/index.html",
                    "fr/issues/beta/index.html", "fr/people/ada-speaker/index.html", "pt-pt/issues/gama/index.html",
                    "briefings/second/index.html", "page/2/index.html"],
           "web": ["briefings/first/index.html", "fr/issues/alpha/index.html", "pt-pt/search/index.html"]}


@pytest.mark.parametrize("mode", ["disk", "web"])
def test_every_switcher_link_works_in_the_browser(chromium, output, served, mode):
    root = output.as_uri() + "/" if mode == "disk" else served
    context, page, problems = open_tab(chromium, root)
    try:
        for path in CLICKED[mode]:
            page.goto(root + path, wait_until="load")
            switcher = page.locator("nav.language-switcher a")
            for number in range(switcher.count()):
                link = switcher.nth(number)
                href, lang = link.get_attribute("href"), link.get_attribute("lang")
                target = page.evaluate("(href) => new URL(href, location.href).href", href)
                with page.expect_navigation(wait_until="load"):
                    link.click()
                assert page.url == target and page.evaluate("document.documentElement.lang") == lang, (path, href)
                page.goto(root + path, wait_until="load")
        assert not problems, problems
    finally:
        context.close()


@pytest.mark.parametrize("mode", ["disk", "web"])
def test_french_search_finds_french_text_typed_without_accents(chromium, output, served, mode):
    root = output.as_uri() + "/" if mode == "disk" else served
    context, page, problems = open_tab(chromium, root)
    try:
        page.goto(root + "fr/search/index.html", wait_until="load")
        page.fill("#search_query", "negociations")
        page.wait_for_function("() => document.querySelectorAll('.search-result-title').length > 0", timeout=5000)
        titles = page.locator(".search-result-title").all_inner_texts()
        # The French briefing once, not its English original; never a page of another language.
        assert titles.count("Premier dossier : la plénière") == 1 and "First briefing: the plenary" not in titles, titles
        page.fill("#search_query", "oeuvre cote")
        page.wait_for_function("() => /Échéance/.test(document.body.innerText)", timeout=5000)
        assert not problems, problems
    finally:
        context.close()


KINDS = {"home": "index.html", "briefing": "briefings/first/index.html", "issue": "issues/alpha/index.html",
         "issues": "issues/index.html", "archive": "archive/index.html", "search": "search/index.html?q=alpha",
         "person": "people/ada-speaker/index.html", "country": "countries/ci/index.html"}
AXE_PAGES = [(lang, kind) for lang in ("en", "fr") for kind in KINDS] + [
    ("fr", "untranslated-issue"), ("fr", "french-only-briefing"), ("pt", "home"), ("pt", "briefing")]
EXTRA = {"untranslated-issue": "issues/beta/index.html", "french-only-briefing": "briefings/echeance/index.html"}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_kind_of_page_in_each_language_has_no_axe_violations(chromium, served, axe_js, scheme):
    context = with_axe(chromium.new_context(color_scheme=scheme))
    page = context.new_page()
    try:
        for lang, kind in AXE_PAGES:
            path = ROOTS[lang] + (KINDS.get(kind) or EXTRA[kind])
            page.goto(served + path, wait_until="load")
            if "?q=" in path:
                page.wait_for_function("() => document.querySelectorAll('.search-result-title').length > 0")
            violations = run_axe(page, axe_js)
            assert not violations, f"{path} ({scheme}):\n" + describe_violations(violations)
    finally:
        context.close()


def test_every_page_in_each_language_passes_the_checker(vnu_jar, output):
    result = subprocess.run(["java", "-jar", str(vnu_jar), "--format", "json", "--skip-non-html", str(output)],
                            capture_output=True, text=True, timeout=300, check=False)
    messages = [m for m in json.loads(result.stderr)["messages"] if not is_skip_notice(m)]
    assert not messages, "\n".join(describe(m) for m in messages)
    assert len(list(output.rglob("*.html"))) > 40


def test_edits_to_a_translation_reach_its_pages_in_a_cached_rebuild_and_builds_repeat(tmp_path):
    project = make_project(tmp_path, "languages")
    first = project / "first"
    build_site(BuildOptions(project=project, output=first))
    page = first / "fr/briefings/first/index.html"
    english = (first / "briefings/first/index.html").read_bytes()
    source = project / "content/briefings/first.fr.md"
    source.write_text(source.read_text().replace("Les négociations ont échoué", "Les pourparlers ont échoué")
                      .replace("Premier dossier", "Dossier initial"))
    build_site(BuildOptions(project=project, output=first))
    assert "Les pourparlers ont échoué" in page.read_text()
    assert "Dossier initial" in (first / "fr/index.html").read_text()  # the listing too, not only the page
    assert (first / "briefings/first/index.html").read_bytes() == english  # its switcher names no title: unchanged
    again = project / "again"
    build_site(BuildOptions(project=project, output=again, jobs=1, use_cache=False))
    assert manifest(first) == manifest(again)
