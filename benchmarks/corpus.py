"""Takes a briefing count and a seed, gives one generated corpus written as a Broadside, a Pelican and a Hugo project.

Run: .venv/bin/python benchmarks/corpus.py 1000 /tmp/corpus   (writes /tmp/corpus/{broadside,pelican,hugo})
The same seed gives the same bytes: text comes from a seeded random.Random, dates from a fixed range.
Each briefing has 4-6 KB of Markdown (headings, paragraphs, a bullet list, a blockquote, emphasis, links to
other briefings and to outside sites) and belongs to 1-3 of 40 issues; dates spread over 2014-2023.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
FIRST_DAY = date(2014, 1, 1)
DAYS = 3652
SITE_TITLE = "Diamond Watch Benchmark"
SITE_DESCRIPTION = "Generated briefings on diamonds, mining and human rights, for measuring build speed."
BASE_URL = "https://bench.example/"
PAGE_SIZE = 10
FEED_LIMIT = 50
# Internal links are written once as [text](briefing:slug); each project spells them its own way.
INTERNAL_LINK = re.compile(r"\]\(briefing:([a-z0-9-]+)\)")

ISSUE_TITLES = [
    "Kimberley Process reform", "Conflict diamond definition", "Responsible sourcing", "Human rights in mining areas",
    "Marange diamond fields", "Artisanal mining", "Sanctions on Russian diamonds", "Lab-grown diamonds",
    "Diamond traceability", "Child labour", "Environmental damage", "Revenue transparency", "Diamond smuggling",
    "Central African Republic embargo", "Cote d'Ivoire after the embargo", "Sierra Leone's diamond districts",
    "Angola's Lunda provinces", "Kasai and the DRC", "Zimbabwe's diamond revenues", "Botswana and beneficiation",
    "Namibia's marine diamonds", "Antwerp and the rough trade", "Dubai as a trading hub", "Cutting and polishing in India",
    "Women in mining", "Land rights and evictions", "Abuses by security forces", "Corporate due diligence",
    "OECD due diligence guidance", "Consumer awareness", "Jewellery retail", "Certificate fraud", "Community development",
    "Compensation for victims", "Water pollution", "Mine closure", "Peace and security", "Engagement with the United Nations",
    "European Union rules", "Civil society participation",
]
COUNTRIES = ["Angola", "Botswana", "Sierra Leone", "Zimbabwe", "Namibia", "South Africa", "Liberia", "Guinea",
             "the Central African Republic", "the DRC", "Cote d'Ivoire", "Lesotho", "Tanzania", "Ghana", "Russia",
             "India", "Belgium", "the United Arab Emirates", "Canada", "Australia", "China", "Israel"]
CITIES = ["Antwerp", "Gaborone", "Kimberley", "Harare", "Luanda", "Freetown", "Windhoek", "Dubai", "Mumbai",
          "Brussels", "Moscow", "Kinshasa", "Bangui", "Abidjan", "Monrovia", "Tshikapa", "Koidu", "Mutare"]
ACTORS = ["The Kimberley Process chair", "Civil society observers", "The Civil Society Coalition", "Industry delegates",
          "The World Diamond Council", "Community leaders", "The mining ministry", "Human rights researchers",
          "Local residents", "Parliamentarians", "The European Commission", "Artisanal miners' associations",
          "The national diamond regulator", "Customs officials", "Retail jewellers", "Investigative journalists",
          "A coalition of non-governmental organisations", "The state mining company", "Independent auditors",
          "United Nations experts", "Traders in the rough market", "Women's groups in the mining towns"]
VERBS = ["called for", "rejected", "welcomed", "warned against", "questioned", "pledged", "blocked",
         "criticised", "demanded", "proposed", "delayed", "endorsed", "investigated", "documented", "defended",
         "challenged", "announced", "postponed", "supported", "opposed"]
OBJECTS = ["a broader definition of conflict diamonds", "tighter controls on rough diamond exports",
           "public reporting of review visit findings", "compensation for families displaced by the mine",
           "an independent audit of diamond revenues", "new rules on responsible sourcing",
           "the suspension of exports from the contested fields", "a ban on child labour at artisanal sites",
           "the release of the peer review report", "a traceability system from mine to market",
           "sanctions on diamonds of Russian origin", "the renewal of the export moratorium",
           "a permanent secretariat for the scheme", "the disclosure of beneficial owners of mining licences",
           "a clean-up of the polluted river", "safer working conditions in the pits",
           "a share of royalties for the host communities", "due diligence checks on polished stones",
           "the withdrawal of soldiers from the mining area", "a review of the certification scheme"]
TAILS = ["after months of talks", "at the plenary in {city}", "during the intersessional meeting in {city}",
         "despite objections from {country}", "with the support of {country}", "before the end of the year",
         "as prices for rough diamonds fell", "in a statement issued in {city}", "following reports of abuses",
         "under pressure from buyers in {city}", "ahead of the vote in {year}", "for the first time since {year}",
         "while the review cycle was still open", "as exports from {country} rose", "in a letter to the chair"]
SPEAKERS = ["the Civil Society Coalition", "Global Witness", "Partnership Africa Canada", "the Centre for Natural Resource Governance",
            "the World Diamond Council", "the mining ministry", "the national diamond regulator",
            "Human Rights Watch", "a community trust in the mining area", "the jewellers' association"]
HEADINGS = ["Background", "What happened", "Why it matters", "The response", "What the record shows",
            "Voices from the mining areas", "What happens next", "The numbers", "Reactions", "Our assessment"]
HEADLINE_VERBS = ["pledges", "rejects", "delays", "backs", "questions", "probes", "suspends", "defends", "seeks",
                  "announces", "blocks", "reviews", "confirms", "warns on", "calls for"]
PUBLICATIONS = ["Rough&Polished", "Mining Weekly", "The Herald", "Daily Maverick", "Rapaport News", "IDEX Online",
                "Mail & Guardian", "The Namibian", "The Africa Report", "Reuters", "Jornal de Angola",
                "Sierra Leone Telegraph", "Mmegi", "NewsDay", "Le Monde Afrique", "Financial Times"]
ROLES = ["Correspondent", "Mining editor", "Senior reporter", "Africa correspondent", "Staff writer", "Editor"]
FIRST_NAMES = ["Shamiso", "Mathew", "Farai", "Aminata", "Joao", "Thabo", "Naledi", "Ibrahim", "Grace", "Elena",
               "Kofi", "Marie", "Tendai", "Alfred", "Nomvula", "Hassan", "Ruth", "Pieter", "Ana", "Moses"]
LAST_NAMES = ["Mtisi", "Nyaungwa", "Kamara", "Dos Santos", "Molefe", "Diallo", "Chikwanha", "Mensah", "Van Dyk",
              "Okafor", "Sesay", "Moyo", "Kabila", "Nkosi", "Ferreira", "Banda", "Koroma", "Petrova", "Mutasa"]
SITES = ["https://www.kimberleyprocess.com/en/", "https://www.globalwitness.org/en/campaigns/",
         "https://www.hrw.org/news/", "https://www.oecd.org/corporate/mne/", "https://www.impacttransform.org/en/",
         "https://www.un.org/press/en/", "https://www.partnershipafricacanada.org/", "https://www.reuters.com/markets/"]


@dataclass(frozen=True)
class Source:
    """Where a briefing came from."""

    publication: str
    author: str
    role: str
    url: str


@dataclass(frozen=True)
class Issue:
    """One of the campaign's causes."""

    slug: str
    title: str
    summary: str
    keywords: tuple[str, ...]
    body: str


