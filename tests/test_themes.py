"""Tests for themes.py: themes that extend others (templates and static files fall through, a child's template can
extend its parent's version), errors in theme.toml at their line, and fingerprints that follow the whole chain."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from broadside.errors import BuildFailed
from broadside.pipeline import BuildOptions, build_site
from broadside.renderer import make_environment, templates_digest
from broadside.themes import folder_files, load_theme, template_digests
from tests.helpers import make_project, run_cli

BANNER = '{% extends "default:base.html" %}\n{% block banner %}<p class="banner">Vote on 12 June.</p>{% endblock %}\n'


def child_project(tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    """The basic fixture with a theme `child` that extends default and overrides base.html (and `files`)."""
    return make_project(tmp_path, files={
        "site.toml": (Path(__file__).parent / "fixtures/sites/basic/site.toml").read_text().replace(
            'theme = "default"', 'theme = "child"'),
        "themes/child/theme.toml": 'extends = "default"\n',
        "themes/child/templates/base.html": BANNER,
        **(files or {})})


def test_a_child_theme_holds_only_what_it_changes(tmp_path):
    project = child_project(tmp_path, {"themes/child/static/filter.js": "/* the child's own */\n"})
    result = run_cli(project)
    assert result.returncode == 0, result.stderr
    output = project / "output"
    home, briefing = (output / "index.html").read_text(), (output / "briefings/first/index.html").read_text()
    for page in (home, briefing):
        assert '<p class="banner">Vote on 12 June.</p>' in page  # the child's base.html
        assert '<nav class="site-nav" aria-label="Main">' in page  # the default's base.html, extended
    assert "<article" in briefing  # the default's briefing.html, inherited
    assert (output / "static/filter.js").read_text() == "/* the child's own */\n"
    assert (output / "static/style.css").read_bytes() == (project / "themes/default/static/style.css").read_bytes()


def test_chains_deeper_than_one_level_fall_through_every_level(tmp_path):
    project = child_project(tmp_path, {
        "themes/child/theme.toml": 'extends = "middle"\n',
        "themes/middle/theme.toml": 'extends = "default"\n',
        "themes/middle/templates/base.html": '{% extends "default:base.html" %}{% block head %}<meta name="x-middle" content="1">{% endblock %}',
        "themes/child/templates/base.html": '{% extends "middle:base.html" %}{% block banner %}<p class="banner">Child</p>{% endblock %}',
        "themes/middle/static/extra.css": "p { margin: 0; }\n",
    })
    theme = load_theme(project / "themes", "child")
    assert [folder.name for folder in theme.folders] == ["child", "middle", "default"]
    assert theme.light is not None and theme.light.text == "#1d2126"  # colours come from the nearest theme naming them
    result = run_cli(project)
    assert result.returncode == 0, result.stderr
    home = (project / "output/index.html").read_text()
    assert '<meta name="x-middle" content="1">' in home and '<p class="banner">Child</p>' in home
    assert (project / "output/static/extra.css").is_file() and (project / "output/static/search.js").is_file()


@pytest.mark.parametrize(("files", "expected"), [
    ({"themes/child/theme.toml": '# a theme\nextends = "nothing-here"\n'},
     "themes/child/theme.toml:2: unknown theme 'nothing-here' in 'extends' (available: child, default)"),
    ({"themes/child/theme.toml": 'extends = "../default"\n'},
     "themes/child/theme.toml:1: unknown theme '../default' in 'extends' (available: child, default)"),
    ({"themes/child/theme.toml": '\nextends = "other"\n', "themes/other/theme.toml": 'extends = "child"\n'},
     "themes/other/theme.toml:1: themes extend each other in a loop: child -> other -> child (remove one 'extends')"),
    ({"themes/child/theme.toml": 'extends = "child"\n'},
     "themes/child/theme.toml:1: themes extend each other in a loop: child -> child (remove one 'extends')"),
    ({"themes/child/theme.toml": 'extend = "default"\n'},
     "themes/child/theme.toml:1: unknown key 'extend' (known keys: extends, colours)"),
    ({"themes/child/theme.toml": 'extends = "default\n'},
     "themes/child/theme.toml:1:"),
])
def test_a_bad_chain_is_an_error_at_its_line(tmp_path, files, expected):
    project = child_project(tmp_path, files)
    with pytest.raises(BuildFailed) as caught:
        load_theme(project / "themes", "child")
    assert str(caught.value).startswith(expected)


def test_a_bad_chain_stops_the_build_and_leaves_the_output_untouched(tmp_path):
    project = child_project(tmp_path)
    assert run_cli(project).returncode == 0
    before = {p: p.read_bytes() for p in (project / "output").rglob("*") if p.is_file()}
    (project / "themes/default/theme.toml").write_text('extends = "child"\n')
    result = run_cli(project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("themes/default/theme.toml:1: themes extend each other in a loop: child -> default -> child")
    assert {p: p.read_bytes() for p in (project / "output").rglob("*") if p.is_file()} == before


def test_a_mistake_in_the_parent_template_is_reported_in_the_parent(tmp_path):
    project = child_project(tmp_path, {"themes/default/templates/archive.html": "{% extends 'base.html' %}\n{% block content %}\n{{ page.titel }}\n{% endblock %}\n"})
    result = run_cli(project)
    assert result.returncode == 1 and result.stderr.startswith("themes/default/templates/archive.html:3: "), result.stderr


def test_each_template_digest_covers_what_it_brings_in_through_the_chain(tmp_path):
    project = child_project(tmp_path)
    theme = load_theme(project / "themes", "child")
    before = template_digests(make_environment(theme.templates, "one"), "whole")
    (project / "themes/default/templates/issue.html").write_text(
        (project / "themes/default/templates/issue.html").read_text() + "\n")
    after = template_digests(make_environment(theme.templates, "two"), "whole")
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == ["issue.html"]
    (project / "themes/child/templates/base.html").write_text(BANNER + "\n")
    again = template_digests(make_environment(theme.templates, "three"), "whole")
    assert {name for name in after if after[name] != again[name]} >= {"issue.html", "briefing.html", "home.html", "404.html"}


def test_a_template_named_by_an_expression_depends_on_the_whole_chain(tmp_path):
    project = child_project(tmp_path, {"themes/child/templates/archive.html": '{% extends "base" ~ ".html" %}'})
    theme = load_theme(project / "themes", "child")
    digests = template_digests(make_environment(theme.templates, "x"), "whole")
    assert digests["archive.html"] == "whole" and digests["issue.html"] != "whole"


def test_editing_the_parent_renders_again_only_the_childs_pages_that_use_the_template(tmp_path):
    project = child_project(tmp_path)
    options = BuildOptions(project=project, jobs=1)
    build_site(options)
    output = project / "output"
    pages = {p.relative_to(output).as_posix(): p.read_bytes() for p in output.rglob("*.html")}
    issue = project / "themes/default/templates/issue.html"
    issue.write_text(issue.read_text().replace("{% block content %}", "{% block content %}<!-- edited -->", 1))
    build_site(options)
    changed = sorted(path for path, data in pages.items() if (output / path).read_bytes() != data)
    assert changed == sorted(path for path in pages if path.startswith("issues/") and path != "issues/index.html")
    assert changed and all("<!-- edited -->" in (output / path).read_text() for path in changed)
    # A template every page uses (the child's base.html) renders every page again.
    (project / "themes/child/templates/base.html").write_text(BANNER.replace("12 June", "13 June"))
    build_site(options)
    assert all("13 June" in (output / path).read_text() for path in pages)


def test_the_whole_chain_is_part_of_the_no_change_check(tmp_path):
    project = child_project(tmp_path)
    options = BuildOptions(project=project, jobs=1)
    build_site(options)
    assert build_site(options).written == 0
    footer = project / "themes/default/templates/base.html"
    footer.write_text(footer.read_text().replace("Built with Broadside.", "Made with Broadside."))
    build_site(options)
    assert "Made with Broadside." in (project / "output/index.html").read_text()


def test_the_digest_of_the_chain_names_every_layer(tmp_path):
    project = child_project(tmp_path)
    theme = load_theme(project / "themes", "child")
    assert templates_digest(*theme.templates) != templates_digest(theme.templates[0])


def test_a_theme_s_files_are_read_again_only_when_one_came_went_or_changed(tmp_path):
    """A preview's save asks for the theme's files several times (themes.folder_files): the same files give the very
    same answer without reading them, and a file edited (even to as many bytes), added or removed is seen."""
    templates = tmp_path / "templates"
    (templates / "partials").mkdir(parents=True)
    (templates / "base.html").write_text("<p>one</p>")
    (templates / "partials" / "card.html").write_text("card")
    first = folder_files(templates)
    assert first == ((0, "base.html", b"<p>one</p>"), (0, "partials/card.html", b"card"))
    assert folder_files(templates) is first
    (templates / "base.html").write_text("<p>two</p>")  # as many bytes
    moment = (templates / "base.html").stat().st_mtime_ns + 1_000_000
    os.utime(templates / "base.html", ns=(moment, moment))  # a later time, even on a coarse clock
    assert folder_files(templates)[0] == (0, "base.html", b"<p>two</p>")
    (templates / "partials" / "card.html").unlink()
    (templates / "page.html").write_text("page")
    assert [name for _, name, _ in folder_files(templates)] == ["base.html", "page.html"]
    (templates / "partials" / "row.html").write_text("row")
    assert [(place, name) for place, name, _ in folder_files(templates, templates / "partials")] == [
        (0, "base.html"), (0, "page.html"), (0, "partials/row.html"), (1, "row.html")]  # each folder's, in order
