"""The seed article's gray-area founder, and requests for a person at the outcome."""

from __future__ import annotations

from datetime import date

import pytest

from bot.booking.service import CALLBACK_STEP, BookingService
from bot.playbook import Playbook, load_playbook, parse_playbook
from bot.scoring import score_lead
from bot.settings import PROJECT_ROOT

TODAY = date(2026, 11, 24)
FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml"


@pytest.fixture(scope="module")
def playbook() -> Playbook:
    return load_playbook(FIXTURE)


def founder(**changes: object) -> dict[str, object]:
    profile: dict[str, object] = {
        "need": {"use_case": None, "status": "researching"},
        "role": {"title": "CEO", "seniority": "c_level"},
        "company_size": {"employees": 3},
        "industry": {"industry": "software"},
        "country": {"country": "GB", "region": "europe"},
        "budget": {"status": "no_budget"},
        "growth_plan": {"growing": True, "expected_employees": 10, "within_months": 24},
    }
    profile.update(changes)
    return {k: v for k, v in profile.items() if v is not None}


def test_bootstrapping_founder_without_budget_gets_a_discovery_call(playbook: Playbook) -> None:
    result = score_lead(founder(), playbook, today=TODAY)
    assert (result.grade, result.next_step, result.reasons[0]) == ("nurture", "discovery_call", "icp_size")
    assert result.gray_area and result.nurture_track == "founder_growth"
    assert {"budget", "need"} <= set(result.reasons)


def test_gray_area_does_not_tolerate_what_the_playbook_does_not_name(playbook: Playbook) -> None:
    outside = score_lead(founder(country={"country": "BR", "region": "south_america"}), playbook, today=TODAY)
    assert outside.next_step != "discovery_call" and not outside.gray_area
    strict = parse_playbook(
        FIXTURE.read_text().replace("tolerates: [budget, need, timeline]", "tolerates: [need]")
    )
    assert score_lead(founder(), strict, today=TODAY).next_step != "discovery_call"


def test_gray_area_never_tolerates_authority() -> None:
    with pytest.raises(ValueError, match="authority cannot be tolerated"):
        parse_playbook(
            FIXTURE.read_text().replace("tolerates: [budget, need, timeline]", "tolerates: [authority]")
        )


def test_a_request_for_a_person_always_gets_times_or_a_callback(playbook: Playbook) -> None:
    service = BookingService.__new__(BookingService)
    service.playbook = playbook
    assert service.next_step_on_request("qualified", "book_demo") == "book_demo"
    assert service.next_step_on_request("nurture", "nurture") == "discovery_call"
    assert service.next_step_on_request("disqualified", "close") == CALLBACK_STEP
    no_meetings = parse_playbook(
        FIXTURE.read_text().replace("  on_request: discovery\n", "  on_request: null\n")
    )
    service.playbook = no_meetings
    assert service.next_step_on_request("nurture", "nurture") == CALLBACK_STEP
