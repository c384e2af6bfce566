"""Takes raw seed articles (seeds/*.txt) and gives briefings (content/briefings/<slug>.md) to edit and publish."""
from __future__ import annotations

import codecs
import datetime
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import frontmatter
import yaml
from slugify import slugify

from .entities import Entities, extract_entities
from .errors import BuildFailed, ContentError
from .fields import GAZETTEER, parse_gazetteer
from .meta import Document, FrontMatterError, Value, parse_document
from .model import Organisation, Quote, Source
from .reader import CONTROL, MAX_BYTES, SLUG, decode_text, read_bytes

BRIEFINGS = "content/briefings"
# PyYAML folds long scalars at `width`; an unfolded line diffs and edits better.
YAML_WIDTH = 2**31 - 1
FIRST_LINE = "the first line must be ' date YYYY-MM-DD Headline'"


@dataclass(frozen=True)
class Article:
    """A parsed seed: its date, headline, body paragraphs (plain text, one line each) and byline."""

    date: datetime.date
    title: str
    paragraphs: tuple[str, ...]
    byline: Source | None = None  # parts the byline does not give are ''


@dataclass(frozen=True)
class Decoded:
    """A seed's bytes as text, with any warning about how they were read."""

    text: str
    warnings: tuple[ContentError, ...] = ()


@dataclass(frozen=True)
class Header:
    """What the first line of a seed says."""

    date: datetime.date
    title: str


@dataclass(frozen=True)
class Settings:
    """What every seed of one run is imported with."""

    issue_keywords: dict[str, tuple[str, ...]]
    organisations: tuple[Organisation, ...] = ()  # the gazetteer
    force: bool = False
    encoding: str | None = None


@dataclass(frozen=True)
class Stored:
    """An existing briefing as read back: its raw front matter and the text extraction would see in it."""

    meta: dict[str, object]
    title: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class ImportResult:
    """One seed turned into one briefing."""

    seed_path: str
    source_path: str
    warnings: tuple[ContentError, ...]


class SeedError(Exception):
    """A seed cannot be imported; carries every located problem found in it."""

    def __init__(self, *errors: ContentError):
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = errors


class ImportFailed(BuildFailed):
    """Some seeds failed; `results` still lists the briefings that were written."""

    def __init__(self, errors: list[ContentError], results: list[ImportResult]):
        super().__init__(errors)
        self.results = tuple(results)


class ImporterBug(RuntimeError):
    """The importer wrote something that does not read back as written: our bug, never the seed's."""


# --- the run -------------------------------------------------------------------------------


def import_seeds(project: Path, seeds: list[Path], issue_keywords: dict[str, tuple[str, ...]], *,
                 force: bool = False, encoding: str | None = None) -> list[ImportResult]:
    """Write one briefing per seed; raise ImportFailed (a BuildFailed) listing every bad seed at the end."""
    settings = Settings(issue_keywords, load_gazetteer(project), force, encoding)
    owners = index_briefings(project / BRIEFINGS)
    return each_seed(project, unique_files(project, seeds),
                     lambda file, shown: import_seed(project, file, shown, settings, owners))


def each_seed(project: Path, files: list[Path], handle: Callable[[Path, str], ImportResult]) -> list[ImportResult]:
    """Run `handle` on every seed; raise ImportFailed listing every bad seed once all were tried."""
    results: list[ImportResult] = []
    errors: list[ContentError] = []
    for file in files:
        try:
            results.append(handle(file, shown_path(project, file)))
        except SeedError as error:
            errors.extend(error.errors)
    if errors:
        raise ImportFailed(errors, results)
    return results


def import_seed(project: Path, file: Path, shown: str, settings: Settings, owners: dict[str, Path]) -> ImportResult:
    """Read, parse and write one seed; `owners` (seed name -> briefing) is updated with the result."""
    decoded = decode_seed(read_seed(file, shown), shown, settings.encoding)
    article = parse_seed(decoded.text, shown)
    issues = match_issues(article, settings.issue_keywords)
    slug = briefing_slug(article.title, file.stem)
    target = choose_target(project / BRIEFINGS, slug, file.name, owners, settings.force, shown)
    found = entity_meta(extract_entities(article.title, article.paragraphs, settings.organisations))
    entities = kept_entities(target, found, settings.organisations)
    write_atomically(target, briefing_text(article, issues, file.name, entities), shown)
    owners[file.name] = target
    warnings = decoded.warnings + article_warnings(article, issues, shown, settings.issue_keywords)
    return ImportResult(shown, f"{BRIEFINGS}/{target.name}", warnings)


