"""Places: any case, abbreviations, "City, State", demonyms, and words that are not places."""

from __future__ import annotations

from datetime import date

import pytest

from bot.extract import extract_fields
from bot.parsing import parse_country
from bot.parsing.geo import _matchers, find_country


def volunteered(text: str) -> dict | None:  # type: ignore[type-arg]
    found = find_country(_matchers()[0].make_doc(text))
    return found[0] if found else None


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("berlin", "DE"),
        ("toronto", "CA"),
        ("we're based in munich", "DE"),
        ("MADRID", "ES"),
        ("LA", "US"),
        ("we're in SF", "US"),
        ("NYC", "US"),
        ("nyc", "US"),
        ("DC", "US"),
        ("the UK", "GB"),
        ("the States", "US"),
        ("we're in the states", "US"),
        ("US", "US"),
        ("u.s.", "US"),
        ("Paris, Texas", "US"),
        ("I'm in Paris, TX", "US"),
        ("Austin, TX", "US"),
        ("London, Ontario", "CA"),
        ("london", "GB"),
        ("a German company", "DE"),
        ("we're Dutch", "NL"),
        ("we are a Japanese startup", "JP"),
        ("a british firm", "GB"),
        ("Deutschland", "DE"),
        ("we're based in phoenix", "US"),
    ],
)
def test_places(text: str, country: str) -> None:
    assert (volunteered(text) or {}).get("country") == country
    assert (parse_country(text) or {}).get("country") == country


@pytest.mark.parametrize(
    "text",
    [
        "la",
        "us",
        "nice to meet you",
        "I'm reading about your product",
        "we need to polish our funnel",
        "our site is in English",
        "French fries",
        "I'm Charlotte",
        "leads fall through the cracks",
        "the states of our pipeline",
        "we rose like a phoenix",
        "we use turkey as an example",
    ],
)
def test_ordinary_words_are_not_places(text: str) -> None:
    assert volunteered(text) is None


def test_demonym_alone_answers_the_location_question() -> None:
    assert parse_country("German") == {"country": "DE", "region": "europe"}


def test_the_shop_floor_is_manufacturing_not_a_shop() -> None:
    from bot.parsing import parse_industry

    assert parse_industry("our machinists on the shop floor") == {"industry": "manufacturing"}
    assert parse_industry("we run a little gift shop") == {"industry": "retail"}


@pytest.mark.parametrize(
    ("text", "requested", "country"),
    [
        ("we're a 40-person law firm in Limerick", None, "IE"),
        ("our HQ is based in Reading", None, "GB"),
        ("I'm from Bath originally and so is the company", None, "GB"),
        ("galway", "country", "IE"),
        ("we're in Nice, on the coast", None, "FR"),
    ],
)
def test_towns_count_where_the_visitor_says_they_are(text: str, requested: str | None, country: str) -> None:
    found = extract_fields(text, today=date(2026, 11, 25), requested=requested)
    assert found["country"].value["country"] == country


@pytest.mark.parametrize(
    "text",
    [
        "we want to go live in Spring",
        "I run enterprise sales, mostly in Enterprise deals",
        "Hi, I'm Allen from Acme",
        "can you forward this to Barry",
        "we're in Progress with the rollout",
    ],
)
def test_a_towns_name_elsewhere_is_not_a_place(text: str) -> None:
    assert "country" not in extract_fields(text, today=date(2026, 11, 25))


@pytest.mark.parametrize(
    ("text", "country"),
    [("we're a fintech out of Montreal", "CA"), ("based in Malmo", "SE"), ("Bogota", "CO")],
)
def test_cities_typed_without_their_accents(text: str, country: str) -> None:
    assert (
        extract_fields(text, today=date(2026, 11, 25), requested="country")["country"].value["country"]
        == country
    )


def test_a_lower_case_state_code_after_a_city() -> None:
    assert (
        extract_fields("phoenix, az", today=date(2026, 11, 25), requested="country")["country"].value[
            "country"
        ]
        == "US"
    )
