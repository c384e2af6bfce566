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
from broadside.model import Body
from broadside.pipeline import BuildOptions, build_site
from broadside.reader import read_site
from broadside.workers import step
from tests.helpers import make_project, manifest

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
    "content/briefings/kimberly-town.md": """---
title: Kimberly town council meets
date: 2011-06-01
---
A council in another country, spelt without the second e.
""",
    "content/briefings/kimberley-plenary.md": """---
title: Kimberley plenary closes without consensus
date: 2023-11-10
---
Delegates from Angola and Zimbabwe left early.
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
    """The manifest search/index.js assigns, read back as JSON."""
    text = (site / "search" / "index.js").read_text(encoding="utf-8")
    prefix = f"window.{search.GLOBAL_NAME} = "
    assert text.startswith(prefix) and text.endswith(";\n"), text[:80]
    return json.loads(text[len(prefix):-2])


def read_shard(path: Path):
    """The data a shard script registers, read back as JSON."""
    text = path.read_text(encoding="utf-8")
    name = path.relative_to(path.parents[1]).with_suffix("").as_posix()
    prefix = f"window.{search.SHARDS_NAME} = window.{search.SHARDS_NAME} || {{}};\nwindow.{search.SHARDS_NAME}[\"{name}\"] = "
    assert text.startswith(prefix) and text.endswith(";\n"), text[:160]
    return json.loads(text[len(prefix):-2])


def records_of(site: Path) -> list[dict]:
    """Every briefing's record, by number (oldest first)."""
    index = read_index(site)
    return [record for number in range(len(index["records"]))
            for record in read_shard(site / "search" / "briefings" / f"{number}.js")]


def postings_of(site: Path) -> dict[str, tuple[list[int], list[int]]]:
    """Every indexed term with the numbers of the briefings holding it in the title and elsewhere."""
    found = {}
    for name, token in read_index(site)["terms"].values():
        shard = read_shard(site / "search" / "terms" / f"{name}.js")
        for term, title, other in zip(shard["terms"], shard["title"], shard["other"]):
            found[term] = (search.decode_numbers(title) if title else [], search.decode_numbers(other) if other else [])
    return found


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
def fixture_records(fixture_site) -> list[dict]:
    return records_of(fixture_site)


def record(records: list[dict], title: str) -> tuple[int, dict]:
    """The number and record of the briefing called `title`."""
    return next((number, item) for number, item in enumerate(records) if item["title"] == title)


def index_files(project: Path) -> dict[str, bytes]:
    """Every file of the fixture project's index, made."""
    site = read_site(project, load_config(project))
    return {path: file.make() for path, file in search.search_files(search.SearchSource.of_site(site)).items()}


# ---- The index ---------------------------------------------------------------------------------


def test_index_is_deterministic_and_each_digest_stands_for_its_bytes(project):
    """Two reads of the same project give byte-identical files; a file's digest changes only with its bytes."""
    first, second = index_files(project), index_files(project)
    assert first == second
    assert "search/index.js" in first and "search/briefings/0.js" in first and "search/terms/ki.js" in first
    site = read_site(project, load_config(project))
    digests = {path: file.digest for path, file in search.search_files(search.SearchSource.of_site(site)).items()}
    assert len(set(digests.values())) == len(digests)


def test_index_holds_what_a_result_shows(fixture_site, fixture_records):
    """Per briefing: link from the search page, title, both dates, summary, issue numbers, source, opening text."""
    index = read_index(fixture_site)
    number, first = record(fixture_records, "First briefing: alpha & beta")
    assert first["url"] == "../briefings/first/index.html"
    assert (first["date"], first["shown"]) == ("2020-03-05", "5 March 2020")
    assert first["summary"] == "The first thing that happened."
    assert [index["issues"][i] for i in first["issues"]] == ["Alpha campaign", "Beta reform"]
    assert first["source"] == "The Daily Fixture · Ada Example"
    assert first["text"].startswith("What happened A paragraph with a link to the second briefing")
    dates = [item["date"] for item in fixture_records]
    assert dates == sorted(dates), "briefings are numbered oldest first"
    assert index["count"] == len(fixture_records) and index["perShard"] == search.RECORDS_PER_SHARD


