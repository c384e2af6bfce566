"""Tests the Site's campaign intelligence helpers: people, countries and organisations across briefings, built without files."""
import operator
import pickle
from datetime import datetime, timezone

import pytest

from broadside.model import (EDIT_STEPS, Body, Briefing, Config, Issue, Organisation, Quote, Site, noted_edit,
                            pack_body, page_slug, places_changed)

CONFIG = Config(title="T", description="D")
GAZETTEER = (Organisation("Kimberley Process", ("KP",), "https://www.kimberleyprocess.com/"),
             Organisation("Kimberley Process Civil Society Coalition", ("CSC",)))


def briefing(slug: str, day: int, quotes=(), people=(), countries=(), organisations=(), issues=()) -> Briefing:
    """A briefing dated 2021-06-<day>, with quotations given as (text, speaker, role) triples."""
    return Briefing(slug=slug, source_path=f"content/briefings/{slug}.md", title=slug.title(),
                    date=datetime(2021, 6, day, tzinfo=timezone.utc), body=Body(),
                    quotes=tuple(Quote(*quote) for quote in quotes), people=tuple(people),
                    countries=tuple(countries), organisations=tuple(organisations), issues=tuple(issues))


def site_of(*briefings: Briefing, gazetteer=GAZETTEER) -> Site:
    """A site of these briefings, newest first as the reader sorts them."""
    ordered = tuple(sorted(briefings, key=lambda b: (-b.date.timestamp(), b.slug)))
    return Site(CONFIG, (Issue("alpha", "content/issues/alpha.md", "Alpha", Body()),), ordered, gazetteer=gazetteer)


def test_one_person_under_several_names_has_one_page_with_quotes_newest_first():
    site = site_of(
        briefing("early", 1, [("First.", "Shamiso Mtisi", "CSC representative")], people=["Shamiso Mtisi"]),
        briefing("middle", 2, [("Second.", "Mtisi", "")]),                 # a bare surname, as a later edit left it
        briefing("late", 3, [("Third.", "Mr Shamiso  Mtisi", "CSC head")]),  # an honorific and a double space
        briefing("accented", 4, [("Fourth.", "Shamiso Mtísi", "")]))         # an accent added by hand
    [person] = site.people
    assert person.name == "Shamiso Mtisi" and person.output_path == "people/shamiso-mtisi/index.html"
    assert [said.quote.text for said in person.quotes] == ["Fourth.", "Third.", "Second.", "First."]
    assert [b.slug for b in person.briefings] == ["accented", "late", "middle", "early"]
    assert person.role == "CSC head"  # the newest role given
    assert set(person.aliases) == {"Mtisi", "Shamiso Mtísi"}
    assert {said.speaker_path for b in site.briefings for said in site.quotes_of(b)} == {person.output_path}


def test_two_people_with_the_same_surname_are_two_pages_and_a_bare_surname_is_not_guessed():
    site = site_of(
        briefing("one", 1, [("A.", "Shamiso Mtisi", "")]),
        briefing("two", 2, [("B.", "Tendai Mtisi", "")]),
        briefing("three", 3, [("C.", "Mtisi", "")]))
    assert [(p.name, p.slug) for p in site.people] == [
        ("Mtisi", "mtisi"), ("Shamiso Mtisi", "shamiso-mtisi"), ("Tendai Mtisi", "tendai-mtisi")]
    assert [len(p.quotes) for p in site.people] == [1, 1, 1]


def test_countries_are_sorted_by_name_and_list_their_briefings():
    site = site_of(briefing("a", 1, countries=["ZW", "CI"]), briefing("b", 2, countries=["ZW", "AO", "CD"]))
    assert [c.name for c in site.countries] == [
        "Angola", "Côte d'Ivoire", "Democratic Republic of the Congo", "Zimbabwe"]
    zimbabwe = site.country("ZW")
    assert zimbabwe.output_path == "countries/zw/index.html" and zimbabwe.aliases == ("ZW",)
    assert [b.slug for b in zimbabwe.briefings] == ["b", "a"]


