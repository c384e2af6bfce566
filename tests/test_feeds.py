"""Tests feeds and discovery files: Atom and JSON Feed parse cleanly, the sitemap maps back to pages, and hostile text stays text."""
import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path

import feedparser

from broadside import feeds
from broadside.config import load_config
from broadside.feeds import absolute_url, render_feeds
from broadside.model import Site
from broadside.reader import read_site
from broadside.renderer import plan_pages
from tests.helpers import make_project

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BASE = "https://fixture.example/watch/"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
HOSTILE = """"><img src=x onerror=alert(1)></title><script>alert(2)</script> & ]]> 'q'"""
# Pages the renderer may add beyond plan_pages (pagination, search), and a non-page file.
EXTRA_PATHS = ("briefings/page/2/index.html", "search/index.html", "static/style.css")


def read_fixture(tmp_path: Path, files: dict | None = None, base_url: str | None = None) -> Site:
    project = make_project(tmp_path, files=files)
    return read_site(project, load_config(project, base_url), today=date(2030, 1, 1))


def page_paths(site: Site) -> list[str]:
    return [page.output_path for page in plan_pages(site)] + list(EXTRA_PATHS)


def build(tmp_path: Path, **options) -> dict[str, bytes]:
    site = read_fixture(tmp_path, options.pop("files", None), options.pop("base_url", None))
    return render_feeds(site, page_paths(site), **options)


def parse_feed(data: bytes):
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def atom_files(files: dict[str, bytes]) -> dict[str, bytes]:
    return {path: data for path, data in files.items() if path.endswith("feed.xml")}


def entry_slugs(parsed) -> list[str]:
    return [entry.link.removeprefix(BASE + "briefings/").rstrip("/") for entry in parsed.entries]


def test_render_feeds_gives_every_file(tmp_path):
    assert sorted(build(tmp_path)) == ["feed.json", "feed.xml", "issues/alpha/feed.xml", "issues/beta/feed.xml",
                                       "robots.txt", "sitemap.xml"]


def test_absolute_url_names_index_pages_by_their_folder(tmp_path):
    config = load_config(make_project(tmp_path))
    assert absolute_url(config, "index.html") == BASE
    assert absolute_url(config, "briefings/x/index.html") == BASE + "briefings/x/"
    assert absolute_url(config, "issues/alpha/feed.xml") == BASE + "issues/alpha/feed.xml"
    assert absolute_url(config, "404.html") == BASE + "404.html"


def test_site_feed_lists_briefings_newest_first_with_absolute_links(tmp_path):
    parsed = parse_feed(build(tmp_path)["feed.xml"])
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Fixture Watch"
    assert parsed.feed.updated == "2021-06-28T10:30:00+02:00"
    assert entry_slugs(parsed) == ["second", "third", "first"]
    for entry in parsed.entries:
        assert entry.id == entry.link and entry.link.startswith(BASE) and entry.link.endswith("/")
        assert RFC3339.match(entry.published) and RFC3339.match(entry.updated)
        assert entry.content[0].value and entry.content[0].type == "text/html"
    first = parsed.entries[2]
    assert first.published == "2020-03-05T00:00:00+01:00"
    assert "What happened" in first.content[0].value
    assert first.author == "Ada Example (The Daily Fixture)"
    assert [(tag.term, tag.label) for tag in first.tags] == [("alpha", "Alpha campaign"), ("beta", "Beta reform")]
    assert [entry.author for entry in parsed.entries[:2]] == ["Wire Service", "Fixture Watch"]


def test_links_inside_content_are_absolute(tmp_path):
    files = build(tmp_path)
    first = ET.fromstring(files["feed.xml"]).findall(f"{ATOM}entry")[2]
    content = first.find(f"{ATOM}content").text
    assert f'href="{BASE}briefings/second/"' in content
    targets = re.findall(r'(?:href|src)="([^"]*)"', content)
    assert targets and all(target.startswith(("https://", "http://", "mailto:")) for target in targets)
    item = json.loads(files["feed.json"])["items"][2]
    assert f'href="{BASE}briefings/second/"' in item["content_html"]


