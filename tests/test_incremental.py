"""Tests that cached, incremental and parallel builds give exactly what a clean single-process build gives."""
import gc
import os
import shutil
from datetime import date

import pytest

from broadside import cache, model, pipeline, reader, renderer, writer
from broadside.cache import BuildCache, open_cache
from broadside.errors import BuildFailed
from broadside.pipeline import BuildOptions, build_site, preview_briefing
from tests.helpers import make_project, manifest

MANY = {f"content/briefings/gen-{n:03}.md": f"---\ntitle: Generated {n}\ndate: 2019-{1 + n % 12:02}-{1 + n % 28:02}\n"
        f"issues: [{'alpha' if n % 3 else 'beta'}]\nsummary: Summary {n}.\n---\n## Part\n\nText {n} with "
        f"[a link](gen-{(n + 1) % 80:03}.md) and [an issue](../issues/alpha.md).\n" for n in range(80)}


def clean_build(project, tmp_path, drafts: bool = False) -> dict[str, str]:
    """What a build from nothing gives: no cache, one process, a new output folder."""
    target = tmp_path / "clean"
    shutil.rmtree(target, ignore_errors=True)
    build_site(BuildOptions(project=project, output=target, jobs=1, use_cache=False, drafts=drafts, future=drafts))
    return manifest(target)


def edit(project, path: str, old: str, new: str) -> None:
    file = project / path
    file.write_text(file.read_text().replace(old, new))


STEPS = [
    ("add a briefing", lambda p: (p / "content/briefings/added.md").write_text(
        "---\ntitle: Added\ndate: 2022-02-02\nissues: [beta]\n---\nNew [link](first.md).\n")),
    ("edit a body", lambda p: edit(p, "content/briefings/second.md", "a list", "a longer list")),
    ("edit a summary", lambda p: edit(p, "content/briefings/first.md", "The first thing", "The very first thing")),
    ("edit a title", lambda p: edit(p, "content/briefings/gen-005.md", "Generated 5", "Renamed five")),
    ("rename a briefing", lambda p: (p / "content/briefings/gen-010.md").rename(p / "content/briefings/moved.md")),
    ("delete a briefing", lambda p: (p / "content/briefings/gen-011.md").unlink()),
    ("change an issue", lambda p: edit(p, "content/issues/alpha.md", "Alpha campaign", "Alpha campaign, renewed")),
    ("edit a quote", lambda p: edit(p, "content/briefings/first.md", "We will publish", "We shall publish")),
    ("give a quote a role", lambda p: edit(p, "content/briefings/second.md", "  speaker: Dr Speaker\n",
                                           "  speaker: Dr Speaker\n  role: envoy\n")),
    # A second full name ending in Speaker: the bare "Dr Speaker" of second.md is no longer Ada's.
    ("rename a speaker", lambda p: edit(p, "content/briefings/first.md", "speaker: Ada Speaker", "speaker: Bea Speaker")),
    ("add a country", lambda p: edit(p, "content/briefings/second.md", "countries: [ZW]", "countries: [ZW, AO]")),
    ("remove a country", lambda p: edit(p, "content/briefings/first.md", "countries: [ZW, CD]", "countries: [ZW]")),
    ("drop an organisation", lambda p: edit(p, "content/briefings/first.md", "[Kimberley Process, Fixture Coalition]",
                                            "[Kimberley Process]")),
    ("change the gazetteer", lambda p: edit(p, "content/organisations.yaml", "kimberleyprocess.com/", "kimberleyprocess.org/")),
    ("add a short name to the gazetteer", lambda p: edit(p, "content/organisations.yaml", "[KP]", "[KP, KPCS]")),
    ("make a speaker an organisation", lambda p: edit(p, "content/briefings/third.md", "speaker: Zimbabwe",
                                                      "speaker: Fixture Coalition")),
    ("change a template", lambda p: edit(p, "themes/default/templates/briefing.html", "Related briefings", "See also")),
    ("change the stylesheet", lambda p: edit(p, "themes/default/static/style.css", "/* Search", "/* Search box")),
    ("change site.toml", lambda p: edit(p, "site.toml", "page_size = 2", "page_size = 7")),
    ("touch a file without changing it", lambda p: (p / "content/briefings/third.md").touch()),
    ("edit the output by hand", lambda p: (p / "output/briefings/first/index.html").write_text("scribbled")),
    ("delete an output file", lambda p: (p / "output/feed.xml").unlink()),
    ("delete a search shard", lambda p: (p / "output/search/terms/ge.js").unlink()),
    ("leave a stray file in the output", lambda p: (p / "output/briefings/stray.html").write_text("stray")),
    ("leave a stray folder in the output", lambda p: (p / "output/issues/alpha/old").mkdir()),
    ("delete the cache", lambda p: shutil.rmtree(p / ".broadside")),
]