def test_title_words_and_the_rest_are_posted_apart(fixture_site, fixture_records):
    """A word of the title is posted as a title hit; a word near the end of a long body, not stored as text, elsewhere."""
    postings = postings_of(fixture_site)
    number, cote = record(fixture_records, COTE_TITLE)
    assert "Tortiya" not in cote["text"] and cote["text"].endswith("…")
    assert postings["tortiya"] == ([], [number])
    title_hits, other_hits = postings["cocoa"]
    assert number in title_hits and number not in other_hits
    assert number in postings["sanctions"][1]  # from the summary


def test_stop_words_are_left_out_and_each_shard_holds_its_key(fixture_site):
    index = read_index(fixture_site)
    assert "the" in index["stop"] and "the" not in postings_of(fixture_site)
    for key, (name, _) in index["terms"].items():
        shard = read_shard(fixture_site / "search" / "terms" / f"{name}.js")
        assert all(term.startswith(key) for term in shard["terms"])
        assert shard["terms"] == sorted(shard["terms"], key=lambda term: term.encode("utf-16-be"))


def test_a_key_outside_ascii_gets_a_safe_file_name():
    assert search.shard_name("ki") == "ki"
    assert search.shard_name("зи") == "_00437_00438"
    assert search.term_path("fr/search", "é1") == "fr/search/terms/_000e91.js"


def test_folding_ignores_case_and_diacritics():
    assert search.words_of("Côte d'Ivoire, SÉGUÉLA") == ["cote", "d", "ivoire", "seguela"]


def test_numbers_survive_encoding():
    numbers = [0, 1, 2, 31, 32, 33, 1000, 1001, 50_000]
    encoded = search.encode_numbers(numbers)
    assert search.decode_numbers(encoded) == numbers
    assert set(encoded) <= set(search.DIGITS)


def test_inverting_as_the_terms_come_encodes_as_encode_numbers_does():
    """The full inversion codes each term's numbers as it goes; gaps past the table of small codes too."""
    held = ["kp diamonds", "", "kp", *[""] * 1500, "diamonds kp", *[""] * 40_000, "kp"]
    numbers = {term: [n for n, terms in enumerate(held) if term in terms.split()] for term in ("kp", "diamonds")}
    assert search.invert_terms(held) == {term: search.encode_numbers(found) for term, found in numbers.items()}


def test_the_index_is_found_a_step_at_a_time(project, monkeypatch):
    """A build's parent indexes between looks at its workers: a step every INDEX_STEP briefings indexed, and the
    files found in steps are those found at once."""
    monkeypatch.setattr(search, "INDEX_STEP", 1)
    site = read_site(project, load_config(project))
    steps, taken = search.search_steps(search.SearchSource.of_site(site)), 0
    while (files := step(steps)) is None:
        taken += 1
    assert taken >= len(site.briefings) > 3
    whole = search.search_files(search.SearchSource.of_site(site))
    assert {path: file.digest for path, file in files.items()} == {path: file.digest for path, file in whole.items()}


def test_entries_are_kept_packed_once_the_index_is_made(project):
    """The entries a build keeps (for the record shards and the next build) are packed, and unpack to the records
    the record shards show and the terms indexed."""
    site = read_site(project, load_config(project))
    memo: dict = {}
    files = search.search_files(search.SearchSource.of_site(site), memo)
    entries = memo["search"][search.ENTRIES]
    assert entries.made and all(isinstance(packed, bytes) for packed in entries.made.values())
    records = json.loads(files["search/briefings/0.js"].make().decode().partition('"] = ')[2][:-2])
    assert [json.loads(entries[key][0]) for key in entries] == records
    assert all(entries.packed(key) == search.pack_entry(entries[key]) for key in entries)
    assert search.invert_terms(entry[2] for entry in entries.values()) == memo["search"][search.OTHER].encoded


