"""Tests site.toml: defaults, overrides, and a located error for every wrong key."""
import pytest

from broadside.config import load_config
from broadside.errors import BuildFailed
from tests.helpers import make_project

GOOD = 'title = "T"\ndescription = "D"\n'


def config_errors(tmp_path, text):
    project = make_project(tmp_path, files={"site.toml": text})
    with pytest.raises(BuildFailed) as caught:
        load_config(project)
    return [str(e) for e in caught.value.errors]


def test_defaults_and_base_url_override(tmp_path):
    project = make_project(tmp_path, files={"site.toml": GOOD})
    config = load_config(project, base_url="https://user.github.io/repo")
    assert (config.language, config.timezone, config.theme, config.page_size) == ("en", "UTC", "default", 10)
    assert config.base_url == "https://user.github.io/repo/" and config.sanitize_html is True


def test_toml_syntax_error_is_located(tmp_path):
    assert config_errors(tmp_path, 'title = "T\ndescription = "D"\n')[0].startswith("site.toml:1:")


def test_unknown_key_suggests_the_closest(tmp_path):
    assert config_errors(tmp_path, GOOD + 'titel = "x"\n') == ["site.toml:3: unknown key 'titel' (did you mean 'title'?)"]


@pytest.mark.parametrize("line, expected", [
    ('theme = "../../etc"', "site.toml:3: theme must be a directory name under themes/, got '../../etc' (available: default)"),
    ('theme = "/"', "site.toml:3: theme must be a directory name under themes/, got '/' (available: default)"),
    ('base_url = "ftp://x"', "site.toml:3: 'base_url' must be an absolute http(s) URL, got 'ftp://x' (write base_url = \"https://example.org/\")"),
    ('timezone = "Mars/Olympus"', "site.toml:3: unknown timezone 'Mars/Olympus' (use a name like \"Europe/Brussels\" or \"UTC\")"),
    ("page_size = 0", "site.toml:3: 'page_size' must be a whole number from 1 to 1000, got 0 (write page_size = 10)"),
    ('sanitize_html = "no"', "site.toml:3: 'sanitize_html' must be true or false, got 'no' (write sanitize_html = true)"),
])
def test_wrong_values_are_located(tmp_path, line, expected):
    assert config_errors(tmp_path, GOOD + line + "\n") == [expected]


def test_missing_file_and_keys(tmp_path):
    assert config_errors(tmp_path, "") == [
        "site.toml: 'description' is missing (add description = \"...\")", "site.toml: 'title' is missing (add title = \"...\")"]


def test_cname_is_checked_and_written(tmp_path):
    from broadside.pipeline import BuildOptions, build_site

    assert config_errors(tmp_path / "a", GOOD + 'cname = "https://x.org/"\n')[0].startswith("site.toml:3: 'cname' must be a domain name")
    project = make_project(tmp_path / "b")
    (project / "site.toml").write_text((project / "site.toml").read_text() + 'cname = "briefings.example.org"\n')
    build_site(BuildOptions(project=project, output=tmp_path / "out"))
    assert (tmp_path / "out/CNAME").read_text() == "briefings.example.org\n"