def unique_files(project: Path, seeds: list[Path]) -> list[Path]:
    """Return the seeds as paths under `project`, each file once (naming one twice imports it once)."""
    files: dict[str, Path] = {}
    for seed in seeds:
        file = seed if seed.is_absolute() else project / seed
        files.setdefault(os.path.abspath(file), file)
    return list(files.values())


def shown_path(project: Path, file: Path) -> str:
    """Return how errors name `file`: relative to the project when inside it, POSIX either way."""
    absolute = Path(os.path.abspath(file))
    try:
        return absolute.relative_to(os.path.abspath(project)).as_posix()
    except ValueError:
        return absolute.as_posix()


def article_warnings(article: Article, issues: tuple[str, ...], shown: str,
                     issue_keywords: dict[str, tuple[str, ...]]) -> tuple[ContentError, ...]:
    """Return what a campaigner should check in the new briefing."""
    warnings = []
    if article.byline is None:
        warnings.append(ContentError(shown, None, "no byline found; 'source' was left out",
                                     "add 'source:' with author and publication by hand", warning=True))
    if issue_keywords and not issues:  # a site without issues expects no issue
        warnings.append(ContentError(shown, None, "no issue keyword matched; 'issues' is empty",
                                     "add issue slugs by hand or extend the issues' keywords", warning=True))
    return tuple(warnings)


def load_gazetteer(project: Path) -> tuple[Organisation, ...]:
    """Read content/organisations.yaml if there is one; a bad one stops the run before any seed is imported."""
    file = project / GAZETTEER
    if not file.exists() and not file.is_symlink():
        return ()
    try:
        return parse_gazetteer(decode_text(read_bytes(file, GAZETTEER), GAZETTEER), GAZETTEER)
    except FrontMatterError as error:
        raise ImportFailed([error.error], []) from None
    except BuildFailed as failure:
        raise ImportFailed(list(failure.errors), []) from None


# --- reading and decoding ------------------------------------------------------------------


def read_seed(file: Path, shown: str) -> bytes:
    """Return a seed's bytes, refusing missing, special and over-large files before reading them."""
    try:
        info = file.stat()
    except FileNotFoundError:
        raise SeedError(ContentError(shown, None, "file not found", "check the path")) from None
    except OSError as error:
        raise SeedError(ContentError(shown, None, f"cannot read the file: {error.strerror}")) from None
    if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
        raise SeedError(ContentError(shown, None, "not a regular file", "seeds are plain .txt files"))
    check_size(info.st_size, shown)
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)  # the file may have grown since stat()
    except OSError as error:
        raise SeedError(ContentError(shown, None, f"cannot read the file: {error.strerror}")) from None
    check_size(len(data), shown)
    return data


def check_size(size: int, shown: str) -> None:
    """Refuse a seed over MAX_BYTES: no article is that long, so it is the wrong file."""
    if size > MAX_BYTES:
        raise SeedError(ContentError(
            shown, None, f"file is {size / 2**20:.1f} MB; limit {MAX_BYTES // 2**20} MB",
            "a seed is one article as plain text"))


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),  # before UTF-16: FF FE starts both
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LINE_END = re.compile(r"\r\n|\r|\n")


def decode_seed(data: bytes, path: str, encoding: str | None = None) -> Decoded:
    """Return a seed's text: a byte-order mark wins, then UTF-8 (or `encoding`); never guesses silently."""
    for bom, codec in _BOMS:
        if data.startswith(bom):  # decoded without it, so error columns match what an editor shows
            return Decoded(decode_strictly(data[len(bom):], codec, path))
    codec = lookup_codec(encoding or "utf-8", path)
    ascii_based = is_ascii_based(codec)
    if ascii_based and b"\0" in data:
        raise SeedError(binary_error(data, path))
    if codec != "utf-8" and ascii_based and not data.isascii() and is_utf8(data):
        # Bytes that happen to be valid UTF-8 are almost never cp1252 or latin-1 text, and one
        # --encoding applies to a whole run: reading them as `encoding` would give mojibake.
        return Decoded(data.decode("utf-8"), (ContentError(
            path, None, f"read as UTF-8, not {encoding}, because the file is valid UTF-8",
            "check the briefing's accents and quotes", warning=True),))
    return Decoded(decode_strictly(data, codec, path))