def test_script_end_cannot_appear_in_the_index(fixture_site, fixture_records):
    """'</script>' in a title or summary is stored as \\u003c, and reads back unchanged."""
    raw = b"".join(path.read_bytes() for path in sorted((fixture_site / "search").rglob("*.js")))
    assert b"<" not in raw and b"\\u003c/script\\u003e" in raw
    number, item = record(fixture_records, SCRIPT_TITLE)
    assert "</script><script>alert(1)</script>" in item["summary"]


def test_opening_words_skip_a_summary_the_body_repeats():
    body = "The summary sentence. " + " ".join(f"w{n}" for n in range(100))
    text = search.opening_words(body, "The summary  sentence.")
    assert text.startswith("w0 w1") and text.endswith(f"w{search.OPENING_WORDS - 1} …")


def test_other_languages_get_no_english_stop_words(project):
    site = read_site(project, load_config(project))
    german = replace(site, config=replace(site.config, language="de"))
    files = search.search_files(search.SearchSource.of_site(german, "de/search"))
    manifest = files["de/search/index.js"].make().decode()
    assert '"stop":[]' in manifest
    assert all(path.startswith("de/search/") for path in files)
    shard = files["de/search/briefings/0.js"].make().decode()
    assert '"url":"../../briefings/first/index.html"' in shard
    french = replace(site, config=replace(site.config, language="fr-BE"))
    french_manifest = search.search_files(search.SearchSource.of_site(french))["search/index.js"].make().decode()
    assert '"les"' in french_manifest and '"the"' not in french_manifest


def test_an_edit_rewrites_only_the_shards_it_touches(tmp_path):
    """A new word deep in one body: the manifest and that word's shard change, nothing else of the index."""
    project = make_project(tmp_path, files=EXTRA)
    build_site(BuildOptions(project=project))
    before = manifest(project / "output" / "search")
    cote = project / "content/briefings/cote.md"
    cote.write_text(cote.read_text(encoding="utf-8").replace("Tortiya fields", "Tortiya zebrafish fields"), encoding="utf-8")
    build_site(BuildOptions(project=project))
    after = manifest(project / "output" / "search")
    assert {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)} == {
        "index.js", "terms/ze.js"}
    assert after == manifest(build_clean(project, tmp_path / "clean") / "search")


def build_clean(project: Path, output: Path) -> Path:
    """A build from nothing into `output`, in one process, without the cache."""
    build_site(BuildOptions(project=project, output=output, jobs=1, use_cache=False))
    return output


def test_a_shard_missing_from_the_output_is_restored_by_the_next_build(tmp_path):
    """Bad input row 51: a shard deleted from the output comes back, the same as a clean build's."""
    project = make_project(tmp_path, files=EXTRA)
    build_site(BuildOptions(project=project))
    (project / "output/search/terms/to.js").unlink()
    (project / "output/search/briefings/0.js").unlink()
    summary = build_site(BuildOptions(project=project))
    assert summary.written == 2
    assert manifest(project / "output") == manifest(build_clean(project, tmp_path / "clean"))


def test_shipped_site_has_a_search_page_and_index(built_site):
    titles = [item["title"] for item in records_of(built_site)]
    assert titles.count(SEED_TITLE) == 1
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


def search_page(browse, site: Path | str, query: str = ""):
    """A search page (from disk, or at a served root), with `query` typed into its box and the results shown."""
    root = site if isinstance(site, str) else site.as_uri() + "/"
    page, problems = browse(root)
    page.goto(root + "search/index.html")
    if query:
        page.get_by_role("searchbox", name="Search briefings").fill(query)
        expect(status_of(page)).to_contain_text("match")
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


