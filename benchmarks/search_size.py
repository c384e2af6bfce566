"""Takes nothing and gives the size of search/index.js and the time per search query for a generated 1,000-briefing site.

Run: .venv/bin/python benchmarks/search_size.py [--briefings 1000]
Targets: index.js at most 2 MB; each query under 50 ms, timed inside the page with performance.now().
"""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from broadside.pipeline import BuildOptions, build_site  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SIZE_TARGET = 2 * 1024 * 1024
QUERY_TARGET_MS = 50.0
BODY_BYTES = 5000
ISSUES = 40
# Typical queries: whole words, phrases, a prefix being typed, diacritics, a name, and a miss.
QUERIES = ["kimberley", "conflict diamonds", "human rights", "zimbabwe marange", "responsible sourcing",
           "cote d'ivoire", "certification scheme", "diam", "civil society coalition un", "nothingmatchesthis"]
# Real words, most frequent first, so generated text has the shape of news English; a long tail of
# made-up words (names, places, rare words) follows them, as in a real corpus.
COMMON = """the of and to in a that is for on it with as was said by at from be has have are this which
not or its their an were but also been had will would they more who after one about other than over
into could can all we there new two these its when some government diamond diamonds process kimberley
country countries mining trade said civil society coalition rights human conflict international
industry minister report year years rough exports producers companies state security artisanal
miners communities workers plenary chair participants certification scheme responsible sourcing
definition violence abuses reform review mandate consensus united nations council sanctions
zimbabwe marange angola botswana namibia sierra leone liberia guinea russia china india belgium
antwerp dubai canada africa african southern central republic congo drc lunda tshikapa kono
côte d'ivoire são tomé séguéla alrosa de beers debswana catoca endiama gécamines
market prices polished cutting jewellery retailers consumers supply chain due diligence oecd
guidance traceability audit transparency revenue taxes smuggling border police army military
killings torture evictions compensation land water environment pollution children women
health villages local residents leaders ngo campaign campaigners partnership africa network
global witness impacto monitoring observers meeting intersessional working group committee
statement proposal agenda vote blocked support opposed urged called warned agreed announced
week month today last first second third most many several because while however despite
""".split()
SYLLABLES = ["ka", "mo", "ri", "ta", "ne", "lu", "shi", "ba", "go", "de", "vi", "zo", "ma", "ku", "sa",
             "te", "no", "pa", "li", "ro", "ha", "mi", "dze", "ngo", "we", "ya", "fu", "el", "an", "or"]
PUBLICATIONS = ["Rough&Polished", "Mining Weekly", "The Herald", "Daily Maverick", "Rapaport News",
                "IDEX Online", "Mail & Guardian", "The Namibian", "Africa Report", "Reuters",
                "Jornal de Angola", "Sierra Leone Telegraph", "Mmegi", "NewsDay", "Le Monde Afrique"]


def made_up_words(rng: random.Random, count: int) -> list[str]:
    """Distinct pronounceable words for the long tail of the vocabulary."""
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Writer:
    """Writes Zipf-distributed text over a fixed vocabulary, deterministically."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.vocabulary = list(dict.fromkeys(COMMON)) + made_up_words(self.rng, 40_000)
        self.weights = [1 / (rank + 2) ** 1.05 for rank in range(len(self.vocabulary))]

    def words(self, count: int) -> list[str]:
        """`count` words drawn by frequency rank."""
        return self.rng.choices(self.vocabulary, self.weights, k=count)

    def sentence(self) -> str:
        """One sentence, sometimes quoted, ending with a full stop."""
        words = self.words(self.rng.randint(12, 28))
        text = " ".join(words)
        text = text[0].upper() + text[1:] + "."
        return f"“{text}” said {self.name()}." if self.rng.random() < 0.15 else text

    def name(self) -> str:
        """A person's name."""
        return " ".join(self.rng.choice(self.vocabulary[300:]).capitalize() for _ in range(2))

    def paragraphs(self, size: int) -> str:
        """Paragraphs of about `size` characters in all."""
        paragraphs, total = [], 0
        while total < size:
            paragraph = " ".join(self.sentence() for _ in range(self.rng.randint(2, 5)))
            paragraphs.append(paragraph)
            total += len(paragraph) + 2
        return "\n\n".join(paragraphs)

    def title(self, low: int, high: int) -> str:
        """A headline-like line of words."""
        text = " ".join(self.words(self.rng.randint(low, high)))
        return text[0].upper() + text[1:]


def front_matter(values: dict, body: str) -> str:
    """A content file: YAML front matter written by the serializer, then the body."""
    return "---\n" + yaml.safe_dump(values, allow_unicode=True, sort_keys=False) + "---\n\n" + body + "\n"


