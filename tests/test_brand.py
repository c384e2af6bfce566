"""Tests for brand.py: [brand] in site.toml checked key by key (errors at their line of site.toml), colours checked
for contrast against the theme, favicons made from the logo, and a branded site with a child theme as a reader
sees it in Chromium, from disk and under a sub-path."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from broadside.brand import contrast, nearest_passing, shades_of, worst_pair
from broadside.config import load_config
from broadside.errors import BuildFailed
from broadside.pipeline import BuildOptions, build_site
from broadside.themes import load_theme
from tests.conftest import require_tool, serve_under_sub_path
from tests.helpers import FIXTURES, REPO, branded_fixture, make_project, run_cli
from tests.test_accessibility import describe_violations, find_axe, run_axe, with_axe

BASIC = (FIXTURES / "basic" / "site.toml").read_text(encoding="utf-8")
LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 20"><rect width="40" height="20" fill="#1d4f91"/></svg>\n')


def branded(tmp_path: Path, brand: str, files: dict | None = None) -> Path:
    """The basic fixture with `brand` as the body of its [brand] table (from line 9 of site.toml)."""
    return make_project(tmp_path, files={"site.toml": f"{BASIC}\n[brand]\n{brand}", "content/brand/logo.svg": LOGO,
                                         **(files or {})})


def config_errors(project: Path) -> list[str]:
    """What loading the project's site.toml reports."""
    with pytest.raises(BuildFailed) as caught:
        load_config(project)
    return [str(error) for error in caught.value.errors]


def test_the_basic_site_toml_has_seven_lines():
    assert BASIC.count("\n") == 7  # so [brand] is line 9 and its first key line 10, as the messages below say


# ---- Colours -----------------------------------------------------------------------------------------------------

def test_contrast_is_the_wcag_ratio():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#0b5468", "#fbfaf7") == pytest.approx(8.1, abs=0.1)  # the default theme's own accent


def test_a_low_contrast_accent_is_an_error_naming_the_ratio_and_a_colour_that_passes(tmp_path):
    project = branded(tmp_path, 'accent = "#f2a900"\n')
    errors = config_errors(project)
    assert errors == ["site.toml:10: 'accent' #f2a900 gives links on its soft shade #faf0d9 a contrast of 1.77:1 in the light "
                      "scheme; text needs at least 4.5:1 (the nearest colour of the same hue that passes is #8b6100)"]
    # The colour offered passes, keeps the hue, and is the nearest: one step lighter fails.
    light = load_theme(project / "themes", "default").light
    assert worst_pair(shades_of("#8b6100", light), light)[0] >= 4.5
    (project / "site.toml").write_text(f'{BASIC}\n[brand]\naccent = "#8b6100"\n')
    assert load_config(project).brand.light.accent == "#8b6100"


def test_a_dark_accent_is_checked_against_the_dark_backgrounds(tmp_path):
    errors = config_errors(branded(tmp_path, 'accent = "#1d4f91"\naccent_dark = "#1d4f91"\n'))
    assert len(errors) == 1 and errors[0].startswith("site.toml:11: 'accent_dark' #1d4f91 gives ")
    assert "in the dark scheme" in errors[0]


def test_without_accent_dark_the_accent_is_lightened_as_little_as_the_dark_scheme_needs(tmp_path):
    brand = load_config(branded(tmp_path, 'accent = "#1d4f91"\n')).brand
    dark = load_theme(tmp_path / "project/themes", "default").dark
    assert brand.dark.accent == nearest_passing("#1d4f91", dark)
    assert worst_pair(brand.dark, dark)[0] >= 4.5 and brand.light.accent == "#1d4f91"
    assert brand.light.hover != brand.light.accent and brand.light.soft != brand.light.accent


@pytest.mark.parametrize(("brand", "expected"), [
    ('accent = "blue"\n', "site.toml:10: 'accent' must be a colour like \"#0b5468\", got 'blue'"),
    ('accent = "#abc"\n', "site.toml:10: 'accent' must be a colour like \"#0b5468\", got '#abc'"),
    ('accent_dark = "#99ccff"\n', "site.toml:10: 'accent_dark' is set without 'accent'"),
    ('acent = "#1d4f91"\n', "site.toml:10: unknown key 'acent' in [brand] (did you mean 'accent'?)"),
    ('show_title = "no"\n', "site.toml:10: 'show_title' must be true or false, got 'no'"),
])
def test_each_bad_value_is_an_error_at_its_line(tmp_path, brand, expected):
    assert config_errors(branded(tmp_path, brand))[0].startswith(expected)


