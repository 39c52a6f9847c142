"""Amounts and head counts: ranges, bounds, suffixes, number words, and impossible values."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pytest

from bot.extract import extract_fields
from bot.parsing import parse_budget, parse_company_size
from bot.parsing.budget import find_budget
from bot.parsing.company_size import find_company_size

TODAY = date(2026, 11, 24)


def subset(actual: dict[str, Any] | None, expected: dict[str, Any]) -> bool:
    return actual is not None and all(actual.get(k) == v for k, v in expected.items())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("between 15 and 25k", {"amount": 15000, "amount_max": 25000, "annual_amount": 20000}),
        (
            "somewhere between 15 and 25 thousand a year",
            {"amount": 15000, "amount_max": 25000, "period": "year"},
        ),
        ("fifteen to twenty-five thousand", {"amount": 15000, "amount_max": 25000}),
        ("15-25k", {"amount": 15000, "amount_max": 25000}),
        (
            "£15k to £25k per annum",
            {"amount": 15000, "amount_max": 25000, "currency": "GBP", "period": "year"},
        ),
        ("roughly 30 thousand euros a year", {"amount": 30000, "currency": "EUR", "period": "year"}),
        ("thirty thousand euros annually", {"amount": 30000, "currency": "EUR", "annual_amount": 30000}),
        ("about thirty grand", {"amount": 30000}),
        ("half a million dollars", {"amount": 500000, "currency": "USD"}),
        ("a couple thousand a month", {"amount": 2000, "period": "month", "annual_amount": 24000}),
        ("two and a half thousand quid a month", {"amount": 2500, "currency": "GBP", "annual_amount": 30000}),
        ("1.5 million", {"amount": 1500000}),
        ("$5bn", {"amount": 5_000_000_000}),
    ],
)
def test_budget_ranges_and_words(text: str, expected: dict[str, Any]) -> None:
    assert subset(parse_budget(text), expected), parse_budget(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("about 2k staff", {"employees": 2000, "min": 2000, "max": 2000}),
        ("5k+ employees", {"employees": 5000, "min": 5000, "max": None}),
        ("1.5k employees", {"employees": 1500}),
        ("under 20 people", {"min": 1, "max": 19, "employees": 10}),
        ("fewer than 100", {"min": 1, "max": 99, "employees": 50}),
        ("less than 10 employes", {"max": 9}),  # typo
        ("below 50 ppl", {"max": 49}),
        ("up to 50", {"min": 1, "max": 50}),
        ("no more than 25 staff", {"max": 25}),
        ("more than 1000", {"min": 1001, "max": None, "employees": 1001}),
        ("at least 200 people", {"min": 200, "max": None}),
        ("north of 500 employees", {"min": 501}),
        ("between 50 and 100 people", {"min": 50, "max": 100, "employees": 75}),
        ("1-5k employees", {"min": 1000, "max": 5000}),
        ("we are 30 poeple", {"employees": 30}),  # typo
        ("a dozen people", {"employees": 12}),
        ("just the two of us", {"employees": 2}),
    ],
)
def test_size_bounds_and_suffixes(text: str, expected: dict[str, Any]) -> None:
    assert subset(parse_company_size(text), expected), parse_company_size(text)


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("budget", "1" + "0" * 300),
        ("budget", "9" * 400),
        ("budget", "-5000"),
        ("budget", "minus 20k"),
        ("budget", "$-500 a month"),
        ("budget", "$20bn a year"),
        ("budget", "$5bn a week"),
        ("company_size", "20000000000 people"),
        ("company_size", "-5 people"),
        ("company_size", "0"),
        ("company_size", "99999999999999999999999999"),
        ("timeline", "in 500 years"),
        ("timeline", "by 3000"),
    ],
)
def test_absurd_values_re_prompt_when_asked(field: str, text: str) -> None:
    found = extract_fields(text, today=TODAY, requested=field)
    assert found[field].value is None and found[field].error == "out_of_range"


@pytest.mark.parametrize("text", ["1" + "0" * 300 + " dollars", "we have 20000000000 people", "-5000 euros"])
def test_absurd_values_are_dropped_when_volunteered(text: str) -> None:
    found = extract_fields(text, today=TODAY)
    assert not {"budget", "company_size"} & set(found)


@pytest.mark.parametrize("text", ["1" + "0" * 300, "9" * 400, "-5000", "$20bn"])
def test_parsers_never_return_infinite_or_negative_money(text: str) -> None:
    assert parse_budget(text) is None
    found = find_budget(text, requested=True)
    assert found is not None and found[0] == {"error": "out_of_range"}


def test_sizes_are_bounded_ints() -> None:
    for text in ("10000000 people", "10000001 people", "1e400 people"):
        found = find_company_size(text, requested=True)
        if found and "error" not in found[0]:
            assert isinstance(found[0]["employees"], int) and found[0]["employees"] <= 10_000_000
    assert parse_company_size("10000001 people") is None


@pytest.mark.parametrize(
    "text", ["in 2-3 months", "we are 10-15 people", "2", "we got 500+ leads last month"]
)
def test_not_money(text: str) -> None:
    assert parse_budget(text) is None


@pytest.mark.parametrize(
    "text", ["we are 5k in revenue", "500+ leads a month", "we grew 20%", "in 3-6 months"]
)
def test_not_a_size_outside_the_question(text: str) -> None:
    assert find_company_size(text) is None


def test_money_is_finite() -> None:
    for text in ("$50k", "between 15 and 25k", "roughly 30 thousand euros a year"):
        value = parse_budget(text)
        assert value is not None and math.isfinite(value["annual_amount"])


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("C$40k annually", 40000, "CAD"),
        ("A$20k per annum", 20000, "AUD"),
        ("CHF 30'000", 30000, "CHF"),
        ("about 25 thou", 25000, None),
        ("US$15k", 15000, "USD"),
    ],
)
def test_currency_prefixes_and_swiss_thousands(text: str, amount: float, currency: str | None) -> None:
    budget = extract_fields(text, today=TODAY, requested="budget")["budget"].value
    assert (budget["amount"], budget["currency"]) == (amount, currency)


def test_the_year_a_budget_is_for_is_not_a_go_live_date() -> None:
    found = extract_fields("we've set aside about 70k for this year", today=TODAY, requested="budget")
    assert "timeline" not in found and found["budget"].value["amount"] == 70000
    live = extract_fields("5k a month, live next month", today=TODAY, requested="budget")
    assert "timeline" in live


@pytest.mark.parametrize(
    ("text", "employees"),
    [
        ("hi im the owner of a tiny online candle shop in ohio, its me and 2 part timers", 3),
        ("I'm a freelance marketing consultant based in Lisbon, it's only me", 1),
        ("I own my own little web design studio in Bristol, it's just me", 1),
    ],
)
def test_solo_and_tiny_teams_said_out_of_turn(text: str, employees: int) -> None:
    assert extract_fields(text, today=TODAY)["company_size"].value["employees"] == employees


def test_a_competitor_named_as_the_visitors_employer_is_their_company() -> None:
    found = extract_fields(
        "Hey, I work on the product team at Drift - curious how yours compares", today=TODAY
    )
    assert found["company_name"].value == {"name": "Drift"}
    role = extract_fields("Hello - VP Sales, Calgary, 200-person software company", today=TODAY)["role"].value
    assert role["seniority"] == "vp"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("forty-ish thousand euros a year", {"amount": 40000, "currency": "EUR", "period": "year"}),
        ("25ish k", {"amount": 25000}),
        ("60k-ish per year", {"amount": 60000, "period": "year"}),
        ("about 900 a month, in pounds", {"amount": 900, "currency": "GBP", "period": "month"}),
        ("roughly 2 grand monthly in sterling", {"amount": 2000, "currency": "GBP"}),
        ("12k australian", {"amount": 12000, "currency": "AUD"}),
        ("35k in canadian dollars", {"amount": 35000, "currency": "CAD"}),
        ("we're an American firm with 20k", {"amount": 20000, "currency": None}),
    ],
)
def test_approximate_amounts_and_a_currency_named_once(text: str, expected: dict[str, Any]) -> None:
    assert subset(parse_budget(text), expected), parse_budget(text)


def test_a_question_at_the_email_prompt_is_not_a_broken_address() -> None:
    assert "email" not in extract_fields("why would you need my email?", today=TODAY, requested="email")
    assert extract_fields("no thanks", today=TODAY, requested="email")["email"].value["kind"] == "invalid"


@pytest.mark.parametrize(
    ("text", "employees"),
    [("cfo at a 90 persn logistics co", 90), ("roughly 15 staf", 15), ("a 300-prsn manufacturer", 300)],
)
def test_people_words_with_typos_still_count_heads(text: str, employees: int) -> None:
    from datetime import date

    from bot.extract import extract_fields

    assert extract_fields(text, today=date(2026, 11, 25))["company_size"].value["employees"] == employees


@pytest.mark.parametrize(
    "text",
    ["we're a small accounting practice", "a firm of chartered accountants", "we are a small consulting practice"],
)
def test_professional_practices_are_professional_services(text: str) -> None:
    from datetime import date

    from bot.extract import extract_fields

    found = extract_fields(text, today=date(2026, 11, 25))
    assert found["industry"].value == {"industry": "professional_services"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lump sum of 20k for the whole thing", {"amount": 20000, "period": "one_off"}),
        ("one-time 8k", {"amount": 8000, "period": "one_off"}),
        ("120k over the financial year", {"amount": 120000, "period": "year"}),
        ("monthly spend of about 3k", {"amount": 3000, "period": "month", "annual_amount": 36000}),
        ("a few grand a month", {"amount": 3000, "period": "month"}),
        ("nothing has been earmarked yet", {"status": "no_budget"}),
        ("the budget's basically nil", {"status": "no_budget"}),
        ("we haven't settled on a number", {"status": "not_sure"}),
    ],
)
def test_budget_periods_before_the_amount_and_budgets_in_plain_words(text: str, expected: dict) -> None:
    from datetime import date

    from bot.extract import extract_fields

    value = extract_fields(text, today=date(2026, 11, 25), requested="budget")["budget"].value
    assert {key: value[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("text", "employees"),
    [
        ("it's me and my business partner", 2),
        ("me and my 4 colleagues", 5),
        ("80 in Manchester plus 20 over in Dublin", 100),
        ("roughly 45 spread over four sites", 45),
    ],
)
def test_head_counts_of_a_pair_a_team_and_several_places(text: str, employees: int) -> None:
    from datetime import date

    from bot.extract import extract_fields

    found = extract_fields(text, today=date(2026, 11, 25), requested="company_size")
    assert found["company_size"].value["employees"] == employees


def test_no_budget_of_other_people_is_not_the_visitors() -> None:
    from datetime import date

    from bot.extract import extract_fields

    need = "our reps keep talking to prospects with no budget at all"
    assert "budget" not in extract_fields(need, today=date(2026, 11, 25), requested="need")
    assert (
        extract_fields("we have no budget yet", today=date(2026, 11, 25))["budget"].value["status"]
        == "no_budget"
    )