@dataclass(frozen=True)
class Briefing:
    """One briefing; internal links in `body` are written [text](briefing:slug)."""

    slug: str
    title: str
    day: date
    summary: str
    issues: tuple[str, ...]
    source: Source
    body: str


@dataclass(frozen=True)
class Corpus:
    """Every issue and briefing of a generated site."""

    issues: tuple[Issue, ...]
    briefings: tuple[Briefing, ...]


class Prose:
    """Writes news-like sentences, paragraphs and headlines from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, items: list[str]) -> str:
        """One item, chosen by the seeded generator."""
        return self.rng.choice(items)

    def tail(self) -> str:
        """A closing clause with its place, country or year filled in."""
        return self.pick(TAILS).format(city=self.pick(CITIES), country=self.pick(COUNTRIES),
                                       year=self.rng.randint(2003, 2023))

    def sentence(self) -> str:
        """One sentence: who did what, when or where, sometimes with emphasis."""
        what = self.pick(OBJECTS)
        if self.rng.random() < 0.12:
            what = f"*{what}*" if self.rng.random() < 0.5 else f"**{what}**"
        return f"{self.pick(ACTORS)} {self.pick(VERBS)} {what} {self.tail()}."

    def person(self) -> str:
        """A person's name."""
        return f"{self.pick(FIRST_NAMES)} {self.pick(LAST_NAMES)}"

    def quote(self) -> str:
        """A quoted sentence with its speaker."""
        return f"“{self.sentence()[:-1]},” said {self.person()} of {self.pick(SPEAKERS)}."

    def paragraph(self, links: list[str]) -> str:
        """Three to five sentences; takes pending links (Markdown) from `links` and weaves one in."""
        sentences = [self.quote() if self.rng.random() < 0.15 else self.sentence()
                     for _ in range(self.rng.randint(3, 5))]
        if links:
            sentences.insert(self.rng.randint(1, len(sentences)), f"See {links.pop()} for the earlier record.")
        return " ".join(sentences)

    def headline(self) -> str:
        """A headline: a country or actor, a verb, an object."""
        return f"{capital(self.pick(COUNTRIES + ACTORS[:8]))} {self.pick(HEADLINE_VERBS)} {self.pick(OBJECTS)}"

    def bullets(self) -> str:
        """A bullet list of three to five points."""
        return "\n".join(f"- {capital(self.pick(OBJECTS))}, {self.tail()}." for _ in range(self.rng.randint(3, 5)))


