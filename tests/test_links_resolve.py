"""Tests that every link and resource in the built shipped site is relative and reaches an existing file and #anchor.

Links are resolved the way a browser does over file://, so a link that works here works from disk,
at a domain root and under a project sub-path alike.
"""
from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from broadside.config import load_config
from broadside.errors import BuildFailed
from broadside.languages import split_name
from broadside.pipeline import BuildOptions, check_project

REPO = Path(__file__).resolve().parents[1]

# Attributes holding a URL the page links to or loads, by element.
LINK_ATTRIBUTES = {"a": "href", "area": "href", "link": "href", "img": "src", "script": "src", "iframe": "src",
                   "embed": "src", "source": "src", "track": "src", "audio": "src", "video": "src", "input": "src"}
# Things a browser fetches while showing the page: these must never come from another host.
RESOURCE_RELS = {"stylesheet", "icon", "apple-touch-icon", "preload", "modulepreload", "prefetch", "manifest", "mask-icon"}
LEAVING_SCHEMES = {"http", "https", "mailto"}


def output_paths(root: Path) -> list[str]:
    """Every file under `root`, as sorted POSIX paths relative to it."""
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def content_slugs(kind: str) -> list[str]:
    """The pages of content/<kind>/*.md, as '<lang>/<slug>' for a translation (kp.fr.md) and '<slug>' otherwise."""
    named = (split_name(path.stem) for path in (REPO / "content" / kind).glob("*.md"))
    return sorted(f"{lang}/{slug}" if lang else slug for slug, lang in named)


@dataclass
class Reference:
    """One URL written in a page: the element, the attribute, the value and whether the page loads it."""

    tag: str
    attribute: str
    url: str
    loaded: bool


@dataclass
class Page:
    """What a crawl needs from one HTML file: its references, its ids and its <base>, if any."""

    references: list[Reference] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    bases: list[str] = field(default_factory=list)


class PageParser(HTMLParser):
    """Collects the references, ids and <base> of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = Page()

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if values.get("id"):
            self.page.ids.add(values["id"])
        if tag == "base" and values.get("href") is not None:
            self.page.bases.append(values["href"])
            return
        name = LINK_ATTRIBUTES.get(tag)
        if name and values.get(name) is not None:
            self.page.references.append(Reference(tag, name, values[name].strip(), is_loaded(tag, values)))
        for candidate in srcset_urls(values.get("srcset")):
            self.page.references.append(Reference(tag, "srcset", candidate, True))

    handle_startendtag = handle_starttag


def is_loaded(tag: str, values: dict) -> bool:
    """True when the browser fetches the URL to show the page, rather than the reader following it."""
    if tag == "a" or tag == "area":
        return False
    if tag == "link":
        return bool(RESOURCE_RELS & set((values.get("rel") or "").lower().split()))
    return True


def srcset_urls(srcset: str | None) -> list[str]:
    """The URLs of a srcset attribute (each candidate is 'url [descriptor]')."""
    if not srcset:
        return []
    return [candidate.split()[0] for candidate in srcset.split(",") if candidate.strip()]


def parse_page(path: Path) -> Page:
    """Parse one HTML file."""
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser.page


def crawl(root: Path) -> dict[str, Page]:
    """Parse every .html file under root, keyed by output path."""
    return {path: parse_page(root / path) for path in output_paths(root) if path.endswith(".html")}


def reference_problem(root: Path, page_path: str, reference: Reference, pages: dict[str, Page], base_url: str) -> str | None:
    """Say what is wrong with one reference, or None when it is fine."""
    url = reference.url
    parts = urllib.parse.urlsplit(url)
    if "localhost" in url or "127.0.0.1" in url:
        return "points at a development server"
    if page_path == "404.html" and url.startswith(base_url):
        # 404.html is served at any depth, so its own links are absolute: map them back to files.
        inside = url[len(base_url):]
        return internal_problem(root, root, page_path, urllib.parse.urlsplit(inside), pages)
    if parts.scheme:
        return external_problem(reference, parts, base_url)
    if url.startswith("/"):
        return "starts with '/', which breaks under a project sub-path and from disk"
    return internal_problem(root, (root / page_path).parent, page_path, parts, pages)


def external_problem(reference: Reference, parts: urllib.parse.SplitResult, base_url: str) -> str | None:
    """Absolute URLs are for leaving the site only; anything the page loads must stay on it."""
    if parts.scheme.lower() not in LEAVING_SCHEMES:
        return f"uses the scheme '{parts.scheme}:'"
    if reference.loaded:
        return "loads a resource by absolute URL: it would leave the site or fail offline"
    if reference.tag == "link" and not reference.url.startswith(base_url):
        return f"<link> to another site; absolute <link>s (canonical, feeds) must start with base_url {base_url}"
    return None


def internal_problem(root: Path, start: Path, here: str | None, parts: urllib.parse.SplitResult,
                     pages: dict[str, Page]) -> str | None:
    """A relative URL must name a file of the site and, with a #fragment, an id on that page.

    `here` is the page a bare '#fragment' refers to; None when a <base> makes it the root folder.
    """
    if parts.path:
        target = (start / urllib.parse.unquote(parts.path)).resolve()
        problem = file_problem(root, target)
        if problem:
            return problem
        here = target.relative_to(root.resolve()).as_posix()
    elif here is None:
        return "resolves through <base> to the site root folder, which does not open from disk"
    return fragment_problem(here, urllib.parse.unquote(parts.fragment), pages)


def file_problem(root: Path, target: Path) -> str | None:
    """An absolute file path must be a regular file inside the output folder."""
    if not target.is_relative_to(root.resolve()):
        return "leaves the output folder"
    if target.is_dir():
        return "names a folder, which does not open from disk (link to its index.html)"
    if not target.is_file():
        return "names a file the site does not have"
    return None


def fragment_problem(target: str, fragment: str, pages: dict[str, Page]) -> str | None:
    """A #fragment must be an id on the target page."""
    if not fragment:
        return None
    if target not in pages:
        return f"has #{fragment}, but {target} is not an HTML page"
    if fragment not in pages[target].ids:
        return f"no id '{fragment}' on {target}"
    return None


