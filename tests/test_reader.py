"""Tests reading content/ into a Site: field types, dates, slugs, files refused, encodings, all errors at once."""
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from broadside.cache import inputs_digest
from broadside.config import load_config
from broadside.errors import BuildFailed
from broadside.reader import Readings, read_site
from tests.helpers import make_project
from tests.test_incremental import MANY

BRIEFING = "---\ntitle: T\ndate: 2021-06-28\nissues: [alpha]\n---\nBody\n"


def read(tmp_path, files=None, drafts=False):
    project = make_project(tmp_path, files=files)
    return read_site(project, load_config(project), drafts)


def errors(tmp_path, files):
    with pytest.raises(BuildFailed) as caught:
        read(tmp_path, files)
    return [str(error) for error in caught.value.errors]


def test_fixture_site_is_read_newest_first(tmp_path):
    site = read(tmp_path)
    assert [b.slug for b in site.briefings] == ["second", "third", "first"]
    assert [i.slug for i in site.issues] == ["alpha", "beta"]
    first = site.briefings[-1]
    assert first.title == "First briefing: alpha & beta" and first.issues == ("alpha", "beta")
    assert first.source.author == "Ada Example" and first.source.url == "https://news.example/first"
    assert site.issue("alpha").asks == ("Publish the alpha figures.", "Meet the coalition before the plenary.")
    assert site.warnings == ()


def test_every_bad_field_of_a_file_is_reported_in_one_pass(tmp_path):
    text = "---\ntitle: [a, b]\ndate: 2024-02-30\ndraft: yes\nissues: [alpha, nope]\ntitel: x\n---\n"
    assert errors(tmp_path, {"content/briefings/bad.md": text}) == [
        "content/briefings/bad.md:2: 'title' must be text, got a list (write title: \"...\" on one line)",
        "content/briefings/bad.md:3: invalid date '2024-02-30' (use YYYY-MM-DD[THH:MM±HH:MM])",
        "content/briefings/bad.md:4: 'draft' must be true or false, got 'yes' (write draft: true)",
        "content/briefings/bad.md:5:17: unknown issue 'nope' (known: alpha, beta)",
        "content/briefings/bad.md:6: unknown key 'titel' (did you mean 'title'?)",
    ]


@pytest.mark.parametrize("written, got", [("[true]", "a list"), ("{a: 1}", "a mapping")])
def test_a_flag_that_is_not_true_or_false_is_named_as_written(tmp_path, written, got):
    text = f"---\ntitle: x\ndate: 2024-02-03\ndraft: {written}\n---\n"
    assert errors(tmp_path, {"content/briefings/bad.md": text}) == [
        f"content/briefings/bad.md:4: 'draft' must be true or false, got {got} (write draft: true)"]


def test_missing_required_fields_and_empty_file(tmp_path):
    found = errors(tmp_path, {"content/briefings/a.md": "---\nsummary: s\n---\n", "content/briefings/b.md": ""})
    assert "content/briefings/a.md:3: 'title' is missing (add a line 'title: ...' to the front matter)" in found
    assert "content/briefings/a.md:3: 'date' is missing (add a line 'date: ...' to the front matter)" in found
    assert any(e.startswith("content/briefings/b.md:1: the file does not start with front matter") for e in found)


def test_errors_in_several_files_are_all_reported(tmp_path):
    files = {f"content/briefings/bad-{n}.md": "---\ntitle: x\ndate: nope\n---\n" for n in range(3)}
    assert len(errors(tmp_path, files)) == 3


def test_unknown_issue_suggests_the_closest(tmp_path):
    found = errors(tmp_path, {"content/briefings/x.md": BRIEFING.replace("[alpha]", "[alpah]")})
    assert found == ["content/briefings/x.md:4:10: unknown issue 'alpah' (did you mean 'alpha'? known: alpha, beta)"]


@pytest.mark.parametrize("written, expected", [
    ("2024-03-05", datetime(2024, 3, 5, tzinfo=ZoneInfo("Europe/Brussels"))),
    ("2024-03-05 10:00", datetime(2024, 3, 5, 10, tzinfo=ZoneInfo("Europe/Brussels"))),
    ("2024-03-05 10:00:00", datetime(2024, 3, 5, 10, tzinfo=ZoneInfo("Europe/Brussels"))),
    ("2024-03-05T10:00:00+02:00", datetime(2024, 3, 5, 9, tzinfo=ZoneInfo("Europe/Brussels"))),
    ("2024-03-05T10:00:00Z", datetime(2024, 3, 5, 11, tzinfo=ZoneInfo("Europe/Brussels"))),
])
def test_every_date_form_becomes_an_aware_time_in_the_site_timezone(tmp_path, written, expected):
    site = read(tmp_path, {"content/briefings/x.md": BRIEFING.replace("2021-06-28", written)})
    moment = next(b for b in site.briefings if b.slug == "x").date
    assert moment == expected and moment.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("written", ["2024-02-30", "2024-13-05", "March 5, 2024", "0001-01-01 00:00:00+02:00", "''"])