def capital(text: str) -> str:
    """The text with its first letter upper-case and the rest untouched."""
    return text[:1].upper() + text[1:]


def slugify(text: str, taken: set[str]) -> str:
    """A file-name slug of at most 70 characters, made unique against `taken` (which it updates)."""
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:70].rstrip("-")
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    taken.add(slug)
    return slug


def make_issues(prose: Prose) -> tuple[Issue, ...]:
    """The 40 issues, each with a summary, keywords and a short text."""
    taken: set[str] = set()
    issues = []
    for title in ISSUE_TITLES:
        body = f"## What is at stake\n\n{prose.paragraph([])}\n\n## What we ask\n\n{prose.bullets()}"
        keywords = tuple(sorted({title.lower(), prose.pick(OBJECTS)}))
        issues.append(Issue(slugify(title, taken), title, prose.sentence(), keywords, body))
    return tuple(issues)


def make_links(prose: Prose, others: list[str]) -> list[str]:
    """One to three links to other briefings and one to two to outside sites, as Markdown."""
    internal = [f"[an earlier briefing](briefing:{prose.pick(others)})" for _ in range(prose.rng.randint(1, 3))]
    external = [f"[the {prose.pick(PUBLICATIONS)} report]({prose.pick(SITES)}{prose.rng.randint(1000, 99999)})"
                for _ in range(prose.rng.randint(1, 2))]
    return external + internal


def make_body(prose: Prose, others: list[str]) -> str:
    """4-6 KB of Markdown: paragraphs under headings, a bullet list and a blockquote, links woven in."""
    target = prose.rng.randint(4000, 5300)  # the last paragraph adds up to 700 bytes
    links = make_links(prose, others)
    first, second, third = prose.rng.sample(HEADINGS, 3)
    blocks = [prose.paragraph(links), f"## {first}", prose.paragraph(links), prose.bullets(),
              f"> {prose.quote()}", f"## {second}"]
    closing = [f"### {third}", prose.paragraph(links)]
    while len("\n\n".join(blocks + closing).encode()) < target or links:
        blocks.append(prose.paragraph(links))
    return "\n\n".join(blocks + closing)


def make_briefings(prose: Prose, count: int, issues: tuple[Issue, ...]) -> tuple[Briefing, ...]:
    """`count` briefings spread over ten years, each in one to three issues."""
    taken: set[str] = set()
    titles = [prose.headline() for _ in range(count)]
    slugs = [slugify(title, taken) for title in titles]
    briefings = []
    for slug, title in zip(slugs, titles):
        source = Source(prose.pick(PUBLICATIONS), prose.person(), prose.pick(ROLES),
                        f"{prose.pick(SITES)}{prose.rng.randint(1000, 99999)}")
        chosen = sorted(issue.slug for issue in prose.rng.sample(issues, prose.rng.randint(1, 3)))
        others = [other for other in prose.rng.sample(slugs, min(4, count)) if other != slug] or [slug]
        briefings.append(Briefing(slug, title, FIRST_DAY + timedelta(days=prose.rng.randrange(DAYS)),
                                  prose.sentence(), tuple(chosen), source, make_body(prose, others)))
    return tuple(briefings)


