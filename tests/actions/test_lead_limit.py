"""The lead limit per address in action_decide_outcome: over it the conversation goes on, nothing is
stored, the visitor is told honestly and staff find the conversation in the log."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.outcome import ActionDecideOutcome
from bot.channel_input import CLIENT_KEY
from bot.chat_limits import ChatLimiter, ChatLimits, lead_not_stored
from bot.ratelimit import Limiter
from bot.store.models import Conversation, Lead
from bot.store.repository import get_lead_by_conversation
from tests.actions.conftest import TODAY, answer, fixed, make_tracker
from tests.actions.test_actions import DOMAIN, QUALIFIED_SLOTS, slot_events

# anonymous leads (no email): each conversation is a lead of its own, none deduplicated
ANONYMOUS = {**QUALIFIED_SLOTS, "email": None, "name": None}


async def run_outcome(
    action: ActionDecideOutcome, sender: str, client: str | None, slots: dict[str, Any] = ANONYMOUS
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    metadata = {"page_url": "https://example.com/pricing", **({CLIENT_KEY: client} if client else {})}
    tracker = make_tracker("next month", slots=slots, active=False, sender=sender, metadata=metadata)
    events = await action.run(dispatcher, tracker, DOMAIN)
    return slot_events(events)["outcome"], dispatcher.messages


def lead_count(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return int(session.execute(select(func.count()).select_from(Lead)).scalar_one())


@pytest.fixture
def action(playbook, sessions) -> ActionDecideOutcome:  # type: ignore[no-untyped-def]
    limits = ChatLimiter(ChatLimits.from_env({"BANTER_LIMIT_LEADS_PER_IP": "2/hour"}), Limiter())
    return ActionDecideOutcome(
        playbook=fixed(playbook), sessions=fixed(sessions), today=fixed(TODAY), limits=fixed(limits)
    )


async def test_over_the_lead_limit_no_lead_is_stored_and_the_conversation_goes_on(
    action: ActionDecideOutcome,
    sessions,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level(logging.WARNING, logger="actions.outcome")
    first, _ = await run_outcome(action, "visitor-1", "network-a")
    second, _ = await run_outcome(action, "visitor-2", "network-a")
    assert first["saved"] and second["saved"]

    third, said = await run_outcome(action, "visitor-3", "network-a")
    assert third["saved"] is False and third["limited"] is True and "lead_id" not in third
    assert [m["text"] for m in said] in ([lead_not_stored(3600)], [lead_not_stored(3601)])
    assert "I can't save any more sign-ups from your network" in said[0]["text"]
    with sessions() as session:
        assert get_lead_by_conversation(session=session, sender_id="visitor-3") is None
    assert lead_count(sessions) == 2
    assert "lead limit" in caplog.text and "visitor-3" in caplog.text  # staff can find the conversation

    # the next message of that conversation tries again (still full here): nothing stored, same honesty
    again, said = await run_outcome(action, "visitor-3", "network-a", {**ANONYMOUS, "outcome": third})
    assert again["limited"] is True and "I can't save" in said[0]["text"]

    # another address is not affected
    other, _ = await run_outcome(action, "visitor-4", "network-b")
    assert other["saved"] is True and lead_count(sessions) == 3


async def test_updating_a_stored_lead_is_not_a_new_lead(action: ActionDecideOutcome, sessions) -> None:  # type: ignore[no-untyped-def]
    outcomes = [(await run_outcome(action, f"visitor-{n}", "network-a"))[0] for n in range(2)]
    assert all(o["saved"] for o in outcomes)
    corrected = {
        **ANONYMOUS,
        "company_size": answer("company_size", "20", {"employees": 20, "min": 20, "max": 20}),
        "outcome": outcomes[0],
    }
    updated, _ = await run_outcome(action, "visitor-0", "network-a", corrected)
    assert updated["saved"] is True and updated["lead_id"] == outcomes[0]["lead_id"]


async def test_the_stamp_is_not_stored_with_the_lead(action: ActionDecideOutcome, sessions) -> None:  # type: ignore[no-untyped-def]
    await run_outcome(action, "visitor-1", "network-a")
    with sessions() as session:
        extra = session.execute(
            select(Conversation.extra).where(Conversation.sender_id == "visitor-1")
        ).scalar_one()
    assert CLIENT_KEY not in (extra or {})


async def test_a_message_without_a_stamp_is_not_counted(playbook, sessions) -> None:  # type: ignore[no-untyped-def]
    limits = ChatLimiter(ChatLimits.from_env({"BANTER_LIMIT_LEADS_PER_IP": "1/hour"}), Limiter())
    action = ActionDecideOutcome(
        playbook=fixed(playbook), sessions=fixed(sessions), today=fixed(TODAY), limits=fixed(limits)
    )
    for n in range(3):
        assert (await run_outcome(action, f"api-{n}", None))[0]["saved"]
    assert lead_count(sessions) == 3
