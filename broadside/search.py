"""Takes a Site and gives search/index.js: one script that sets window.broadsideSearchIndex for offline search.

Besides briefings, the index lists people, countries and organisations by name, so a search for a
name also offers that person's, country's or organisation's page.
"""
from __future__ import annotations

import bisect
import functools
import html
import json
import re
import unicodedata
from dataclasses import dataclass

from .model import Briefing, Entity, Site

INDEX_PATH = "search/index.js"
GLOBAL_NAME = "broadsideSearchIndex"
FORMAT_VERSION = 2  # 2: "entities", the people, countries and organisations
# Words of the body kept as plain text, for the snippet shown under a result; the rest is only indexed.
OPENING_WORDS = 40
# Longer "words" are URLs, hashes or glued text nobody types.
LONGEST_TERM = 32
# Words too common to tell briefings apart: left out of the body index, and search.js treats them as present
# in every body. Shipped inside the index so Python and search.js can never disagree.
ENGLISH_STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her here hers
herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once
only or other our ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself yourselves said says say
""".split())
# Base64url digits: the first 32 end a number, the last 32 carry five more bits (most significant first).
DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
BLOCK_TAGS = frozenset({"p", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr", "blockquote",
                        "div", "pre", "hr", "dd", "dt", "figcaption", "caption", "summary", "details"})
WORD = re.compile(r"[^\W_]+")
# A serializer's output is safe in a script file; these keep it safe even if someone inlines it in HTML.
JS_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


# A comment, declaration or processing instruction, or a tag (its name in group 1; quoted values may hold '>').
MARKUP = re.compile(r"""<!--.*?-->|<[!?][^>]*>|</?([A-Za-z][^\s/>]*)(?:[^>"']|"[^"]*"|'[^']*')*>""", re.DOTALL)


def build_search_index(site: Site, memo: dict | None = None) -> bytes:
    """Build search/index.js for `site`: the same bytes for the same site.

    `memo` keeps each briefing's entry between builds (keyed by everything the entry depends on), so a
    rebuild re-indexes only the briefings that changed; entries no longer used are dropped from it.
    """
    stop = stop_words(site.config.language)
    issue_titles = [issue.title for issue in site.issues]
    issue_numbers = {issue.slug: number for number, issue in enumerate(site.issues)}
    known = {} if memo is None else memo
    used = {}
    for briefing in site.briefings:
        key = (briefing.slug, briefing.digest, site.config.language,
               tuple((issue_numbers.get(slug), issue_titles[issue_numbers[slug]] if slug in issue_numbers else "")
                     for slug in briefing.issues))
        used[key] = known.get(key) or index_briefing(briefing, stop, issue_titles, issue_numbers)
    inverted = update_inverted(known.get(INVERTED), known, used)
    if memo is not None:
        memo.clear()
        memo.update(used)
        memo[INVERTED] = inverted
    records = [record for record, _ in used.values()]
    terms = sorted(inverted.encoded, key=lambda term: term.encode("utf-16-be"))
    postings = [inverted.encoded[term] for term in terms]
    index = {"version": FORMAT_VERSION, "stop": sorted(stop), "issues": issue_titles,
             "briefings": records, "terms": terms, "postings": postings, "entities": entity_records(site)}
    return f"window.{GLOBAL_NAME} = {to_javascript(index)};\n".encode("utf-8")


def entity_records(site: Site) -> list[dict]:
    """One record per person, country and organisation: what search.js matches (names) and shows."""
    return [entity_record(entity) for entity in (*site.people, *site.countries, *site.organisations)]


def entity_record(entity: Entity) -> dict:
    """A person's, country's or organisation's name, other names, page and a line on how much the briefings hold."""
    count = len(entity.quotes) if entity.kind == "person" and entity.quotes else len(entity.briefings)
    noun = "quote" if entity.kind == "person" and entity.quotes else "briefing"
    about = [entity.kind.capitalize(), f"{count} {noun}{'' if count == 1 else 's'}"]
    return {"kind": entity.kind, "name": collapse(entity.name), "aliases": [collapse(a) for a in entity.aliases],
            "url": f"../{entity.output_path}", "about": " · ".join(about)}


def index_briefing(briefing: Briefing, stop: frozenset[str], issue_titles: list[str],
                   issue_numbers: dict[str, int]) -> tuple[dict, str]:
    """One briefing's record and the body words the record does not already hold (space-separated: a string
    keeps in the build cache many times faster than a set)."""
    record = briefing_record(briefing, issue_numbers)
    return record, " ".join(set(briefing.body.words.split()) - stop - set(words_of(stored_text(record, issue_titles))))


def briefing_record(briefing: Briefing, issue_numbers: dict[str, int]) -> dict:
    """What a result shows, searched as written by search.js: everything but most of the body."""
    source = briefing.source
    return {
        "url": f"../{briefing.output_path}",
        "title": collapse(briefing.title),
        "date": briefing.date.strftime("%Y-%m-%d"),
        "shown": display_date(briefing),
        "summary": collapse(briefing.summary),
        "issues": sorted(issue_numbers[slug] for slug in briefing.issues if slug in issue_numbers),
        "source": " · ".join(part for part in (collapse(source.publication), collapse(source.author)) if part),
        "text": briefing.body.opening,
    }


def stored_text(record: dict, issue_titles: list[str]) -> str:
    """All the text a record stores: search.js finds these words there, so the body index can leave them out."""
    issues = [issue_titles[number] for number in record["issues"]]
    return " ".join([record["title"], record["summary"], record["source"], record["text"], *issues])


def display_date(briefing: Briefing) -> str:
    """The date as pages show it."""
    # Imported here: the renderer imports this module, so importing it at the top would be circular.
    from .renderer import long_date
    return long_date(briefing.date, briefing.date_precision)


def plain_text(fragment: str) -> str:
    """The text of an HTML fragment, whitespace collapsed, with a space wherever a block starts or ends."""
    text = MARKUP.sub(lambda found: " " if (found[1] or "").lower() in BLOCK_TAGS else "", fragment)
    return collapse(html.unescape(text))


def body_entry(body_html: str, summary: str) -> tuple[str, str]:
    """What search keeps of a body, found once when its file is read: the opening words, and every word worth
    indexing (distinct, folded, stop words included: the site's language drops them), space-separated."""
    text = plain_text(body_html)
    return opening_words(text, summary), " ".join(sorted(body_words(text)))


def collapse(text: str) -> str:
    """Runs of whitespace become one space; no space at either end."""
    return " ".join(text.split())


def opening_words(body: str, summary: str) -> str:
    """The body's first words, skipping a first paragraph that only repeats the summary."""
    summary = collapse(summary)
    if summary and body.startswith(summary):
        body = body[len(summary):].lstrip()
    words = body.split(" ")
    return " ".join(words[:OPENING_WORDS]) + (" …" if len(words) > OPENING_WORDS else "")


def fold(text: str) -> str:
    """Lower case without diacritics ('Côte' -> 'cote'), exactly as search.js folds."""
    lowered = text.lower()
    if lowered.isascii():  # nothing to decompose: most briefings, and the fast path
        return lowered
    decomposed = unicodedata.normalize("NFD", lowered)
    marks = combining_marks()
    # Most text outside ASCII holds only quotation marks and dashes: translating it would change nothing.
    if not any(ord(char) in marks for char in set(NON_ASCII.findall(decomposed))):
        return decomposed
    return decomposed.translate(marks)


NON_ASCII = re.compile(r"[^\x00-\x7f]")


@functools.cache
def combining_marks() -> dict[int, None]:
    """A table deleting every combining mark (Mn, Mc, Me): what NFD splits accents into. Built when first needed."""
    # Marks live in the first two planes, apart from the variation selectors supplement.
    codes = (*range(0x20000), *range(0xE0100, 0xE01F0))
    return {code: None for code in codes if unicodedata.category(chr(code)).startswith("M")}


def words_of(text: str) -> list[str]:
    """The folded words of `text`, in order."""
    return WORD.findall(fold(text))


def body_words(text: str) -> frozenset[str]:
    """The distinct folded words of `text` worth indexing, stop words included (the site's language drops them)."""
    return frozenset(word for word in set(words_of(text)) if 1 < len(word) <= LONGEST_TERM)


def stop_words(language: str) -> frozenset[str]:
    """The stop words for the site's language (English only for now; none otherwise)."""
    return ENGLISH_STOP_WORDS if language.lower().split("-")[0] == "en" else frozenset()


INVERTED = "inverted"  # the memo's one key that is not a briefing's


@dataclass
class Inverted:
    """The body index of one build: the briefings' keys in order and, per term, its encoded briefing numbers
    (kept encoded: 40,000 strings pickle into the build cache many times faster than lists of numbers)."""

    keys: list
    encoded: dict[str, str]


def update_inverted(previous: Inverted | None, known: dict, used: dict) -> Inverted:
    """The body index for the entries `used` (key -> (record, terms)), changing `previous` in place when only a
    few briefings changed at the same places in the list (an edit), and inverting every entry otherwise."""
    keys = list(used)
    changed = [n for n, (old, new) in enumerate(zip(previous.keys, keys)) if old != new] if (
        previous is not None and len(previous.keys) == len(keys)) else None
    if changed is None or len(changed) > len(keys) // 10 or any(previous.keys[n] not in known for n in changed):
        numbers: dict[str, list[int]] = {}
        for number, (_, body_terms) in enumerate(used.values()):
            for term in body_terms.split():
                numbers.setdefault(term, []).append(number)
        return Inverted(keys, {term: encode_numbers(found) for term, found in numbers.items()})
    touched: dict[str, list[int]] = {}

    def numbers_of(term: str) -> list[int]:
        if term not in touched:
            touched[term] = decode_numbers(previous.encoded[term]) if term in previous.encoded else []
        return touched[term]

    for n in changed:
        for term in known[previous.keys[n]][1].split():
            numbers_of(term).remove(n)
        for term in used[keys[n]][1].split():
            bisect.insort(numbers_of(term), n)
    for term, found in touched.items():
        if found:
            previous.encoded[term] = encode_numbers(found)
        else:
            previous.encoded.pop(term, None)
    previous.keys = keys
    return previous


def encode_numbers(numbers: list[int]) -> str:
    """Ascending numbers as gaps (first number, then each step minus one), each gap a base-32 varint."""
    gaps = [numbers[0]] + [b - a - 1 for a, b in zip(numbers, numbers[1:])]
    small = SMALL_VARINTS
    return "".join(small[gap] if gap < len(small) else encode_varint(gap) for gap in gaps)


def encode_varint(value: int) -> str:
    """One number as base-32 digits, the last from DIGITS[:32] and the others from DIGITS[32:]."""
    digits = [DIGITS[value & 31]]
    value >>= 5
    while value:
        digits.append(DIGITS[32 + (value & 31)])
        value >>= 5
    return "".join(reversed(digits))


SMALL_VARINTS = tuple(encode_varint(gap) for gap in range(1024))  # most gaps: looked up, not computed


DIGIT_VALUES = {char: value for value, char in enumerate(DIGITS)}


def decode_numbers(encoded: str) -> list[int]:
    """The inverse of encode_numbers (an edit updates the numbers of the terms it touches)."""
    numbers, value, previous = [], 0, -1
    for char in encoded:
        digit = DIGIT_VALUES[char]
        value = value * 32 + (digit & 31)
        if digit < 32:
            previous = previous + 1 + value
            numbers.append(previous)
            value = 0
    return numbers


def to_javascript(value) -> str:
    """JSON (a subset of JavaScript) with the characters that could end a <script> escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda match: JS_UNSAFE[match[0]], text)
