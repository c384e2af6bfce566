"""Takes `build.py serve` run as a real process and gives evidence that it reloads, shows errors and stays contained."""
from __future__ import annotations

import asyncio
import functools
import http.client
import queue
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from tornado import ioloop

from broadside import server
from broadside.pipeline import BuildOptions
from tests.helpers import REPO, make_project

CANARY = "canary-5f1c0e9b-never-served"
FIRST = "content/briefings/first.md"
DRAFT = """---
title: Draft briefing in progress
date: 2021-02-01
issues: [alpha]
draft: true
---
Not ready yet.
"""
SCHEDULED = """---
title: Scheduled briefing for later
date: 2999-01-01
issues: [alpha]
---
Embargoed.
"""


@dataclass
class Served:
    """A `build.py serve` process, its port and everything it printed so far."""

    process: subprocess.Popen
    port: int
    project: Path
    lines: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The preview's address."""
        return f"http://127.0.0.1:{self.port}/"

    def output(self) -> str:
        """Everything printed so far, stdout and stderr together."""
        return "".join(self.lines)

    def stop(self) -> None:
        """Stop the server and wait for it."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_serve(project: Path, *extra: str) -> Served:
    """Run `build.py serve` on `project` and wait until it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "serve", "--project", str(project), "--port", str(port), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=project)
    served = Served(process, port, project)
    threading.Thread(target=lambda: served.lines.extend(process.stdout), daemon=True).start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, f"serve exited early:\n{served.output()}"
        try:
            if fetch(port, "/")[0] == 200:
                return served
        except OSError:
            time.sleep(0.05)
    served.stop()
    pytest.fail(f"serve did not answer within 20 s:\n{served.output()}")


