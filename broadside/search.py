"""Takes a set of briefings (with their issues, people, countries and organisations) and an output folder, and gives
the offline search index as small scripts loaded on demand: `<folder>/index.js`, the manifest every search page
loads; `<folder>/terms/<key>.js`, the words beginning with the same two letters and the briefings holding each;
and `<folder>/briefings/<n>.js`, what results show, for a fixed number of briefings each.

Briefings are numbered oldest first, so a new briefing only changes the last record shard, and a higher number is
a more recent briefing. A word is found in the title or elsewhere (summary, source, issues, body): the two
postings are kept apart so that search.js can rank title matches first without loading any record.
"""
from __future__ import annotations

import bisect
import functools
import hashlib
import html
import json
import operator
import pickle
import posixpath
import re
import unicodedata
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable, Generator, Iterable, NamedTuple

from .i18n import N_, Nn_, Language, english_words
from .model import Briefing, Entity, Issue, Site, places_changed
from .workers import run_through

SEARCH_FOLDER = "search"
MANIFEST = "index.js"
GLOBAL_NAME = "broadsideSearchIndex"
SHARDS_NAME = "broadsideSearchShards"  # each shard script adds itself here, by its name
FORMAT_VERSION = 3  # 3: sharded; title and other postings apart; numbered oldest first
KEY_LETTERS = 2  # a term shard holds the terms beginning with the same two folded letters
RECORDS_PER_SHARD = 100  # briefings per record shard (~65 KB): the first results, the newest, need few of them
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
# French and Portuguese, for the search of those languages' pages.
FRENCH_STOP_WORDS = frozenset("""
au aux avec ce ces cet cette dans de des du elle en est et eux il ils je la le les leur leurs lui ma mais me meme
mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre
vous ete etait sont ont a y d l c n s j m qu dit selon
""".split())
PORTUGUESE_STOP_WORDS = frozenset("""
a ao aos as com como da das de do dos e ela elas ele eles em entre era essa esse esta este foi ha isso isto ja lhe
mais mas me mesmo na nas nao nem no nos o os ou para pela pelas pelo pelos por qual que se sem ser seu seus sua suas
tambem te tem um uma umas uns disse segundo
""".split())
STOP_WORDS = {"en": ENGLISH_STOP_WORDS, "fr": FRENCH_STOP_WORDS, "pt": PORTUGUESE_STOP_WORDS}
# Letters French readers type as two (coeur for cœur): folded the same way in search.js.
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
# Base64url digits: the first 32 end a number, the last 32 carry five more bits (most significant first).
DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
BLOCK_TAGS = frozenset({"p", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr", "blockquote",
                        "div", "pre", "hr", "dd", "dt", "figcaption", "caption", "summary", "details"})
WORD = re.compile(r"[^\W_]+")
# A serializer's output is safe in a script file; these keep it safe even if someone inlines it in HTML.
JS_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


# A comment, declaration or processing instruction, or a tag (its name in group 1; quoted values may hold '>').
MARKUP = re.compile(r"""<!--.*?-->|<[!?][^>]*>|</?([A-Za-z][^\s/>]*)(?:[^>"']|"[^"]*"|'[^']*')*>""", re.DOTALL)


@dataclass(frozen=True)
class SearchSource:
    """What one search index is made of: briefings newest first, the issues and named things they point to, the
    language whose stop words are left out, the output folder the index goes to (its pages' links start there), and
    how results write dates and counts (`words`: the theme's language; its own English words when not given)."""

    briefings: tuple[Briefing, ...]
    issues: tuple[Issue, ...]
    entities: tuple[Entity, ...]
    language: str
    folder: str = SEARCH_FOLDER
    words: Language | None = None

    @classmethod
    def of_site(cls, site: Site, folder: str = SEARCH_FOLDER, words: Language | None = None) -> "SearchSource":
        """Every briefing of `site`, indexed into `folder`, shown in `words` (countries named in that language)."""
        words = words or english_words(site.config.language, site.config.timezone)
        return cls(site.briefings, site.issues, (*site.people, *words.countries(site.countries), *site.organisations),
                   site.config.language, folder, words)

    @property
    def speaking(self) -> Language:
        """The language results are written in."""
        return self.words or english_words(self.language, "UTC")


