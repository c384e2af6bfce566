"""Tests importing by address: pages served from 127.0.0.1 only, fetched, checked, kept in seeds/ and imported."""
from __future__ import annotations

import http.server
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

from broadside.importer.article import SeedError
from broadside.importer.fetch import MAX_REDIRECTS, fetch_page, kept_page, user_agent
from broadside.importer.page import MAX_PAGE_BYTES, page_reading
from tests.helpers import REPO, make_project, manifest, run_cli

PAGES = REPO / "tests" / "fixtures" / "pages"
TELEGRAPH = (PAGES / "telegraph-blood-diamond-trade.html").read_bytes()
SLUG = "war-on-blood-diamond-trade-loses-its-lustre-in-age-of"


class Handler(http.server.BaseHTTPRequestHandler):
    """Answers from the server's `routes`: path -> (status, headers, body); records each request's User-Agent."""

    def do_GET(self):
        self.server.agents.append(self.headers.get("User-Agent"))
        status, headers, body = self.server.routes.get(self.path, (404, {}, b"not here"))
        if callable(body):
            return body(self)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A local HTTP server on 127.0.0.1 with an empty route table; yields (base address, server)."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.routes, httpd.agents = {}, []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", httpd
    httpd.shutdown()
    httpd.server_close()


def html(body: bytes, charset: str | None = "utf-8") -> tuple[int, dict, bytes]:
    """A 200 answer with an HTML body."""
    return 200, {"Content-Type": "text/html" + (f"; charset={charset}" if charset else "")}, body


def redirect(target: str, status: int = 302) -> tuple[int, dict, bytes]:
    """A redirect answer."""
    return status, {"Location": target}, b""


# --- importing an address as a person would ---------------------------------------------------


def test_an_address_is_fetched_imported_and_kept_in_seeds_for_provenance(tmp_path, server):
    base, httpd = server
    httpd.routes["/go"] = redirect("/business/article")
    httpd.routes["/business/article"] = html(TELEGRAPH)
    project = make_project(tmp_path)
    done = run_cli(project, "import", f"{base}/go")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"{base}/go -> content/briefings/{SLUG}.md"  # then its report
    kept = project / "seeds" / f"{SLUG}.html"
    address = f"{base}/business/article".encode()
    assert kept.read_bytes() == b"<!-- saved from url=(%04d)%s -->\n" % (len(address), address) + TELEGRAPH
    briefing = (project / "content" / "briefings" / f"{SLUG}.md").read_text(encoding="utf-8")
    assert f"seed: {SLUG}.html\n" in briefing
    assert "  url: https://www.telegraph.co.uk/business/2018/01/28/war-blood-diamond-trade-loses-lustre-age-" in briefing
    assert httpd.agents[0] == user_agent() and user_agent().startswith("Broadside/0.")
    again = run_cli(project, "import", f"seeds/{SLUG}.html", "--force")  # the kept page imports to the same briefing
    assert again.returncode == 0, again.stderr
    assert (project / "content" / "briefings" / f"{SLUG}.md").read_text(encoding="utf-8") == briefing
    assert run_cli(project, "import", f"seeds/{SLUG}.html", "--refresh-entities").returncode == 0
    assert run_cli(project, "build", "--strict").returncode == 0


