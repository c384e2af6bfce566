"""Takes a Site and the output paths of its pages and gives its feeds and discovery files (Atom, JSON Feed, sitemap.xml, robots.txt)."""
from __future__ import annotations

import hashlib
import html
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import partial
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Callable, Iterable
from urllib.parse import quote, urljoin, urlsplit

from .model import Briefing, Config, Issue, Site

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
SITE_FEED = "feed.xml"
JSON_FEED = "feed.json"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
GENERATOR = "Broadside"
FEED_LIMIT = 50  # readers keep what they fetched; 50 full briefings cover months without a heavy file
EXCERPT_CHARS = 300
# Atom needs an `updated` even in an empty feed; this stands in when the site has no briefing at all.
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Characters XML 1.0 cannot carry even escaped: dropping them keeps every file well-formed.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# A start tag of sanitised HTML (values always double-quoted, so a '>' inside a value is skipped).
START_TAG = re.compile(r'<[A-Za-z][^\s/>]*(?:\s+[^\s"\'=/>]+(?:\s*=\s*"[^"]*")?)*\s*/?>')
ATTRIBUTE = re.compile(r'(\s+)([^\s"\'=/>]+)(?:(\s*=\s*")([^"]*)("))?')
LINKING = frozenset({"href", "src", "cite"})
HIDDEN_TAGS = frozenset({"script", "style"})


@dataclass(frozen=True)
class Channel:
    """One Atom feed: where it lands, the page it stands for, its words and its briefings (newest first)."""

    output_path: str
    page_path: str
    title: str
    subtitle: str
    briefings: tuple[Briefing, ...]


def render_feeds(site: Site, page_paths: Iterable[str], full_content: bool = True,
                 limit: int = FEED_LIMIT) -> dict[str, bytes]:
    """feed.xml, feed.json, issues/<slug>/feed.xml, sitemap.xml, robots.txt."""
    return {path: make() for path, (_, make) in feed_makers(site, page_paths, full_content, limit).items()}


def feed_makers(site: Site, page_paths: Iterable[str], full_content: bool = True,
                limit: int = FEED_LIMIT, plan: str = "") -> dict[str, tuple[object, Callable[[], bytes]]]:
    """Each file render_feeds gives, as (what it depends on besides the site's list of pages, how to make it).

    The renderer makes a file only when what it depends on changed since the last build. `plan`, when given, is a
    digest of all the list of pages and their dates are made from, which then stands for them (see sitemap_makers).
    """
    paths = tuple(page_paths)
    channels = [site_channel(site, limit), *(issue_channel(site, issue, limit) for issue in site.issues)]
    bodies: dict[tuple[str, str], str] = {}  # a briefing is in several feeds: its body made absolute once (absolute_body)
    makers = {channel.output_path: (channel, partial(render_atom, site, channel, full_content, bodies))
              for channel in channels}
    makers[JSON_FEED] = (site.briefings[:limit], partial(render_json_feed, site, full_content, limit, bodies))
    makers.update(sitemap_makers(site, paths, plan))
    makers[ROBOTS] = ((), partial(render_robots, site.config))
    return dict(sorted(makers.items()))


def issue_feed_path(slug: str) -> str:
    """Where the Atom feed of issue `slug` lands in the output folder."""
    return f"issues/{slug}/feed.xml"


def absolute_url(config: Config, output_path: str) -> str:
    """The absolute URL of an output file; an index.html is named by its folder, as web servers serve it."""
    if output_path == "index.html" or output_path.endswith("/index.html"):
        output_path = output_path[: -len("index.html")]
    return config.base_url + quote(output_path)


def site_channel(site: Site, limit: int) -> Channel:
    """The site-wide feed: the newest briefings of every issue."""
    config = site.config
    return Channel(SITE_FEED, "index.html", config.title, config.description, site.briefings[:limit])


def issue_channel(site: Site, issue: Issue, limit: int) -> Channel:
    """One issue's feed, for people who follow a single cause."""
    return Channel(issue_feed_path(issue.slug), issue.output_path, f"{issue.title} — {site.config.title}",
                   issue.summary or site.config.description, site.briefings_of(issue.slug)[:limit])


