"""Takes an imported Article and what was extracted from it, gives the import report: every guess, for a person to check."""
from __future__ import annotations

import json
from dataclasses import asdict

from .article import Article, Report

LONG_TITLE = 110
LEFT_OUT_SHARE = 0.2  # more than this share of the input's lines left out is worth a look
SHOWN = 80  # characters of a left-out line shown


def make_report(seed: str, briefing: str, article: Article, issues: tuple[str, ...],
                entities: dict[str, object]) -> Report:
    """Return the report block of one imported article."""
    byline = article.byline
    return Report(
        seed, briefing, article.title, article.title_origin, article.label, article.label_origin, article.date, article.precision,
        article.date_origin, byline.author if byline else "", byline.role if byline else "",
        byline.publication if byline else "", byline.url if byline else "", article.byline_origin,
        len(article.paragraphs), tuple({"text": quote["text"], "speaker": quote["speaker"]}
                                       for quote in entities.get("quotes", [])),
        tuple(entities.get("countries", [])), tuple(entities.get("organisations", [])),
        tuple(entities.get("people", [])), issues, article.lines, article.left_out, checks_of(article))


def checks_of(article: Article) -> tuple[str, ...]:
    """Return what is likely wrong about the guesses made for an article."""
    checks = []
    if article.title_made_up:
        checks.append("the title was made from the first sentence; write the real headline")
    if len(article.title) > LONG_TITLE:
        checks.append(f"the title is {len(article.title)} characters long; is it really the headline?")
    if not article.date:
        checks.append("no date found")
    if article.byline is None or not (article.byline.author or article.byline.publication):
        checks.append("no byline found; add 'source:' with author and publication by hand")
    if article.lines and len(article.left_out) > LEFT_OUT_SHARE * article.lines:
        checks.append(f"{len(article.left_out)} of {article.lines} lines were left out; check them below")
    return tuple(checks)


def format_report(report: Report) -> str:
    """Return a report block as text a person can check in ten seconds; likely-wrong guesses start with '!'."""
    rows = [f"{report.seed} -> {report.briefing}"]
    rows.append(row("title", f"{report.title} ({report.title_origin})"))
    if report.label:
        rows.append(row("label", f"{report.label} ({report.label_origin})"))
    rows.append(row("date", f"{report.date or 'none'} ({report.date_precision or 'no date'}; {report.date_origin})"))
    for name in ("author", "role", "publication", "url"):
        if getattr(report, name):
            rows.append(row(name, getattr(report, name) + (f" ({report.byline_origin})" if name == "author" or
                                                           name == "publication" and not report.author else "")))
    rows.append(row("paragraphs", str(report.paragraphs)))
    rows += [row("quote", f"“{shorten(quote['text'], 60)}” ({quote['speaker'] or 'no speaker found'})")
             for quote in report.quotes]
    for name in ("countries", "organisations", "people", "issues"):
        rows.append(row(name, ", ".join(getattr(report, name)) or "none"))
    rows.append(row("left out", f"{len(report.left_out)} of {report.lines} lines"))
    rows += [f"    line {item.line}: {shorten(item.text, SHOWN)} ({item.reason})" for item in report.left_out]
    rows += [f"  ! {check}" for check in report.checks]
    return "\n".join(rows)


def row(name: str, value: str) -> str:
    """Return one line of a report block."""
    return f"  {name:<13} {value}"


def shorten(text: str, limit: int) -> str:
    """Return `text` cut to `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def reports_json(reports: list[Report]) -> str:
    """Return the reports as JSON: a list of objects with the same fields the text shows."""
    return json.dumps([report_dict(report) for report in reports], ensure_ascii=False, indent=2)


def report_dict(report: Report) -> dict[str, object]:
    """Return one report as plain data; left-out lines are shown in full."""
    data = asdict(report)
    data["left_out"] = [{"line": item.line, "text": item.text, "reason": item.reason} for item in report.left_out]
    return data