def test_every_incremental_build_equals_a_clean_build(tmp_path):
    """Two copies take the same steps, one built by one process and one by workers; each step's clean build serves both."""
    projects = {jobs: make_project(tmp_path / f"jobs-{jobs}", files=MANY) for jobs in (1, 2)}
    for name, step in [("first build", lambda p: None), *STEPS]:
        summaries = {}
        for jobs, project in projects.items():
            step(project)
            summaries[jobs] = build_site(BuildOptions(project=project, jobs=jobs))
        expected = clean_build(projects[1], tmp_path)
        for jobs, project in projects.items():
            assert manifest(project / "output") == expected, (name, jobs)
            assert summaries[jobs].written + summaries[jobs].unchanged == len(expected), (name, jobs)


def test_workers_in_waves_write_the_same_site(tmp_path, monkeypatch):
    """Pages rendered by fresh workers wave after wave (one chunk each here) make the site one process makes."""
    monkeypatch.setattr(renderer, "WAVE", 1)
    monkeypatch.setattr(renderer, "CHUNK", 8)
    project = make_project(tmp_path, files=MANY)
    build_site(BuildOptions(project=project, jobs=2, use_cache=False))
    assert manifest(project / "output") == clean_build(project, tmp_path)


def test_an_unchanged_site_writes_and_renders_nothing(tmp_path, monkeypatch):
    """A build with nothing changed since the last, a clean build or an edit's, reads nothing (the record of the
    output's folders it left is exact, pipeline.Cache.unchanged)."""
    project = make_project(tmp_path, files=MANY)
    build_site(BuildOptions(project=project))
    summary = build_site(BuildOptions(project=project))
    assert summary.written == 0 and summary.unchanged == len(manifest(project / "output"))
    edit(project, "content/briefings/gen-040.md", "Text 40", "Text forty")
    assert build_site(BuildOptions(project=project)).written > 0
    monkeypatch.setattr(pipeline, "read_site", lambda *args: pytest.fail("read the site with nothing changed"))
    assert build_site(BuildOptions(project=project)).written == 0


def test_an_unchanged_site_keeps_its_warnings_and_a_new_day_publishes_what_was_scheduled(tmp_path):
    """The no-change shortcut repeats the last build's report, and a later day is a change."""
    project = make_project(tmp_path, files={**MANY, "content/briefings/later.md":
                                            "---\ntitle: Later\ndate: 2030-01-02\n---\n![](chart.png)\n"})
    first = build_site(BuildOptions(project=project, future=False))
    again = build_site(BuildOptions(project=project, future=False))
    assert again.written == 0 and again.held_back == first.held_back and len(first.held_back) == 1
    assert again.warnings == first.warnings and any("text alternative" in str(w) for w in again.warnings)
    assert not (project / "output/briefings/later/index.html").exists()
    published = build_site(BuildOptions(project=project, today=date(2030, 1, 3)))
    assert published.held_back == () and (project / "output/briefings/later/index.html").is_file()
    repeated = build_site(BuildOptions(project=project, today=date(2030, 1, 3)))
    assert repeated.written == 0 and repeated.warnings == published.warnings
    with pytest.raises(BuildFailed):
        build_site(BuildOptions(project=project, today=date(2030, 1, 3), strict=True))


def test_an_edit_rewrites_only_what_shows_it(tmp_path):
    project = make_project(tmp_path, files=MANY)
    build_site(BuildOptions(project=project))
    edit(project, "content/briefings/gen-040.md", "Text 40", "Text forty")
    summary = build_site(BuildOptions(project=project))
    # Its page, the site and issue feeds that carry it in full, and the search manifest and the shard of "forty".
    assert 1 <= summary.written <= 7, summary