def render_atom(site: Site, channel: Channel, full_content: bool, bodies: dict) -> bytes:
    """An Atom 1.0 (RFC 4287) feed of `channel` (`bodies`: see absolute_body)."""
    config = site.config
    feed = ET.Element("feed", {"xmlns": ATOM_NS, XML_LANG: config.language})
    add(feed, "id", absolute_url(config, channel.output_path))
    add(feed, "title", channel.title)
    add(feed, "subtitle", channel.subtitle)
    add(feed, "updated", rfc3339(newest(channel.briefings) or newest(site.briefings) or EPOCH))
    add(feed, "link", rel="self", type="application/atom+xml", href=absolute_url(config, channel.output_path))
    add(feed, "link", rel="alternate", type="text/html", href=absolute_url(config, channel.page_path))
    author = add(feed, "author")
    add(author, "name", config.title)
    add(author, "uri", config.base_url)
    add(feed, "generator", GENERATOR)
    titles = issue_titles(site)
    for briefing in channel.briefings:
        feed.append(atom_entry(config, briefing, titles, full_content, bodies))
    return serialize_xml(feed)


def atom_entry(config: Config, briefing: Briefing, titles: dict[str, str], full_content: bool,
               bodies: dict) -> ET.Element:
    """One briefing as an Atom entry; its id is its page's URL, which never changes for a slug."""
    url = absolute_url(config, briefing.output_path)
    entry = ET.Element("entry")
    add(entry, "id", url)
    add(entry, "title", briefing.title)
    add(entry, "published", rfc3339(briefing.date))
    add(entry, "updated", rfc3339(briefing.date))
    add(entry, "link", rel="alternate", type="text/html", href=url)
    if briefing.source.url:  # rel="via": the article the briefing was made from
        add(entry, "link", rel="via", href=urljoin(url, briefing.source.url))
    add(add(entry, "author"), "name", author_name(config, briefing))
    for slug in briefing.issues:
        add(entry, "category", term=slug, label=titles[slug], scheme=absolute_url(config, "issues/index.html"))
    add(entry, "summary", summary_text(briefing))
    if full_content:
        add(entry, "content", absolute_body(briefing, url, config, bodies), type="html")
    return entry