def test_a_theme_without_colours_cannot_check_an_accent(tmp_path):
    project = branded(tmp_path, 'accent = "#1d4f91"\n', {"themes/default/theme.toml": "# no colours\n"})
    assert config_errors(project) == ["site.toml:10: theme 'default' names no light colours to check 'accent' against "
                                      "(add [colours.light] to themes/default/theme.toml)"]


def test_the_colours_stylesheet_leaves_print_alone(tmp_path):
    project = branded(tmp_path, 'accent = "#8a1c4a"\n')
    assert run_cli(project).returncode == 0
    css = (project / "output/static/brand/colours.css").read_text()
    assert "@media screen {" in css and "@media screen and (prefers-color-scheme: dark)" in css and "--accent: #8a1c4a;" in css
    assert '<link rel="stylesheet" href="../../static/brand/colours.css">' in (project / "output/briefings/first/index.html").read_text()


# ---- Logo and favicons -------------------------------------------------------------------------------------------

def test_a_logo_needs_a_text_alternative(tmp_path):
    assert config_errors(branded(tmp_path, 'logo = "content/brand/logo.svg"\n')) == [
        "site.toml:10: 'logo_alt' is missing: a logo needs a text alternative "
        "(add logo_alt = \"the name the logo shows\", e.g. logo_alt = \"Diamond Watch\")"]


@pytest.mark.parametrize(("logo", "expected"), [
    ("/etc/passwd.svg", "'logo': '/etc/passwd.svg' must be a path inside the project"),
    ("../outside.svg", "'logo': '../outside.svg' must be a path inside the project"),
    ("content/brand/missing.svg", "'logo': 'content/brand/missing.svg' does not exist"),
    ("content/brand/logo.gif", "'logo' must name an .svg, .png or .webp file, got 'content/brand/logo.gif'"),
    ("content/brand/link.svg", "'logo': cannot read 'content/brand/link.svg': Too many levels of symbolic links"),
])
def test_a_logo_outside_the_project_or_not_a_regular_image_file_is_refused(tmp_path, logo, expected):
    project = branded(tmp_path, f'logo = "{logo}"\nlogo_alt = "Us"\n')
    (project / "content/brand/link.svg").symlink_to(project / "content/brand/logo.svg")
    assert config_errors(project)[0].startswith(f"site.toml:10: {expected}")


def test_a_bitmap_that_is_not_what_its_name_says_is_refused(tmp_path):
    project = branded(tmp_path, 'logo = "content/brand/logo.png"\nlogo_alt = "Us"\n',
                      {"content/brand/logo.png": b"GIF89a" + b"\0" * 64})
    assert config_errors(project)[0].startswith("content/brand/logo.png:1: ")


def test_an_svg_logo_is_copied_sanitised_and_is_the_svg_favicon(tmp_path):
    project = branded(tmp_path, 'logo = "content/brand/logo.svg"\nlogo_alt = "Us"\nshow_title = false\n',
                      {"content/brand/logo.svg": LOGO.replace("<rect", "<!-- a note -->\n<rect")})
    assert run_cli(project).returncode == 0
    output = project / "output"
    assert b"a note" not in (output / "static/brand/logo.svg").read_bytes()
    page = (output / "issues/alpha/index.html").read_text()
    assert '<img class="site-logo" src="../../static/brand/logo.svg" width="40" height="20" alt="Us">' in page
    assert '<span class="site-name">' not in page  # show_title = false: the logo alone, named by its alt text
    assert '<link rel="icon" href="../../static/brand/favicon.svg" type="image/svg+xml">' in page
    assert (output / "static/brand/favicon.svg").read_bytes() == (output / "static/brand/logo.svg").read_bytes()
    assert "og:image" not in page  # no bitmap to share


