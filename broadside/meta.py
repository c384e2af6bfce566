"""Takes the text of a content file and gives its front matter as located raw values and its body.

The YAML is read at the event level, so aliases, tags, duplicate keys and deep nesting are
refused before any value is built, and every scalar stays the literal text the person typed
(no `NO` -> False, no `0123` -> 83); the reader decides what each field means.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from .errors import ContentError

try:  # the C parser is much faster; the pure-Python one gives the same events
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader

MAX_DEPTH = 10
FENCE = "---"
NULLS = {"", "~", "null", "Null", "NULL"}


@dataclass(frozen=True)
class Value:
    """One YAML value: text (or None), a list of Values or a dict of Values, with its position."""

    data: object
    line: int
    col: int
    plain: bool = False


@dataclass(frozen=True)
class Document:
    """A content file split into front matter (keys to Values) and Markdown body."""

    meta: dict[str, Value]
    body: str
    body_line: int
    warnings: tuple[ContentError, ...] = field(default=())


class FrontMatterError(Exception):
    """The front matter cannot be read; carries the located problem."""

    def __init__(self, error: ContentError):
        super().__init__(str(error))
        self.error = error


def parse_document(text: str, path: str) -> Document:
    """Split `text` (LF line endings, no BOM) into front matter and body; raise FrontMatterError."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None or lines[start].rstrip() != FENCE:
        raise FrontMatterError(ContentError(
            path, (start or 0) + 1, "the file does not start with front matter",
            "begin with a line '---', then 'title:' and the other keys, then '---'"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].rstrip() == FENCE), None)
    if end is None:
        raise FrontMatterError(ContentError(
            path, start + 1, f"front matter opened on line {start + 1} is never closed",
            "add a line '---' after the last key"))
    yaml_text = "\n".join(lines[start + 1:end]) + "\n"
    meta, warnings = load_mapping(yaml_text, start + 2, path)
    return Document(meta, "\n".join(lines[end + 1:]), end + 2, tuple(warnings))


def load_mapping(yaml_text: str, first_line: int, path: str) -> tuple[dict[str, Value], list[ContentError]]:
    """Read YAML whose first line is `first_line` of the file into a dict of located Values."""
    builder = _Builder(yaml_text, first_line, path)
    try:
        for event in yaml.parse(yaml_text, Loader=_Loader):
            builder.feed(event)
    except yaml.MarkedYAMLError as error:
        raise FrontMatterError(_yaml_error(error, yaml_text, first_line, path)) from None
    except yaml.YAMLError as error:  # pragma: no cover - unmarked errors are rare
        raise FrontMatterError(ContentError(path, first_line, f"invalid YAML: {error}")) from None
    root = builder.root
    if root is None or not isinstance(root.data, dict):
        raise FrontMatterError(ContentError(
            path, root.line if root else first_line - 1, "front matter must be a mapping of keys to values",
            "write one 'key: value' per line"))
    return root.data, builder.warnings


_HINTS = (
    ("mapping values are not allowed", "quote the value: title: \"Breaking: cuts\""),
    ("found a tab character", "indent with spaces, not tabs"),
    ("found character '\\t'", "indent with spaces, not tabs"),
    ("while scanning a quoted scalar", "close the quote at the end of the value"),
    ("could not find expected ':'", "each line needs 'key: value'; quote values that contain ': '"),
    ("found unexpected end of stream", "close the quote or bracket that is still open"),
)


def _yaml_error(error: yaml.MarkedYAMLError, yaml_text: str, first_line: int, path: str) -> ContentError:
    """Turn a PyYAML error into one that names the file and the real line and column."""
    problem = error.problem or "cannot be read"
    mark = error.problem_mark
    # An unterminated quote is reported at the end of the text; the opening quote is more useful.
    if error.context_mark is not None and (mark is None or "end of stream" in problem):
        mark = error.context_mark
    line = first_line + (mark.line if mark else 0)
    col = mark.column + 1 if mark else None
    if "nesting depth" in problem:  # libyaml's own limit, far above ours
        return ContentError(path, line, f"nesting deeper than {MAX_DEPTH} levels", "front matter needs only a few levels", col)
    if mark and _char_at(yaml_text, mark) == "\t":
        return ContentError(path, line, "a tab character is used for indentation", "indent with spaces, not tabs", col)
    text = f"{error.context or ''} {problem}"
    hint = next((hint for needle, hint in _HINTS if needle in text), "check the YAML syntax on this line")
    return ContentError(path, line, f"invalid YAML: {problem}", hint, col)


