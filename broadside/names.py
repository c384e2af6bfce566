"""Takes text (or a name as written) and gives the countries and organisations it names: pycountry's names and
aliases, and the gazetteer's names and short names, matched as whole words.

Pure functions, no I/O, and no import of the model: the model looks names up here, and entities.py
builds on it, so dependencies run one way (entities -> names, model -> names).
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol, Sequence

import pycountry


class Listed(Protocol):
    """An organisation of the gazetteer as the matcher needs it (model.Organisation is one)."""

    name: str
    short_names: Sequence[str]




@dataclass(frozen=True)
class Term:
    """One way of writing a country or organisation, and what it stands for (None: nothing, on purpose)."""

    form: str  # folded
    target: str | None
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Matcher:
    """Terms by the case-folded first word of their form, longest first: the longest term wins at a place."""

    terms: dict[str, tuple[Term, ...]]


_WORD = re.compile(r"\w+")
_FOLDS = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "‐": "-", "‑": "-"})


def fold(text: str) -> str:
    """Return text without accents and with one apostrophe and hyphen, so 'Côte d’Ivoire' matches 'Cote d'Ivoire'."""
    text = text.translate(_FOLDS)
    if text.isascii():
        return text
    return "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))


def make_term(form: str, target: str | None, ignore_case: bool = False, not_before: str = "") -> Term:
    """Compile a form to match as whole words, any whitespace between them."""
    folded = " ".join(fold(form).split())
    body = r"\s+".join(map(re.escape, folded.split(" ")))
    flags = re.IGNORECASE if ignore_case else 0
    return Term(folded, target, re.compile(rf"{body}(?!\w){not_before}", flags))


def make_matcher(terms: list[Term]) -> Matcher:
    """Index terms by their first word, longest first."""
    index: dict[str, list[Term]] = {}
    for term in terms:
        first = _WORD.search(term.form)
        if first:
            index.setdefault(first.group().casefold(), []).append(term)
    return Matcher({key: tuple(sorted(found, key=lambda term: (-len(term.form), term.form)))
                    for key, found in index.items()})


def scan(matcher: Matcher, text: str) -> tuple[str, ...]:
    """Return, sorted and unique, what the terms found in `text` stand for."""
    text = fold(text)
    found: set[str] = set()
    end = 0
    for word in _WORD.finditer(text):
        if word.start() < end:
            continue  # inside a longer term already matched ('Guinea' in 'Papua New Guinea')
        for term in matcher.terms.get(word.group().casefold(), ()):
            hit = term.pattern.match(text, word.start())
            if hit:
                end = hit.end()
                if term.target:
                    found.add(term.target)
                break
    return tuple(sorted(found))


def lookup(matcher: Matcher, text: str) -> Term | None:
    """Return the term written exactly as `text`, ignoring case, accents and spacing."""
    folded = " ".join(fold(text).split()).casefold()
    first = _WORD.search(folded)
    terms = matcher.terms.get(first.group(), ()) if first else ()
    return next((term for term in terms if term.form.casefold() == folded), None)


# --- countries --------------------------------------------------------------------------------

