"""Takes a project folder and gives a live preview: the site, drafts and future briefings included, built into
.broadside/preview/, served on localhost and rebuilt and reloaded in the browser on every save.

How it works. livereload's `Server` runs the tornado loop, the /livereload WebSocket and its livereload.js.
We scan content/, themes/ and site.toml ourselves (one stat per file, by os.scandir) as soon as the system
reports a change there (watchdog), then every 25 ms, or five times as long as a scan takes on a big site,
until a scan finds nothing new, and rebuild then, so a burst of saves costs one build. The files a report
names are looked at first: a save to one of them is handed over at once, before the scan of every file.
Between bursts we scan every few seconds in case a report was lost, or, where the system cannot report, as
often as during a burst. (livereload's own watcher polls every 800 ms and drops any reload within 3 s of the
last one.) The first build runs before the server listens, from the project's build cache (the preview's folder has
rows of its own there; the readings are shared with `build`), and saves what it learned there: started again, the
preview reads only the files saved since it last started and renders only what they change, not the whole site.
Every later build runs in a thread of its own and keeps what it learns in memory (`Preview.memory`), so the server
keeps answering and scanning while it runs (a build of a big site takes a second or more). It is told the files
saved, since the scans see every save: it looks at those, not at every file of content/ again, and when bodies
alone changed it reads nothing else (build_site). A request made while a build moves its files in may get a page
from before it and one from after; the reload that follows the build shows the finished site. Saves made meanwhile
wait for the next build, never for a second one at once. A save that touched only .css files under themes/*/static
reloads just the stylesheets; any other save reloads the page.

The edited page first. On a big site the build after a save takes a second or two, while the page being
edited is all the writer is looking at. So when a scan sees a change to the body of one briefing (all
else as it was, so no other page shows the change), that briefing's page alone is rendered and written (a
few tens of milliseconds) and the browser reloads at once. The full build, which brings the search index and
feeds up to date, waits until the saves pause for QUIET_SECONDS (at most DEFER_SECONDS): the writer is still
at work on that page. It reloads the browsers again only if it made something other than what they were
shown. A page shown at once while a full build runs is written again when that build ends (the build may
have moved its own, older copy over it).

A save that breaks the build. The writer leaves the last good build in place, and we remember the errors.
While the latest build failed, every HTML response (a page, a folder's index, the 404 page) is replaced by
an error page listing each error as `path:line: message (hint)`, escaped by Jinja's autoescape, with
status 500; assets still come from the last good build. The error page has a <head>, so livereload's
script is injected into it like into any page, and the next good save reloads the browser back to the site.

Safety (spec/bad-inputs.md row 40). We serve files ourselves, in a few lines, rather than through
tornado's StaticFileHandler, so that every byte sent has passed our own check: the path is decoded once,
and any segment that is empty, hidden (`.`, `..`, `.git`), or holds a backslash, NUL or a leftover `%`
(double encoding) is refused with 403; the file's real path must equal its plain path (no symlink
anywhere) and lie inside the preview folder. Every request must name us in its Host header (a DNS-rebinding
page sends its own domain), the WebSocket and /forcereload must come from a page of ours (Origin, Referer),
and the server binds 127.0.0.1 unless --host says otherwise.
"""
from __future__ import annotations

import contextlib
import functools
import ipaddress
import logging
import mimetypes
import os
import sys
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import livereload
from livereload.handlers import ForceReloadHandler, LiveReloadHandler, LiveReloadJSHandler
from livereload.server import LiveScriptInjector
from livereload.watcher import Watcher
from tornado import ioloop, web
from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from .errors import BuildFailed, ContentError
from .cache import BuildCache
from .packs import preview_pdf
from .pipeline import BuildOptions, build_site, preview_briefing, write_shown
from .progress import Progress, no_progress, terminal_progress