def test_a_briefing_in_several_feeds_has_its_links_made_absolute_once_and_alike_everywhere(tmp_path, monkeypatch):
    made = []
    original = feeds.absolute_links
    monkeypatch.setattr(feeds, "absolute_links", lambda body, url, config: made.append(url) or original(body, url, config))
    files = build(tmp_path)
    assert made and len(made) == len(set(made))  # each briefing's body once, though the site's feeds and its issues' hold it
    contents, held_by = {}, {}
    for path, data in files.items():
        if path.endswith("feed.xml"):
            for entry in ET.fromstring(data).findall(f"{ATOM}entry"):
                url = entry.find(f"{ATOM}id").text
                contents.setdefault(url, set()).add(entry.find(f"{ATOM}content").text)
                held_by.setdefault(url, []).append(path)
    assert max(map(len, held_by.values())) > 1  # the site's feed and an issue's hold the same briefing
    assert all(len(bodies) == 1 for bodies in contents.values())
    for item in json.loads(files["feed.json"])["items"]:
        assert contents[item["id"]] == {item["content_html"]}


def test_atom_feeds_have_what_rfc_4287_requires(tmp_path):
    for path, data in atom_files(build(tmp_path)).items():
        feed = ET.fromstring(data)
        assert feed.tag == f"{ATOM}feed", path
        for name in ("id", "title", "updated"):
            assert len(feed.findall(f"{ATOM}{name}")) == 1, (path, name)
        assert feed.find(f"{ATOM}author/{ATOM}name").text == "Fixture Watch"
        links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
        assert links["self"] == BASE + path and links["alternate"].startswith(BASE)
        assert feed.find(f"{ATOM}id").text == BASE + path
        assert_moment(feed.find(f"{ATOM}updated").text)
        ids = [entry.find(f"{ATOM}id").text for entry in feed.findall(f"{ATOM}entry")]
        assert len(ids) == len(set(ids)) and all(i.startswith(BASE) for i in ids)
        for entry in feed.findall(f"{ATOM}entry"):
            for name in ("id", "title", "updated", "published", "summary", "content"):
                assert len(entry.findall(f"{ATOM}{name}")) == 1, (path, name)
            assert_moment(entry.find(f"{ATOM}updated").text)
            assert entry.find(f"{ATOM}author/{ATOM}name").text


def assert_moment(text: str) -> None:
    assert RFC3339.match(text), text
    assert datetime.fromisoformat(text).tzinfo is not None


def test_issue_feeds_hold_exactly_their_briefings(tmp_path):
    files = build(tmp_path)
    alpha = parse_feed(files["issues/alpha/feed.xml"])
    assert entry_slugs(alpha) == ["second", "first"]
    assert alpha.feed.title == "Alpha campaign — Fixture Watch"
    assert alpha.feed.subtitle == "The first cause of the fixture site."
    assert alpha.feed.link == BASE + "issues/alpha/"
    beta = parse_feed(files["issues/beta/feed.xml"])
    assert entry_slugs(beta) == ["third", "first"]
    assert beta.feed.updated == "2021-01-10T09:00:00+01:00"


def test_an_issue_without_briefings_gets_an_empty_feed_dated_by_the_site(tmp_path):
    files = build(tmp_path, files={"content/issues/gamma.md": "---\ntitle: Gamma\nsummary: Nothing yet.\n---\nSoon.\n"})
    gamma = parse_feed(files["issues/gamma/feed.xml"])
    assert gamma.entries == [] and gamma.feed.updated == "2021-06-28T10:30:00+02:00"


def test_a_site_without_briefings_dates_its_feeds_at_the_epoch(tmp_path):
    project = make_project(tmp_path)
    for path in (project / "content" / "briefings").glob("*.md"):
        path.unlink()
    site = read_site(project, load_config(project), today=date(2030, 1, 1))
    files = render_feeds(site, page_paths(site))
    assert parse_feed(files["feed.xml"]).feed.updated == "1970-01-01T00:00:00+00:00"
    assert json.loads(files["feed.json"])["items"] == []