def test_a_bitmap_logo_gives_the_png_favicon_set_and_the_open_graph_image(tmp_path):
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGBA", (300, 100), (138, 28, 74, 255)).save(picture, format="WEBP")
    project = branded(tmp_path, 'logo = "content/brand/logo.webp"\nlogo_alt = "Us"\n', {"content/brand/logo.webp": picture.getvalue()})
    assert run_cli(project).returncode == 0
    output = project / "output"
    for name, size in (("favicon-16.png", 16), ("favicon-32.png", 32), ("favicon-48.png", 48),
                       ("apple-touch-icon.png", 180), ("icon-192.png", 192), ("icon-512.png", 512)):
        with Image.open(output / "static/brand" / name) as icon:
            assert (icon.format, icon.size) == ("PNG", (size, size))
    with Image.open(output / "static/brand/icon-512.png") as icon:
        assert icon.getpixel((256, 0))[3] == 0 and icon.getpixel((256, 256))[:3] == (138, 28, 74)  # centred, not stretched
    with Image.open(output / "static/brand/apple-touch-icon.png") as icon:
        assert icon.getpixel((90, 0)) == (255, 255, 255, 255)  # iOS shows transparency as black: white instead
    home = (output / "index.html").read_text()
    assert '<meta property="og:image" content="https://fixture.example/watch/static/brand/logo.webp">' in home
    assert '<meta property="og:image:alt" content="Us">' in home
    assert '<link rel="apple-touch-icon" href="static/brand/apple-touch-icon.png" sizes="180x180">' in home
    assert (output / "static/brand/logo.webp").read_bytes() == picture.getvalue()


# ---- Footer and links --------------------------------------------------------------------------------------------

def test_footer_markdown_is_rendered_and_links_get_their_labels(tmp_path):
    project = branded(tmp_path, 'footer = "Run by *Us*. [Write](mailto:desk@us.example)."\n'
                                'links = [\n  { label = "Mastodon", url = "https://social.us.example/@us" },\n'
                                '  { label = "Phone", url = "tel:+32 2 555 01 23" },\n]\n')
    assert run_cli(project).returncode == 0
    page = (project / "output/briefings/first/index.html").read_text()
    assert '<div class="brand-footer"><p>Run by <em>Us</em>. <a href="mailto:desk@us.example">Write</a>.</p></div>' in page
    assert '<li><a href="https://social.us.example/@us" rel="me">Mastodon</a></li>' in page
    assert '<li><a href="tel:+32 2 555 01 23">Phone</a></li>' in page


@pytest.mark.parametrize(("brand", "expected"), [
    ('links = [\n  { label = "Site", url = "https://us.example/" },\n  { label = "Evil", url = "javascript:alert(1)" },\n]\n',
     "site.toml:12: the link 'Evil' has an unsafe or unknown kind of address 'javascript:alert(1)' (use https://, http://, mailto: or tel:)"),
    ('[[brand.links]]\nlabel = "Data"\nurl = "data:text/html,<script>alert(1)</script>"\n',
     "site.toml:10: the link 'Data' has an unsafe or unknown kind of address"),
    ('links = [{ label = "", url = "https://us.example/" }]\n', "site.toml:10: a link's label must be text of 1 to 60 characters"),
    ('links = [{ label = "Us", url = "https://us.example/", icon = "x" }]\n', "site.toml:10: each of 'links' must have exactly a label and a url"),
    ('links = [{ label = "Us", url = "about/index.html" }]\n', "site.toml:10: the link 'Us' has an unsafe or unknown kind of address"),
    ('links = "https://us.example/"\n', "site.toml:10: 'links' must be a list of {label, url}"),
    ('footer = "Hi <script>alert(1)</script>"\n', "site.toml:10: 'footer': <script> element is not allowed"),
    ('footer = "[About](about.md)"\n', "site.toml:10: the footer's link 'about.md' must be a full address"),
    ('footer = "# Contact"\n', "site.toml:10: 'footer' may hold short text, lists and links only"),
])
def test_unsafe_links_and_footers_are_refused_at_their_line(tmp_path, brand, expected):
    assert config_errors(branded(tmp_path, brand))[0].startswith(expected)


# ---- The branded fixture, as a reader sees it -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def branded_site(tmp_path_factory) -> Path:
    """The branded fixture built once into a folder, as it is opened from disk."""
    root = tmp_path_factory.mktemp("branded")
    project = branded_fixture(root)
    build_site(BuildOptions(project=project, output=root / "site", use_cache=False))
    return root / "site"


@pytest.fixture(scope="module")
def branded_served(tmp_path_factory) -> str:
    """The branded fixture built for and served under /briefings-site/, as on GitHub Pages; gives its base URL."""
    root = tmp_path_factory.mktemp("branded-served")
    project = branded_fixture(root)
    with serve_under_sub_path(root / "site", lambda base_url: build_site(
            BuildOptions(project=project, output=root / "site", base_url=base_url, use_cache=False))) as base_url:
        yield base_url


