"""A/B variants end to end through the actions: the greeting's and proactive message's variant is
said and recorded, a question's variant is recorded, and the outcome stores each answer's variant
and the lead's variants."""

from __future__ import annotations

from collections import Counter
from typing import Any

import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.asking import ASK_ACTIONS
from actions.digressions import ActionGreet
from actions.outcome import ActionDecideOutcome
from bot.playbook import Playbook, parse_playbook
from bot.settings import PROJECT_ROOT
from bot.store.repository import get_lead_by_conversation
from tests.actions.conftest import TODAY, fixed, make_tracker
from tests.actions.test_actions import DOMAIN, QUALIFIED_SLOTS, slot_events

TEXT = (PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text(encoding="utf-8")


def with_variants() -> Playbook:
    data = yaml.safe_load(TEXT)
    data["greeting"]["variants"] = [
        {"id": "a", "text": data["greeting"]["text"]},
        {"id": "b", "text": "Hello from {company}! Three minutes of questions, then the right person. Privacy: {privacy_url}"},
    ]
    data["website"]["proactive"][0]["message"]["variants"] = [
        {"id": "a", "text": "Comparing plans? I can help."},
        {"id": "b", "text": "Which plan fits {company}'s customers like you? Ask me."},
    ]
    for question in data["questions"]:
        if question["key"] == "budget":
            question["variants"] = [{"id": "a", "ask": question["ask"]}, {"id": "b", "ask": "Is there a yearly budget for this?"}]
    return parse_playbook(yaml.safe_dump(data), source="ab")


async def test_greeting_variant_is_said_recorded_and_sticky() -> None:
    playbook = with_variants()
    greet = ActionGreet(playbook=fixed(playbook), sessions=fixed(lambda: None))
    seen: Counter[str] = Counter()
    for i in range(200):
        dispatcher = CollectingDispatcher()
        tracker = make_tracker("hi", intent="greet", sender=f"visitor-{i}")
        events = await greet.run(dispatcher, tracker, DOMAIN)
        variant = slot_events(events)["question_variants"]["greeting"]
        message = dispatcher.messages[0]
        assert message["utter_action"] == "utter_greet" and message["variant"] == variant
        expected = "Hi! I'm Banter Demo Co's assistant" if variant == "a" else "Hello from Banter Demo Co!"
        assert message["text"].startswith(expected) and "/privacy" in message["text"]
        seen[variant] += 1
        again = CollectingDispatcher()
        await greet.run(again, make_tracker("hi", intent="greet", sender=f"visitor-{i}"), DOMAIN)
        assert again.messages[0]["text"] == message["text"]  # the same visitor, the same greeting
    assert 70 < seen["a"] < 130 and seen["a"] + seen["b"] == 200


async def test_a_proactive_open_says_the_rule_message_first() -> None:
    playbook = with_variants()
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("hi", intent="greet", metadata={"proactive": "/pricing"})
    events = await ActionGreet(playbook=fixed(playbook), sessions=fixed(lambda: None)).run(dispatcher, tracker, DOMAIN)
    variants = slot_events(events)["question_variants"]
    assert set(variants) == {"proactive:/pricing", "greeting"}
    first, second = dispatcher.messages
    assert first["utter_action"] == "utter_proactive" and first["variant"] == variants["proactive:/pricing"]
    assert first["text"] in ("Comparing plans? I can help.", "Which plan fits Banter Demo Co's customers like you? Ask me.")
    assert second["utter_action"] == "utter_greet"
    # a path no rule has (or none at all): the greeting alone
    plain = CollectingDispatcher()
    await ActionGreet(playbook=fixed(playbook), sessions=fixed(lambda: None)).run(
        plain, make_tracker("hi", intent="greet", metadata={"proactive": "/nowhere"}), DOMAIN
    )
    assert [m["utter_action"] for m in plain.messages] == ["utter_greet"]


async def test_no_variants_no_slot(playbook: Playbook) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionGreet(playbook=fixed(playbook), sessions=fixed(lambda: None)).run(
        dispatcher, make_tracker("hi", intent="greet"), DOMAIN
    )
    assert events == [] and "variant" not in dispatcher.messages[0]


async def test_each_answer_and_the_lead_keep_the_variants_seen(sessions) -> None:  # type: ignore[no-untyped-def]
    playbook = with_variants()
    ask = ASK_ACTIONS["budget"](playbook=fixed(playbook))
    dispatcher = CollectingDispatcher()
    greeted: dict[str, Any] = {"greeting": "b"}
    events = await ask.run(dispatcher, make_tracker(slots={"question_variants": greeted}, requested="budget"), DOMAIN)
    seen = slot_events(events)["question_variants"]
    assert seen["greeting"] == "b" and seen["budget"] == dispatcher.messages[0]["variant"]
    action = ActionDecideOutcome(playbook=fixed(playbook), sessions=fixed(sessions), today=fixed(TODAY))
    await action.run(
        CollectingDispatcher(), make_tracker(slots={**QUALIFIED_SLOTS, "question_variants": seen}, active=False), DOMAIN
    )
    with sessions() as session:
        lead = get_lead_by_conversation(session=session, sender_id="visitor-1")
    assert lead is not None
    assert lead["variants"] == seen
    assert lead["answers"]["budget"]["variant"] == seen["budget"]
    assert lead["answers"]["role"]["variant"] is None  # a question without variants
