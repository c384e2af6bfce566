"""Takes an article's text and gives its campaign intelligence: direct quotations and who said them, countries, organisations, people.

Pure functions, no I/O. The importer stores what they find in front matter, where people correct it,
so every rule here prefers leaving a field empty to guessing: a quotation whose speaker the text does
not give keeps speaker '', an ambiguous country word counts for no country.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .model import Organisation, Quote
from .names import country_matcher, extract_countries, extract_organisations, lookup, organisation_matcher


@dataclass(frozen=True)
class Entities:
    """What one article says about who spoke, which states and which organisations."""

    quotes: tuple[Quote, ...] = ()
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2, sorted
    organisations: tuple[str, ...] = ()  # gazetteer names, sorted
    people: tuple[str, ...] = ()  # named speakers, sorted


def extract_entities(title: str, paragraphs: tuple[str, ...],
                     organisations: tuple[Organisation, ...] = ()) -> Entities:
    """Return the quotations, countries, organisations and people of an article (its headline and paragraphs)."""
    text = "\n".join((title, *paragraphs))
    quotes = extract_quotes(paragraphs)
    return Entities(quotes, extract_countries(text), extract_organisations(text, organisations),
                    extract_people(quotes, organisations))


# --- quotations: splitting paragraphs at quotation marks -------------------------------------


@dataclass(frozen=True)
class Segment:
    """A run of text inside quotation marks or outside them."""

    text: str
    quoted: bool


@dataclass(frozen=True)
class Passage:
    """One paragraph (or several, when a quotation runs on) split at its quotation marks."""

    segments: tuple[Segment, ...]
    open_at_end: bool = False  # a quotation was opened and not closed


@dataclass(frozen=True)
class Quotation:
    """A passage that is a direct quotation: its words and the attribution written beside them."""

    text: str
    who: str = ""  # 'the CSC representative Shamiso Mtisi', 'Mtisi', 'he'; '' when nothing is written


@dataclass(frozen=True)
class Speaker:
    """Who a quotation is attributed to: a name ('' when unnamed) and the role the text gives."""

    name: str = ""
    role: str = ""


# ' and ’ are left out: they are apostrophes far more often than quotation marks (O’Brien, CSC’s).
_MARK = re.compile('[“”«»„"]')
_OPENERS = frozenset('“«„"')


def closers(opener: str) -> frozenset[str]:
    """Return the marks that close a quotation opened by `opener` (German „…“ closes with “)."""
    return frozenset('”»"“') if opener == "„" else frozenset('”»"')


def split_quotes(paragraph: str) -> Passage:
    """Split a paragraph into runs inside and outside quotation marks, dropping empty runs."""
    segments, start, opener = [], 0, ""
    for mark in _MARK.finditer(paragraph):
        char = mark.group()
        if not opener and char in _OPENERS:
            segments.append(Segment(paragraph[start:mark.start()], False))
            opener = char
        elif opener and char in closers(opener):
            segments.append(Segment(paragraph[start:mark.start()], True))
            opener = ""
        else:
            continue  # a nested or stray mark stays part of the text
        start = mark.end()
    segments.append(Segment(paragraph[start:], bool(opener)))
    return Passage(tuple(segment for segment in segments if segment.text.strip()), bool(opener))


def starts_quoted(passage: Passage) -> bool:
    """Tell whether a passage opens with a quotation mark."""
    return bool(passage.segments) and passage.segments[0].quoted


def join_continued(passages: list[Passage]) -> list[Passage]:
    """Merge a passage whose quotation is left open with the next when that opens with a quotation mark.

    That is how news writing runs one quotation over several paragraphs: no closing mark at the
    end of a paragraph, an opening mark at the start of the next.
    """
    blocks: list[Passage] = []
    for passage in passages:
        if blocks and blocks[-1].open_at_end and starts_quoted(passage):
            blocks[-1] = Passage(blocks[-1].segments + passage.segments, passage.open_at_end)
        else:
            blocks.append(passage)
    return blocks


# --- quotations: attribution ------------------------------------------------------------------

_VERBS = (r"(?:said|says|added|adds|told|tells|stated|states|explained|explains|noted|notes|argued|argues"
          r"|warned|warns|insisted|insists|continued|continues|asked|asks|remarked|remarks|commented"
          r"|comments|wrote|writes|declared|declares|concluded|concludes|replied|replies|responded"
          r"|responds|urged|urges|maintained|maintains|claimed|claims|stressed|stresses|emphasi[sz]ed"
          r"|emphasi[sz]es|observed|observes|recalled|recalls|pointed out|points out|went on|goes on)")
_ACCORDING_TO = re.compile(r"according\s+to\s+(?P<who>.+)", re.IGNORECASE | re.DOTALL)
_SAID_WHO = re.compile(rf"{_VERBS}\s+(?P<who>.+)", re.IGNORECASE | re.DOTALL)
_WHO_SAID = re.compile(rf"(?P<who>.+?),?\s+{_VERBS}(?:\s+(?P<rest>.*))?", re.IGNORECASE | re.DOTALL)
# A full stop ends the attribution unless it closes an initial (J.) or a title (Mr.).
_SENTENCE_END = re.compile(r"(?<!\b[A-Z])(?<!\bMr)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bMrs)(?<!\bJr)(?<!\bSr)"
                           r"[.!?;](?=\s|$)")
_TRIM = " \t\n,.;:—–-"
MAX_WHO_WORDS = 12  # longer (up to its first comma), and the 'who' is a clause of the story, not a name and role
MAX_REST_WORDS = 8  # 'Mtisi told Rough&Polished on Monday'; more is a new sentence
MAX_PHRASE_WORDS = 30  # 'X, a spokesperson for Y, said in a statement' fits; a longer 'X said' is story


def find_attribution(phrase: str, lead: bool = False) -> str | None:
    """Return who a phrase beside a quotation names ('said X', 'X said', 'according to X', 'X told ...').

    `lead` is for a phrase before the quotation ('Mtisi said:'), which allows fewer forms.
    """
    phrase = phrase.strip(_TRIM)
    if not lead:  # 'said Mtisi. Later the coalition ...': the attribution is the first sentence
        phrase = _SENTENCE_END.split(phrase, maxsplit=1)[0].strip(_TRIM)
    found = _ACCORDING_TO.fullmatch(phrase) or (None if lead else _SAID_WHO.fullmatch(phrase)) or who_said(phrase, lead)
    if found is None:
        return None
    who = found["who"].strip(_TRIM)
    return who if who and len(who.partition(",")[0].split()) <= MAX_WHO_WORDS else None


def who_said(phrase: str, lead: bool) -> re.Match[str] | None:
    """Match 'X said', 'X told reporters on Monday'; a long phrase never is one (and would be slow to try)."""
    if len(phrase.split(maxsplit=MAX_PHRASE_WORDS)) > MAX_PHRASE_WORDS:
        return None
    found = _WHO_SAID.fullmatch(phrase)
    rest = (found["rest"] or "").split() if found else []
    return found if found is not None and len(rest) <= (4 if lead else MAX_REST_WORDS) else None


def has_words(text: str) -> bool:
    """Tell whether a run holds any letter or digit, not only punctuation."""
    return any(char.isalnum() for char in text)


def read_quotation(block: Passage) -> Quotation | None:
    """Return the direct quotation a block is, or None (no quotation marks, scare quotes, a quoted title)."""
    quoted = [segment for segment in block.segments if segment.quoted]
    if not quoted:
        return None
    who = tail_attribution(block) if starts_quoted(block) else lead_attribution(block)
    text = quotation_text(quoted)
    return Quotation(text, who) if who is not None and has_words(text) else None


def tail_attribution(block: Passage) -> str | None:
    """Return the attribution after a quotation ('' if none); None when the words outside are not one."""
    outside = [segment.text for segment in block.segments if not segment.quoted and has_words(segment.text)]
    if not outside:
        return ""
    return find_attribution(outside[0])  # `“Blood Diamond”, the film, ...` has none: not a quotation


def lead_attribution(block: Passage) -> str | None:
    """Return the attribution of `Mtisi said: “...”` or `According to Mtisi, “...”`, else None."""
    lead, *others = block.segments
    if any(not segment.quoted and has_words(segment.text) for segment in others):
        return None  # 'the KP was “guilty by inaction” and ...': a partial quotation in a sentence
    text = lead.text.rstrip()
    if text.endswith(":"):
        return find_attribution(text, lead=True)
    if text.endswith(",") and is_bare_lead(text):
        return find_attribution(text, lead=True)
    return None


def is_bare_lead(text: str) -> bool:
    """Tell whether a lead before a comma is only 'According to X' or 'X said', nothing after the verb.

    'He said despite the efforts of Russia, “...”' is a sentence that goes on, not an attribution.
    """
    phrase = text.strip(_TRIM)
    said = who_said(phrase, lead=True)
    return _ACCORDING_TO.fullmatch(phrase) is not None or (said is not None and not said["rest"])


def quotation_text(segments: list[Segment]) -> str:
    """Join the quoted runs; a comma that handed over to 'said X' becomes a full stop, or goes mid-sentence."""
    parts = [" ".join(segment.text.split()) for segment in segments]
    joined = []
    for index, part in enumerate(parts):
        following = parts[index + 1] if index + 1 < len(parts) else ""
        if part.endswith(","):
            part = part[:-1] if following[:1].islower() else part[:-1] + "."
        joined.append(part)
    return " ".join(joined).strip()


# --- quotations: names and roles --------------------------------------------------------------

_PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i", "him", "her"})
_ARTICLES = frozenset({"the", "a", "an"})
_HONORIFICS = frozenset({"Mr", "Mrs", "Ms", "Mx", "Dr", "Prof", "Sir", "Dame", "Rev", "Hon", "Mr.", "Mrs.", "Ms.",
                         "Dr.", "Prof.", "Rev.", "Hon."})
# Capitalised words before a name that are its holder's office, not part of the name.
_TITLES = frozenset({
    "President", "Vice-President", "Vice", "Prime", "Minister", "Deputy", "Ambassador", "Secretary",
    "Secretary-General", "General", "Chair", "Chairperson", "Chairman", "Chairwoman", "Director",
    "Director-General", "Senator", "Governor", "Commissioner", "Judge", "Justice", "Chief", "Executive",
    "Professor", "Spokesperson", "Spokesman", "Spokeswoman", "Envoy", "Special", "Coordinator", "Head",
    "Acting", "Foreign", "Mines", "Mining", "Finance", "Trade", "King", "Queen", "Prince", "Princess",
    "Sheikh", "Bishop", "Archbishop", "Colonel", "Captain"})
# Capitalised words that start sentences or name days: never part of a person's name (not May: Theresa May).
_NOT_NAMES = frozenset({
    "The", "A", "An", "In", "On", "At", "This", "That", "These", "Those", "But", "And", "Or", "However",
    "Meanwhile", "Although", "Though", "When", "While", "After", "Before", "Earlier", "Later", "Last", "Next",
    "According", "Yesterday", "Today", "Tomorrow", "It", "He", "She", "They", "We", "His", "Her", "Their",
    "Our", "Its", "As", "If", "For", "With", "From", "By", "Of", "To", "Also", "Despite", "Since", "Because",
    "So", "Then", "There", "Here", "What", "Who", "Why", "How", "Where", "Which", "Speaking", "Asked",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February",
    "March", "April", "June", "July", "August", "September", "October", "November", "December"})
_PARTICLES = frozenset({"de", "da", "das", "do", "dos", "di", "del", "della", "der", "den", "du", "la", "le",
                        "van", "von", "ter", "ten", "zu", "bin", "binti", "ibn", "al", "el", "y"})
# Words after a name that end it: 'Jane Roe of Global Witness', 'Mtisi on Monday'.
_AFTER_NAME = frozenset({"of", "from", "on", "in", "at", "for", "with", "during", "after", "before", "when",
                         "while", "who", "as", "to", "via", "yesterday", "today", "last", "this", "earlier",
                         "later", "adding", "speaking", "told", "outside", "said", "and"})
_INITIAL = re.compile(r"[A-Z]\.")
_RUN_BREAK = re.compile(r"[,;:()!?“”«»\"\[\]—–]|(?<!\b[A-Z])(?<!\bMr)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bMrs)\.(?=\s|$)")
_WORD_EDGE = "\"'“”‘’()[]"


def is_name_word(word: str) -> bool:
    """Tell whether a word can be part of a person's name: capitalised with lower case, or an initial."""
    if _INITIAL.fullmatch(word):
        return True
    if word.endswith(("'s", "’s")) or word in _NOT_NAMES:
        return False  # a possessive ('Mtisi’s deputy') ends a name rather than continuing it
    return word[:1].isupper() and any(char.islower() for char in word)