def built_preview(tmp_path) -> tuple:
    """A preview of a site of many briefings, built once: its project, options and the memory a preview keeps."""
    project = make_project(tmp_path, files=MANY)
    options = BuildOptions(project=project, output=tmp_path / "preview", drafts=True, future=True)
    memory = BuildCache()
    build_site(options, memory=memory)
    return project, options, memory


def test_a_page_shown_at_once_is_the_page_the_full_build_makes(tmp_path, monkeypatch):
    """The preview writes an edited briefing's page before the build; the build must make the very same bytes."""
    project, options, memory = built_preview(tmp_path)
    with monkeypatch.context() as patched:  # the page alone is made: no pass over the archive's people and places
        patched.setattr(model, "gather_cast", lambda site: pytest.fail("the whole cast was gathered again"))
        patched.setattr(renderer, "related_lookup", lambda memo: pytest.fail("every briefing's related were looked up"))
        edit(project, "content/briefings/gen-040.md", "Text 40", "Text forty, at twice")
        assert b"Text forty, at twice" in preview_briefing(options, memory, "content/briefings/gen-040.md")[1]
        edit(project, "content/briefings/gen-040.md", "Text forty, at twice", "Text forty, at once")  # a second save
        shown = preview_briefing(options, memory, "content/briefings/gen-040.md")
    assert shown and shown[0] == "briefings/gen-040/index.html" and b"Text forty, at once" in shown[1]
    assert (tmp_path / "preview" / shown[0]).read_bytes() == shown[1]
    build_site(options, memory=memory)
    assert (tmp_path / "preview" / shown[0]).read_bytes() == shown[1]
    assert manifest(tmp_path / "preview") == clean_build(project, tmp_path, drafts=True)
    # Anything another page shows (here the title), or a file with errors, waits for the full build.
    edit(project, "content/briefings/gen-040.md", "Generated 40", "Retitled 40")
    assert preview_briefing(options, memory, "content/briefings/gen-040.md") is None
    edit(project, "content/briefings/gen-041.md", "date: ", "date: not a date ")
    assert preview_briefing(options, memory, "content/briefings/gen-041.md") is None
    assert preview_briefing(options, memory, "content/issues/alpha.md") is None


def test_a_preview_build_trusts_its_own_folder_but_the_pages_it_showed_at_once(tmp_path, monkeypatch):
    """A preview's build looks at no file or folder of its output but those of the pages shown at once since (an
    edit saved, shown, then undone before the build leaves that page to be written again); after a failed build,
    or with its folder deleted, the next build looks at everything."""
    project, options, memory = built_preview(tmp_path)
    looked = []
    intact_files, present_files = cache.intact_files, cache.present_files
    monkeypatch.setattr(cache, "intact_files", lambda *args: looked.append("files") or intact_files(*args))
    monkeypatch.setattr(cache, "present_files", lambda *args: looked.append("folders") or present_files(*args))
    edit(project, "content/briefings/gen-040.md", "Text 40", "Text forty")
    assert preview_briefing(options, memory, "content/briefings/gen-040.md")
    edit(project, "content/briefings/gen-040.md", "Text forty", "Text 40")
    build_site(options, memory=memory)
    assert looked == [] and manifest(tmp_path / "preview") == clean_build(project, tmp_path, drafts=True)
    edit(project, "content/briefings/gen-041.md", "date: ", "date: not a date ")
    with pytest.raises(BuildFailed):
        build_site(options, memory=memory)
    edit(project, "content/briefings/gen-041.md", "date: not a date ", "date: ")
    (tmp_path / "preview/briefings/gen-041/index.html").write_text("changed by hand")
    build_site(options, memory=memory)
    assert "files" in looked and manifest(tmp_path / "preview") == clean_build(project, tmp_path, drafts=True)
    shutil.rmtree(tmp_path / "preview")
    build_site(options, memory=memory)
    assert manifest(tmp_path / "preview") == clean_build(project, tmp_path, drafts=True)


