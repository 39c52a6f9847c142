"""Timelines: the stored date is the end of the named period; spans count to their upper bound."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.extract import extract_fields
from bot.parsing import parse_timeline
from bot.parsing.timeline import find_timeline

TODAY = date(2026, 11, 24)


def when(text: str, today: date = TODAY) -> str | None:
    value = parse_timeline(text, today)
    return value.get("date") if value else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # named years and parts of years
        ("by the end of 2027", "2027-12-31"),
        ("before the end of the year", "2026-12-31"),
        ("in 2027", "2027-12-31"),
        ("early 2027", "2027-03-31"),
        ("beginning of next year", "2027-03-31"),
        ("mid-2027", "2027-06-30"),
        ("late next year", "2027-12-31"),
        ("next year", "2027-12-31"),
        ("sometime next year", "2027-12-31"),
        ("nxt yr", "2027-12-31"),  # typo
        ("in the new year", "2027-03-31"),
        ("later this year", "2026-12-31"),
        ("this time next year", "2027-11-24"),
        # halves and quarters
        ("second half of next year", "2027-12-31"),
        ("first half of next year", "2027-06-30"),
        ("H1 2027", "2027-06-30"),
        ("Q3 next year", "2027-09-30"),
        ("by end of Q1", "2027-03-31"),
        ("Q2", "2027-06-30"),  # already past this year: next year's
        ("after Q1", "2027-04-30"),
        # seasons (northern hemisphere) and holidays
        ("once summer is over", "2027-09-30"),
        ("after the summer", "2027-09-30"),
        ("over the summer", "2027-08-31"),
        ("this coming winter", "2027-02-28"),
        ("by spring", "2027-05-31"),
        ("in the autumn", "2026-11-30"),
        ("next fall", "2027-11-30"),
        ("before summer", "2027-05-31"),
        ("right after Easter", "2027-03-31"),  # Easter 2027 is March 28
        ("by Christmas", "2026-12-25"),
        ("after the holidays", "2027-01-31"),
        # months
        ("end of next month", "2026-12-31"),
        ("next month", "2026-12-31"),
        ("by March", "2027-03-31"),
        ("come January", "2027-01-31"),
        ("May", "2027-05-31"),
        # relative spans: the upper bound from today
        ("in 1-3 months", "2027-02-24"),
        ("in 3-6 months", "2027-05-24"),
        ("within a month", "2026-12-24"),
        ("within 6 weeks", "2027-01-05"),
        ("in a couple of weeks", "2026-12-08"),
        ("in 3 mnths", "2027-02-24"),  # typo
        ("a year or two", "2028-11-24"),
        ("in 18-24 months", "2028-11-24"),
        ("within a year and a half", "2028-05-24"),
        ("over the next few months", "2027-02-24"),
        # now
        ("asap", "2026-11-24"),
        ("ASAP please, it's urgent", "2026-11-24"),
        ("as soon as possible", "2026-11-24"),
        # "not before / not until" a named period: that period at the earliest, stored as its end
        ("not until the first half of 2028", "2028-06-30"),
        ("not before next spring, budgets are frozen", "2027-05-31"),
    ],
)
def test_timeline_dates(text: str, expected: str) -> None:
    assert when(text) == expected, parse_timeline(text, TODAY)


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (date(2027, 1, 15), "this winter", "2027-02-28"),
        (date(2027, 1, 15), "next winter", "2028-02-29"),
        (date(2027, 7, 10), "after summer", "2027-09-30"),
        (date(2027, 7, 10), "Q2", "2028-06-30"),
        (date(2027, 4, 20), "right after Easter", "2028-04-30"),  # Easter 2027 is over; 2028's is April 16
        (date(2027, 2, 1), "early next year", "2028-03-31"),
    ],
)
def test_periods_roll_forward(today: date, text: str, expected: str) -> None:
    assert when(text, today) == expected


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("No rush", "no_rush"),
        ("not now", "no_rush"),
        ("no fixed deadline", "no_rush"),
        ("dunno yet", "not_sure"),
    ],
)
def test_timeline_statuses(text: str, status: str) -> None:
    value = parse_timeline(text, TODAY)
    assert value is not None and value["status"] == status


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not this year, maybe next year", "2027-12-31"),
        ("no rush, but ideally by Q3", "2027-09-30"),
    ],
)
def test_the_dated_part_of_a_mixed_answer(text: str, expected: str) -> None:
    assert when(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "we may need it",
        "leads fall through the cracks",
        "we use Spring Boot",
        "since 2019",
        "we're 4 of us today",
        "5k per month",
        "hello",
    ],
)
def test_not_a_timeline_outside_the_question(text: str) -> None:
    assert find_timeline(text, TODAY) is None


def test_timeline_volunteered_with_other_fields() -> None:
    found = extract_fields(
        "We're a 40-person agency in Leeds and want this live before Christmas", today=TODAY
    )
    values: dict[str, Any] = {k: v.value for k, v in found.items()}
    assert values["timeline"]["date"] == "2026-12-24"
    assert values["company_size"]["employees"] == 40
    assert values["country"]["country"] == "GB"


@pytest.mark.parametrize(
    "text", ["we have 2 junior developers", "we make 10 decisions a day", "twice a month"]
)
def test_words_and_rates_are_not_dates_even_when_asked(text: str) -> None:
    assert parse_timeline(text, TODAY) is None


def test_not_before_a_year_is_that_year_at_the_earliest() -> None:
    from bot.extract import extract_fields

    found = extract_fields(
        "not before 2028, we're mid-migration to a new CRM", today=date(2026, 11, 24), requested="timeline"
    )
    assert found["timeline"].value["date"] == "2028-12-31"