def render_json_feed(site: Site, full_content: bool, limit: int, bodies: dict) -> bytes:
    """A JSON Feed 1.1 of the newest briefings (`bodies`: see absolute_body)."""
    config = site.config
    titles = issue_titles(site)
    feed = {
        "version": JSON_FEED_VERSION, "title": config.title, "description": config.description,
        "home_page_url": absolute_url(config, "index.html"), "feed_url": absolute_url(config, JSON_FEED),
        "language": config.language, "authors": [{"name": config.title, "url": config.base_url}],
        "items": [json_item(config, briefing, titles, full_content, bodies) for briefing in site.briefings[:limit]],
    }
    return (json.dumps(feed, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


def json_item(config: Config, briefing: Briefing, titles: dict[str, str], full_content: bool,
              bodies: dict) -> dict:
    """One briefing as a JSON Feed item."""
    url = absolute_url(config, briefing.output_path)
    item = {"id": url, "url": url, "title": briefing.title, "date_published": rfc3339(briefing.date),
            "authors": [{"name": author_name(config, briefing)}], "summary": summary_text(briefing),
            "tags": [titles[slug] for slug in briefing.issues]}
    if full_content:
        item["content_html"] = absolute_body(briefing, url, config, bodies)
    else:  # JSON Feed wants content_html or content_text in every item
        item["content_text"] = item["summary"]
    if briefing.source.url:
        item["external_url"] = urljoin(url, briefing.source.url)
    return item


SITEMAP_URLS = 50_000  # the most URLs sitemaps.org allows in one file


def sitemap_makers(site: Site, page_paths: tuple[str, ...], plan: str = "") -> dict[str, tuple[object, Callable[[], bytes]]]:
    """sitemap.xml; above SITEMAP_URLS pages, an index of sitemaps/<n>.xml holding SITEMAP_URLS URLs each.

    Entity pages date from their briefings, which the list of pages does not show: the dates count too. A `plan`
    digest (of all the pages and their dates are made from) spares finding the dates of a file not made again.
    """
    # One file: its URLs are made only when it is (a rebuild that changes no page's list never makes them).
    if len(page_paths) <= SITEMAP_URLS or sum(1 for path in page_paths if path.endswith(".html")
                                              and path != "404.html") <= SITEMAP_URLS:
        return {SITEMAP: (f"plan {plan}" if plan else made_of(page_paths, page_dates(site)),
                          lambda: render_urlset(site_urls(site.config, page_paths), page_dates(site)))}
    dates = page_dates(site)
    urls = site_urls(site.config, page_paths)
    parts = [urls[start:start + SITEMAP_URLS] for start in range(0, len(urls), SITEMAP_URLS)]
    makers = {}
    for number, part in enumerate(parts, 1):
        shown = {path: dates[path] for _, path in part if path in dates}
        makers[f"sitemaps/{number}.xml"] = (made_of(part, shown), partial(render_urlset, part, shown))
    index = [absolute_url(site.config, f"sitemaps/{number}.xml") for number in range(1, len(parts) + 1)]
    makers[SITEMAP] = (index, partial(render_sitemap_index, index))
    return makers


def made_of(*values: object) -> str:
    """A digest of what a sitemap file is made from (every page of the site, and dates): taken whole, as the
    renderer's fingerprint would otherwise go through it item by item."""
    return hashlib.sha256(repr(values).encode()).hexdigest()


def site_urls(config: Config, page_paths: Iterable[str]) -> list[tuple[str, str]]:
    """(absolute URL, output path) of every HTML page but 404.html, sorted by URL."""
    return sorted({absolute_url(config, path): path for path in page_paths
                   if path.endswith(".html") and path != "404.html"}.items())


def render_urlset(urls: list[tuple[str, str]], dates: dict[str, datetime]) -> bytes:
    """One sitemap file: each URL, with the date its page last gained content where known."""
    urlset = ET.Element("urlset", {"xmlns": SITEMAP_NS})
    for url, path in urls:
        entry = add(urlset, "url")
        add(entry, "loc", url)
        if path in dates:
            add(entry, "lastmod", dates[path].date().isoformat())
    return serialize_xml(urlset)


def render_sitemap_index(locations: list[str]) -> bytes:
    """A sitemaps.org index: the sitemap files a large site is split into."""
    index = ET.Element("sitemapindex", {"xmlns": SITEMAP_NS})
    for location in locations:
        add(add(index, "sitemap"), "loc", location)
    return serialize_xml(index)


def render_sitemap_of_languages(site: Site, page_paths: Iterable[str]) -> bytes:
    """The sitemap of a site in several languages: every page of every language, each listing its versions in the
    others (and an x-default, the default language's) as xhtml:link alternates."""
    paths = [path for path in page_paths if path.endswith(".html") and path != "404.html"]
    editions = site.all_editions
    dates = {edition.root + path: moment for edition in editions for path, moment in page_dates(edition).items()}
    present = set(paths)
    urlset = ET.Element("urlset", {"xmlns": SITEMAP_NS, "xmlns:xhtml": XHTML_NS})
    for url, path in sorted((absolute_url(site.config, path), path) for path in paths):
        entry = add(urlset, "url")
        add(entry, "loc", url)
        if path in dates:
            add(entry, "lastmod", dates[path].date().isoformat())
        root = next(e.root for e in reversed(editions) if path.startswith(e.root))
        versions = [(e.config.language, e.root + path[len(root):]) for e in editions if e.root + path[len(root):] in present]
        if len(versions) > 1:
            for lang, other in [*versions, *(("x-default", other) for lang, other in versions[:1] if lang == site.config.language)]:
                add(entry, "xhtml:link", rel="alternate", hreflang=lang, href=absolute_url(site.config, other))
    return serialize_xml(urlset)


def page_dates(site: Site) -> dict[str, datetime]:
    """When each briefing page, and each issue, person, country and organisation page with briefings, last gained content."""
    dates = {briefing.output_path: briefing.date for briefing in site.briefings}
    for issue in site.issues:
        moment = newest(site.briefings_of(issue.slug))
        if moment:
            dates[issue.output_path] = moment
    for entity in (*site.people, *site.countries, *site.organisations):
        dates[entity.output_path] = entity.briefings[0].date  # newest first, and never empty
    return dates


def render_robots(config: Config) -> bytes:
    """robots.txt: everything may be crawled, and here is the sitemap."""
    lines = ("User-agent: *", "Allow: /", f"Sitemap: {absolute_url(config, SITEMAP)}")
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


def add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    """Append a child element; ElementTree escapes, and characters XML cannot hold are dropped."""
    child = ET.SubElement(parent, tag, {name: NOT_XML.sub("", value) for name, value in attributes.items()})
    if text is not None:
        child.text = NOT_XML.sub("", text)
    return child


def serialize_xml(root: ET.Element) -> bytes:
    """UTF-8 XML with its declaration, indented so diffs of the output stay readable."""
    ET.indent(root)
    # Made as text and encoded once: ElementTree's own UTF-8 output encodes each of its thousands of pieces apart.
    return XML_DECLARATION + ET.tostring(root, encoding="unicode").encode("utf-8", "xmlcharrefreplace") + b"\n"


XML_DECLARATION = b"<?xml version='1.0' encoding='utf-8'?>\n"  # as ElementTree writes it for UTF-8


def rfc3339(moment: datetime) -> str:
    """'2021-06-28T10:30:00+02:00': RFC 3339 with the offset always written."""
    if moment.utcoffset() is None:  # the reader gives aware dates; never write one without an offset
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat(timespec="seconds")


def newest(briefings: Iterable[Briefing]) -> datetime | None:
    """The latest date among `briefings`, or None when there are none."""
    return max((briefing.date for briefing in briefings), default=None)


def issue_titles(site: Site) -> dict[str, str]:
    """Issue titles by slug."""
    return {issue.slug: issue.title for issue in site.issues}


def author_name(config: Config, briefing: Briefing) -> str:
    """'Author (Publication)', or whichever of the two is known, else the site's title."""
    source = briefing.source
    if source.author and source.publication:
        return f"{source.author} ({source.publication})"
    return source.author or source.publication or config.title


def summary_text(briefing: Briefing) -> str:
    """The briefing's summary, or the opening of its body as plain text when it has none."""
    return briefing.summary or excerpt(briefing.body.html)


def excerpt(body_html: str, size: int = EXCERPT_CHARS) -> str:
    """The plain text of `body_html`, cut at a word boundary after at most `size` characters."""
    parser = _TextOnly()
    parser.feed(body_html)
    parser.close()
    text = " ".join("".join(parser.parts).split())
    if len(text) <= size:
        return text
    return text[:size].rsplit(" ", 1)[0] + "…"


class _TextOnly(HTMLParser):
    """Collects the text of an HTML fragment, leaving out script and style (only there when sanitising is off)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in HIDDEN_TAGS:
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_TAGS and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def absolute_body(briefing: Briefing, page_url: str, config: Config, bodies: dict) -> str:
    """The briefing's body with absolute links, taken from `bodies` (source path and page URL -> body) when an
    earlier feed of the same build made it, and kept there."""
    key = (briefing.source_path, page_url)
    found = bodies.get(key)
    if found is None:
        found = bodies[key] = absolute_links(briefing.body.html, page_url, config)
    return found


def absolute_links(body_html: str, page_url: str, config: Config) -> str:
    """Make every link and image address of a body absolute: a feed reader has no page to resolve them against."""
    return START_TAG.sub(lambda tag: ATTRIBUTE.sub(lambda found: absolute_attribute(found, page_url, config), tag[0]),
                         body_html)


def absolute_attribute(found: re.Match, page_url: str, config: Config) -> str:
    """Rewrite one href/src/cite attribute against the page's URL; leave every other attribute as it is."""
    space, name, equals, value, close = found.groups()
    if value is None or name.lower() not in LINKING:
        return found[0]
    target = folder_form(urljoin(page_url, html.unescape(value)), config)
    return f"{space}{name}{equals}{html.escape(target)}{close}"


def folder_form(url: str, config: Config) -> str:
    """Name a page of this site by its folder, like absolute_url does, keeping any query or fragment."""
    parts = urlsplit(url)
    if not url.startswith(config.base_url) or not parts.path.endswith("/index.html"):
        return url
    return parts._replace(path=parts.path[: -len("index.html")]).geturl()