def test_impossible_dates_are_errors(tmp_path, written):
    found = errors(tmp_path, {"content/briefings/x.md": BRIEFING.replace("2021-06-28", written)})
    assert len(found) == 1 and found[0].startswith("content/briefings/x.md:3: ")


def test_norway_values_keep_their_text(tmp_path):
    site = read(tmp_path, {"content/briefings/x.md": BRIEFING.replace("title: T", "title: NO")})
    assert next(b for b in site.briefings if b.slug == "x").title == "NO"


@pytest.mark.parametrize("name", ["About Us.md", "Café.md", "x_y.md", "-lead.md", "a" * 81 + ".md"])
def test_file_names_must_be_slugs(tmp_path, name):
    found = errors(tmp_path, {f"content/briefings/{name}": BRIEFING})
    assert f"content/briefings/{name}:1: file name" in found[0] and "rename it to" in found[0]


@pytest.mark.parametrize("name", ["index", "page", "con", "nul", "aux", "lpt1"])
def test_reserved_names_are_refused(tmp_path, name):
    assert errors(tmp_path, {f"content/briefings/{name}.md": BRIEFING})[0].startswith(
        f"content/briefings/{name}.md:1: '{name}' is a reserved name")


@pytest.mark.parametrize("other", ["First.md", "Fi\u0301rst.md", "FIRST.md"])
def test_collisions_name_both_files(tmp_path, other):
    found = errors(tmp_path, {f"content/briefings/{other}": BRIEFING})
    assert any("content/briefings/first.md" in e and other in e for e in found), found