def make_corpus(count: int, seed: int = 2021) -> Corpus:
    """The whole generated site: same count and seed, same corpus."""
    prose = Prose(random.Random(seed))
    issues = make_issues(prose)
    return Corpus(issues, make_briefings(prose, count, issues))


def spell_links(body: str, style: str) -> str:
    """The body with internal links spelt for one generator: 'broadside', 'pelican' or 'hugo'."""
    spellings = {"broadside": r"](\1.md)", "pelican": r"]({filename}\1.md)",
                 "hugo": r']({{< relref "\1.md" >}})'}
    return INTERNAL_LINK.sub(spellings[style], body)


def yaml_document(values: dict, body: str) -> str:
    """A content file: YAML front matter written by the serializer, then the Markdown body."""
    return "---\n" + yaml.safe_dump(values, allow_unicode=True, sort_keys=False, width=1000) + "---\n\n" + body + "\n"


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text, making the folder first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_broadside(corpus: Corpus, project: Path) -> None:
    """A Broadside project: site.toml, content/issues, content/briefings and a copy of the repository's themes."""
    shutil.copytree(REPO / "themes", project / "themes")
    site = {"title": SITE_TITLE, "description": SITE_DESCRIPTION, "base_url": BASE_URL, "page_size": PAGE_SIZE}
    write_text(project / "site.toml", "".join(f"{key} = {toml_value(value)}\n" for key, value in site.items()))
    for issue in corpus.issues:
        values = {"title": issue.title, "summary": issue.summary, "keywords": list(issue.keywords)}
        write_text(project / "content/issues" / f"{issue.slug}.md", yaml_document(values, issue.body))
    for briefing in corpus.briefings:
        values = {"title": briefing.title, "date": briefing.day, "summary": briefing.summary,
                  "issues": list(briefing.issues), "source": vars(briefing.source)}
        write_text(broadside_source(project, briefing.slug), yaml_document(values, spell_links(briefing.body, "broadside")))


def toml_value(value: str | int) -> str:
    """A TOML string or integer (JSON string escapes are valid TOML basic strings)."""
    return json.dumps(value, ensure_ascii=False)


def pelican_settings() -> dict:
    """pelicanconf.py: briefings at briefings/<slug>/, issues (tags) at issues/<slug>/, lists paged by 10."""
    return {"AUTHOR": "Benchmark", "SITENAME": SITE_TITLE, "SITEURL": "", "PATH": "content", "TIMEZONE": "UTC",
            "DEFAULT_LANG": "en", "RELATIVE_URLS": True, "DEFAULT_PAGINATION": PAGE_SIZE, "FEED_MAX_ITEMS": FEED_LIMIT,
            "ARTICLE_URL": "briefings/{slug}/index.html", "ARTICLE_SAVE_AS": "briefings/{slug}/index.html",
            "TAG_URL": "issues/{slug}/index.html", "TAG_SAVE_AS": "issues/{slug}/index.html",
            "TAGS_SAVE_AS": "issues/index.html", "TAG_FEED_ATOM": "issues/{slug}/feed.xml",
            # The one category is the list of all briefings; Broadside has no author pages: leave them out.
            "DEFAULT_CATEGORY": "briefings", "CATEGORY_URL": "briefings/index.html",
            "CATEGORY_SAVE_AS": "briefings/index.html", "CATEGORIES_SAVE_AS": "", "CATEGORY_FEED_ATOM": None,
            "AUTHOR_SAVE_AS": "", "AUTHORS_SAVE_AS": "", "AUTHOR_FEED_ATOM": None, "AUTHOR_FEED_RSS": None}


def write_pelican(corpus: Corpus, project: Path) -> None:
    """A Pelican project: content/<slug>.md with Pelican metadata (Tags = issue slugs) and pelicanconf.py."""
    settings = "".join(f"{name} = {value!r}\n" for name, value in pelican_settings().items())
    write_text(project / "pelicanconf.py", settings)
    for briefing in corpus.briefings:
        metadata = {"Title": briefing.title, "Date": briefing.day.isoformat(), "Tags": ", ".join(briefing.issues),
                    "Summary": briefing.summary, "Slug": briefing.slug, "Author": briefing.source.author}
        header = "".join(f"{key}: {value}\n" for key, value in metadata.items())
        write_text(project / "content" / f"{briefing.slug}.md", header + "\n" + spell_links(briefing.body, "pelican") + "\n")


