"""Tests search: the index search.py builds, and the search page as a reader uses it in headless Chromium."""
from __future__ import annotations

import json
import random
import re
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broadside import search
from broadside.config import load_config
from broadside.pipeline import BuildOptions, build_site
from broadside.reader import read_site
from tests.helpers import make_project

SEED_TITLE = "KP Civil Society Coalition to approach UN over impasse on redefinition of conflict diamonds"
COTE_TITLE = "Cocoa, gold and diamonds in Côte d'Ivoire"
SCRIPT_TITLE = "Why a </script> tag in a title breaks naive sites"
FILLER = " ".join(["Delegates met again and talked at length about procedure."] * 12)
# Extra briefings for the fixture site: diacritics, a word deep in a body, ranking, and hostile text.
EXTRA = {
    "content/briefings/cote.md": f"""---
title: "{COTE_TITLE}"
date: 2019-05-01
summary: Sanctions on rough diamonds from the country were lifted in 2014.
issues: [alpha]
source:
  publication: Abidjan Wire
  author: Awa Koné
---
{FILLER}

At the very end the Tortiya fields are named.
""",
    "content/briefings/script.md": f"""---
title: '{SCRIPT_TITLE}'
date: 2018-02-02
summary: A summary that mentions </script><script>alert(1)</script> as text.
---
Writing `</script>` in a body is harmless here.
""",
    "content/briefings/marange-title.md": """---
title: Marange fields under military control
date: 2015-01-01
---
Soldiers patrol the area.
""",
    "content/briefings/marange-body.md": """---
title: A quiet plenary
date: 2022-01-01
---
Nobody mentioned Marange until the last day.
""",
    "content/briefings/antwerp-old.md": """---
title: Antwerp traders meet
date: 2016-03-01
---
Older.
""",
    "content/briefings/antwerp-new.md": """---
title: Antwerp traders meet bankers
date: 2018-03-01
---
Newer.
""",
}


