from __future__ import annotations

import pytest

from bot.describe import describe


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        (
            "budget",
            {"status": "amount", "amount": 80000, "currency": "USD", "period": "year"},
            "$80,000 a year",
        ),
        (
            "budget",
            {"status": "amount", "amount": 5000, "currency": "EUR", "period": "month"},
            "€5,000 a month",
        ),
        (
            "budget",
            {"status": "amount", "amount": 20000, "amount_max": 30000, "currency": None, "period": None},
            "$20,000–$30,000 a year",
        ),
        (
            "budget",
            {"status": "amount", "amount": 9000, "currency": "CHF", "period": "year"},
            "9,000 CHF a year",
        ),
        ("budget", {"status": "no_budget"}, "no budget yet"),
        ("budget", {"status": "not_sure"}, "not sure yet"),
        ("company_size", {"employees": 30, "min": 30, "max": 30}, "30 people"),
        ("company_size", {"employees": 5, "min": 1, "max": 10}, "1–10 people"),
        ("company_size", {"employees": 1000, "min": 1000, "max": None}, "1000 people"),
        ("timeline", {"status": "date", "date": "2027-06-30"}, "by 2027-06-30"),
        ("timeline", {"status": "no_rush"}, "no rush"),
        ("industry", {"industry": "professional_services"}, "professional services"),
        ("country", {"country": None, "region": "north_america"}, "north america"),
        ("role", {"title": "VP of Sales", "seniority": "vp"}, "VP of Sales"),
        ("email", None, "not given"),
    ],
)
def test_describe(field: str, value: dict | None, label: str) -> None:
    assert describe(field, value) == label
