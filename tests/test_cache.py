"""Tests the build cache: a row per file written only when it changes, a fresh clone, locks, damaged databases."""
import contextlib
import pickle
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
from dataclasses import replace

import pytest

from broadside import cache, reader, renderer, search
from broadside.cache import CACHE_FOLDER, DATABASE, open_cache
from broadside.errors import BuildFailed
from broadside.pipeline import BuildOptions, build_site, check_project
from broadside.server import preview_options
from tests.helpers import make_project, manifest, run_cli
from tests.test_incremental import MANY, clean_build, edit
from tests.test_writer import in_namespace


def database(project):
    return project / CACHE_FOLDER / DATABASE


def rows(project) -> dict[str, int]:
    """How many rows each table of the project's cache holds."""
    with sqlite3.connect(database(project)) as connection:
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("readings", "outputs", "memos")}


def integrity(project) -> str:
    with sqlite3.connect(database(project)) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


def counting(monkeypatch, module, name) -> list:
    """Count the calls of module.name (a build with jobs=1 makes them all in this process)."""
    calls, real = [], getattr(module, name)
    monkeypatch.setattr(module, name, lambda *args, **kwargs: calls.append(args) or real(*args, **kwargs))
    return calls


def saved_rows(monkeypatch) -> list[int]:
    """The number of rows each save of the cache changes."""
    changes, real = [], cache.Store.save

    def save(store, built):
        real(store, built)
        changes.append(store.changes)
    monkeypatch.setattr(cache.Store, "save", save)
    return changes


def test_a_one_edit_build_writes_only_the_rows_that_changed(tmp_path, monkeypatch):
    project = make_project(tmp_path, files=MANY)
    changes = saved_rows(monkeypatch)
    build_site(BuildOptions(project=project, jobs=1))
    held = rows(project)
    assert held["readings"] == 85 and held["outputs"] > 150 and changes[-1] > sum(held.values())
    edit(project, "content/briefings/gen-040.md", "Text 40", "Text forty")
    planned = counting(monkeypatch, renderer, "plan_pages")
    encoded = counting(monkeypatch, search, "encode_numbers")
    checked = counting(monkeypatch, reader, "still_valid")
    build_site(BuildOptions(project=project, jobs=1))
    # The file's reading, its page, the feeds and search index that carry it, their folders, the search entry,
    # the card digest and the last build's record.
    assert 3 <= changes[-1] <= 20, changes
    assert planned == []  # a body edit: the pages are those the last build planned
    # Every other reading holds as it is: nothing it names changed (reader.checked_against).
    assert [entry.source_path for _, entry, *_ in checked] == ["content/briefings/gen-040.md"]
    assert 0 < len(encoded) <= 4  # the postings of the terms the edit changed, the others as saved
    assert rows(project) == held
    assert manifest(project / "output") == clean_build(project, tmp_path)


def test_a_first_build_stopped_by_a_template_mistake_keeps_its_readings(tmp_path, monkeypatch):
    """A first build saves the readings while the pages render, in a transaction of their own: one stopped by a
    mistake in a template keeps them, and the build after the fix reads no file again."""
    project = make_project(tmp_path, files=MANY)
    template = project / "themes/default/templates/briefing.html"
    good = template.read_text()
    template.write_text(good.replace("{% block content %}", "{% block content %}{{ nope.x }}", 1))
    with pytest.raises(BuildFailed):
        build_site(BuildOptions(project=project, jobs=1))
    assert rows(project) == {"readings": 85, "outputs": 0, "memos": 0}
    template.write_text(good)
    read = counting(monkeypatch, reader, "read_entry")
    build_site(BuildOptions(project=project, jobs=1))
    assert read == [] and manifest(project / "output") == clean_build(project, tmp_path)


def test_readings_that_could_not_be_saved_apart_are_saved_with_the_build(tmp_path, monkeypatch):
    """When the readings' own transaction cannot start (another build writes), the build's save writes them."""
    project = make_project(tmp_path, files=MANY)
    real, tried = cache.transaction, []

    def locked_unless_waiting(connection, path, wait=True):
        if not wait:
            tried.append(path)
            raise sqlite3.OperationalError("database is locked")
        return real(connection, path, wait)
    monkeypatch.setattr(cache, "transaction", locked_unless_waiting)
    changes = saved_rows(monkeypatch)
    build_site(BuildOptions(project=project, jobs=1))
    assert tried and rows(project)["readings"] == 85 and changes[-1] > sum(rows(project).values())
    read = counting(monkeypatch, reader, "read_entry")
    build_site(BuildOptions(project=project, jobs=1))
    assert read == []