# Steps of a running preview: what is done, the files its watcher reports saved, whether content/ must be listed
# again for the build to see it (a new name, a problem in one, another config), not just those files, and whether
# the site built last is kept with the bodies saved (briefings whose bodies alone changed, with no warning).
SAVES = [
    ("edit a body", lambda p: edit(p, "content/briefings/gen-040.md", "Text 40", "Text forty"),
     {"content/briefings/gen-040.md"}, False, True),
    ("edit a title and an issue", lambda p: (edit(p, "content/briefings/gen-005.md", "Generated 5", "Renamed five"),
                                             edit(p, "content/issues/alpha.md", "Alpha campaign", "Alpha, renewed")),
     {"content/briefings/gen-005.md", "content/issues/alpha.md"}, False, False),
    ("delete a briefing", lambda p: (p / "content/briefings/gen-011.md").unlink(), {"content/briefings/gen-011.md"}, False, False),
    ("an editor's swap file", lambda p: (p / "content/briefings/.gen-040.md.swp").write_text("x"),
     {"content/briefings/.gen-040.md.swp"}, False, False),
    ("a template and the gazetteer", lambda p: (edit(p, "themes/default/templates/briefing.html", "Related briefings",
                                                     "See also"), edit(p, "content/organisations.yaml", "[KP]", "[KP, KPCS]")),
     {"themes/default/templates/briefing.html", "content/organisations.yaml"}, False, False),
    ("add a briefing", lambda p: (p / "content/briefings/added.md").write_text(
        "---\ntitle: Added\ndate: 2022-02-02\nissues: [beta]\n---\nNew [link](first.md).\n"),
     {"content/briefings/added.md"}, True, False),
    ("rename a briefing", lambda p: (p / "content/briefings/gen-010.md").rename(p / "content/briefings/moved.md"),
     {"content/briefings/gen-010.md", "content/briefings/moved.md"}, True, False),
    ("a file that is not Markdown", lambda p: (p / "content/briefings/notes.txt").write_text("to do"),
     {"content/briefings/notes.txt"}, True, False),
    ("edit a body while it is there", lambda p: edit(p, "content/briefings/gen-041.md", "Text 41", "Text forty-one"),
     {"content/briefings/gen-041.md"}, True, False),
    ("remove it", lambda p: (p / "content/briefings/notes.txt").unlink(), {"content/briefings/notes.txt"}, True, False),
    ("edit a body again", lambda p: edit(p, "content/briefings/gen-041.md", "forty-one", "forty-two"),
     {"content/briefings/gen-041.md"}, False, True),
    ("a file in a folder", lambda p: ((p / "content/briefings/old").mkdir(), (p / "content/briefings/old/a.md").write_text("x")),
     {"content/briefings/old/a.md"}, True, False),
    ("a folder of its own", lambda p: shutil.rmtree(p / "content/briefings/old"), {"content/briefings/old/a.md"}, True, False),
    ("change site.toml", lambda p: edit(p, "site.toml", "page_size = 2", "page_size = 7"), {"site.toml"}, True, False),
    ("touch a file without changing it", lambda p: (p / "content/briefings/third.md").touch(),
     {"content/briefings/third.md"}, False, True),
    ("edit a title alone", lambda p: edit(p, "content/briefings/gen-006.md", "Generated 6", "Renamed six"),
     {"content/briefings/gen-006.md"}, False, False),
    ("edit a body that names people", lambda p: edit(p, "content/briefings/first.md", "A paragraph with",
                                                     "A new paragraph with"), {"content/briefings/first.md"}, False, True),
    ("a body that warns", lambda p: edit(p, "content/briefings/gen-043.md", "Text 43", "Text 43 ![](chart.png)"),
     {"content/briefings/gen-043.md"}, False, False),
    ("the warning taken out", lambda p: edit(p, "content/briefings/gen-043.md", " ![](chart.png)", ""),
     {"content/briefings/gen-043.md"}, False, False),
]


