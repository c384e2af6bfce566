"""Takes a paragraph of plain text, gives Markdown that displays exactly that text (and back)."""
from __future__ import annotations

import re


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
