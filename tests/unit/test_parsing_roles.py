"""Roles: the visitor's own title, kept as typed; not a company name, not someone else in a need."""

from __future__ import annotations

from datetime import date

import pytest

from bot.extract import extract_fields
from bot.parsing import parse_company_name
from bot.parsing.names import find_explicit_company
from bot.parsing.role import find_role, is_title_only

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "seniority", "title"),
    [
        ("Head of Revenue Operations", "head", "Head of Revenue Operations"),
        ("I'm Head of EMEA Partnerships", "head", "Head of EMEA Partnerships"),
        ("head of sales & marketing", "head", "Head of Sales & Marketing"),  # typed in lower case: title case
        ("my title is Head of Demand Gen", "head", "Head of Demand Gen"),
        ("Vice President of Marketing", "vp", "Vice President of Marketing"),
        ("vice-president, sales", "vp", "Vice-president, Sales"),  # "VP, Sales" is a common form
        ("SVP Customer Success", "vp", "SVP Customer Success"),
        ("President", "c_level", "President"),
        ("Senior Revenue Operations Manager", "manager", "Senior Revenue Operations Manager"),
        ("Director of Sales and Marketing", "director", "Director of Sales and Marketing"),
        ("VP of Sales at Initech", "vp", "VP of Sales"),
        ("CEO and co-founder", "founder", "CEO and co-founder"),
        ("I am the product owner", "manager", "Product Owner"),
        ("Hi, Jane here, head of growth at Acme", "head", "Head of Growth"),
        ("cfo", "c_level", "CFO"),
    ],
)
def test_title_kept_as_typed(text: str, seniority: str, title: str) -> None:
    found = find_role(text)
    assert found is not None and found[0] == {"title": title, "seniority": seniority}


@pytest.mark.parametrize(
    "text",
    [
        "hand each new enquiry to whoever owns that account",
        "send each hot lead to the account owner",
        "route leads to the right sales manager",
        "our CEO wants a demo",
        "the CEO asked me to look into this",
        "we need something for our sales reps",
        "notify the account executive when a lead books",
    ],
)
def test_someone_else_is_not_the_visitors_role(text: str) -> None:
    assert find_role(text) is None
    assert "role" not in extract_fields(text, today=TODAY)


def test_need_with_a_role_word_is_a_need() -> None:
    found = extract_fields(
        "hand each new enquiry to whoever owns that account", today=TODAY, requested="need"
    )
    assert set(found) == {"need"}


@pytest.mark.parametrize(
    "text",
    [
        "Head of Operations",
        "Director of Operations",
        "I'm the Head of Operations",
        "Manager of Customer Success",
    ],
)
def test_department_is_not_a_company(text: str) -> None:
    assert find_explicit_company(text) is None
    assert "company_name" not in extract_fields(text, today=TODAY)


@pytest.mark.parametrize(
    ("text", "company"),
    [
        ("VP of Sales at Initech", "Initech"),
        ("Manager of Customer Success at Globex", "Globex"),
        ("I'm the Head of Operations of Acme", "Acme"),
        ("CEO of Acme Robotics", "Acme Robotics"),
        ("Founder of Acme", "Acme"),
        ("I work at Acme as Head of Operations", "Acme"),
    ],
)
def test_company_after_a_title(text: str, company: str) -> None:
    found = find_explicit_company(text)
    assert found is not None and found[0] == {"name": company}


def test_title_given_as_the_company_name_is_a_role() -> None:
    assert parse_company_name("Head of Operations") is None
    assert parse_company_name("I'm Head of Operations at Acme") == {"name": "Acme"}
    found = extract_fields("Head of Operations", today=TODAY, requested="company_name")
    assert "company_name" not in found
    assert found["role"].value == {"title": "Head of Operations", "seniority": "head"}


@pytest.mark.parametrize(
    ("text", "title_only"),
    [("Head of Operations", True), ("I'm the CFO", True), ("VP of Sales at Initech", False), ("Acme", False)],
)
def test_is_title_only(text: str, title_only: bool) -> None:
    assert is_title_only(text) is title_only


def test_a_region_in_a_title_is_not_the_location() -> None:
    found = extract_fields("Head of EMEA Partnerships at Globex", today=TODAY)
    assert "country" not in found
    assert found["company_name"].value == {"name": "Globex"}


def test_owning_the_business_is_the_owner_role() -> None:
    from datetime import date

    from bot.extract import extract_fields

    found = extract_fields("I own a chain of estate agents in Bristol, 60 staff", today=date(2026, 11, 24))
    assert found["role"].value == {"title": "Owner", "seniority": "owner"}
    assert found["industry"].value == {"industry": "real_estate"}
    assert extract_fields("we manufacture packaging", today=date(2026, 11, 24), requested="industry")[
        "industry"
    ].value == {"industry": "manufacturing"}


def test_titles_in_the_answer_about_other_deciders_are_other_peoples() -> None:
    from datetime import date

    from bot.extract import extract_fields

    found = extract_fields("my boss, the VP of Sales", today=date(2026, 11, 24), requested="other_deciders")
    assert "role" not in found


@pytest.mark.parametrize(
    ("text", "seniority", "title"),
    [
        ("bonjour, VP Sales at a fintech in Paris, about 300 people", "vp", "VP Sales"),
        ("hi all, head of revops at a 250-person SaaS company in Utrecht here", "head", "Head of Revops"),
        ("we're a 30-person consultancy in Dublin and I'm one of the founders", "founder", "Co-founder"),
        ("howdy. I own an online store for pet supplies, it's 4 of us", "owner", "Owner"),
        ("I run my own one-person web design business", "owner", "Owner"),
    ],
)
def test_own_roles_after_any_greeting_and_in_plain_words(text: str, seniority: str, title: str) -> None:
    from datetime import date

    from bot.extract import extract_fields

    role = extract_fields(text, today=date(2026, 11, 24))["role"].value
    assert (role["seniority"], role["title"]) == (seniority, title)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("well it's our business, my wife and I", "Owner"),
        ("I set up the agency myself back in 2019", "Owner"),
        ("im the boss lol", "Owner"),
        ("I own a hair salon", "Owner"),
        ("nobody else, I hold the final say on spend", "Final decision maker"),
        ("put it this way, I sign the checks", "Final decision maker"),
        ("the buck stops with me on tooling", "Final decision maker"),
    ],
)
def test_ownership_and_final_authority_in_plain_words_are_a_decision_maker(text: str, title: str) -> None:
    role = extract_fields(text, today=TODAY, requested="role")["role"].value
    assert role == {"title": title, "seniority": "owner"}


@pytest.mark.parametrize(
    "text",
    [
        "our CFO has the final say",
        "my manager signs off on everything",
        "I make the calls to prospects all day",
        "we run our own webinars",
    ],
)
def test_someone_elses_authority_or_a_duty_is_not_ownership(text: str) -> None:
    role = extract_fields(text, today=TODAY, requested="role").get("role")
    assert role is None or (role.value or {}).get("seniority") != "owner"


def test_a_title_beside_authority_words_is_the_role() -> None:
    role = extract_fields(
        "Head of Ops, and I sign off on everything under 50k", today=TODAY, requested="role"
    )
    assert role["role"].value["seniority"] == "head"
