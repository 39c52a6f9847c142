"""Routing: owner first, then territory, then weighted round robin that stays fair."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.booking.routing import LeadFacts, fits, round_robin, route
from bot.playbook import Playbook, load_playbook
from bot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def playbook() -> Playbook:
    return load_playbook(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml")


def test_territory_decides_before_round_robin(playbook: Playbook) -> None:
    booking = playbook.booking
    us_big = LeadFacts(region="north_america", country="US", employees=500)
    chosen = route(booking, "demo", us_big, counts={})
    assert chosen.reason == "territory"
    assert {r.email for r in chosen.reps[:2]} == {"dana@banter.example.com", "luis@banter.example.com"}
    eu = route(booking, "demo", LeadFacts(region="europe", employees=300), counts={})
    assert eu.reps[0].email == "greta@banter.example.com"
    small = route(booking, "discovery", LeadFacts(region="europe", employees=5), counts={})
    assert small.reps[0].email == "sam@banter.example.com"


def test_existing_owner_of_the_company_comes_first(playbook: Playbook) -> None:
    facts = LeadFacts(email_domain="acme.com", region="north_america", employees=500)
    chosen = route(playbook.booking, "demo", facts, counts={}, owners={"acme.com": "luis@banter.example.com"})
    assert chosen.reason == "owner" and chosen.reps[0].email == "luis@banter.example.com"


def test_no_fitting_rep_goes_to_the_default_queue(playbook: Playbook) -> None:
    chosen = route(playbook.booking, "demo", LeadFacts(region="asia", employees=500), counts={})
    assert chosen.reason == "default_queue"
    assert chosen.reps[0].email == "sam@banter.example.com"


def test_unknown_values_do_not_exclude_a_rep(playbook: Playbook) -> None:
    dana = playbook.booking.rep("dana@banter.example.com")
    assert dana is not None
    assert fits(dana, LeadFacts())
    assert not fits(dana, LeadFacts(employees=10))
    assert not fits(dana, LeadFacts(region="europe"))


def test_weighted_round_robin_is_fair_over_1000_assignments(playbook: Playbook) -> None:
    counts: Counter[str] = Counter()
    facts = LeadFacts(region="north_america", employees=500)
    for _ in range(1000):
        rep = route(playbook.booking, "demo", facts, counts).reps[0]
        counts[rep.email] += 1
    # Dana weight 2, Luis weight 1 -> 2/3 and 1/3, within +-5 percentage points
    assert abs(counts["dana@banter.example.com"] / 1000 - 2 / 3) <= 0.05
    assert abs(counts["luis@banter.example.com"] / 1000 - 1 / 3) <= 0.05
    assert sum(counts.values()) == 1000


def test_round_robin_order_is_deterministic_for_equal_shares(playbook: Playbook) -> None:
    reps = [r for r in playbook.booking.reps if "demo" in r.meeting_types]
    assert round_robin(reps, {}) == round_robin(reps, {})
    assert round_robin(reps, {"dana@banter.example.com": 10})[0].email != "dana@banter.example.com"