PREVIEW_FOLDER = Path(".broadside") / "preview"
WATCHED = ("content", "themes", "site.toml")
POLL_SECONDS = 0.025
LOOPBACK_NAMES = frozenset({"127.0.0.1", "::1", "localhost"})
WILDCARD_ADDRESSES = frozenset({"0.0.0.0", "::", ""})
LIVE_SCRIPT = b'<script src="/livereload.js"></script>'

ERROR_PAGE = jinja2.Environment(autoescape=True).from_string("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Build failed: Broadside preview</title>
<style>
:root { color-scheme: light; }
body { margin: 0; padding: 2rem; background: #fff; color: #000; font: 1.3rem/1.5 system-ui, sans-serif; }
h1 { margin-top: 0; color: #a00000; font-size: 2.2rem; }
ol { padding-left: 1.5rem; }
li { margin: 0 0 1rem; padding: .8rem 1rem; border-left: .5rem solid #a00000; background: #fff2f2;
     font: 1.25rem/1.5 ui-monospace, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
</style>
</head>
<body>
<main>
<h1>The build failed: {{ errors|length }} error{{ "s" if errors|length != 1 }}</h1>
<ol>
{%- for error in errors %}
<li>{{ error }}</li>
{%- endfor %}
</ol>
<p>Fix the file and save: this page reloads by itself. Until then the preview keeps the last good build.</p>
</main>
</body>
</html>
""")


class Refused(Exception):
    """A request path that reaches outside the preview folder, or for something hidden or linked."""


@dataclass(frozen=True)
class Shown:
    """Pages written at once since the last build: the last one's output path and bytes, when the first and
    the last were written, and the files whose saves they showed."""

    output_path: str
    data: bytes
    first: float
    last: float
    sources: frozenset[str]


@dataclass
class Preview:
    """One running preview: how to build it, and the errors of its latest build (empty when it succeeded)."""

    options: BuildOptions
    errors: tuple[str, ...] = ()
    memory: BuildCache = field(default_factory=BuildCache)  # kept between rebuilds, so a save costs what it touches
    shown: Shown | None = None  # pages written at once since the last build
    pending: set[str] = field(default_factory=set)  # files saved since the last build
    deferred: bool = False  # a build is waiting for the saves to pause
    building: bool = False  # a build runs in its thread

    @property
    def root(self) -> Path:
        """The folder the preview is built into and served from."""
        return self.options.output


@dataclass(frozen=True)
class Access:
    """Who may talk to the preview: the host names it answers to, on its port."""

    port: int
    names: frozenset[str] = field(default=LOOPBACK_NAMES)
    any_ip: bool = False  # bound to every interface: also answer to the machine's IP addresses

    def allows(self, netloc: str) -> bool:
        """Say whether a Host header (or an Origin's host:port) names this server."""
        try:
            parts = urllib.parse.urlsplit("//" + netloc)
            port = parts.port or 80
        except ValueError:
            return False
        name = parts.hostname or ""
        if "@" in netloc or "/" in netloc or port != self.port:
            return False
        # A DNS-rebinding page sends its own domain name; an IP address cannot be rebound.
        return name in self.names or (self.any_ip and is_ip_address(name))

    def is_own_page(self, url: str) -> bool:
        """Say whether an Origin or Referer is a page served by us."""
        parts = urllib.parse.urlsplit(url)
        return parts.scheme == "http" and self.allows(parts.netloc)


def is_ip_address(name: str) -> bool:
    """Say whether a host name is a literal IP address."""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def serve_preview(project: Path, host: str | None = None, port: int = 8000) -> int:
    """Build the preview, serve it on host:port (127.0.0.1 unless told) and rebuild on every save until stopped."""
    bind = host or "127.0.0.1"
    address = f"http://{url_host(bind)}:{port}/"
    preview = Preview(preview_options(project, address))
    server = PreviewServer(preview, access_for(host, port))
    for name in WATCHED:
        server.watch(str(project / name))
    server.serve(port=port, host=bind)  # listens, builds (see PreviewServer.application), then runs until stopped
    return 0


def preview_options(project: Path, address: str) -> BuildOptions:
    """How the preview builds: into .broadside/preview/, drafts and scheduled briefings included, for the server at
    `address`, PDFs made only when asked for."""
    return BuildOptions(project, output=project / PREVIEW_FOLDER, drafts=True, future=True, base_url=address, pdfs=False)


def url_host(host: str) -> str:
    """Write a host as it goes in a URL: IPv6 addresses in brackets."""
    return f"[{host}]" if ":" in host else host


def access_for(host: str | None, port: int) -> Access:
    """The host names to answer to: loopback ones, and the --host given, if any."""
    if host is None:
        return Access(port)
    names = LOOPBACK_NAMES | {host.lower().strip("[]")}
    return Access(port, names, any_ip=host in WILDCARD_ADDRESSES)


def announce(preview: Preview, bind: str) -> None:
    """Tell where the preview is, and warn loudly when other machines can reach it."""
    if bind not in LOOPBACK_NAMES:
        warn_exposed(bind)
    print(f"Previewing {preview.options.project} at {preview.options.base_url} "
          f"(drafts and future briefings included; Ctrl-C stops)", flush=True)


def warn_exposed(bind: str) -> None:
    """Say loudly that other machines can reach the preview, drafts included."""
    line = "!" * 72
    print(f"{line}\nWARNING: the preview listens on {bind}, so OTHER MACHINES on the network can reach it,\n"
          f"drafts and scheduled briefings included. Use the default (127.0.0.1) unless you mean it.\n{line}",
          file=sys.stderr, flush=True)


def rebuild(preview: Preview) -> None:
    """Build the preview folder here and now (the first build, before the server listens), with a progress bar on a
    terminal: on a large site seen for the first time it takes as long as a build."""
    note_errors(preview, build_preview(preview.options, preview.memory, terminal_progress()))


def note_errors(preview: Preview, errors: tuple[str, ...]) -> None:
    """Remember a build's errors for the error page; print them, as `build` would."""
    preview.errors = errors
    for error in preview.errors:
        print(error, file=sys.stderr)
    if preview.errors:
        print(f"{len(preview.errors)} error(s); still serving the last good build", file=sys.stderr, flush=True)


def build_preview(options: BuildOptions, memory: BuildCache | None = None, progress: Progress = no_progress,
                  saved: frozenset[str] | None = None) -> tuple[str, ...]:
    """Build, printing the warnings and the summary line; give the errors, none when the build succeeded. `saved`:
    the files saved since the last build, when the watcher saw every save since (build_site)."""
    try:
        summary = build_site(options, progress, memory=memory, saved=saved)
    except BuildFailed as failure:
        return tuple(str(error) for error in failure.errors)
    except Exception:  # a traceback is our bug, but the preview must survive it to show the next save
        traceback.print_exc()
        return (str(ContentError("broadside", None, traceback.format_exc(limit=-1).strip(),
                                 "this is a bug in Broadside; please report it")),)
    for warning in (*summary.notes, *summary.warnings):  # notes: about the build cache, which the first build uses
        print(warning, file=sys.stderr)
    print(summary.line(), flush=True)
    return ()


def show_edited_page(preview: Preview, changed: set[str]) -> None:
    """On each scan that sees a save: when the saves so far are one briefing's edit, write its page at once and
    reload the browsers."""
    paths = in_project(preview.options.project, changed)
    if len(paths) != 1 or preview.errors:
        preview.shown = None
        return
    try:
        shown = preview_briefing(preview.options, preview.memory, paths[0])
    except (BuildFailed, OSError):
        shown = None  # the full build reports it
    if not shown:
        preview.shown = None
        return
    now = time.monotonic()
    earlier = preview.shown
    preview.shown = Shown(*shown, earlier.first if earlier else now, now, (earlier.sources if earlier else frozenset()) | changed)
    LiveReloadHandler.reload_waiters("*")
    print(f"updated {shown[0]} at once; the rest of the site follows when the saves pause", flush=True)


def in_project(project: Path, paths: set[str]) -> list[str]:
    """The watcher's paths as paths in the project ('content/briefings/x.md')."""
    return [os.path.relpath(path, project).replace(os.sep, "/") for path in paths]


def rebuild_and_reload(preview: Preview, changed: set[str]) -> None:
    """After a burst of saves: rebuild (unless a build is already waiting), then reload the browsers."""
    preview.pending |= changed
    if not preview.deferred and not preview.building:
        build_pending(preview)


def build_pending(preview: Preview) -> None:
    """Start a build, in a thread of its own, for the saves noted. After a page shown at once, wait until saves
    pause for QUIET_SECONDS (at most DEFER_SECONDS): the writer is still at work on that page."""
    shown = preview.shown
    if shown and time.monotonic() - shown.last < QUIET_SECONDS and time.monotonic() - shown.first < DEFER_SECONDS:
        preview.deferred = True
        ioloop.IOLoop.current().call_later(POLL_SECONDS * 4, build_pending, preview)
        return
    changed, preview.pending, preview.shown, preview.deferred = preview.pending, set(), None, False
    was_failing, loop = bool(preview.errors), ioloop.IOLoop.current()
    preview.building = True

    saved = frozenset(in_project(preview.options.project, changed))  # the watcher saw them: content/ need not be listed

    def build() -> None:  # not a daemon: a Ctrl-C lets the build finish moving its files in before the exit
        errors = build_preview(preview.options, preview.memory, saved=saved)
        loop.add_callback(finish_build, preview, errors, changed, shown, was_failing)
    threading.Thread(target=build, name="preview build").start()


def finish_build(preview: Preview, errors: tuple[str, ...], changed: set[str], shown: Shown | None,
                 was_failing: bool) -> None:
    """On the server's loop, once a build ended: note its errors, put back a page shown at once meanwhile, tell
    every connected browser what to reload (if anything changed since the page shown at once), and start the
    build the saves made meanwhile call for."""
    preview.building = False
    note_errors(preview, errors)
    if preview.shown:
        with contextlib.suppress(BuildFailed, OSError):  # the next build writes it anyway
            write_shown(preview.root, preview.memory, preview.shown.output_path, preview.shown.data)
    reload_browsers(preview, changed, shown, was_failing)
    if preview.pending and not preview.deferred:
        build_pending(preview)


def reload_browsers(preview: Preview, changed: set[str], shown: Shown | None, was_failing: bool) -> None:
    """Reload what a build changed in the browsers: nothing when they already show it, the stylesheets alone when
    only they changed, the page otherwise."""
    if shown and changed <= shown.sources and not preview.errors and read_or_none(preview.root / shown.output_path) == shown.data:
        return  # only pages shown at once changed, and the browsers already show what the build made of them
    stylesheets = changed_stylesheets(preview.options.project, changed)
    if stylesheets and not (was_failing or preview.errors):
        for output_path in stylesheets:
            LiveReloadHandler.reload_waiters(output_path)  # livereload.js swaps just this stylesheet
    else:
        LiveReloadHandler.reload_waiters("*")  # matches no stylesheet or image: the page reloads
    print(f"reloading {len(LiveReloadHandler.waiters)} browser(s)", flush=True)


QUIET_SECONDS = 1.5
DEFER_SECONDS = 10.0


def read_or_none(path: Path) -> bytes | None:
    """A file's bytes, or None when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def changed_stylesheets(project: Path, changed: set[str]) -> list[str]:
    """The output paths of the changed files when all are .css under themes/*/static; else nothing."""
    output_paths = []
    for path in sorted(changed):
        parts = Path(os.path.relpath(path, project)).parts
        if len(parts) < 4 or parts[0] != "themes" or parts[2] != "static" or not path.endswith(".css"):
            return []
        output_paths.append("/".join(("static", *parts[3:])))
    return output_paths


class SettlingWatcher(Watcher):
    """Watches the paths given to livereload's `watch` by scanning them (size, time and inode of every file): at
    once when the system reports a change under them (watchdog: inotify, FSEvents or ReadDirectoryChangesW),
    every few seconds in case a report is lost, and often when the system cannot report. Calls `first(paths)`
    with the files saved so far each time a scan sees a save, and `settled(paths)` once a scan finds nothing new."""

    def __init__(self, settled, first=None):
        super().__init__()
        self.settled, self.first = settled, first
        self.changed: set[str] = set()
        self.stamps: dict[str, tuple] = {}
        self.reported = False  # the system reports changes: scanning can wait for its reports
        self.woken = threading.Event()  # a report asked for a scan that has not run yet
        self.paths: set[str] = set()  # the files reported since (watchdog's thread adds them, under `lock`)
        self.lock = threading.Lock()
        self.timer = None
        self.pause = POLL_SECONDS  # between the scans of a burst: five times as long as a scan takes

    def start(self, callback) -> bool:
        """Scan on our own timer and on reports; returning True keeps livereload's slow, throttled poll off."""
        self.stamps = self.scan()  # so that the first poll reports only real changes
        self.reported = self.observe(ioloop.IOLoop.current())
        self.poll()
        return True

    def observe(self, loop: ioloop.IOLoop) -> bool:
        """Ask the system to report changes under the watched paths (a file: its folder); False if it cannot."""
        def report(paths: set[str]) -> None:  # in watchdog's thread: hand a scan to the loop, once until it runs
            with self.lock:
                self.paths |= paths
            if not self.woken.is_set():
                self.woken.set()
                loop.add_callback(self.wake)

        observer = Observer()
        reports = Reports(report)
        try:
            for path in self._tasks:
                if os.path.isdir(path):
                    observer.schedule(reports, path, recursive=True)
                elif os.path.isdir(os.path.dirname(path)):
                    observer.schedule(reports, os.path.dirname(path), recursive=False)
            observer.daemon = True
            observer.start()
        except OSError as error:  # no inotify watches left, say: scanning often still sees every save
            print(f"note: the system cannot report file changes ({error}); checking every file often instead",
                  file=sys.stderr)
            return False
        return True

    def wake(self) -> None:
        """Scan now, for a report; when the files it names show a save, that save is handed over first and the scan
        of every file follows as during a burst (a scan of 20,000 files takes about 0.1 s)."""
        self.woken.clear()
        with self.lock:
            paths, self.paths = self.paths, set()
        if self.timer is not None:
            ioloop.IOLoop.current().remove_timeout(self.timer)
        if self.glance(paths):
            self.timer = ioloop.IOLoop.current().call_later(self.pause, self.poll)
        else:
            self.poll()

    def glance(self, paths: set[str]) -> bool:
        """Note the changes to the files among `paths` that the last scan saw (a save; a file added or removed waits
        for the next scan), and hand them over as a scan would; True when there were any."""
        changed = set()
        for path in paths & self.stamps.keys():
            try:
                info = os.stat(path)
            except OSError:
                continue
            if (stamp := file_stamp(info)) != self.stamps[path]:
                self.stamps[path] = stamp
                changed.add(path)
        self.note(changed)
        return bool(changed)

    def note(self, changed: set[str]) -> None:
        """Add `changed` to the files noted in this burst, and show them at once (self.first) if any."""
        if changed:
            self.changed |= changed
            if self.first:  # at every scan of a burst: an earlier one may have caught the editor halfway through a save
                self.first(set(self.changed))

    def scan(self) -> dict[str, tuple]:
        """Every watched file with its size, modification time and inode."""
        stamps: dict[str, tuple] = {}
        pending = list(self._tasks)
        while pending:
            path = pending.pop()
            try:
                info = os.stat(path)
            except OSError:
                continue
            if not os.path.isdir(path):
                stamps[path] = file_stamp(info)
                continue
            try:
                with os.scandir(path) as entries:
                    for entry in entries:
                        if entry.is_dir() and entry.name not in self.ignored_dirs:
                            pending.append(entry.path)
                        elif not entry.is_dir():
                            with contextlib.suppress(OSError):  # removed meanwhile
                                stamps[entry.path] = file_stamp(entry.stat())
            except OSError:
                continue
        return stamps

    def poll(self) -> None:
        """Note changed files; once a scan finds nothing new, hand over every file noted; then poll again."""
        started = time.perf_counter()
        stamps = self.scan()
        changed = {path for path in stamps.keys() | self.stamps.keys() if stamps.get(path) != self.stamps.get(path)}
        # Between bursts, with reports, scan only now and then. Otherwise (a burst going on, or no reports) scan
        # soon, but wait five times as long as a scan of a big site takes, so watching stays under ~20% of a core.
        self.pause = max(POLL_SECONDS, 5 * (time.perf_counter() - started))
        pause = IDLE_SECONDS if self.reported and not (changed or self.changed) else self.pause
        self.timer = ioloop.IOLoop.current().call_later(pause, self.poll)  # first: no failure below stops watching
        self.stamps = stamps
        if changed:
            self.note(changed)
        elif self.changed:
            changed, self.changed = self.changed, set()
            self.settled(changed)


IDLE_SECONDS = 3.0


def file_stamp(info: os.stat_result) -> tuple:
    """What changes when a watched file is saved: its size, modification time and inode (an editor may replace it)."""
    return (info.st_size, info.st_mtime_ns, info.st_ino)


class Reports(FileSystemEventHandler):
    """Calls `report(paths)` for each change the system reports (not for files merely opened or read), with the
    paths it names (a file moved: both)."""

    def __init__(self, report):
        super().__init__()
        self.report = report

    def on_any_event(self, event) -> None:
        if event.event_type in ("created", "modified", "moved", "deleted"):
            self.report({os.fsdecode(path) for path in (event.src_path, getattr(event, "dest_path", "")) if path})


class HostCheck:
    """Mixed into every handler: answer only requests whose Host header names this server."""

    def prepare(self) -> None:
        """Refuse with 403 before any handler runs."""
        if not self.settings["access"].allows(self.request.host):
            raise web.HTTPError(403)


class PreviewReload(HostCheck, LiveReloadHandler):
    """livereload's WebSocket, open only to pages of ours (livereload lets in any origin)."""

    def check_origin(self, origin: str) -> bool:
        """Refuse the handshake from another site's page."""
        return self.settings["access"].is_own_page(origin)


class PreviewForceReload(HostCheck, ForceReloadHandler):
    """livereload's /forcereload, which another site's page must not be able to trigger."""

    def prepare(self) -> None:
        """Refuse with 403 unless Origin and Referer are absent or ours."""
        super().prepare()
        for header in ("Origin", "Referer"):
            value = self.request.headers.get(header)
            if value is not None and not self.settings["access"].is_own_page(value):
                raise web.HTTPError(403)


class PreviewScript(HostCheck, LiveReloadJSHandler):
    """livereload.js, behind the Host check like everything else."""


class InjectLiveScript(LiveScriptInjector):
    """Adds the livereload script to every HTML response, error page included."""

    script = LIVE_SCRIPT


class PreviewFiles(HostCheck, web.RequestHandler):
    """Serves the preview folder, and nothing else; the error page instead of HTML while the build is broken."""

    def get(self, _route: str) -> None:
        """Answer with the file the path names, its folder's index.html, a redirect to the folder, or a 404."""
        preview: Preview = self.settings["preview"]
        try:  # the raw path, not tornado's decoded `_route`: locate() decodes exactly once, then checks
            target = locate(preview.root, self.request.path)
        except Refused:
            raise web.HTTPError(403) from None
        if target is not None and target.is_dir():
            # Safe: locate() refused empty segments, so this starts with "/x", never "//" (off-site).
            return self.redirect(self.request.path + "/", permanent=False)
        if preview.errors and (target is None or target.suffix == ".html"):
            return self.send(ERROR_PAGE.render(errors=preview.errors).encode(), "page.html", 500)
        if target is None and self.request.path.endswith(".pdf"):
            return self.send_pdf(preview, urllib.parse.unquote(self.request.path).lstrip("/"))
        if target is None:
            return self.send_not_found(preview.root / "404.html")
        self.send(target.read_bytes(), target.name)

    head = get

    def send_pdf(self, preview: Preview, output_path: str) -> None:
        """Make a pack's (or briefing's) PDF on request: the preview's builds show them as HTML only, for speed."""
        site = preview.memory.site
        try:
            data = preview_pdf(site, preview.options.project / "themes" / site.config.theme, output_path) if site else None
        except BuildFailed as failure:
            return self.send(ERROR_PAGE.render(errors=[str(error) for error in failure.errors]).encode(), "page.html", 500)
        if data is None:
            return self.send_not_found(preview.root / "404.html")
        self.send(data, output_path.rpartition("/")[2])

    def send_not_found(self, page: Path) -> None:
        """Answer 404 with the site's own 404 page, as GitHub Pages does."""
        if not page.is_file():
            raise web.HTTPError(404)
        self.send(page.read_bytes(), page.name, 404)

    def send(self, body: bytes, name: str, status: int = 200) -> None:
        """Send bytes typed by the file name; never cached, since the next save changes them."""
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind.endswith(("javascript", "json", "xml")):
            kind += "; charset=utf-8"
        self.set_status(status)
        self.set_header("Content-Type", kind)
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(body)


def locate(root: Path, url_path: str) -> Path | None:
    """Map a request path to a file or folder inside `root`, None if there is none; raise Refused for the rest."""
    segments = urllib.parse.unquote(url_path).split("/")
    if not segments[-1]:
        segments[-1] = "index.html"  # a folder's address serves its index, friendly in the browser
    if segments[0] != "" or not all(is_plain_segment(part) for part in segments[1:]):
        raise Refused(url_path)
    real_root = Path(os.path.realpath(root))
    candidate = real_root.joinpath(*segments[1:])
    if os.path.realpath(candidate) != str(candidate) or not candidate.is_relative_to(real_root):
        raise Refused(url_path)  # a symlink somewhere on the way: it could point anywhere
    return candidate if candidate.is_file() or candidate.is_dir() else None


def is_plain_segment(part: str) -> bool:
    """Say whether one decoded path segment names an ordinary, visible file or folder."""
    return bool(part) and not part.startswith(".") and not any(char in part for char in "\\%\0")


class PreviewServer(livereload.Server):
    """livereload's server with our handlers: contained files, Host and Origin checks, the error page."""

    def __init__(self, preview: Preview, access: Access):
        super().__init__(watcher=SettlingWatcher(functools.partial(rebuild_and_reload, preview),
                                                 functools.partial(show_edited_page, preview)))
        self.preview = preview
        self.access = access

    def application(self, port, host, liveport=None, debug=None, live_css=True) -> None:
        """Listen on host:port with our handlers, then build: a busy port fails before anything is built.

        livereload's own version would serve the working folder, .git included, to any origin.
        """
        LiveReloadHandler.watcher = self.watcher
        LiveReloadHandler.live_css = live_css
        app = web.Application([
            (r"/livereload", PreviewReload),
            (r"/forcereload", PreviewForceReload),
            (r"/livereload\.js", PreviewScript),
            (r"/(.*)", PreviewFiles),
        ], transforms=[InjectLiveScript], preview=self.preview, access=self.access)
        try:
            app.listen(port, address=host)
        except OSError as error:
            raise BuildFailed([ContentError(f"{url_host(host)}:{port}", None, f"cannot listen: {error.strerror}",
                                            "choose another --port, or stop the program using this one")]) from None
        rebuild(self.preview)
        announce(self.preview, host)

    def _setup_logging(self) -> None:
        """Keep only warnings from livereload and no access log: the terminal is for build errors."""
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
        logging.getLogger("tornado.access").setLevel(logging.CRITICAL)