def is_particle(word: str) -> bool:
    """Tell whether a lower-case word belongs inside a name ('da' in 'Maria da Silva', 'al-Hassan')."""
    head, _, tail = word.partition("-")
    return head in _PARTICLES and (not tail or tail[:1].isupper())


def name_runs(words: list[str]) -> list[tuple[int, int]]:
    """Return (start, end) of each run of name words; particles may sit inside a run, never at its ends."""
    runs, start = [], None
    for index, word in enumerate(words + [""]):
        inside = start is not None and is_particle(word) and index + 1 < len(words) and is_name_word(words[index + 1])
        if is_name_word(word) or inside:
            start = index if start is None else start
        elif start is not None:
            runs.append((start, index))
            start = None
    return runs


def clean_words(text: str) -> list[str]:
    """Split text into words without the quotation marks and brackets around them."""
    return [word for word in (raw.strip(_WORD_EDGE) for raw in text.split()) if word]


def strip_titles(words: list[str]) -> tuple[list[str], list[str]]:
    """Split a run of name words into leading offices (to the role) and the name, honorifics dropped."""
    offices, index = [], 0
    while index < len(words) - 1 and (words[index] in _TITLES or words[index] in _HONORIFICS):
        if words[index] in _TITLES:
            offices.append(words[index])
        index += 1
    return offices, words[index:]


