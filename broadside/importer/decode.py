"""Takes a seed file's bytes, gives its text: size and file-kind checks, byte-order marks, --encoding, located decode errors."""
from __future__ import annotations

import codecs
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import ContentError
from ..reader import MAX_BYTES
from .article import SeedError


@dataclass(frozen=True)
class Decoded:
    """A seed's bytes as text, with any warning about how they were read."""

    text: str
    warnings: tuple[ContentError, ...] = ()


def read_seed(file: Path, shown: str, limit: int = MAX_BYTES) -> bytes:
    """Return a seed's bytes, refusing missing, special and over-large (over `limit`) files before reading them."""
    try:
        info = file.stat()
    except FileNotFoundError:
        raise SeedError(ContentError(shown, None, "file not found", "check the path")) from None
    except OSError as error:
        raise SeedError(ContentError(shown, None, f"cannot read the file: {error.strerror}")) from None
    if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
        raise SeedError(ContentError(shown, None, "not a regular file", "seeds are plain .txt files"))
    check_size(info.st_size, shown, limit)
    try:
        with file.open("rb") as handle:
            data = handle.read(limit + 1)  # the file may have grown since stat()
    except OSError as error:
        raise SeedError(ContentError(shown, None, f"cannot read the file: {error.strerror}")) from None
    check_size(len(data), shown, limit)
    return data


def check_size(size: int, shown: str, limit: int = MAX_BYTES) -> None:
    """Refuse a seed over `limit` bytes: no article is that long, so it is the wrong file."""
    if size > limit:
        raise SeedError(ContentError(
            shown, None, f"file is {size / 2**20:.1f} MB; limit {limit // 2**20} MB",
            "a seed is one article" + (" as plain text" if limit == MAX_BYTES else "'s web page")))


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),  # before UTF-16: FF FE starts both
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LINE_END = re.compile(r"\r\n|\r|\n")


def decode_seed(data: bytes, path: str, encoding: str | None = None) -> Decoded:
    """Return a seed's text: a byte-order mark wins, then UTF-8 (or `encoding`); never guesses silently."""
    for bom, codec in _BOMS:
        if data.startswith(bom):  # decoded without it, so error columns match what an editor shows
            return Decoded(decode_strictly(data[len(bom):], codec, path))
    codec = lookup_codec(encoding or "utf-8", path)
    ascii_based = is_ascii_based(codec)
    if ascii_based and b"\0" in data:
        raise SeedError(binary_error(data, path))
    if codec != "utf-8" and ascii_based and not data.isascii() and is_utf8(data):
        # Bytes that happen to be valid UTF-8 are almost never cp1252 or latin-1 text, and one
        # --encoding applies to a whole run: reading them as `encoding` would give mojibake.
        return Decoded(data.decode("utf-8"), (ContentError(
            path, None, f"read as UTF-8, not {encoding}, because the file is valid UTF-8",
            "check the briefing's accents and quotes", warning=True),))
    return Decoded(decode_strictly(data, codec, path))


def lookup_codec(encoding: str, path: str) -> str:
    """Return the canonical name of a text encoding, or fail naming the unknown one."""
    try:
        b"".decode(encoding)  # also refuses bytes-to-bytes codecs such as base64
        return codecs.lookup(encoding).name
    except LookupError:
        raise SeedError(ContentError(path, None, f"unknown encoding '{encoding}'",
                                     "use a Python codec name such as cp1252, latin-1 or utf-16")) from None


def is_ascii_based(codec: str) -> bool:
    """Tell whether ASCII text reads the same in `codec` (so a NUL byte means binary)."""
    try:
        return b"Ab1 \n".decode(codec) == "Ab1 \n"
    except UnicodeDecodeError:
        return False


def is_utf8(data: bytes) -> bool:
    """Tell whether `data` is valid UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_strictly(data: bytes, codec: str, path: str) -> str:
    """Decode `data` with `codec`, failing at the first bad byte rather than inserting U+FFFD."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        raise SeedError(decode_error(data, codec, error, path)) from None


def decode_error(data: bytes, codec: str, error: UnicodeDecodeError, path: str) -> ContentError:
    """Locate an undecodable byte and say which encoding the file probably uses."""
    line, col = position_after(data[:error.start].decode(codec, errors="replace"))
    byte = f"0x{data[error.start]:02X}" if error.start < len(data) else "at the end"
    if not codec.startswith("utf-8"):
        return ContentError(path, line, f"not valid {codec} (invalid byte {byte})",
                            "check the encoding the file was saved in", col)
    if is_decodable(data, "cp1252"):
        return ContentError(path, line, f"not UTF-8 (invalid byte {byte}; looks like cp1252)",
                            "re-run with --encoding cp1252", col)
    return ContentError(path, line, f"not UTF-8 (invalid byte {byte})",
                        "re-run with --encoding naming the file's encoding, e.g. latin-1", col)


def is_decodable(data: bytes, codec: str) -> bool:
    """Tell whether `data` decodes with `codec` without a single bad byte."""
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def binary_error(data: bytes, path: str) -> ContentError:
    """Explain a file with NUL bytes, spotting UTF-16 saved without a byte-order mark."""
    sample = data[:4096]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > len(sample) // 4 and even == 0:
        hint = "it looks like UTF-16 without a byte-order mark: re-run with --encoding utf-16-le"
    elif even > len(sample) // 4 and odd == 0:
        hint = "it looks like UTF-16 without a byte-order mark: re-run with --encoding utf-16-be"
    else:
        hint = "it contains NUL bytes; save the article as plain text"
    return ContentError(path, 1, "not a text file", hint)


def position_after(before: str) -> tuple[int, int]:
    """Return the 1-based line and column just after `before`; CRLF, CR and LF each end a line."""
    lines = _LINE_END.split(before)
    return len(lines), len(lines[-1]) + 1


# --- parsing (pure) ------------------------------------------------------------------------

# C0 controls except tab and line ends, DEL and C1: invisible, and C1 usually means bad decoding.


def normalise_text(text: str) -> str:
    """Drop a byte-order mark and turn CRLF and lone CR into LF, so every seed reads the same."""
    return _LINE_END.sub("\n", text.removeprefix("\ufeff"))