FRENCH = {f"content/briefings/dossier-{n:02}.fr.md": f"---\ntitle: Dossier {n}\ndate: 2020-{1 + n % 12:02}-{1 + n:02}\n"
          f"issues: [alpha]\nsummary: Résumé {n}.\n---\nTexte {n} sur les diamants du Marange.\n" for n in range(24)}


def test_a_one_edit_build_keeps_every_language_s_search_entries_and_related_briefings(tmp_path, monkeypatch):
    """The cache keeps each language's search index and related briefings, not the first language's alone: an edit
    to a French briefing indexes that briefing again and relates none (the list of briefings is the same)."""
    project = make_project(tmp_path, "languages", files=FRENCH)
    build_site(BuildOptions(project=project, jobs=1))
    edit(project, "content/briefings/dossier-07.fr.md", "Texte 7", "Texte sept")
    indexed = counting(monkeypatch, search, "index_briefing")
    related = counting(monkeypatch, renderer, "related_briefings")
    build_site(BuildOptions(project=project, jobs=1))
    assert [briefing.slug for briefing, *_ in indexed] == ["dossier-07"]
    assert related == []
    assert "Texte sept" in (project / "output/fr/search/briefings/0.js").read_text(encoding="utf-8")
    assert manifest(project / "output") == clean_build(project, tmp_path)
    assert {"fr/"} < languages_kept(project)
    for path in (project / "content").rglob("*.md"):  # French is given up: the cache lets its index and related go
        if path.name.endswith(".fr.md") or "\nlang: fr\n" in path.read_text(encoding="utf-8"):
            path.unlink()
    settings = project / "site.toml"
    settings.write_text(settings.read_text().split("[languages.fr]")[0] + "[languages.pt" +
                        settings.read_text().split("[languages.pt")[1])
    build_site(BuildOptions(project=project, jobs=1))
    assert not (project / "output/fr").exists() and "fr/" not in languages_kept(project)


def languages_kept(project) -> set[str]:
    """The roots of the languages whose search index or related briefings the cache keeps ('' for the first)."""
    with sqlite3.connect(database(project)) as connection:
        keys = [pickle.loads(key) for key, in connection.execute("SELECT key FROM memos WHERE name = 'related'")]
        folders = {pickle.loads(key)[0] for key, in connection.execute("SELECT key FROM memos WHERE name = 'search'")}
    return {key[0] if isinstance(key, tuple) else "" for key in keys} | {folder.rpartition("search")[0] for folder in folders}


def test_the_basis_rows_an_edit_makes_again_are_those_all_rows_made_anew_would_give():
    cards = {f"briefing-{n}": f"card {n}" for n in range(300)}
    before = ("head", cards, {key: f"digest of {card}" for key, card in cards.items()}, ("plan", ()))
    rows = cache.basis_rows(before)
    cards = {**cards, "briefing-7": "card 7 edited", "briefing-300": "card 300"}
    del cards["briefing-9"]
    after = ("head", cards, {key: f"digest of {card}" for key, card in cards.items()} | {"briefing-5": "new body"},
             ("plan", ()))
    kept = cache.basis_rows(after, before, rows)
    anew = cache.basis_rows(after)
    assert {key: set(row) for key, row in kept.items()} == {key: set(row) for key, row in anew.items()}
    assert cache.basis_from_rows(kept)[1:3] == after[1:3]
    remade = [key for key, row in kept.items() if key[0] == "briefings" and row is not rows.get(key)]
    assert 1 <= len(remade) <= 4  # the rows of the four briefings edited, added or removed


def test_a_byte_changed_in_a_row_kept_uncompressed_is_found():
    row = cache.sealed(b"the fields of a few readings")
    assert bytes(cache.unsealed(row)) == b"the fields of a few readings"
    with pytest.raises(sqlite3.DatabaseError):
        cache.unsealed(row[:10] + b"F" + row[11:])


