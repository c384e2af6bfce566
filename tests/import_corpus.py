"""Takes the article corpus (tests/fixtures/articles/), gives each article's fields as imported next to the hand-checked ones.

Shared by tests/test_importer_corpus.py (which asserts every field right) and benchmarks/import_accuracy.py
(which prints the per-field accuracy table).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from broadside.importer.article import Article
from broadside.importer.dates import match_date
from broadside.importer.text import parse_seed

CORPUS = Path(__file__).resolve().parent / "fixtures" / "articles"
FIELDS = ("title", "date", "label", "author", "role", "publication", "paragraphs")


@dataclass(frozen=True)
class Scored:
    """One article of the corpus: what the importer found, what is right, and what it lost or invented."""

    file: str
    expected: dict[str, object]
    found: dict[str, object]
    lost: tuple[str, ...]  # input lines in no field, no paragraph and not reported as left out
    invented: tuple[str, ...]  # an author or a day the input does not contain

    @property
    def right(self) -> dict[str, bool]:
        """Return, per field, whether the importer got it exactly right."""
        return {name: self.found[name] == self.expected[name] for name in FIELDS}


def load_expected() -> list[dict[str, object]]:
    """Return the hand-checked fields of every article, in file order."""
    return yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))


def score(expected: dict[str, object]) -> Scored:
    """Import one article of the corpus and compare it with its hand-checked fields."""
    text = (CORPUS / str(expected["file"])).read_text(encoding="utf-8")
    article = parse_seed(text, f"seeds/{expected['file']}")
    byline = article.byline
    found = {"title": article.title, "date": article.date, "label": article.label,
             "author": byline.author if byline else "", "role": byline.role if byline else "",
             "publication": byline.publication if byline else "", "paragraphs": len(article.paragraphs)}
    return Scored(str(expected["file"]), expected, found, lost_lines(text, article), invented(text, article))


def lost_lines(text: str, article: Article) -> tuple[str, ...]:
    """Return every non-blank input line that reached no field or paragraph and is not listed as left out."""
    used = {int(number) for origin in (article.title_origin, article.date_origin, article.byline_origin,
                                        article.label_origin) for number in re.findall(r"line (\d+)", origin)}
    used |= {item.line for item in article.left_out}
    body = "\n".join(article.paragraphs)
    return tuple(line.strip() for number, line in enumerate(text.split("\n"), start=1)
                 if line.strip() and number not in used and line.strip() not in body)


def invented(text: str, article: Article) -> tuple[str, ...]:
    """Return an author the input does not spell out, or a date more precise than the input's date line."""
    problems = []
    if article.byline and article.byline.author and article.byline.author not in text:
        problems.append(f"author '{article.byline.author}'")
    numbers = re.findall(r"line (\d+)", article.date_origin)
    if numbers:
        line = text.split("\n")[int(numbers[0]) - 1]
        written = match_date(line.strip().removeprefix("date").strip(), anchored=False)
        if written is None or len(written.iso) < len(article.date):
            problems.append(f"date '{article.date}'")
    return tuple(problems)