def read_index(site: Path) -> dict:
    """The object search/index.js assigns, read back as JSON."""
    text = (site / "search" / "index.js").read_text(encoding="utf-8")
    prefix = f"window.{search.GLOBAL_NAME} = "
    assert text.startswith(prefix) and text.endswith(";\n"), text[:80]
    return json.loads(text[len(prefix):-2])


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The basic fixture site with the extra briefings."""
    return make_project(tmp_path_factory.mktemp("search"), files=EXTRA)


@pytest.fixture(scope="module")
def fixture_site(project) -> Path:
    """The fixture project built into a temporary folder."""
    output = project.parent / "site"
    build_site(BuildOptions(project=project, output=output))
    return output


@pytest.fixture(scope="module")
def fixture_index(fixture_site) -> dict:
    return read_index(fixture_site)


def record(index: dict, title: str) -> tuple[int, dict]:
    """The number and record of the briefing called `title`."""
    return next((number, item) for number, item in enumerate(index["briefings"]) if item["title"] == title)


# ---- The index ---------------------------------------------------------------------------------


def test_index_is_deterministic(project):
    """Two reads of the same project give byte-identical indexes."""
    first = search.build_search_index(read_site(project, load_config(project)))
    second = search.build_search_index(read_site(project, load_config(project)))
    assert first == second


def test_index_holds_what_a_result_shows(fixture_index):
    """Per briefing: link from the search page, title, both dates, summary, issue titles, source, opening text."""
    number, first = record(fixture_index, "First briefing: alpha & beta")
    assert first["url"] == "../briefings/first/index.html"
    assert (first["date"], first["shown"]) == ("2020-03-05", "5 March 2020")
    assert first["summary"] == "The first thing that happened."
    assert [fixture_index["issues"][i] for i in first["issues"]] == ["Alpha campaign", "Beta reform"]
    assert first["source"] == "The Daily Fixture · Ada Example"
    assert first["text"].startswith("What happened A paragraph with a link to the second briefing")
    dates = [item["date"] for item in fixture_index["briefings"]]
    assert dates == sorted(dates, reverse=True), "briefings are stored newest first"


def test_body_beyond_the_opening_words_is_indexed(fixture_index):
    """A word near the end of a long body is not stored as text but still finds its briefing."""
    number, cote = record(fixture_index, COTE_TITLE)
    assert "Tortiya" not in cote["text"] and cote["text"].endswith("…")
    at = fixture_index["terms"].index("tortiya")
    assert search.decode_numbers(fixture_index["postings"][at]) == [number]


def test_body_index_leaves_out_stop_words_and_words_already_shown(fixture_index):
    """Stop words, and words a briefing already has in its stored fields, cost nothing in the body index."""
    terms = fixture_index["terms"]
    assert "the" in fixture_index["stop"] and "the" not in terms
    number, cote = record(fixture_index, COTE_TITLE)
    with_number = {term for term, posting in zip(terms, fixture_index["postings"])
                   if number in search.decode_numbers(posting)}
    assert with_number and not with_number & set(search.words_of(cote["title"] + " " + cote["text"]))


def test_terms_are_sorted_as_javascript_compares_strings(fixture_index):
    terms = fixture_index["terms"]
    assert terms == sorted(terms, key=lambda term: term.encode("utf-16-be"))


def test_folding_ignores_case_and_diacritics():
    assert search.words_of("Côte d'Ivoire, SÉGUÉLA") == ["cote", "d", "ivoire", "seguela"]


def test_numbers_survive_encoding():
    numbers = [0, 1, 2, 31, 32, 33, 1000, 1001, 50_000]
    encoded = search.encode_numbers(numbers)
    assert search.decode_numbers(encoded) == numbers
    assert set(encoded) <= set(search.DIGITS)


def test_script_end_cannot_appear_in_the_index(fixture_site, fixture_index):
    """'</script>' in a title or summary is stored as \\u003c, and reads back unchanged."""
    raw = (fixture_site / "search" / "index.js").read_bytes()
    assert b"<" not in raw and b"\\u003c/script\\u003e" in raw
    number, item = record(fixture_index, SCRIPT_TITLE)
    assert "</script><script>alert(1)</script>" in item["summary"]


def test_opening_words_skip_a_summary_the_body_repeats():
    body = "The summary sentence. " + " ".join(f"w{n}" for n in range(100))
    text = search.opening_words(body, "The summary  sentence.")
    assert text.startswith("w0 w1") and text.endswith(f"w{search.OPENING_WORDS - 1} …")


def test_other_languages_get_no_english_stop_words(project):
    site = read_site(project, load_config(project))
    french = replace(site, config=replace(site.config, language="fr"))
    index = search.build_search_index(french).decode()
    assert '"stop":[]' in index


def test_shipped_site_has_a_search_page_and_index(built_site):
    index = read_index(built_site)
    assert [item["title"] for item in index["briefings"]].count(SEED_TITLE) == 1
    assert (built_site / "search" / "index.html").is_file()


# ---- In the browser ------------------------------------------------------------------------------


def expect(locator):
    """Playwright's auto-waiting assertions, imported late so the index tests run without Playwright."""
    from playwright.sync_api import expect as playwright_expect
    return playwright_expect(locator)


def watch(page, root: str) -> list[str]:
    """Record console errors and warnings, script errors, failed requests and requests leaving the site."""
    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(f"console {m.type}: {m.text}"))
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.on("request", lambda r: r.url.startswith(root) or problems.append(f"request outside the site: {r.url}"))
    return problems


@pytest.fixture
def browse(chromium):
    """Open a page at a site root in a fresh context that blocks other hosts: browse(root, js=True) -> (page, problems)."""
    contexts = []

    def open_page(root: str, javascript: bool = True):
        context = chromium.new_context(java_script_enabled=javascript)
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(root) else route.abort())
        contexts.append(context)
        page = context.new_page()
        return page, watch(page, root)

    yield open_page
    for context in contexts:
        context.close()


def search_page(browse, site: Path, query: str = ""):
    """The fixture's search page from disk, with `query` typed into its box and the results shown."""
    root = site.as_uri() + "/"
    page, problems = browse(root)
    page.goto(root + "search/index.html")
    if query:
        page.get_by_role("searchbox", name="Search briefings").fill(query)
        expect(status_of(page)).not_to_contain_text("newest first")
    return page, problems


def status_of(page):
    """The live region that announces the number of results."""
    return page.locator("[aria-live=polite]")


