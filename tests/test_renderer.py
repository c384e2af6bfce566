"""Tests rendering: the fixture site against its golden tree, determinism, escaping, and located template errors."""
import dataclasses
import json
import posixpath
import re
import os
import shutil
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import jinja2.sandbox
import pytest
from markupsafe import Markup

from broadside.config import load_config
from broadside.errors import BuildFailed
from broadside.reader import read_site
from broadside.renderer import Sandbox, iso_date, reads, render_site
from tests.helpers import REPO, make_project

GOLDEN = REPO / "tests" / "fixtures" / "golden" / "basic"


def render(project: Path) -> dict[str, bytes]:
    config = load_config(project)
    return render_site(read_site(project, config), project / "themes" / config.theme, config.theme)


def test_fixture_site_matches_the_golden_tree(tmp_path):
    """Refresh with BROADSIDE_UPDATE_GOLDEN=1 and review the diff."""
    files = render(make_project(tmp_path))
    if os.environ.get("BROADSIDE_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for path, data in files.items():
            (GOLDEN / path).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / path).write_bytes(data)
    expected = {p.relative_to(GOLDEN).as_posix(): p.read_bytes() for p in GOLDEN.rglob("*") if p.is_file()}
    assert sorted(files) == sorted(expected)
    for path in files:
        assert files[path].decode() == expected[path].decode(), path


def test_two_renders_are_byte_identical(tmp_path):
    assert render(make_project(tmp_path / "a")) == render(make_project(tmp_path / "b"))


def test_every_link_is_a_relative_file_link(tmp_path):
    files = render(make_project(tmp_path))
    home = files["index.html"].decode()
    assert 'href="briefings/second/index.html"' in home and 'href="static/style.css"' in home
    page = files["briefings/first/index.html"].decode()
    assert 'href="../../issues/alpha/index.html"' in page and 'href="../second/index.html"' in page