def _char_at(yaml_text: str, mark: yaml.Mark) -> str:
    """Return the character at `mark`, or ''; the C parser's marks carry no text of their own."""
    lines = yaml_text.split("\n")
    if mark.line < len(lines) and mark.column < len(lines[mark.line]):
        return lines[mark.line][mark.column]
    return ""


class _Builder:
    """Builds located Values from parse events, refusing what Broadside does not allow."""

    def __init__(self, yaml_text: str, first_line: int, path: str):
        self.source_lines = yaml_text.split("\n")
        self.first_line = first_line
        self.path = path
        self.stack: list[_Frame] = []
        self.root: Value | None = None
        self.warnings: list[ContentError] = []

    def fail(self, event: yaml.Event, message: str, hint: str = "") -> None:
        """Stop reading with a problem located at `event`."""
        line, col = self.where(event)
        raise FrontMatterError(ContentError(self.path, line, message, hint, col))

    def where(self, event: yaml.Event) -> tuple[int, int]:
        """Return the 1-based file line and column where `event` starts."""
        return self.first_line + event.start_mark.line, event.start_mark.column + 1

    def feed(self, event: yaml.Event) -> None:
        """Take one parse event."""
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            self.fail(event, "YAML anchors/aliases are not allowed", "write the value out in full")
        if getattr(event, "tag", None):
            tag = event.tag.replace("tag:yaml.org,2002:", "!!")
            self.fail(event, f"unsupported YAML tag '{tag}'", "remove the tag; values are plain text, lists or mappings")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            self.open(event)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            self.add(self.stack.pop().value)
        elif isinstance(event, yaml.ScalarEvent):
            self.add(self.scalar(event))

    def open(self, event: yaml.Event) -> None:
        """Start a mapping or sequence, refusing nesting deeper than MAX_DEPTH."""
        if len(self.stack) >= MAX_DEPTH:
            self.fail(event, f"nesting deeper than {MAX_DEPTH} levels", "front matter needs only a few levels")
        line, col = self.where(event)
        data = {} if isinstance(event, yaml.MappingStartEvent) else []
        self.stack.append(_Frame(Value(data, line, col)))

    def scalar(self, event: yaml.ScalarEvent) -> Value:
        """Make a text Value; a bare empty or `~`/`null` becomes None."""
        line, col = self.where(event)
        plain = not event.style  # the C parser says '' for plain, the Python one None
        if plain and self.stack and self.stack[-1].key is not None:
            self.warn_comment(event)
        data = None if plain and event.value in NULLS else event.value
        return Value(data, line, col, plain)

    def warn_comment(self, event: yaml.ScalarEvent) -> None:
        """Warn when ` #` after a plain value silently cut the rest of the line off."""
        end = event.end_mark
        rest = self.source_lines[end.line][end.column:] if end.line < len(self.source_lines) else ""
        if re.match(r"\s+#", rest):
            line, _ = self.where(event)
            self.warnings.append(ContentError(
                self.path, line, f"the text after ' #' is a YAML comment and was left out of '{event.value}'",
                "put the whole value in quotes to keep it", warning=True))

    def add(self, value: Value) -> None:
        """Attach a finished Value to its parent (or make it the root)."""
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        if isinstance(frame.value.data, list):
            frame.value.data.append(value)
        elif frame.key is None:
            self.set_key(frame, value)
        else:
            frame.value.data[frame.key.data] = value
            frame.key = None

    def set_key(self, frame: _Frame, key: Value) -> None:
        """Remember a mapping key, refusing non-text and duplicate keys."""
        if not isinstance(key.data, str):
            raise FrontMatterError(ContentError(
                self.path, key.line, "keys must be plain words", "write 'key: value'", key.col))
        first = frame.key_lines.get(key.data)
        if first is not None:
            raise FrontMatterError(ContentError(
                self.path, key.line, f"duplicate key '{key.data}' (first on line {first})",
                "keep one of the two lines", key.col))
        frame.key_lines[key.data] = key.line
        frame.key = key


class _Frame:
    """A mapping or sequence being built, with the key waiting for its value."""

    def __init__(self, value: Value):
        self.value = value
        self.key: Value | None = None
        self.key_lines: dict[str, int] = {}
