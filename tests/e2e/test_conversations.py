"""End-to-end: the trained assistant and the action server, chatted with over REST.

Each conversation ends with a lead record, checked in the database.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Assistant

pytestmark = pytest.mark.e2e

BUYER = {
    "need": "We want to qualify leads on our website",
    "role": "I'm the VP of Sales",
    "company_name": "Acme Robotics",
    "company_size": "about 200 people",
    "industry": "manufacturing",
    "country": "Germany",
    "budget": "around 40k a year",
    "timeline": "next month",
    "other_deciders": "just me",
    "growth_plan": "yes",
    "consent": "yes",
    "name": "Jane Doe",
    "email": "jane@acmerobotics.com",
    "readback": "Looks right",
}


def test_qualified_buyer(assistant: Assistant) -> None:
    conversation = assistant.converse(BUYER)
    lead = assistant.lead(conversation.sender)
    assert lead is not None, conversation.transcript
    assert lead["grade"] == "qualified", lead
    assert lead["next_step"] == "book_demo"
    assert lead["email"] == "jane@acmerobotics.com"
    assert lead["name"] == "Jane Doe"
    assert lead["reasons"] == []
    assert lead["answers"]["budget"]["raw"] == "around 40k a year"
    assert lead["answers"]["budget"]["normalized"]["annual_amount"] == 40000
    assert lead["playbook_version"]
    assert "other_deciders" not in conversation.asked and "growth_plan" not in conversation.asked
    assert any("find a time" in reply for reply in conversation.replies), conversation.transcript
    assert any("privacy" in line.lower() for line in conversation.transcript)


def test_gray_area_founder_gets_discovery_call(assistant: Assistant) -> None:
    persona = {
        **BUYER,
        "role": "I'm the founder and CEO",
        "company_size": "we're 3 people",
        "email": "sam@tinyco.io",
        "name": "Sam Lee",
    }
    conversation = assistant.converse(persona)
    lead = assistant.lead(conversation.sender)
    assert lead is not None
    assert "growth_plan" in conversation.asked
    assert (lead["grade"], lead["next_step"]) == ("nurture", "discovery_call"), lead
    assert lead["reasons"][0] == "icp_size"
    assert any("discovery call" in reply for reply in conversation.replies), conversation.transcript


def test_nurture_lead(assistant: Assistant) -> None:
    persona = {
        **BUYER,
        "budget": "about 5k a year",
        "timeline": "next year sometime",
        "email": "li@contoso-shop.com",
        "name": "Li Wei",
    }
    conversation = assistant.converse(persona)
    lead = assistant.lead(conversation.sender)
    assert lead is not None
    assert lead["grade"] == "nurture", lead
    assert lead["next_step"] == "nurture"
    assert {"budget", "timeline"} <= set(lead["reasons"])
    assert any("material" in reply for reply in conversation.replies), conversation.transcript


def test_disqualified_student(assistant: Assistant) -> None:
    conversation = assistant.converse({**BUYER, "role": "I'm a student"})
    lead = assistant.lead(conversation.sender)
    assert lead is not None
    assert lead["grade"] == "disqualified"
    assert lead["reasons"][0] == "student"
    assert lead["next_step"] == "close"
    assert "budget" not in conversation.asked and "email" not in conversation.asked
    assert any("resources" in reply for reply in conversation.replies), conversation.transcript


def test_everything_in_the_first_message(assistant: Assistant) -> None:
    first = "I'm the CFO of a 200-person fintech in Berlin, budget around 40k a year, we need this live by Q2"
    conversation = assistant.converse(BUYER, first=first)
    volunteered = {"role", "company_size", "industry", "country", "budget", "timeline"}
    assert not volunteered & set(conversation.asked), conversation.transcript
    # Six facts from one message are read back before the outcome, once.
    assert conversation.asked.count("readback") == 1
    assert any(line.startswith("So: CFO, 200 people, fintech") for line in conversation.transcript)
    lead = assistant.lead(conversation.sender)
    assert lead is not None
    answers = lead["answers"]
    assert answers["role"]["normalized"]["seniority"] == "c_level"
    assert answers["company_size"]["normalized"]["employees"] == 200
    assert answers["industry"]["normalized"]["industry"] == "fintech"
    assert answers["country"]["normalized"]["country"] == "DE"
    assert answers["budget"]["normalized"]["annual_amount"] == 40000
    assert answers["timeline"]["normalized"]["date"] == "2027-06-30"
    # Q2 is seven months away: later than the playbook's three months, so not a sales call yet.
    assert (lead["grade"], lead["reasons"], lead["next_step"]) == ("nurture", ["timeline"], "nurture")


def test_correction_replaces_the_value_and_rescores(assistant: Assistant) -> None:
    persona = {**BUYER, "budget": "about 5k a year", "email": "ana@fabrikam.com", "name": "Ana Ruiz"}
    conversation = assistant.converse(
        persona, interject={"timeline": ["actually our budget is closer to 80k"]}
    )
    ((slot, _, replies),) = conversation.interjections
    assert any("updated your budget" in reply for reply in replies), replies
    lead = assistant.lead(conversation.sender)
    assert lead is not None
    assert lead["answers"]["budget"]["normalized"]["annual_amount"] == 80000
    assert conversation.asked.count("budget") == 1
    assert lead["grade"] == "qualified", lead


def test_why_do_you_ask_then_same_question(assistant: Assistant) -> None:
    conversation = assistant.converse(
        {**BUYER, "email": "kim@globex.com"}, interject={"budget": ["why do you need that?"]}
    )
    ((slot, _, replies),) = conversation.interjections
    assert slot == "budget"
    assert any("rough figure" in reply for reply in replies), replies
    assert any("budget" in reply.lower() for reply in replies)
    # the form asked budget again right after the explanation
    assert conversation.asked.count("budget") == 2
    lead = assistant.lead(conversation.sender)
    assert lead is not None and lead["grade"] == "qualified"


def test_declined_answer_is_recorded_and_scored_unknown(assistant: Assistant) -> None:
    persona = {**BUYER, "budget": "I'd rather not say", "email": "ola@initech.com"}
    conversation = assistant.converse(persona)
    lead = assistant.lead(conversation.sender)
    assert lead is not None
    assert lead["answers"]["budget"]["declined"] is True
    assert conversation.asked.count("budget") == 1
    assert lead["grade"] != "disqualified"


BAD_INPUTS = [
    "😀😀😀",
    "<script>alert('x')</script>",
    "'; DROP TABLE leads; --",
    "x" * 10000,
    "   ",
]


def test_bad_input_gets_a_sensible_reply_and_nothing_breaks(assistant: Assistant) -> None:
    persona = {**BUYER, "company_name": "<b>Acme</b> & Sons'; --", "email": "bo@umbrella.com"}
    # One odd message at each of five questions: every one gets an answer, nothing breaks, and
    # no question is asked a third time (the second answer is kept in the visitor's words).
    slots = ["role", "company_size", "industry", "country", "budget"]
    conversation = assistant.converse(
        persona, interject={slot: [message] for slot, message in zip(slots, BAD_INPUTS, strict=True)}
    )
    assert len(conversation.interjections) == len(BAD_INPUTS), conversation.transcript
    for _, message, replies in conversation.interjections:
        assert replies, f"no reply to {message[:40]!r}"
        assert not any("Traceback" in r or "Exception" in r for r in replies)
    assert max(conversation.asked.count(slot) for slot in slots) <= 2, conversation.transcript
    lead = assistant.lead(conversation.sender)
    assert lead is not None and lead["grade"] in ("qualified", "nurture")


def test_odd_numbers_never_crash(assistant: Assistant) -> None:
    for message in ["1e9", "½", "٣٠٠", "0x1F", "-5", "10^6", "∞"]:
        replies = assistant.say("e2e-odd-numbers", message)
        assert replies and not any("Traceback" in r for r in replies), message


def test_requests_and_reprompts_said_by_the_extractor_reach_the_visitor(assistant: Assistant) -> None:
    # Rasa drops a slot-mapping action's own messages: these are held and said by
    # action_validate_slot_mappings, so the visitor hears them (they were silent before).
    conversation = assistant.converse(
        {**BUYER, "email": "lee@initech.com", "name": "Lee Park"},
        interject={
            "company_size": ["depends how you count the dental clinics"],
            "budget": ["can someone just ring me tomorrow instead?"],
        },
    )
    by_slot = {slot: replies for slot, _, replies in conversation.interjections}
    assert any(reply.startswith("Sorry, I couldn't read a number of people") for reply in by_slot["company_size"])
    assert any("get you to our team" in reply for reply in by_slot["budget"]), by_slot["budget"]
    lead = assistant.lead(conversation.sender)
    assert lead is not None
    assert not lead["answers"]["timeline"]["raw"].startswith("can someone")  # "tomorrow" was when to call
    # the request is honoured at the outcome: times are offered or a callback is recorded
    offered = any("times" in line for line in conversation.transcript)
    assert offered or assistant.callback_requests(lead["id"]), conversation.transcript