def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET `path` exactly as written (like curl --path-as-is); give status, headers and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        for name, value in {"Host": f"127.0.0.1:{port}", **(headers or {})}.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def websocket_status(port: int, origin: str) -> str:
    """Open the /livereload WebSocket handshake from a page at `origin`; give the status line."""
    request = (f"GET /livereload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request.encode())
        return connection.recv(4096).decode("latin-1").split("\r\n")[0]


def listening_addresses(port: int) -> list[str]:
    """The local addresses of sockets listening on `port`, read from /proc/net (IPv6 ones as raw hex)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(socket.inet_ntoa(bytes.fromhex(address)[::-1]) if len(address) == 8 else address)
    return found


@pytest.fixture
def served(tmp_path):
    """A preview of the fixture site with a draft, a scheduled briefing and a canary in .git; stopped afterwards."""
    project = make_project(tmp_path, files={
        "content/briefings/draft.md": DRAFT, "content/briefings/later.md": SCHEDULED,
        ".git/config": f"[core]\n# {CANARY}\n"})
    edit(project / FIRST, "---\n##", f"# {CANARY}\n---\n##")  # a YAML comment: in the source, never in a page
    served = start_serve(project)
    yield served
    served.stop()


@pytest.fixture
def page(chromium, served):
    """A browser tab showing the first briefing, connected to livereload."""
    context = chromium.new_context()
    tab = context.new_page()
    tab.add_init_script("document.addEventListener('LiveReloadConnect', () => { window.liveReloadConnected = true; })")
    tab.goto(served.url + "briefings/first/index.html")
    tab.wait_for_function("window.liveReloadConnected === true", timeout=10_000)
    tab.evaluate("window.untouched = true")  # gone after any navigation
    yield tab
    context.close()


def edit(path: Path, old: str, new: str) -> None:
    """Replace text in a file the way an editor saves it."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_save_reloads_the_page_by_itself(served, page):
    edit(served.project / FIRST, "A paragraph with a", "A freshly saved paragraph with a")

    expect(page.locator("main")).to_contain_text("A freshly saved paragraph", timeout=10_000)
    assert page.evaluate("performance.getEntriesByType('navigation')[0].type") == "reload"
    assert page.evaluate("window.untouched") is None


def test_a_body_save_shows_its_page_at_once_and_the_rest_of_the_site_follows(served, page):
    builds_before = served.output().count("Built ")
    edit(served.project / FIRST, "A paragraph with a", "A paragraph with zanzibarite in a")

    # Ceilings for a busy machine (the page shows in well under a second here; once, under load, not in 10 s)
    expect(page.locator("main")).to_contain_text("zanzibarite", timeout=20_000)
    assert "updated briefings/first/index.html at once" in served.output()
    deadline = time.monotonic() + 25
    while b"zanzibarite" not in fetch(served.port, "/search/terms/za.js")[2] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert b"zanzibarite" in fetch(served.port, "/search/terms/za.js")[2]  # the full build followed
    while served.output().count("Built ") == builds_before and time.monotonic() < deadline:
        time.sleep(0.1)  # its files are served as soon as they are in place, a moment before it reports
    assert served.output().count("Built ") == builds_before + 1
    assert page.evaluate("performance.getEntriesByType('navigation')[0].type") == "reload"


def test_a_save_caught_halfway_is_shown_at_once_when_the_editor_has_written_it(tmp_path, monkeypatch):
    reloads: list[str] = []
    monkeypatch.setattr(server.LiveReloadHandler, "reload_waiters", reloads.append)  # no browsers here
    monkeypatch.setattr(server.ioloop.IOLoop, "current", lambda: SimpleNamespace(call_later=lambda *_: None))  # we poll
    project = make_project(tmp_path)
    preview = server.Preview(BuildOptions(project, output=project / server.PREVIEW_FOLDER, drafts=True, future=True))
    server.rebuild(preview)
    watcher = server.SettlingWatcher(lambda paths: None, functools.partial(server.show_edited_page, preview))
    watcher.watch(str(project / "content"))
    source = project / FIRST
    text = source.read_text(encoding="utf-8").replace("A paragraph with a", "A paragraph with quillwort in a")

    watcher.stamps = watcher.scan()
    source.write_text(text[:20], encoding="utf-8")  # what a scan sees while an editor is still writing
    watcher.poll()
    assert preview.shown is None
    source.write_text(text, encoding="utf-8")
    watcher.poll()  # the same burst: a burst is over only when a scan finds nothing new

    assert preview.shown and b"quillwort" in preview.shown.data and reloads == ["*"]
    assert b"quillwort" in (preview.root / "briefings/first/index.html").read_bytes()


def test_a_save_the_system_reports_is_scanned_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(server, "IDLE_SECONDS", 3600.0)  # without the report, the save would wait an hour
    source = tmp_path / "content" / "a.md"
    source.parent.mkdir()
    source.write_text("one", encoding="utf-8")
    seen: queue.Queue = queue.Queue()
    handed: list[str] = []  # what the watcher handed over, in order, with each scan of every file as "scan"
    watcher = server.SettlingWatcher(lambda paths: handed.append("settled") or seen.put(("settled", paths)),
                                     lambda paths: handed.append("first") or seen.put(("first", paths)))
    watcher.watch(str(tmp_path / "content"))
    started, loops = threading.Event(), []
    scan = watcher.scan
    monkeypatch.setattr(watcher, "scan", lambda: handed.append("scan") or scan())

    def serve() -> None:  # the server's loop, in a thread of its own (the browser tests own this one's)
        asyncio.set_event_loop(asyncio.new_event_loop())
        loops.append(ioloop.IOLoop.current())
        watcher.start(None)
        started.set()
        loops[0].start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10) and watcher.reported
    handed.clear()  # the scans of the start
    try:
        source.write_text("two", encoding="utf-8")
        calls = [seen.get(timeout=10)]
        while calls[-1][0] != "settled":  # a scan may have caught the file truncated, then written: two firsts
            calls.append(seen.get(timeout=10))
        assert calls[0][0] == "first" and all(paths == {str(source)} for _, paths in calls)
        assert handed[0] == "first"  # the file reported was looked at before every file was scanned
    finally:
        loops[0].add_callback(loops[0].stop)
        thread.join(10)


def test_a_title_save_waits_for_the_full_build(served, page):
    edit(served.project / FIRST, 'title: "First briefing: alpha & beta"', 'title: "First briefing, retitled"')

    expect(page.locator("h1")).to_have_text("First briefing, retitled", timeout=10_000)
    assert "at once" not in served.output()  # other pages show the title: only the full build may change it
    assert b"First briefing, retitled" in fetch(served.port, "/archive/2020/index.html")[2]


def test_a_broken_save_shows_the_errors_and_the_next_good_save_recovers(served, page):
    source = served.project / FIRST
    good = source.read_text(encoding="utf-8")
    edit(source, 'title: "First briefing: alpha & beta"', 'title: "First briefing <b>unterminated')

    expect(page.locator("body")).to_contain_text(f"{FIRST}:2:8: invalid YAML", timeout=10_000)
    assert "The build failed" in page.locator("h1").inner_text()
    status, _, body = fetch(served.port, "/briefings/first/index.html")
    assert status == 500 and b"/livereload.js" in body
    assert f"{FIRST}:2:8: invalid YAML" in served.output()  # the terminal shows it too
    assert served.process.poll() is None

    source.write_text(good.replace("date:", '"<b>bold</b>": 1\ndate:'), encoding="utf-8")
    expect(page.locator("body")).to_contain_text(f"{FIRST}:3: unknown key '<b>bold</b>'", timeout=10_000)
    assert page.locator("b").count() == 0  # the error is shown as text, never as markup

    source.write_text(good.replace("A paragraph with a", "A repaired paragraph with a"), encoding="utf-8")
    expect(page.locator("main")).to_contain_text("A repaired paragraph", timeout=10_000)
    assert page.locator("h1").inner_text() == "First briefing: alpha & beta"