class SearchFile(NamedTuple):
    """One file of the index: a digest of all it holds (the same digest, the same bytes) and how to make it (a named
    tuple: a build at 20,000 briefings has 2,300 of them)."""

    digest: str
    make: Callable[[], bytes]


def search_files(source: SearchSource, memo: dict | None = None) -> dict[str, SearchFile]:
    """Every file of the index of `source`, by output path, found at once (see search_steps)."""
    return run_through(search_steps(source, memo))


def search_steps(source: SearchSource, memo: dict | None = None, kept_as: str = ""
                 ) -> Generator[None, None, dict[str, SearchFile]]:
    """Every file of the index of `source`, by output path; each file's digest is found without making it.

    `memo` keeps each briefing's entry, the postings and the shards' digests between builds (per index, under
    `kept_as`: its folder unless told), so an edit re-indexes one briefing and only the shards whose terms it changed
    get a new digest. Found a step at a time, each at most INDEX_STEP briefings indexed or one inversion: a cold
    build's parent indexes while its workers render, and starts the next workers between steps."""
    memo = {} if memo is None else memo.setdefault(kept_as or source.folder, {})
    stop = stop_words(source.language)
    known = memo.get(ENTRIES, {})
    used, last = yield from briefing_entries(source, stop, known, memo.get(LAST, ()))
    title = update_inverted(memo.get(TITLE), known, used, TITLE_TERMS)
    yield
    other = update_inverted(memo.get(OTHER), known, used, OTHER_TERMS)
    yield
    entities = entity_groups(source.entities, source.folder, source.speaking)
    terms = term_groups(title, other, entities, memo.get(GROUPS, ()))
    digests = term_digests(terms, title, other, entities, memo.get(DIGESTS, {}))
    records = record_digests(used, memo.get(RECORDS, {}))
    used.pack()  # the index is made: the entries are kept for the record shards and the next build, packed
    memo.clear()
    memo.update({ENTRIES: used, TITLE: title, OTHER: other, DIGESTS: digests, RECORDS: records, LAST: last,
                 GROUPS: (frozenset(entities), terms)})
    files = {}
    for key, group in terms.items():
        files[term_path(source.folder, key)] = SearchFile(digests[key], functools.partial(
            term_shard, key, group, title, other, entities.get(key, ())))
    for number, (keys, digest) in enumerate(records):
        files[record_path(source.folder, number)] = SearchFile(digest, functools.partial(record_shard, number, keys, used))
    manifest = manifest_script(len(used), stop, [issue.title for issue in source.issues], {key: digests[key] for key in terms},
                               [digest for _, digest in records])
    files[f"{source.folder}/{MANIFEST}"] = SearchFile(hashlib.sha256(manifest).hexdigest(), lambda: manifest)
    return dict(sorted(files.items()))


INDEX_STEP = 100  # briefings indexed a step (about 50 ms)


def briefing_entries(source: SearchSource, stop: frozenset[str], known: Mapping, last: tuple = ()
                     ) -> Generator[None, None, tuple["Entries", tuple]]:
    """Each briefing's entry (see index_briefing), oldest first, keyed by all it depends on (entry_key); taken from
    `known` when there; and what the next build takes as `last`. `last` lends the key of each briefing that is the
    very object this index keyed last time (a running preview's site keeps the briefings an edit did not touch), so an
    edit keys only what it changed. A step every INDEX_STEP briefings indexed."""
    issue_titles = [issue.title for issue in source.issues]
    issue_numbers = {issue.slug: number for number, issue in enumerate(source.issues)}
    language = source.speaking
    head = repr((source.language, language.key, source.folder))  # what every key of this index shares
    briefings, count = source.briefings, len(source.briefings)  # newest first: the entries go oldest first
    context = (head, tuple(issue_numbers), tuple(issue_titles))
    before, before_keys = last[1:] if last and last[0] == context and len(last[1]) == count else ((), ())
    made, shown = {}, {}  # shown: each list of issues as a key writes it, made once per list
    keys = list(before_keys) if before else [""] * count  # a key kept is in `known`, which the same build left
    numbers = sorted(count - 1 - place for place in places_changed(before, briefings)) if before else range(count)
    for number in numbers:
        briefing = briefings[count - 1 - number]
        issues = shown.get(briefing.issues)
        if issues is None:
            issues = shown[briefing.issues] = repr(tuple((issue_numbers[slug], issue_titles[issue_numbers[slug]])
                                                         for slug in briefing.issues if slug in issue_numbers))
        key = keys[number] = entry_key(briefing.slug, briefing.digest, head, issues)
        if key not in known:
            made[key] = index_briefing(briefing, stop, issue_titles, issue_numbers, source.folder, language)
            if len(made) % INDEX_STEP == 0:
                yield
    return Entries.of(keys, made, known, numbers if before else None), (context, briefings, keys)


