"""Takes a read Site and the set of files a build produces and gives a warning per broken internal link or #anchor."""
from __future__ import annotations

from typing import Collection

from .errors import ContentError
from .model import Site, places_changed


def check_links(site: Site, output_paths: Collection[str], kept: dict | None = None) -> list[ContentError]:
    """Warn about body links to missing files, folders, unknown #anchors and root-relative URLs.

    `kept` (a running preview's memory) holds the last check's output paths and the items whose links all reached
    them: an item that is the very object found so, checked against those paths or more, is not looked at again."""
    problems, ids, seen = [], {}, set()
    pages = output_paths if isinstance(output_paths, (set, frozenset)) else frozenset(output_paths)
    items = [item for edition in site.all_editions for item in (*edition.issues, *edition.briefings, *edition.packs)]
    last = kept.get("pages") if kept is not None else None
    # Pages added since (a search shard for a word new to the site) break no link found whole; a page gone may.
    before = kept.get("clean", ()) if last is not None and (last is pages or last <= pages) else ()
    before = before if len(before) == len(items) else ()
    clean = list(before) if before else [None] * len(items)  # each item: itself when its links need no check
    for number in places_changed(before, items) if before else range(len(items)):  # a None there is looked at again
        item = items[number]
        plain, doubtful = item.body.link_checks
        if plain <= pages and not doubtful:
            clean[number] = item
            continue  # links out of the site or to pages the site has (most are)
        clean[number] = None
        if item.source_path in seen:
            continue  # an issue in two languages
        seen.add(item.source_path)
        # Every link, in order, when a plain one reaches a page the site lacks; otherwise the doubtful ones
        # alone, which a packed body keeps at hand (its links are packed with its text).
        for link in (doubtful if plain <= pages else item.body.links):
            if link not in doubtful and (not link.target or link.target in pages):
                continue  # a plain link out of the site, or to a page it has: nothing to check
            ids = ids or page_ids(site)
            message = _link_problem(link, ids, pages)
            if message:
                problems.append(ContentError(item.source_path, link.line, message[0], message[1], warning=True))
    if kept is not None:
        kept.update(pages=pages, clean=clean)
    return problems


def page_ids(site: Site) -> dict[str, frozenset[str]]:
    """The ids of each briefing's, issue's and pack's page, by output path (found only for a link with a #fragment
    or one that may be broken: most builds have none)."""
    return {edition.root + item.output_path: item.body.ids
            for edition in site.all_editions for item in (*edition.issues, *edition.briefings, *edition.packs)}


def _link_problem(link, ids: dict, output_paths: Collection[str]) -> tuple[str, str] | None:
    """Return (message, hint) when a link is broken, else None."""
    if link.written.startswith("/") and not link.written.startswith("//"):
        return f"link '{link.written}' starts with '/', which breaks on GitHub Pages project sites and offline", \
            "link to the .md file instead, e.g. ../issues/x.md"
    if not link.target:
        return None
    if link.target.endswith(".md"):
        return f"broken link '{link.written}': there is no {link.target}", "check the file name"
    if link.target not in output_paths:
        if f"{link.target}/index.html" in output_paths:
            return f"link '{link.written}' names a folder, which does not open from disk", "link to the .md file instead"
        return f"broken link '{link.written}': the site has no such file", "check the path"
    if link.fragment and link.target in ids and link.fragment not in ids[link.target]:
        known = ", ".join(sorted(ids[link.target])) or "none"
        return f"broken link '{link.written}': no #{link.fragment} on that page", f"anchors there: {known}"
    return None
