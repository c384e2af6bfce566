"""Takes a briefing count, gives the size of the offline search index and how fast the search page answers.

Run: .venv/bin/python benchmarks/search_size.py [--briefings 1000] [--folder DIR]
(with --folder, the benchmark corpus written and built there is reused; see built_corpus.py)
Targets at 50,000 briefings: the first load of search/index.html transfers at most 300 KB; the first result of
a one-word query appears within 300 ms of opening search/index.html?q=<word> from disk (a fresh browser context
each time, timed inside the page from the start of navigation).
"""
from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from built_corpus import corpus_from_arguments  # noqa: E402
from search_quality import time_queries  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FIRST_LOAD_TARGET = 300 * 1024
FIRST_RESULT_TARGET_MS = 300.0
ONE_WORD = ["kimberley", "zimbabwe", "Marange", "sanctions", "traceability", "botswana", "royalties", "Kimberly",
            "diamonds", "côte"]
# Typed in an open page: whole words, several words, a prefix, accents and case, a typo, and a miss.
QUERIES = ONE_WORD + ["civil society coalition", "zimbabwe marange", "angola child labour", "trace", "CÔTE D'IVOIRE",
                      "moratorum", "world diamond council audit", "nothingmatchesthis"]
# Records the moment the first result is drawn, by the page's clock (0 = start of navigation).
FIRST_RESULT_PROBE = """
new MutationObserver((changes, observer) => {
  if (document.querySelector("#search_results li")) {
    window.firstResultAt = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def index_files(site: Path) -> dict[str, list[int]]:
    """The sizes of the index's files, by kind."""
    folder = site / "search"
    return {"manifest (search/index.js)": [(folder / "index.js").stat().st_size],
            "term shards (search/terms/)": [path.stat().st_size for path in (folder / "terms").glob("*.js")],
            "record shards (search/briefings/)": [path.stat().st_size for path in (folder / "briefings").glob("*.js")]}


def disk_size(url: str) -> int:
    """The size on disk of a file:// URL the page requested."""
    return Path(unquote(urlsplit(url).path)).stat().st_size


def first_load(browser, site: Path) -> tuple[int, list[str]]:
    """Bytes of every file the search page loads before anyone types, and their paths."""
    context = browser.new_context()
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto((site / "search" / "index.html").as_uri(), wait_until="load")
    page.wait_for_timeout(300)  # anything loaded late would be counted too
    context.close()
    root = site.as_uri() + "/"
    return sum(disk_size(url) for url in asked), [url[len(root):] for url in asked]


def first_result(browser, site: Path, word: str) -> tuple[float, float, int]:
    """Milliseconds from navigation to the first result drawn and to the page's DOMContentLoaded (what the browser
    takes before the search starts), and the number of shards the page loaded."""
    context = browser.new_context()
    context.add_init_script(FIRST_RESULT_PROBE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    shards: list[str] = []
    page.on("request", lambda request: ("/search/terms/" in request.url or "/search/briefings/" in request.url)
            and shards.append(request.url))
    page.goto((site / "search" / "index.html").as_uri() + "?q=" + word)
    page.wait_for_selector("#search_results li", timeout=30_000)
    at, ready = page.evaluate("""() => [window.firstResultAt,
                                        performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd]""")
    context.close()
    if errors:
        raise SystemExit("errors in the page: " + "; ".join(errors))
    return at, ready, len(set(shards))


def typed_queries(browser, site: Path) -> list[dict]:
    """Each query asked through the page's search (first time, shards loading included; then again)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto((site / "search" / "index.html").as_uri(), wait_until="load")
    timings = time_queries(page, QUERIES)
    context.close()
    return timings


def main() -> None:
    """Generate or reuse the corpus, build it, measure, print."""
    count, _, site = corpus_from_arguments(__doc__.splitlines()[0], 1000)
    print(f"{count} briefings; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times grow with it)")
    for kind, sizes in index_files(site).items():
        print(f"  {kind}: {len(sizes)} files, {sum(sizes) / 1024:,.0f} KB in all, largest {max(sizes) / 1024:,.1f} KB,"
              f" median {statistics.median(sizes) / 1024:,.1f} KB")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        size, paths = first_load(browser, site)
        print(f"first load of search/index.html: {size / 1024:,.1f} KB ({', '.join(paths)}): "
              f"{size / FIRST_LOAD_TARGET:.0%} of the 300 KB target")
        times, searching = [], []
        for word in ONE_WORD:
            at, ready, shards = first_result(browser, site, word)
            times.append(at)
            searching.append(at - ready)
            print(f"  ?q={word:14} first result drawn at {at:6.0f} ms, {at - ready:5.0f} ms after DOMContentLoaded "
                  f"({shards} shards loaded by the end)")
        print(f"first result of a one-word query, from disk: median {statistics.median(times):.0f} ms, "
              f"max {max(times):.0f} ms: {max(times) / FIRST_RESULT_TARGET_MS:.0%} of the 300 ms target "
              f"(of which searching, after DOMContentLoaded: median {statistics.median(searching):.0f} ms, "
              f"max {max(searching):.0f} ms)")
        typed = typed_queries(browser, site)
        browser.close()
    for answer in typed:
        print(f"  {answer['query']!r:32} {answer['count']:6} found  first {answer['first']:7.1f} ms  "
              f"again {answer['again']:6.1f} ms")
    print(f"typed query: median {statistics.median(a['first'] for a in typed):.1f} ms the first time, "
          f"{statistics.median(a['again'] for a in typed):.1f} ms again")


if __name__ == "__main__":
    main()