def test_symlinks_and_fifos_are_refused_without_reading_them(tmp_path):
    project = make_project(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("---\ntitle: CANARY\ndate: 2020-01-01\n---\n")
    (project / "content/briefings/leak.md").symlink_to(secret)
    (project / "content/briefings/loop.md").symlink_to(project / "content/briefings/loop.md")
    os.mkfifo(project / "content/briefings/pipe.md")
    (project / "content/issues/dir.md").symlink_to("/")
    with pytest.raises(BuildFailed) as caught:
        read_site(project, load_config(project))
    found = [str(e) for e in caught.value.errors]
    assert len(found) == 4 and all("symlinks/special files are not allowed in content/" in e for e in found)
    assert "CANARY" not in "".join(found)


def test_oversized_file_is_refused_before_reading(tmp_path):
    project = make_project(tmp_path)
    with open(project / "content/briefings/huge.md", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    with pytest.raises(BuildFailed) as caught:
        read_site(project, load_config(project))
    assert [str(e) for e in caught.value.errors] == [
        "content/briefings/huge.md:1: file is 50.0 MB; limit 2 MB (split it into several briefings)"]


def test_invalid_utf8_is_located(tmp_path):
    found = errors(tmp_path, {"content/briefings/x.md": "---\ntitle: caf\xe9\ndate: 2021-01-01\n---\n".encode("cp1252")})
    assert found == ["content/briefings/x.md:2:11: invalid UTF-8 byte 0xE9 (save the file as UTF-8 in your editor)"]


@pytest.mark.parametrize("char", ["\x00", "\x85", "\x1b"])
def test_control_characters_are_located(tmp_path, char):
    found = errors(tmp_path, {"content/briefings/x.md": f"---\ntitle: a{char}b\ndate: 2021-01-01\n---\n"})
    assert found[0].startswith(f"content/briefings/x.md:2:9: control character U+{ord(char):04X}")


def test_invisible_characters_in_a_title_warn(tmp_path):
    site = read(tmp_path, {"content/briefings/x.md": BRIEFING.replace("title: T", "title: T\u202eX")})
    assert [str(w) for w in site.warnings] == [
        "content/briefings/x.md:2: warning: 'title' contains the invisible character U+202E (delete it; it can reverse or hide text)"]


@pytest.mark.parametrize("variant", [
    lambda text: "\ufeff" + text,
    lambda text: text.replace("\n", "\r\n"),
    lambda text: text.replace("\n", "\r"),
    lambda text: text.replace("\n", "\r\n", 3).replace("\n", "\r", 2),
    lambda text: "\n\n" + text,
])
def test_bom_and_line_endings_read_the_same(tmp_path, variant):
    clean = read(tmp_path / "a", {"content/briefings/x.md": BRIEFING})
    other = read(tmp_path / "b", {"content/briefings/x.md": variant(BRIEFING)})
    assert clean.briefings == other.briefings


def test_drafts_are_held_back_unless_asked(tmp_path):
    files = {"content/briefings/x.md": BRIEFING.replace("---\nBody", "draft: true\n---\nBody")}
    site = read(tmp_path, files)
    assert "x" not in [b.slug for b in site.briefings] and site.held_back == ("content/briefings/x.md (draft)",)
    assert "x" in [b.slug for b in read(tmp_path / "d", files, drafts=True).briefings]


def test_source_url_must_be_http(tmp_path):
    text = BRIEFING.replace("---\nBody", "source:\n  url: javascript:alert(1)\n---\nBody")
    assert errors(tmp_path, {"content/briefings/x.md": text}) == [
        "content/briefings/x.md:6:8: 'url' must be an http(s) URL, got 'javascript:alert(1)' (write the full address, https://...)"]


def test_issue_without_briefings_warns(tmp_path):
    site = read(tmp_path, {"content/issues/gamma.md": "---\ntitle: Gamma\n---\n"})
    assert [str(w) for w in site.warnings] == [
        "content/issues/gamma.md:1: warning: issue 'gamma' has no briefings (add it to a briefing's 'issues' list, or remove the issue)"]


def test_future_briefings_are_held_back_until_their_day(tmp_path):
    from datetime import date
    project = make_project(tmp_path, files={"content/briefings/x.md": BRIEFING.replace("2021-06-28", "2021-07-01")})
    config = load_config(project)
    before = read_site(project, config, today=date(2021, 6, 30))
    assert "x" not in [b.slug for b in before.briefings]
    assert before.held_back == ("content/briefings/x.md (scheduled for 2021-07-01)",)
    assert "x" in [b.slug for b in read_site(project, config, today=date(2021, 7, 1)).briefings]
    preview = read_site(project, config, future=True, today=date(2021, 6, 30))
    assert preview.is_scheduled(next(b for b in preview.briefings if b.slug == "x"))


ENTITIES = ("countries: [ZW, CD, ZW]\norganisations: [Kimberley Process]\npeople: [Shamiso Mtisi]\n"
            "quotes:\n- text: It is time.\n  speaker: Shamiso Mtisi\n  role: CSC representative\n- text: Unknown.\n"
            "  speaker: ''\n")


def test_campaign_intelligence_fields_are_read(tmp_path):
    site = read(tmp_path, {"content/briefings/x.md": BRIEFING.replace("---\nBody", ENTITIES + "---\nBody")})
    briefing = next(b for b in site.briefings if b.slug == "x")
    assert briefing.countries == ("ZW", "CD") and briefing.organisations == ("Kimberley Process",)
    assert briefing.people == ("Shamiso Mtisi",)
    assert [(q.text, q.speaker, q.role) for q in briefing.quotes] == [
        ("It is time.", "Shamiso Mtisi", "CSC representative"), ("Unknown.", "", "")]
    assert next(b for b in site.briefings if b.slug == "third").countries == ()


@pytest.mark.parametrize("written, hint", [
    ("zw", "did you mean 'ZW' (Zimbabwe)?"),
    ("Zimbabwe", "did you mean 'ZW' (Zimbabwe)?"),
    ("UK", "did you mean 'GB' (United Kingdom)?"),
    ("DRC", "did you mean 'CD' (Democratic Republic of the Congo)?"),
    ("XX", "write ISO 3166-1 alpha-2 codes in capitals, e.g. ZW for Zimbabwe, CD for DR Congo"),
])
def test_countries_must_be_iso_codes(tmp_path, written, hint):
    text = BRIEFING.replace("---\nBody", f"countries:\n- ZA\n- {written}\n---\nBody")
    assert errors(tmp_path, {"content/briefings/x.md": text}) == [
        f"content/briefings/x.md:7:3: unknown country code '{written}' ({hint})"]


def test_organisations_are_checked_against_the_gazetteer_when_given_it(tmp_path):
    from broadside import fields
    from broadside.meta import parse_document

    document = parse_document("---\ntitle: T\ndate: 2021-06-28\norganisations: [Kimberly Process]\n---\n", "x.md")
    config = load_config(make_project(tmp_path))
    loose = fields.Context("x.md", config, frozenset(), [])
    assert fields.read_fields(document, fields.BRIEFING, loose)[0]["organisations"] == ("Kimberly Process",)
    strict = fields.Context("x.md", config, frozenset(), [], frozenset({"Kimberley Process"}))
    assert [str(p) for p in fields.read_fields(document, fields.BRIEFING, strict)[1]] == [
        "x.md:4:17: unknown organisation 'Kimberly Process' (did you mean 'Kimberley Process'?)"]


def test_an_unknown_organisation_in_a_briefing_is_a_located_error_with_a_suggestion(tmp_path):
    text = BRIEFING.replace("---\nBody", "organisations:\n- Fixture Coalition\n- Kimberly Process\n---\nBody")
    assert errors(tmp_path, {"content/briefings/x.md": text}) == [
        "content/briefings/x.md:7:3: unknown organisation 'Kimberly Process' (did you mean 'Kimberley Process'?)"]


def test_the_gazetteer_is_read_onto_the_site_and_is_optional(tmp_path):
    site = read(tmp_path)
    assert [(o.name, o.short_names) for o in site.gazetteer] == [("Kimberley Process", ("KP",)), ("Fixture Coalition", ("FC",))]
    project = make_project(tmp_path / "without")
    (project / "content/organisations.yaml").unlink()
    loose = read_site(project, load_config(project))  # names are not checked against a gazetteer there is not
    assert loose.gazetteer == () and [o.name for o in loose.organisations] == ["Fixture Coalition", "Kimberley Process"]


def test_a_broken_gazetteer_is_located_and_its_names_are_not_held_against_briefings(tmp_path):
    gazetteer = "organisations:\n- name: Kimberley Process\n  urls: https://x.example/\n"
    assert errors(tmp_path, {"content/organisations.yaml": gazetteer}) == [
        "content/organisations.yaml:3:9: unknown key 'urls' in 'organisation' (did you mean 'url'?)"]


def test_two_organisations_that_would_share_a_page_are_a_located_error(tmp_path):
    gazetteer = ("organisations:\n- name: Kimberley Process\n- name: Fixture Coalition\n- name: Fixture-Coalition\n")
    assert errors(tmp_path, {"content/organisations.yaml": gazetteer}) == [
        "content/organisations.yaml:4:9: 'Fixture-Coalition' and 'Fixture Coalition' (line 3) would share the page "
        "organisations/fixture-coalition/index.html (make the names differ in more than case, accents or punctuation)"]


def test_a_cached_reading_is_checked_again_when_the_gazetteer_changes(tmp_path):
    project = make_project(tmp_path)
    config, cache = load_config(project), Readings()
    read_site(project, config, cache=cache)
    assert "content/briefings/first.md" in cache and cache.checked
    (project / "content/organisations.yaml").write_text("organisations:\n- name: Kimberley Process\n")
    with pytest.raises(BuildFailed) as caught:
        read_site(project, config, cache=cache)
    assert [str(e) for e in caught.value.errors] == [
        "content/briefings/first.md:12:36: unknown organisation 'Fixture Coalition' (add it to content/organisations.yaml first)"]


def test_the_folders_the_inputs_digest_listed_are_not_listed_again(tmp_path, monkeypatch):
    """The reader takes the digest's listings, in whatever order the system gave them, and reads in name order."""
    project = make_project(tmp_path)
    for name in (".a-hidden.md", "b-notes.txt", "c-notes.txt"):  # each a warning, reported in name order
        (project / "content/briefings" / name).write_text("Not published.\n")
    config, listed = load_config(project), {}
    inputs_digest((), [project / "content"], [], listed)
    expected = read_site(project, config)
    monkeypatch.setattr(os, "scandir", lambda *_: pytest.fail("content/ listed again"))
    assert read_site(project, config, listed=listed) == expected and expected.briefings
    assert [warning.path for warning in expected.warnings][:3] == [
        "content/briefings/.a-hidden.md", "content/briefings/b-notes.txt", "content/briefings/c-notes.txt"]
    listed = {folder: entries[::-1] for folder, entries in listed.items()}  # as another system may list them
    assert read_site(project, config, listed=listed) == expected


def test_readings_from_workers_hold_the_strings_the_build_holds_not_copies(tmp_path):
    """Each reading a worker sends back names pages, issues and settings by the objects the build already holds, so
    that a large site holds one copy of each (the same string in many briefings is one object)."""
    project = make_project(tmp_path, files=MANY)
    readings = Readings()
    read_site(project, load_config(project), cache=readings, jobs=2)
    briefings = [reading for path, reading in readings.items() if path.startswith("content/briefings/gen-")]
    assert len(briefings) == 80
    assert len({id(reading.settings) for reading in readings.values()}) == 1
    # The pages each body's links reach, which it holds (its links themselves are packed with its text).
    linked = [target for reading in briefings for target in reading.item.body.link_checks[0] if target.startswith("issues/")]
    assert len(linked) == 80 and len(set(map(id, linked))) == 1
    assert len({id(slug) for reading in briefings for slug in reading.item.issues if slug == "alpha"}) == 1
    paths = {reading.item.source_path: reading.item.source_path for reading in briefings}
    assert all(source is paths[source] for reading in briefings for source, _ in reading.lookups if source in paths)