def test_a_stylesheet_save_reloads_only_the_styles(served, page):
    stylesheet = served.project / "themes/default/static/style.css"
    stylesheet.write_text(stylesheet.read_text() + "\nbody { outline: 3px solid rgb(1, 2, 3); }\n")

    page.wait_for_function("getComputedStyle(document.body).outlineColor === 'rgb(1, 2, 3)'", timeout=10_000)
    assert page.evaluate("window.untouched") is True  # the page itself was not reloaded


def test_a_burst_of_saves_costs_one_rebuild(served):
    source = served.project / FIRST
    builds_before = served.output().count("Built ")
    for n in range(20):  # 0.2 s of saves, 10 ms apart: four polls see changes, one rebuild follows
        source.write_text(source.read_text(encoding="utf-8") + f"\nSaved {n} times.\n", encoding="utf-8")
        time.sleep(0.01)
    deadline = time.monotonic() + 10
    while served.output().count("Built ") == builds_before and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # room for any further rebuild to show up
    assert 1 <= served.output().count("Built ") - builds_before <= 2
    assert b"Saved 19 times." in fetch(served.port, "/briefings/first/index.html")[2]


def test_drafts_and_scheduled_briefings_are_previewed_marked_and_output_is_untouched(served):
    status, _, draft = fetch(served.port, "/briefings/draft/index.html")
    assert status == 200 and b"Draft briefing in progress" in draft and b">Draft</strong>" in draft
    status, _, later = fetch(served.port, "/briefings/later/")  # a folder's address serves its index
    assert status == 200 and b"Scheduled briefing for later" in later and b">Scheduled</strong>" in later
    flags = 0
    for year in (2021, 2999):
        status, _, archive = fetch(served.port, f"/archive/{year}/index.html")
        assert status == 200
        flags += archive.count(b'class="flag"')
    assert flags == 2
    assert (served.project / ".broadside/preview/index.html").is_file()
    assert not (served.project / "output").exists()


def test_unknown_addresses_get_the_site_404_page(served):
    status, headers, body = fetch(served.port, "/no/such/page.html")
    assert status == 404 and b"Page not found" in body and b"/livereload.js" in body
    status, headers, _ = fetch(served.port, "/briefings")
    assert status in (301, 302) and headers["Location"] == "/briefings/"


def test_nothing_outside_the_preview_folder_is_served(served, tmp_path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "canary.txt").write_text(CANARY)
    preview = served.project / ".broadside/preview"
    (preview / "leak.txt").symlink_to(secret / "canary.txt")
    (preview / "leakdir").symlink_to(secret)
    (preview / "passwd").symlink_to("/etc/passwd")
    attacks = ["/../../etc/passwd", "/..%2f..%2fetc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%252e%252e/",
               "/..\\..\\", "/leak.txt", "/leakdir/canary.txt", "/passwd", "//evil.example/", "/.git/config",
               "/content/briefings/first.md", "/.broadside/preview/index.html", "/index.html%00.txt"]
    for path in attacks:
        status, headers, body = fetch(served.port, path)
        assert status in (403, 404), path
        assert "Location" not in headers, path
        assert CANARY.encode() not in body and b"root:" not in body, path


def test_requests_for_other_hosts_and_from_other_sites_are_refused(served):
    port = served.port
    assert fetch(port, "/", {"Host": "evil.example"})[0] == 403
    assert fetch(port, "/", {"Host": f"evil.example:{port}"})[0] == 403
    assert fetch(port, "/livereload.js", {"Host": f"rebind.evil.example:{port}"})[0] == 403
    assert fetch(port, "/", {"Host": f"localhost:{port}"})[0] == 200
    assert websocket_status(port, "https://evil.example").split()[1] == "403"
    assert websocket_status(port, f"http://127.0.0.1:{port}").split()[1] == "101"
    assert fetch(port, "/forcereload", {"Origin": "https://evil.example"})[0] == 403
    assert fetch(port, "/forcereload", {"Referer": "https://evil.example/page"})[0] == 403
    assert fetch(port, "/forcereload", {"Origin": f"http://127.0.0.1:{port}"})[0] == 200


