"""Takes the article corpus (tests/fixtures/articles/) and gives the importer's per-field accuracy and its speed on a large article.

Run: .venv/bin/python benchmarks/import_accuracy.py [--kilobytes 200]
Targets: every field right for every article, 0 lines lost unreported, 0 invented authors or days,
a 200 KB article read in under 1 s.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from broadside.importer.text import parse_seed  # noqa: E402
from tests.import_corpus import CORPUS, FIELDS, load_expected, score  # noqa: E402


def print_accuracy() -> None:
    """Print one row per field: how many articles got it exactly right."""
    scored = [score(entry) for entry in load_expected()]
    outlets = {entry["outlet"] for entry in (s.expected for s in scored)}
    print(f"corpus: {len(scored)} articles from {len(outlets)} outlets")
    print(f"{'field':<12} {'right':>6} {'of':>4} {'accuracy':>9}")
    for name in FIELDS:
        right = sum(s.right[name] for s in scored)
        print(f"{name:<12} {right:>6} {len(scored):>4} {right / len(scored):>9.0%}")
    lost = sum(len(s.lost) for s in scored)
    invented = sum(len(s.invented) for s in scored)
    left_out = sum(s.expected["left_out"] for s in scored)
    print(f"lines left out and reported: {left_out}; lines lost without being reported: {lost}; "
          f"invented authors or days: {invented}")
    for s in scored:
        wrong = [name for name, ok in s.right.items() if not ok]
        if wrong or s.lost or s.invented:
            print(f"  {s.file}: wrong {wrong}, lost {list(s.lost)}, invented {list(s.invented)}")


def print_speed(kilobytes: int) -> None:
    """Print how long reading an article of about `kilobytes` KB takes (median of 5)."""
    head = (CORPUS / "trt-car-embargo.txt").read_text(encoding="utf-8")
    paragraph = "The Kimberley Process met again in Dubai, and civil society asked for reform. " * 6
    count = kilobytes * 1024 // len(paragraph)
    text = head + "\n\n".join(f"Paragraph {i}: {paragraph}" for i in range(count))
    times = []
    for _ in range(5):
        started = time.perf_counter()
        parse_seed(text, "seeds/large.txt")
        times.append(time.perf_counter() - started)
    print(f"reading a {len(text.encode()) / 1024:.0f} KB article ({count} paragraphs): "
          f"{statistics.median(times) * 1000:.0f} ms (median of 5; target under 1000 ms)")


def main() -> None:
    """Print the accuracy table, then the speed figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kilobytes", type=int, default=200, help="size of the large article (default: 200)")
    arguments = parser.parse_args()
    print_accuracy()
    print_speed(arguments.kilobytes)


if __name__ == "__main__":
    main()