def test_a_preview_told_what_was_saved_lists_content_only_when_a_listing_must_say_what_changed(tmp_path, monkeypatch):
    """A running preview's watcher sees every save: its build brings the last listing of content/ up to date from
    the files saved, and lists content/ again for a new file, a folder, a name with a problem or another config; when
    bodies alone changed, it keeps the site it built with them in place (reader.bodies_saved). Every build makes what
    a clean build makes, with the same warnings."""
    project, options, memory = built_preview(tmp_path)
    listings, list_content = [], reader.list_content
    monkeypatch.setattr(reader, "list_content", lambda *args: listings.append(1) or list_content(*args))
    # The first build ran before the watcher started: a file added then is seen by the next build all the same.
    (project / "content/briefings/unseen.md").write_text("---\ntitle: Unseen\ndate: 2022-03-03\n---\nText.\n")
    build_site(options, memory=memory, saved=frozenset())
    assert listings == [1] and (tmp_path / "preview/briefings/unseen/index.html").is_file()
    kept, bodies_saved = [], reader.bodies_saved
    monkeypatch.setattr(reader, "bodies_saved", lambda *args: kept.append(site := bodies_saved(*args)) or site)
    warned = []
    for name, step, saved, listed, fast in SAVES:
        step(project)
        listings.clear()
        kept.clear()
        summary = build_site(options, memory=memory, saved=frozenset(saved))
        took = (bool(listings), any(kept))  # before the clean builds below, which list content/ themselves
        assert manifest(tmp_path / "preview") == clean_build(project, tmp_path, drafts=True), name
        clean = build_site(BuildOptions(project=project, output=tmp_path / "check", drafts=True, future=True,
                                        use_cache=False))
        assert summary.warnings == clean.warnings, name
        assert took == (listed, fast), name
        warned += [name] if any("only .md files" in str(warning) for warning in summary.warnings) else []
    assert warned == ["a file that is not Markdown", "edit a body while it is there", "a file in a folder"]
    # A build that fails before it looks at the files it was told of: the next build still sees them.
    edit(project, "content/briefings/gen-042.md", "Text 42", "Text forty-two")
    (project / "site.toml").write_text((project / "site.toml").read_text() + "\n[broken\n")
    with pytest.raises(BuildFailed):
        build_site(options, memory=memory, saved=frozenset({"content/briefings/gen-042.md", "site.toml"}))
    edit(project, "site.toml", "\n[broken\n", "")
    build_site(options, memory=memory, saved=frozenset({"site.toml"}))
    assert b"Text forty-two" in (tmp_path / "preview/briefings/gen-042/index.html").read_bytes()
    assert manifest(tmp_path / "preview") == clean_build(project, tmp_path, drafts=True)
    # A build not told what was saved lists content/, and keeps nothing for the next.
    listings.clear()
    build_site(options, memory=memory)
    edit(project, "content/briefings/gen-040.md", "Text forty", "Text forty, again")
    build_site(options, memory=memory, saved=frozenset({"content/briefings/gen-040.md"}))
    assert len(listings) == 2


@pytest.mark.parametrize("told", [False, True], ids=["reading every file", "told what was saved"])
def test_a_preview_build_after_body_edits_keeps_what_the_site_worked_out(tmp_path, monkeypatch, told):
    """When bodies alone changed, the preview's build keeps the site it built with the new bodies in place (no pass
    over the archive's people and places), unless an edited briefing names people or places, whose pages may show
    it; any other change works the site out again. Each build makes what a clean build makes, whether it reads every
    file again (Site.with_bodies_from) or is told the files saved, as the server tells it (reader.bodies_saved)."""
    project, options, memory = built_preview(tmp_path)

    def build(*saved: str) -> None:
        build_site(options, memory=memory, saved=frozenset(saved) if told else None)
    gathered, gather_cast = [], model.gather_cast
    monkeypatch.setattr(model, "gather_cast", lambda site: gathered.append(site) or gather_cast(site))
    # A theme that shows bodies in its lists, the people's and places' pages among them.
    edit(project, "themes/default/templates/_macros.html", "{{ issue_links(briefing) }}",
         "{{ issue_links(briefing) }}<div class=\"excerpt\">{{ briefing.body_html }}</div>")
    build("themes/default/templates/_macros.html")
    edit(project, "content/briefings/gen-040.md", "Text 40", "Text forty")
    edit(project, "content/briefings/gen-041.md", "Text 41", "Text forty-one")
    gathered.clear()
    build("content/briefings/gen-040.md", "content/briefings/gen-041.md")
    assert gathered == [] and memory.site.briefing("gen-041").body.html.count("forty-one") == 1
    assert manifest(tmp_path / "preview") == clean_build(project, tmp_path, drafts=True)
    edit(project, "content/briefings/first.md", "A paragraph with", "A new paragraph with")  # it names people
    gathered.clear()
    build("content/briefings/first.md")
    assert len(gathered) == 1
    assert any(b"A new paragraph" in page.read_bytes() for page in (tmp_path / "preview/countries").rglob("*.html"))
    assert manifest(tmp_path / "preview") == clean_build(project, tmp_path, drafts=True)
    edit(project, "content/briefings/gen-040.md", "Generated 40", "Retitled 40")
    gathered.clear()
    build("content/briefings/gen-040.md")
    assert len(gathered) == 1 and memory.site.briefing("gen-040").title == "Retitled 40"
    assert manifest(tmp_path / "preview") == clean_build(project, tmp_path, drafts=True)