def full_names(text: str) -> list[str]:
    """Return the names of two words or more in running text, in order: who a later bare surname may mean."""
    names = []
    for chunk in _RUN_BREAK.split(text):
        words = clean_words(chunk)
        for start, end in name_runs(words):
            _, name = strip_titles(words[start:end])
            if len(name) >= 2:
                names.append(" ".join(name))
    return names


def role_text(words: list[str]) -> str:
    """Return a role from the words around a name, without a leading article or trailing punctuation."""
    if words and words[0].casefold() in _ARTICLES:
        words = words[1:]
    return " ".join(words).strip(_TRIM)


def appositive(rest: str) -> str:
    """Return the role in ', a spokesperson for Global Witness' (an article or possessive opens it), else ''."""
    clause = clean_words(_RUN_BREAK.split(rest, maxsplit=1)[0])
    if clause and (clause[0].casefold() in _ARTICLES or clause[0].endswith(("'s", "’s"))):
        return role_text(clause)
    return ""


def parse_who(who: str) -> Speaker:
    """Split an attribution into a name and a role ('the CSC representative Shamiso Mtisi' -> name, role)."""
    head, _, rest = who.partition(",")
    words = clean_words(head)
    run = next(((start, end) for start, end in name_runs(words)
                if end == len(words) or words[end].casefold() in _AFTER_NAME), None)
    if run is None:
        return named_after_comma(words, rest)
    offices, name = strip_titles(words[run[0]:run[1]])
    role = role_text(words[:run[0]] + offices) or appositive(rest)
    return Speaker(" ".join(name), role)