def test_the_override_and_the_inherited_parts_both_appear(branded_site):
    project_style = (REPO / "themes/default/static/style.css").read_bytes()
    assert (branded_site / "static/style.css").read_bytes().startswith(project_style)  # the child's copy won
    assert (branded_site / "static/style.css").read_bytes() != project_style
    assert (branded_site / "static/search.js").read_bytes() == (REPO / "themes/default/static/search.js").read_bytes()
    for path in ("index.html", "briefings/first/index.html", "issues/alpha/index.html", "people/index.html"):
        page = (branded_site / path).read_text()
        assert '<p class="campaign-banner wrap">Vote on the reform on 12 June.</p>' in page, path
        assert '<nav class="site-nav" aria-label="Main">' in page and 'class="site-logo"' in page, path
        assert '<nav class="brand-links" aria-label="Contact and follow">' in page, path
    for name in ("favicon-16.png", "favicon-32.png", "favicon-48.png", "apple-touch-icon.png", "icon-192.png", "icon-512.png"):
        assert (branded_site / "static/brand" / name).stat().st_size > 0


@pytest.fixture(scope="module")
def browser_tabs(chromium, branded_site, branded_served):
    """A browser context per colour scheme that refuses every request outside the two copies of the site."""
    allowed = (branded_site.as_uri(), branded_served)
    contexts = {}
    for scheme in ("light", "dark"):
        context = with_axe(chromium.new_context(color_scheme=scheme))
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(allowed) else route.abort())
        contexts[scheme] = context
    yield contexts
    for context in contexts.values():
        context.close()


def logo_state(page) -> dict:
    """Whether the header's logo loaded, and how large it shows."""
    return page.evaluate("""() => { const img = document.querySelector('.site-logo');
        const box = img.getBoundingClientRect();
        return {loaded: img.complete && img.naturalWidth > 0, width: box.width, height: box.height}; }""")


@pytest.mark.parametrize("where", ["disk", "sub-path"])
@pytest.mark.parametrize("path", ["index.html", "briefings/first/index.html", "briefings/page/2/index.html"])
def test_the_logo_and_favicon_load_from_disk_and_under_a_sub_path(browser_tabs, branded_site, branded_served, where, path):
    root = branded_site.as_uri() + "/" if where == "disk" else branded_served
    page = browser_tabs["light"].new_page()
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    try:
        page.goto(root + path, wait_until="load")
        state = logo_state(page)
        assert state["loaded"] and state["height"] > 20, state
        favicon = page.evaluate("() => document.querySelector('link[rel=icon][sizes=\"32x32\"]').href")
        assert favicon == root + "static/brand/favicon-32.png"
        assert page.request.get(favicon).ok if where == "sub-path" else Path(favicon.removeprefix("file://")).is_file()
        assert failed == []
        accent = page.evaluate("() => getComputedStyle(document.querySelector('.brand-links a')).color")
        assert accent == "rgb(138, 28, 74)"  # the fixture's accent, #8a1c4a
    finally:
        page.close()


def test_print_shows_the_logo_and_the_brand_footer(browser_tabs, branded_site):
    page = browser_tabs["light"].new_page()
    try:
        page.goto((branded_site / "briefings/first/index.html").as_uri(), wait_until="load")
        page.emulate_media(media="print")
        shown = page.evaluate("""() => ({
            logo: getComputedStyle(document.querySelector('.site-logo')).display,
            footer: getComputedStyle(document.querySelector('.brand-footer')).display,
            built: getComputedStyle(document.querySelector('.built-with')).display,
            nav: getComputedStyle(document.querySelector('.site-nav')).display})""")
        assert shown == {"logo": "block", "footer": "block", "built": "none", "nav": "none"}
        assert logo_state(page)["loaded"]
    finally:
        page.close()


BRANDED_PAGES = ("index.html", "briefings/first/index.html", "issues/alpha/index.html", "people/index.html", "search/index.html")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", BRANDED_PAGES)
def test_branded_pages_have_no_axe_violations(browser_tabs, branded_site, scheme, path):
    script = find_axe()
    require_tool(script is not None and script.is_file(), f"axe-core ({script})", "run `bash .ci/setup` (npm package axe-core)")
    page = browser_tabs[scheme].new_page()
    try:
        page.goto((branded_site / path).as_uri(), wait_until="load")
        violations = run_axe(page, script)
        assert not violations, f"{path} ({scheme}):\n" + describe_violations(violations)
    finally:
        page.close()