@pytest.mark.parametrize("mode", ["disk", "web"])
def test_forgiving_words_find_the_seed_over_file_and_http(browse, built_site, served_site, mode):
    """From disk and under a sub-path over HTTP: a typo, prefixes with several words, other case and accents;
    each loads its term shards from beside the manifest."""
    root = built_site.as_uri() + "/" if mode == "disk" else served_site
    page, problems = browse(root)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(root + "search/index.html")
    box = page.get_by_role("searchbox", name="Search briefings")
    for query in ("Kimberly", "kimb proc coalition", "ZIMBÁBWE"):
        box.fill(query)
        expect(status_of(page)).to_contain_text(f"1 briefing matches “{query}”")
        assert result_titles(page) == [SEED_TITLE]
    assert {url.split("?")[0][len(root):] for url in asked if "/terms/" in url} == {
        "search/terms/ki.js", "search/terms/pr.js", "search/terms/co.js", "search/terms/zi.js"}
    assert all(re.search(r"\?v=[0-9a-f]{10}$", url) for url in asked if "/terms/" in url or "/briefings/" in url)
    assert not problems, "\n".join(problems)


def test_a_shard_refused_over_http_is_reported(browse, served_site):
    """A term shard the server does not deliver: the page says which file did not load."""
    page, _ = browse(served_site)
    page.route("**/search/terms/**", lambda route: route.abort())
    page.goto(served_site + "search/index.html?q=kimberley")
    expect(status_of(page)).to_contain_text("Search could not load part of its index (search/terms/ki.js).")
    assert result_titles(page) == []


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


@pytest.mark.parametrize("query", ["Mara", "mara fields", "MARANG"])
def test_a_word_finds_the_longer_words_it_begins(browse, fixture_site, query):
    """'Mara' finds Marange, as the last word or (four letters or more) any word; the title match comes first."""
    page, problems = search_page(browse, fixture_site, query)
    assert result_titles(page)[0] == "Marange fields under military control"
    assert page.locator("#search_results li").first.locator("mark").all_inner_texts()[0].startswith("Marange")
    assert not problems, "\n".join(problems)


def test_one_typo_finds_the_word_but_ranks_below_exact_matches(browse, fixture_site):
    """'Kimberly' finds Kimberley (one letter missing), after the briefing that has 'Kimberly' itself, though older."""
    page, problems = search_page(browse, fixture_site, "Kimberly")
    titles = result_titles(page)
    assert titles[0] == "Kimberly town council meets"
    assert "Kimberley plenary closes without consensus" in titles[1:]
    page.get_by_role("searchbox", name="Search briefings").fill("plenray")  # two letters swapped
    expect(status_of(page)).to_contain_text("match “plenray”")
    assert result_titles(page)[:2] == ["Kimberley plenary closes without consensus", "A quiet plenary"]
    page.get_by_role("searchbox", name="Search briefings").fill("kimb plenary")  # several words narrow the result
    expect(status_of(page)).to_contain_text("1 briefing matches “kimb plenary”")
    page.get_by_role("searchbox", name="Search briefings").fill("pl")  # no typo allowed in a short word
    expect(status_of(page)).to_contain_text("match “pl”")
    assert not problems, "\n".join(problems)


def test_a_search_loads_only_the_shards_its_words_need(browse, fixture_site):
    """Opening the page loads the manifest only; a search for two words loads their two term shards and the records."""
    root = fixture_site.as_uri() + "/"
    page, problems = browse(root)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url[len(root):].split("?")[0]))
    page.goto(root + "search/index.html")
    assert [path for path in asked if path.startswith("search/")] == ["search/index.html", "search/index.js"]
    page.get_by_role("searchbox", name="Search briefings").fill("antwerp bankers")
    expect(status_of(page)).to_contain_text("1 briefing matches")
    shards = sorted(path for path in asked if path.startswith("search/") and path.count("/") == 2)
    assert shards == ["search/briefings/0.js", "search/terms/an.js", "search/terms/ba.js"]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("missing", ["terms/ma.js", "briefings/0.js", "index.js"])
def test_a_shard_that_fails_to_load_is_reported_not_waited_for(browse, fixture_site, tmp_path, missing):
    """With a file of the index gone from the output, a search says which and what to do instead of hanging."""
    import shutil
    site = tmp_path / "site"
    shutil.copytree(fixture_site, site)
    (site / "search" / missing).unlink()
    root = site.as_uri() + "/"
    page, _ = browse(root)
    page.goto(root + "search/index.html")
    if missing == "index.js":
        expect(status_of(page)).to_contain_text("Search is unavailable because its index did not load.")
        return
    page.get_by_role("searchbox", name="Search briefings").fill("marange")
    expect(status_of(page)).to_contain_text(f"Search could not load part of its index (search/{missing}).")
    assert result_titles(page) == []