def test_it_listens_on_loopback_only_by_default(served):
    assert listening_addresses(served.port) == ["127.0.0.1"]


def test_another_host_warns_that_other_machines_can_reach_it(tmp_path):
    served = start_serve(make_project(tmp_path), "--host", "0.0.0.0")
    try:
        assert listening_addresses(served.port) == ["0.0.0.0"]
        assert fetch(served.port, "/", {"Host": f"192.0.2.7:{served.port}"})[0] == 200  # an IP cannot be rebound
        assert fetch(served.port, "/", {"Host": f"evil.example:{served.port}"})[0] == 403
    finally:
        served.stop()
    assert "WARNING" in served.output() and "OTHER MACHINES" in served.output()


def on_loop(loop: ioloop.IOLoop, call) -> tuple[object, float]:
    """Run `call` on the server's loop; give its result and the seconds until it had run."""
    done: queue.Queue = queue.Queue()
    started = time.monotonic()
    loop.add_callback(lambda: done.put(call()))
    return done.get(timeout=30), time.monotonic() - started


def test_a_save_while_the_full_build_runs_is_shown_at_once(tmp_path, monkeypatch):
    """The full build runs off the server's loop: a save made meanwhile is shown at once, not after that build."""
    monkeypatch.setattr(server.LiveReloadHandler, "reload_waiters", lambda path: None)  # no browsers here
    project = make_project(tmp_path)
    preview = server.Preview(BuildOptions(project, output=project / server.PREVIEW_FOLDER, drafts=True, future=True))
    server.rebuild(preview)
    release, real = threading.Event(), server.build_preview
    saved = []  # what each build is told was saved: the watcher saw every save, so content/ need not be listed

    def slow_build(*args, **kwargs):  # a big site's build
        saved.append(kwargs.get("saved"))
        return release.wait(30) and real(*args, **kwargs)
    monkeypatch.setattr(server, "build_preview", slow_build)
    loops, started = [], threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        loops.append(ioloop.IOLoop.current())
        started.set()
        loops[0].start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10)
    source, page = project / FIRST, preview.root / "briefings/first/index.html"
    try:
        edit(source, "A paragraph with a", "A paragraph with moonwort in a")
        on_loop(loops[0], lambda: server.rebuild_and_reload(preview, {str(source)}))  # the saves paused: build
        assert preview.building
        edit(source, "moonwort", "quillwort")
        _, seconds = on_loop(loops[0], lambda: server.show_edited_page(preview, {str(source)}))
        assert preview.building and seconds < 5  # the loop did not wait for the build
        assert b"quillwort" in page.read_bytes() and b"quillwort" in preview.shown.data
        on_loop(loops[0], lambda: server.rebuild_and_reload(preview, {str(source)}))  # noted for the next build
        release.set()
        deadline = time.monotonic() + 30
        while (preview.building or preview.pending or preview.deferred) and time.monotonic() < deadline:
            time.sleep(0.05)
            assert b"quillwort" in page.read_bytes() or preview.building  # never the older build's copy for long
        assert b"quillwort" in (preview.root / "search/terms/qu.js").read_bytes()  # the next build followed
        assert b"quillwort" in page.read_bytes() and preview.errors == ()
        assert saved == [frozenset({FIRST})] * 2
    finally:
        release.set()
        loops[0].add_callback(loops[0].stop)
        thread.join(10)


def test_a_preview_started_over_a_damaged_cache_says_so_and_builds(tmp_path, capsys, monkeypatch):
    """The preview's first build reads the build cache: one that is not a database is set aside, with a note."""
    project = make_project(tmp_path)
    damaged = project / ".broadside" / "cache" / "cache.sqlite"
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"not a database at all\n" * 100)
    preview = server.Preview(server.preview_options(project, "http://127.0.0.1:8000/"))
    steps = []
    monkeypatch.setattr(server, "terminal_progress", lambda: lambda step, done, total: steps.append((step, done, total)))
    server.rebuild(preview)
    printed = capsys.readouterr()
    assert preview.errors == () and preview.memory.started and "Built " in printed.out
    assert steps and steps[-1][1] == steps[-1][2]  # the first build shows its progress (a bar, on a terminal)
    assert ".broadside/cache/cache.sqlite: warning: is damaged" in printed.err
    assert (project / server.PREVIEW_FOLDER / "index.html").is_file()
