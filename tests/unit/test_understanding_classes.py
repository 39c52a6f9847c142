"""Classes of misunderstanding found by the blind v8 slice, each pinned with our own sentences."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.extract import extract_fields
from bot.flow import free_text_allowed
from bot.parsing.decline import is_decline
from bot.parsing.handoff import asks_for_a_person
from bot.parsing.knockout import detect_knockout
from bot.parsing.names import parse_name

TODAY = date(2026, 11, 25)


def values(text: str, requested: str | None = None) -> dict[str, Any]:
    return {k: v.value for k, v in extract_fields(text, today=TODAY, requested=requested).items()}


@pytest.mark.parametrize(
    ("text", "industry"),
    [
        ("we're a digital marketing agency", "marketing_advertising"),
        ("small creative agency in Bristol", "marketing_advertising"),
        ("it's an SEO agency", "marketing_advertising"),
        ("a boutique consultancy", "professional_services"),
        ("we're a building society", "banking"),
        ("we run a chain of shops in the north", "retail"),
        ("we're a holiday company", "travel"),
        ("internet service provider", "telecom"),
        ("we own two dairy farms", "agriculture"),
        ("we build wind farms", "energy"),
    ],
)
def test_industry_words(text: str, industry: str) -> None:
    assert values(text, "industry")["industry"] == {"industry": industry}


def test_a_farm_of_servers_is_not_agriculture() -> None:
    assert values("we host a server farm", "industry")["industry"] == {"industry": "software"}


@pytest.mark.parametrize(
    ("text", "employees"),
    [
        ("sales is 12 people but the whole company is around 900", 900),
        ("a consultancy of 45 in Leeds", 45),
        ("we're a studio of 8", 8),
    ],
)
def test_company_size_said_of_the_company(text: str, employees: int) -> None:
    assert values(text, "company_size")["company_size"]["employees"] == employees


def test_an_agency_of_clients_is_not_a_head_count() -> None:
    assert "company_size" not in values("we're an agency of 300 clients")


def test_growth_aimed_for_is_a_growth_plan() -> None:
    found = values("5 of us now, shooting for 25 within about 18 months", "company_size")
    assert found["company_size"]["employees"] == 5
    assert found["growth_plan"]["expected_employees"] == 25 and found["growth_plan"]["within_months"] == 18


def test_an_ordinal_is_not_a_head_count() -> None:
    found = values("VP Marketing, 400 staff, we want it live in the 2nd half of next year")
    assert "growth_plan" not in found and found["timeline"]["date"] == "2027-12-31"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nil, we're self-funded", {"status": "no_budget"}),
        ("there's no proper budget for it", {"status": "no_budget"}),
        ("€1,500 a month tops", {"amount": 1500, "amount_max": 1500, "currency": "EUR"}),
        ("30k per year at the most", {"amount": 30000, "amount_max": 30000, "period": "year"}),
    ],
)
def test_budget_classes(text: str, expected: dict[str, Any]) -> None:
    budget = values(text, "budget")["budget"]
    assert all(budget[k] == v for k, v in expected.items()), budget


@pytest.mark.parametrize(
    "text",
    [
        "let's skip this one please",
        "I'd rather not give my email at this stage",
        "prefer not to name the company yet",
        "rather not mention our budget",
    ],
)
def test_declines(text: str) -> None:
    assert is_decline(text)


@pytest.mark.parametrize("text", ["we'd rather not leave hubspot", "skip the busywork of qualifying"])
def test_not_declines(text: str) -> None:
    assert not is_decline(text)


def test_no_big_rush_is_no_rush() -> None:
    assert values("no big hurry honestly", "timeline")["timeline"]["status"] == "no_rush"


@pytest.mark.parametrize(
    ("text", "date_"),
    [
        ("we're recruiting like mad this year, we'd want it live by March", "2027-03-31"),
        ("we grew a lot in 2025 and need something in place next quarter", "2027-03-31"),
    ],
)
def test_a_time_said_about_something_else_is_not_the_timeline(text: str, date_: str) -> None:
    assert values(text)["timeline"]["date"] == date_


def test_hiring_this_year_alone_gives_no_timeline() -> None:
    assert "timeline" not in values("we're hiring a lot this year, leads are piling up", "need")


@pytest.mark.parametrize(
    ("text", "seniority"),
    [
        ("honestly I'm the person who signs the contracts", "owner"),
        ("we're about 20, it's my company, based in Cork", "owner"),
        ("independent consultant based in Oslo", "consultant"),
    ],
)
def test_roles(text: str, seniority: str) -> None:
    assert values(text)["role"]["seniority"] == seniority


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("we're 30 people in München", "DE"),
        ("office in Lisboa", "PT"),
        ("VP Ops at a Swiss medical devices firm", "CH"),
        ("CMO of a Zurich insurer", "CH"),  # geonames' own name typed without its accent, beside local names
        ("team lead at a Krakow software house", "PL"),
    ],
)
def test_places(text: str, country: str) -> None:
    assert values(text)["country"]["country"] == country


def test_surname_particles_stay_as_typed() -> None:
    assert parse_name("Lotte de Vries")["full"] == "Lotte de Vries"
    assert parse_name("anna van dijk")["full"] == "Anna van Dijk"


def test_a_vacancy_for_a_role_is_a_job_seeker() -> None:
    assert detect_knockout("is there a vacancy for a junior marketer?") == {"kind": "job_seeker"}


@pytest.mark.parametrize(
    "text",
    [
        "could I book a call with one of your reps?",
        "can we jump on a call with your sales people",
        "set me up with someone from sales",
        "a real person please",
        "could somebody phone me back on Monday",
        "get someone to email me instead",
    ],
)
def test_requests_for_a_person(text: str) -> None:
    assert asks_for_a_person(text)


@pytest.mark.parametrize(
    "text",
    ["Bridge Connect", "we book calls with our own clients", "Human Touch Ltd", "our reps call leads back within a day"],
)
def test_not_requests_for_a_person(text: str) -> None:
    assert not asks_for_a_person(text)


def test_a_company_name_that_sounds_like_a_handoff_is_the_answer() -> None:
    assert free_text_allowed("human_handoff", 0.9, "Bridge Connect", requested="company_name")
    assert not free_text_allowed("human_handoff", 0.9, "a real person please", requested="company_name")


def test_a_dash_with_a_space_is_punctuation_not_a_minus() -> None:
    assert values("a small studio in Leeds - six of us", "company_size")["company_size"]["employees"] == 6


def test_a_need_we_do_not_serve_given_with_a_head_count_is_still_the_need(playbook_needs) -> None:
    found = extract_fields(
        "payroll software for our 250 staff, the current one keeps getting it wrong",
        today=TODAY,
        requested="need",
        needs=playbook_needs,
    )
    assert found["need"].value["status"] == "not_served" and found["company_size"].value["employees"] == 250


def test_a_role_answer_to_the_need_question_is_not_a_need(playbook_needs) -> None:
    found = extract_fields("Head of Sales at a logistics firm in Rotterdam", today=TODAY, requested="need", needs=playbook_needs)
    assert "need" not in found


@pytest.fixture(scope="module")
def playbook_needs():
    from bot.playbook import load_playbook
    from bot.settings import PROJECT_ROOT

    return load_playbook(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").need_classifier()


# --- classes found by the blind v9 slice ------------------------------------------------------


def test_a_greeting_is_never_a_need(playbook_needs) -> None:
    for text in ("good morning", "Good evening all!", "hiya there"):
        assert "need" not in extract_fields(text, today=TODAY, needs=playbook_needs)


@pytest.mark.parametrize(
    "text",
    ["hi, I am looking new job in marketing, you have open role?", "do you have an open position for a BDR"],
)
def test_job_seekers_in_other_words(text: str) -> None:
    assert detect_knockout(text) == {"kind": "job_seeker"}


@pytest.mark.parametrize(
    ("text", "seniority"),
    [
        ("Howdy! Director of Ops at a 90-person retailer", "director"),
        ("Ciao, I co-founded a small design studio in Turin", "founder"),
        ("chief executive officer", "c_level"),
        ("chief executive", "c_level"),
    ],
)
def test_more_roles(text: str, seniority: str) -> None:
    assert values(text, "role" if "chief" in text else None)["role"]["seniority"] == seniority


def test_solo_said_in_an_opening() -> None:
    assert values("web designer here, just me, based in Cork")["company_size"]["employees"] == 1
    assert "company_size" not in values("just me")  # on its own it may answer something else


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("more than 500 people across the company", {"min": 501}),
        ("sales is 6 people and the business is about 120", {"employees": 120}),
        ("at least 80 staff in total", {"min": 80}),
    ],
)
def test_company_sizes_said_of_the_whole(text: str, expected: dict[str, Any]) -> None:
    size = values(text, "company_size")["company_size"]
    assert all(size[k] == v for k, v in expected.items()), size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tbh nothing at the moment", {"status": "no_budget"}),
        ("30k swiss francs", {"currency": "CHF"}),
        ("€2k/month", {"period": "month", "annual_amount": 24000}),
        ("$6k/quarter", {"period": "quarter", "annual_amount": 24000}),
        ("15k euros for the whole project, one-time", {"period": "one_off"}),
    ],
)
def test_more_budget_shapes(text: str, expected: dict[str, Any]) -> None:
    budget = values(text, "budget")["budget"]
    assert all(budget[k] == v for k, v in expected.items()), budget


@pytest.mark.parametrize(
    ("text", "industry"),
    [
        ("a firm of solicitors", "legal"),
        ("video production company", "media"),
        ("we're a craft distillery", "food_beverage"),
        ("a DTC brand selling candles", "ecommerce"),
        ("building an insurtech product", "fintech"),
    ],
)
def test_more_industries(text: str, industry: str) -> None:
    assert values(text, "industry")["industry"] == {"industry": industry}


@pytest.mark.parametrize(("text", "full"), [("Ana Costa here", "Ana Costa"), ("Tom Reed, pleased to meet you", "Tom Reed"), ("just call me Li Wei", "Li Wei")])
def test_names_with_pleasantries(text: str, full: str) -> None:
    assert parse_name(text)["full"] == full


def test_a_bare_word_that_could_be_a_company_is_not_a_request() -> None:
    assert not asks_for_a_person("Human") and not asks_for_a_person("Agent")
    assert free_text_allowed("human_handoff", 0.95, "Human", requested="company_name")
    assert asks_for_a_person("human please") and asks_for_a_person("a real person")


@pytest.mark.parametrize("text", ["Frankfurt", "we're in Aarhus"])
def test_cities_known_by_their_short_names(text: str) -> None:
    assert values(text, "country")["country"]["country"] in ("DE", "DK")