def test_a_title_hit_ranks_above_a_body_hit(browse, fixture_site):
    """The older briefing with Marange in its title comes before the newer one with it only in the body."""
    page, problems = search_page(browse, fixture_site, "marange")
    assert result_titles(page) == ["Marange fields under military control", "A quiet plenary"]
    assert not problems, "\n".join(problems)


def test_a_word_deep_in_a_body_is_found(browse, fixture_site):
    page, problems = search_page(browse, fixture_site, "tortiya")
    assert result_titles(page) == [COTE_TITLE]
    assert not problems, "\n".join(problems)


def test_index_with_script_end_is_valid_javascript(browse, fixture_site, fixture_records):
    """The shards load as scripts and register their data, and hostile text is shown as text."""
    page, problems = search_page(browse, fixture_site, "naive")
    titles = page.evaluate(f"() => window.{search.SHARDS_NAME}['briefings/0'].map(b => b.title)")
    assert titles == [item["title"] for item in fixture_records]
    assert result_titles(page) == [SCRIPT_TITLE]
    assert page.locator("#search_results script").count() == 0
    assert not problems, "\n".join(problems)


def test_keyboard_escape_clears_and_results_are_links(browse, fixture_site):
    """Tab from the box reaches the button and then the first result; Escape empties the box and the results."""
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
    expect(status_of(page)).to_have_text("")
    assert result_titles(page) == []
    assert not page.url.endswith("?q=marange")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("which", ["shipped", "fixture"])
def test_without_javascript_the_page_points_to_the_archive_and_the_issues(browse, built_site, fixture_site, which):
    """No list of every briefing: a sentence saying what to do instead, with links that open those pages."""
    site = built_site if which == "shipped" else fixture_site
    root = site.as_uri() + "/"
    page, problems = browse(root, javascript=False)
    page.goto(root + "search/index.html?q=anything")
    assert result_titles(page) == []
    advice = status_of(page)
    expect(advice).to_contain_text("Searching needs JavaScript")
    expect(advice).to_be_visible()
    expect(advice.get_by_role("link", name="archive")).to_have_attribute("href", "../archive/index.html")
    with page.expect_navigation(wait_until="load"):
        advice.get_by_role("link", name="issues").click()
    assert page.url == root + "issues/index.html"
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


def test_index_lists_people_countries_and_organisations_under_each_name_word(fixture_site):
    index = read_index(fixture_site)
    def named(key):
        return [(item["kind"], item["name"]) for item in read_shard(
            fixture_site / "search" / "terms" / f"{index['terms'][key][0]}.js")["entities"]]
    assert named("ad") == named("sp") == [("person", "Ada Speaker")]
    assert named("co") == [("country", "Democratic Republic of the Congo"), ("organisation", "Fixture Coalition")]
    assert ("organisation", "Kimberley Process") in named("kp")
    ada = read_shard(fixture_site / "search" / "terms" / "ad.js")["entities"][0]
    assert ada == {"kind": "person", "name": "Ada Speaker", "aliases": ["Speaker"],
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
        known, before = dict(slots), dict(inverted.encoded)
        for n in rng.sample(range(40), rng.randint(1, 3)):  # one to three briefings edited in place
            slots[n] = (("b", n, step), ({}, terms()))
        inverted = search.update_inverted(inverted, known, dict(slots))
        fresh = search.update_inverted(None, {}, dict(slots))
        assert inverted.encoded == fresh.encoded and inverted.keys == fresh.keys
        changed = {term for term in before.keys() | fresh.encoded.keys() if before.get(term) != fresh.encoded.get(term)}
        assert changed <= inverted.touched, "a term whose briefings changed is reported, so its shard is made again"
        for term, encoded in fresh.encoded.items():
            numbers = search.decode_numbers(encoded)
            assert numbers and numbers == sorted(set(numbers))
            assert numbers == [n for n, (_, (_, terms)) in enumerate(slots) if term in terms.split()]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_folding_drops_exactly_the_marks_nfd_splits_off(text):
    """Lower case, ligatures as two letters, decomposed, every combining mark removed: what search.js does to a query."""
    decomposed = unicodedata.normalize("NFD", text.lower().translate(search.LIGATURES))
    expected = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    assert search.fold(text) == expected
    assert search.fold(text + " “quoted” — e\u0301") == expected + " “quoted” — e"


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([*"abcXYZ09 _-,.'’“”—\t\n\xa0\u3000éÉΣςİßœÆﬁǅ²½٣Ⅷ\u212aŉ\u200b", "e\u0301", "ΟΔΟΣ",
                                  "x" * 40])).map("".join) | st.text())