def git(*arguments, cwd):
    subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", *arguments],
                   cwd=cwd, check=True, capture_output=True)


def test_a_fresh_clone_with_the_cache_restored_reads_and_renders_nothing(tmp_path, monkeypatch):
    """As the Pages workflow does: a new checkout (every file's time is new), the cache and output restored."""
    project = make_project(tmp_path, files=MANY)
    (project / ".gitignore").write_text("output/\n.broadside/\n")
    git("init", "-q", cwd=project)
    git("add", ".", cwd=project)
    git("commit", "-q", "-m", "site", cwd=project)
    build_site(BuildOptions(project=project, jobs=1))
    clone = tmp_path / "clone"
    git("clone", "-q", str(project), str(clone), cwd=tmp_path)
    shutil.copytree(project / CACHE_FOLDER, clone / CACHE_FOLDER)
    shutil.copytree(project / "output", clone / "output")
    read, rendered = counting(monkeypatch, reader, "read_entry"), counting(monkeypatch, renderer, "render_page")
    summary = build_site(BuildOptions(project=clone, jobs=1))
    assert (read, rendered, summary.written, summary.notes) == ([], [], 0, ())
    assert manifest(clone / "output") == manifest(project / "output")
    edit(clone, "content/briefings/gen-040.md", "Text 40", "Text forty")
    build_site(BuildOptions(project=clone, jobs=1))
    assert len(read) == 1 and {page.output_path for _, _, page, _ in rendered} == {"briefings/gen-040/index.html"}


def test_two_builds_at_once_share_the_cache_without_harm(tmp_path):
    """Two outputs of one project (in folders of their own: one output's builds lock each other out)."""
    project = make_project(tmp_path, files=MANY)
    one, two = tmp_path / "one" / "site", tmp_path / "two" / "site"
    first = subprocess.Popen([sys.executable, "build.py", "build", "--project", str(project), "--output", str(one)],
                             cwd=cache.PACKAGE.parent, stderr=subprocess.PIPE, text=True)
    second = run_cli(project, "--output", str(two))
    assert first.wait(timeout=120) == 0 and second.returncode == 0, first.stderr.read() + second.stderr
    assert integrity(project) == "ok"
    assert manifest(one) == manifest(two) == clean_build(project, tmp_path)
    again = run_cli(project, "--output", str(one))
    assert " 0 files written" in again.stdout and again.stderr == ""


def targets(project) -> dict[str, int]:
    """The output folders the project's cache keeps rows for, with how many rows each has."""
    with sqlite3.connect(database(project)) as connection:
        counts: dict[str, int] = {}
        for table in ("outputs", "memos", "builds"):
            for target, count in connection.execute(f"SELECT target, count(*) FROM {table} WHERE target != '' "
                                                    "GROUP BY target"):  # '': the rows they share
                counts[target] = counts.get(target, 0) + count
        return counts


def free_pages(project) -> int:
    """How many pages of the project's database are free (kept in the file for later rows)."""
    with contextlib.closing(sqlite3.connect(database(project))) as connection:
        return connection.execute("PRAGMA freelist_count").fetchone()[0]


def test_the_rows_of_an_output_folder_deleted_since_are_forgotten_and_the_file_shrinks(tmp_path):
    """A review copy built with --output, then deleted: the next build, though it changes nothing, forgets its rows
    and gives their room back (a build that saves does too: see the shared search entries' test)."""
    project = make_project(tmp_path, files=MANY)
    assert run_cli(project).returncode == 0
    alone = database(project).stat().st_size
    review = tmp_path / "review" / "site"
    assert run_cli(project, "--output", str(review)).returncode == 0
    assert targets(project).keys() == {"output", review.as_posix()}
    assert database(project).stat().st_size > alone * 1.3
    shutil.rmtree(tmp_path / "review")
    result = run_cli(project)
    assert result.returncode == 0 and result.stderr == "" and " 0 files written" in result.stdout
    assert targets(project).keys() == {"output"} and integrity(project) == "ok"
    # The room goes back: no page left free, and the file near its size alone (deleting leaves some pages of the
    # rows kept half full, 3-6 of 45-50 in twelve runs: the rows go in in another order each run).
    assert free_pages(project) == 0 and database(project).stat().st_size <= alone * 1.2
    assert run_cli(project, "--output", str(review)).returncode == 0  # built again from nothing: as a fresh build
    assert manifest(review) == manifest(project / "output") == clean_build(project, tmp_path)


