#!/usr/bin/env python3
"""Broadside's command line: parses arguments and calls one package function per command."""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import sys
from pathlib import Path


def stop(signum, frame):
    """Exit with 128 + the signal's number; `finally` blocks (the writer's clean-up) still run."""
    raise SystemExit(128 + signum)


# Before the package is imported, so that a Ctrl-C or kill during start-up exits quietly too.
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)

from broadside.errors import BuildFailed  # noqa: E402
from broadside.layout import Layouts, layouts_before_reading  # noqa: E402
from broadside.progress import no_progress, terminal_progress  # noqa: E402

PROJECT = Path(__file__).resolve().parent


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """Read the command line; `build` is the default command."""
    parser = argparse.ArgumentParser(prog="build.py", description="Build a Broadside briefing site.")
    commands = parser.add_subparsers(dest="command")
    build = commands.add_parser("build", help="build the site into output/ (the default)")
    check = commands.add_parser("check", help="validate everything a build validates, writing nothing")
    imports = commands.add_parser("import", help="turn seed articles into briefings in content/briefings/")
    serve = commands.add_parser("serve", help="preview the site, drafts included, reloading the browser on every save")
    for sub in (build, check, imports, serve):
        sub.add_argument("--project", type=Path, default=PROJECT, help="the project folder (default: this file's folder)")
    for sub in (build, check):
        sub.add_argument("--strict", action="store_true", help="treat warnings as errors")
        sub.add_argument("--base-url", help="absolute site address; overrides site.toml and $BROADSIDE_BASE_URL")
        sub.add_argument("--drafts", action="store_true", help="include briefings marked draft: true")
        sub.add_argument("--future", action="store_true", help="include briefings dated after today")
        sub.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                         help="worker processes for large sites (default: all cores; 1 for none)")
    build.add_argument("--output", type=Path, help="the folder to build into (default: output/)")
    build.add_argument("-q", "--quiet", action="store_true", help="print only warnings and errors")
    new = commands.add_parser("new", help="start a new briefing or issue file")
    new.add_argument("kind", choices=("briefing", "issue"))
    new.add_argument("title")
    new.add_argument("--issue", action="append", default=[], help="an issue slug the new briefing belongs to (repeatable)")
    new.add_argument("--project", type=Path, default=PROJECT, help="the project folder (default: this file's folder)")
    imports.add_argument("seeds", nargs="*", help="seed files (.txt, or .html pages saved from a browser), "
                         "https:// addresses of pages to fetch, or '-' for one article pasted on standard input "
                         "(default: every seed in seeds/)")
    imports.add_argument("--force", action="store_true", help="overwrite briefings imported before")
    imports.add_argument("--encoding", help="the seeds' text encoding when not UTF-8, e.g. cp1252")
    imports.add_argument("--lang", default="", help="the seeds' language, a tag site.toml declares (e.g. fr); "
                         "without it, each seed's language is guessed from its text")
    imports.add_argument("--refresh-entities", action="store_true",
                         help="re-extract quotes, countries, organisations and people of briefings imported before, "
                              "replacing corrections to them; nothing else in the briefings changes")
    imports.add_argument("--keep-all", action="store_true",
                         help="keep every line in the body, web page leftovers (menus, share lines, ...) included")
    imports.add_argument("--json", action="store_true", help="print the import report as JSON")
    imports.add_argument("--date", type=import_date,
                         help="the date of the articles imported (YYYY-MM-DD, YYYY-MM or YYYY), whatever they say")
    imports.add_argument("--title", default="", help="the title of the articles imported, whatever they say")
    serve.add_argument("--port", type=int, default=8000, help="the port to serve on (default: 8000)")
    serve.add_argument("--host", help="the address to listen on (default: 127.0.0.1, this machine only)")
    if not argv or argv[0] not in (*commands.choices, "-h", "--help"):
        argv = ["build", *argv]
    return parser.parse_args(argv)


def import_date(text: str) -> str:
    """Check a --date value; argparse shows the message when it is not a date."""
    from broadside.importer.dates import BadDate, check_date

    try:
        return check_date(text)
    except BadDate as error:
        raise argparse.ArgumentTypeError(f"{error.args[0]} ({error.args[1]})") from None


