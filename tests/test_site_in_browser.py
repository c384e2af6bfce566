"""Tests the built shipped site in headless Chromium, opened from disk and served under a sub-path, as a reader uses it.

Each page must load with no console errors or warnings, no failed request and no request leaving
the site, with the theme's stylesheet applied. Then a reader follows links and uses the keyboard.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from broadside.config import load_config
from broadside.languages import split_name
from broadside.reader import read_site

REPO = Path(__file__).resolve().parents[1]
SEED_AUTHOR = "Mathew Nyaungwa"
SEED_PUBLICATION = "Rough&Polished"
SEED_SPEAKER = "Shamiso Mtisi"
SEED_COUNTRY = "Zimbabwe"


def content_pages(kind: str) -> list[str]:
    """The page of each content/<kind>/*.md: known before the build, so tests can be listed per page."""
    named = (split_name(path.stem) for path in sorted((REPO / "content" / kind).glob("*.md")))
    return [f"{lang + '/' if lang else ''}{kind}/{slug}/index.html" for slug, lang in named]


def entity_pages() -> list[str]:
    """The page of each person, country and organisation the shipped briefings involve."""
    site = read_site(REPO, load_config(REPO))
    return [entity.output_path for entity in (*site.people, *site.countries, *site.organisations)]


SECTIONS = ["index.html", "briefings/index.html", "issues/index.html", "archive/index.html",
            "people/index.html", "countries/index.html", "organisations/index.html"]
PAGES = SECTIONS + content_pages("briefings") + content_pages("issues") + entity_pages()


@dataclass
class Mode:
    """One way of opening the site: its root URL and the browser context (tab group) used for it."""

    name: str
    root: str
    context: object = field(repr=False)

    def url(self, output_path: str) -> str:
        """The address of an output file in this mode."""
        return self.root + output_path


def open_context(chromium, root: str):
    """A browser context that refuses any request outside `root`, so nothing can leave the test machine."""
    context = chromium.new_context()
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(root) else route.abort())
    return context


@pytest.fixture(scope="module")
def disk(chromium, built_site):
    """The site opened from disk over file://."""
    root = built_site.as_uri() + "/"
    context = open_context(chromium, root)
    yield Mode("disk", root, context)
    context.close()


@pytest.fixture(scope="module")
def web(chromium, served_site):
    """The site served over HTTP under /briefings-site/, as on a GitHub Pages project site."""
    context = open_context(chromium, served_site)
    yield Mode("web", served_site, context)
    context.close()


def watch(page, root: str) -> list[str]:
    """Start recording everything that would mean a broken page; returns the (growing) list of problems."""
    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(f"console {m.type}: {m.text}"))
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    # ERR_ABORTED is the browser cancelling a request itself (a favicon still loading when a link is followed);
    # a missing file is ERR_FILE_NOT_FOUND from disk and an HTTP 404 over the web, both still caught.
    page.on("requestfailed", lambda r: r.failure == "net::ERR_ABORTED"
            or problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.on("request", lambda r: r.url.startswith(root) or problems.append(f"request outside the site: {r.url}"))
    return problems


@pytest.fixture
def tab(request):
    """Open a fresh page in a mode's context; closed after the test. Call as tab(mode) -> (page, problems)."""
    opened = []

    def open_tab(mode: Mode):
        page = mode.context.new_page()
        opened.append(page)
        return page, watch(page, mode.root)

    yield open_tab
    for page in opened:
        page.close()


def unstyled_look(page) -> dict:
    """Body font and main width with the browser's own styles only, to tell when the stylesheet did nothing."""
    page.set_content("<!DOCTYPE html><title>x</title><main>x</main>")
    return look_of(page)


def look_of(page) -> dict:
    """The computed styles that show whether the theme's stylesheet is applied."""
    return page.evaluate("""() => ({
        font: getComputedStyle(document.body).fontFamily,
        mainWidth: getComputedStyle(document.querySelector('main') || document.body).maxWidth,
    })""")


def assert_styled(page, plain: dict) -> None:
    """Both looks differ from the browser's defaults: the stylesheet loaded and its rules matched."""
    look = look_of(page)
    assert look["font"] != plain["font"] and look["mainWidth"] != plain["mainWidth"], \
        f"stylesheet not applied on {page.url}: {look} (browser defaults: {plain})"


def follow(page, link) -> None:
    """Click a link as a reader would and wait for the new page."""
    with page.expect_navigation(wait_until="load"):
        link.click()


def check_page(tab, mode: Mode, output_path: str) -> None:
    """Load one page and assert it is clean, has a <main> and is styled."""
    page, problems = tab(mode)
    plain = unstyled_look(page)
    page.goto(mode.url(output_path), wait_until="load")
    assert page.locator("main").count() == 1, f"{output_path} ({mode.name}) has no single <main>"
    assert_styled(page, plain)
    assert not problems, f"{len(problems)} problems on {output_path} ({mode.name}):\n" + "\n".join(problems)


@pytest.mark.parametrize("output_path", PAGES)
def test_page_is_clean_from_disk(tab, disk, output_path):
    """Each page opened from disk loads cleanly and styled."""
    check_page(tab, disk, output_path)


@pytest.mark.parametrize("output_path", PAGES + ["404.html"])
def test_page_is_clean_under_sub_path(tab, web, output_path):
    """Each page served under /briefings-site/ loads cleanly and styled."""
    check_page(tab, web, output_path)


def test_unknown_address_shows_working_404_page(tab, web):
    """GitHub Pages answers any unknown address with 404.html: its absolute links must keep styles and links working."""
    page, problems = tab(web)
    plain = unstyled_look(page)
    missing = web.url("no/such/deep/page.html")
    response = page.goto(missing, wait_until="load")
    assert response.status == 404
    assert_styled(page, plain)
    follow(page, page.get_by_role("main").get_by_role("link", name="Home page"))
    assert page.url == web.url("index.html")
    # The one 404 this test asks for, as the server and the console report it.
    expected = [f"HTTP 404: {missing}",
                "console error: Failed to load resource: the server responded with a status of 404 (Not Found)"]
    assert problems == expected, "\n".join(problems)


def find_seed_briefing():
    """The briefing imported from the first seed, found by its author, and its issues."""
    site = read_site(REPO, load_config(REPO))
    found = [b for b in site.briefings if b.source.author == SEED_AUTHOR]
    assert len(found) == 1, (f"expected one briefing by {SEED_AUTHOR} in content/briefings/, found {len(found)} "
                             f"among {len(site.briefings)} briefings")
    return found[0], [site.issue(slug) for slug in found[0].issues]


def test_reader_goes_from_home_to_briefing_to_issue(tab, disk):
    """From the home page on disk: open the seed briefing, see its source, then open one of its issues."""
    briefing, issues = find_seed_briefing()
    assert issues, f"the seed briefing {briefing.source_path} names no issue"
    page, problems = tab(disk)
    page.goto(disk.url("index.html"))
    follow(page, page.get_by_role("main").get_by_role("link", name=briefing.title, exact=True))
    assert page.url == disk.url(briefing.output_path)
    assert page.get_by_role("heading", level=1).inner_text() == briefing.title
    # The attribution belongs with the title, in the briefing's header, not only somewhere in the body.
    attribution = page.locator("main header").first.inner_text()
    assert SEED_AUTHOR in attribution and SEED_PUBLICATION in attribution, attribution
    issue = issues[0]
    follow(page, page.get_by_role("region", name="Issues").get_by_role("link", name=issue.title, exact=True))
    assert page.url == disk.url(issue.output_path)
    assert page.get_by_role("heading", level=1).inner_text() == issue.title
    listed = page.get_by_role("region", name="Briefings on this issue")
    assert listed.get_by_role("link", name=briefing.title, exact=True).count() == 1
    assert not problems, "\n".join(problems)


def test_skip_link_is_first_tab_stop_and_moves_to_main(tab, disk):
    """Tab once from page load reaches a visible skip link; Enter takes focus to <main>."""
    page, problems = tab(disk)
    page.goto(disk.url("index.html"))
    page.keyboard.press("Tab")
    focused = page.evaluate("() => ({tag: document.activeElement.tagName, text: document.activeElement.textContent,"
                            " href: document.activeElement.getAttribute('href')})")
    assert focused["tag"] == "A" and "skip" in focused["text"].lower(), f"first Tab stop: {focused}"
    box = page.evaluate("() => document.activeElement.getBoundingClientRect().toJSON()")
    assert box["width"] > 0 and box["height"] > 0 and box["top"] >= 0, f"focused skip link is off screen: {box}"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.tagName === 'MAIN'", timeout=2000)
    assert page.url == disk.url("index.html") + focused["href"]
    assert not problems, "\n".join(problems)


def kind_cases() -> list:
    """(mode, page) pairs for the header test: a page of each depth of folder, where the relative links differ, from
    disk and over HTTP under the sub-path, and 404.html over HTTP (it only works there). Every page has the header of
    base.html, and test_links_resolve.py follows every link of every page to a file without a browser."""
    depths = ["index.html", "briefings/index.html", content_pages("briefings")[0]]
    return [pytest.param("disk", path, id=f"disk-{path}") for path in depths] + \
        [pytest.param("web", path, id=f"web-{path}") for path in [*depths, "404.html"]]


@pytest.mark.parametrize(("mode_name", "output_path"), kind_cases())
def test_header_links_open_pages(tab, request, mode_name, output_path):
    """Every link in the site header, on each kind of page, opens a page (a file, not a folder) with a <main>."""
    mode = request.getfixturevalue(mode_name)
    page, problems = tab(mode)
    page.goto(mode.url(output_path))
    count = page.get_by_role("banner").get_by_role("link").count()
    assert count >= 4, f"{output_path}: only {count} links in the header"
    for index in range(count):
        if index:
            page.goto(mode.url(output_path))
        link = page.get_by_role("banner").get_by_role("link").nth(index)
        name = link.inner_text()
        follow(page, link)
        assert page.url.startswith(mode.root) and page.url.endswith(".html"), f"{name!r} went to {page.url}"
        assert page.locator("main").count() == 1, f"{name!r} on {output_path} opened {page.url} with no <main>"
    assert not problems, "\n".join(problems)


def test_one_click_from_home_shows_what_a_person_said(tab, disk):
    """Home page, from disk: "Shamiso Mtisi" opens his page with his five quotes, each under its dated, linked briefing."""
    briefing, _ = find_seed_briefing()
    expected = [quote.text for quote in briefing.quotes if quote.speaker == SEED_SPEAKER]
    assert len(expected) == 5, f"the seed briefing quotes {SEED_SPEAKER} {len(expected)} times"
    page, problems = tab(disk)
    page.goto(disk.url("index.html"))
    follow(page, page.get_by_role("main").get_by_role("link", name=SEED_SPEAKER, exact=True))
    assert page.url.startswith(disk.root + "people/") and page.url.endswith("/index.html")
    assert page.get_by_role("heading", level=1).inner_text() == SEED_SPEAKER
    quotes = page.locator("main blockquote")
    assert quotes.all_inner_texts() == expected
    for number in range(len(expected)):
        group = quotes.nth(number).locator("xpath=ancestor::article[contains(@class, 'quoted-in')]")
        assert group.locator("time").get_attribute("datetime") == briefing.date.strftime("%Y-%m-%d")
        assert group.get_by_role("link", name=briefing.title, exact=True).count() == 1
    follow(page, page.get_by_role("main").get_by_role("link", name=briefing.title, exact=True).first)
    assert page.url == disk.url(briefing.output_path)
    assert not problems, "\n".join(problems)


def test_one_click_from_home_shows_the_briefings_of_a_country(tab, disk):
    """Home page, from disk: "Zimbabwe" opens its page, which lists the seed briefing."""
    briefing, _ = find_seed_briefing()
    page, problems = tab(disk)
    page.goto(disk.url("index.html"))
    follow(page, page.get_by_role("main").get_by_role("link", name=SEED_COUNTRY, exact=True))
    assert page.url == disk.url("countries/zw/index.html")
    assert page.get_by_role("heading", level=1).inner_text() == SEED_COUNTRY
    follow(page, page.get_by_role("main").get_by_role("link", name=briefing.title, exact=True))
    assert page.url == disk.url(briefing.output_path)
    assert not problems, "\n".join(problems)


def test_briefing_links_its_speakers_countries_and_organisations(tab, disk):
    """The seed briefing's pull quotes link to the speaker's page; its countries and organisations to theirs."""
    briefing, _ = find_seed_briefing()
    page, problems = tab(disk)
    page.goto(disk.url(briefing.output_path))
    captions = page.locator("main figure.pull-quote figcaption")
    assert captions.count() == len(briefing.quotes)
    follow(page, captions.first.get_by_role("link", name=SEED_SPEAKER, exact=True))
    assert page.get_by_role("heading", level=1).inner_text() == SEED_SPEAKER
    page.goto(disk.url(briefing.output_path))
    follow(page, page.get_by_role("region", name="Organisations").get_by_role("link", name="Kimberley Process", exact=True))
    assert page.get_by_role("heading", level=1).inner_text() == "Kimberley Process"
    assert page.get_by_role("link", name="www.kimberleyprocess.com").get_attribute("href") == "https://www.kimberleyprocess.com/"
    assert not problems, "\n".join(problems)


def test_index_filter_narrows_the_list_and_escape_brings_it_back(tab, disk):
    """On the countries index, typing narrows the list as you type, offline; Escape shows everything again."""
    page, problems = tab(disk)
    page.goto(disk.url("countries/index.html"))
    box = page.get_by_role("searchbox", name="Filter countries")
    everything = page.locator("#entity_list > li").count()
    box.press_sequentially("zimb")
    assert page.locator("#entity_list > li:visible").all_inner_texts() == [f"{SEED_COUNTRY} 1 briefing"]
    assert page.locator(".filter-status").inner_text() == f"1 of {everything} shown."
    box.fill("congo rep")  # every word must match, in any order, accents and case aside
    assert page.locator("#entity_list > li:visible a").all_inner_texts() == ["Democratic Republic of the Congo"]
    box.press("Escape")
    assert page.locator("#entity_list > li:visible").count() == everything > 1
    assert not problems, "\n".join(problems)


def test_index_without_javascript_lists_everything_and_hides_the_box(chromium, built_site):
    """Progressive enhancement: with scripts off there is no dead filter box, and the whole list shows."""
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(built_site.as_uri() + "/countries/index.html")
        assert page.get_by_role("searchbox").count() == 1  # only the header's search box
        assert page.locator("#entity_list > li:visible").count() == len(read_site(REPO, load_config(REPO)).countries)
    finally:
        context.close()
