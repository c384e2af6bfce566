"""Takes an Article record, gives the briefing file content/briefings/<slug>.md (front matter, escaped body), written atomically."""
from __future__ import annotations

import datetime
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import frontmatter
import yaml
from slugify import slugify

from ..entities import Entities, extract_entities
from ..errors import ContentError
from ..meta import FrontMatterError, Value, parse_document
from ..model import Organisation, Quote
from ..reader import SLUG
from .article import Article, ImporterBug, SeedError
from .decode import normalise_text
from .escape import escape_paragraph, unescape_paragraph
from .page import is_page, markdown_paragraphs

BRIEFINGS = "content/briefings"
# PyYAML folds long scalars at `width`; an unfolded line diffs and edits better.
YAML_WIDTH = 2**31 - 1


@dataclass(frozen=True)
class Stored:
    """An existing briefing as read back: its raw front matter and the text extraction would see in it."""

    meta: dict[str, object]
    title: str
    paragraphs: tuple[str, ...]


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


def briefing_meta(article: Article, issues: tuple[str, ...], seed_name: str,
                  entities: dict[str, object], lang: str = "") -> dict[str, object]:
    """Return the front matter of a briefing, keys in the order they are written."""
    meta: dict[str, object] = {"title": article.title, "date": date_value(article.date)}
    if article.label:
        meta["label"] = article.label
    meta.update(summary=article.summary or article.paragraphs[0], issues=list(issues))
    if article.byline is not None:
        byline = article.byline
        parts = (("author", byline.author), ("role", byline.role), ("publication", byline.publication),
                 ("url", byline.url))
        meta["source"] = {key: value for key, value in parts if value}
    meta["seed"] = seed_name
    if lang:  # only for a language other than the site's default
        meta["lang"] = lang
    meta.update(entities)
    return meta


def date_value(date: str) -> datetime.date | str:
    """Return a date as written in front matter: a full date unquoted (as YAML reads it), a month or year as text."""
    return datetime.date.fromisoformat(date) if len(date) == 10 else date


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
    """Return the article's body: its Markdown when the input had structure, else its paragraphs escaped."""
    if article.markdown:
        return article.markdown
    return "\n\n".join(escape_paragraph(paragraph) for paragraph in article.paragraphs) + "\n"


def briefing_text(article: Article, issues: tuple[str, ...], seed_name: str,
                  entities: dict[str, object] | None = None, lang: str = "") -> str:
    """Return the whole briefing file: front matter dumped by YAML, then the escaped body.

    `entities` are the four extracted fields as written; by default extracted here, without a gazetteer.
    """
    if entities is None:
        entities = entity_meta(extract_entities(article.title, article.paragraphs))
    meta = briefing_meta(article, issues, seed_name, entities, lang)
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


def kept_page_name(folder: Path, slug: str, owners: dict[str, Path]) -> str:
    """Return the name a fetched page is kept under in seeds/: <slug>.html, numbered if an unrelated file has it."""
    name, number = f"{slug}.html", 1
    while name not in owners and ((folder / name).exists() or (folder / name).is_symlink()):
        number += 1
        name = f"{slug}-{number}.html"
    return name


def write_atomically(target: Path, text: str | bytes, shown: str) -> None:
    """Write `text` (as UTF-8) or bytes to `target` through a temporary file and os.replace, so no half file ever exists."""
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # os.open rather than tempfile: its 0600 mode would survive the rename; this honours the umask.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())  # the rename must not land before the data on a crash
        os.replace(temporary, target)
    except BaseException as error:  # Ctrl-C too: the temporary file must not stay behind
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise SeedError(ContentError(
                shown, None, f"cannot write {BRIEFINGS if target.suffix == '.md' else 'seeds'}/{target.name}: "
                f"{error.strerror}")) from None
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
    if is_page(str(meta.get("seed", ""))):
        paragraphs = markdown_paragraphs(document.body)
    else:
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