def test_a_body_has_the_distinct_words_of_its_whole_text(text):
    """body_words looks at each space-separated piece once: it finds exactly the words found in the whole text folded
    at once (a final sigma, a ligature, a mark after a no-break space, a digit outside ASCII, a word too long)."""
    expected = {word for word in search.words_of(text) if 1 < len(word) <= search.LONGEST_TERM}
    assert search.body_words(text) == expected


def test_an_index_kept_between_edits_makes_what_an_index_made_afresh_makes(project):
    """Edits that bring words in (one of a key no term had) and take them out again, made to a site whose index is
    kept between builds (the memo a preview keeps): every file of each index is the one an index made afresh gives.
    The edits are made one on the other, as a preview's saves are, so the index looks only where the site notes
    an edit (model.noted_edit, Entries.changes), and to the first site again, so it looks everywhere."""
    site = first_site = read_site(project, load_config(project))
    memo: dict = {}
    search.search_files(search.SearchSource.of_site(site), memo)
    texts = ["Quokkas and xylophones.", "Quokkas alone.", "Quokkas, again.", "Nothing of the kind.", "Xylophones."]
    for number, text in enumerate(texts * 2):
        place = (0, len(site.briefings) - 1)[number % 2]
        first = site.briefings[place]
        html = f"<p>{text}</p>"
        opening, words = search.body_entry(html, first.summary)
        briefing = replace(first, body=Body(html=html, opening=opening, words=words), digest=f"{first.digest}{number}")
        edited = site = (site if number < len(texts) else first_site).with_bodies_edited({place: briefing})
        kept = search.search_files(search.SearchSource.of_site(edited), memo)
        fresh = search.search_files(search.SearchSource.of_site(edited))
        assert {path: file.make() for path, file in kept.items()} == {path: file.make() for path, file in fresh.items()}
        assert {path: file.digest for path, file in kept.items()} == {path: file.digest for path, file in fresh.items()}


def test_entries_lent_from_build_to_build_stay_right_and_leave_out_those_no_longer_used():
    """A running preview's saves each make one briefing's entry again (a new key) and take the rest from the last
    build's Entries: every key finds its own entry, only this build's entries are packed by it, and the entries no
    key names any more are carried over only until they may be many."""
    keys = [f"b-{number}\0first" for number in range(400)]
    known = search.Entries.of(keys, {key: ("title", key, "") for key in keys}, {})
    known.pack()
    for save in range(1, 601):
        place = save * 7 % len(keys)
        keys = [*keys[:place], f"b-{place}\0save {save}", *keys[place + 1:]]
        entries = search.Entries.of(keys, {keys[place]: ("title", keys[place], "")}, known)
        assert entries.fresh == [keys[place]] and not isinstance(entries.made[keys[place]], bytes)
        entries.pack()
        assert isinstance(entries.made[keys[place]], bytes) and len(entries.made) <= len(keys) + search.UNUSED_ENTRIES
        known = entries
    assert all(known[key] == ("title", key, "") for key in keys)
    assert set(known.made) >= set(keys) and len(known.made) - len(keys) <= known.unused <= search.UNUSED_ENTRIES
