"""Takes a briefing count, gives the precision at 5 and the time per query of the search page on the benchmark corpus.

Run: .venv/bin/python benchmarks/search_quality.py [--briefings 2000] [--folder DIR]
Each query is typed as a person might (a prefix, one typo, other case or accents, several words) and names the
words it means. A briefing is relevant when its title holds every meant word (or its plural or singular); when
fewer than five titles do, a briefing holding them anywhere (title, summary, body) is relevant too. Precision at 5
is the share of the first five results (or of all relevant briefings, if fewer) that are relevant. The queries are
asked in one open page from disk through the page's own search; the first time includes loading shards.
"""
from __future__ import annotations

import re
import statistics
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from built_corpus import corpus_from_arguments  # noqa: E402
from corpus import Briefing  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
QUERIES = [  # (as typed, the words meant)
    ("zimbabwe", "zimbabwe"), ("Angola", "angola"), ("botswana", "botswana"), ("sierra leone", "sierra leone"),
    ("namibia", "namibia"), ("russia", "russia"), ("belgium", "belgium"), ("sanctions", "sanctions"),
    ("traceability", "traceability"), ("royalties", "royalties"), ("moratorium", "moratorium"),
    ("secretariat", "secretariat"), ("peer review", "peer review"), ("child labour", "child labour"),
    ("due diligence", "due diligence"), ("polluted river", "polluted river"),
    # prefixes
    ("Zimb", "zimbabwe"), ("Namib", "namibia"), ("tracea", "traceability"), ("morator", "moratorium"),
    ("Kimb", "kimberley"),
    # one typo
    ("Zimbabew", "zimbabwe"), ("Botswanna", "botswana"), ("Kimberly", "kimberley"), ("sanctons", "sanctions"),
    ("moratorum", "moratorium"), ("traceabilty", "traceability"), ("royalites", "royalties"),
    # case and accents
    ("CÔTE D'IVOIRE", "cote ivoire"), ("côte", "cote"), ("ZIMBABWE", "zimbabwe"), ("Émirates", "emirates"),
    # several words
    ("zimbabwe sanctions", "zimbabwe sanctions"), ("angola child labour", "angola child labour"),
    ("kimberley chair", "kimberley chair"), ("world diamond council", "world diamond council"),
    ("botswana royalties", "botswana royalties"), ("namibia river", "namibia river"),
    ("india due diligence", "india due diligence"), ("community leaders compensation", "community leaders compensation"),
    ("pledges", "pledges"), ("suspends", "suspends"),
]
WORD = re.compile(r"[^\W_]+")


def folded_words(text: str) -> set[str]:
    """Lower-case words without accents (written here on its own, to check the site's folding, not to share it)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return set(WORD.findall("".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))))


def holds(words: set[str], meant: str) -> bool:
    """True when `words` hold every meant word, or its plural or singular."""
    return all({word, word + "s", word[:-1] if word.endswith("s") else word} & words for word in meant.split())


def relevant_slugs(briefings: tuple[Briefing, ...], meant: str) -> set[str]:
    """The briefings a person meaning `meant` wants: by title, or anywhere when fewer than five titles match."""
    found = {b.slug for b in briefings if holds(folded_words(b.title), meant)}
    if len(found) < 5:
        found |= {b.slug for b in briefings if holds(folded_words(" ".join([b.title, b.summary, b.body])), meant)}
    return found


def ask(site: Path, queries: list[str]) -> list[dict]:
    """Each query's result count, first five links and times (first, then again), from one open search page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((site / "search" / "index.html").as_uri(), wait_until="load")
        answers = time_queries(page, queries)
        browser.close()
    if errors:
        raise SystemExit("errors in the page: " + "; ".join(errors))
    return answers


def time_queries(page, queries: list[str]) -> list[dict]:
    """Ask each query through the open search page's own search, twice; its count, first five links and times."""
    return page.evaluate("""async (queries) => {
        const out = [];
        for (const q of queries) {
            let start = performance.now();
            const found = await window.broadsideSearch.query(q);
            const first = performance.now() - start;
            start = performance.now();
            await window.broadsideSearch.query(q);
            out.push({query: q, count: found.count, urls: found.records.slice(0, 5).map(r => r.url), first: first,
                      again: performance.now() - start});
        }
        return out;
    }""", queries)


def main() -> None:
    """Generate or reuse the corpus, ask every query, print precision at 5 and times."""
    count, corpus, site = corpus_from_arguments(__doc__.splitlines()[0], 2000)
    answers = ask(site, [typed for typed, _ in QUERIES])
    precisions = []
    print(f"{count} briefings, {len(QUERIES)} queries")
    for (typed, meant), answer in zip(QUERIES, answers):
        wanted = relevant_slugs(corpus.briefings, meant)
        slugs = [url.split("/")[-2] for url in answer["urls"]]
        precision = sum(slug in wanted for slug in slugs) / max(1, min(5, len(wanted)))
        precisions.append(precision)
        print(f"  {typed!r:34} means {meant!r:32} {answer['count']:6} found, {len(wanted):6} relevant, "
              f"P@5 {precision:.2f}, {answer['first']:6.1f} ms first, {answer['again']:5.1f} ms again")
    print(f"precision at 5: mean {statistics.mean(precisions):.2f}, "
          f"{sum(p == 1 for p in precisions)} of {len(precisions)} queries at 1.00")
    print(f"time per query: median {statistics.median(a['first'] for a in answers):.1f} ms the first time "
          f"(shards loading), {statistics.median(a['again'] for a in answers):.1f} ms again")


if __name__ == "__main__":
    main()
