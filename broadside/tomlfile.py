"""Takes the text of a TOML file (site.toml, a theme.toml) and gives its values, or a located error, and the line each key is set on."""
from __future__ import annotations

import re
import tomllib

from .errors import BuildFailed, ContentError

HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def parse_toml(text: str, path: str, hint: str = 'quote text values: title = "My site"') -> dict:
    """Parse TOML text, turning a syntax error into a ContentError at its line and column of `path`."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        message = re.sub(r"\s*\(at line.*\)$", "", str(error))
        line, col = (int(found[1]), int(found[2])) if found else (None, None)
        raise BuildFailed([ContentError(path, line, f"invalid TOML: {message}", hint, col)]) from None


def key_line(text: str, key: str, table: str = "") -> int | None:
    """The line where `key` is set in the TOML text: at the top level, or in `table` (its [table] section, or as
    `table.key =` at the top level); None if it cannot be found."""
    lines = text.splitlines()
    section = ""
    for number, line in enumerate(lines, 1):
        header = HEADER.match(line)
        if header:
            section = header[1].replace(" ", "").replace('"', "")
            continue
        if section == table and re.match(rf"^\s*{re.escape(key)}\s*=", line):
            return number
        if not section and table and re.match(rf"^\s*{re.escape(table)}\s*\.\s*{re.escape(key)}\s*=", line):
            return number
    return None


def table_line(text: str, table: str, number: int = 0) -> int | None:
    """The line of the `number`th [table] or [[table]] header (from 0), if there is one."""
    seen = 0
    for line_number, line in enumerate(text.splitlines(), 1):
        header = HEADER.match(line)
        if header and header[1].replace(" ", "").replace('"', "") == table:
            if seen == number:
                return line_number
            seen += 1
    return None


def value_line(text: str, value: str, after: int | None) -> int | None:
    """The first line from `after` on that holds `value` as written (a quoted string), for values inside lists."""
    for number, line in enumerate(text.splitlines(), 1):
        if number >= (after or 1) and value in line:
            return number
    return None