def write_hugo(corpus: Corpus, project: Path) -> None:
    """A Hugo project: hugo.yaml, content/briefings, content/tags/<issue>/_index.md and minimal layouts."""
    config = {"baseURL": BASE_URL, "title": SITE_TITLE, "relativeURLs": True,
              "taxonomies": {"tag": "tags"}, "permalinks": {"term": {"tags": "/issues/:slug/"}},
              "pagination": {"pagerSize": PAGE_SIZE}, "services": {"rss": {"limit": FEED_LIMIT}},
              "params": {"description": SITE_DESCRIPTION}}
    write_text(project / "hugo.yaml", yaml.safe_dump(config, sort_keys=False))
    for issue in corpus.issues:
        write_text(project / "content/tags" / issue.slug / "_index.md",
                   yaml_document({"title": issue.title, "summary": issue.summary}, issue.body))
    for briefing in corpus.briefings:
        values = {"title": briefing.title, "date": briefing.day, "tags": list(briefing.issues), "summary": briefing.summary}
        write_text(hugo_source(project, briefing.slug), yaml_document(values, spell_links(briefing.body, "hugo")))
    for name, template in HUGO_LAYOUTS.items():
        write_text(project / "layouts" / name, template)


def broadside_source(project: Path, slug: str) -> Path:
    """The source file of a briefing in the Broadside project."""
    return project / "content/briefings" / f"{slug}.md"


def pelican_source(project: Path, slug: str) -> Path:
    """The source file of a briefing in the Pelican project."""
    return project / "content" / f"{slug}.md"


def hugo_source(project: Path, slug: str) -> Path:
    """The source file of a briefing in the Hugo project."""
    return project / "content/briefings" / f"{slug}.md"


PAGER = """{{ with .Paginator }}<nav>{{ with .Prev }}<a href="{{ .URL }}">Newer</a>{{ end }}
{{ with .Next }}<a href="{{ .URL }}">Older</a>{{ end }}</nav>{{ end }}"""
LISTING = """<ul>{{ range .Paginator.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
<time>{{ .Date.Format "2 January 2006" }}</time><p>{{ .Summary }}</p></li>{{ end }}</ul>"""
HUGO_LAYOUTS = {
    "baseof.html": """<!DOCTYPE html>
<html lang="{{ site.Language.Lang }}">
<head><meta charset="utf-8"><title>{{ if not .IsHome }}{{ .Title }} | {{ end }}{{ site.Title }}</title></head>
<body>
<header><a href="{{ "/" | relURL }}">{{ site.Title }}</a>
<nav><a href="{{ "/briefings/" | relURL }}">Briefings</a> <a href="{{ "/tags/" | relURL }}">Issues</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
""",
    "home.html": """{{ define "main" }}<p>{{ site.Params.description }}</p>
{{ $paginator := .Paginate (where site.RegularPages "Section" "briefings") }}""" + LISTING + PAGER + "{{ end }}\n",
    "list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ $paginator := .Paginate .Pages }}""" + LISTING + PAGER + "{{ end }}\n",
    "single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<time>{{ .Date.Format "2 January 2006" }}</time>
<p>{{ range .GetTerms "tags" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
{{ .Content }}</article>{{ end }}
""",
    "taxonomy.html": """{{ define "main" }}<h1>Issues</h1>
<ul>{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>
{{ end }}
""",
    "term.html": """{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}
{{ $paginator := .Paginate .Pages }}""" + LISTING + PAGER + "{{ end }}\n",
}


def write_projects(count: int, folder: Path, seed: int = 2021) -> Corpus:
    """Write folder/broadside, folder/pelican and folder/hugo from one corpus; give the corpus."""
    corpus = make_corpus(count, seed)
    write_broadside(corpus, folder / "broadside")
    write_pelican(corpus, folder / "pelican")
    write_hugo(corpus, folder / "hugo")
    return corpus


def main() -> None:
    """Generate the three projects into the folder named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=2021)
    arguments = parser.parse_args()
    corpus = write_projects(arguments.count, arguments.folder, arguments.seed)
    sizes = [len(briefing.body.encode()) for briefing in corpus.briefings]
    print(f"{len(corpus.briefings)} briefings ({min(sizes)}-{max(sizes)} bytes of Markdown), "
          f"{len(corpus.issues)} issues -> {arguments.folder}")


if __name__ == "__main__":
    main()
