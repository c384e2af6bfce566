"""Takes site.toml (and command-line overrides) and gives a validated Config, or every problem at once."""
from __future__ import annotations

import difflib
import re
from dataclasses import fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .brand import read_brand
from .errors import BuildFailed, ContentError
from .languages import read_languages
from .model import Config
from .themes import load_theme
from .tomlfile import key_line, parse_toml

CONFIG_FILE = "site.toml"
NAME = re.compile(r"^[a-z0-9_-]+$")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
HTTP_URL = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
REQUIRED = ("title", "description")


def load_config(project: Path, base_url: str | None = None) -> Config:
    """Read project/site.toml; `base_url` (from --base-url or the environment) wins over the file."""
    path = project / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BuildFailed([ContentError(CONFIG_FILE, None, "site.toml is missing", "create it with title = and description =")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise BuildFailed([ContentError(CONFIG_FILE, None, f"cannot read site.toml: {error}")]) from None
    values = parse_config_text(text)
    if base_url:
        values["base_url"] = base_url
    return validate_config(values, text, project)


def parse_config_text(text: str) -> dict:
    """Parse TOML text, turning a syntax error into a located ContentError."""
    return parse_toml(text, CONFIG_FILE)


def validate_config(values: dict, text: str, project: Path) -> Config:
    """Check every key of site.toml and build the Config."""
    known = {f.name: f for f in fields(Config)}
    errors = [_unknown_key(key, known, text) for key in values if key not in known]
    errors += [ContentError(CONFIG_FILE, None, f"'{key}' is missing", f'add {key} = "..."')
               for key in REQUIRED if key not in values]
    languages, problems = read_languages(values.get("languages", {}), values.get("language", "en"), text)
    errors += problems
    for key, value in values.items():
        if key in known and key not in ("brand", "languages"):
            problem = _check_value(key, value, project)
            if problem:
                errors.append(ContentError(CONFIG_FILE, key_line(text, key), *problem))
    if errors:
        raise BuildFailed(errors)
    # The theme's chain is checked here, as site.toml names it; the brand's colours are checked against its colours.
    theme = load_theme(project / "themes", values.get("theme", "default"))
    if "brand" in values:
        values["brand"], errors = read_brand(values["brand"], text, project, theme)
        if errors:
            raise BuildFailed(errors)
    if "base_url" in values and not values["base_url"].endswith("/"):
        values["base_url"] += "/"
    return Config(**{key: value for key, value in values.items() if key in known and key != "languages"},
                  languages=languages)


def _unknown_key(key: str, known: dict, text: str) -> ContentError:
    """Report a key site.toml does not know, suggesting the closest known one."""
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(sorted(known))
    return ContentError(CONFIG_FILE, key_line(text, key), f"unknown key '{key}'", hint)


def _check_value(key: str, value: object, project: Path) -> tuple[str, str] | None:
    """Return (message, hint) when `value` is wrong for `key`, else None."""
    if key in ("title", "description", "language", "base_url", "timezone", "theme"):
        if not isinstance(value, str) or not value.strip():
            return f"'{key}' must be non-empty text", f'write {key} = "..."'
    if key == "language" and not LANGUAGE.match(value):
        return f"'language' must be a language tag like 'en' or 'fr-BE', got '{value}'", 'write language = "en"'
    if key == "base_url" and not HTTP_URL.match(value):
        return f"'base_url' must be an absolute http(s) URL, got '{value}'", 'write base_url = "https://example.org/"'
    if key == "timezone":
        return _check_timezone(value)
    if key == "theme":
        return _check_theme(value, project)
    if key == "page_size" and (type(value) is not int or not 1 <= value <= 1000):
        return f"'page_size' must be a whole number from 1 to 1000, got {value!r}", "write page_size = 10"
    if key == "cname" and (not isinstance(value, str) or not HOSTNAME.match(value)):
        return f"'cname' must be a domain name like briefings.example.org, got {value!r}", "leave it out for user.github.io addresses"
    if key == "feed_content" and value not in ("full", "summary"):
        return f"'feed_content' must be \"full\" or \"summary\", got {value!r}", 'write feed_content = "full"'
    if key in ("sanitize_html", "briefing_pdfs") and type(value) is not bool:
        return f"'{key}' must be true or false, got {value!r}", f"write {key} = {str(key == 'sanitize_html').lower()}"
    if key == "pack_paper" and value not in ("a4", "letter"):
        return f"'pack_paper' must be \"a4\" or \"letter\", got {value!r}", 'write pack_paper = "letter"'
    return None


def _check_timezone(value: str) -> tuple[str, str] | None:
    """Accept only names from the time zone database."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown timezone '{value}'", 'use a name like "Europe/Brussels" or "UTC"'
    return None


def _check_theme(value: str, project: Path) -> tuple[str, str] | None:
    """Accept only a folder name under themes/, never a path."""
    available = sorted(p.name for p in (project / "themes").iterdir() if p.is_dir()) if (project / "themes").is_dir() else []
    if not NAME.match(value) or value not in available:
        return f"theme must be a directory name under themes/, got '{value}'", "available: " + (", ".join(available) or "none")
    return None