def test_json_feed_follows_version_1_1(tmp_path):
    files = build(tmp_path)
    feed = json.loads(files["feed.json"])
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Fixture Watch" and feed["language"] == "en"
    assert feed["home_page_url"] == BASE and feed["feed_url"] == BASE + "feed.json"
    ids = [item["id"] for item in feed["items"]]
    assert len(ids) == len(set(ids)) == 3
    assert [item["url"] for item in feed["items"]] == [BASE + f"briefings/{s}/" for s in ("second", "third", "first")]
    for item in feed["items"]:
        assert item["title"] and item["content_html"] and item["authors"][0]["name"]
        assert_moment(item["date_published"])
    assert feed["items"][2]["tags"] == ["Alpha campaign", "Beta reform"]
    assert feed["items"][2]["external_url"] == "https://news.example/first"
    check_json_feed(feed)


def check_json_feed(feed: dict) -> None:
    """What JSON Feed 1.1 requires (feedparser's releases read no JSON Feed, so the musts are checked here)."""
    assert isinstance(feed["title"], str) and isinstance(feed["items"], list)
    assert {"home_page_url", "feed_url", "authors"} <= feed.keys()
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html", item.get("content_text")), str)
        assert all(isinstance(author["name"], str) for author in item["authors"])


def test_summary_only_feeds_leave_the_body_out(tmp_path):
    files = build(tmp_path, full_content=False)
    for path, data in atom_files(files).items():
        entries = ET.fromstring(data).findall(f"{ATOM}entry")
        assert entries and all(e.find(f"{ATOM}content") is None and e.find(f"{ATOM}summary").text for e in entries)
    items = json.loads(files["feed.json"])["items"]
    assert all("content_html" not in item and item["content_text"] for item in items)
    assert items[1]["content_text"] == "Short."  # no summary in front matter: the body's opening text


def test_feeds_keep_only_the_newest_briefings_up_to_the_limit(tmp_path):
    files = build(tmp_path, limit=1)
    assert entry_slugs(parse_feed(files["feed.xml"])) == ["second"]
    assert entry_slugs(parse_feed(files["issues/beta/feed.xml"])) == ["third"]
    assert len(json.loads(files["feed.json"])["items"]) == 1


def test_sitemap_lists_every_page_but_404(tmp_path):
    site = read_fixture(tmp_path)
    paths = page_paths(site)
    urlset = ET.fromstring(render_feeds(site, paths)["sitemap.xml"])
    assert urlset.tag == f"{SITEMAP}urlset"
    locs = [url.find(f"{SITEMAP}loc").text for url in urlset]
    assert locs == sorted(locs)
    back = {loc.removeprefix(BASE) + ("index.html" if loc.endswith("/") else "") for loc in locs}
    assert all(loc.startswith(BASE) for loc in locs)
    assert back == {path for path in paths if path.endswith(".html")} - {"404.html"}
    lastmod = {url.find(f"{SITEMAP}loc").text: url.findtext(f"{SITEMAP}lastmod") for url in urlset}
    assert all(value is None or re.fullmatch(r"\d{4}-\d\d-\d\d", value) for value in lastmod.values())
    assert lastmod[BASE + "briefings/second/"] == "2021-06-28"
    assert lastmod[BASE + "briefings/first/"] == "2020-03-05"
    assert lastmod[BASE + "issues/alpha/"] == "2021-06-28"
    assert lastmod[BASE + "issues/beta/"] == "2021-01-10"


def test_robots_txt_points_to_the_sitemap(tmp_path):
    assert build(tmp_path)["robots.txt"] == f"User-agent: *\nAllow: /\nSitemap: {BASE}sitemap.xml\n".encode()


