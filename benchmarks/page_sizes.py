"""Takes a briefing count, gives the largest output files of the built benchmark corpus, checked against the limits.

Run: .venv/bin/python benchmarks/page_sizes.py [--briefings 1000] [--folder DIR]
Limits (the issue's target at 50,000 briefings): no HTML page over 500 KB, no feed (Atom or JSON Feed) over 1 MB.
Every list is a kind of its own, its later pages another: the archive's years, the people, countries and
organisations indexes (people/index.html, people/page/<n>/index.html), an issue's or a country's briefings.
Exits 1 when a file is over its limit, after printing them all.
"""
from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from built_corpus import corpus_from_arguments  # noqa: E402

PAGE_LIMIT = 500 * 1024
FEED_LIMIT = 1024 * 1024


def kind_of(output_path: str) -> str:
    """A file's kind, for the table: its first folder and its pattern (briefings/<slug>/index.html, ...)."""
    parts = output_path.split("/")
    if len(parts) == 1:
        return output_path
    name = parts[-1] if parts[-1] in ("index.html", "feed.xml", "feed.json") else "*" + Path(parts[-1]).suffix
    # "page" stays as it is, so that a list's later pages (people/page/<n>/index.html) are a kind of their own.
    shape = [parts[0], *("<n>" if part.isdigit() else part if part == "page" else "*" for part in parts[1:-1]), name]
    return "/".join(shape)


def limit_of(output_path: str) -> int | None:
    """The size limit of a file, if it has one."""
    if output_path.endswith(".html"):
        return PAGE_LIMIT
    if output_path.endswith(("feed.xml", "feed.json")):
        return FEED_LIMIT
    return None


def main() -> None:
    """Build or reuse the corpus, list the largest file of each kind, check the limits."""
    count, _, site = corpus_from_arguments(__doc__.splitlines()[0], 1000)
    largest: dict[str, tuple[int, str]] = defaultdict(lambda: (0, ""))
    counts: dict[str, int] = defaultdict(int)
    over = []
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        output_path, size = path.relative_to(site).as_posix(), path.stat().st_size
        kind = kind_of(output_path)
        counts[kind] += 1
        largest[kind] = max(largest[kind], (size, output_path))
        limit = limit_of(output_path)
        if limit is not None and size > limit:
            over.append((output_path, size, limit))
    print(f"{count} briefings: {sum(counts.values()):,} files")
    print(f"{'kind':44} {'files':>7} {'largest':>10}  largest file")
    for kind, (size, output_path) in sorted(largest.items(), key=lambda item: -item[1][0]):
        mark = " (limit)" if limit_of(output_path) else ""
        print(f"{kind:44} {counts[kind]:7,} {size / 1024:8,.1f} KB  {output_path}{mark}")
    pages = max(size for kind, (size, path) in largest.items() if path.endswith(".html"))
    feeds = max((size for kind, (size, path) in largest.items() if path.endswith(("feed.xml", "feed.json"))), default=0)
    print(f"largest HTML page {pages / 1024:,.1f} KB: {pages / PAGE_LIMIT:.0%} of 500 KB; "
          f"largest feed {feeds / 1024:,.1f} KB: {feeds / FEED_LIMIT:.0%} of 1 MB")
    for output_path, size, limit in over:
        print(f"OVER THE LIMIT: {output_path} is {size / 1024:,.1f} KB (limit {limit / 1024:,.0f} KB)")
    raise SystemExit(1 if over else 0)


if __name__ == "__main__":
    main()
