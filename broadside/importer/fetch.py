"""Takes a web address, gives the HTML page found there (or an error saying why there is none)."""
from __future__ import annotations

import email.message
import http.client
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from importlib import metadata

from ..errors import ContentError
from .article import SeedError
from .page import MAX_PAGE_BYTES, is_web_address, meta_charset

TIMEOUT_SECONDS = 20.0  # for the whole fetch, redirects included
MAX_REDIRECTS = 5
HTML_TYPES = ("text/html", "application/xhtml+xml")
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Fetched:
    """A page as the server sent it: the address it was found at after redirects, its bytes and declared charset."""

    address: str
    data: bytes
    charset: str | None = None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hands every redirect back to the caller, which checks the target before following it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def user_agent() -> str:
    """Return the User-Agent header: Broadside and its version, so a site's owner can see who is asking."""
    try:
        version = metadata.version("broadside")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"Broadside/{version} (briefing importer; +https://pypi.org/project/broadside/)"


def fetch_page(address: str, timeout: float = TIMEOUT_SECONDS) -> Fetched:
    """Fetch an http(s) page, following at most MAX_REDIRECTS redirects to http(s) addresses; raise SeedError saying why not."""
    check_address(address, address)
    opener = urllib.request.build_opener(_NoRedirects())
    deadline = time.monotonic() + timeout
    current = address
    for _ in range(MAX_REDIRECTS + 1):
        response = open_page(opener, current, address, deadline)
        if response.status not in (301, 302, 303, 307, 308):
            return read_page(response, current, address, deadline)
        target = urllib.parse.urljoin(current, response.headers.get("Location", ""))
        response.close()
        check_address(target, address, redirected=True)
        current = target
    raise SeedError(ContentError(address, None, f"more than {MAX_REDIRECTS} redirects",
                                 "open the address in a browser and import the address it ends at"))


def check_address(url: str, shown: str, redirected: bool = False) -> None:
    """Refuse anything but an absolute http(s) address (a redirect to file:// or ftp:// included)."""
    if is_web_address(url):
        return
    scheme = urllib.parse.urlsplit(url).scheme or "no scheme"
    what = f"redirects to '{shorten(url)}'" if redirected else f"is not a web address ({scheme})"
    raise SeedError(ContentError(shown, None, f"the address {what}; only http:// and https:// pages are fetched",
                                 "save the page from a browser and import the .html file"))


def shorten(text: str, limit: int = 80) -> str:
    """Return `text` cut to `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def open_page(opener, url: str, shown: str, deadline: float):
    """Send the request; return the response (a redirect included), or raise SeedError naming what failed."""
    request = urllib.request.Request(url, headers={"User-Agent": user_agent(), "Accept": "text/html,application/xhtml+xml"})
    try:
        return opener.open(request, timeout=remaining(deadline, shown))
    except urllib.error.HTTPError as error:
        if error.code in (301, 302, 303, 307, 308):
            return error  # an HTTPError is also the response; the caller follows it
        error.close()
        raise SeedError(ContentError(shown, None, f"the server answered HTTP {error.code} {error.reason}",
                                     "check the address in a browser")) from None
    except urllib.error.URLError as error:
        raise SeedError(fetch_error(error.reason, url, shown)) from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise SeedError(fetch_error(error, url, shown)) from None


def fetch_error(reason: object, url: str, shown: str) -> ContentError:
    """Say in words why a connection failed: the name, the certificate, the time-out or the connection."""
    host = urllib.parse.urlsplit(url).hostname or url
    if isinstance(reason, socket.gaierror):
        return ContentError(shown, None, f"cannot find the server '{host}' (DNS)", "check the address and the connection")
    if isinstance(reason, ssl.SSLCertVerificationError):
        return ContentError(shown, None, f"the secure connection to '{host}' failed (TLS): {reason.verify_message}",
                            "the site's certificate is not trusted; save the page from a browser instead")
    if isinstance(reason, ssl.SSLError):
        return ContentError(shown, None, f"the secure connection to '{host}' failed (TLS): {reason.reason}",
                            "save the page from a browser instead")
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return ContentError(shown, None, f"no answer from '{host}' within {TIMEOUT_SECONDS:.0f} s",
                            "try again later, or save the page from a browser")
    if isinstance(reason, ConnectionRefusedError):
        return ContentError(shown, None, f"'{host}' refused the connection", "check the address")
    text = getattr(reason, "strerror", None) or str(reason)
    return ContentError(shown, None, f"cannot fetch the page from '{host}': {text}", "check the address and the connection")


def remaining(deadline: float, shown: str) -> float:
    """Return the seconds left before the deadline, or fail when there are none."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise SeedError(ContentError(shown, None, f"the page did not arrive within {TIMEOUT_SECONDS:.0f} s",
                                     "try again later, or save the page from a browser"))
    return left


def read_page(response, url: str, shown: str, deadline: float) -> Fetched:
    """Read an answer's body, refusing what is not HTML or is over MAX_PAGE_BYTES before reading it all."""
    with response:
        if response.status != 200:
            raise SeedError(ContentError(shown, None, f"the server answered HTTP {response.status} {response.reason}",
                                         "check the address in a browser"))
        kind, charset = content_type(response.headers)
        if kind not in HTML_TYPES:
            raise SeedError(ContentError(shown, None, f"not an HTML page (the server says it is {kind or 'of no type'})",
                                         "import the address of the article's web page"))
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > MAX_PAGE_BYTES:
            raise SeedError(too_large(int(length), shown))
        return Fetched(url, read_limited(response, shown, deadline), charset)


def content_type(headers) -> tuple[str, str | None]:
    """Return the media type (lower case) and charset parameter of a Content-Type header."""
    message = email.message.Message()
    message["Content-Type"] = headers.get("Content-Type", "")
    kind = message.get_content_type() if headers.get("Content-Type") else ""
    return kind, message.get_param("charset")


def read_limited(response, shown: str, deadline: float) -> bytes:
    """Read the body in chunks, stopping as soon as it passes MAX_PAGE_BYTES or the deadline."""
    chunks, size = [], 0
    try:
        while True:
            remaining(deadline, shown)  # each read waits at most the time-out; the whole body must come within it too
            chunk = response.read(CHUNK)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > MAX_PAGE_BYTES:
                raise SeedError(too_large(size, shown, at_least=True))
            chunks.append(chunk)
    except (OSError, http.client.HTTPException) as error:
        raise SeedError(fetch_error(error, shown, shown)) from None


def too_large(size: int, shown: str, at_least: bool = False) -> ContentError:
    """The error for a page over MAX_PAGE_BYTES (`at_least`: reading stopped there, so its whole size is unknown)."""
    limit = f"{MAX_PAGE_BYTES // 2**20} MB"
    what = f"the page is larger than the {limit} limit" if at_least else f"the page is {size / 2**20:.1f} MB; limit {limit}"
    return ContentError(shown, None, what, "no article is that long: check the address")


def kept_page(fetched: Fetched) -> bytes:
    """Return the bytes kept in seeds/: the page as fetched, after the note of its address a browser writes when saving.

    When only the server named the page's encoding, a <meta charset> saying it follows, so the file reads the same.
    """
    data = fetched.data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data  # UTF-16 or -32: an ASCII note would corrupt it
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    address = fetched.address.encode("ascii", errors="replace")
    note = b"<!-- saved from url=(%04d)%s -->\n" % (len(address), address)
    if fetched.charset and not bom and meta_charset(data) is None:
        note += b'<meta charset="%s">\n' % fetched.charset.encode("ascii", errors="replace")
    return bom + note + data[len(bom):]
