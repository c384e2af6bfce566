"""Takes the themes/ folder and a theme's name and gives the theme's chain (the theme, then the themes it extends),
with the Jinja loader, colours and per-template digests made over that chain, and its files, read once per change."""
from __future__ import annotations

import functools
import hashlib
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import jinja2
import jinja2.meta

from .errors import BuildFailed, ContentError
from .tomlfile import key_line, parse_toml

THEME_FILE = "theme.toml"
NAME = re.compile(r"^[a-z0-9_-]+$")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_DEPTH = 8  # deeper chains are almost surely a mistake, and each level costs a lookup per template
KEYS = ("extends", "colours")
SCHEMES = ("light", "dark")


@dataclass(frozen=True)
class Colours:
    """What a theme shows text on in one colour scheme: its backgrounds and its body text colour."""

    backgrounds: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Theme:
    """A theme and the themes it extends: `folders` runs from the theme itself to the last parent."""

    name: str
    folders: tuple[Path, ...]
    light: Colours | None = None
    dark: Colours | None = None

    @property
    def templates(self) -> tuple[Path, ...]:
        """The templates folders, the theme's own first: a name is looked up in that order."""
        return tuple(folder / "templates" for folder in self.folders)

    @property
    def statics(self) -> tuple[Path, ...]:
        """The static folders, the theme's own first: its files win over its parents'."""
        return tuple(folder / "static" for folder in self.folders)


def load_theme(themes: Path, name: str) -> Theme:
    """Follow `extends` from themes/<name>/theme.toml up the chain; a loop or an unknown parent is an error at its line."""
    folders: list[Path] = []
    colours: dict[str, Colours] = {}
    problems: list[ContentError] = []
    current, asked_at = name, None
    while current is not None:
        folder = themes / current
        if asked_at and current in (f.name for f in folders):
            chain = " -> ".join([*(f.name for f in folders), current])
            problems.append(ContentError(*asked_at, f"themes extend each other in a loop: {chain}", "remove one 'extends'"))
            break
        if asked_at and (not NAME.match(current) or folder.is_symlink() or not folder.is_dir()):
            problems.append(ContentError(*asked_at, f"unknown theme '{current}' in 'extends'",
                                         "available: " + (", ".join(available_themes(themes)) or "none")))
            break
        if len(folders) == MAX_DEPTH:
            problems.append(ContentError(*asked_at, f"themes extend each other more than {MAX_DEPTH} levels deep",
                                         "extend a theme closer to 'default'"))
            break
        folders.append(folder)
        settings, parent, line = read_theme_file(folder, problems)
        for scheme in SCHEMES:
            if scheme in settings and scheme not in colours:
                colours[scheme] = settings[scheme]  # the nearest theme that names its colours wins
        current, asked_at = parent, (f"themes/{folder.name}/{THEME_FILE}", line)
    if problems:
        raise BuildFailed(problems)
    return Theme(name, tuple(folders), colours.get("light"), colours.get("dark"))


def available_themes(themes: Path) -> list[str]:
    """The folder names under themes/."""
    return sorted(p.name for p in themes.iterdir() if p.is_dir()) if themes.is_dir() else []


def read_theme_file(folder: Path, problems: list[ContentError]) -> tuple[dict[str, Colours], str | None, int | None]:
    """A theme's colours, the theme it extends (None for none) and the line that says so; problems are added."""
    path = folder / THEME_FILE
    rel = f"themes/{folder.name}/{THEME_FILE}"
    if path.is_symlink() or (path.exists() and not path.is_file()):
        problems.append(ContentError(rel, 1, "symlinks/special files are not allowed in themes/", "copy the real file in"))
        return {}, None, None
    if not path.exists():
        return {}, None, None
    text = path.read_text(encoding="utf-8-sig")
    try:
        values = parse_toml(text, rel, 'write extends = "default"')
    except BuildFailed as failed:
        problems.extend(failed.errors)
        return {}, None, None
    for key in values:
        if key not in KEYS:
            problems.append(ContentError(rel, key_line(text, key), f"unknown key '{key}'", "known keys: " + ", ".join(KEYS)))
    parent = values.get("extends")
    if parent is not None and (not isinstance(parent, str) or not parent):
        problems.append(ContentError(rel, key_line(text, "extends"), "'extends' must be a theme's name", 'write extends = "default"'))
        parent = None
    return read_colours(values.get("colours", {}), text, rel, problems), parent, key_line(text, "extends")