def result_titles(page) -> list[str]:
    return page.locator("#search_results li > a").all_inner_texts()


@pytest.mark.parametrize("mode", ["disk", "web"])
def test_header_search_finds_the_seed_briefing(browse, built_site, served_site, mode):
    """From the home page: type in the header box, press Enter, see the seed briefing highlighted, open it."""
    root = built_site.as_uri() + "/" if mode == "disk" else served_site
    page, problems = browse(root)
    page.goto(root + "index.html")
    box = page.get_by_role("banner").get_by_role("searchbox")
    box.press_sequentially("Kimberley")
    with page.expect_navigation(wait_until="load"):
        box.press("Enter")
    assert page.url == root + "search/index.html?q=Kimberley"
    expect(page.get_by_role("searchbox", name="Search briefings")).to_have_value("Kimberley")
    expect(status_of(page)).to_contain_text(re.compile(r"briefings? match(es)? “Kimberley”"))
    result = page.locator("#search_results li").filter(has=page.get_by_role("link", name=SEED_TITLE, exact=True))
    expect(result).to_have_count(1)
    assert "Kimberley" in result.locator("mark").all_inner_texts()
    with page.expect_navigation(wait_until="load"):
        result.get_by_role("link", name=SEED_TITLE, exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == SEED_TITLE
    assert page.url.startswith(root + "briefings/") and page.url.endswith("/index.html")
    assert not problems, "\n".join(problems)


def test_no_match_is_announced(browse, fixture_site):
    page, problems = search_page(browse, fixture_site, "xyzzyplugh")
    expect(status_of(page)).to_contain_text("No briefings match “xyzzyplugh”")
    assert result_titles(page) == []
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("query", ["cote d'ivoire", "CÔTE D’IVOIRE", "côte"])
def test_diacritics_and_case_do_not_matter(browse, fixture_site, query):
    page, problems = search_page(browse, fixture_site, query)
    assert result_titles(page) == [COTE_TITLE]
    marks = page.locator("#search_results li").first.locator("mark").all_inner_texts()
    assert marks[0] in ("Côte d'Ivoire", "Côte")
    assert not problems, "\n".join(problems)


def test_the_last_word_is_a_prefix_and_every_word_must_match(browse, fixture_site):
    page, problems = search_page(browse, fixture_site, "antw")
    assert result_titles(page) == ["Antwerp traders meet bankers", "Antwerp traders meet"]  # a tie: newest first
    page.get_by_role("searchbox", name="Search briefings").fill("antwerp bankers")
    expect(status_of(page)).to_contain_text("1 briefing matches")
    assert result_titles(page) == ["Antwerp traders meet bankers"]
    assert not problems, "\n".join(problems)


def test_a_title_hit_ranks_above_a_body_hit(browse, fixture_site):
    """The older briefing with Marange in its title comes before the newer one with it only in the body."""
    page, problems = search_page(browse, fixture_site, "marange")
    assert result_titles(page) == ["Marange fields under military control", "A quiet plenary"]
    assert not problems, "\n".join(problems)


def test_a_word_deep_in_a_body_is_found(browse, fixture_site):
    page, problems = search_page(browse, fixture_site, "tortiya")
    assert result_titles(page) == [COTE_TITLE]
    assert not problems, "\n".join(problems)


def test_index_with_script_end_is_valid_javascript(browse, fixture_site, fixture_index):
    """The index loads as a script, sets its global, and hostile text is shown as text."""
    page, problems = search_page(browse, fixture_site, "naive")
    titles = page.evaluate(f"() => window.{search.GLOBAL_NAME}.briefings.map(b => b.title)")
    assert titles == [item["title"] for item in fixture_index["briefings"]]
    assert result_titles(page) == [SCRIPT_TITLE]
    assert page.locator("#search_results script").count() == 0
    assert not problems, "\n".join(problems)


def test_keyboard_escape_clears_and_results_are_links(browse, fixture_site):
    """Tab from the box reaches the button and then the first result; Escape empties the box and lists everything."""
    page, problems = search_page(browse, fixture_site, "marange")
    box = page.get_by_role("searchbox", name="Search briefings")
    assert re.search(r"\?q=marange$", page.url), page.url
    box.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Marange fields under military control"
    box.focus()
    page.keyboard.press("Escape")
    expect(box).to_have_value("")
    expect(status_of(page)).to_contain_text("newest first")
    assert len(result_titles(page)) == len(read_index(fixture_site)["briefings"])
    assert not page.url.endswith("?q=marange")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("which", ["shipped", "fixture"])
def test_without_javascript_every_briefing_is_listed(browse, built_site, fixture_site, which):
    site = built_site if which == "shipped" else fixture_site
    root = site.as_uri() + "/"
    page, problems = browse(root, javascript=False)
    page.goto(root + "search/index.html?q=anything")
    expected = [item["title"] for item in read_index(site)["briefings"]]
    assert result_titles(page) == expected
    hrefs = page.locator("#search_results li > a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == [item["url"] for item in read_index(site)["briefings"]]
    assert not problems, "\n".join(problems)


def test_a_name_also_offers_the_page_of_that_person(browse, built_site):
    """Searching the shipped site for a speaker's surname offers his page above the briefings that quote him."""
    page, problems = search_page(browse, built_site, "mtisi")
    named = page.get_by_role("region", name="People, countries and organisations")
    expect(named.get_by_role("link", name="Shamiso Mtisi", exact=True)).to_have_count(1)
    expect(status_of(page)).to_contain_text("Also 1 person, country or organisation.")
    assert result_titles(page) == [SEED_TITLE]
    with page.expect_navigation(wait_until="load"):
        named.get_by_role("link", name="Shamiso Mtisi", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Shamiso Mtisi"
    assert not problems, "\n".join(problems)


def test_names_are_matched_by_short_names_and_codes_and_hidden_without_a_match(browse, fixture_site):
    page, problems = search_page(browse, fixture_site, "kp")
    named = page.get_by_role("region", name="People, countries and organisations")
    assert named.get_by_role("link").all_inner_texts() == ["Kimberley Process"]
    page.get_by_role("searchbox", name="Search briefings").fill("marange")
    expect(status_of(page)).to_contain_text("briefings match “marange”")
    expect(named).to_be_hidden()
    assert not problems, "\n".join(problems)


def test_index_lists_people_countries_and_organisations(fixture_index):
    kinds = [(item["kind"], item["name"]) for item in fixture_index["entities"]]
    assert kinds == [("person", "Ada Speaker"), ("country", "Democratic Republic of the Congo"), ("country", "Zimbabwe"),
                     ("organisation", "Fixture Coalition"), ("organisation", "Kimberley Process")]
    assert fixture_index["entities"][0] == {"kind": "person", "name": "Ada Speaker", "aliases": ["Speaker"],
                                            "url": "../people/ada-speaker/index.html", "about": "Person · 2 quotes"}


def test_an_edit_updates_the_body_index_as_a_full_inversion_would():
    """The index kept between builds is changed in place for an edit: it must equal inverting everything again."""
    rng = random.Random(7)
    vocabulary = [f"word{n}" for n in range(60)]
    def terms():
        return " ".join(rng.sample(vocabulary, rng.randint(0, 12)))
    slots = [(("b", n, -1), ({}, terms())) for n in range(40)]
    inverted = search.update_inverted(None, {}, dict(slots))
    for step in range(30):
        memo = {**dict(slots), search.INVERTED: inverted}
        for n in rng.sample(range(40), rng.randint(1, 3)):  # one to three briefings edited in place
            slots[n] = (("b", n, step), ({}, terms()))
        inverted = search.update_inverted(inverted, memo, dict(slots))
        fresh = search.update_inverted(None, {}, dict(slots))
        assert inverted.encoded == fresh.encoded and inverted.keys == fresh.keys
        for term, encoded in fresh.encoded.items():
            numbers = search.decode_numbers(encoded)
            assert numbers and numbers == sorted(set(numbers))
            assert numbers == [n for n, (_, (_, terms)) in enumerate(slots) if term in terms.split()]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_folding_drops_exactly_the_marks_nfd_splits_off(text):
    """Lower case, decomposed, every combining mark removed: what search.js does to a query."""
    expected = "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.category(c).startswith("M"))
    assert search.fold(text) == expected
    assert search.fold(text + " “quoted” — e\u0301") == expected + " “quoted” — e"
