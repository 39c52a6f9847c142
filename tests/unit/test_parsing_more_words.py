"""Answers in more of visitors' own words (classes seen on held-out slices; sentences of our own)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.extract import extract_fields

TODAY = date(2026, 11, 25)


def value(text: str, field: str, requested: str | None) -> Any:
    found = extract_fields(text, today=TODAY, requested=requested)
    return found[field].value if field in found else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("we could go up to 25k", {"amount": 25000, "annual_amount": 25000}),
        ("not a penny more than 900 a month", {"amount": 900, "period": "month", "annual_amount": 10800}),
        ("below 5k", {"amount": 2500, "amount_max": 5000}),
        ("nothing yet, still pre-revenue", {"status": "no_budget"}),
        ("we can't put a figure on it yet", {"status": "not_sure"}),
    ],
)
def test_budget_ceilings_and_plain_answers(text: str, expected: dict[str, Any]) -> None:
    budget = value(text, "budget", "budget")
    assert {key: budget[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("in the coming month", "2026-12-25"),
        ("by 20th February", "2027-02-20"),
        ("over the next week", "2026-12-02"),
    ],
)
def test_days_and_the_next_unit(text: str, day: str) -> None:
    assert value(text, "timeline", "timeline")["date"] == day


@pytest.mark.parametrize(
    ("text", "requested", "employees"),
    [
        ("fewer than 30 of us", "company_size", 15),
        ("2,500 worldwide, 300 of them here", "company_size", 2500),
        ("COO of a 90-staff insurer", None, 90),
        ("the marketing team is 6 people at a 150-person firm", None, 150),
    ],
)
def test_head_counts_in_context(text: str, requested: str | None, employees: int) -> None:
    assert value(text, "company_size", requested)["employees"] == employees


@pytest.mark.parametrize(
    "text", ["we'll stay roughly this size", "hiring's on hold this year", "not planning to hire"]
)
def test_not_growing_in_plain_words(text: str) -> None:
    assert value(text, "growth_plan", "growth_plan")["growing"] is False


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("director of customer success", {"title": "Director of Customer Success", "seniority": "director"}),
        ("I founded the business in 2020", {"title": "Founder", "seniority": "founder"}),
        ("I'm our CFO's PA", None),
    ],
)
def test_roles_typed_in_lower_case_founders_and_someone_elses_title(text: str, role: Any) -> None:
    found = value(text, "role", "role")
    assert found == role or (role is None and (found or {}).get("seniority") != "c_level")


def test_a_company_name_followed_by_what_it_does() -> None:
    found = extract_fields(
        "Larkspur Haulage - we move freight across Scotland", today=TODAY, requested="company_name"
    )
    assert found["company_name"].value == {"name": "Larkspur Haulage"}
    assert found["industry"].value == {"industry": "logistics"}


@pytest.mark.parametrize(
    ("text", "name"), [("I'm a CSM at Drift", "Drift"), ("I'm on the sales team at Acme", "Acme")]
)
def test_the_company_someone_works_at(text: str, name: str) -> None:
    assert value(text, "company_name", None) == {"name": name}


def test_cities_by_their_older_names() -> None:
    assert value("bombay", "country", "country")["country"] == "IN"