def named_after_comma(words: list[str], rest: str) -> Speaker:
    """Read 'the coalition’s head, Shamiso Mtisi': the name after the comma, the role before it."""
    after = clean_words(_RUN_BREAK.split(rest, maxsplit=1)[0])
    if after and name_runs(after) == [(0, len(after))]:
        offices, name = strip_titles(after)
        return Speaker(" ".join(name), role_text(words + offices))
    return Speaker("", role_text(words))  # 'a spokesperson said': a role, but no one to name


def resolve_surname(name: str, latest: dict[str, str]) -> str:
    """Return the full name a bare surname refers to: the latest full name in the text ending with it."""
    return latest.get(name, name) if name and " " not in name else name


# --- quotations: the walk through an article --------------------------------------------------


def extract_quotes(paragraphs: tuple[str, ...]) -> tuple[Quote, ...]:
    """Return every direct quotation with its speaker and role; '' where the text does not say (never guessed).

    An unattributed quotation (or one attributed to 'he'/'she') directly after a quotation of a named
    speaker carries on that speaker; any other paragraph in between ends the run.
    """
    quotes: list[Quote] = []
    latest: dict[str, str] = {}  # surname -> the latest full name outside quotations ending with it
    bearers: dict[str, set[str]] = {}  # surname -> every full name ending with it
    roles: dict[str, str] = {}  # the latest role the text gave each speaker
    current = Speaker()  # the named speaker a following quotation carries on
    for block in join_continued([split_quotes(paragraph) for paragraph in paragraphs]):
        for full in full_names(" ".join(segment.text for segment in block.segments if not segment.quoted)):
            latest[full.split()[-1]] = full
            bearers.setdefault(full.split()[-1], set()).add(full)
        quotation = read_quotation(block)
        if quotation is None:
            current = Speaker()
            continue
        speaker = attribute(quotation.who, current, latest, roles)
        if speaker.name and speaker.role:
            roles[speaker.name] = speaker.role
        quotes.append(Quote(quotation.text, speaker.name, speaker.role))
        current = speaker if speaker.name else Speaker()
    return resolve_late_surnames(tuple(quotes), bearers)


