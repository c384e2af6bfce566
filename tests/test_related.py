"""Tests the related briefings of a briefing page: those sharing the most issues, the nearest in time first."""
import itertools
import random
from datetime import datetime, timedelta, timezone

from broadside.model import Body, Briefing, Config, Issue, Site
from broadside.renderer import related_at, related_briefings, related_table

ISSUES = ("alpha", "beta", "gamma", "delta", "epsilon")


def site_of(briefings: list[Briefing]) -> Site:
    """A site of these briefings, newest first as the reader sorts them."""
    issues = tuple(Issue(slug, f"content/issues/{slug}.md", slug.title(), Body()) for slug in ISSUES)
    return Site(Config(title="T", description="D"), issues,
                tuple(sorted(briefings, key=lambda b: (-b.date.timestamp(), b.slug))))


def briefing(slug: str, moment: datetime, issues: tuple[str, ...]) -> Briefing:
    """A briefing of these issues, published at `moment`."""
    return Briefing(slug=slug, source_path=f"content/briefings/{slug}.md", title=slug, date=moment, body=Body(),
                    issues=issues)


def every_candidate(site: Site, chosen: Briefing, limit: int = 4) -> list[str]:
    """What the related briefings were before they looked at neighbours only: every briefing sharing two or more
    issues, from the whole of the issues' lists, and those sharing one within 2 * limit places in an issue's list."""
    shared = {}
    for first, second in itertools.combinations(chosen.issues, 2):
        for other in site.briefings_of(first):
            if second in other.issues:
                shared[other.slug] = 2
    for issue in chosen.issues:
        listed = site.briefings_of(issue)
        place = [b.slug for b in listed].index(chosen.slug)
        for other in listed[max(0, place - 2 * limit): place + 2 * limit + 1]:
            shared.setdefault(other.slug, 1)
    shared.pop(chosen.slug, None)

    def closeness(slug: str) -> tuple:
        return (-shared[slug], abs((site.briefing(slug).date - chosen.date).total_seconds()), slug)
    return sorted(shared, key=closeness)[:limit]


def test_neighbours_in_time_give_what_the_whole_lists_gave_ties_included():
    generator = random.Random(7)
    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    for days in (3, 40, 400):  # few days: many briefings of one day, tied in time, cut by their slugs
        briefings = [briefing(f"b{number:03d}-{generator.choice('xyz')}", start + timedelta(days=generator.randrange(days)),
                              tuple(generator.sample(ISSUES, generator.choice((1, 2, 2, 3, 4)))))
                     for number in range(300)]
        site = site_of(briefings)
        for chosen in site.briefings:
            assert [b.slug for b in related_briefings(site, chosen)] == every_candidate(site, chosen), chosen.slug


def test_the_nearest_of_a_crowded_day_win_by_name_and_two_shared_issues_beat_one():
    day = datetime(2021, 6, 1, tzinfo=timezone.utc)
    chosen = briefing("chosen", day, ("alpha", "beta"))
    crowd = [briefing(f"same-day-{letter}", day + timedelta(days=1), ("alpha", "beta")) for letter in "hgfedcba"]
    nearer_but_one_issue = briefing("same-moment-one-issue", day, ("alpha",))
    site = site_of([*crowd, nearer_but_one_issue, chosen])
    assert [b.slug for b in related_briefings(site, site.briefing("chosen"))] == \
        ["same-day-a", "same-day-b", "same-day-c", "same-day-d"]


def test_the_few_sharing_two_issues_come_first_and_the_nearest_sharing_one_fill_the_list():
    day = datetime(2021, 6, 1, tzinfo=timezone.utc)
    chosen = briefing("chosen", day, ("alpha", "beta"))
    far_but_both = [briefing(f"far-both-{number}", day - timedelta(days=300 + number), ("alpha", "beta"))
                    for number in range(3)]
    one_issue = [briefing(f"near-{number}", day - timedelta(days=number), (("alpha", "beta")[number % 2],))
                 for number in range(1, 8)]
    site = site_of([chosen, *far_but_both, *one_issue])
    assert [b.slug for b in related_briefings(site, site.briefing("chosen"))] == \
        ["far-both-0", "far-both-1", "far-both-2", "near-1"]


def test_the_page_shown_at_once_gets_the_related_briefings_the_whole_table_gives():
    """related_at finds a briefing's entry at its place in the kept table, and falls back to the whole table when
    the site's order is no longer the table's (a briefing added since, say)."""
    start = datetime(2022, 3, 1, tzinfo=timezone.utc)
    site = site_of([briefing(f"b{n}", start + timedelta(days=n % 9), ISSUES[n % 3: n % 3 + 2]) for n in range(40)])
    memo: dict = {}
    whole = related_table(site, memo)
    for index, chosen in enumerate(site.briefings):
        assert related_at(memo, index, chosen.slug) == {chosen.slug: whole[chosen.slug]}
    assert related_at(memo, 0, site.briefings[1].slug) == whole  # not the table's order: every entry, as before
    assert related_at(memo, len(site.briefings), "b0") == whole
    assert related_at({}, 0, "b0") is None  # nothing kept: the page works its related briefings out itself