# Names in use that ISO 3166 (and so pycountry) does not list; every code is checked against pycountry.
COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "AE": ("UAE", "U.A.E."),
    "BN": ("Brunei",),
    "CD": ("DRC", "D.R.C.", "DR Congo", "D.R. Congo", "DR of Congo", "Democratic Republic of Congo",
           "Congo-Kinshasa", "Congo Kinshasa", "Zaire"),
    "CF": ("CAR",),
    "CG": ("Republic of Congo", "Congo-Brazzaville", "Congo Brazzaville", "Congo Republic"),
    "CI": ("Ivory Coast",),
    "CV": ("Cape Verde",),
    "GB": ("UK", "U.K.", "Britain", "Great Britain", "England", "Scotland", "Wales", "Northern Ireland"),
    "GW": ("Guinea Bissau",),
    "MM": ("Burma",),
    "MO": ("Macau",),
    "RU": ("Russia",),
    "ST": ("Sao Tome",),
    "SZ": ("Swaziland",),
    "TL": ("East Timor",),
    "TR": ("Turkey",),
    "US": ("US", "U.S.", "USA", "U.S.A.", "America"),
    "VA": ("Vatican", "Vatican City"),
    "ZW": ("Zim",),
}
# Demonyms: pycountry has none, so they are listed here, each checked against pycountry's codes.
DEMONYMS: dict[str, tuple[str, ...]] = {
    "AE": ("Emirati",), "AF": ("Afghan",), "AM": ("Armenian",), "AO": ("Angolan",), "AR": ("Argentine", "Argentinian"),
    "AT": ("Austrian",), "AU": ("Australian",), "BD": ("Bangladeshi",), "BE": ("Belgian",), "BF": ("Burkinabe",),
    "BI": ("Burundian",), "BJ": ("Beninese",), "BR": ("Brazilian",), "BW": ("Motswana", "Batswana"),
    "BY": ("Belarusian",), "CA": ("Canadian",), "CH": ("Swiss",), "CI": ("Ivorian",), "CL": ("Chilean",),
    "CM": ("Cameroonian",), "CN": ("Chinese",), "CO": ("Colombian",), "CV": ("Cape Verdean", "Cabo Verdean"),
    "DE": ("German",), "DJ": ("Djiboutian",), "DK": ("Danish",), "DZ": ("Algerian",), "EG": ("Egyptian",),
    "ER": ("Eritrean",), "ES": ("Spanish",), "ET": ("Ethiopian",), "FI": ("Finnish",), "FR": ("French",),
    "GA": ("Gabonese",), "GB": ("British",), "GH": ("Ghanaian",), "GM": ("Gambian",), "GN": ("Guinean",),
    "GQ": ("Equatorial Guinean", "Equatoguinean"), "GR": ("Greek",), "GW": ("Bissau-Guinean",), "GY": ("Guyanese",),
    "ID": ("Indonesian",), "IE": ("Irish",), "IL": ("Israeli",), "IN": ("Indian",), "IQ": ("Iraqi",),
    "IR": ("Iranian",), "IT": ("Italian",), "JP": ("Japanese",), "JO": ("Jordanian",), "KE": ("Kenyan",),
    "KM": ("Comorian",), "KP": ("North Korean",), "KR": ("South Korean",), "KW": ("Kuwaiti",), "KZ": ("Kazakhstani",), "LB": ("Lebanese",), "LK": ("Sri Lankan",),
    "LR": ("Liberian",), "LS": ("Mosotho", "Basotho"), "LY": ("Libyan",), "MA": ("Moroccan",), "MG": ("Malagasy",),
    "ML": ("Malian",), "MR": ("Mauritanian",), "MU": ("Mauritian",), "MW": ("Malawian",), "MX": ("Mexican",),
    "MY": ("Malaysian",), "MZ": ("Mozambican",), "NA": ("Namibian",), "NE": ("Nigerien",), "NG": ("Nigerian",),
    "NL": ("Dutch",), "NO": ("Norwegian",), "NZ": ("New Zealander",), "OM": ("Omani",), "PE": ("Peruvian",),
    "PG": ("Papua New Guinean",), "PH": ("Filipino",), "PK": ("Pakistani",), "PL": ("Polish",),
    "PT": ("Portuguese",), "QA": ("Qatari",), "RU": ("Russian",), "RW": ("Rwandan",), "SA": ("Saudi",),
    "SC": ("Seychellois",), "SD": ("Sudanese",), "SE": ("Swedish",), "SG": ("Singaporean",),
    "SL": ("Sierra Leonean",), "SN": ("Senegalese",), "SO": ("Somali",), "SS": ("South Sudanese",),
    "ST": ("Santomean",), "SY": ("Syrian",), "SZ": ("Swazi",), "TD": ("Chadian",), "TG": ("Togolese",),
    "TH": ("Thai",), "TN": ("Tunisian",), "TR": ("Turkish",), "TZ": ("Tanzanian",), "UA": ("Ukrainian",),
    "UG": ("Ugandan",), "US": ("American",), "VE": ("Venezuelan",), "VN": ("Vietnamese",), "ZA": ("South African",),
    "ZM": ("Zambian",), "ZW": ("Zimbabwean",),
}
# Demonyms two countries share: they count for neither. 'Congolese' is as often Brazzaville's as Kinshasa's;
# an article about either names the country itself, which is what counts.
AMBIGUOUS_DEMONYMS: dict[str, tuple[str, ...]] = {
    "Congolese": ("CD", "CG"), "Korean": ("KP", "KR"), "Dominican": ("DM", "DO")}
# Phrases that contain a country's name or demonym but are not about that country.
NOT_COUNTRIES = ("Indian Ocean", "Niger Delta", "Gulf of Guinea", "New Guinea", "Latin America", "Latin American",
                 "South America", "South American", "North America", "North American", "Central America",
                 "Central American", "Native American", "New Mexico", "New Jersey", "New England",
                 "New South Wales")