def lookup_codec(encoding: str, path: str) -> str:
    """Return the canonical name of a text encoding, or fail naming the unknown one."""
    try:
        b"".decode(encoding)  # also refuses bytes-to-bytes codecs such as base64
        return codecs.lookup(encoding).name
    except LookupError:
        raise SeedError(ContentError(path, None, f"unknown encoding '{encoding}'",
                                     "use a Python codec name such as cp1252, latin-1 or utf-16")) from None


def is_ascii_based(codec: str) -> bool:
    """Tell whether ASCII text reads the same in `codec` (so a NUL byte means binary)."""
    try:
        return b"Ab1 \n".decode(codec) == "Ab1 \n"
    except UnicodeDecodeError:
        return False


def is_utf8(data: bytes) -> bool:
    """Tell whether `data` is valid UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_strictly(data: bytes, codec: str, path: str) -> str:
    """Decode `data` with `codec`, failing at the first bad byte rather than inserting U+FFFD."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        raise SeedError(decode_error(data, codec, error, path)) from None


def decode_error(data: bytes, codec: str, error: UnicodeDecodeError, path: str) -> ContentError:
    """Locate an undecodable byte and say which encoding the file probably uses."""
    line, col = position_after(data[:error.start].decode(codec, errors="replace"))
    byte = f"0x{data[error.start]:02X}" if error.start < len(data) else "at the end"
    if not codec.startswith("utf-8"):
        return ContentError(path, line, f"not valid {codec} (invalid byte {byte})",
                            "check the encoding the file was saved in", col)
    if is_decodable(data, "cp1252"):
        return ContentError(path, line, f"not UTF-8 (invalid byte {byte}; looks like cp1252)",
                            "re-run with --encoding cp1252", col)
    return ContentError(path, line, f"not UTF-8 (invalid byte {byte})",
                        "re-run with --encoding naming the file's encoding, e.g. latin-1", col)


def is_decodable(data: bytes, codec: str) -> bool:
    """Tell whether `data` decodes with `codec` without a single bad byte."""
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def binary_error(data: bytes, path: str) -> ContentError:
    """Explain a file with NUL bytes, spotting UTF-16 saved without a byte-order mark."""
    sample = data[:4096]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > len(sample) // 4 and even == 0:
        hint = "it looks like UTF-16 without a byte-order mark: re-run with --encoding utf-16-le"
    elif even > len(sample) // 4 and odd == 0:
        hint = "it looks like UTF-16 without a byte-order mark: re-run with --encoding utf-16-be"
    else:
        hint = "it contains NUL bytes; save the article as plain text"
    return ContentError(path, 1, "not a text file", hint)


def position_after(before: str) -> tuple[int, int]:
    """Return the 1-based line and column just after `before`; CRLF, CR and LF each end a line."""
    lines = _LINE_END.split(before)
    return len(lines), len(lines[-1]) + 1


# --- parsing (pure) ------------------------------------------------------------------------

# C0 controls except tab and line ends, DEL and C1: invisible, and C1 usually means bad decoding.