def test_organisations_come_from_the_gazetteer_and_speakers_that_are_not_people_link_to_their_pages():
    site = site_of(
        briefing("a", 1, [("We object.", "Zimbabwe", ""), ("It works.", "KP", "")], organisations=["Kimberley Process"]),
        briefing("b", 2, [("Act now.", "csc", "")]))
    assert site.people == ()
    kp = site.organisation("Kimberley Process")
    assert (kp.name, kp.url, kp.aliases) == ("Kimberley Process", "https://www.kimberleyprocess.com/", ("KP",))
    assert [said.quote.text for said in kp.quotes] == ["It works."]
    assert [o.slug for o in site.organisations] == ["kimberley-process", "kimberley-process-civil-society-coalition"]
    assert [said.quote.text for said in site.country("ZW").quotes] == ["We object."]
    assert [said.speaker_path for said in site.quotes_of(site.briefings[1])] == [
        "countries/zw/index.html", "organisations/kimberley-process/index.html"]


def test_without_a_gazetteer_organisations_are_the_names_briefings_list():
    site = site_of(briefing("a", 1, [("Yes.", "Global Witness", "")], organisations=["Global Witness"]),
                   briefing("b", 2, organisations=["Global  witness"]), gazetteer=())
    [organisation] = site.organisations
    assert organisation.slug == "global-witness" and len(organisation.briefings) == 2
    assert len(organisation.quotes) == 1 and site.people == ()


def test_quotes_of_an_issue_run_newest_briefing_first():
    site = site_of(briefing("old", 1, [("Old.", "Ada Lovelace", "")], issues=["alpha"]),
                   briefing("new", 5, [("New one.", "", ""), ("New two.", "Ada Lovelace", "")], issues=["alpha"]),
                   briefing("other", 9, [("Elsewhere.", "Ada Lovelace", "")]))
    assert [said.quote.text for said in site.quotes_of_issue("alpha")] == ["New one.", "New two.", "Old."]
    assert site.quotes_of_issue("alpha")[0].speaker_path == ""  # no speaker named: no page


def test_page_slugs_are_never_empty_and_never_a_name_windows_refuses():
    assert page_slug("Côte d’Ivoire Mining Watch") == "cote-divoire-mining-watch"
    assert page_slug("Con") == "con-1"
    assert page_slug("???").startswith("name-") and page_slug("???") != page_slug("!!!")


def test_a_site_with_one_body_edited_keeps_what_it_worked_out_and_shows_the_new_briefing(monkeypatch):
    """The preview's page shown at once swaps one briefing whose body alone changed: nothing is gathered again."""
    from dataclasses import replace

    import broadside.model as model
    site = site_of(briefing("old", 1, [("Old.", "Ada Lovelace", "")], issues=["alpha"]),
                   briefing("new", 5, [("New.", "Ada Lovelace", "")], issues=["alpha"]), briefing("other", 9))
    quotes, people, by_issue = site.quotes_of(site.briefing("old")), site.people, site.briefings_of("alpha")
    edited_one = replace(site.briefing("old"), body=Body(html="<p>Edited.</p>"))
    monkeypatch.setattr(model, "gather_cast", lambda site: pytest.fail("the people and places were gathered again"))
    edited = site.with_bodies_edited({2: edited_one})
    assert edited.briefings == (*site.briefings[:2], edited_one)
    assert edited.briefing("old") is edited_one and edited.briefings_of("alpha")[1] is edited_one
    assert site.briefing("old") is not edited_one and site.briefings_of("alpha") == by_issue  # the first is as it was
    assert edited.people is people and edited.quotes_of(edited_one) == quotes
    assert edited.has_briefing("old") and not edited.has_briefing("gone")