# 'French-speaking', 'Portuguese language': a language, not a country.
_LANGUAGE = r"(?![-\s]+speaking|\s+language)"


def iso_forms(name: str) -> list[str]:
    """Return the ways an ISO name is written: 'Congo, The Democratic Republic of the' -> 'Congo' and
    'Democratic Republic of the Congo'; '(...)' notes are dropped."""
    name = re.sub(r"\s*\(.*?\)", "", name).strip()
    head, comma, tail = name.partition(", ")
    forms = [head] if comma else [name]
    if comma:
        forms.append(f"{tail} {head}")
    return [re.sub(r"^the\s+", "", form, flags=re.IGNORECASE) for form in forms]


def country_names() -> dict[str, set[str]]:
    """Return every name and alias (folded) with the codes it may stand for."""
    names: dict[str, set[str]] = {}
    for country in pycountry.countries:
        for written in (country.name, getattr(country, "official_name", ""), getattr(country, "common_name", "")):
            for form in iso_forms(written) if written else ():
                names.setdefault(fold(form), set()).add(country.alpha_2)
    for code, aliases in COUNTRY_ALIASES.items():
        for alias in aliases:
            names.setdefault(fold(alias), set()).add(code)
    return names


def demonym_forms(demonym: str) -> tuple[str, ...]:
    """Return a demonym and its plural ('Angolans', 'Israelis'); '-ese' and '-ish' have none."""
    return (demonym, demonym + "s") if demonym.endswith(("n", "i", "r")) else (demonym,)


@functools.cache
def country_matcher() -> Matcher:
    """Build the matcher for country names, aliases and demonyms (once)."""
    terms = [make_term(form, next(iter(codes)) if len(codes) == 1 else None)  # a name two share counts for neither
             for form, codes in country_names().items()]
    terms += [make_term(form, code, not_before=_LANGUAGE)
              for code, demonyms in DEMONYMS.items() for demonym in demonyms for form in demonym_forms(demonym)]
    terms += [make_term(form, None) for demonym in AMBIGUOUS_DEMONYMS for form in demonym_forms(demonym)]
    terms += [make_term(phrase, None) for phrase in NOT_COUNTRIES]
    return make_matcher(terms)


def extract_countries(text: str) -> tuple[str, ...]:
    """Return the ISO 3166-1 alpha-2 codes of the countries `text` names, sorted and unique.

    Names, aliases and demonyms match as whole words and in their own case ('Turkey', not 'turkey');
    a word inside another ('Oman' in 'woman', 'Niger' in 'Nigeria') or inside a longer name
    ('Guinea' in 'Papua New Guinea') does not count.
    """
    return scan(country_matcher(), text)


def is_country_code(code: str) -> bool:
    """Tell whether `code` is an ISO 3166-1 alpha-2 code, written in capitals."""
    return len(code) == 2 and code.isupper() and pycountry.countries.get(alpha_2=code) is not None


def country_code(text: str) -> str | None:
    """Return the code `text` most likely means (a code in any case, an alpha-3 code, a name, an alias), or None."""
    text = text.strip()
    if len(text) in (2, 3) and text.isalpha():
        country = pycountry.countries.get(**{"alpha_2" if len(text) == 2 else "alpha_3": text.upper()})
        if country is not None:
            return country.alpha_2
    term = lookup(country_matcher(), text)
    return term.target if term is not None else None


def country_name(code: str) -> str:
    """Return a country's common name where ISO gives one ('Bolivia'), else its ISO name in reading order."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or iso_forms(country.name)[-1]


# --- organisations and people -----------------------------------------------------------------


def is_acronym(form: str) -> bool:
    """Tell whether a form is written in capitals only ('UN', 'KP', 'OECD'): matched in capitals only."""
    return any(char.isalpha() for char in form) and not any(char.islower() for char in form)


@functools.lru_cache(maxsize=16)
def organisation_matcher(organisations: tuple[Listed, ...]) -> Matcher:
    """Build the matcher for a gazetteer: names in any case, acronyms in capitals only ('un' is no UN)."""
    return make_matcher([make_term(form, organisation.name, ignore_case=not is_acronym(form))
                         for organisation in organisations for form in (organisation.name, *organisation.short_names)])


def extract_organisations(text: str, organisations: tuple[Listed, ...]) -> tuple[str, ...]:
    """Return the gazetteer names of the organisations `text` mentions, sorted; the longest name wins at a place."""
    return scan(organisation_matcher(organisations), text) if organisations else ()


