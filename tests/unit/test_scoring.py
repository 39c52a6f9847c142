from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.playbook import Playbook, load_playbook
from bot.scoring import score_lead
from bot.settings import PROJECT_ROOT

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def playbook() -> Playbook:
    return load_playbook(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml")


def buyer(**changes: Any) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "need": {"use_case": "lead_qualification", "status": "matched"},
        "role": {"title": "VP of Sales", "seniority": "vp"},
        "company_name": {"name": "Acme"},
        "company_size": {"employees": 200, "min": 200, "max": 200},
        "industry": {"industry": "fintech"},
        "country": {"country": "DE", "region": "europe"},
        "budget": {
            "status": "amount",
            "amount": 40000,
            "currency": "USD",
            "period": "year",
            "annual_amount": 40000,
        },
        "timeline": {"status": "date", "date": "2026-12-24", "months": 1.0},
    }
    profile.update(changes)
    return {k: v for k, v in profile.items() if v is not None}


def criterion(result: Any, name: str) -> Any:
    return next(c for c in result.criteria if c.name == name)


def test_ideal_buyer_is_qualified_with_full_score(playbook: Playbook) -> None:
    result = score_lead(buyer(), playbook, today=TODAY)
    assert (result.score, result.grade, result.reasons, result.next_step) == (
        100,
        "qualified",
        [],
        "book_demo",
    )
    assert result.playbook_version == playbook.version
    assert all(c.status == "met" for c in result.criteria)
    assert len(result.explain()) == 8


def test_all_unknown_scores_exactly_half_and_is_nurture(playbook: Playbook) -> None:
    result = score_lead({}, playbook, today=TODAY)
    assert (result.score, result.grade, result.reasons) == (50, "nurture", ["low_engagement"])
    assert all(c.status == "unknown" for c in result.criteria)
    assert all("unknown" in c.reason for c in result.criteria)


def test_declined_scores_as_unknown_not_worst_case(playbook: Playbook) -> None:
    result = score_lead(buyer(budget="declined"), playbook, today=TODAY)
    assert criterion(result, "budget").status == "declined"
    assert criterion(result, "budget").points == 10
    assert result.grade == "qualified" and result.score == 90


@pytest.mark.parametrize(
    ("budget", "status", "reason"),
    [
        ({"status": "amount", "annual_amount": 10000, "currency": "USD"}, "met", None),
        ({"status": "amount", "annual_amount": 9999, "currency": "USD"}, "partial", "budget"),
        ({"status": "amount", "annual_amount": 5000, "currency": None}, "partial", "budget"),
        ({"status": "amount", "annual_amount": 4999, "currency": None}, "missed", "budget"),
        ({"status": "amount", "annual_amount": 9500, "currency": "EUR"}, "met", None),  # 9500 EUR = 10260 USD
        ({"status": "amount", "annual_amount": 9000, "currency": "JPY"}, "unknown", None),
        ({"status": "no_budget"}, "missed", "budget"),
        ({"status": "not_sure"}, "unknown", None),
    ],
)
def test_budget_rules(playbook: Playbook, budget: dict[str, Any], status: str, reason: str | None) -> None:
    american = {"country": "US", "region": "north_america"}  # no currency said: the playbook's (USD)
    result = criterion(score_lead(buyer(budget=budget, country=american), playbook, today=TODAY), "budget")
    assert (result.status, result.reason_code) == (status, reason)


def test_an_amount_without_currency_is_in_the_visitors_own_currency(playbook: Playbook) -> None:
    # "9,500" from a visitor in Germany is euros (10,260 USD: meets); from the US it is dollars (below).
    budget = {"status": "amount", "annual_amount": 9500, "currency": None}
    german = criterion(score_lead(buyer(budget=budget), playbook, today=TODAY), "budget")
    assert german.status == "met" and "taken as EUR" in german.reason
    japan = {"country": "JP", "region": "asia"}  # no rate for yen: the playbook's currency
    assert criterion(score_lead(buyer(budget=budget, country=japan), playbook, today=TODAY), "budget").status == "partial"