def attribute(who: str, current: Speaker, latest: dict[str, str], roles: dict[str, str]) -> Speaker:
    """Return the speaker of a quotation from its attribution, or the current speaker when it has none."""
    if not who or who.casefold() in _PRONOUNS:
        return current
    parsed = parse_who(who)
    name = resolve_surname(parsed.name, latest)
    return Speaker(name, parsed.role or roles.get(name, ""))


def resolve_late_surnames(quotes: tuple[Quote, ...], bearers: dict[str, set[str]]) -> tuple[Quote, ...]:
    """Give a bare surname quoted before any full name appeared that full name, when only one in the text fits."""
    return tuple(replace(quote, speaker=only_full_name(quote.speaker, bearers)) for quote in quotes)


def only_full_name(name: str, bearers: dict[str, set[str]]) -> str:
    """Return the one full name ending with the bare surname `name`; `name` itself if none or several."""
    if not name or " " in name or len(bearers.get(name, ())) != 1:
        return name
    return next(iter(bearers[name]))


def extract_people(quotes: tuple[Quote, ...], organisations: tuple[Organisation, ...] = ()) -> tuple[str, ...]:
    """Return every named speaker once, sorted; a speaker that is an organisation or a country is no person."""
    names = {quote.speaker for quote in quotes if quote.speaker}
    people = [name for name in names
              if lookup(organisation_matcher(organisations), name) is None and lookup(country_matcher(), name) is None]
    return tuple(sorted(people, key=lambda name: (name.casefold(), name)))
