"""Tests the text form on real-world dumps: labels, page leftovers, datelines, bylines anywhere, made-up titles, dates."""
from __future__ import annotations

import pytest

from broadside.importer.dates import BadDate, check_date, match_date, shown_date
from broadside.importer.leftovers import is_label, leftover_reason
from broadside.importer.text import parse_seed
from broadside.model import Source

BODY = "The Kimberley Process met in Dubai on Tuesday.\n\nCivil society asked for a wider definition of conflict diamonds."


@pytest.mark.parametrize("label", ["Exclusive", "News", "Opinion", "Breaking", "Analysis", "Press release", "WORLD"])
def test_a_label_above_the_headline_is_not_the_title(label):
    for text in (f" date 2021-06-28 {label}\nThe real headline\n\n{BODY}", f"{label}\n 28 June 2021\n"):
        if text.startswith(label):
            text = f" date 2021-06-28 {label}\n\nThe real headline\n\n{BODY}"
        article = parse_seed(text, "x")
        assert (article.title, article.label) == ("The real headline", label)
        assert len(article.paragraphs) == 2


def test_a_date_line_or_a_paywall_appeal_is_never_the_headline():
    text = f"15 december 2017\nSubscribe now to continue reading\nKP plenary ends without agreement\n\n{BODY}"
    article = parse_seed(text, "x")
    assert (article.title, article.date, article.date_origin) == ("KP plenary ends without agreement", "2017-12-15",
                                                                 "line 1")
    assert [(item.line, item.reason) for item in article.left_out] == [(2, "paywall")]


@pytest.mark.parametrize("line, reason", [
    ("Share this", "share line"), ("Read more", "read more"), ("Related articles", "related articles"),
    ("We use cookies to give you the best experience. Accept all cookies", "cookie notice"),
    ("Miners at work in Marange. Photo: Example Agency", "photo credit"), ("Skip to main content", "menu"),
    ("Home > News > Africa", "menu"), ("Advertisement", "advertisement"), ("Subscribe now to read on", "paywall"),
    ("Comment Comment Email Email Print Print Share Share", "share line"), ("4 MIN READ", "menu"),
])
def test_page_leftovers_are_left_out_and_reported(line, reason):
    article = parse_seed(f" date 2021-06-28 Headline\n\n{BODY}\n\n{line}\n", "x")
    assert len(article.paragraphs) == 2
    assert [(item.line, item.text, item.reason) for item in article.left_out] == [(7, line, reason)]
    kept = parse_seed(f" date 2021-06-28 Headline\n\n{BODY}\n\n{line}\n", "x", keep_all=True)
    assert kept.paragraphs[-1] == line and kept.left_out == ()


@pytest.mark.parametrize("line", ["Countries that subscribe to the Kimberley Process agreed.",
                                  "The photo of the mine was taken in 2009 by villagers.", "Home truths about diamonds"])
def test_article_text_that_looks_a_little_like_a_leftover_stays(line):
    assert leftover_reason(line) == ""


def test_related_teasers_and_repeats_are_left_out():
    text = (f" date 2021-06-28 Headline\n\n{BODY}\n\nHeadline\n\nRelated articles\nKP meets in Dubai\n\n"
            "Botswana hosts the KP\n")
    article = parse_seed(text, "x")
    assert [item.reason for item in article.left_out] == ["repeats the title"] + ["related articles"] * 3
    assert len(article.paragraphs) == 2


def test_a_dateline_stays_in_the_first_paragraph_and_names_the_agency():
    text = " date 2016-06-06 Exports resume\n\nBANGUI, June 6 (Reuters) - Exports will restart.\n\nMore text.\n"
    article = parse_seed(text, "x")
    assert article.paragraphs[0] == "BANGUI, June 6 (Reuters) - Exports will restart."
    assert article.byline == Source(publication="Reuters")
    signed = parse_seed(text + "\nJane Roe, Daily Example\n", "x")
    assert signed.byline == Source(author="Jane Roe", publication="Daily Example")  # the byline wins


def test_a_dateline_in_the_headline_slot_makes_the_title_from_the_lead():
    article = parse_seed(" date 2021-06-28 HARARE - Police raided the diamond fields on Monday. More followed.\n"
                         "\nSecond paragraph.\n", "x")
    assert article.title == "Police raided the diamond fields on Monday" and article.title_made_up
    assert article.paragraphs[0].startswith("HARARE - Police")