@pytest.mark.parametrize("told", [False, True], ids=["reading every file", "told what was saved"])
def test_a_preview_build_after_a_translation_s_body_edit_keeps_each_language_s_site_on_its_own(tmp_path, monkeypatch,
                                                                                              told):
    """Each language's site is kept with its new bodies, or worked out again, on its own; told what was saved, the
    build keeps the site without reading the others for a body in the site's language, not for a translation's."""
    project = make_project(tmp_path, fixture="languages")
    options = BuildOptions(project=project, output=tmp_path / "preview", drafts=True, future=True)
    memory = BuildCache()
    kept, bodies_saved = [], reader.bodies_saved
    monkeypatch.setattr(reader, "bodies_saved", lambda *args: kept.append(site := bodies_saved(*args)) or site)

    def build(*saved: str) -> None:
        kept.clear()
        build_site(options, memory=memory, saved=frozenset(saved) if told else None)
    build_site(options, memory=memory)
    build()  # told nothing yet: the listing a told build keeps
    english, french = memory.site, memory.site.edition("fr/")
    assert english.people and french.people
    edit(project, "content/briefings/first.md", "diamonds", "rough diamonds")  # each names people
    build("content/briefings/first.md")
    assert any(kept) == told
    assert memory.site.people is not english.people and memory.site.edition("fr/").people is french.people
    assert manifest(tmp_path / "preview") == clean_build(project, tmp_path, drafts=True)
    english = memory.site
    edit(project, "content/briefings/first.fr.md", "la société civile", "la société civile unie")
    build("content/briefings/first.fr.md")
    assert not any(kept)
    assert memory.site.people is english.people and memory.site.edition("fr/").people is not french.people
    assert "civile unie" in memory.site.edition("fr/").briefing("first").body.html
    assert manifest(tmp_path / "preview") == clean_build(project, tmp_path, drafts=True)


def test_a_preview_build_that_fails_writing_an_edit_leaves_the_next_to_write_it(tmp_path, monkeypatch):
    """A build that renders an edit and then cannot write it (a full disk) leaves nothing the next build takes for
    done: what it worked out from the briefings it saw is dropped with it (renderer.briefing_maps)."""
    project, options, memory = built_preview(tmp_path)
    build_site(options, memory=memory, saved=frozenset())
    for number, text in enumerate(("Text forty", "Text forty, again")):
        edit(project, "content/briefings/gen-040.md", "Text 40" if number == 0 else "Text forty", text)
        saved = frozenset({"content/briefings/gen-040.md"})
        with monkeypatch.context() as patched:
            patched.setattr(writer.Staging, "commit", lambda *args: pytest.fail("No space left on device"))
            with pytest.raises(pytest.fail.Exception):
                build_site(options, memory=memory, saved=saved)
        build_site(options, memory=memory, saved=saved)
        assert text.encode() in (tmp_path / "preview/briefings/gen-040/index.html").read_bytes()
        assert manifest(tmp_path / "preview") == clean_build(project, tmp_path, drafts=True)


