"""One profile, one score: what the chat scored is what every re-score reads.

Each case runs the real action_decide_outcome on a conversation's answers (and the
widget's page counts), then re-scores the stored lead the three other ways Banter does
(the console's "re-score", requalification, the what-if over all leads) under the same
playbook on the same day: the score, grade and reasons must not move.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from actions.outcome import ActionDecideOutcome
from bot.nurture.requalify import requalify
from bot.scoring import score_lead
from bot.store.models import Lead, ScoreSnapshot
from bot.store.repository import record_score, stored_profile
from bot.whatif import what_if
from tests.actions.conftest import answer, fixed, make_tracker
from tests.actions.test_actions import DOMAIN, QUALIFIED_SLOTS, TODAY

NO_CONSENT = answer("consent", "no", {"granted": False, "text_version": "v"})


def _email(address: str, kind: str) -> dict[str, Any]:
    domain = address.split("@")[1]
    return answer("email", address, {"email": address, "domain": domain, "kind": kind, "error": None})


CASES: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "qualified, pricing and demo pages seen": (
        QUALIFIED_SLOTS,
        {"marked_pages": {"pricing_page": 2, "demo_page": 1}},
    ),
    "careers page pulls the score down": (QUALIFIED_SLOTS, {"marked_pages": {"careers_page": 3}}),
    "no consent, disposable address": (
        {**QUALIFIED_SLOTS, "consent": NO_CONSENT, "email": _email("x1@mailinator.com", "disposable")},
        None,
    ),
    "no consent, a competitor's domain": (
        {**QUALIFIED_SLOTS, "consent": NO_CONSENT, "email": _email("amy@drift.com", "business")},
        {"marked_pages": {"blog": 2}},
    ),
    "declined budget, timeline not understood": (
        {
            **QUALIFIED_SLOTS,
            "budget": answer("budget", "rather not say", None, declined=True),
            "timeline": {**answer("timeline", "when the stars align", None), "error": "not_understood"},
        },
        None,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_rescoring_under_the_same_playbook_never_changes_a_score(
    case: str, playbook, sessions, dispatcher
) -> None:
    slots, metadata = CASES[case]
    action = ActionDecideOutcome(playbook=fixed(playbook), sessions=fixed(sessions), today=fixed(TODAY))
    events = await action.run(dispatcher, make_tracker(slots=slots, active=False, metadata=metadata), DOMAIN)
    said = events[0]["value"]
    assert said["saved"], case

    with sessions() as session:
        lead = session.get(Lead, said["lead_id"])
        rescored = score_lead(stored_profile(session, lead.id), playbook, today=TODAY)
        assert (rescored.score, rescored.grade, rescored.reasons) == (
            said["score"],
            said["grade"],
            said["reasons"],
        ), case
        if metadata:
            assert rescored.signals, "the website signals the chat counted are counted again"

        preview = what_if(session, playbook, today=TODAY, workers=1)
        assert preview.score_changed == 0 and preview.changes == [], case

    with sessions() as session, session.begin():  # the console's re-score writes a snapshot like the chat's
        lead = session.get(Lead, said["lead_id"])
        record_score(
            session=session,
            lead=lead,
            result=score_lead(stored_profile(session, lead.id), playbook, today=TODAY),
        )
    with sessions() as session:
        chat, console = session.execute(
            select(ScoreSnapshot).where(ScoreSnapshot.lead_id == said["lead_id"]).order_by(ScoreSnapshot.id)
        ).scalars()
        assert (console.score, console.grade, console.criteria) == (chat.score, chat.grade, chat.criteria)
        assert console.playbook_version == chat.playbook_version


async def test_requalification_reads_the_signals_the_chat_counted(playbook, sessions, dispatcher) -> None:
    # A nurture lead whose score needed its pricing-page visits: a periodic re-score on the same
    # day must not drop them (and so must not change it), and must not upgrade it either.
    slots = {
        **QUALIFIED_SLOTS,
        "timeline": answer("timeline", "in a year", {"status": "date", "date": "2027-11-24", "months": 12.0}),
    }
    action = ActionDecideOutcome(playbook=fixed(playbook), sessions=fixed(sessions), today=fixed(TODAY))
    events = await action.run(
        dispatcher,
        make_tracker(slots=slots, active=False, metadata={"marked_pages": {"pricing_page": 1}}),
        DOMAIN,
    )
    said = events[0]["value"]
    with sessions() as session:
        assert requalify(session, playbook, today=TODAY, apply=False) == []
        profile = stored_profile(session, said["lead_id"])
    assert profile["signals"] == {"pages": {"pricing_page": 1}}
    assert score_lead(profile, playbook, today=TODAY).score == said["score"]
