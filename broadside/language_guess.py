"""Takes the text of an article and gives the language it is most likely written in, as a BCP 47 tag, and how sure
that guess is (langdetect's probability)."""
from __future__ import annotations

from dataclasses import dataclass

from .languages import standard_tag

SAMPLE_CHARS = 4000  # a few paragraphs decide; more only costs time


@dataclass(frozen=True)
class Guess:
    """A language guessed for a text: its tag ('' when no guess could be made) and the probability, 0 to 1."""

    lang: str
    certainty: float


def guess_language(text: str) -> Guess:
    """The likeliest language of `text`; the same text always gives the same guess."""
    from langdetect import DetectorFactory, LangDetectException, detect_langs  # only imports need it

    DetectorFactory.seed = 0  # langdetect samples at random: a fixed seed makes it repeatable
    try:
        found = detect_langs(text[:SAMPLE_CHARS])
    except LangDetectException:  # no letters to go on
        return Guess("", 0.0)
    best = max(found, key=lambda language: language.prob)
    return Guess(standard_tag(best.lang) or standard_tag(best.lang.split("-")[0]) or best.lang, round(best.prob, 2))