def parse_seed(text: str, path: str) -> Article:
    """Return the article in a seed's decoded text; raise SeedError with every problem found."""
    lines = normalise_text(text).split("\n")
    first = next((index for index, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise SeedError(ContentError(path, 1, "the seed is empty", "a seed starts with ' date YYYY-MM-DD Headline'"))
    errors = list(find_controls(lines, path))
    try:
        header = parse_header(lines[first], first + 1, path)
    except SeedError as error:
        errors.extend(error.errors)
    if errors:
        raise SeedError(*errors)
    paragraphs, byline = split_byline(split_blocks(lines[first + 1:]))
    if not paragraphs:
        raise SeedError(ContentError(path, first + 1, "the seed has no article text after the headline",
                                     "add the article's paragraphs below the first line"))
    return Article(header.date, header.title, paragraphs, byline)


def normalise_text(text: str) -> str:
    """Drop a byte-order mark and turn CRLF and lone CR into LF, so every seed reads the same."""
    return _LINE_END.sub("\n", text.removeprefix("\ufeff"))


def find_controls(lines: list[str], path: str) -> list[ContentError]:
    """Locate the first control character of each line (at most 10 reported)."""
    errors = []
    for number, line in enumerate(lines, start=1):
        found = CONTROL.search(line)
        if found and len(errors) < 10:
            errors.append(ContentError(
                path, number, f"control character U+{ord(found.group()):04X} is not allowed",
                "delete it: it is invisible and usually comes from a copy-paste or a wrong --encoding",
                found.start() + 1))
    return errors


_HEADER = re.compile(r"\s*date(?:\s*:\s*|\s+)(?P<rest>.*)", re.IGNORECASE)
_DATES = (
    re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"),
    re.compile(r"(?P<year>\d{4})/(?P<month>\d{1,2})/(?P<day>\d{1,2})"),
    re.compile(r"(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+)\.?,?\s+(?P<year>\d{4})"),
    re.compile(r"(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"),
)
_MONTHS = {name: number for number, full in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"), start=1) for name in (full, full[:3])}
_MONTHS["sept"] = 9


def parse_header(line: str, number: int, path: str) -> Header:
    """Read ' date <date> <headline>' (dates as YYYY-MM-DD, YYYY/MM/DD or 28 June 2021)."""
    header = _HEADER.fullmatch(line)
    found = header and next(filter(None, (pattern.match(header["rest"]) for pattern in _DATES)), None)
    if not found:
        raise SeedError(ContentError(path, number, FIRST_LINE, f"it reads '{shorten(line.strip(), 60)}'; "
                                     "dates may also be YYYY/MM/DD or 28 June 2021"))
    after = header["rest"][found.end():]
    if after and not after[0].isspace():
        written = found.group() + after.split()[0]
        raise SeedError(ContentError(path, number, FIRST_LINE, f"the date '{written}' is not one"))
    col = header.start("rest") + 1
    date = make_date(found, path, number, col)
    if not after.strip():
        raise SeedError(ContentError(path, number, "the headline is missing after the date",
                                     "write the headline on the first line, after the date", col))
    return Header(date, after.strip())


def make_date(found: re.Match[str], path: str, number: int, col: int) -> datetime.date:
    """Build the date a pattern matched, refusing impossible ones (never rolled over to the next month)."""
    month = found["month"]
    month_number = int(month) if month.isdigit() else _MONTHS.get(month.lower(), 0)
    try:
        return datetime.date(int(found["year"]), month_number, int(found["day"]))
    except ValueError:
        hint = "no such day" if month_number else "write the month in English, e.g. 28 June 2021"
        raise SeedError(ContentError(path, number, f"invalid date '{found.group()}'", hint, col)) from None


def shorten(text: str, limit: int) -> str:
    """Return `text` cut to `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def split_blocks(lines: list[str]) -> list[tuple[str, ...]]:
    """Group stripped non-blank lines into blocks separated by blank lines."""
    blocks: list[tuple[str, ...]] = []
    current: list[str] = []
    for line in lines + [""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            blocks.append(tuple(current))
            current = []
    return blocks


def split_byline(blocks: list[tuple[str, ...]]) -> tuple[tuple[str, ...], Source | None]:
    """Return the body paragraphs (wrapped lines joined) and the byline, if the last block is one."""
    paragraphs = tuple(" ".join(block) for block in blocks)
    # A lone paragraph stays body text: a seed is never all byline.
    if len(blocks) > 1 and len(blocks[-1]) == 1 and looks_like_byline(blocks[-1][0]):
        return paragraphs[:-1], parse_byline(blocks[-1][0])
    return paragraphs, None


_QUOTES = frozenset('"“”„‟«»‘')  # not ' and ’: they are apostrophes in names like O’Brien
_SENTENCE_END = tuple(".!?:;")
_ABBREVIATIONS = frozenset(("inc.", "ltd.", "co.", "corp.", "jr.", "sr.", "bros.", "plc.", "pty.", "llc.", "esq."))
_INITIALS = re.compile(r"(?:[A-Za-z]\.){2,}")
_PARTICLES = frozenset(("de", "da", "das", "do", "dos", "di", "del", "della", "der", "den", "du", "la", "le",
                        "van", "von", "ter", "ten", "zu", "bin", "binti", "ibn", "al", "el", "y"))
_NAME_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’.\-])*")


def looks_like_byline(line: str) -> bool:
    """Tell whether a last paragraph reads like 'Name, Role, Publication' rather than article text."""
    if len(line) > 160 or _QUOTES.intersection(line):
        return False
    if line.endswith(_SENTENCE_END) and not is_abbreviation(line.split()[-1]):
        return False
    parts = byline_parts(line)
    return bool(parts) and looks_like_name(parts[0])


def is_abbreviation(word: str) -> bool:
    """Tell whether a final word ending in '.' is an abbreviation (U.S., Inc.), not a sentence end."""
    return word.lower() in _ABBREVIATIONS or bool(_INITIALS.fullmatch(word))


def looks_like_name(text: str) -> bool:
    """Tell whether `text` is 1-6 capitalised words, allowing particles such as 'de' and 'al-'."""
    words = remove_by(text).split()
    if not 1 <= len(words) <= 6 or not all(_NAME_WORD.fullmatch(word) for word in words):
        return False
    capitalised = [word for word in words if word[0].isupper()]
    return bool(capitalised) and all(word[0].isupper() or is_particle(word) for word in words)


def is_particle(word: str) -> bool:
    """Tell whether a lower-case name word is a particle ('van', 'bin', 'al-Hassan')."""
    head, _, tail = word.partition("-")
    return head in _PARTICLES and (not tail or tail[0].isupper())


def remove_by(text: str) -> str:
    """Drop a leading 'By ' from an author: it is part of the byline's wording, not the name."""
    return re.sub(r"^by\s+", "", text, flags=re.IGNORECASE)


def byline_parts(line: str) -> list[str]:
    """Split a byline at commas, ignoring empty parts left by stray commas."""
    return [part.strip() for part in line.split(",") if part.strip()]


def parse_byline(line: str) -> Source:
    """Read 'Name', 'Name, Publication' or 'Name, Role[, more role], Publication'."""
    parts = byline_parts(line)
    author = remove_by(parts[0])
    if len(parts) == 1:
        return Source(author=author)
    if len(parts) == 2:
        return Source(author=author, publication=parts[1])
    return Source(author=author, role=", ".join(parts[1:-1]), publication=parts[-1])


def match_issues(article: Article, issue_keywords: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Return, sorted, the issues any of whose keywords appear as whole words in the headline or text."""
    text = "\n".join((article.title, *article.paragraphs))
    return tuple(sorted(slug for slug, keywords in issue_keywords.items()
                        if (pattern := keyword_pattern(keywords)) and pattern.search(text)))


def keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    """Compile keywords into one case-insensitive whole-word pattern; any whitespace matches a space."""
    parts = [r"\s+".join(map(re.escape, keyword.split())) for keyword in keywords if keyword.strip()]
    if not parts:
        return None
    # Lookarounds rather than \b, so keywords that start or end with punctuation ('C++') still work.
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


# --- writing the briefing text (pure) ------------------------------------------------------


def briefing_meta(article: Article, issues: tuple[str, ...], seed_name: str,
                  entities: dict[str, object]) -> dict[str, object]:
    """Return the front matter of a briefing, keys in the order they are written."""
    meta: dict[str, object] = {"title": article.title, "date": article.date,
                               "summary": article.paragraphs[0], "issues": list(issues)}
    if article.byline is not None:
        byline = article.byline
        parts = (("author", byline.author), ("role", byline.role), ("publication", byline.publication))
        meta["source"] = {key: value for key, value in parts if value}
    meta["seed"] = seed_name
    meta.update(entities)
    return meta


def entity_meta(found: Entities) -> dict[str, object]:
    """Return what extraction found as front matter values; a quote's role only where the text gives one."""
    return {"countries": list(found.countries), "organisations": list(found.organisations),
            "people": list(found.people), "quotes": [quote_meta(quote) for quote in found.quotes]}


def quote_meta(quote: Quote) -> dict[str, str]:
    """Return one quotation as written in front matter (speaker '' when the text does not name one)."""
    meta = {"text": quote.text, "speaker": quote.speaker}
    if quote.role:
        meta["role"] = quote.role
    return meta


def briefing_body(article: Article) -> str:
    """Return the article's paragraphs as Markdown that displays exactly their text."""
    return "\n\n".join(escape_paragraph(paragraph) for paragraph in article.paragraphs) + "\n"


def briefing_text(article: Article, issues: tuple[str, ...], seed_name: str,
                  entities: dict[str, object] | None = None) -> str:
    """Return the whole briefing file: front matter dumped by YAML, then the escaped body.

    `entities` are the four extracted fields as written; by default extracted here, without a gazetteer.
    """
    if entities is None:
        entities = entity_meta(extract_entities(article.title, article.paragraphs))
    meta = briefing_meta(article, issues, seed_name, entities)
    body = briefing_body(article)
    post = frontmatter.Post(body, **meta)
    # The pure-Python dumper writes emoji as themselves; libyaml's escapes them as \U0001F600.
    text = frontmatter.dumps(post, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True,
                             width=YAML_WIDTH) + "\n"
    check_round_trip(text, meta, body)
    return text


def check_round_trip(text: str, meta: dict[str, object], body: str) -> None:
    """Raise ImporterBug unless `text` reads back, with Broadside's own reader, to `meta` and `body`."""
    try:
        document = parse_document(text, "(new briefing)")
    except FrontMatterError as error:
        raise ImporterBug(f"the written front matter does not parse: {error}") from None
    loaded = {key: raw_value(value) for key, value in document.meta.items()}
    if loaded != as_text(meta) or document.body.strip("\n") != body.strip("\n"):
        raise ImporterBug(f"the written briefing does not read back as written:\n{text[:2000]}")


def raw_value(value: Value) -> object:
    """Return a located Value as plain text, lists and dicts."""
    if isinstance(value.data, list):
        return [raw_value(item) for item in value.data]
    if isinstance(value.data, dict):
        return {key: raw_value(item) for key, item in value.data.items()}
    return value.data


def as_text(value: object) -> object:
    """Return `value` as the reader sees it: every scalar as its text (null stays None)."""
    if value is None:
        return None
    if isinstance(value, list):
        return [as_text(item) for item in value]
    if isinstance(value, dict):
        return {key: as_text(item) for key, item in value.items()}
    return str(value)


# Characters Markdown or HTML would act on anywhere in a line. `<` is kept only before a
# space or the end: tags, comments, autolinks and automails (`<1@x.org>`, where escaping a
# later `<` can complete one) all need a non-space character right after it. `&` wherever a
# character reference could start: HTML also reads `&#0`, `&#x41` and `&copy` without their `;`.
_INLINE = re.compile(r"""
    [\\`*_\[\]{}]
  | <(?!\ |\Z)
  | &(?=[\#0-9a-zA-Z])
""", re.VERBOSE)
# What starts a block when it opens a paragraph. `:` and `~` cannot be backslash-escaped in
# Python-Markdown (the backslash would show), so those become character references.
_BLOCK_START = (
    (re.compile(r"[#>|]"), lambda found: "\\" + found.group()),
    (re.compile(r"[-+](?=\s|$)|-(?=[-\s]*$)"), lambda found: "\\" + found.group()),
    (re.compile(r"(\d+)\.(?=\s|$)"), lambda found: found.group(1) + "\\."),
    (re.compile(r":"), lambda found: "&#58;"),
    (re.compile(r"~(?=~~)"), lambda found: "&#126;"),
)


def escape_paragraph(text: str) -> str:
    """Return Markdown that renders as exactly `text` (wrapped lines joined) and nothing else."""
    line = " ".join(part.strip() for part in text.split("\n") if part.strip())
    line = _INLINE.sub(escape_character, line)
    for pattern, replace in _BLOCK_START:
        found = pattern.match(line)
        if found:
            return replace(found) + line[found.end():]
    return line


def escape_character(found: re.Match[str]) -> str:
    """Return the escaped form of one character `_INLINE` found."""
    char = found.group()
    return {"<": "&lt;", "&": "&amp;"}.get(char, "\\" + char)


_ESCAPED = re.compile(r"\\(.)|&(lt|amp|#58|#126);")
_UNESCAPED = {"lt": "<", "amp": "&", "#58": ":", "#126": "~"}


def unescape_paragraph(line: str) -> str:
    """Return the text a paragraph written by escape_paragraph displays: its inverse, in one pass."""
    return _ESCAPED.sub(lambda found: found.group(1) or _UNESCAPED[found.group(2)], line)


def briefing_slug(title: str, stem: str) -> str:
    """Return a URL slug for the headline, else for the seed's file name, else 'briefing'."""
    for text in (title, stem):
        # save_order: stop at the first word that does not fit, rather than skip it and append
        # shorter later words ('...impasse-on-of').
        slug = slugify(text, max_length=60, word_boundary=True, save_order=True)
        if SLUG.match(slug):
            return slug
    return "briefing"


# --- writing the file ----------------------------------------------------------------------


def index_briefings(folder: Path) -> dict[str, Path]:
    """Return seed file name -> briefing for every briefing that records its seed."""
    owners: dict[str, Path] = {}
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else ():
        seed = briefing_seed(path)
        if seed:
            owners.setdefault(seed, path)
    return owners


def briefing_seed(path: Path) -> str | None:
    """Return the `seed` a briefing records, or None (unreadable files are treated as hand-written)."""
    try:
        document = parse_document(normalise_text(path.read_text(encoding="utf-8")), path.name)
    except (OSError, UnicodeDecodeError, FrontMatterError):
        return None
    seed = document.meta.get("seed")
    return seed.data if seed is not None and isinstance(seed.data, str) else None


def choose_target(folder: Path, slug: str, seed_name: str, owners: dict[str, Path], force: bool,
                  shown: str) -> Path:
    """Return where the seed's briefing goes: its existing one (only with force), else a free slug."""
    existing = owners.get(seed_name)
    if existing is not None and not force:
        raise SeedError(ContentError(shown, None, f"already imported as {BRIEFINGS}/{existing.name}",
                                     "use --force to overwrite"))
    if existing is not None:
        return existing  # keep the published URL even if the headline was edited since
    candidate, number = folder / f"{slug}.md", 1
    while candidate.exists() or candidate.is_symlink():
        number += 1
        candidate = folder / f"{slug}-{number}.md"
    return candidate


def write_atomically(target: Path, text: str, shown: str) -> None:
    """Write `text` to `target` through a temporary file and os.replace, so no half file ever exists."""
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # os.open rather than tempfile: its 0600 mode would survive the rename; this honours the umask.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())  # the rename must not land before the data on a crash
        os.replace(temporary, target)
    except BaseException as error:  # Ctrl-C too: the temporary file must not stay behind
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise SeedError(ContentError(
                shown, None, f"cannot write {BRIEFINGS}/{target.name}: {error.strerror}")) from None
        raise


# --- keeping corrections, refreshing entities ----------------------------------------------


def read_stored(target: Path) -> Stored | None:
    """Return an existing briefing's raw front matter and text, or None if there is none or it is unreadable."""
    try:
        document = parse_document(normalise_text(target.read_text(encoding="utf-8")), target.name)
    except (OSError, UnicodeDecodeError, FrontMatterError):
        return None  # nothing a person could have corrected can be read back
    meta = {key: raw_value(value) for key, value in document.meta.items()}
    title = meta.get("title") if isinstance(meta.get("title"), str) else ""
    paragraphs = tuple(unescape_paragraph(block.strip()) for block in document.body.split("\n\n") if block.strip())
    return Stored(meta, title, paragraphs)


def kept_entities(target: Path, found: dict[str, object], organisations: tuple[Organisation, ...]) -> dict[str, object]:
    """Return the entity fields to write: `found`, except those a person corrected in the briefing at `target`.

    A field counts as corrected when it differs from what extraction gives for the briefing's own
    headline and body as stored, so the file needs to keep nothing extra. A field whose key was
    removed counts as never extracted; write `[]` to keep a field empty.
    """
    stored = read_stored(target) if target.exists() else None
    if stored is None:
        return found
    extracted = entity_meta(extract_entities(stored.title, stored.paragraphs, organisations))
    return {key: stored.meta[key] if key in stored.meta and stored.meta[key] != extracted[key] else value
            for key, value in found.items()}


def refresh_entities(project: Path, seeds: list[Path], encoding: str | None = None) -> list[ImportResult]:
    """Re-extract quotes, countries, organisations and people into briefings imported before; nothing else changes.

    With no seeds named, every briefing whose seed is still in seeds/ is refreshed.
    """
    organisations = load_gazetteer(project)
    owners = index_briefings(project / BRIEFINGS)
    files = unique_files(project, seeds) if seeds else [
        project / "seeds" / name for name in sorted(owners) if (project / "seeds" / name).is_file()]
    return each_seed(project, files, lambda file, shown: refresh_briefing(file, shown, owners, organisations, encoding))


def refresh_briefing(file: Path, shown: str, owners: dict[str, Path], organisations: tuple[Organisation, ...],
                     encoding: str | None) -> ImportResult:
    """Rewrite the four entity fields of the briefing imported from one seed, from that seed."""
    decoded = decode_seed(read_seed(file, shown), shown, encoding)
    target = owners.get(file.name)
    if target is None:
        raise SeedError(ContentError(shown, None, "not imported yet, so there is no briefing to refresh",
                                     "import it first: python build.py import " + shown))
    article = parse_seed(decoded.text, shown)
    entities = entity_meta(extract_entities(article.title, article.paragraphs, organisations))
    source_path = f"{BRIEFINGS}/{target.name}"
    old = read_briefing(target, source_path)
    new = replace_fields(old, entities, source_path)
    if new != old:  # an unchanged file keeps its time stamp, so the next build skips it
        write_atomically(target, new, shown)
    return ImportResult(shown, source_path, decoded.warnings)


def read_briefing(target: Path, source_path: str) -> str:
    """Return a briefing's text exactly as stored, or fail naming the briefing."""
    try:
        return target.read_bytes().decode("utf-8")
    except OSError as error:
        raise SeedError(ContentError(source_path, None, f"cannot read the file: {error.strerror}")) from None
    except UnicodeDecodeError:
        raise SeedError(ContentError(source_path, None, "not UTF-8", "save the briefing as UTF-8")) from None


def replace_fields(text: str, values: dict[str, object], path: str) -> str:
    """Return a briefing with the front matter keys in `values` rewritten in place (added at the end if absent).

    Every other line, comments and quoting included, stays as it was, and so does the body.
    """
    bom, newline = "\ufeff" * text.startswith("\ufeff"), "\r\n" if "\r\n" in text else "\n"
    normal = normalise_text(text)
    try:
        before = parse_document(normal, path)
    except FrontMatterError as error:
        raise SeedError(error.error) from None
    lines = normal.split("\n")
    start = next(index for index, line in enumerate(lines) if line.strip())
    end = next(index for index in range(start + 1, len(lines)) if lines[index].rstrip() == "---")
    front = lines[start + 1:end]
    spans = key_spans(front, path, start + 2)
    for key in sorted(spans.keys() & values.keys(), key=lambda key: spans[key][0], reverse=True):
        first, stop = spans[key]
        front[first:stop] = dump_field(key, values[key])
    front += [line for key in values if key not in spans for line in dump_field(key, values[key])]
    result = "\n".join(lines[:start + 1] + front + lines[end:])
    check_replaced(before, result, values, path)
    return bom + result.replace("\n", newline)


def key_spans(front: list[str], path: str, first_line: int) -> dict[str, tuple[int, int]]:
    """Return the lines (first, stop) each top-level key of the front matter takes, trailing comments left out."""
    root = yaml.compose("\n".join(front), Loader=yaml.SafeLoader)  # already checked by parse_document
    if root is None or root.flow_style:
        raise SeedError(ContentError(path, first_line, "front matter written as one {...} mapping cannot be updated in place",
                                     "write one 'key: value' per line"))
    spans = {}
    for key, value in root.value:
        stop = value.end_mark.line + (1 if value.end_mark.column else 0)
        while isinstance(value, (yaml.SequenceNode, yaml.MappingNode)) and stop > key.start_mark.line + 1 \
                and (not front[stop - 1].strip() or front[stop - 1].lstrip().startswith("#")):
            stop -= 1  # a block list ends where the next key starts: the comments above that key are its own
        spans[key.value] = (key.start_mark.line, stop)
    return spans


def dump_field(key: str, value: object) -> list[str]:
    """Return the front matter lines of one key, dumped the way whole briefings are."""
    return yaml.dump({key: value}, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True, width=YAML_WIDTH,
                     default_flow_style=False).rstrip("\n").split("\n")


def check_replaced(before: Document, text: str, values: dict[str, object], path: str) -> None:
    """Raise ImporterBug unless `text` reads back as `before` with only the keys in `values` changed."""
    try:
        after = parse_document(text, path)
    except FrontMatterError as error:
        raise ImporterBug(f"updating {path} in place broke its front matter: {error}") from None
    expected = {key: raw_value(value) for key, value in before.meta.items()} | as_text(values)
    if {key: raw_value(value) for key, value in after.meta.items()} != expected or after.body != before.body:
        raise ImporterBug(f"updating {path} in place changed more than {', '.join(values)}:\n{text[:2000]}")