def test_a_cache_emptied_for_a_new_version_shrinks(tmp_path):
    """A database another version filled is emptied, and the file made small again, before the build fills it."""
    project = make_project(tmp_path, files=MANY)
    assert run_cli(project).returncode == 0
    fresh = database(project).stat().st_size
    with contextlib.closing(sqlite3.connect(database(project))) as connection:  # as an older version leaves it
        connection.execute("PRAGMA auto_vacuum = NONE")  # as the versions before auto_vacuum made it
        connection.execute("VACUUM")
        with connection:
            connection.execute("UPDATE about SET value = 'an older version' WHERE key = 'code'")
            connection.execute("CREATE TABLE kept_by_an_older_version (data BLOB)")
            connection.executemany("INSERT INTO kept_by_an_older_version VALUES (?)", [(bytes(16000),)] * 400)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert database(project).stat().st_size > fresh + 6_000_000
    with contextlib.closing(sqlite3.connect(database(project))) as connection:
        assert connection.execute("PRAGMA auto_vacuum").fetchone() == (0,)
    result = run_cli(project)
    assert result.returncode == 0 and result.stderr == "" and " 0 files written" in result.stdout
    # Near the size of a fresh build (which varies by a few pages from run to run: the rows go in in another order)
    assert database(project).stat().st_size <= fresh * 1.2 and integrity(project) == "ok"
    assert rows(project)["readings"] == 85