def test_a_page_whose_charset_only_the_server_gives_is_kept_so_that_it_reads_the_same(tmp_path, server):
    base, httpd = server
    body = (PAGES / "radiookapi-panorama.html").read_bytes().replace(
        b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" />', b"")
    httpd.routes["/p"] = html(body, "windows-1252")
    fetched = fetch_page(f"{base}/p")
    assert fetched.charset == "windows-1252" and fetched.data == body
    kept = kept_page(fetched)
    assert kept.startswith(b"<!-- saved from url=") and b'<meta charset="windows-1252">\n' in kept[:200]
    from_server = page_reading(fetched.data, "x", "x.html", declared=fetched.charset, address=fetched.address)
    from_file = page_reading(kept, "x", "x.html")
    assert from_file.article == from_server.article
    assert "d’éviter" in from_file.article.paragraphs[0]


# --- what is refused, and that nothing is written then ---------------------------------------------


def refused(project: Path, address: str) -> str:
    """Import an address that must fail; check nothing was written; return the error line."""
    before = manifest(project / "content") | {f"seeds/{k}": v for k, v in manifest(project / "seeds").items()}
    done = run_cli(project, "import", address)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    after = manifest(project / "content") | {f"seeds/{k}": v for k, v in manifest(project / "seeds").items()}
    assert after == before
    return done.stderr.splitlines()[0]


def test_redirects_to_other_schemes_are_refused_and_nothing_is_written(tmp_path, server):
    base, httpd = server
    httpd.routes["/to-file"] = redirect("file:///etc/passwd")
    httpd.routes["/to-ftp"] = redirect("ftp://127.0.0.1/article.html", 301)
    httpd.routes["/to-javascript"] = redirect("javascript:alert(1)", 307)
    project = make_project(tmp_path)
    assert refused(project, f"{base}/to-file") == (
        f"{base}/to-file: the address redirects to 'file:///etc/passwd'; only http:// and https:// pages are fetched "
        "(save the page from a browser and import the .html file)")
    for route, target in (("/to-ftp", "ftp://127.0.0.1/article.html"), ("/to-javascript", "javascript:alert(1)")):
        with pytest.raises(SeedError) as error:
            fetch_page(base + route)
        assert f"redirects to '{target}'" in str(error.value)
    assert refused(project, "file:///etc/passwd") == (
        "file:///etc/passwd: the address is not a web address (file); only http:// and https:// pages are fetched "
        "(save the page from a browser and import the .html file)")


def test_at_most_five_redirects_are_followed(server):
    base, httpd = server
    for number in range(7):
        httpd.routes[f"/r{number}"] = redirect(f"/r{number + 1}")
    httpd.routes["/r5"] = html(TELEGRAPH)
    assert fetch_page(f"{base}/r0").address == f"{base}/r5"  # five redirects
    httpd.routes["/r5"] = redirect("/r6")
    httpd.routes["/r6"] = html(TELEGRAPH)
    with pytest.raises(SeedError) as error:
        fetch_page(f"{base}/r0")
    assert str(error.value) == (f"{base}/r0: more than {MAX_REDIRECTS} redirects "
                                "(open the address in a browser and import the address it ends at)")


@pytest.mark.parametrize("route, message", [
    ((404, {}, b"gone"), "the server answered HTTP 404 Not Found (check the address in a browser)"),
    ((500, {}, b"oops"), "the server answered HTTP 500 Internal Server Error (check the address in a browser)"),
    ((200, {"Content-Type": "application/pdf"}, b"%PDF-1.7"),
     "not an HTML page (the server says it is application/pdf) (import the address of the article's web page)"),
    ((200, {"Content-Type": "text/html", "Content-Length": str(50 * 2**20)}, b""),
     "the page is 50.0 MB; limit 10 MB (no article is that long: check the address)"),
])
def test_a_failed_fetch_says_why(server, route, message):
    base, httpd = server
    httpd.routes["/x"] = route
    with pytest.raises(SeedError) as error:
        fetch_page(f"{base}/x")
    assert str(error.value) == f"{base}/x: {message}"


def test_a_page_that_keeps_coming_past_ten_megabytes_is_cut_off(tmp_path, server):
    base, httpd = server

    def endless(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()  # no Content-Length: the size shows only while reading
        chunk = b"<p>" + b"x" * 65_532 + b"</p>"
        try:
            for _ in range(50 * 16):  # 50 MB
                handler.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    httpd.routes["/huge"] = (200, {}, endless)
    project = make_project(tmp_path)
    started = time.monotonic()
    line = refused(project, f"{base}/huge")
    assert line == f"{base}/huge: the page is larger than the 10 MB limit (no article is that long: check the address)"
    assert time.monotonic() - started < 20
    assert MAX_PAGE_BYTES == 10 * 2**20


def test_no_answer_in_time_is_a_time_out(server):
    base, httpd = server

    def silent(handler):
        time.sleep(1.5)

    httpd.routes["/slow"] = (200, {}, silent)
    with pytest.raises(SeedError) as error:
        fetch_page(f"{base}/slow", timeout=0.5)
    assert str(error.value) == (f"{base}/slow: no answer from '127.0.0.1' within 20 s "
                                "(try again later, or save the page from a browser)")


def test_an_unknown_host_is_a_dns_error(monkeypatch):
    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)  # no test asks a real resolver
    with pytest.raises(SeedError) as error:
        fetch_page("https://news.example.invalid/article")
    assert str(error.value) == ("https://news.example.invalid/article: cannot find the server 'news.example.invalid' "
                                "(DNS) (check the address and the connection)")


def test_a_refused_connection_names_the_host():
    with socket.socket() as probe:  # a port that was free a moment ago has nothing listening on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SeedError) as error:
        fetch_page(f"http://127.0.0.1:{port}/")
    assert str(error.value) == f"http://127.0.0.1:{port}/: '127.0.0.1' refused the connection (check the address)"


def test_an_untrusted_certificate_is_a_tls_error(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.routes, httpd.agents = {"/": html(TELEGRAPH)}, []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(SeedError) as error:
            fetch_page(f"https://127.0.0.1:{httpd.server_address[1]}/")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert "the secure connection to '127.0.0.1' failed (TLS): self-signed certificate" in str(error.value)
