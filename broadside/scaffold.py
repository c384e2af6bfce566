"""Takes a kind (briefing or issue) and a title and gives a new content file with every key explained in place."""
from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from slugify import slugify

from .errors import BuildFailed, ContentError
from .model import Config
from .reader import RESERVED, SLUG

BODY = {"briefing": "Write the briefing here, in Markdown.\n", "issue": "Explain the issue here, in Markdown.\n"}


def new_content(project: Path, config: Config, kind: str, title: str, issues: tuple[str, ...] = ()) -> str:
    """Write content/<kind>s/<slug>.md for `title`; return its path; never overwrite a file."""
    slug = slugify(title, max_length=60, word_boundary=True, save_order=True)
    if not SLUG.match(slug) or slug in RESERVED:
        raise BuildFailed([ContentError(f"content/{kind}s", None, f"cannot make a file name from the title '{title}'",
                                        "use a title with some letters or digits")])
    rel = f"content/{kind}s/{slug}.md"
    today = datetime.now(ZoneInfo(config.timezone)).date()
    text = briefing_text(title, today, issues) if kind == "briefing" else issue_text(title)
    (project / rel).parent.mkdir(parents=True, exist_ok=True)
    try:
        with os.fdopen(os.open(project / rel, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "w", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise BuildFailed([ContentError(rel, None, "the file already exists", "choose another title, or edit that file")]) from None
    return rel


def line(key: str, value: object, comment: str, indent: str = "") -> str:
    """One explained front matter line: a comment, then the key and its value in YAML."""
    dumped = yaml.safe_dump({key: value}, allow_unicode=True, default_flow_style=True, width=1 << 30).strip()
    return f"{indent}# {comment}\n{indent}{dumped[1:-1]}\n"


def briefing_text(title: str, today: date, issues: tuple[str, ...]) -> str:
    """The front matter and body of a new briefing."""
    source = "".join(line(key, "", comment, "  ") for key, comment in (
        ("publication", "The newspaper, agency or organisation that published it."),
        ("author", "Who wrote it."), ("role", "The author's role, e.g. Editor."),
        ("url", "The article's address, https://..."),
    ))
    return ("---\n"
            + line("title", title, "The headline.")
            + line("date", today, "YYYY-MM-DD, or 2021-06-28 10:30. A date after today keeps the briefing unpublished until that day.")
            + line("summary", "", "The lead in plain text, shown in lists and when the page is shared.")
            + line("issues", list(issues), "Issue slugs: file names in content/issues/ without .md, e.g. [kimberley-process-reform].")
            + "# Where the article came from; leave empty what you do not know.\nsource:\n" + source
            + line("quotes", [], "Direct quotations, each as: - {text: \"...\", speaker: \"...\", role: \"...\"}")
            + line("draft", True, "true keeps the briefing out of the published site; set it to false to publish.")
            + "---\n\n" + BODY["briefing"])


def issue_text(title: str) -> str:
    """The front matter and body of a new issue."""
    return ("---\n"
            + line("title", title, "The issue's name.")
            + line("summary", "", "One or two sentences on what is at stake.")
            + line("keywords", [], "Phrases that make 'import' suggest this issue for an article, e.g. [conflict diamonds].")
            + line("status", "", "Where things stand, in a few words.")
            + line("asks", [], "Calls to action, one plain sentence each.")
            + "---\n\n" + BODY["issue"])
