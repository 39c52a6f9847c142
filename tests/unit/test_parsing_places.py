"""Places: any case, abbreviations, "City, State", demonyms, and words that are not places."""

from __future__ import annotations

import pytest

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
