"""Takes seed articles (seeds/*.txt) and gives briefings (content/briefings/<slug>.md) to edit and publish.

One module per kind of input, each giving the same Article record (article.py) to one writer (write.py).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from ..entities import extract_entities
from ..errors import BuildFailed, ContentError
from ..fields import GAZETTEER, parse_gazetteer
from ..language_guess import guess_language
from ..meta import FrontMatterError
from ..model import Organisation
from ..reader import decode_text, read_bytes
from .article import Article, ImportFailed, ImportResult, Reading, SeedError
from .decode import check_size, decode_seed, read_seed
from .report import make_report
from .fetch import fetch_page, kept_page
from .page import NO_DATE as NO_PAGE_DATE, NO_DATE_HINT as NO_PAGE_DATE_HINT, is_page, page_reading, read_page
from .rewrite import read_briefing, replace_fields
from .text import NO_DATE, NO_DATE_HINT, parse_seed
from .write import (BRIEFINGS, briefing_slug, briefing_text, choose_target, entity_meta, index_briefings,
                    kept_entities, kept_page_name, match_issues, write_atomically)

PASTED = "-"  # the seed name that stands for standard input


@dataclass(frozen=True)
class Settings:
    """What every seed of one run is imported with."""

    issue_keywords: dict[str, tuple[str, ...]]
    organisations: tuple[Organisation, ...] = ()  # the gazetteer
    force: bool = False
    encoding: str | None = None
    keep_all: bool = False  # keep page leftovers in the body
    date: str = ""  # --date: overrides the date of every seed named
    title: str = ""  # --title: overrides the title
    lang: str = ""  # the language given with --lang; '' to guess each seed's
    languages: tuple[str, ...] = ("en",)  # the site's languages, the default first


# --- the run -------------------------------------------------------------------------------


def import_seeds(project: Path, seeds: list[Path | str], issue_keywords: dict[str, tuple[str, ...]], *,
                 force: bool = False, encoding: str | None = None, keep_all: bool = False, date: str = "",
                 title: str = "", pasted: bytes | None = None, lang: str = "",
                 languages: tuple[str, ...] = ("en",)) -> list[ImportResult]:
    """Write one briefing per seed file or web address (str); raise ImportFailed listing every bad one at the end.

    A seed named '-' is `pasted` (standard input): it is kept as seeds/<slug>.txt, then imported.
    """
    settings = Settings(issue_keywords, load_gazetteer(project), force, encoding, keep_all, date, title, lang, languages)
    owners = index_briefings(project / BRIEFINGS)

    def handle(seed: Path | str, shown: str) -> ImportResult:
        """Import one seed file, one address, or the pasted text standing for '-'."""
        if isinstance(seed, str):
            return import_address(project, seed, settings, owners)
        if seed.name == PASTED and pasted is not None:
            return import_pasted(project, pasted, settings, owners)
        return import_seed(project, seed, shown, settings, owners)

    addresses = list(dict.fromkeys(seed for seed in seeds if isinstance(seed, str)))
    return each_seed(project, [*unique_files(project, [seed for seed in seeds if isinstance(seed, Path)]), *addresses],
                     handle)


def each_seed(project: Path, seeds: list[Path | str], handle: Callable[[Path | str, str], ImportResult]) -> list[ImportResult]:
    """Run `handle` on every seed file or address; raise ImportFailed listing every bad one once all were tried."""
    results: list[ImportResult] = []
    errors: list[ContentError] = []
    for seed in seeds:
        try:
            results.append(handle(seed, seed if isinstance(seed, str) else shown_path(project, seed)))
        except SeedError as error:
            errors.extend(error.errors)
    if errors:
        raise ImportFailed(errors, results)
    return results


def import_seed(project: Path, file: Path, shown: str, settings: Settings, owners: dict[str, Path]) -> ImportResult:
    """Read, parse and write one seed; `owners` (seed name -> briefing) is updated with the result."""
    reading = read_input(file, shown, settings)
    return write_reading(project, reading, file.stem, shown, settings, owners)


def write_reading(project: Path, reading: Reading, stem: str, shown: str, settings: Settings,
                  owners: dict[str, Path], before_write: Callable[[], None] = lambda: None) -> ImportResult:
    """Write the briefing of one input read into an Article, with its report; `before_write` runs once nothing
    can fail but the write."""
    article, seed_name = reading.article, reading.seed_name
    check_dated(article, shown, is_page(seed_name))
    issues = match_issues(article, settings.issue_keywords)
    slug = briefing_slug(article.title, stem)
    target = choose_target(project / BRIEFINGS, slug, seed_name, owners, settings.force, shown)
    found = entity_meta(extract_entities(article.title, article.paragraphs, settings.organisations))
    entities = kept_entities(target, found, settings.organisations)
    lang, how, noted = choose_language(article, settings, shown)
    text = briefing_text(article, issues, seed_name, entities, lang if lang != settings.languages[0] else "")
    before_write()
    write_atomically(target, text, shown)
    owners[seed_name] = target
    warnings = reading.warnings + article_warnings(article, issues, shown, settings.issue_keywords) + noted
    source_path = f"{BRIEFINGS}/{target.name}"
    return ImportResult(shown, source_path, warnings, make_report(shown, source_path, article, issues, entities),
                        lang, how)


def import_pasted(project: Path, data: bytes, settings: Settings, owners: dict[str, Path]) -> ImportResult:
    """Import an article given on standard input, keeping its text as seeds/<slug>.txt (so it can be re-imported)."""
    check_size(len(data), "(standard input)")
    decoded = decode_seed(data, "(standard input)", settings.encoding)
    article = overridden(parse_seed(decoded.text, "(standard input)", settings.keep_all), settings)
    check_dated(article, "(standard input)")
    seeds = project / "seeds"
    stem, number = briefing_slug(article.title, "pasted"), 1
    while (seeds / f"{stem}{f'-{number}' if number > 1 else ''}.txt").exists():
        number += 1
    seed = seeds / f"{stem}{f'-{number}' if number > 1 else ''}.txt"
    reading = Reading(article, seed.name, decoded.warnings)
    try:
        return write_reading(project, reading, seed.stem, f"seeds/{seed.name}", settings, owners,
                             lambda: write_atomically(seed, decoded.text, "(standard input)"))
    except BaseException:
        seed.unlink(missing_ok=True)  # the briefing was not written: neither is its seed
        raise


def choose_language(article: Article, settings: Settings, shown: str) -> tuple[str, str, tuple[ContentError, ...]]:
    """The briefing's language and how it was chosen: as given with --lang; else, on a site in several languages,
    guessed from the text when the site publishes in the language guessed, else the site's default language (with a
    warning saying so)."""
    if settings.lang:
        return settings.lang, "given with --lang", ()
    if len(settings.languages) == 1:  # nothing to choose between: no guess is made, and nothing to report
        return settings.languages[0], "", ()
    guess = guess_language("\n".join((article.title, *article.paragraphs)))
    sure = f"{guess.certainty:.0%} sure"
    if guess.lang in settings.languages:
        return guess.lang, f"guessed, {sure}", ()
    default = settings.languages[0]
    reason = f"the text looks {guess.lang} ({sure}), which site.toml does not declare" if guess.lang else \
        "no language could be told from the text"
    return default, f"the default: {reason}", (ContentError(
        shown, 1, f"imported as {default}, the site's default language: {reason}",
        f"import it again with --lang and --force, or add [languages.{guess.lang or 'xx'}] to site.toml", warning=True),)


def import_address(project: Path, address: str, settings: Settings, owners: dict[str, Path]) -> ImportResult:
    """Fetch a page, write its briefing and keep the page as seeds/<slug>.html; nothing is written if any step fails."""
    fetched = fetch_page(address)
    reading = page_reading(fetched.data, address, "", settings.encoding, fetched.charset, fetched.address)
    reading = replace(reading, article=overridden(reading.article, settings))
    seed_name = kept_page_name(project / "seeds", briefing_slug(reading.article.title, "page"), owners)
    kept = project / "seeds" / seed_name
    existed = kept.exists()
    try:
        return write_reading(project, replace(reading, seed_name=seed_name), "page", address, settings, owners,
                             lambda: write_atomically(kept, kept_page(fetched), address))
    except BaseException:
        if not existed:
            kept.unlink(missing_ok=True)  # the briefing was not written: neither is its page
        raise


def read_input(file: Path, shown: str, settings: Settings) -> Reading:
    """Read one input of any kind into the Article record (each kind has its own module), options applied."""
    if is_page(file.name):
        page = read_page(file, shown, settings.encoding)
        return replace(page, article=overridden(page.article, settings))
    decoded = decode_seed(read_seed(file, shown), shown, settings.encoding)
    article = parse_seed(decoded.text, shown, settings.keep_all)
    return Reading(overridden(article, settings), file.name, decoded.warnings)


def overridden(article: Article, settings: Settings) -> Article:
    """Apply --date and --title to an article."""
    if settings.date:
        article = replace(article, date=settings.date, date_origin="--date")
    if settings.title:
        article = replace(article, title=settings.title, title_origin="--title", title_made_up=False)
    return article


def check_dated(article: Article, shown: str, page: bool = False) -> None:
    """Refuse an article with no date (`page`: read from a web page): nothing is written for it."""
    if not article.date:
        raise SeedError(ContentError(shown, None, *((NO_PAGE_DATE, NO_PAGE_DATE_HINT) if page else (NO_DATE, NO_DATE_HINT))))


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


# --- refreshing entities -------------------------------------------------------------------


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
    reading = read_input(file, shown, Settings({}, organisations, encoding=encoding))
    article, target = reading.article, owners.get(reading.seed_name)
    if target is None:
        raise SeedError(ContentError(shown, None, "not imported yet, so there is no briefing to refresh",
                                     "import it first: python build.py import " + shown))
    entities = entity_meta(extract_entities(article.title, article.paragraphs, organisations))
    source_path = f"{BRIEFINGS}/{target.name}"
    old = read_briefing(target, source_path)
    new = replace_fields(old, entities, source_path)
    if new != old:  # an unchanged file keeps its time stamp, so the next build skips it
        write_atomically(target, new, shown)
    return ImportResult(shown, source_path, reading.warnings)