@pytest.mark.parametrize(
    ("seniority", "status", "reason"),
    [
        ("founder", "met", None),
        ("director", "met", None),
        ("manager", "partial", "authority"),
        ("consultant", "partial", "authority"),
        ("individual_contributor", "missed", "authority"),
        ("intern", "missed", "authority"),
    ],
)
def test_authority_rules(playbook: Playbook, seniority: str, status: str, reason: str | None) -> None:
    result = score_lead(buyer(role={"title": "x", "seniority": seniority}), playbook, today=TODAY)
    assert (criterion(result, "authority").status, criterion(result, "authority").reason_code) == (
        status,
        reason,
    )
    if reason:
        assert result.grade == "nurture" and "authority" in result.reasons


@pytest.mark.parametrize(
    ("need", "status", "points"),
    [
        ({"use_case": "website_chat", "status": "matched"}, "met", 20),
        ({"use_case": None, "status": "researching"}, "partial", 10),
        ({"use_case": None, "status": "unmatched"}, "partial", 5),
    ],
)
def test_need_rules(playbook: Playbook, need: dict[str, Any], status: str, points: float) -> None:
    result = criterion(score_lead(buyer(need=need), playbook, today=TODAY), "need")
    assert (result.status, result.points) == (status, points)


@pytest.mark.parametrize(
    ("timeline", "status"),
    [
        ({"status": "date", "date": "2027-02-20"}, "met"),
        ({"status": "date", "date": "2027-06-30"}, "partial"),
        ({"status": "date", "date": "2028-06-30"}, "missed"),
        ({"status": "no_rush"}, "missed"),
        ({"status": "not_sure"}, "unknown"),
    ],
)
def test_timeline_rules(playbook: Playbook, timeline: dict[str, Any], status: str) -> None:
    assert criterion(score_lead(buyer(timeline=timeline), playbook, today=TODAY), "timeline").status == status


@pytest.mark.parametrize(
    ("employees", "status", "reason"),
    [
        (200, "met", None),
        (50, "met", None),
        (2000, "met", None),
        (20, "partial", None),
        (5000, "partial", None),
        (9, "missed", "icp_size"),
        (1, "missed", "icp_size"),
    ],
)
def test_company_size_rules(playbook: Playbook, employees: int, status: str, reason: str | None) -> None:
    result = score_lead(buyer(company_size={"employees": employees}), playbook, today=TODAY)
    assert (criterion(result, "icp_size").status, criterion(result, "icp_size").reason_code) == (
        status,
        reason,
    )


def test_industry_and_region_misses_are_reasons(playbook: Playbook) -> None:
    result = score_lead(
        buyer(industry={"industry": "education"}, country={"country": "BR", "region": "south_america"}),
        playbook,
        today=TODAY,
    )
    assert result.grade == "nurture"
    assert result.reasons == ["icp_industry", "icp_region"]
    assert result.next_step == "nurture" and result.nurture_track == "general_newsletter"


def test_reasons_are_ordered_by_points_lost(playbook: Playbook) -> None:
    result = score_lead(
        buyer(budget={"status": "no_budget"}, timeline={"status": "no_rush"}, role={"seniority": "manager"}),
        playbook,
        today=TODAY,
    )
    assert result.reasons == ["budget", "timeline", "authority"]
    assert result.nurture_track == "roi_pricing"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"knockout": {"kind": "student"}}, "student"),
        ({"role": {"seniority": "student"}}, "student"),
        ({"knockout": {"kind": "job_seeker"}}, "job_seeker"),
        ({"knockout": {"kind": "vendor_pitch"}}, "vendor_pitch"),
        ({"knockout": {"kind": "spam"}}, "spam"),
        ({"company_name": {"name": "drift"}}, "competitor"),
        ({"email": {"email": "a@intercom.io", "domain": "intercom.io", "kind": "business"}}, "competitor"),
        ({"email": {"email": "a@x", "domain": "x", "kind": "invalid"}}, "invalid_contact"),
        (
            {"email": {"email": "a@mailinator.com", "domain": "mailinator.com", "kind": "disposable"}},
            "invalid_contact",
        ),
    ],
)
def test_knockouts_disqualify(playbook: Playbook, changes: dict[str, Any], reason: str) -> None:
    result = score_lead(buyer(**changes), playbook, today=TODAY)
    assert (result.grade, result.reasons[0], result.next_step) == ("disqualified", reason, "close")
    assert result.nurture_track is None


