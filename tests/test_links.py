"""Tests the internal link check: missing pages, folders, unknown anchors and root-relative links warn with their line."""
import pickle
from dataclasses import replace

from broadside.cache import bare_pickled
from broadside.config import load_config
from broadside.links import check_links
from broadside.model import Body, Link, PackedBody, pack_body
from broadside.reader import read_site
from broadside.renderer import render_site
from tests.helpers import make_project


def warnings_for(tmp_path, body: str) -> list[str]:
    text = f"---\ntitle: L\ndate: 2021-01-01\nissues: [alpha]\n---\nIntro.\n\n{body}\n"
    project = make_project(tmp_path, files={"content/briefings/links.md": text})
    config = load_config(project)
    site = read_site(project, config)
    files = render_site(site, project / "themes/default", "default")
    found = [str(w) for w in check_links(site, files)]
    # As a later build sees the site: every body read back from the cache, with what its links need checked.
    assert [str(w) for w in check_links(pickle.loads(pickle.dumps(site)), files)] == found
    return found


def test_good_links_do_not_warn(tmp_path):
    body = "[a](first.md#what-happened) [b](../issues/beta.md) [c](../../index.html) [d](https://example.org/x) [e](#top-x)\n\n## Top x"
    assert warnings_for(tmp_path, body) == []


def test_broken_links_warn_at_their_line(tmp_path):
    body = "[a](nope.md)\n\n[b](first.md#nowhere)\n\n[c](../first/)\n\n[d](/briefings/first/index.html)\n\n[e](#missing)"
    found = warnings_for(tmp_path, body)
    assert found[0] == "content/briefings/links.md:8: warning: broken link 'nope.md': there is no content/briefings/nope.md (check the file name)"
    assert found[1].startswith("content/briefings/links.md:10: warning: broken link 'first.md#nowhere': no #nowhere on that page")
    assert found[2].startswith("content/briefings/links.md:12: warning: link '../first/' names a folder")
    assert found[3].startswith("content/briefings/links.md:14: warning: link '/briefings/first/index.html' starts with '/'")
    assert found[4].startswith("content/briefings/links.md:16: warning: broken link '#missing': no #missing on that page")
    assert len(found) == 5


def test_a_body_sorts_its_links_into_pages_that_need_only_exist_and_links_checked_one_by_one():
    links = (Link("a.md", "briefings/a/index.html", ""), Link("b.md#x", "briefings/b/index.html", "x"),
             Link("c.md", "content/briefings/c.md", ""), Link("/d/index.html", "d/index.html", ""),
             Link("https://example.org", "", ""), Link("#top", "briefings/e/index.html", "top"))
    checks = pack_body(Body(links=links)).link_checks
    assert checks == Body(links=links).link_checks
    assert checks == ({"briefings/a/index.html"}, (links[1], links[2], links[3], links[5]))
    packed = pack_body(Body(links=links))
    assert packed.links == links and pickle.loads(pickle.dumps(packed)).links == links
    bare = bare_pickled(packed)  # as the cache keeps it beside every build's fields
    assert b"https://example.org" not in bare and b"a.md" not in bare and b"b.md#x" in bare
    kept = pickle.loads(bare)
    assert kept.packed == b"" and kept.link_checks == checks and packed.packed != b""  # the body itself keeps its text


def test_a_check_that_keeps_what_it_found_clean_looks_again_when_the_pages_or_the_item_change(tmp_path):
    """A running preview's check (kept) passes over an item found clean last time when it is the very same object
    and the site has the same pages; a page gone, or the item read again, is checked as a first check would."""
    project = make_project(tmp_path, files={"content/briefings/links.md": "---\ntitle: L\ndate: 2021-01-01\n"
                                            "issues: [alpha]\n---\nSee [the first](first.md).\n"})
    site = read_site(project, load_config(project))
    files = render_site(site, project / "themes/default", "default")
    kept: dict = {}
    assert check_links(site, files, kept) == [] and check_links(site, files, kept) == []
    fewer = {path: data for path, data in files.items() if path != "briefings/first/index.html"}
    broken = "content/briefings/links.md:6: warning: broken link 'first.md': the site has no such file (check the path)"
    assert broken in [str(warning) for warning in check_links(site, fewer, kept)]
    assert check_links(site, fewer, kept) == check_links(site, fewer) and check_links(site, files, kept) == []
    # The same pages, but the briefing read again (a new object) with its link broken the same way.
    index = next(n for n, briefing in enumerate(site.briefings) if briefing.slug == "links")
    moved = Link("first.md", "briefings/gone/index.html", "", 6)
    edited = site.with_bodies_edited({index: replace(site.briefings[index], body=Body(links=(moved,)))})
    assert [str(warning) for warning in check_links(edited, files, kept)] == [broken]


def test_a_kept_check_looks_only_at_what_pages_added_since_cannot_have_mended(tmp_path, monkeypatch):
    """Pages added since the last check (a search shard for a word new to the site) leave every item found clean
    clean, so a running preview passes over them; an item that was broken is looked at again, and mended."""
    project = make_project(tmp_path, files={"content/briefings/links.md": "---\ntitle: L\ndate: 2021-01-01\n"
                                            "issues: [alpha]\n---\nSee [the new page](../../new/index.html).\n"})
    site = read_site(project, load_config(project))
    files = render_site(site, project / "themes/default", "default")
    kept: dict = {}
    assert [warning.message for warning in check_links(site, files, kept)] == [
        "broken link '../../new/index.html': the site has no such file"]
    items = [item for edition in site.all_editions for item in (*edition.issues, *edition.briefings, *edition.packs)]
    looked: list[str] = []

    def counted(body):  # a packed body keeps its checks in its own attributes, which a property on its class shadows
        looked.append(next(item.slug for item in items if item.body is body))
        return vars(body)["link_checks"]

    assert {type(item.body) for item in items} == {PackedBody}
    monkeypatch.setattr(PackedBody, "link_checks", property(counted))
    assert check_links(site, {**files, "new/index.html": b"", "search/shard-zz.js": b""}, kept) == []
    # Only the items not found clean last time: the one with the broken link, and two with #fragment links (which
    # every check looks at: the ids of the page they reach may have changed).
    assert sorted(looked) == ["alpha", "first", "links"]
    looked.clear()
    assert check_links(site, {**files, "new/index.html": b""}, kept) == []  # a page gone: every item looked at
    assert len(looked) == len(items) > 3