def write_project(project: Path, count: int) -> None:
    """A site with `count` briefings and ISSUES issues, using the repository's theme."""
    writer = Writer(seed=2021)
    (project / "content" / "issues").mkdir(parents=True)
    (project / "content" / "briefings").mkdir(parents=True)
    shutil.copytree(REPO / "themes", project / "themes")
    (project / "site.toml").write_text('title = "Benchmark Watch"\ndescription = "A generated site."\n'
                                       'base_url = "https://bench.example/"\n', encoding="utf-8")
    slugs = [f"issue-{number:02d}" for number in range(ISSUES)]
    for slug in slugs:
        issue = {"title": writer.title(3, 6), "summary": writer.sentence(), "keywords": writer.words(3)}
        (project / "content" / "issues" / f"{slug}.md").write_text(front_matter(issue, writer.paragraphs(600)), encoding="utf-8")
    first = date(2012, 1, 1)
    for number in range(count):
        briefing = {"title": writer.title(7, 13), "date": first + timedelta(days=number * 4 + writer.rng.randint(0, 3)),
                    "summary": writer.sentence(), "issues": sorted(writer.rng.sample(slugs, writer.rng.randint(1, 4))),
                    "source": {"publication": writer.rng.choice(PUBLICATIONS), "author": writer.name()}}
        path = project / "content" / "briefings" / f"briefing-{number:04d}.md"
        path.write_text(front_matter(briefing, writer.paragraphs(BODY_BYTES)), encoding="utf-8")


def time_queries(site: Path) -> dict[str, list[float]]:
    """Open the search page from disk and time each query (cold, then warm) inside the page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.goto((site / "search" / "index.html").as_uri(), wait_until="load")
        timings = page.evaluate("""(queries) => {
            const time = (action) => { const start = performance.now(); action(); return performance.now() - start; };
            const form = document.getElementById("search_form"), input = form.querySelector("input");
            const nav = performance.getEntriesByType("navigation")[0];
            const out = {load: [nav.domContentLoadedEventEnd], cold: [], warm: [], page: [], found: []};
            for (const q of queries) {
                let found = 0;
                out.cold.push(time(() => { found = window.broadsideSearch.query(q).length; }));
                out.found.push(found);
                const runs = [];
                for (let i = 0; i < 5; i++) runs.push(time(() => window.broadsideSearch.query(q)));
                out.warm.push(runs.sort((a, b) => a - b)[2]);
                input.value = q;
                out.page.push(time(() => form.requestSubmit()));
            }
            return out;
        }""", QUERIES)
        browser.close()
    if errors:
        raise SystemExit("errors in the page:\n" + "\n".join(errors))
    return timings


def report(label: str, values: list[float]) -> str:
    """Median and max of a list of milliseconds."""
    return f"{label}: median {statistics.median(values):.2f} ms, max {max(values):.2f} ms"


def main() -> None:
    """Generate, build, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--briefings", type=int, default=1000)
    count = parser.parse_args().briefings
    with tempfile.TemporaryDirectory() as folder:
        project, site = Path(folder) / "project", Path(folder) / "site"
        write_project(project, count)
        started = time.perf_counter()
        build_site(BuildOptions(project=project, output=site, today=date(2030, 1, 1)))
        built = time.perf_counter() - started
        bodies = sum(len(path.read_bytes()) for path in (project / "content" / "briefings").glob("*.md"))
        size = (site / "search" / "index.js").stat().st_size
        timings = time_queries(site)
    print(f"{count} briefings, {bodies / count / 1024:.1f} KB of Markdown each; built in {built:.1f} s")
    print(f"search/index.js: {size:,} bytes ({size / 1024 / 1024:.2f} MiB), "
          f"{size / SIZE_TARGET:.0%} of the 2 MiB target, {size / bodies:.0%} of the Markdown")
    print(f"search page ready (DOMContentLoaded, index parsed and prepared): {timings['load'][0]:.0f} ms")
    for query, cold, warm, found in zip(QUERIES, timings["cold"], timings["warm"], timings["found"]):
        print(f"  {query!r:32} {found:5} found  first {cold:6.2f} ms  again {warm:6.2f} ms")
    print(report("query, first run", timings["cold"]))
    print(report("query, again", timings["warm"]))
    print(report("query + drawing the results (form submit)", timings["page"]))
    slowest = max(timings["cold"] + timings["warm"])
    print(f"slowest query {slowest:.2f} ms: {slowest / QUERY_TARGET_MS:.0%} of the {QUERY_TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