def test_a_body_edit_puts_the_new_briefing_in_its_place_in_each_of_its_issues_lists():
    """Each list the briefing is in gets it where the old one stood; every other list and place stays as it was."""
    from dataclasses import replace
    site = site_of(*(briefing(f"b{day}", day, issues=["alpha", "beta"] if day % 2 else ["alpha"]) for day in range(1, 12)),
                   briefing("lone", 20, issues=["gamma"]))
    lists = {issue: site.briefings_of(issue) for issue in ("alpha", "beta", "gamma")}
    index = site.index_of("b5")
    assert site.briefings[index].slug == "b5" and site.index_of("lone") == 0
    edited_one = replace(site.briefing("b5"), body=Body(html="<p>Edited.</p>"))
    edited = site.with_bodies_edited({index: edited_one})
    for issue, before in lists.items():
        expected = tuple(edited_one if b.slug == "b5" else b for b in before)
        assert edited.briefings_of(issue) == expected and all(map(operator.is_, edited.briefings_of(issue), expected))
    assert [edited.place_in("beta", b.slug) for b in edited.briefings_of("beta")] == list(range(len(lists["beta"])))
    assert edited.index_of("b5") == index and edited.briefing("b5") is edited_one and site.briefing("b5") is not edited_one
    again = edited.with_bodies_edited({index: replace(edited_one, body=Body(html="<p>Again.</p>"))})  # a second save
    assert again.briefings_of("alpha")[lists["alpha"].index(site.briefing("b5"))].body.html == "<p>Again.</p>"


@pytest.mark.parametrize("first", [True, False])
def test_a_packed_body_keeps_what_its_first_paragraph_says_at_hand(first):
    """Whether the body opens with the summary is kept beside the packed text, through the cache's pickling."""
    packed = pickle.loads(pickle.dumps(pack_body(Body(html="<p>Said.</p>", opening="Said.", summary_first=first))))
    assert packed.summary_first is first and packed.html == "<p>Said.</p>" and packed.opening == "Said."


def test_places_changed_finds_the_objects_replaced_and_the_values_that_differ():
    """What a running preview's save looks at again: the places of the few objects an edit replaced."""
    kept, other = ["a-0"], "a-" + str(0)  # an equal string that is another object
    before = [*kept, object(), "b", None]
    now = [kept[0], object(), "b", "c"]
    assert places_changed(before, now) == [1, 3] and places_changed(before, before) == []
    assert places_changed(["a-0", "b", "c"], [other, "x", "c"], operator.ne) == [1]
    assert places_changed(["a-0"], [other]) == [0]


def test_places_changed_takes_the_places_an_edit_noted_back_a_few_edits():
    """A preview's page shown at once and the build after it each edit the site's briefings; the build then asks what
    changed since the last build's: the places noted by each edit (noted_edit) are the answer, without a look at the
    20,000 others, for a few edits back; further back, or for a sequence not noted, it looks."""
    start = tuple(object() for _ in range(10))
    sequences, places = [start], [3, 5, 3, 8, 1, 2]
    for place in places:
        items = list(sequences[-1])
        items[place] = object()
        sequences.append(noted_edit(sequences[-1], tuple(items), [place]))
    sneaked = list(sequences[-1])  # another object, at a place no edit noted: only a look finds it
    sneaked[9] = object()
    last = noted_edit(sequences[-1], tuple(sneaked), [0])
    assert places_changed(sequences[-1], last) == [0]  # the note is taken as it is
    for back in range(2, EDIT_STEPS + 1):  # the places of every edit since
        assert places_changed(sequences[-back], last) == sorted({0, *places[-back + 1:]})
    looked = sequences[-EDIT_STEPS - 1]  # too far back: looked at, and the place no edit noted is found
    assert places_changed(looked, last) == sorted({place for place in range(10) if looked[place] is not last[place]})
    assert 9 in places_changed(looked, last) and places_changed(start, last) == [1, 2, 3, 5, 8, 9]
    assert places_changed(list(sequences[-1]), last) == [9]  # not the sequence noted: looked at
