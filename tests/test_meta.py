"""Tests the strict front matter reader: exact positions, refused YAML features, literal values."""
import pytest

from broadside.meta import FrontMatterError, parse_document


def error_of(text: str) -> str:
    with pytest.raises(FrontMatterError) as caught:
        parse_document(text, "content/x.md")
    return str(caught.value.error)


def test_values_stay_literal_text_with_their_lines():
    document = parse_document("---\ntitle: Hello\ncountry: NO\nslug: 0123\nversion: 1.10\ntime: 12:30\n---\nBody\n", "x.md")
    assert {k: v.data for k, v in document.meta.items()} == {
        "title": "Hello", "country": "NO", "slug": "0123", "version": "1.10", "time": "12:30"}
    assert document.meta["country"].line == 3
    assert document.body == "Body\n" and document.body_line == 8


def test_unterminated_quote_points_at_the_quote():
    assert error_of('---\ntitle: "Budget cuts\n---\n').startswith("content/x.md:2:8: invalid YAML")


def test_unquoted_colon_says_quote_the_value():
    message = error_of("---\ntitle: Breaking: cuts\n---\n")
    assert message.startswith("content/x.md:2:16: ") and "quote the value" in message


def test_hash_in_a_plain_value_warns_that_text_was_cut():
    document = parse_document("---\ntitle: Update #2 (new)\n---\n", "content/x.md")
    assert document.meta["title"].data == "Update"
    assert [str(w) for w in document.warnings] == [
        "content/x.md:2: warning: the text after ' #' is a YAML comment and was left out of 'Update' "
        "(put the whole value in quotes to keep it)"]


def test_a_quoted_hash_is_kept_without_warning():
    document = parse_document('---\ntitle: "Update #2"\n---\n', "x.md")
    assert document.meta["title"].data == "Update #2" and not document.warnings


def test_tab_indentation_is_reported_at_its_line():
    assert error_of("---\nsource:\n\tauthor: x\n---\n").startswith("content/x.md:3:1: a tab character")


def test_unclosed_front_matter():
    assert error_of("---\ntitle: x\n\nBody\n") == (
        "content/x.md:1: front matter opened on line 1 is never closed (add a line '---' after the last key)")


@pytest.mark.parametrize("text", ["---\n- a\n---\n", "---\njust text\n---\n", "---\n---\n"])
def test_front_matter_must_be_a_mapping(text):
    assert "front matter must be a mapping" in error_of(text)


def test_missing_front_matter():
    assert "does not start with front matter" in error_of("Just a body\n")


def test_leading_blank_lines_keep_line_numbers_exact():
    assert error_of('\n\n---\ntitle: ok\nx: "bad\n---\n').startswith("content/x.md:5:4:")


def test_duplicate_keys_name_both_lines():
    assert error_of("---\ntitle: A\ntitle: B\n---\n").startswith(
        "content/x.md:3:1: duplicate key 'title' (first on line 2)")


def test_anchors_and_aliases_are_refused_before_building_anything():
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n---\n"
    assert "content/x.md:2:4: YAML anchors/aliases are not allowed" in error_of(bomb)


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['true']", "!!binary aGk=", "!foo bar"])
def test_tags_are_refused(tag):
    assert "unsupported YAML tag" in error_of(f"---\nx: {tag}\n---\n")


@pytest.mark.parametrize("depth", [11, 1000, 100_000])
def test_deep_nesting_is_refused(depth):
    assert "nesting deeper than 10 levels" in error_of("---\nx: " + "[" * depth + "]" * depth + "\n---\n")


def test_nesting_within_the_limit_is_fine():
    parse_document("---\nx: " + "[" * 9 + "]" * 9 + "\n---\n", "x.md")


def test_null_values_are_none_but_quoted_ones_are_text():
    document = parse_document("---\na: ~\nb:\nc: '~'\nd: null\n---\n", "x.md")
    assert [document.meta[k].data for k in "abcd"] == [None, None, "~", None]
