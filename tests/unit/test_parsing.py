"""Value parsers over many phrasings, including ones that must be rejected."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.parsing import (
    classify_email,
    detect_knockout,
    is_decline,
    parse_budget,
    parse_company_name,
    parse_company_size,
    parse_country,
    parse_growth_plan,
    parse_industry,
    parse_name,
    parse_timeline,
)
from bot.parsing.budget import find_budget
from bot.parsing.company_size import find_company_size
from bot.parsing.role import find_role

TODAY = date(2026, 11, 24)


def subset(actual: dict[str, Any] | None, expected: dict[str, Any]) -> bool:
    return actual is not None and all(actual.get(k) == v for k, v in expected.items())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$50k", {"amount": 50000, "currency": "USD", "annual_amount": 50000}),
        ("fifty thousand dollars", {"amount": 50000, "currency": "USD"}),
        ("40k a year", {"amount": 40000, "period": "year", "annual_amount": 40000}),
        ("5k per month", {"period": "month", "annual_amount": 60000}),
        ("between 20 and 30k", {"amount": 20000, "amount_max": 30000, "annual_amount": 25000}),
        ("€100.000", {"amount": 100000, "currency": "EUR"}),
        ("€100,000", {"amount": 100000, "currency": "EUR"}),
        ("100 000 EUR", {"amount": 100000, "currency": "EUR"}),
        ("£1.5m", {"amount": 1500000, "currency": "GBP"}),
        ("around 40k annually", {"annual_amount": 40000}),
        ("10-15k per quarter", {"amount": 10000, "amount_max": 15000, "annual_amount": 50000}),
        ("USD 25,000 per year", {"amount": 25000, "currency": "USD"}),
        ("25000", {"amount": 25000}),
        ("3k monthly", {"annual_amount": 36000}),
        ("Under $10k a year", {"amount_max": 10000, "annual_amount": 5000}),
        ("$10k-$50k a year", {"amount": 10000, "amount_max": 50000, "annual_amount": 30000}),
        ("Over $100k a year", {"amount": 100000, "annual_amount": 100000}),
        ("no budget yet", {"status": "no_budget"}),
        ("we don't have a budget", {"status": "no_budget"}),
        ("not sure", {"status": "not_sure"}),
        ("Not sure yet", {"status": "not_sure"}),
        ("TBD", {"status": "not_sure"}),
        ("twenty thousand euros", {"amount": 20000, "currency": "EUR"}),
        ("2 grand a week", {"annual_amount": 104000}),
    ],
)
def test_budget(text: str, expected: dict[str, Any]) -> None:
    assert subset(parse_budget(text), expected), parse_budget(text)


@pytest.mark.parametrize(
    "text",
    ["hello", "2025", "we are 200 people", "call me at 555 123 4567", "we grew 20%", "in 6 months", "$", "5"],
)
def test_not_a_budget_outside_the_question(text: str) -> None:
    assert find_budget(text) is None


@pytest.mark.parametrize("text", ["banana", "$", "", "😀", "2025"])
def test_not_a_budget_even_when_asked(text: str) -> None:
    assert parse_budget(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("about 200 people", {"employees": 200}),
        ("a team of 12", {"employees": 12}),
        ("1-10", {"min": 1, "max": 10}),
        ("just me", {"employees": 1}),
        ("500+ employees", {"min": 500, "max": None, "employees": 500}),
        ("we're a 3-person startup", {"employees": 3}),
        ("around two hundred employees", {"employees": 200}),
        ("sorry, we're 30 people", {"employees": 30}),
        ("1,500 staff", {"employees": 1500}),
        ("200", {"employees": 200}),
        ("11-50 employees", {"min": 11, "max": 50}),
        ("1000+ employees", {"min": 1000}),
        ("headcount of 45", {"employees": 45}),
        ("there are 6 of us", {"employees": 6}),
        ("over 300 employees", {"min": 301}),  # "over" is strict, like "under 20" -> max 19
        ("a 50-strong team", {"employees": 50}),
    ],
)
def test_company_size(text: str, expected: dict[str, Any]) -> None:
    assert subset(parse_company_size(text), expected), parse_company_size(text)


@pytest.mark.parametrize("text", ["just me", "200", "1-10", "no idea", "hello"])
def test_size_needs_context_outside_the_question(text: str) -> None:
    assert find_company_size(text) is None


@pytest.mark.parametrize("text", ["no idea", "lots", "😀", ""])
def test_not_a_size(text: str) -> None:
    assert parse_company_size(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Q3", {"date": "2027-09-30"}),
        ("Q4", {"date": "2026-12-31"}),
        ("by Q2", {"date": "2027-06-30"}),
        ("Q1 2028", {"date": "2028-03-31"}),
        ("next month", {"date": "2026-12-31"}),  # the end of the named period
        ("in six months", {"date": "2027-05-24"}),
        ("in 6 weeks", {"date": "2027-01-05"}),
        ("next year sometime", {"date": "2027-12-31"}),  # the end of the named period, not mid-year
        ("by March", {"date": "2027-03-31"}),
        ("by March 2027", {"date": "2027-03-31"}),
        ("end of year", {"date": "2026-12-31"}),
        ("ASAP", {"date": "2026-11-24"}),
        ("within 3 months", {"date": "2027-02-24"}),
        ("In 1-3 months", {"date": "2027-02-24"}),
        ("Later this year", {"date": "2026-12-31"}),
        ("next quarter", {"date": "2027-03-31"}),
        ("early next year", {"date": "2027-03-31"}),
        ("15 January 2027", {"date": "2027-01-15"}),
        ("2027-04-01", {"date": "2027-04-01"}),
        ("no rush", {"status": "no_rush"}),
        ("whenever", {"status": "no_rush"}),
        ("not sure yet", {"status": "not_sure"}),
    ],
)
def test_timeline(text: str, expected: dict[str, Any]) -> None:
    assert subset(parse_timeline(text, TODAY), expected), parse_timeline(text, TODAY)


@pytest.mark.parametrize("text", ["hello", "about 5k a year", "Acme", "😀"])
def test_not_a_timeline(text: str) -> None:
    assert parse_timeline(text, TODAY) is None


@pytest.mark.parametrize(
    ("text", "seniority", "title"),
    [
        ("I'm the CFO", "c_level", "CFO"),
        ("VP of Sales", "vp", "VP of Sales"),
        ("Head of Marketing", "head", "Head of Marketing"),
        ("marketing director", "director", None),
        ("co-founder", "founder", None),
        ("CEO and co-founder", "founder", None),
        ("owner", "owner", None),
        ("marketing manager", "manager", None),
        ("software engineer", "individual_contributor", None),
        ("intern", "intern", None),
        ("I'm a student", "student", None),
        ("consultant", "consultant", None),
        ("chief operating officer", "c_level", None),
        ("Founder / C-level", "founder", None),
        ("VP / Director / Head of", "vp", None),
        ("Individual contributor", "individual_contributor", None),
    ],
)
def test_role(text: str, seniority: str, title: str | None) -> None:
    found = find_role(text)
    assert found is not None and found[0]["seniority"] == seniority
    if title:
        assert found[0]["title"] == title


@pytest.mark.parametrize("text", ["lead qualification", "Acme Robotics", "hello", "200 employee company"])
def test_not_a_role(text: str) -> None:
    assert find_role(text) is None


@pytest.mark.parametrize(
    ("text", "country", "region"),
    [
        ("in Berlin", "DE", "europe"),
        ("based in Austin, Texas", "US", "north_america"),
        ("we're in Canada", "CA", "north_america"),
        ("UK", "GB", "europe"),
        ("Brazil", "BR", "south_america"),
        ("India", "IN", "asia"),
        ("Europe", None, "europe"),
        ("North America", None, "north_america"),
        ("the US", "US", "north_america"),
        ("Paris", "FR", "europe"),
        ("Munich", "DE", "europe"),
    ],
)
def test_country(text: str, country: str | None, region: str) -> None:
    assert parse_country(text) == {"country": country, "region": region}


@pytest.mark.parametrize("text", ["hello", "we use it", "Somewhere else", "Acme Robotics", "us"])
def test_not_a_country(text: str) -> None:
    assert parse_country(text) is None


@pytest.mark.parametrize(
    ("text", "industry"),
    [
        ("fintech", "fintech"),
        ("we're a SaaS company", "software"),
        ("E-commerce", "ecommerce"),
        ("Professional services", "professional_services"),
        ("a law firm", "legal"),  # law firms are their own industry (both blind v8 and v9 writers said so)
        ("hospital", "healthcare"),
        ("Other industry", "other"),
        ("online shop", "ecommerce"),
    ],
)
def test_industry(text: str, industry: str) -> None:
    assert parse_industry(text) == {"industry": industry}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("jane@acme.com", "business"),
        ("Jane@Acme.COM", "business"),
        ("jane@gmail.com", "free"),
        ("x@mailinator.com", "disposable"),
        ("jane@", "invalid"),
        ("jane@acme", "invalid"),
        ("my email is bob@umbrella.com thanks", "business"),
    ],
)
def test_email(text: str, kind: str) -> None:
    result = classify_email(text)
    assert result is not None and result["kind"] == kind


def test_email_is_normalised() -> None:
    assert classify_email("Jane@Acme.COM") == {
        "email": "Jane@acme.com",
        "domain": "acme.com",
        "kind": "business",
        "error": None,
    }
    assert classify_email("no at sign here") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jane Doe", "Jane Doe"),
        ("my name is Tom Baker", "Tom Baker"),
        ("I'm Priya", "Priya"),
        ("carlos", "Carlos"),
    ],
)
def test_name(text: str, expected: str) -> None:
    assert parse_name(text) == {"full": expected, "first": expected.split()[0]}


@pytest.mark.parametrize("text", ["why?", "jane@acme.com", "yes", "123", "😀", "one two three four five six"])
def test_not_a_name(text: str) -> None:
    assert parse_name(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Acme Corp", "Acme Corp"),
        ("It's Acme Corp", "Acme Corp"),
        ("we're called Acme", "Acme"),
        ("I work at Globex.", "Globex"),
        ("<b>Acme</b> & Sons", "<b>Acme</b> & Sons"),
    ],
)
def test_company_name(text: str, expected: str) -> None:
    assert parse_company_name(text) == {"name": expected}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes we plan to be 15 people next year", {"growing": True, "expected_employees": 15}),
        ("we expect to hire 20 people within 18 months", {"growing": True, "within_months": 18}),
        ("Yes", {"growing": True}),
        ("No", {"growing": False}),
        ("not soon", {"growing": False}),
    ],
)
def test_growth_plan(text: str, expected: dict[str, Any]) -> None:
    assert subset(parse_growth_plan(text, TODAY), expected)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I'm a student", "student"),
        ("it's for my thesis", "student"),
        ("are you hiring?", "job_seeker"),
        ("I'm looking for a job", "job_seeker"),
        ("we offer SEO services", "vendor_pitch"),
        ("partnership proposal for you", "vendor_pitch"),
        ("visit www.a.com and http://b.com", "spam"),
        ("cheap viagra", "spam"),
    ],
)
def test_knockouts(text: str, kind: str) -> None:
    assert detect_knockout(text) == {"kind": kind}


@pytest.mark.parametrize("text", ["we want to qualify leads", "I'm the CFO", "x" * 10000, "hello"])
def test_not_a_knockout(text: str) -> None:
    assert detect_knockout(text) is None


@pytest.mark.parametrize(
    ("text", "declined"),
    [
        ("I'd rather not say", True),
        ("prefer not to answer", True),
        ("skip", True),
        ("pass", True),
        ("that's confidential", True),
        ("none of your business", True),
        ("40k", False),
        ("passion project", False),
    ],
)
def test_decline(text: str, declined: bool) -> None:
    assert is_decline(text) is declined


@pytest.mark.parametrize(
    ("text", "industry"),
    [
        ("loads of folk browse the store and never ask anything", None),
        ("buyers always ask about shipping costs before they order", None),
        ("we're a busy little shop in York", "retail"),
        ("our company is in the energy sector", "energy"),
    ],
)
def test_everyday_industry_words_count_only_when_they_describe_the_company(
    text: str, industry: str | None
) -> None:
    from datetime import date

    from bot.extract import extract_fields

    found = extract_fields(text, today=date(2026, 11, 25), requested="need")
    assert (found["industry"].value["industry"] if "industry" in found else None) == industry


@pytest.mark.parametrize(
    ("text", "industry"),
    [
        ("we sell handmade candles online", "ecommerce"),
        ("a chain of physio clinics", "healthcare"),
        ("county council", "government"),
        ("precision engineering and cnc work", "manufacturing"),
        ("we publish a magazine and two podcasts", "media"),
    ],
)
def test_industries_named_in_more_words(text: str, industry: str) -> None:
    from datetime import date

    from bot.extract import extract_fields

    found = extract_fields(text, today=date(2026, 11, 25), requested="industry")
    assert found["industry"].value == {"industry": industry}


def test_owning_the_agency_does_not_say_which_kind_of_agency() -> None:
    from datetime import date

    from bot.extract import extract_fields

    found = extract_fields("I run the agency myself", today=date(2026, 11, 25), requested="role")
    assert "industry" not in found and found["role"].value["seniority"] == "owner"