def test_every_link_and_resource_resolves(built_site):
    """Each href/src of each page is relative, reaches an existing file, and its #fragment exists there."""
    base_url = load_config(REPO).base_url
    pages = crawl(built_site)
    problems, count = [], 0
    for page_path, page in pages.items():
        for reference in page.references:
            count += 1
            problem = reference_problem(built_site, page_path, reference, pages, base_url)
            if problem:
                problems.append(f"{page_path}: <{reference.tag} {reference.attribute}={reference.url!r}> {problem}")
    assert count > len(pages), f"only {count} links found in {len(pages)} pages: is the crawler finding them?"
    assert not problems, f"{len(problems)} bad links of {count} in {len(pages)} pages:\n" + "\n".join(problems)


def test_no_page_has_a_base(built_site):
    """A <base> would break pages opened from disk, and the 404 page's skip link."""
    bases = {path: page.bases for path, page in crawl(built_site).items() if page.bases}
    assert bases == {}, f"pages with <base>: {bases}"


def test_only_the_404_page_links_absolutely(built_site):
    """GitHub Pages serves 404.html at any depth: its links start with base_url; every other page's are relative."""
    base_url = load_config(REPO).base_url
    for path, page in crawl(built_site).items():
        internal = [r.url for r in page.references if r.tag != "link" and r.url.startswith(base_url)]
        if path == "404.html":
            assert len(internal) >= 4, internal  # stylesheet, home, briefings, issues
        else:
            assert internal == [], f"{path} links absolutely: {internal}"


def test_stylesheet_references_resolve(built_site):
    """url(...) in the theme's CSS is relative and reaches a file, for the same reasons as page links."""
    problems, count = [], 0
    for css_path in (path for path in output_paths(built_site) if path.endswith(".css")):
        css = (built_site / css_path).read_text(encoding="utf-8")
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css):
            count += 1
            if url.startswith("data:"):
                continue
            parts = urllib.parse.urlsplit(url)
            target = (built_site / css_path).parent / urllib.parse.unquote(parts.path)
            problem = "is absolute" if parts.scheme or url.startswith("/") else file_problem(built_site, target.resolve())
            if problem:
                problems.append(f"{css_path}: url({url}) {problem}")
    assert not problems, f"{len(problems)} bad url() of {count}:\n" + "\n".join(problems)


def test_github_pages_needs(built_site):
    """.nojekyll is there and nothing starts with '_' (Jekyll would drop it if it ever ran)."""
    paths = output_paths(built_site)
    assert ".nojekyll" in paths, f".nojekyll missing among {len(paths)} files"
    hidden = [path for path in paths if any(part.startswith("_") for part in path.split("/"))]
    assert not hidden, f"{len(hidden)} of {len(paths)} paths have a part starting with '_': {hidden}"


def test_every_content_file_and_section_has_its_page(built_site):
    """Each briefing and issue in content/ has its page, and so does each fixed section."""
    briefings, issues = content_slugs("briefings"), content_slugs("issues")
    expected = {"index.html", "briefings/index.html", "issues/index.html", "archive/index.html", "404.html",
                "people/index.html", "countries/index.html", "organisations/index.html", "countries/zw/index.html",
                "static/style.css", *(briefing_or_issue_path("briefings", slug) for slug in briefings),
                *(briefing_or_issue_path("issues", slug) for slug in issues)}
    missing = sorted(expected - set(output_paths(built_site)))
    assert not missing, (f"{len(missing)} of {len(expected)} expected files missing "
                         f"({len(briefings)} briefings, {len(issues)} issues in content/): {missing}")


def briefing_or_issue_path(kind: str, name: str) -> str:
    """The page of a content_slugs name: fr/x -> fr/<kind>/x/index.html (the shipped site's folders are its tags)."""
    lang, _, slug = name.rpartition("/")
    return f"{lang + '/' if lang else ''}{kind}/{slug}/index.html"


def test_shipped_site_builds_under_strict():
    """CI builds the shipped site with --strict, so it may have no warning (broken body link, issue without briefings)."""
    try:
        check_project(BuildOptions(project=REPO, strict=True))  # writes nothing
    except BuildFailed as failure:
        pytest.fail(f"{len(failure.errors)} problems under --strict:\n{failure}", pytrace=False)
