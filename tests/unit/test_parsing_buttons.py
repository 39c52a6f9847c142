"""The bot's own buttons parse to exactly what they say."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.extract import extract_fields
from bot.playbook import load_playbook
from bot.questions import PARSED
from bot.settings import PROJECT_ROOT

FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml"

TODAY = date(2026, 11, 24)


def answer(text: str, field: str) -> dict[str, Any]:
    found = extract_fields(text, today=TODAY, requested=field)
    assert field in found and found[field].error is None, found
    value = found[field].value
    assert value is not None
    return value


#: Visitors from these countries see budget buttons in their own currency.
COUNTRIES = (None, "DE", "GB", "CH", "CA", "AU", "US")


def _buttons() -> list[tuple[str, str]]:
    """Every button of a parsed question, as the playbook's registry builds it, in every currency."""
    registry = load_playbook(FIXTURE).question_registry()
    pairs = []
    for field in PARSED:
        for country in COUNTRIES:
            pairs += [(field, button.payload) for button in registry.ask(field, country=country).buttons]
    pairs = list(dict.fromkeys(pairs))
    assert len(pairs) > 30 and any(field == "budget" and "€" in payload for field, payload in pairs)
    return pairs


@pytest.mark.parametrize(("field", "payload"), _buttons())
def test_every_button_of_a_parsed_question_is_understood(field: str, payload: str) -> None:
    answer(payload, field)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("Under $10k a year", {"amount": 5000, "amount_max": 10000, "currency": "USD", "period": "year"}),
        (
            "$10k-$50k a year",
            {"amount": 10000, "amount_max": 50000, "annual_amount": 30000, "period": "year"},
        ),
        ("$50k-$100k a year", {"amount": 50000, "amount_max": 100000, "annual_amount": 75000}),
        ("Over $100k a year", {"amount": 100000, "amount_max": None, "annual_amount": 100000}),
        ("Not sure yet", {"status": "not_sure", "amount": None}),
    ],
)
def test_budget_buttons(payload: str, expected: dict[str, Any]) -> None:
    value = answer(payload, "budget")
    assert all(value.get(k) == v for k, v in expected.items()), value


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("1-10 employees", {"min": 1, "max": 10, "employees": 6}),
        ("1-9 employees", {"min": 1, "max": 9, "employees": 5}),
        ("10-50 employees", {"min": 10, "max": 50, "employees": 30}),
        ("11-50 employees", {"min": 11, "max": 50, "employees": 31}),
        ("51-200 employees", {"min": 51, "max": 200, "employees": 126}),
        ("201-1000 employees", {"min": 201, "max": 1000, "employees": 601}),
        ("1000+ employees", {"min": 1000, "max": None, "employees": 1000}),
    ],
)
def test_company_size_buttons_keep_their_bounds(payload: str, expected: dict[str, Any]) -> None:
    assert answer(payload, "company_size") == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("Within a month", "2026-12-24"),
        ("In 1-3 months", "2027-02-24"),
        ("In 3-6 months", "2027-05-24"),
        ("Later this year", "2026-12-31"),
    ],
)
def test_timeline_buttons(payload: str, expected: str) -> None:
    value = answer(payload, "timeline")
    assert value["date"] == expected
    said = {"Within a month": 1, "In 1-3 months": 3, "In 3-6 months": 6, "Later this year": 12}[payload]
    assert value["months"] <= said  # "In 1-3 months" is never later than 3 months


def test_no_rush_button() -> None:
    assert answer("No rush", "timeline") == {"status": "no_rush", "date": None, "months": None}


@pytest.mark.parametrize("field", ["budget", "company_size", "timeline"])
def test_buttons_are_read_the_same_when_volunteered(field: str) -> None:
    for other, payload in _buttons():
        if other != field or payload.lower().startswith("not sure"):
            continue
        found = extract_fields(payload, today=TODAY)
        assert found[field].value == answer(payload, field)