class Texts(HTMLParser):
    """Collects elements, attributes and text of a page."""

    def __init__(self, html):
        super().__init__()
        self.tags, self.attributes, self.text, self.script_kinds = [], [], [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += attrs
        if tag == "script":
            named = dict(attrs)
            theme = named.get("type") == "application/ld+json" or named.get("src") in ("index.js", "../static/search.js", "../static/filter.js")
            self.script_kinds.append("theme" if theme else "other")

    def handle_data(self, data):
        self.text.append(data)


def test_front_matter_values_are_escaped_everywhere(tmp_path):
    evil = '"><img src=x onerror=alert(1)></title><script>alert(2)</script>'
    files = {"content/briefings/first.md": (REPO / "tests/fixtures/sites/basic/content/briefings/first.md").read_text()
             .replace('title: "First briefing: alpha & beta"', f"title: '{evil}'")
             .replace("summary: The first thing that happened.", "summary: '</script><script>alert(3)</script>'")
             .replace("publication: The Daily Fixture", "publication: '<b onmouseover=alert(4)>Pub</b>'")}
    rendered = render(make_project(tmp_path, files=files))
    for path, data in rendered.items():
        if path.endswith(".html"):
            page = Texts(data.decode())
            # The theme's own scripts only: JSON-LD data, the search page's index and code, the indexes' filter box.
            assert page.tags.count("script") == page.script_kinds.count("theme"), path
            assert not [a for a in page.attributes if a[0].startswith("on")], path
    data = rendered["briefings/first/index.html"].decode()
    structured = json.loads(data.split('<script type="application/ld+json">')[1].split("</script>")[0])
    assert structured["headline"] == evil and structured["description"] == "</script><script>alert(3)</script>"
    assert evil in "".join(Texts(rendered["briefings/first/index.html"].decode()).text)


def theme_error(tmp_path, template: str, text: str) -> str:
    project = make_project(tmp_path)
    (project / "themes/default/templates" / template).write_text(text)
    with pytest.raises(BuildFailed) as caught:
        render(project)
    return str(caught.value)


def test_template_syntax_error_names_the_template_and_line(tmp_path):
    message = theme_error(tmp_path, "archive.html", "{% extends 'base.html' %}\n{% block content %}\n{% if x %}\n")
    assert message.startswith("themes/default/templates/archive.html:3: Unexpected end of template")


def test_undefined_name_names_the_template_and_line(tmp_path):
    message = theme_error(tmp_path, "archive.html", "{% extends 'base.html' %}\n{% block content %}\n\n{{ page.titel }}\n{% endblock %}\n")
    assert message.startswith("themes/default/templates/archive.html:4: ") and "titel" in message


def test_a_template_cannot_reach_python_internals(tmp_path):
    canary = tmp_path / "pwned"
    payload = "{{ cycler.__init__.__globals__.os.popen('touch %s').read() }}" % canary
    message = theme_error(tmp_path, "archive.html", payload)
    assert message.startswith("themes/default/templates/archive.html:1: ") and not canary.exists()


def test_the_sandbox_calls_macros_and_broadside_functions_as_jinja_would():
    """The sandbox's short way to call a macro or a trusted function keeps Jinja's rules: a function given the
    context sees a name a loop sets, a macro its defaults and keywords, anything else is still checked."""
    template = ("{% macro pair(a, b='2') %}{{ a }}{{ b }}{% endmacro %}"
                "{{ seen('who') }} {% for n in [1] %}{% set who = 'loop' %}{{ seen('who') }}{% endfor %} "
                "{{ pair('1') }}{{ pair('3', b='4') }} {{ plain(5) }}")
    environment = Sandbox(loader=jinja2.DictLoader({"page.html": template}), autoescape=True)
    seen = jinja2.pass_context(lambda context, name: context[name])
    environment.globals.update(seen=seen, plain=lambda value: value * 2)
    environment.trusted.add(seen)
    assert environment.get_template("page.html").render(who="page") == "page loop 1234 10"
    risky = lambda: "called"  # noqa: E731
    risky.unsafe_callable = True  # Jinja's mark of a callable its sandbox refuses
    environment.globals["risky"] = risky
    with pytest.raises(jinja2.exceptions.SecurityError):
        environment.from_string("{{ risky() }}").render()


def test_the_sandbox_spares_deriving_a_context_only_where_jinja_would_give_the_same():
    """A function that says which names it reads from the context is given the page's own context in a loop or block
    that set none of them; one that reads a name set there, or says nothing, a derived one; one given the eval context
    sees whether escaping is on. Each gives what Jinja's own sandbox gives."""
    template = ("{{ looked('who') }}|{% for n in [1] %}{% set who = 'loop' %}{{ looked('who') }}{% endfor %}"
                "|{% for n in [1] %}{% set other = 1 %}{{ looked('who') }}{% endfor %}"
                "|{% for who in ['target'] %}{{ looked('who') }}{% endfor %}"
                "|{% block part %}{% set who = 'block' %}{{ looked('who') }}{{ blind('who') }}{% endblock %}"
                "|{% for n in [1] %}{% set who = 'loop' %}{{ blind('who') }}{{ said('<b>') }}{% endfor %}"
                "|{{ said('<i>') }}{% autoescape false %}{{ said('<i>') }}{% endautoescape %}")
    looked = reads("who")(jinja2.pass_context(lambda context, name: context.get(name, "none")))
    blind = jinja2.pass_context(lambda context, name: context.get(name, "none"))
    said = jinja2.pass_eval_context(lambda eval_ctx, text: Markup(text) if eval_ctx.autoescape else text + "!")
    made = []
    for environment in (jinja2.sandbox.SandboxedEnvironment(autoescape=True), Sandbox(autoescape=True)):
        environment.globals.update(looked=looked, blind=blind, said=said)
        if isinstance(environment, Sandbox):
            environment.trusted.update((looked, blind, said))
        made.append(environment.from_string(template).render(who="page"))
    assert made[0] == made[1]
    assert made[1] == "page|loop|page|page|blockblock|loop<b>|<i><i>!"  # a loop's own target is not the context's


def test_the_sandbox_calls_broadside_methods_directly_but_still_refuses_a_marked_one(monkeypatch):
    """A method of one of Broadside's own classes is called as Jinja would call it (the site's issues_of, say); one
    marked unsafe is still refused, and so is a method of another class that is."""
    from broadside.errors import ContentError

    environment = Sandbox(autoescape=True)
    problem = ContentError("content/briefings/a.md", 3, "too long", warning=True)
    assert environment.from_string("{{ problem.as_error().warning }}").render(problem=problem) == "False"
    monkeypatch.setattr(ContentError.as_error, "unsafe_callable", True, raising=False)
    with pytest.raises(jinja2.exceptions.SecurityError):
        environment.from_string("{{ problem.as_error() }}").render(problem=problem)

    class Other:
        def risky(self):
            return "called"
        risky.unsafe_callable = True
    with pytest.raises(jinja2.exceptions.SecurityError):
        environment.from_string("{{ other.risky() }}").render(other=Other())


def test_static_symlinks_are_refused(tmp_path):
    project = make_project(tmp_path)
    (project / "themes/default/static/key").symlink_to("/etc/hostname")
    with pytest.raises(BuildFailed) as caught:
        render(project)
    assert "themes/default/static/key:1: symlinks/special files are not allowed in static/" in str(caught.value)


def test_relative_links_match_relpath():
    import posixpath
    from broadside.renderer import relative_link

    paths = ["index.html", "404.html", "briefings/index.html", "briefings/a/index.html", "briefings/page/2/index.html",
             "issues/x/feed.xml", "static/style.css", "search/index.js", "issues/x/page/3/index.html"]
    for page in paths:
        for target in paths:
            folder = posixpath.dirname(page)
            assert relative_link(folder, target) == posixpath.relpath(target, folder or "."), (page, target)


@pytest.mark.parametrize("root", ["", "fr/"])
def test_a_page_links_to_every_file_relative_to_its_own_folder(root):
    """url() from each page of a language (its pages under `root`) to any output file: the relative path, the
    theme's static files shared by every language."""
    from types import SimpleNamespace

    from broadside.renderer import is_shared, url

    paths = ["index.html", "briefings/index.html", "briefings/a/index.html", "issues/x/page/3/index.html",
             "issues/x/feed.xml", "static/style.css", "favicon.ico", "search/index.js"]
    site = SimpleNamespace(root=root)
    for page in paths:
        context = {"page": SimpleNamespace(output_path=page), "site": site}
        for target in paths:
            there = root + page if root and is_shared(target) else page
            assert url(context, target) == posixpath.relpath(target, posixpath.dirname(there) or "."), (page, target)


@pytest.mark.parametrize("template, expected", [
    ("{% extends 'base.html' %}{% block content %}{{ nope.x }}{% endblock %}", ":1: 'nope' is undefined"),
    # Compiled by the parent before the workers start: the page that uses it still reports it.
    ("{% extends 'base.html' %}\n{% block content %}\n{% if x %}\n", ":3: Unexpected end of template"),
])
def test_a_template_error_in_a_worker_process_is_reported_like_any_other(tmp_path, template, expected):
    from broadside.pipeline import BuildOptions, build_site

    files = {f"content/briefings/gen-{n:03}.md": f"---\ntitle: G {n}\ndate: 2020-01-01\nissues: [alpha]\n---\nText.\n"
             for n in range(80)}
    project = make_project(tmp_path, files=files)
    (project / "themes/default/templates/briefing.html").write_text(template)
    with pytest.raises(BuildFailed) as caught:
        build_site(BuildOptions(project=project, jobs=2))
    assert str(caught.value.errors[0]).startswith("themes/default/templates/briefing.html" + expected)


def test_long_lists_link_the_first_last_and_nearby_pages_only(tmp_path):
    """A list of 20 pages (page_size 2): page 10 links 1 … 8-12 … 20, and every link it shows exists."""
    files = {f"content/briefings/extra-{n:02d}.md": f"---\ntitle: Extra {n}\ndate: 2019-{1 + n // 28:02d}-{1 + n % 28:02d}\n---\nText {n}.\n"
             for n in range(1, 38)}
    output = render(make_project(tmp_path, files=files))
    page = output["briefings/page/10/index.html"].decode()
    navigation = page[page.index('<nav class="pagination"'):]
    navigation = navigation[:navigation.index("</nav>")]
    numbers = [int(number) for number in re.findall(r">(\d+)</a>", navigation)]
    assert numbers == [1, 8, 9, 10, 11, 12, 20]
    assert navigation.count('class="pagination-gap" aria-hidden="true">…</li>') == 2
    assert 'aria-current="page">10</a>' in navigation
    for href in re.findall(r'href="([^"]+)"', navigation):
        assert posixpath.normpath(posixpath.join("briefings/page/10", href)) in output, href
    first = output["briefings/index.html"].decode()
    assert re.findall(r">(\d+)</a>", first[first.index('<nav class="pagination"'):]) == ["1", "2", "3", "20"]


def crowded_site(tmp_path: Path, count: int):
    """The fixture site with `count` more briefings of issue alpha, all in 2019 (newest first, like any Site)."""
    from broadside.model import Site
    project = make_project(tmp_path)
    site = read_site(project, load_config(project))
    model = site.briefing("first")
    extra = [dataclasses.replace(model, slug=f"busy-{n:04d}", title=f"Busy {n}",
                                 date=model.date.replace(year=2019, month=1 + n % 12, day=1 + n % 28)) for n in range(count)]
    briefings = sorted([*site.briefings, *extra], key=lambda b: (b.date, b.slug), reverse=True)
    return project, Site(site.config, site.issues, tuple(briefings), today=site.today, gazetteer=site.gazetteer)


def render_paths(project: Path, site, paths: set[str]) -> dict[str, str]:
    """Render the pages at `paths` only."""
    from broadside.renderer import make_environment, plan_pages, render_page, templates_digest
    templates = project / "themes" / "default" / "templates"
    environment = make_environment(templates, templates_digest(templates))
    return {page.output_path: render_page(environment, site, page, "default").decode()
            for page in plan_pages(site) if page.output_path in paths}


def test_a_busy_year_of_the_archive_is_paginated_and_the_archive_lists_years(tmp_path):
    """Bad input row 52: 450 briefings in one year give three pages of at most 200, oldest last; the archive's
    own page lists each year with its count and stays small."""
    from broadside.renderer import ARCHIVE_PAGE_SIZE, plan_pages
    project, site = crowded_site(tmp_path, 450)
    paths = {page.output_path for page in plan_pages(site) if page.output_path.startswith("archive/")}
    assert paths == {"archive/index.html", "archive/2019/index.html", "archive/2019/page/2/index.html",
                     "archive/2019/page/3/index.html", "archive/2020/index.html", "archive/2021/index.html"}
    pages = render_paths(project, site, paths)
    listed = {path: re.findall(r'<li><time datetime="([0-9-]+)">', html) for path, html in pages.items()}
    assert [len(listed[f"archive/2019/{tail}index.html"]) for tail in ("", "page/2/", "page/3/")] == [200, 200, 50]
    every = [day for tail in ("", "page/2/", "page/3/") for day in listed[f"archive/2019/{tail}index.html"]]
    assert every == sorted(every, reverse=True) and ARCHIVE_PAGE_SIZE == 200
    assert 'href="../../../2021/index.html">2021</a>' in pages["archive/2019/page/3/index.html"]
    assert 'rel="prev"' in pages["archive/2019/page/3/index.html"]
    index = pages["archive/index.html"]
    assert '<a href="2019/index.html">2019</a> <span class="count">450 briefings</span>' in index
    assert '<a href="2020/index.html">2020</a> <span class="count">1 briefing</span>' in index
    assert len(index) < 10_000


def test_an_issue_page_shows_the_timeline_of_its_latest_briefings_only(tmp_path):
    """With 450 more briefings, alpha's first page lists 100 in its timeline and says where the rest are."""
    from broadside.renderer import TIMELINE_LIMIT
    project, site = crowded_site(tmp_path, 450)
    page = render_paths(project, site, {"issues/alpha/index.html"})["issues/alpha/index.html"]
    timeline = page[page.index('id="issue_timeline"'):]
    assert len(re.findall(r"<li><time", timeline)) == TIMELINE_LIMIT == 100
    assert "The latest 100 of 452 briefings; the pages of the list above hold every one." in timeline


def test_long_indexes_of_people_countries_and_organisations_are_paginated_by_name(tmp_path, monkeypatch):
    """Five people on pages of two: three pages in alphabetical order, each linking the others with Previous/Next;
    the first page keeps its address, the later ones are people/page/<n>/ (as every other list)."""
    from broadside import renderer
    monkeypatch.setattr(renderer, "INDEX_PAGE_SIZE", 2)
    speakers = ["Ebo Mensah", "Ada Obi", "Dan Wu", "Cleo Park", "Ben Ito"]
    files = {f"content/briefings/said-{n}.md": (
        f"---\ntitle: Said {n}\ndate: 2020-01-0{n + 1}\nissues: [alpha]\nquotes:\n- text: Sentence {n}.\n  speaker: {name}\n---\nText.\n")
        for n, name in enumerate(speakers)}
    output = render(make_project(tmp_path, files=files))
    pages = {path: data.decode() for path, data in output.items() if re.fullmatch(r"people/(page/\d+/)?index\.html", path)}
    listed = {path: re.findall(r'<li data-filter-text="[^"]*"><a href="[^"]+">([^<]+)</a>', html) for path, html in pages.items()}
    order = [listed[path] for path in ("people/index.html", "people/page/2/index.html", "people/page/3/index.html")]
    everyone = [name for names in order for name in names]
    assert len(pages) == 3 and all(len(names) <= 2 for names in order)
    assert everyone == sorted(everyone, key=str.casefold) and set(speakers) <= set(everyone)
    second = pages["people/page/2/index.html"]
    assert "<title>People (page 2)" in second and '<span class="page-number">(page 2)</span>' in second
    assert '<a href="../../index.html" rel="prev"><span aria-hidden="true">← </span>Previous</a>' in second
    assert '<a href="../3/index.html" rel="next">Next<span aria-hidden="true"> →</span></a>' in second
    assert 'aria-current="page">2</a>' in second and "Older" not in second
    for path, html in pages.items():
        navigation = html[html.index('<nav class="pagination"'):html.index("</nav>")]
        for href in re.findall(r'href="([^"]+)"', navigation):
            assert posixpath.normpath(posixpath.join(posixpath.dirname(path), href)) in output, (path, href)


@pytest.mark.parametrize("year", [999, 1000, 2021])
@pytest.mark.parametrize("precision", ["day", "month", "year"])
def test_a_machine_readable_date_is_the_day_as_written_in_its_own_time_zone(year, precision):
    """<time datetime> and JSON-LD say the day the briefing is dated, in its own time zone, as precise as the source."""
    moment = datetime(year, 3, 7, 23, 30, tzinfo=timezone(timedelta(hours=-11)))
    expected = {"day": f"{year}-03-07", "month": f"{year}-03", "year": f"{year}"}[precision]
    assert iso_date(moment, precision) == expected


def test_the_set_of_output_paths_stays_right_whatever_was_added_or_removed_since_the_last_build():
    """A running preview takes the last build's set of output paths and count of pages (renderer.path_set) and puts
    in or takes out the few paths added or gone since; many, it makes them again: the set and the count are right
    either way, and the very same set is handed on while nothing changed (the link check keeps its work by it)."""
    from broadside.cache import BuildCache
    from broadside.renderer import FEW_PATHS, path_set

    memo = BuildCache()
    paths = [f"briefings/b-{number:05d}/index.html" for number in range(0, 3000, 3)] + ["index.html", "search/t-ab.js"]
    last = None
    for change in ([], ["search/t-zz.js", "a.html"], ["briefings/b-00001/index.html"], ["search/t-ab.js"], [],
                   [f"briefings/b-{number:05d}/index.html" for number in range(1, 3000, 3)]):  # the last: many
        for path in change:
            paths.remove(path) if path in paths else paths.append(path)
        found, pages = path_set(dict.fromkeys(reversed(paths), "made"), memo)
        assert found == set(paths) and pages == sum(path.endswith(".html") for path in paths)  # the pages a build reports
        assert found is last or change or last is None
        last = found
    assert len(change) > FEW_PATHS  # the last change went the other way: the set made again