def entry_key(slug: str, digest: str, head: str, issues: str) -> str:
    """A briefing's search entry's key: its slug, its digest, the index's language and folder and the issues it names
    (number and title), as one string (a string keeps its hash: the keys are looked up many times a build). Slugs and
    digests hold no NUL, and the rest are reprs, so the key tells them apart."""
    return f"{slug}\0{digest}\0{head}\0{issues}"


def entry_slug(key: str) -> str:
    """The slug of the briefing a search entry's key names."""
    return key.partition("\0")[0]


class Entries(Mapping):
    """Briefings' search entries in order: those made by this build, and those kept from an earlier one, looked up
    there only when asked for (an edit reads the entries of the record shard it changes, not every entry). Once the
    index is made (`pack`), the entries made are kept packed as the build cache stores them (a third of the memory
    at 20,000 briefings), and each is unpacked when asked for: a build asks once, for its record shard."""

    def __init__(self, keys: list[str], made: dict, kept: Mapping, fresh: list[str] | None = None, unused: int = 0,
                 changes: tuple | None = None):
        self.listed, self.made, self.kept = keys, made, kept  # `listed`: never changed once given
        self.fresh = list(made) if fresh is None else fresh  # the entries this build made (the others came packed)
        self.unused = unused  # at most how many entries of `made` no key names any more
        # The keys of the Entries these were lent from and the places where a key may differ from theirs (None: not
        # lent): the posting tables and record shards made from those keys are looked at in those places alone.
        self.changes = changes

    @classmethod
    def of(cls, keys: list[str], made: dict, known: Mapping, changed: Iterable[int] | None = None) -> "Entries":
        """The entries `keys`; a `known` that is itself Entries lends its own, so lookups never chain. They are
        copied whole (a running preview's save copied 20,000 of them one by one), with the few an edit no longer
        uses, until those may be many. `changed`: the places where `keys` may differ from the keys of a lending
        `known` (None: anywhere)."""
        fresh, unused, changes = list(made), 0, None
        if isinstance(known, Entries):
            unused = known.unused + len(fresh)  # each entry made may take the place of one made before
            if unused > max(UNUSED_ENTRIES, len(keys) // 8):
                made, unused = {**{key: known.made[key] for key in keys if key in known.made}, **made}, 0
            else:
                made = {**known.made, **made}
            changes = (known.listed, changed) if changed is not None and len(known.listed) == len(keys) else None
            known = known.kept
        return cls(keys, made, known, fresh, unused, changes)

    def __getitem__(self, key: str) -> tuple[str, str, str]:
        # A key names all its entry is made from: an entry kept for a key no longer listed is still its entry.
        found = self.made.get(key)
        return self.kept[key] if found is None else unpack_entry(found) if isinstance(found, bytes) else found

    def pack(self) -> None:
        """Keep the entries made packed (pack_entry), each in its place (so that the entries are never all there
        twice)."""
        made = self.made
        for key in self.fresh:
            if not isinstance(entry := made[key], bytes):
                made[key] = pack_entry(entry)

    def packed(self, key: str) -> bytes | None:
        """The entry `key` as pack_entry gives it, when this build made it and it is packed; None otherwise."""
        found = self.made.get(key)
        return found if isinstance(found, bytes) else None

    def __contains__(self, key: object) -> bool:
        return key in self.made or key in self.kept

    def __iter__(self):
        return iter(self.listed)

    def __len__(self) -> int:
        return len(self.listed)


UNUSED_ENTRIES = 256  # entries no longer used that Entries.of carries over before it leaves them out


def listed_keys(entries: Mapping) -> tuple[list[str], tuple | None]:
    """The keys of `entries` in order, and where they may differ from the keys they were lent (Entries.changes;
    None for other mappings)."""
    return (entries.listed, entries.changes) if isinstance(entries, Entries) else (list(entries), None)


def pack_entry(entry: tuple) -> bytes:
    """A search entry pickled and compressed, as the build cache stores it."""
    return zlib.compress(pickle.dumps(entry, pickle.HIGHEST_PROTOCOL), 1)


def unpack_entry(packed: bytes) -> tuple[str, str, str]:
    """The search entry pack_entry packed."""
    return pickle.loads(zlib.decompress(packed))


ENTRIES, TITLE, OTHER, DIGESTS, RECORDS = "entries", "title", "other", "digests", "records"  # the memo's parts
LAST, GROUPS = "last", "groups"  # the briefings last keyed and their keys, the terms' groups: memory only (memo_parts
# leaves them out)
TITLE_TERMS, OTHER_TERMS = 1, 2  # where an entry (record, title terms, other terms) keeps its terms


def term_key(term: str) -> str:
    """The key of the shard holding `term`: its first two letters (folded)."""
    return term[:KEY_LETTERS]


@functools.lru_cache(maxsize=None)  # a few thousand keys, named for every shard at every build
def shard_name(key: str) -> str:
    """A shard key as a file name: ASCII letters and digits kept, every other character as _ and five hex digits."""
    return "".join(char if char.isascii() and char.isalnum() else f"_{ord(char):05x}" for char in key)


def term_path(folder: str, key: str) -> str:
    """Where the term shard of `key` lands."""
    return f"{folder}/terms/{shard_name(key)}.js"


def record_path(folder: str, number: int) -> str:
    """Where record shard `number` lands."""
    return f"{folder}/briefings/{number}.js"


def term_groups(title: "Inverted", other: "Inverted", entities: dict[str, tuple], last: tuple = ()
                ) -> dict[str, list[str]]:
    """Every indexed term and every key a name word gives, grouped by key; terms sorted as JavaScript compares.

    `last` (the keys of the names and the groups this index gave last time) is brought up to date from the terms
    the tables' update touched, when both were updated in place (an edit) and the names' keys are the same: only the
    groups a term joined or left are made again (a new key's group is not: then every group is)."""
    if last and last[0] == entities.keys() and title.touched is not None and other.touched is not None:
        groups = dict(last[1])
        for term in title.touched | other.touched:
            group = groups.get(term_key(term))
            if group is None:
                return term_groups(title, other, entities)
            place = bisect.bisect_left(group, utf16(term), key=utf16)
            there, indexed = group[place:place + 1] == [term], term in title.encoded or term in other.encoded
            if indexed and not there:
                groups[term_key(term)] = [*group[:place], term, *group[place:]]
            elif there and not indexed:
                groups[term_key(term)] = [*group[:place], *group[place + 1:]]
        return {key: group for key, group in groups.items() if group or key in entities}
    groups: dict[str, list[str]] = {key: [] for key in entities}
    for term in title.encoded.keys() | other.encoded.keys():
        groups.setdefault(term_key(term), []).append(term)
    return {key: sorted(terms, key=utf16) for key, terms in sorted(groups.items())}


def utf16(text: str) -> bytes:
    """The sort key that orders strings as JavaScript's < does (by UTF-16 code unit)."""
    return text.encode("utf-16-be")


def term_digests(terms: dict[str, list[str]], title: "Inverted", other: "Inverted", entities: dict[str, tuple],
                 previous: dict[str, str]) -> dict[str, str]:
    """Each term shard's digest: taken from `previous` unless one of its terms or names changed this build."""
    touched = None if title.touched is None or other.touched is None else {
        term_key(term) for term in title.touched | other.touched}
    digests = {}
    for key, group in terms.items():
        digest = previous.get(key) if touched is not None and key not in touched else None
        named = repr(entities.get(key, ()))
        if digest is None or previous.get((key, "names")) != named:
            digest = hashlib.sha256(repr([key, *((term, title.encoded.get(term, ""), other.encoded.get(term, ""))
                                                 for term in group)]).encode() + named.encode()).hexdigest()
        digests[key], digests[(key, "names")] = digest, named
    return digests


def record_digests(entries: Mapping, previous: list) -> list[tuple[tuple, str]]:
    """Per record shard, the keys of its briefings and a digest of its records: kept while the keys are the same.
    Entries lent from those the `previous` digests were made from (search_steps keeps both) say where a key may have
    changed; the other shards are kept without a look."""
    keys, lent = listed_keys(entries)
    digests = []
    shards = max(1, -(-len(keys) // RECORDS_PER_SHARD))
    looked = {n // RECORDS_PER_SHARD for n in lent[1]} if lent is not None and len(previous) == shards else None
    for number in range(0, shards):
        if looked is not None and number not in looked:
            digests.append(previous[number])
            continue
        chunk = tuple(keys[number * RECORDS_PER_SHARD:(number + 1) * RECORDS_PER_SHARD])
        if number < len(previous) and previous[number][0] == chunk:
            digests.append(previous[number])
        else:
            digests.append((chunk, hashlib.sha256(records_script(entries, chunk).encode()).hexdigest()))
    return digests


def records_script(entries: Mapping, keys: tuple) -> str:
    """The records of the briefings `keys` as a JavaScript list (what to_javascript makes of the list of records)."""
    return "[" + ",".join(entries[key][0] for key in keys) + "]"


def shard_script(name: str, data: str) -> bytes:
    """A shard as a script: it adds `data` (made by to_javascript) to window.broadsideSearchShards under `name`."""
    registry = f"window.{SHARDS_NAME}"
    return (f"{registry} = {registry} || {{}};\n"
            f"{registry}[{to_javascript(name)}] = {data};\n").encode("utf-8")


def term_shard(key: str, terms: list[str], title: "Inverted", other: "Inverted", entities: tuple) -> bytes:
    """The terms of one key, each with the briefings holding it in the title and elsewhere, and the named
    people, countries and organisations one of whose name words has that key."""
    data = {"terms": terms, "title": [title.encoded.get(term, "") for term in terms],
            "other": [other.encoded.get(term, "") for term in terms], "entities": list(entities)}
    return shard_script(f"terms/{shard_name(key)}", to_javascript(data))


def record_shard(number: int, keys: tuple, entries: Mapping) -> bytes:
    """What results show for briefings number*RECORDS_PER_SHARD onwards (`keys`)."""
    return shard_script(f"briefings/{number}", records_script(entries, keys))


def manifest_script(count: int, stop: frozenset[str], issue_titles: list[str], terms: dict[str, str],
                    records: list[str]) -> bytes:
    """The manifest: what every search needs, and each shard with a token that changes with its content (so a
    browser never uses a stale copy)."""
    index = {"version": FORMAT_VERSION, "count": count, "stop": sorted(stop), "issues": issue_titles,
             "perShard": RECORDS_PER_SHARD, "records": [digest[:10] for digest in records],
             "terms": {key: [shard_name(key), digest[:10]] for key, digest in terms.items()}}
    return f"window.{GLOBAL_NAME} = {to_javascript(index)};\n".encode("utf-8")


def entity_groups(entities: tuple[Entity, ...], folder: str, language: Language) -> dict[str, tuple[dict, ...]]:
    """Each person, country and organisation under the keys of the words of its names (search.js looks names up
    in the shard of the query's first word)."""
    groups: dict[str, list[dict]] = {}
    for entity in entities:
        record = entity_record(entity, folder, language)
        for key in sorted({term_key(word) for word in words_of(" ".join([record["name"], *record["aliases"]]))
                           if len(word) >= KEY_LETTERS}):
            groups.setdefault(key, []).append(record)
    return {key: tuple(records) for key, records in groups.items()}


KINDS = {"person": N_("Person"), "country": N_("Country"), "organisation": N_("Organisation")}
QUOTES, BRIEFINGS = Nn_("%(num)s quote", "%(num)s quotes"), Nn_("%(num)s briefing", "%(num)s briefings")


def entity_record(entity: Entity, folder: str, language: Language) -> dict:
    """A person's, country's or organisation's name, other names, page and a line on how much the briefings hold."""
    quoted = entity.kind == "person" and entity.quotes
    count = len(entity.quotes) if quoted else len(entity.briefings)
    about = [language.gettext(KINDS[entity.kind]), language.ngettext(*(QUOTES if quoted else BRIEFINGS), count)]
    return {"kind": entity.kind, "name": collapse(entity.name), "aliases": [collapse(a) for a in entity.aliases],
            "url": posixpath.relpath(entity.output_path, folder), "about": " · ".join(about)}


def index_briefing(briefing: Briefing, stop: frozenset[str], issue_titles: list[str],
                   issue_numbers: dict[str, int], folder: str, language: Language) -> tuple[str, str, str]:
    """One briefing's record (as its record shard holds it: to_javascript's text, half the memory of the dict), its
    title's terms, and the terms of everything else (summary, source, issues, body), title terms left out; each set
    space-separated (a string keeps in the build cache many times faster than a set)."""
    record = briefing_record(briefing, issue_numbers, folder, language)
    title = set(indexed_words(record["title"])) - stop
    issues = [issue_titles[number] for number in record["issues"]]
    elsewhere = set(briefing.body.words.split()) | set(indexed_words(" ".join([record["summary"], record["source"], *issues])))
    return to_javascript(record), " ".join(sorted(title)), " ".join(sorted(elsewhere - stop - title))


def indexed_words(text: str) -> list[str]:
    """The folded words of `text` worth indexing (as body_words keeps them)."""
    return [word for word in words_of(text) if 1 < len(word) <= LONGEST_TERM]


def briefing_record(briefing: Briefing, issue_numbers: dict[str, int], folder: str, language: Language) -> dict:
    """What a result shows: link from the search page, title, dates, summary, issues, source, opening words."""
    source = briefing.source
    return {
        "url": posixpath.relpath(briefing.output_path, folder),
        "title": collapse(briefing.title),
        "date": briefing.date.strftime("%Y-%m-%d"),
        "shown": language.date(briefing.date, briefing.date_precision),
        "summary": collapse(briefing.summary),
        "issues": sorted(issue_numbers[slug] for slug in briefing.issues if slug in issue_numbers),
        "source": " · ".join(part for part in (collapse(source.publication), collapse(source.author)) if part),
        "text": briefing.body.opening,
    }


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
    return fold_lowered(lowered)


def fold_lowered(lowered: str) -> str:
    """fold() of text already in lower case."""
    # Only the runs outside ASCII can change, and each alone folds as it does in the whole text (ASCII characters
    # are starters, so decomposition never reorders marks across them); translating the whole body would cost a
    # dictionary look-up per character.
    return NON_ASCII.sub(lambda run: (fold_run if len(run[0]) < 32 else fold_run.__wrapped__)(run[0]), lowered)


NON_ASCII = re.compile(r"[^\x00-\x7f]+")


@functools.lru_cache(maxsize=4096)  # short runs (quotation marks, dashes, accented letters) recur on every page
def fold_run(run: str) -> str:
    """A lower-case run of characters outside ASCII, its ligatures spelt out and its combining marks dropped."""
    decomposed = unicodedata.normalize("NFD", run.translate(LIGATURES))
    return "".join(char for char in decomposed if not unicodedata.category(char).startswith("M"))


def words_of(text: str) -> list[str]:
    """The folded words of `text`, in order."""
    return WORD.findall(fold(text))


def body_words(text: str) -> frozenset[str]:
    """The distinct folded words of `text` worth indexing, stop words included (the site's language drops them)."""
    # The words of words_of(text), found in each distinct space-separated piece once rather than in the whole text:
    # lower case never looks across a space (a final sigma included), nor does folding a run outside ASCII, and a
    # piece of letters and digits alone is a word as it is (most pieces of a body: the regular expression is then
    # spared most of the text).
    found = set()
    for piece in set(text.lower().split()):
        if piece.isascii():
            if piece.isalnum():
                found.add(piece)
                continue
        else:
            piece = fold_lowered(piece)
        found.update(WORD.findall(piece))
    return frozenset(word for word in found if 1 < len(word) <= LONGEST_TERM)


def stop_words(language: str) -> frozenset[str]:
    """The stop words for the language of the pages searched (English, French, Portuguese; none otherwise)."""
    return STOP_WORDS.get(language.lower().split("-")[0], frozenset())


@dataclass
class Inverted:
    """One posting table of a build: the briefings' keys in order and, per term, its encoded briefing numbers
    (kept encoded: 40,000 strings pickle into the build cache many times faster than lists of numbers), and the
    terms whose numbers changed in the last update (None: every term, the table was made afresh)."""

    keys: list
    encoded: dict[str, str]
    touched: set[str] | None = None


def update_inverted(previous: Inverted | None, known: Mapping, used: Mapping, part: int = 1) -> Inverted:
    """The posting table of the terms at `part` of the entries `used` (key -> entry), changing `previous` in place
    when only a few briefings changed at the same places in the list (an edit), and inverting every entry otherwise."""
    keys, lent = listed_keys(used)
    if previous is None or len(previous.keys) != len(keys):
        changed = None
    elif lent is not None and lent[0] is previous.keys:  # the places the entries say they may differ, alone
        changed = [n for n in lent[1] if previous.keys[n] != keys[n]]
    else:
        changed = places_changed(previous.keys, keys, operator.ne)
    if changed is None or len(changed) > len(keys) // 10 or any(previous.keys[n] not in known for n in changed):
        return Inverted(keys, invert_terms(entry[part] for entry in used.values()))
    touched: dict[str, list[int]] = {}

    def numbers_of(term: str) -> list[int]:
        if term not in touched:
            touched[term] = decode_numbers(previous.encoded[term]) if term in previous.encoded else []
        return touched[term]

    for n in changed:
        old, new = set(known[previous.keys[n]][part].split()), set(used[keys[n]][part].split())
        for term in old - new:
            numbers_of(term).remove(n)
        for term in new - old:
            bisect.insort(numbers_of(term), n)
    for term, found in touched.items():
        if found:
            previous.encoded[term] = encode_numbers(found)
        else:
            previous.encoded.pop(term, None)
    previous.keys, previous.touched = keys, set(touched)
    return previous


def invert_terms(terms: Iterable[str]) -> dict[str, str]:
    """Each term of `terms` (space-separated, each at most once in a string), with the numbers of the strings holding
    it encoded as encode_numbers does, made as the strings come: a list of numbers a term would take eight bytes a
    number (tens of MB at 20,000 briefings), where its code takes about one."""
    codes: dict[str, list] = {}  # term -> [the last number holding it, its code so far]
    small, limit = SMALL_CODES, len(SMALL_CODES)
    for number, held in enumerate(terms):
        for term in held.split():
            found = codes.get(term)
            if found is None:
                codes[term] = [number, bytearray(small[number] if number < limit else encode_varint(number).encode())]
            else:
                gap = number - found[0] - 1
                found[0] = number
                found[1] += small[gap] if gap < limit else encode_varint(gap).encode()
    return {term: found[1].decode() for term, found in codes.items()}


def memo_parts(state: dict) -> dict[tuple, object]:
    """An index's memo (its entries aside) in parts that an edit mostly leaves as they were, each a tuple where it
    can be (compared, not pickled, when the cache is saved): each record shard's keys and digest, the postings of
    the terms of each shard key, title and other apart, and the shards' digests."""
    parts: dict[tuple, object] = {(DIGESTS,): state[DIGESTS]} if DIGESTS in state else {}
    parts.update(((RECORDS, number), record) for number, record in enumerate(state.get(RECORDS, ())))
    for part in (TITLE, OTHER):
        groups: dict[str, list] = {}
        for term, encoded in state[part].encoded.items() if part in state else ():
            groups.setdefault(term_key(term), []).append((term, encoded))
        parts.update(((part, key), tuple(group)) for key, group in groups.items())
    return parts


def memo_from_parts(parts: dict[tuple, object]) -> dict:
    """The memo again from memo_parts's parts; the postings only with every record shard, whose keys are theirs."""
    state: dict = {DIGESTS: parts[(DIGESTS,)]} if (DIGESTS,) in parts else {}
    records = {part[1]: value for part, value in parts.items() if part[0] == RECORDS}
    if records and records.keys() == set(range(len(records))):
        state[RECORDS] = [records[number] for number in range(len(records))]
        keys = [key for chunk, _ in state[RECORDS] for key in chunk]
        for name in (TITLE, OTHER):
            state[name] = Inverted(keys, {term: encoded for part, group in parts.items() if part[0] == name
                                          for term, encoded in group})
    return state


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
SMALL_CODES = tuple(code.encode() for code in SMALL_VARINTS)


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