def test_a_template_edited_while_the_preview_runs_is_used_by_the_next_page_and_build(tmp_path):
    """The Jinja environment is kept between builds of one process: an edited template must still be read again."""
    project, options, memory = built_preview(tmp_path)
    edit(project, "content/briefings/gen-040.md", "Text 40", "Text forty")
    shown = preview_briefing(options, memory, "content/briefings/gen-040.md")  # compiles the theme here
    assert shown and b"Built with Broadside." in shown[1]
    base = project / "themes/default/templates/base.html"
    before = base.stat()
    edit(project, "themes/default/templates/base.html", "Built with Broadside.", "Made with care.")
    os.utime(base, ns=(before.st_atime_ns, before.st_mtime_ns))  # a copy that keeps times, or a coarse clock
    edit(project, "content/briefings/gen-040.md", "Text forty", "Text forty-one")
    shown = preview_briefing(options, memory, "content/briefings/gen-040.md")
    assert shown and b"Made with care." in shown[1] and b"Built with Broadside." not in shown[1]
    build_site(options, memory=memory)
    assert b"Made with care." in (tmp_path / "preview" / "index.html").read_bytes()
    assert manifest(tmp_path / "preview") == clean_build(project, tmp_path, drafts=True)


def test_a_body_edit_renders_only_its_page_unless_the_theme_shows_bodies_elsewhere(tmp_path):
    """With the default theme, other pages depend on a briefing's card (all but its body); a theme that shows
    bodies in its lists makes them depend on the bodies too, and stays exactly right."""
    project = make_project(tmp_path, files=MANY)
    assert not renderer.bodies_shown_elsewhere(project / "themes/default/templates")
    build_site(BuildOptions(project=project, jobs=1))
    before = stored_fingerprints(project)
    edit(project, "content/briefings/gen-040.md", "Text 40", "Text forty")
    build_site(BuildOptions(project=project, jobs=1))
    after = stored_fingerprints(project)
    rendered_again = {path for path in after if path.endswith(".html") and before.get(path) != after[path]}
    assert rendered_again == {"briefings/gen-040/index.html"}
    # The body is searched: the shard of its new word is made, and the manifest that lists it.
    assert before.get("search/terms/fo.js") != after["search/terms/fo.js"]
    assert before["search/index.js"] != after["search/index.js"]
    edit(project, "themes/default/templates/_macros.html", "{{ issue_links(briefing) }}",
         "{{ issue_links(briefing) }}<div class=\"excerpt\">{{ briefing.body_html }}</div>")
    assert renderer.bodies_shown_elsewhere(project / "themes/default/templates")
    build_site(BuildOptions(project=project, jobs=1))
    edit(project, "content/briefings/gen-041.md", "Text 41", "Text forty-one")
    build_site(BuildOptions(project=project, jobs=1))
    assert manifest(project / "output") == clean_build(project, tmp_path)
    assert any(b"Text forty-one" in page.read_bytes() for page in (project / "output/issues").rglob("*.html"))


def stored_fingerprints(project) -> dict[str, str]:
    """The page fingerprints the project's cache holds for output/."""
    with open_cache(project, project / "output") as cache:
        return dict(cache.memory.fingerprints)


def test_upgrading_a_library_the_pages_are_made_with_invalidates_the_cache(monkeypatch):
    """A new Python-Markdown may render the same file differently: cached readings must not outlive it."""
    before = cache.code_version()
    real = cache.metadata.version
    monkeypatch.setattr(cache.metadata, "version", lambda name: "99.0" if name == "markdown" else real(name))
    cache.code_version.cache_clear()
    try:
        assert cache.code_version() != before
    finally:
        cache.code_version.cache_clear()


def test_a_preview_s_later_builds_space_the_cycle_collector_s_looks_and_set_them_back(tmp_path, monkeypatch):
    """A running preview's later builds let the cycle collector wait for more new objects (cache.collections_spaced);
    its first build and the command line's do not, and the collector's settings come back, even after a failure."""
    project = make_project(tmp_path)
    options = BuildOptions(project, output=project / ".broadside" / "preview", drafts=True, future=True)
    memory, seen, before = BuildCache(), [], gc.get_threshold()
    once = pipeline.build_once
    monkeypatch.setattr(pipeline, "build_once", lambda *args: (seen.append(gc.get_threshold()), once(*args))[1])
    build_site(options, memory=memory)
    build_site(options, memory=memory)
    build_site(BuildOptions(project))
    assert seen == [before, (20_000, *before[1:]), before] and gc.get_threshold() == before
    monkeypatch.setattr(pipeline, "build_once", lambda *args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        build_site(options, memory=memory)
    assert gc.get_threshold() == before