def hold_write_lock(project):
    """Another connection in the middle of writing the cache."""
    holder = sqlite3.connect(database(project), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_build_waits_for_another_writing_the_cache_and_says_so(tmp_path, capsys, monkeypatch):
    project = make_project(tmp_path)
    build_site(BuildOptions(project=project))
    edit(project, "content/briefings/first.md", "The first thing", "The very first thing")
    holder = hold_write_lock(project)
    noted = cache.cache_note

    def note_and_finish(*note):
        # The other build finishes a moment after this one says it waits, however long this one took to get there.
        threading.Timer(0.5, holder.rollback).start()
        return noted(*note)
    monkeypatch.setattr(cache, "cache_note", note_and_finish)
    summary = build_site(BuildOptions(project=project))
    holder.close()
    assert "another build is writing it; waiting for it to finish" in capsys.readouterr().err
    assert summary.notes == () and build_site(BuildOptions(project=project)).written == 0


def test_a_build_that_waits_too_long_goes_on_without_saving(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    build_site(BuildOptions(project=project))
    edit(project, "content/briefings/first.md", "The first thing", "The very first thing")
    monkeypatch.setattr(cache, "LOCK_SECONDS", 0.2)
    holder = hold_write_lock(project)
    try:
        summary = build_site(BuildOptions(project=project))
    finally:
        holder.close()
    assert [str(note) for note in summary.notes] == [
        f"{CACHE_FOLDER}/{DATABASE}: warning: was still locked by another build: what this build learned is not "
        "remembered (the next build reads or renders again what this one did)"]
    assert manifest(project / "output") == clean_build(project, tmp_path)
    assert build_site(BuildOptions(project=project)).written == 0  # the output was right: nothing to write


LOCKER = textwrap.dedent("""
    import sqlite3, sys, time
    connection = sqlite3.connect(sys.argv[1], isolation_level=None)
    connection.execute("PRAGMA locking_mode = EXCLUSIVE")
    connection.execute("BEGIN EXCLUSIVE")
    connection.execute("CREATE TABLE IF NOT EXISTS mine (x)")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
""")


def test_a_database_another_program_locks_is_left_alone(tmp_path, monkeypatch):
    """Bad input row 48: a program holds the cache even against readers; the build goes on without it."""
    project = make_project(tmp_path)
    assert run_cli(project).returncode == 0
    edit(project, "content/briefings/first.md", "The first thing", "The very first thing")
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(database(project)), "30"], stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout.readline() == "locked\n"
        result = run_cli(project)
    finally:
        locker.kill()
        locker.wait()
    assert result.returncode == 0, result.stderr
    assert result.stderr == (f"{CACHE_FOLDER}/{DATABASE}: warning: is locked by another program; this build goes on "
                             "without it (close the program holding it, or delete .broadside/cache/)\n")
    assert manifest(project / "output") == clean_build(project, tmp_path)
    assert database(project).exists() and run_cli(project).returncode == 0  # left alone, and usable again


def damage(how):
    def damaged(project):
        path = database(project)
        if how == "truncated":
            path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
        elif how == "not a database":
            path.write_bytes(b"These are my notes, not a cache.\n" * 300)
        elif how == "newer":
            with sqlite3.connect(path) as connection:
                connection.execute("UPDATE about SET value = '99' WHERE key = 'schema'")
        elif how == "foreign":
            path.unlink()
            with sqlite3.connect(path) as connection:
                connection.execute("CREATE TABLE notes (text)")
        elif how == "scrambled row":  # a sound SQLite file whose readings' bytes changed
            with sqlite3.connect(path) as connection:
                connection.execute("UPDATE fields SET readings = ?", (b"not what was written",))
        elif how == "scrambled body":  # rows unpacked only when a page or feed needs them: found late, in the render
            with sqlite3.connect(path) as connection:
                connection.execute("UPDATE readings SET body = ?", (b"not what was written",))
        elif how == "scrambled search entry":
            with sqlite3.connect(path) as connection:
                for key, value in connection.execute("SELECT key, value FROM memos WHERE name = 'search'").fetchall():
                    if pickle.loads(key)[1:2] == ("entries",):  # each entry stays packed in its row
                        entries = {entry: b"not what was written" for entry in pickle.loads(value)}
                        connection.execute("UPDATE memos SET value = ? WHERE key = ?", (pickle.dumps(entries), key))
    return damaged


@pytest.mark.parametrize("how, message", [
    ("truncated", "is damaged (database disk image is malformed)"),
    ("not a database", "is damaged (file is not a database)"),
    ("newer", f"was made by a newer Broadside (cache format 99; this one reads {cache.SCHEMA_VERSION})"),
    ("foreign", "is not Broadside's build cache"),
    ("scrambled row", "is damaged (a row of it cannot be read)"),
    ("scrambled body", "is damaged (a row of it cannot be read)"),
    ("scrambled search entry", "is damaged (a row of it cannot be read)"),
], ids=["truncated", "not-a-database", "newer", "foreign", "scrambled-row", "scrambled-body", "scrambled-search-entry"])
def test_a_damaged_foreign_or_newer_database_is_started_again_with_a_note(tmp_path, how, message):
    """Bad input rows 47, 49 and 50: the build says so, reads everything again and leaves a good cache."""
    project = make_project(tmp_path, files=MANY)
    assert run_cli(project).returncode == 0
    edit(project, "content/briefings/gen-040.md", "Text 40", "Text forty")
    damage(how)(project)
    result = run_cli(project)
    assert result.returncode == 0, result.stderr
    assert result.stderr == (f"{CACHE_FOLDER}/{DATABASE}: warning: {message}; it was deleted and a new cache started "
                             "(nothing to do: this build reads every file again)\n")
    assert manifest(project / "output") == clean_build(project, tmp_path)
    assert integrity(project) == "ok" and rows(project)["readings"] == 85
    again = run_cli(project)
    assert again.stderr == "" and " 0 files written" in again.stdout


def test_a_damaged_row_of_another_output_folder_found_while_saving_is_noted_and_the_cache_started_again(tmp_path):
    """A damaged cache whose damage shows only in a row the save reads (the search keys another output folder
    lists, read to share entries): a note, the site built, the cache started again."""
    project = make_project(tmp_path, files=MANY)
    review = tmp_path / "review"
    assert run_cli(project).returncode == 0 and run_cli(project, "--output", str(review)).returncode == 0
    with contextlib.closing(sqlite3.connect(database(project))) as connection, connection:
        connection.execute("UPDATE memos SET value = ? WHERE target = ? AND name = 'search'",
                           (b"not what was written", review.as_posix()))
    edit(project, "content/briefings/gen-040.md", "Text 40", "Text forty")
    result = run_cli(project)
    assert result.returncode == 0, result.stderr
    assert result.stderr == (f"{CACHE_FOLDER}/{DATABASE}: warning: is damaged (a row of it cannot be read); it will be "
                             "started again (nothing to do: the next build reads every file again)\n")
    assert manifest(project / "output") == clean_build(project, tmp_path)
    again = run_cli(project)
    assert again.returncode == 0 and again.stderr == "" and integrity(project) == "ok"
    assert manifest(project / "output") == clean_build(project, tmp_path)


def test_a_disk_that_fills_while_the_cache_is_saved_leaves_the_site_built_and_the_cache_whole(tmp_path):
    """Bad input row 50: the cache's folder is on a tiny file system (room for the empty database of 16 KB pages, not
    for what the build learned): the save fails, the build does not."""
    project = make_project(tmp_path, files=MANY)
    folder = project / CACHE_FOLDER
    folder.mkdir(parents=True)
    script = f"""
        set -e
        mount -t tmpfs -o size=384k tmpfs {folder}
        set +e
        {sys.executable} {cache.PACKAGE.parent}/build.py --project {project} > out.txt 2> err.txt; echo $? > rc.txt
        {sys.executable} -c 'import sqlite3, json; print(json.dumps(sqlite3.connect("{folder}/{DATABASE}").execute("PRAGMA integrity_check").fetchone()))'
    """
    assert in_namespace(script, tmp_path) == ["ok"]
    assert (tmp_path / "rc.txt").read_text().strip() == "0"
    assert (tmp_path / "err.txt").read_text() == (
        f"{CACHE_FOLDER}/{DATABASE}: warning: could not be written (database or disk is full): what this build "
        "learned is not remembered (the next build reads or renders again what this one did)\n")
    assert manifest(project / "output") == clean_build(project, tmp_path)


def test_a_preview_starts_from_the_database_then_keeps_its_cache_in_memory(tmp_path, monkeypatch):
    """A preview started again reads no file and renders no page that it built before; its saves touch no row."""
    project = make_project(tmp_path, files=MANY)
    preview = replace(preview_options(project, "http://127.0.0.1:8000/"), jobs=1)
    memory = cache.BuildCache()
    build_site(preview, memory=memory)
    assert memory.readings and memory.site is not None and rows(project)["outputs"] > 150
    built = manifest(preview.output)
    read, rendered = counting(monkeypatch, reader, "read_entry"), counting(monkeypatch, renderer, "render_page")
    again = cache.BuildCache()  # the preview stopped and started again
    summary = build_site(preview, memory=again)
    assert (read, rendered, summary.written) == ([], [], 0) and manifest(preview.output) == built
    assert again.site == memory.site and again.started
    changes = saved_rows(monkeypatch)
    edit(project, "content/briefings/gen-040.md", "Text 40", "Text forty")
    build_site(preview, memory=again)
    assert len(read) == 1 and {page.output_path for _, _, page, _ in rendered} == {"briefings/gen-040/index.html"}
    assert changes == []  # a running preview's builds keep what they learn in its memory
    with open_cache(project, preview.output, again) as kept:
        assert kept.memory is again and kept.store is None and kept.unchanged(lambda: "") is None
    edit(project, "content/briefings/gen-041.md", "Text 41", "Text forty-one")
    build_site(preview, memory=cache.BuildCache())  # started again: the files saved since its first build are read
    assert [entry.source_path for _, entry in read[1:]] == ["content/briefings/gen-040.md", "content/briefings/gen-041.md"]
    assert manifest(preview.output) == manifest(clean_preview(project, tmp_path, preview))


def entry_keys(project, shared: bool) -> set[str]:
    """The search entries' keys that the shared rows hold (`shared`), or that the output folders' rows list."""
    with contextlib.closing(sqlite3.connect(database(project))) as connection:
        return {key for row_key, value in connection.execute(
                    "SELECT key, value FROM memos WHERE name = 'search' AND target " + ("= ''" if shared else "!= ''"))
                if pickle.loads(row_key)[1] == search.ENTRIES for key in pickle.loads(value)}


def test_the_site_and_the_preview_share_their_search_entries(tmp_path, monkeypatch):
    """A preview started after a build indexes only the briefings the site leaves out (a draft); the cache keeps each
    entry once for both; a folder deleted takes the entries only it listed with it."""
    draft = "---\ntitle: A draft\ndate: 2019-05-05\nissues: [alpha]\nsummary: Not yet.\ndraft: true\n---\nUnfinished.\n"
    project = make_project(tmp_path, files={**MANY, "content/briefings/a-draft.md": draft})
    build_site(BuildOptions(project=project, jobs=1))
    alone = entry_keys(project, shared=True)
    assert alone == entry_keys(project, shared=False) and len(alone) >= 80
    indexed = counting(monkeypatch, search, "index_briefing")
    preview = replace(preview_options(project, "http://127.0.0.1:8000/"), jobs=1)
    build_site(preview, memory=cache.BuildCache())
    assert [briefing.slug for briefing, *_ in indexed] == ["a-draft"]
    assert manifest(preview.output) == manifest(clean_preview(project, tmp_path, preview))
    both = entry_keys(project, shared=True)
    assert both > alone and len(both) == len(alone) + 1 and both == entry_keys(project, shared=False)
    shutil.rmtree(preview.output)
    edit(project, "content/briefings/gen-040.md", "Text 40", "Text forty")
    build_site(BuildOptions(project=project, jobs=1))
    left = entry_keys(project, shared=True)
    assert left == entry_keys(project, shared=False) and len(left) == len(alone)
    assert "a-draft" not in {key[0] for key in left} and integrity(project) == "ok"
    assert manifest(project / "output") == clean_build(project, tmp_path)


def clean_preview(project, tmp_path, preview: BuildOptions):
    """The preview's folder as a preview started with no cache and no folder builds it."""
    fresh = tmp_path / "fresh"
    shutil.copytree(project, fresh, ignore=shutil.ignore_patterns(".broadside"))
    options = replace(preview_options(fresh, preview.base_url), jobs=1)
    build_site(options, memory=cache.BuildCache())
    return options.output


def test_check_after_a_build_reads_and_renders_only_what_changed_and_writes_nothing(tmp_path, monkeypatch):
    project = make_project(tmp_path, files=MANY)
    build_site(BuildOptions(project=project, jobs=1))
    stored, built = database(project).read_bytes(), manifest(project / "output")
    read, rendered = counting(monkeypatch, reader, "read_entry"), counting(monkeypatch, renderer, "render_page")
    checking = BuildOptions(project=project, jobs=1, pdfs=False)
    checked = check_project(checking)
    assert (read, rendered) == ([], []) and sum(path.endswith(".html") for path in checked.files) > 150
    edit(project, "content/briefings/gen-040.md", "Text 40", "Text forty")
    checked = check_project(checking)
    assert len(read) == 1 and {page.output_path for _, _, page, _ in rendered} == {"briefings/gen-040/index.html"}
    assert checked.files["briefings/gen-040/index.html"] == "checked"  # dropped once rendered: not held in memory
    # A mistake in a template is found though no content changed: the pages made from it are rendered again.
    template = project / "themes/default/templates/briefing.html"
    template.write_text(template.read_text().replace("{% block content %}", "{% block content %}{{ nope.x }}", 1))
    with pytest.raises(BuildFailed) as failure:
        check_project(checking)
    assert str(failure.value.errors[0]).startswith("themes/default/templates/briefing.html:")
    assert "'nope' is undefined" in str(failure.value.errors[0])
    assert database(project).read_bytes() == stored and manifest(project / "output") == built


@pytest.mark.parametrize("damage", ["not a database", "another version"])
def test_check_leaves_a_cache_it_cannot_use_as_it_is(tmp_path, monkeypatch, damage):
    project = make_project(tmp_path)
    build_site(BuildOptions(project=project, jobs=1))
    if damage == "not a database":
        database(project).write_bytes(b"not a database at all\n" * 100)
    else:
        monkeypatch.setattr(cache, "code_version", lambda: "another version of Broadside")
    stored = database(project).read_bytes()
    read = counting(monkeypatch, reader, "read_entry")
    checked = check_project(BuildOptions(project=project, jobs=1, pdfs=False))
    assert read and not checked.warnings and database(project).read_bytes() == stored
