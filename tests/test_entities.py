"""Tests extracting campaign intelligence: quotations and speakers, countries, organisations, people, and the gazetteer."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from broadside.entities import (extract_entities, extract_people, extract_quotes, join_continued, read_quotation,
                                split_quotes)
from broadside.names import (AMBIGUOUS_DEMONYMS, COUNTRY_ALIASES, DEMONYMS, country_code, extract_countries,
                             extract_organisations)
from broadside.errors import BuildFailed
from broadside.fields import parse_gazetteer
from broadside.importer.text import parse_seed
from broadside.model import Organisation, Quote

REPO = Path(__file__).resolve().parents[1]
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "broadside-hypothesis")  # never .hypothesis/ in the repository
SEED = parse_seed((REPO / "seeds" / "000_0cbb3836fd1dea7a.txt").read_text(encoding="utf-8"), "seed")
GAZETTEER = parse_gazetteer((REPO / "content" / "organisations.yaml").read_text(encoding="utf-8"))
KP = (Organisation("Kimberley Process", ("KP",)),
      Organisation("Kimberley Process Civil Society Coalition", ("CSC", "KP Civil Society Coalition")),
      Organisation("United Nations", ("UN",)), Organisation("Global Witness"))


def quotes(*paragraphs: str) -> list[tuple[str, str, str]]:
    """Return (text, speaker, role) of each quotation in the paragraphs."""
    return [(quote.text, quote.speaker, quote.role) for quote in extract_quotes(paragraphs)]


def attributions(*paragraphs: str) -> list[str | None]:
    """Return, per block, the attribution written beside its quotation ('' none), or None when it is no quotation."""
    blocks = join_continued([split_quotes(paragraph) for paragraph in paragraphs])
    return [found.who if (found := read_quotation(block)) else None for block in blocks]


# --- the real seed ----------------------------------------------------------------------------


def test_seed_has_five_quotations_all_by_shamiso_mtisi():
    found = extract_quotes(SEED.paragraphs)
    assert len(found) == 5
    assert {quote.speaker for quote in found} == {"Shamiso Mtisi"}
    assert {quote.role for quote in found} == {"CSC representative"}
    assert found[0].text == ("It is time the UN directly intervenes in this important matter and prescribes "
                             "the KP what to do.")
    assert found[3].text.startswith("This is making the KP guilty by inaction") and found[3].text.endswith("conflict-free.")
    assert not any("despite efforts by Russia" in quote.text for quote in found)


def test_seed_two_quotations_say_who_three_carry_on_and_reported_speech_is_none():
    assert attributions(*SEED.paragraphs) == [
        None, None, "the CSC representative Shamiso Mtisi", "", "", None, "Mtisi", ""]
    assert SEED.paragraphs[5].startswith("He said despite efforts")


def test_seed_countries_organisations_and_people():
    found = extract_entities(SEED.title, SEED.paragraphs, GAZETTEER)
    assert found.countries == ("AO", "BW", "CD", "CN", "IN", "RU", "ZA", "ZW")
    assert {"Kimberley Process", "Kimberley Process Civil Society Coalition", "United Nations"} <= set(found.organisations)
    assert found.people == ("Shamiso Mtisi",)


# --- quotations -------------------------------------------------------------------------------


def test_two_people_with_the_same_surname_stay_distinct_and_a_bare_surname_means_the_latest():
    found = quotes("“We will go to the UN,” said Shamiso Mtisi.",
                   "“That would be a mistake,” said Deputy Minister Tendai Mtisi.",
                   "“We disagree,” said Mtisi.",
                   "Shamiso Mtisi left the room.",
                   "“It is settled,” said Mtisi.")
    assert found == [("We will go to the UN.", "Shamiso Mtisi", ""),
                     ("That would be a mistake.", "Tendai Mtisi", "Deputy Minister"),
                     ("We disagree.", "Tendai Mtisi", "Deputy Minister"),
                     ("It is settled.", "Shamiso Mtisi", "")]
    assert extract_people(extract_quotes(("“A,” said Shamiso Mtisi.", "“B,” said Tendai Mtisi."))) == (
        "Shamiso Mtisi", "Tendai Mtisi")


def test_a_full_name_mentioned_without_a_quotation_counts_for_a_later_surname():
    found = quotes("“We will win,” said Shamiso Mtisi.", "Tendai Mtisi, the deputy minister, disagreed.",
                   "“That is false,” said Mtisi.")
    assert [speaker for _, speaker, _ in found] == ["Shamiso Mtisi", "Tendai Mtisi"]


def test_a_surname_before_any_full_name_takes_it_only_when_one_person_fits():
    assert quotes("“Early,” said Mtisi.", "Later, Shamiso Mtisi spoke again.")[0][1] == "Shamiso Mtisi"
    found = quotes("“Early,” said Mtisi.", "Shamiso Mtisi and Tendai Mtisi spoke later.")
    assert found[0][1] == "Mtisi"  # two people fit: left for a person to decide


def test_a_quotation_spanning_paragraphs_is_one():
    found = quotes("“The first part runs on.", "“The second part ends it,” said Jane Roe, a spokesperson for Global Witness.",
                   "“A new quotation.”")
    assert found == [("The first part runs on. The second part ends it.", "Jane Roe", "spokesperson for Global Witness"),
                     ("A new quotation.", "Jane Roe", "spokesperson for Global Witness")]


def test_an_unclosed_quotation_followed_by_plain_text_stays_one_paragraph():
    assert quotes("“Never closed, said nobody.", "Plain text follows.") == [("Never closed, said nobody.", "", "")]


def test_a_quotation_with_no_speaker_before_it_is_kept_without_one():
    assert quotes("“Nobody says who said this.”", "“Nor this.”") == [
        ("Nobody says who said this.", "", ""), ("Nor this.", "", "")]


def test_carrying_on_stops_at_any_other_paragraph():
    found = quotes("“One,” said Jane Roe.", "The meeting went on.", "“Two.”", "“Three,” she said.")
    assert found == [("One.", "Jane Roe", ""), ("Two.", "", ""), ("Three.", "", "")]


def test_a_pronoun_right_after_a_named_quotation_carries_on():
    assert quotes("“One,” said Jane Roe.", "“Two,” she added.")[1] == ("Two.", "Jane Roe", "")


@pytest.mark.parametrize("paragraph, expected", [
    ("“It is over,” according to Jane Roe of Global Witness.", ("It is over.", "Jane Roe", "")),
    ("According to Shamiso Mtisi, “the KP is failing.”", ("the KP is failing.", "Shamiso Mtisi", "")),
    ("Mtisi told Rough&Polished: “We will go to the UN.”", ("We will go to the UN.", "Mtisi", "")),
    ("“We will go,” Jane Roe told reporters on Monday.", ("We will go.", "Jane Roe", "")),
    ("“Quote one,” Jane Roe, a spokesperson for Global Witness, said in a statement.",
     ("Quote one.", "Jane Roe", "spokesperson for Global Witness")),
    ('"Straight quotes," said Mr. John Smith on Monday.', ("Straight quotes.", "John Smith", "")),
    ("“Full stop inside.” Jane Roe said.", ("Full stop inside.", "Jane Roe", "")),
    ("“We will,” said Jane Roe, “fight on.”", ("We will fight on.", "Jane Roe", "")),
    ("“Quote,” said the coalition’s head, Shamiso Mtisi.", ("Quote.", "Shamiso Mtisi", "coalition’s head")),
    ("“Quote,” said Mines Minister Winston Chitando.", ("Quote.", "Winston Chitando", "Mines Minister")),
    ("“Quote,” said Maria da Silva.", ("Quote.", "Maria da Silva", "")),
    ("“Quote,” a spokesperson said.", ("Quote.", "", "spokesperson")),
    ("“Quote,” said Jane Roe, who has led the coalition since it was founded and speaks for all of its members.",
     ("Quote.", "Jane Roe", "")),
    ("«Guillemets», said Jean Dupont.", ("Guillemets", "Jean Dupont", "")),  # nothing added to what was quoted
])
def test_attribution_forms(paragraph, expected):
    assert quotes(paragraph) == [expected]


@pytest.mark.parametrize("paragraph", [
    "He said despite efforts by Russia, there was resistance.",
    "The minister said the KP was “guilty by inaction” and left.",
    "“Blood Diamond”, the 2006 film, changed the debate.",
    "He said despite the efforts of Russia, “nothing changed” in Brussels.",
    "The coalition called the scheme “a fig leaf”.",
    "“”",
])
def test_reported_speech_scare_quotes_and_titles_are_no_quotations(paragraph):
    assert quotes(paragraph) == []


def test_people_are_speakers_that_are_neither_organisations_nor_countries():
    found = extract_quotes(("“A,” said Global Witness.", "“B,” said Zimbabwe.", "“C,” said Jane Roe."))
    assert [quote.speaker for quote in found] == ["Global Witness", "Zimbabwe", "Jane Roe"]
    assert extract_people(found, KP) == ("Jane Roe",)


# --- countries --------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("A woman in Oman", ("OM",)),
    ("Nigeria, not Niger", ("NE", "NG")),
    ("Nigeria alone", ("NG",)),
    ("Guinea-Bissau, Equatorial Guinea and Papua New Guinea", ("GQ", "GW", "PG")),
    ("Guinea on its own", ("GN",)),
    ("the Gulf of Guinea and New Guinea", ()),
    ("DRC, DR Congo, Democratic Republic of Congo, Democratic Republic of the Congo", ("CD",)),
    ("Republic of the Congo and Congo-Brazzaville", ("CG",)),
    ("Congo", ()),  # ISO's name for Brazzaville, and what many call Kinshasa: neither, unless said
    ("Zim and Zimbabwe's", ("ZW",)),
    ("Ivory Coast, Côte d’Ivoire, Cote d'Ivoire", ("CI",)),
    ("Russia and the Russian Federation", ("RU",)),
    ("the UK, the US, the USA and the U.S.", ("GB", "US")),
    ("the un and us and uk", ()),
    ("Türkiye or Turkey; not a turkey", ("TR",)),
    ("South Africa, Botswana, China, India, Angola", ("AO", "BW", "CN", "IN", "ZA")),
    ("New South Wales, New Mexico, the Indian Ocean, the Niger Delta and Latin America", ()),
    ("Northern Ireland and Ireland", ("GB", "IE")),
    ("Sudan and South Sudan", ("SD", "SS")),
])
def test_country_names_match_whole_words_longest_first(text, expected):
    assert extract_countries(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Zimbabwean, Angolan and South African officials", ("AO", "ZA", "ZW")),
    ("Zimbabweans and Angolans", ("AO", "ZW")),
    ("Batswana diamonds", ("BW",)),
    ("Russian and Chinese buyers", ("CN", "RU")),
    ("Congolese miners", ()),  # Kinshasa's or Brazzaville's: neither
    ("Korean and Dominican", ()),
    ("South Korean and North Korean", ("KP", "KR")),
    ("Equatorial Guinean and Bissau-Guinean and Papua New Guinean", ("GQ", "GW", "PG")),
    ("French-speaking countries and the Portuguese language", ()),
    ("the French delegation", ("FR",)),
])
def test_demonyms_count_where_unambiguous(text, expected):
    assert extract_countries(text) == expected


def test_every_listed_code_is_an_iso_code_and_every_alias_leads_to_it():
    for table in (COUNTRY_ALIASES, DEMONYMS):
        for code, names in table.items():
            assert pycountry.countries.get(alpha_2=code) is not None, code
            for name in names:
                assert country_code(name) == code, name
    for demonym, codes in AMBIGUOUS_DEMONYMS.items():
        assert len(codes) > 1 and country_code(demonym) is None


def test_country_code_reads_codes_names_and_aliases():
    assert [country_code(text) for text in ("zw", "ZWE", "zimbabwe", "Zim", "UK", "DR Congo", "Congo", "Atlantis")] == [
        "ZW", "ZW", "ZW", "ZW", "GB", "CD", None, None]


# --- organisations ----------------------------------------------------------------------------


def test_organisations_longest_name_wins_and_acronyms_match_in_capitals_only():
    assert extract_organisations("The KP Civil Society Coalition met.", KP) == ("Kimberley Process Civil Society Coalition",)
    assert extract_organisations("The KP Civil Society Coalition and the KP.", KP) == (
        "Kimberley Process", "Kimberley Process Civil Society Coalition")
    assert extract_organisations("un, Un and UNSC, KPs", KP) == ()
    assert extract_organisations("the UN-backed plan, GLOBAL WITNESS and global witness", KP) == (
        "Global Witness", "United Nations")
    assert extract_organisations("the KP", ()) == ()


def test_the_shipped_gazetteer_is_valid_and_knows_its_own_names():
    names = {organisation.name for organisation in GAZETTEER}
    assert {"Kimberley Process", "Kimberley Process Civil Society Coalition", "United Nations"} <= names
    for organisation in GAZETTEER:
        for written in (organisation.name, *organisation.short_names):
            assert extract_organisations(f"Said {written}.", GAZETTEER) == (organisation.name,), written
        assert not organisation.url or organisation.url.startswith("https://")


# --- the gazetteer's validation ---------------------------------------------------------------


def gazetteer_errors(text: str) -> list[str]:
    """Return the error lines parsing a gazetteer gives."""
    with pytest.raises(BuildFailed) as caught:
        parse_gazetteer(text)
    return [str(error) for error in caught.value.errors]


def test_gazetteer_problems_are_all_located():
    text = ("organisations:\n"
            "- name: Kimberley Process\n"
            "  short_names: [KP]\n"
            "- name: Knock-off Process\n"
            "  short_names: kp\n"
            "  url: ftp://example.org/\n"
            "- short_names: [X]\n"
            "- name: Global Witness\n"
            "  shortnames: [GW]\n"
            "- name: '(UN)'\n"
            "- name: Kimberley  process\n"
            "- name: Bad Link\n"
            "  url: javascript:alert(1)\n"
            "organisation: 1\n")
    path = "content/organisations.yaml"
    assert gazetteer_errors(text) == [
        f"{path}:5:16: 'kp' is already a name of 'Kimberley Process' (line 3) "
        "(each name and short name must lead to one organisation)",
        f"{path}:6:8: 'url' must be an absolute http(s) URL, got 'ftp://example.org/' (write the full address, https://...)",
        f"{path}:7:3: an organisation has no 'name' (add 'name: ...' to it)",
        f"{path}:9:15: unknown key 'shortnames' in 'organisation' (did you mean 'short_names'?)",
        f"{path}:10:3: '(UN)' must start with a letter or digit (write the name as it appears in articles)",
        f"{path}:11:9: 'Kimberley  process' is already a name of 'Kimberley Process' (line 2) "
        "(each name and short name must lead to one organisation)",
        f"{path}:13:8: 'url' must be an absolute http(s) URL, got 'javascript:alert(1)' (write the full address, https://...)",
        f"{path}:14:15: unknown key 'organisation' (did you mean 'organisations'?)",
    ]


@pytest.mark.parametrize("text, message", [
    ("- name: KP\n", "content/organisations.yaml:1: 'organisations' is missing"),
    ("", "content/organisations.yaml:1: 'organisations' is missing"),
    ("organisations: KP\n", "content/organisations.yaml:1:16: 'organisations' must be a list"),
    ("organisations:\n- name: A\n  name: B\n", "content/organisations.yaml:3:3: duplicate key 'name' (first on line 2)"),
    ("organisations:\n- &a name: A\n", "content/organisations.yaml:2:3: YAML anchors/aliases are not allowed"),
])
def test_gazetteer_shape_errors(text, message):
    assert gazetteer_errors(text)[0].startswith(message)


def test_an_empty_gazetteer_list_is_allowed():
    assert parse_gazetteer("organisations:\n") == () and parse_gazetteer("organisations: []\n") == ()


# --- never raises, never hangs ---------------------------------------------------------------


def test_hostile_paragraphs_take_linear_time():
    started = time.process_time()  # CPU time: a shared, busy machine does not inflate it, a quadratic step would
    extract_entities("T", ("“x” " + " he said Mtisi" * 20_000, "Mtisi said, " * 20_000 + "“x”",
                           "“" * 50_000, "Shamiso Mtisi " * 50_000) + ("“x,” said Mtisi.", "Jo Mtisi said so.") * 5_000, KP)
    assert time.process_time() - started < 10  # ~3 s on an idle machine; a quadratic step takes minutes

TEXT = st.lists(st.one_of(st.sampled_from(['“', '”', '"', "«", "»", "„", "‘", "’", ",", ".", ":", " said ", " told ",
                                           "according to ", "Mtisi", "Shamiso Mtisi", "he", " Mr. ", "Niger", "Guinea-",
                                           "KP", "UN", "\n", " ", "é", "Congolese"]),
                          st.text(max_size=5)), max_size=40).map("".join)


@given(st.lists(TEXT, max_size=6), st.text(max_size=40))
@settings(max_examples=150, deadline=None, database=None)
def test_extraction_never_raises(paragraphs, title):
    found = extract_entities(title, tuple(paragraphs), KP)
    assert all(isinstance(quote, Quote) and quote.text for quote in found.quotes)
    assert list(found.countries) == sorted(set(found.countries))
    assert set(found.people) <= {quote.speaker for quote in found.quotes}