def read_colours(table: object, text: str, rel: str, problems: list[ContentError]) -> dict[str, Colours]:
    """The [colours.light] and [colours.dark] tables: `backgrounds` (a list) and `text`, each #rrggbb."""
    found = {}
    for scheme in SCHEMES:
        values = table.get(scheme) if isinstance(table, dict) else None
        if values is None:
            continue
        backgrounds, colour = (values.get("backgrounds"), values.get("text")) if isinstance(values, dict) else (None, None)
        if (not isinstance(backgrounds, list) or not backgrounds or not all(isinstance(b, str) and COLOUR.match(b) for b in backgrounds)
                or not isinstance(colour, str) or not COLOUR.match(colour)):
            problems.append(ContentError(rel, key_line(text, "backgrounds", f"colours.{scheme}") or key_line(text, scheme, "colours"),
                                         f"[colours.{scheme}] needs backgrounds (a list) and text, each a colour like \"#1d2126\"",
                                         'write backgrounds = ["#ffffff"] and text = "#1d2126"'))
            continue
        found[scheme] = Colours(tuple(b.lower() for b in backgrounds), colour.lower())
    return found


def make_loader(theme: Theme) -> jinja2.BaseLoader:
    """Look a template up in the theme, then in each parent; `<theme>:<name>` names one theme's own version,
    so that a child's base.html can extend "default:base.html"."""
    own = [jinja2.FileSystemLoader(folder) for folder in theme.templates]
    named = jinja2.PrefixLoader({folder.name: jinja2.FileSystemLoader(folder / "templates") for folder in theme.folders},
                                delimiter=":")
    return jinja2.ChoiceLoader([*own, named])


def template_digests(environment: jinja2.Environment, whole: str) -> dict[str, str]:
    """For each template of the chain, a digest of its source and of every template it brings in (extends, include,
    import), followed through the chain; `whole` (a digest of every template) stands in for a template that names others by
    expressions, or that cannot be read, since then anything may be brought in."""
    sources: dict[str, tuple[str, str, tuple[str, ...] | None]] = {}

    def source(name: str) -> tuple[str, str, tuple[str, ...] | None]:
        if name not in sources:
            try:
                text, filename, _ = environment.loader.get_source(environment, name)
                found = tuple(jinja2.meta.find_referenced_templates(environment.parse(text)))
                sources[name] = (text, filename or name, None if None in found else found)
            except (jinja2.TemplateError, OSError, UnicodeDecodeError):
                sources[name] = ("", name, None)
        return sources[name]

    def digest(name: str) -> str:
        seen, todo, parts = set(), [name], []
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            text, filename, refers = source(current)
            if refers is None:
                return whole
            parts.append(f"{current}\0{filename.rpartition('/themes/')[2]}\0{text}")  # the same in every clone
            todo.extend(refers)
        return hashlib.sha256("\0\0".join(sorted(parts)).encode()).hexdigest()

    return {name: digest(name) for name in environment.list_templates() if ":" not in name}


def theme_file(filename: str | None, fallback: str) -> str:
    """Name a template file as the user knows it (themes/<theme>/templates/<name>) from its full path."""
    parts = Path(filename or "").parts
    if "templates" in parts:
        at = len(parts) - 1 - parts[::-1].index("templates")
        if at >= 1:
            return "/".join(("themes", parts[at - 1], "templates", *parts[at + 1:]))
    return fallback


def folder_files(*folders: Path) -> tuple[tuple[int, str, bytes], ...]:
    """Every file under `folders` (a theme's chain of templates, say), each as its folder's place, its name within
    that folder and its bytes, in path order; read again only when a file came, went or changed size or time: a
    preview's save asks for a theme's files several times (its digest, where its templates read bodies, the
    messages they ask for), and the theme seldom changes between saves."""
    stamps = []
    for place, folder in enumerate(folders):
        for path in sorted(folder.rglob("*")):
            try:
                found = path.stat()
            except OSError:
                continue  # gone meanwhile, or a link to nothing: not a file
            if stat.S_ISREG(found.st_mode):
                stamps.append((place, path.relative_to(folder).as_posix(), found.st_size, found.st_mtime_ns))
    return read_files(folders, tuple(stamps))


@functools.lru_cache(maxsize=16)
def read_files(folders: tuple[Path, ...], stamps: tuple) -> tuple[tuple[int, str, bytes], ...]:
    """The files folder_files found, read (kept for those very stamps)."""
    return tuple((place, name, (folders[place] / name).read_bytes()) for place, name, _, _ in stamps)