@pytest.mark.parametrize("ending", ["\n\nJane Roe, Reporter, Daily Example\n", "\nJane Roe, Reporter, Daily Example\n",
                                    "\nJane Roe, Reporter, Daily Example", "\n\nJane Roe, Reporter, Daily Example"])
def test_a_last_line_byline_with_or_without_blank_line_or_final_newline(ending):
    article = parse_seed(f" date 2021-06-28 Headline\n\n{BODY}{ending}", "x")
    assert article.byline == Source(author="Jane Roe", role="Reporter", publication="Daily Example")
    assert len(article.paragraphs) == 2


@pytest.mark.parametrize("line, expected", [
    ("Office of the Spokesperson, U.S. Department of State, AllAfrica",
     Source(author="Office of the Spokesperson", role="U.S. Department of State", publication="AllAfrica")),
    ("Mathew Nyaungwa, Editor in Chief of the African Bureau, Rough&Polished",
     Source(author="Mathew Nyaungwa", role="Editor in Chief of the African Bureau", publication="Rough&Polished")),
])
def test_bylines_whose_parts_have_full_stops_and_ampersands(line, expected):
    assert parse_seed(f" date 2021-06-28 Headline\n\n{BODY}\n{line}", "x").byline == expected


@pytest.mark.parametrize("line, expected", [
    ("By Jane Roe", Source(author="Jane Roe")), ("BY JANE ROE, Reuters", Source(author="JANE ROE", publication="Reuters")),
    ("by Peta Thornycroft | VOA", Source(author="Peta Thornycroft", publication="VOA")),
])
def test_a_by_line_at_the_top(line, expected):
    article = parse_seed(f" date 2021-06-28 Headline\n{line}\n\n{BODY}", "x")
    assert article.byline == expected and len(article.paragraphs) == 2


def test_an_author_is_never_made_up_from_a_body_sentence():
    for ending in ("Um trabalho de Carla Fernandes, jornalista da Deutsche Welle.", "Maarten Rabaey is journalist.",
                   "Additional reporting by Jane Roe, Reuters"):
        assert parse_seed(f" date 2021-06-28 Headline\n\n{BODY}\n\n{ending}\n", "x").byline is None


def test_no_headline_gives_a_title_made_from_the_first_sentence_cut_at_a_word():
    lead = ("The Kimberley Process Civil Society Coalition is planning to approach the United Nations over the "
            "impasse on the redefinition of conflict diamonds. It said so on Monday.")
    for text in (f" date 2021-06-28 {lead}\n\nMore.\n", f" date 2021-06-28\n\n{lead}\n\nMore.\n"):
        article = parse_seed(text, "x")
        assert article.title_made_up and article.title_origin == "made from the first sentence"
        assert len(article.title) <= 110 and article.title.endswith("…") and lead.startswith(article.title[:-1])
        assert article.paragraphs[0] == lead


@pytest.mark.parametrize("written, iso", [
    ("2024-01", "2024-01"), ("2024", "2024"), ("June 2009", "2009-06"), ("5th December 2011", "2011-12-05"),
    ("29 de agosto de 2008", "2008-08-29"), ("15 december 2017", "2017-12-15"), ("12.05.2013", "2013-05-12"),
    ("28 juin 2021", "2021-06-28"),
])
def test_dates_are_kept_as_precise_as_written(written, iso):
    assert parse_seed(f" date {written} Headline\n\nBody.\n", "x").date == iso
    assert match_date(written).iso == iso


def test_date_helpers():
    assert check_date("2024-02") == "2024-02" and shown_date("2024-02") == "February 2024" and shown_date("2024") == "2024"
    with pytest.raises(BadDate):
        check_date("2024-02-30")
    with pytest.raises(BadDate):
        check_date("yesterday")
    assert is_label("Press release") and is_label("BUSINESS & TECHNOLOGY") and not is_label("HARARE -")


def test_wrapped_lines_are_joined_and_paragraph_ends_found_without_blank_lines():
    text = (" date 2021-06-28 Headline\n\nCentral African Republic descended into chaos in March 2013\n"
            "when rebels seized power, triggering reprisals.\nMines Minister Leopold Mboli Fatrane said on\n"
            "state-owned radio that the ban would be lifted soon enough.\n")
    assert len(parse_seed(text, "x").paragraphs) == 2
    pasted = " date 2021-06-28 Headline\n\nFirst paragraph of a page.\nSecond paragraph of the page.\nThird one.\n"
    assert len(parse_seed(pasted, "x").paragraphs) == 3