def run(arguments: argparse.Namespace, layouts: Layouts | None = None) -> int:
    """Run one command; return the exit code. `layouts` lays out a build's PDFs, if the build may make any."""
    from broadside import pipeline  # after the Layouts process started: it need not wait for this

    if arguments.command == "serve":
        from broadside.server import serve_preview  # only this command needs tornado and livereload

        return serve_preview(arguments.project.resolve(), arguments.host, arguments.port)
    if arguments.command == "import":
        pasted = sys.stdin.buffer.read() if "-" in arguments.seeds else None
        try:
            show_imports(pipeline.import_seeds_into(
                arguments.project.resolve(), arguments.seeds, arguments.force, arguments.encoding,
                arguments.refresh_entities, arguments.keep_all, arguments.date or "", arguments.title, pasted,
                arguments.lang),
                arguments.json)
        except BuildFailed as failure:
            show_imports(getattr(failure, "results", ()), arguments.json)
            show_errors(failure, "the seeds listed above were imported; the others were not")
            return 1
        return 0
    if arguments.command == "new":
        print(pipeline.new_content_in(arguments.project.resolve(), arguments.kind, arguments.title, tuple(arguments.issue)))
        return 0
    options = pipeline.BuildOptions(
        project=arguments.project.resolve(), strict=arguments.strict, drafts=arguments.drafts, future=arguments.future,
        base_url=arguments.base_url or os.environ.get("BROADSIDE_BASE_URL") or None,
        output=getattr(arguments, "output", None), jobs=max(1, getattr(arguments, "jobs", 1)))
    if arguments.command == "check":
        # PDFs are laid out only by a build: check renders the HTML they are made from, which finds template mistakes.
        rendered = pipeline.check_project(dataclasses.replace(options, pdfs=False))
        for warning in rendered.warnings:
            print(warning, file=sys.stderr)
        print(f"Checked {rendered.pages} pages: "
              f"{len(rendered.warnings)} warnings, 0 errors")
        return 0
    summary = pipeline.build_site(options, no_progress if arguments.quiet else terminal_progress(), layouts=layouts)
    for problem in (*summary.notes, *summary.warnings):
        print(problem, file=sys.stderr)
    for held in summary.held_back:
        print(f"held back: {held}", file=sys.stderr)
    if not arguments.quiet:
        print(summary.line())
    return 0


def show_imports(results, as_json: bool = False) -> None:
    """Print the import report (each seed, its new briefing and every guess made), warnings on stderr."""
    from broadside.importer.report import format_report, reports_json

    for result in results:
        for warning in result.warnings:
            print(warning, file=sys.stderr)
    reports = [result.report for result in results if result.report is not None]
    if as_json:
        print(reports_json(reports))
        return
    for result in results:
        print(format_report(result.report) if result.report else f"{result.seed_path} -> {result.source_path}")
        if getattr(result, "how", ""):
            print(f"  language: {result.lang} ({result.how})")


def show_errors(failure, outcome: str) -> None:
    """Print every error, then how many there were and what that means for the files."""
    for error in failure.errors:
        print(error, file=sys.stderr)
    print(f"{len(failure.errors)} error(s); {outcome}", file=sys.stderr)


def main(argv: list[str]) -> int:
    """Entry point: map BuildFailed to exit 1; interruptions exit 130 (SIGINT) or 143 (SIGTERM)."""
    try:
        arguments = parse_arguments(argv)
        # A build that may make PDFs starts loading WeasyPrint, in a process of its own, before anything else.
        early = layouts_before_reading(arguments.project.resolve(), arguments.jobs) if arguments.command == "build" \
            else contextlib.nullcontext()
        with early as layouts:
            return run(arguments, layouts)
    except BuildFailed as failure:
        show_errors(failure, "nothing was changed")
        return 1
    except SystemExit as stopped:
        if stopped.code in (130, 143):
            print("interrupted", file=sys.stderr)
            return stopped.code  # every clean-up has run; the exit below skips interpreter shutdown too
        raise


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # Leave without interpreter shutdown: it resets signal handlers, and a Ctrl-C landing then
    # would end the process by the signal instead of with exit code 130/143.
    os._exit(code)