def test_hostile_titles_stay_text_everywhere(tmp_path):
    toml_title = json.dumps(HOSTILE)  # a JSON string is also a valid TOML basic string
    yaml_title = "'" + HOSTILE.replace("'", "''") + "'"
    briefing = (f"---\ntitle: {yaml_title}\ndate: 2022-02-02\nsummary: 'ends </script> here'\n"
                "issues: [alpha]\nsource:\n  author: <b>Eve</b>\n  publication: A & B\n---\nBody.\n")
    site_toml = (Path(__file__).parent / "fixtures/sites/basic/site.toml").read_text(encoding="utf-8")
    files = build(tmp_path, files={
        "site.toml": re.sub(r'^title = .*$', f"title = {toml_title}", site_toml, flags=re.M),
        "content/briefings/hostile.md": briefing})
    for path in ("feed.xml", "issues/alpha/feed.xml"):
        assert b"<script" not in files[path] and b"<img" not in files[path]
        parsed = parse_feed(files[path])
        feed = ET.fromstring(files[path])
        entry = feed.find(f"{ATOM}entry")
        assert entry.find(f"{ATOM}title").text == HOSTILE
        assert entry.find(f"{ATOM}summary").text == "ends </script> here"
        assert entry.find(f"{ATOM}author/{ATOM}name").text == "<b>Eve</b> (A & B)"
        assert feed.find(f"{ATOM}author/{ATOM}name").text == HOSTILE
        assert parsed.entries[0].link == BASE + "briefings/hostile/"
    assert ET.fromstring(files["feed.xml"]).find(f"{ATOM}title").text == HOSTILE
    assert ET.fromstring(files["issues/alpha/feed.xml"]).find(f"{ATOM}title").text == f"Alpha campaign — {HOSTILE}"
    feed = json.loads(files["feed.json"])
    assert feed["title"] == HOSTILE and feed["items"][0]["title"] == HOSTILE
    check_json_feed(feed)
    ET.fromstring(files["sitemap.xml"])


def test_characters_xml_cannot_hold_are_dropped(tmp_path):
    site_toml = (Path(__file__).parent / "fixtures/sites/basic/site.toml").read_text(encoding="utf-8")
    files = build(tmp_path, files={"site.toml": site_toml.replace('"Fixture Watch"', '"Fixture\\u0001 Watch"')})
    assert ET.fromstring(files["feed.xml"]).find(f"{ATOM}title").text == "Fixture Watch"


def test_two_calls_give_identical_bytes(tmp_path):
    site = read_fixture(tmp_path)
    assert render_feeds(site, page_paths(site)) == render_feeds(site, reversed(page_paths(site)))
    assert build(tmp_path / "a") == build(tmp_path / "b")


def test_a_project_sub_path_is_kept_in_every_url(tmp_path):
    base = "https://user.github.io/repo/"
    files = build(tmp_path, base_url=base)
    urls = []
    for data in atom_files(files).values():
        feed = ET.fromstring(data)
        urls += [element.text for element in feed.iter(f"{ATOM}id")]
        urls += [link.get("href") for link in feed.iter(f"{ATOM}link") if link.get("rel") != "via"]
    items = json.loads(files["feed.json"])["items"]
    urls += [item[key] for item in items for key in ("id", "url")]
    urls += [loc.text for loc in ET.fromstring(files["sitemap.xml"]).iter(f"{SITEMAP}loc")]
    assert len(urls) > 20 and all(url.startswith(base) for url in urls)
    assert parse_feed(files["feed.xml"]).entries[0].link == base + "briefings/second/"
    assert files["robots.txt"].endswith(f"Sitemap: {base}sitemap.xml\n".encode())


def test_a_site_above_the_sitemap_limit_gets_an_index_of_sitemaps(tmp_path, monkeypatch):
    """Above sitemaps.org's 50,000 URLs a file, sitemap.xml lists sitemaps/<n>.xml, which hold every page once."""
    monkeypatch.setattr(feeds, "SITEMAP_URLS", 4)
    site = read_fixture(tmp_path)
    paths = page_paths(site)
    files = render_feeds(site, paths)
    index = ET.fromstring(files["sitemap.xml"])
    assert index.tag == f"{SITEMAP}sitemapindex"
    parts = [loc.text.removeprefix(BASE) for loc in index.iter(f"{SITEMAP}loc")]
    pages = {path for path in paths if path.endswith(".html")} - {"404.html"}
    assert parts == [f"sitemaps/{n}.xml" for n in range(1, -(-len(pages) // 4) + 1)]
    locs = [loc.text for part in parts for loc in ET.fromstring(files[part]).iter(f"{SITEMAP}loc")]
    assert locs == sorted(locs) and len(locs) == len(pages)
    assert all(len(list(ET.fromstring(files[part]))) <= 4 for part in parts)
    assert files["robots.txt"].endswith(f"Sitemap: {BASE}sitemap.xml\n".encode())
