"""Present and future in one message: the present answers, the future is a growth plan, never a timeline."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.extract import extract_fields
from bot.parsing import parse_company_size, parse_growth_plan, parse_timeline
from bot.parsing.growth import find_growth_plan

TODAY = date(2026, 11, 24)


def values(text: str, requested: str | None = None) -> dict[str, Any]:
    found = extract_fields(text, today=TODAY, requested=requested)
    return {k: v.value for k, v in found.items() if v.value}


@pytest.mark.parametrize(
    ("text", "size", "growth"),
    [
        ("We're 4 of us today and plan to be 12 or so in two years", 4, (12, 24)),
        ("we are four of us today, and we plan to be twelve in 2 years", 4, (12, 24)),
        ("4 people now, 12 in two years", 4, (12, 24)),
        ("Right now we're 8 people but we expect to hit 25 by the end of next year", 8, (25, 13)),
        ("team of 5 at the moment, hoping to grow to 15 within 18 months", 5, (15, 18)),
        ("We have 20 employees and expect to double the team next year", 20, (40, 13)),
        ("we're 12 and plan to hire 8 more this year", 12, (20, 1)),
        ("We're a team of five, aiming for twenty by 2028", 5, (20, 25)),
        ("3-person startup, on track to 10+ staff within a year and a half", 3, (10, 18)),
        ("We're 4 of us today planning to be 12 in two years", 4, (12, 24)),
        ("we have 30 employees hoping to double by 2028", 30, (60, 25)),
    ],
)
def test_present_size_and_growth_plan_in_one_message(text: str, size: int, growth: tuple[int, int]) -> None:
    found = values(text)
    assert found["company_size"]["employees"] == size
    assert found["growth_plan"] == {
        "growing": True,
        "expected_employees": growth[0],
        "within_months": growth[1],
    }
    assert "timeline" not in found  # a growth horizon is never a buying timeline


@pytest.mark.parametrize("requested", [None, "company_size", "timeline", "growth_plan"])
def test_growth_horizon_never_becomes_a_timeline(requested: str | None) -> None:
    found = values("We're 4 of us today and plan to be 12 or so in two years", requested)
    assert "timeline" not in found
    assert found["growth_plan"] == {"growing": True, "expected_employees": 12, "within_months": 24}


def test_future_only_is_a_growth_plan_not_a_size() -> None:
    found = values("on track to 10+ people in 18-24 months")
    assert found == {"growth_plan": {"growing": True, "expected_employees": 10, "within_months": 24}}


def test_size_question_answered_with_present_and_future() -> None:
    assert parse_company_size("4 of us today, 12 in two years") == {"employees": 4, "min": 4, "max": 4}
    assert parse_company_size("4 now, 12 in two years") == {"employees": 4, "min": 4, "max": 4}
    assert parse_timeline("we're 4 today and will be 12 in two years", TODAY) is None


@pytest.mark.parametrize(
    "text",
    [
        "we're 50 people and want to go live in 3 months",
        "we plan to launch in 2 months",
        "we'll need it within 3 months for our 30 reps",
    ],
)
def test_buying_timelines_are_not_growth_plans(text: str) -> None:
    found = values(text)
    assert "growth_plan" not in found
    assert found["timeline"]["status"] == "date"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 in two years", {"growing": True, "expected_employees": 12, "within_months": 24}),
        ("yeah, probably around 20 by end of next year", {"growing": True, "expected_employees": 20}),
        # today's head count unknown: five hires do not say how many they will be
        ("Yes, we're hiring 5 devs this quarter", {"growing": True, "expected_employees": None}),
        ("nope, not in the near future", {"growing": False}),
        ("not at the moment", {"growing": False}),
        (
            "hopefully, headcount should be ~30 in a couple of years",
            {"expected_employees": 30, "within_months": 24},
        ),
    ],
)
def test_growth_answers(text: str, expected: dict[str, Any]) -> None:
    value = parse_growth_plan(text, TODAY)
    assert value is not None and all(value.get(k) == v for k, v in expected.items()), value


def test_growth_answer_does_not_set_size_or_timeline() -> None:
    found = values("yes, 15 people next year", requested="growth_plan")
    assert found == {"growth_plan": {"growing": True, "expected_employees": 15, "within_months": 13}}


@pytest.mark.parametrize(
    "text", ["we grew 20% last year", "we plan to spend 20k", "hello", "we hope to launch in Q3"]
)
def test_no_growth_plan(text: str) -> None:
    assert find_growth_plan(text, TODAY) is None


@pytest.mark.parametrize(
    ("text", "expected", "within"),
    [
        ("we just raised so the team should double over the next year", 12, 12),
        ("bringing on 9 more people within 18 months if sales hold up", 15, 18),
        ("probably triple in the coming year", 18, 12),
    ],
)
def test_growth_relative_to_the_head_count_already_given(text: str, expected: int, within: int) -> None:
    from datetime import date

    from bot.extract import extract_fields

    plan = extract_fields(text, today=date(2026, 11, 25), requested="growth_plan", current_size=6)[
        "growth_plan"
    ]
    assert (plan.value["expected_employees"], plan.value["within_months"]) == (expected, within)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("late in 2027 probably", {"status": "date", "date": "2027-12-31"}),
        ("inside the next fortnight", {"status": "date", "date": "2026-12-09"}),
        ("honestly we're just looking around at the moment", {"status": "no_rush"}),
    ],
)
def test_timelines_in_more_words(text: str, expected: dict) -> None:
    from datetime import date

    from bot.extract import extract_fields

    value = extract_fields(text, today=date(2026, 11, 25), requested="timeline")["timeline"].value
    assert {key: value[key] for key in expected} == expected
