"""Tests that every kind of page passes axe-core in Chromium, in light and dark colour schemes, and works from the keyboard alone.

Two sites: the shipped one opened from disk, and a generated preview (drafts and scheduled briefings shown, lists
long enough to paginate) served under a sub-path as on GitHub Pages. The 404 page is opened at an unknown address
over HTTP, the only way it is ever shown.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from broadside import renderer
from broadside.languages import split_name
from broadside.pipeline import BuildOptions, build_site
from tests.conftest import require_tool, serve_under_sub_path
from tests.helpers import make_project

REPO = Path(__file__).resolve().parents[1]
# Every WCAG 2.0, 2.1 and 2.2 rule of level A and AA (2.2 adds target size), and axe's best practices.
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")
SCHEMES = ("light", "dark")
UNKNOWN_ADDRESS = "no/such/deep/page.html"  # GitHub Pages answers it with 404.html


def first_page(kind: str) -> str:
    """The page of the first content/<kind>/*.md of the shipped site in its default language."""
    slugs = sorted(slug for slug, lang in (split_name(path.stem) for path in (REPO / "content" / kind).glob("*.md"))
                   if not lang)
    return f"{kind}/{slugs[0]}/index.html"


# Kind of page -> address relative to the site root; 404 is an address the site does not have.
SHIPPED_PAGES = {
    "home": "index.html",
    "briefing": first_page("briefings"),
    "issue": first_page("issues"),
    "issue-index": "issues/index.html",
    "all-briefings": "briefings/index.html",
    "archive": "archive/index.html",
    "archive-year": "archive/2021/index.html",
    "search": "search/index.html",
    "search-results": "search/index.html?q=kimberley",  # matches organisations too: their box shows
    "people-index": "people/index.html",
    "person": "people/shamiso-mtisi/index.html",
    "country-index": "countries/index.html",
    "country": "countries/zw/index.html",
    "organisation-index": "organisations/index.html",
    "organisation": "organisations/kimberley-process/index.html",
    "pack-index": "packs/index.html",
    "pack": first_page("packs"),
    "french-home": "fr/index.html",
    "french-briefing": "fr/" + first_page("briefings"),
    "french-search-results": "fr/search/index.html?q=diamants",
    "404": UNKNOWN_ADDRESS,
}
PREVIEW_PAGES = {
    "home": "index.html",
    "home-page-2": "page/2/index.html",
    "briefing": "briefings/first/index.html",          # table, footnote, source link, related, older/newer
    "draft-briefing": "briefings/gen-03/index.html",   # the Draft flag in its header
    "scheduled-briefing": "briefings/later/index.html",
    "issue": "issues/alpha/index.html",                # status, asks, paginated briefings
    "issue-page-2": "issues/alpha/page/2/index.html",
    "issue-without-briefings": "issues/gamma/index.html",
    "issue-index": "issues/index.html",
    "all-briefings": "briefings/index.html",
    "all-briefings-page-2": "briefings/page/2/index.html",
    "archive": "archive/index.html",
    "archive-year": "archive/2019/index.html",                # months, drafts flagged
    "search-results": "search/index.html?q=briefing",
    "search-results-with-typo": "search/index.html?q=generatd",
    "search-results-with-names": "search/index.html?q=reporter",  # a person and bylines
    "people-index": "people/index.html",
    "people-index-page-2": "people/page/2/index.html",  # the index paginated by name (one a page in this site)
    "person": "people/ada-speaker/index.html",              # quotes in two briefings, another spelling
    "person-with-generated-quotes": "people/rue-reporter/index.html",
    "country-index": "countries/index.html",
    "country": "countries/zw/index.html",                  # a statement by the country, paginated briefings
    "country-page-2": "countries/zw/page/2/index.html",
    "organisation-index": "organisations/index.html",
    "organisation": "organisations/kimberley-process/index.html",  # website, short name, a statement
    "organisation-without-website": "organisations/fixture-coalition/index.html",
    "404": UNKNOWN_ADDRESS,
}


def preview_files() -> dict[str, str]:
    """Briefings and an issue added to the basic fixture site (page_size 2): drafts, a scheduled one, rich bodies."""
    files = {}
    for n in range(10):
        draft = "true" if n == 3 else "false"
        files[f"content/briefings/gen-{n:02}.md"] = (
            f"---\ntitle: Generated briefing {n}\ndate: 2019-0{1 + n % 9}-1{n}\n"
            f"summary: What happened in part {n}.\nissues: [{'alpha' if n % 2 else 'alpha, beta'}]\ndraft: {draft}\n"
            f"source:\n  publication: Wire {n}\n  author: Reporter {n}\n  url: https://news.example/{n}\n"
            f"countries: [ZW]\nquotes:\n- text: Quoted sentence {n}.\n  speaker: Rue Reporter\n  role: Role {n % 2}\n---\n"
            f"## Part {n}\n\nText of briefing {n}, with a [link](first.md) and `code`.\n\n"
            f"> A quoted sentence from the source.\n\n1. one\n2. two\n\n---\n\n*Emphasis* and **strong**.\n")
    files["content/briefings/later.md"] = (
        "---\ntitle: Later\ndate: 2999-01-01\nsummary: Not yet.\nissues: [alpha]\n---\nSoon.\n")
    files["content/issues/gamma.md"] = "---\ntitle: Gamma watch\nsummary: Nothing yet.\nkeywords: [gamma]\n---\nSoon.\n"
    return files


def find_axe() -> Path | None:
    """axe-core's axe.min.js: $AXE_JS if set, else where `npm install -g axe-core` puts it."""
    if os.environ.get("AXE_JS"):
        return Path(os.environ["AXE_JS"])
    npm = shutil.which("npm")
    if npm is None:
        return None
    root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, check=False).stdout.strip()
    return Path(root, "axe-core", "axe.min.js") if root else None


@pytest.fixture(scope="module")
def axe_js() -> Path:
    """The axe-core script, injected into each page from disk: no request leaves the machine."""
    script = find_axe()
    require_tool(script is not None and script.is_file(), f"axe-core ({script})", "run `bash .ci/setup` (npm package axe-core)")
    return script


@pytest.fixture(scope="module")
def preview_site(tmp_path_factory) -> str:
    """The generated site, built as `serve` previews it and served under /briefings-site/; gives its base URL."""
    root = tmp_path_factory.mktemp("a11y")
    project = make_project(root, files=preview_files())
    output = root / "site"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(renderer, "INDEX_PAGE_SIZE", 1)  # the indexes in pages (two each), as a large site's
        with serve_under_sub_path(output, lambda base_url: build_site(BuildOptions(
                project=project, output=output, base_url=base_url, drafts=True, future=True, use_cache=False))) as base_url:
            yield base_url


@pytest.fixture(scope="module")
def roots(built_site, served_site, preview_site) -> dict[str, str]:
    """Where each site is opened: the shipped one from disk (its 404 page over HTTP), the preview over HTTP."""
    return {"shipped": built_site.as_uri() + "/", "shipped-404": served_site, "preview": preview_site}


def address(roots: dict[str, str], site: str, path: str) -> str:
    """The URL of a page of `site` ("shipped" or "preview")."""
    if site == "shipped" and path == UNKNOWN_ADDRESS:
        return roots["shipped-404"] + path
    return roots[site] + path


@pytest.fixture(scope="module")
def contexts(chromium, roots):
    """One browser context per colour scheme; any request outside the sites is refused."""
    yield from scheme_contexts(chromium, tuple(roots.values()))


def scheme_contexts(chromium, allowed: tuple[str, ...]):
    """Yield one browser context per colour scheme (with_axe), refusing any request whose URL does not start with
    `allowed`; close them after."""
    opened = {}
    for scheme in SCHEMES:
        context = with_axe(chromium.new_context(color_scheme=scheme))
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(allowed) else route.abort())
        opened[scheme] = context
    yield opened
    for context in opened.values():
        context.close()


@pytest.fixture
def tab(contexts):
    """Open a page in a colour scheme's context; closed after the test. Call as tab(scheme)."""
    pages = []

    def open_tab(scheme: str = "light"):
        pages.append(contexts[scheme].new_page())
        return pages[-1]

    yield open_tab
    for page in pages:
        page.close()


def open_page(page, url: str) -> None:
    """Load a page and wait until search results, if it asks for them, are on screen."""
    page.goto(url, wait_until="load")
    if "search/index.html?q=" in url:  # the count is announced, in the page's language, with the first results
        page.wait_for_function("() => document.getElementById('search_status').textContent.trim() !== ''"
                               " && document.querySelector('.search-result-title') !== null", timeout=5000)
        assert page.locator(".search-result-title").count() > 0, f"no search results on {url}"


def with_axe(context):
    """The context, its pages given axe-core (when installed) as they load: the browser then compiles the script
    once for all of them, where adding it to each page took a third of a second a page."""
    script = installed_axe()
    if script is not None:
        context.add_init_script(path=str(script))
    return context


@functools.cache
def installed_axe() -> Path | None:
    """find_axe's script if it is there; asked once per process."""
    script = find_axe()
    return script if script is not None and script.is_file() else None


def run_axe(page, axe_js: Path) -> list[dict]:
    """axe-core's violations on the loaded page, each with its rule, impact, help and offending nodes."""
    if not page.evaluate("() => typeof axe === 'object'"):  # a context not made by with_axe
        page.add_script_tag(path=str(axe_js))
    return page.evaluate("""async (tags) => {
        const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                                      summary: (n.failureSummary || '').replace(/\\s+/g, ' ')}))}));
    }""", list(AXE_TAGS))


def describe_violations(violations: list[dict]) -> str:
    """One block per violated rule: id, impact, help, then each node's selector, markup and what is wrong."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines += [f"    {n['target']}  {n['html']}\n        {n['summary']}" for n in v["nodes"]]
    return "\n".join(lines)


def axe_cases() -> list:
    """(site, kind of page, scheme) for every page of both sites in both colour schemes."""
    return [pytest.param(site, kind, path, scheme, id=f"{site}-{kind}-{scheme}")
            for site, pages in (("shipped", SHIPPED_PAGES), ("preview", PREVIEW_PAGES))
            for kind, path in pages.items() for scheme in SCHEMES]


@pytest.mark.parametrize(("site", "kind", "path", "scheme"), axe_cases())
def test_page_has_no_axe_violations(tab, roots, axe_js, site, kind, path, scheme):
    """axe-core finds 0 violations of any impact, with the theme's styles applied in the asked colour scheme."""
    page = tab(scheme)
    open_page(page, address(roots, site, path))
    seen = page.evaluate("""() => ({dark: matchMedia('(prefers-color-scheme: dark)').matches,
                                    background: getComputedStyle(document.body).backgroundColor})""")
    assert seen["dark"] == (scheme == "dark") and seen["background"] != "rgba(0, 0, 0, 0)", \
        f"{kind}: page not shown styled in the {scheme} scheme: {seen}"
    violations = run_axe(page, axe_js)
    assert not violations, (f"{len(violations)} axe rules violated on {site} {kind} ({scheme}), {page.url}:\n"
                            + describe_violations(violations))


# What the preview's pages must hold, so that axe looks at every part of the theme: kind of page -> markup.
PREVIEW_FEATURES = {
    "draft-briefing": ['<strong class="flag">Draft</strong>', "<blockquote>", '<nav class="pager"'],
    "scheduled-briefing": ['<strong class="flag">Scheduled</strong>'],
    "briefing": ["<table>", 'class="footnote', '<section class="block related"', '<p class="byline">',
                 '<figure class="pull-quote">', '<figcaption class="unnamed">', 'aria-labelledby="briefing_countries"',
                 'aria-labelledby="briefing_organisations"'],
    "home": ['<nav class="pagination"', 'class="card issue-card"', "No briefings yet", 'id="people_quoted"',
             'id="home_countries"'],
    "issue": ['<section class="asks"', '<span class="status">', '<nav class="pagination"', 'id="issue_quotes"',
              '<h4 class="timeline-month">'],
    "person": ['class="quoted-in"', "Also written as"],
    "country": ['id="entity_statements"', '<nav class="pagination"'],
    "organisation": ['<p class="follow">Website:', 'id="entity_statements"', "Also written as"],
    "people-index": ['<div class="filter"', 'class="entity-list"', '<nav class="pagination"', 'rel="next">Next'],
    "people-index-page-2": ['class="entity-list"', 'rel="prev"', 'aria-current="page">2<'],
    "all-briefings": ['<strong class="flag">Scheduled</strong>'],
    "all-briefings-page-2": ['<nav class="pagination"', 'aria-current="page">2<'],
}


@pytest.mark.parametrize("kind", list(PREVIEW_FEATURES))
def test_preview_pages_hold_every_part_of_the_theme(roots, kind):
    """The pages axe checks show drafts, scheduled briefings, pagination, tables, asks: a clean run covers them."""
    with urllib.request.urlopen(address(roots, "preview", PREVIEW_PAGES[kind]), timeout=10) as response:
        html = response.read().decode()
    missing = [part for part in PREVIEW_FEATURES[kind] if part not in html]
    assert not missing, f"{kind} ({PREVIEW_PAGES[kind]}) lacks {missing}"


# ---- Keyboard ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(PREVIEW_PAGES))
def test_skip_link_is_first_tab_stop_and_moves_focus_to_main(tab, roots, kind):
    """On every kind of page the first Tab reaches a visible skip link, and Enter puts focus on <main>."""
    page = tab()
    open_page(page, address(roots, "preview", PREVIEW_PAGES[kind]))
    page.keyboard.press("Tab")
    focused = page.evaluate("""() => {
        const el = document.activeElement, box = el.getBoundingClientRect();
        return {tag: el.tagName, text: el.textContent, top: box.top, bottom: box.bottom, width: box.width};
    }""")
    assert focused["tag"] == "A" and "skip" in focused["text"].lower(), f"first Tab stop on {kind}: {focused}"
    assert focused["width"] > 0 and 0 <= focused["top"] and focused["bottom"] <= page.viewport_size["height"], \
        f"focused skip link is not on screen: {focused}"
    # The skip link must move focus within the page the reader is on, not load a fresh copy of it.
    page.evaluate("() => { window.notReloaded = true; }")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement === document.querySelector('main')", timeout=3000)
    same_page = page.evaluate("() => window.notReloaded === true")
    page.keyboard.press("Tab")
    inside = page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    assert inside, f"{kind}: the Tab after the skip link left <main>"
    assert same_page, f"{kind}: the skip link loaded another page: {page.url}"


# The look of focus: what :focus-visible may change.
FOCUS_LOOK_JS = """(el) => {
    const s = getComputedStyle(el);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join(' | ');
}"""

WALK_JS = """() => {
    const look = %s;
    const kind = (el) => el.matches('.skip-link') ? 'skip link'
        : el.matches('.pagination a') ? 'pagination link'
        : el.matches('.search-result-title') ? 'search result link'
        : el.matches('#entity_filter') ? 'filter input'
        : el.matches('input[type=search]') ? 'search input'
        : el.matches('form[role=search] button') ? 'search button'
        : el.tagName === 'A' ? 'link' : el.tagName.toLowerCase();
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                 (el.className ? '.' + String(el.className).trim().split(/\\s+/).join('.') : '') +
                 ' "' + (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 40) + '"';
    return {element: el, name, kind: kind(el), focused: look(el), unfocused: window.__unfocusedLook.get(el)};
}""" % FOCUS_LOOK_JS

# (site, page) -> the kinds of focusable element it must show; all together cover every kind the theme has.
FOCUS_PAGES = {
    ("preview", "page/2/index.html"): {"skip link", "link", "pagination link", "search input", "search button"},
    ("preview", "briefings/first/index.html"): {"link"},
    ("preview", "issues/alpha/page/2/index.html"): {"link", "pagination link"},
    ("preview", "archive/index.html"): {"link"},
    ("preview", "countries/index.html"): {"skip link", "link", "search input", "filter input"},
    ("shipped", "search/index.html?q=kimberley"): {"skip link", "link", "search input", "search button",
                                                    "search result link"},
}


def walk_tab_stops(page) -> list[dict]:
    """Press Tab through the whole page; for each stop, its kind and its look focused and unfocused."""
    page.evaluate("""() => {
        const look = %s;
        window.__unfocusedLook = new Map();
        for (const el of document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]'))
            window.__unfocusedLook.set(el, look(el));
    }""" % FOCUS_LOOK_JS)
    stops, seen = [], set()
    for _ in range(300):
        page.keyboard.press("Tab")
        stop = page.evaluate(f"() => {{ const s = ({WALK_JS})(); if (s) delete s.element; return s; }}")
        if stop is None or stop["name"] in seen and stop["name"] == stops[0]["name"]:
            break
        seen.add(stop["name"])
        stops.append(stop)
    return stops


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(("site", "path"), list(FOCUS_PAGES), ids=lambda value: str(value))
def test_focus_is_visible_on_every_tab_stop(tab, roots, site, path, scheme):
    """Every element Tab reaches looks different when focused (outline or shadow), and every kind is reached."""
    page = tab(scheme)
    open_page(page, address(roots, site, path))
    stops = walk_tab_stops(page)
    invisible = [s for s in stops if s["unfocused"] is None or s["focused"] == s["unfocused"]
                 or s["focused"].startswith("none") and s["focused"].endswith("| none")]
    assert not invisible, "no visible focus on:\n" + "\n".join(f"  {s['name']}: {s['focused']}" for s in invisible)
    missing = FOCUS_PAGES[(site, path)] - {s["kind"] for s in stops}
    assert not missing, f"Tab never reached a {sorted(missing)} on {path}; stops: {[s['name'] for s in stops]}"


def tab_to(page, selector: str, limit: int = 30) -> int:
    """Press Tab until the element matching `selector` has focus; gives the number of presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"{limit} Tab presses never reached {selector} on {page.url}")


def test_search_page_works_without_a_mouse(tab, roots):
    """Tab to the search box, type, see results, Tab to the first result and open it with Enter."""
    page = tab()
    page.goto(address(roots, "shipped", "search/index.html"))
    tab_to(page, "#search_query")
    page.keyboard.type("kimberley")
    page.wait_for_function("() => /match/.test(document.getElementById('search_status').textContent)", timeout=5000)
    first = page.locator("#search_results .search-result-title").first
    target = first.get_attribute("href")
    title = first.inner_text()
    # The organisations the words name come first (Kimberley Process, ...): one Tab stop each, then the briefings.
    names = page.locator("#search_entity_results a").count()
    presses = tab_to(page, "#search_results li:first-child .search-result-title", limit=3 + names)
    assert presses <= 2 + names, f"{presses} Tab presses from the box to the first result, past {names} names"
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    assert page.url == address(roots, "shipped", "search/" + target).replace("search/../", "")
    assert page.get_by_role("heading", level=1).inner_text() == title


def test_escape_clears_the_search_box(tab, roots):
    """Escape in the search box empties it and the results."""
    page = tab()
    page.goto(address(roots, "preview", "search/index.html"))
    tab_to(page, "#search_query")
    page.keyboard.type("third")
    page.wait_for_function("() => /match/.test(document.getElementById('search_status').textContent)", timeout=5000)
    assert page.locator("#search_results li").count() > 0
    page.keyboard.press("Escape")
    assert page.input_value("#search_query") == ""
    assert page.locator("#search_results li").count() == 0 and page.inner_text("#search_status") == ""
    assert page.evaluate("() => document.activeElement.id") == "search_query", "Escape moved focus out of the box"


def test_header_search_box_works_without_a_mouse(tab, roots):
    """From any page: Tab to the header's search box, type, Enter opens the search page with the results."""
    page = tab()
    page.goto(address(roots, "shipped", "index.html"))
    tab_to(page, "#site_search_query")
    page.keyboard.type("kimberley")
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    assert page.url.startswith(address(roots, "shipped", "search/index.html?q=kimberley"))
    page.wait_for_function("() => /match/.test(document.getElementById('search_status').textContent)", timeout=5000)
    assert page.locator("#search_results .search-result-title").count() > 0


# ---- Images -----------------------------------------------------------------------------------------------------

def test_image_without_alt_text_is_a_build_warning(tmp_path):
    """An image with no text alternative is a warning at its line; a described or explicitly decorative one is not."""
    body = ("Text.\n\n"
            "![](https://example.org/a.png)\n\n"                               # line 8: no description
            "<img src=\"https://example.org/b.png\">\n\n"                     # line 10: no alt at all
            "![A chart of exports](https://example.org/c.png)\n\n"            # described
            "<img src=\"https://example.org/d.png\" alt=\"\">\n")             # decorative, on purpose
    project = make_project(tmp_path, files={
        "content/briefings/pictures.md": f"---\ntitle: Pictures\ndate: 2020-01-01\nissues: [alpha]\n---\n{body}"})
    summary = build_site(BuildOptions(project=project, output=tmp_path / "site", use_cache=False))
    about_alt = sorted((w.path, w.line) for w in summary.warnings if "alt" in w.message.lower())
    assert about_alt == [("content/briefings/pictures.md", 8), ("content/briefings/pictures.md", 10)], summary.warnings
