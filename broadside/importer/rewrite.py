"""Takes a briefing's text and new values for some front matter keys, gives the text with only those keys rewritten."""
from __future__ import annotations

from pathlib import Path

import yaml

from ..errors import ContentError
from ..meta import Document, FrontMatterError, parse_document
from .article import ImporterBug, SeedError
from .decode import normalise_text
from .write import YAML_WIDTH, as_text, raw_value


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
