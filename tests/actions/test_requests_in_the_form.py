"""A request for a person, a callback or a time to meet is never lost inside the form.

When the same message also fills a question (a date read from "tomorrow"), Rasa's form takes
it and the rules for the intent never run: action_extract_fields records the request itself.
"""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.digressions import ActionHandoff
from actions.extraction import ActionExtractFields
from tests.actions.conftest import TODAY, fixed, make_tracker, said
from tests.actions.test_actions import DOMAIN


def _events_by_name(events: list[dict]) -> dict[str, object]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("can someone just give me a ring tomorrow instead?", "request_callback"),
        ("could you have someone call me on Friday at 3?", "suggest_time"),
        ("honestly, could I just book a call with one of your reps", "inform"),
    ],
)
async def test_a_request_inside_the_form_is_recorded_and_is_not_a_timeline(
    text: str, intent: str, playbook, dispatcher
) -> None:
    action = ActionExtractFields(playbook=fixed(playbook), today=fixed(TODAY))
    tracker = make_tracker(text, intent=intent, confidence=0.97, requested="budget")
    slots = _events_by_name(await action.run(dispatcher, tracker, DOMAIN))
    assert slots["handoff"]["text"] == text
    assert "timeline" not in slots
    # held for action_validate_slot_mappings (Rasa drops a slot-mapping action's own messages)
    assert dispatcher.messages == [] and [said(m) for m in slots["notices"]] == ["utter_human_handoff"]


async def test_a_buying_time_beside_the_request_is_kept(playbook, dispatcher) -> None:
    action = ActionExtractFields(playbook=fixed(playbook), today=fixed(TODAY))
    text = "we want it live by March, can someone call me tomorrow?"
    slots = _events_by_name(await action.run(dispatcher, make_tracker(text, requested="budget"), DOMAIN))
    assert slots["handoff"] and slots["timeline"]["value"]["date"] == "2027-03-31"


async def test_the_handoff_action_does_not_repeat_what_extraction_said(dispatcher) -> None:
    tracker = make_tracker("can someone ring me tomorrow?", intent="request_callback", requested="budget")
    tracker.events.append({"event": "slot", "name": "handoff", "value": {"text": "can someone ring me tomorrow?"}})
    tracker.slots["handoff"] = {"text": "can someone ring me tomorrow?"}
    assert await ActionHandoff().run(dispatcher, tracker, DOMAIN) == []
    assert dispatcher.messages == []


async def test_a_company_named_like_a_request_is_not_one(playbook, dispatcher) -> None:
    action = ActionExtractFields(playbook=fixed(playbook), today=fixed(TODAY))
    tracker = make_tracker("Savanna Connect", intent="human_handoff", confidence=0.9, requested="company_name")
    slots = _events_by_name(await action.run(dispatcher, tracker, DOMAIN))
    assert slots["company_name"]["value"] == {"name": "Savanna Connect"} and "handoff" not in slots
    assert dispatcher.messages == [] and "notices" not in slots


async def test_held_notices_are_said_once(dispatcher) -> None:
    from actions.notices import ActionSayNotices

    held = [{"response": "utter_human_handoff"}, {"text": "Sorry, I couldn't read an amount.", "utter_action": "utter_invalid_budget"}]
    events = await ActionSayNotices().run(dispatcher, make_tracker(slots={"notices": held}), DOMAIN)
    assert [said(m) for m in dispatcher.messages] == ["utter_human_handoff", "utter_invalid_budget"]
    assert events == [{"event": "slot", "timestamp": None, "name": "notices", "value": None}]
    assert await ActionSayNotices().run(CollectingDispatcher(), make_tracker(), DOMAIN) == []