def test_gray_area_founder_with_growth_plan_gets_discovery_call(playbook: Playbook) -> None:
    profile = buyer(
        role={"seniority": "founder"},
        company_size={"employees": 3},
        growth_plan={"growing": True, "expected_employees": 12, "within_months": 18},
    )
    result = score_lead(profile, playbook, today=TODAY)
    assert (result.grade, result.next_step, result.gray_area) == ("nurture", "discovery_call", True)
    assert result.reasons[0] == "icp_size" and result.nurture_track == "founder_growth"


@pytest.mark.parametrize(
    "changes",
    [
        {"growth_plan": None},
        {"growth_plan": {"growing": False}},
        {"growth_plan": {"growing": True, "expected_employees": 8, "within_months": 12}},
        {"growth_plan": {"growing": True, "expected_employees": 12, "within_months": 36}},
        {"role": {"seniority": "manager"}},
    ],
)
def test_not_gray_area(playbook: Playbook, changes: dict[str, Any]) -> None:
    base: dict[str, Any] = {
        "role": {"seniority": "founder"},
        "company_size": {"employees": 3},
        "growth_plan": {"growing": True, "expected_employees": 12, "within_months": 18},
    }
    base.update(changes)
    result = score_lead(buyer(**base), playbook, today=TODAY)
    assert result.grade == "nurture" and result.next_step == "nurture" and not result.gray_area
    assert "icp_size" in result.reasons


def test_threshold_boundary(playbook: Playbook) -> None:
    profile = buyer(budget=None, timeline=None, need=None)  # 100 - 10 - 7.5 - 10 = 72.5 -> 73 (half up)
    at = playbook.copy(update={"thresholds": playbook.thresholds.copy(update={"qualified": 73})})
    above = playbook.copy(update={"thresholds": playbook.thresholds.copy(update={"qualified": 74})})
    assert (score_lead(profile, at, today=TODAY).score, score_lead(profile, at, today=TODAY).grade) == (
        73,
        "qualified",
    )
    result = score_lead(profile, above, today=TODAY)
    assert (result.grade, result.reasons) == ("nurture", ["low_engagement"])


def test_to_dict_is_json_ready(playbook: Playbook) -> None:
    import json

    data = score_lead(buyer(), playbook, today=TODAY).to_dict()
    assert json.loads(json.dumps(data))["criteria"][0]["name"] == "budget"


def test_website_signals_add_points_with_caps_and_are_explained(playbook: Playbook) -> None:
    base = score_lead(buyer(budget="declined"), playbook, today=TODAY)
    seen = score_lead(
        {**buyer(budget="declined"), "signals": {"pages": {"pricing_page": 3, "blog": 9}}},
        playbook,
        today=TODAY,
    )
    assert [(s["name"], s["points"]) for s in seen.signals] == [
        ("pricing_page", 10),
        ("blog", 6),
    ]  # per-signal max
    assert seen.score == min(100, base.score + 16)
    assert any(line.startswith("signal pricing_page: +10") for line in seen.explain())
    everything = score_lead(
        {"signals": {"pages": {"pricing_page": 1, "demo_page": 1, "blog": 3}}}, playbook, today=TODAY
    )
    assert sum(s["points"] for s in everything.signals) == 31 and everything.score == 50 + 20  # capped at 20
    # behaviour alone never qualifies a visitor who answered nothing
    assert everything.grade != "qualified"


def test_careers_page_takes_points_and_hints_job_seeker(playbook: Playbook) -> None:
    result = score_lead({**buyer(), "signals": {"pages": {"careers_page": 2}}}, playbook, today=TODAY)
    assert result.signals[0]["points"] == -10
    assert "Website behaviour hints at: job seeker (not decisive)" in result.notes
    odd = score_lead(
        {**buyer(), "signals": {"pages": {"careers_page": "many", "nope": 3}}}, playbook, today=TODAY
    )
    assert odd.signals == []


@pytest.mark.parametrize(
    "today", [date(2026, 11, 24), date(2026, 11, 30), date(2027, 1, 31), date(2027, 2, 28)]
)
def test_the_in_1_3_months_button_is_within_three_months_on_any_day(playbook: Playbook, today: date) -> None:
    from bot.extract import extract_fields

    timeline = extract_fields("In 1-3 months", today=today, requested="timeline")["timeline"].value
    assert criterion(score_lead(buyer(timeline=timeline), playbook, today=today), "timeline").status == "met"
    later = extract_fields("In 3-6 months", today=today, requested="timeline")["timeline"].value
    assert criterion(score_lead(buyer(timeline=later), playbook, today=today), "timeline").status == "partial"
