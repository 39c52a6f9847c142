"""Actions: exact events and messages for happy and unhappy paths."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rasa_sdk.events import AllSlotsReset, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import OperationalError

from actions.digressions import ActionDigression, ActionExplainWhy, ActionHandoff, ActionStartOver
from actions.extraction import ActionExtractFields
from actions.form import ValidateBantForm
from actions.outcome import ActionDecideOutcome
from bot.store.repository import get_lead_by_conversation
from tests.actions.conftest import TODAY, answer, fixed, make_tracker, said

DOMAIN: dict[str, Any] = {"slots": {}, "forms": {"bant_form": {"required_slots": []}}}


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_extract_several_fields_from_one_message(playbook, dispatcher) -> None:
    action = ActionExtractFields(playbook=fixed(playbook), today=fixed(TODAY))
    tracker = make_tracker("I'm the CFO of a 200-person fintech in Berlin", requested="need")
    events = await action.run(dispatcher, tracker, DOMAIN)
    slots = slot_events(events)
    assert set(slots) == {"role", "company_size", "industry", "country"}
    assert slots["role"]["value"]["seniority"] == "c_level"
    assert slots["company_size"]["value"]["employees"] == 200
    assert slots["industry"]["value"]["industry"] == "fintech"
    assert slots["country"]["value"]["country"] == "DE"
    assert slots["role"]["raw"] and slots["role"]["at"]
    assert dispatcher.messages == []


async def test_correction_replaces_value_and_remembers_the_old_one(playbook, dispatcher) -> None:
    old = answer("budget", "about 5k a year", {"status": "amount", "amount": 5000, "annual_amount": 5000})
    action = ActionExtractFields(playbook=fixed(playbook), today=fixed(TODAY))
    tracker = make_tracker(
        "actually our budget is closer to 80k", requested="timeline", slots={"budget": old}
    )
    events = await action.run(dispatcher, tracker, DOMAIN)
    slots = slot_events(events)
    assert list(slots) == ["budget"]
    assert slots["budget"]["value"]["annual_amount"] == 80000
    assert slots["budget"]["corrected_from"] == old["value"]


async def test_form_confirms_a_correction(playbook, dispatcher) -> None:
    corrected = {
        **answer(
            "budget",
            "actually 80k",
            {"status": "amount", "amount": 80000, "currency": None, "period": None, "annual_amount": 80000},
        ),
        "corrected_from": {"status": "amount", "amount": 5000},
    }
    tracker = make_tracker("actually 80k", requested="timeline", slots={"budget": corrected})
    tracker.events.append({"event": "slot", "name": "budget", "value": corrected})
    domain = {"slots": {"budget": {}}, "forms": {"bant_form": {"required_slots": ["budget", "timeline"]}}}
    await ValidateBantForm(playbook=fixed(playbook)).run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_updated_value"
    assert dispatcher.messages[0]["value_label"] == "$80,000 a year"


async def test_decline_records_declined(playbook, dispatcher) -> None:
    action = ActionExtractFields(playbook=fixed(playbook), today=fixed(TODAY))
    events = await action.run(
        dispatcher, make_tracker("I'd rather not say", intent="decline", requested="budget"), DOMAIN
    )
    slots = slot_events(events)
    assert slots["budget"]["declined"] is True
    assert slots["budget"]["value"] is None


async def test_consent_from_affirm_records_text_version(playbook, dispatcher) -> None:
    action = ActionExtractFields(playbook=fixed(playbook), today=fixed(TODAY))
    events = await action.run(dispatcher, make_tracker("yes", intent="affirm", requested="consent"), DOMAIN)
    consent = slot_events(events)["consent"]
    assert consent["value"] == {"granted": True, "text_version": playbook.consent.text_version}


async def test_question_is_not_taken_as_free_text_answer(playbook, dispatcher) -> None:
    action = ActionExtractFields(playbook=fixed(playbook), today=fixed(TODAY))
    tracker = make_tracker("why do you need that?", intent="ask_why", requested="company_name")
    assert await action.run(dispatcher, tracker, DOMAIN) == []


async def test_form_asks_nothing_more_of_a_student(playbook, dispatcher) -> None:
    form = ValidateBantForm(playbook=fixed(playbook))
    role = answer("role", "I'm a student", {"title": "student", "seniority": "student"})
    tracker = make_tracker("I'm a student", requested="role", slots={"role": role})
    assert await form.required_slots([], dispatcher, tracker, DOMAIN) == []


async def test_form_skips_contact_without_consent(playbook, dispatcher) -> None:
    form = ValidateBantForm(playbook=fixed(playbook))
    denied = answer("consent", "no", {"granted": False, "text_version": "x"})
    tracker = make_tracker("no", requested="consent", slots={"consent": denied})
    required = await form.required_slots([], dispatcher, tracker, DOMAIN)
    assert "name" not in required and "email" not in required and "consent" not in required
    assert required[0] == "need"


@pytest.mark.parametrize(
    ("value", "warned", "response", "expected"),
    [
        (
            {"email": "jane@", "domain": "", "kind": "invalid", "error": "malformed"},
            False,
            "utter_invalid_email",
            {"email": None},
        ),
        (
            {"email": "jane@gmail.com", "domain": "gmail.com", "kind": "free", "error": None},
            False,
            "utter_freemail_email",
            {"email": None, "freemail_warned": True},
        ),
        (
            {"email": "x@mailinator.com", "domain": "mailinator.com", "kind": "disposable", "error": None},
            True,
            "utter_disposable_email",
            {"email": None},
        ),
    ],
)
async def test_email_reprompts(playbook, value, warned, response, expected) -> None:
    dispatcher = CollectingDispatcher()
    form = ValidateBantForm(playbook=fixed(playbook))
    slot = answer("email", value["email"], value)
    tracker = make_tracker(value["email"], requested="email", slots={"freemail_warned": warned})
    result = await form.validate_email(slot, dispatcher, tracker, DOMAIN)
    assert result == expected
    assert [said(m) for m in dispatcher.messages] == [response]


async def test_free_mail_accepted_when_insisted(playbook, dispatcher) -> None:
    form = ValidateBantForm(playbook=fixed(playbook))
    value = {"email": "jane@gmail.com", "domain": "gmail.com", "kind": "free", "error": None}
    slot = answer("email", "jane@gmail.com", value)
    tracker = make_tracker("jane@gmail.com", requested="email", slots={"freemail_warned": True})
    assert await form.validate_email(slot, dispatcher, tracker, DOMAIN) == {"email": slot}
    assert dispatcher.messages == []


async def test_unreadable_budget_gets_specific_reprompt(playbook, dispatcher) -> None:
    form = ValidateBantForm(playbook=fixed(playbook))
    slot = {**answer("budget", "banana", None), "error": "not_understood"}
    assert await form.validate_budget(slot, dispatcher, make_tracker("banana"), DOMAIN) == {
        "budget": None,
        "misses": {"budget": 1},
    }
    assert [said(m) for m in dispatcher.messages] == ["utter_invalid_budget"]


@pytest.mark.parametrize(
    ("field", "kept"),
    [
        ("budget", {"status": "not_understood"}),
        ("industry", {"industry": "other", "status": "not_understood"}),
    ],
)
async def test_second_unreadable_answer_is_kept_in_the_visitors_words(
    playbook, dispatcher, field, kept
) -> None:
    form = ValidateBantForm(playbook=fixed(playbook))
    slot = {**answer(field, "we do interior design", None), "error": "not_understood"}
    tracker = make_tracker("we do interior design", slots={"misses": {field: 1}})
    result = await getattr(form, f"validate_{field}")(slot, dispatcher, tracker, DOMAIN)
    assert result[field]["value"] == kept and result[field]["raw"] == "we do interior design"
    assert result[field]["error"] is None and result["misses"] == {}
    assert [said(m) for m in dispatcher.messages] == ["utter_noted_as_said"]


QUALIFIED_SLOTS = {
    "need": answer("need", "qualify leads", {"use_case": "lead_qualification", "status": "matched"}),
    "role": answer("role", "VP of Sales", {"title": "VP of Sales", "seniority": "vp"}),
    "company_name": answer("company_name", "Acme", {"name": "Acme"}),
    "company_size": answer("company_size", "200 people", {"employees": 200, "min": 200, "max": 200}),
    "industry": answer("industry", "fintech", {"industry": "fintech"}),
    "country": answer("country", "Germany", {"country": "DE", "region": "europe"}),
    "budget": answer(
        "budget",
        "40k a year",
        {
            "status": "amount",
            "amount": 40000,
            "amount_max": None,
            "currency": "USD",
            "period": "year",
            "annual_amount": 40000,
        },
    ),
    "timeline": answer("timeline", "next month", {"status": "date", "date": "2026-12-24", "months": 1.0}),
    "consent": answer("consent", "yes", {"granted": True, "text_version": "contact-v1"}),
    "name": answer("name", "Jane Doe", {"full": "Jane Doe", "first": "Jane"}),
    "email": answer(
        "email",
        "jane@acme.com",
        {"email": "jane@acme.com", "domain": "acme.com", "kind": "business", "error": None},
    ),
}


async def test_outcome_qualified_is_stored_and_said(playbook, sessions, dispatcher) -> None:
    action = ActionDecideOutcome(playbook=fixed(playbook), sessions=fixed(sessions), today=fixed(TODAY))
    tracker = make_tracker(
        "jane@acme.com",
        slots=QUALIFIED_SLOTS,
        active=False,
        metadata={"page_url": "https://example.com/pricing", "utm_source": "google"},
    )
    events = await action.run(dispatcher, tracker, DOMAIN)
    outcome = slot_events(events)["outcome"]
    assert (
        outcome["saved"] is True and outcome["grade"] == "qualified" and outcome["next_step"] == "book_demo"
    )
    assert [said(m) for m in dispatcher.messages] == ["utter_outcome_qualified"]
    with sessions() as session:
        lead = get_lead_by_conversation(session=session, sender_id="visitor-1")
    assert lead is not None
    assert (lead["email"], lead["grade"], lead["next_step"]) == ("jane@acme.com", "qualified", "book_demo")
    assert lead["answers"]["budget"]["raw"] == "40k a year"
    assert lead["conversations"][0]["page_url"] == "https://example.com/pricing"
    assert lead["consents"][0]["granted"] is True

    # Same answers again: nothing new to say or store.
    again = CollectingDispatcher()
    assert (
        await action.run(
            again, make_tracker(slots={**QUALIFIED_SLOTS, "outcome": outcome}, active=False), DOMAIN
        )
        == []
    )
    assert again.messages == []


async def test_no_contact_details_stored_without_consent(playbook, sessions, dispatcher) -> None:
    slots = {**QUALIFIED_SLOTS, "consent": answer("consent", "no", {"granted": False, "text_version": "v"})}
    action = ActionDecideOutcome(playbook=fixed(playbook), sessions=fixed(sessions), today=fixed(TODAY))
    await action.run(dispatcher, make_tracker(slots=slots, active=False), DOMAIN)
    with sessions() as session:
        lead = get_lead_by_conversation(session=session, sender_id="visitor-1")
    assert lead is not None
    assert lead["email"] is None and lead["name"] is None
    assert "name" not in lead["answers"]
    # Only the kind of address (and a business domain: the company's, not the person's) is kept,
    # because the score read it and a re-score must read the same.
    kept = lead["answers"]["email"]
    assert kept["raw"] == "" and kept["normalized"] == {"kind": "business", "domain": "acme.com"}
    assert "jane" not in json.dumps(lead).lower()


async def test_failed_write_is_never_reported_as_success(playbook, dispatcher) -> None:
    def broken_sessions():
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    action = ActionDecideOutcome(
        playbook=fixed(playbook), sessions=fixed(broken_sessions), today=fixed(TODAY)
    )
    events = await action.run(dispatcher, make_tracker(slots=QUALIFIED_SLOTS, active=False), DOMAIN)
    assert slot_events(events)["outcome"]["saved"] is False
    assert [said(m) for m in dispatcher.messages] == ["utter_save_failed"]


async def test_explain_why_for_the_open_question(dispatcher) -> None:
    await ActionExplainWhy().run(
        dispatcher, make_tracker("why?", intent="ask_why", requested="budget"), DOMAIN
    )
    assert [said(m) for m in dispatcher.messages] == ["utter_why_budget"]


async def test_start_over_resets_every_slot(dispatcher) -> None:
    events = await ActionStartOver().run(dispatcher, make_tracker("start over", intent="start_over"), DOMAIN)
    assert events == [AllSlotsReset()]
    assert [said(m) for m in dispatcher.messages] == ["utter_start_over"]


def test_slot_set_shape() -> None:
    assert SlotSet("x", 1) == {"event": "slot", "timestamp": None, "name": "x", "value": 1}


async def test_a_volunteered_free_mail_address_gets_one_request_for_a_work_email(
    playbook, dispatcher
) -> None:
    email = answer(
        "email", "jane@gmail.com", {"email": "jane@gmail.com", "domain": "gmail.com", "kind": "free"}
    )
    consent = answer("consent", "yes", {"granted": True, "text_version": "contact-v1"})
    tracker = make_tracker(
        "we need it next month", requested="timeline", slots={"email": email, "consent": consent}
    )
    domain = {
        "slots": {"email": {}, "timeline": {}},
        "forms": {"bant_form": {"required_slots": ["timeline"]}},
    }
    events = await ValidateBantForm(playbook=fixed(playbook)).run(dispatcher, tracker, domain)
    assert [said(m) for m in dispatcher.messages] == ["utter_freemail_email"]
    assert {"email": None, "freemail_warned": True}.items() <= slot_events(events).items()
    warned = make_tracker(
        "ok", requested="timeline", slots={"email": email, "consent": consent, "freemail_warned": True}
    )
    again = CollectingDispatcher()
    await ValidateBantForm(playbook=fixed(playbook)).run(again, warned, domain)
    assert again.messages == []


def _bot(response: str) -> dict[str, Any]:
    return {"event": "bot", "text": response, "metadata": {"utter_action": response}}


async def test_the_same_fallback_is_never_sent_twice_in_a_row(dispatcher) -> None:
    first = make_tracker("what's the weather in Paris", intent="out_of_scope", requested="budget")
    await ActionDigression().run(dispatcher, first, DOMAIN)
    second = make_tracker("and in Rome?", intent="out_of_scope", requested="budget")
    user = second.events[0]
    second.events = [
        {"event": "user", "text": "what's the weather in Paris"},
        _bot("utter_out_of_scope"),
        user,
    ]
    await ActionDigression().run(dispatcher, second, DOMAIN)
    third = make_tracker("and Oslo", intent="out_of_scope", requested="budget")
    third.events = [{"event": "user", "text": "x"}, _bot("utter_out_of_scope_again"), third.events[0]]
    events = await ActionDigression().run(dispatcher, third, DOMAIN)
    sent = [said(m) for m in dispatcher.messages]
    assert sent == ["utter_out_of_scope", "utter_out_of_scope_again", "utter_noted_as_said"]
    kept = slot_events(events)["budget"]
    assert kept["raw"] == "and Oslo" and kept["value"] == {"status": "not_understood"}


async def test_a_digression_that_answered_the_question_gets_no_fallback(dispatcher) -> None:
    tracker = make_tracker("we need payroll software", intent="out_of_scope", requested="need")
    tracker.events.append({"event": "slot", "name": "need", "value": {"raw": "we need payroll software"}})
    assert await ActionDigression().run(dispatcher, tracker, DOMAIN) == []
    assert dispatcher.messages == []


async def test_a_request_for_a_person_is_recorded_and_acknowledged_once(dispatcher) -> None:
    tracker = make_tracker("can I talk to someone from sales and book a demo?", intent="human_handoff")
    events = await ActionHandoff().run(dispatcher, tracker, DOMAIN)
    assert slot_events(events)["handoff"]["text"].startswith("can I talk to someone")
    again = make_tracker(
        "a human please", intent="human_handoff", slots={"handoff": {"at": "x", "text": "y"}}
    )
    assert await ActionHandoff().run(dispatcher, again, DOMAIN) == []
    assert [said(m) for m in dispatcher.messages] == ["utter_human_handoff", "utter_handoff_noted"]


@pytest.mark.parametrize(
    ("address", "kind", "response"),
    [("jane@gmail.com", "free", "utter_freemail_email"), ("jane@", "invalid", "utter_invalid_email")],
)
async def test_an_email_that_answers_its_question_is_still_validated(
    playbook, dispatcher, address, kind, response
) -> None:
    email = answer("email", address, {"email": address, "domain": "gmail.com", "kind": kind})
    consent = answer("consent", "yes", {"granted": True, "text_version": "contact-v1"})
    tracker = make_tracker(address, requested="email", slots={"email": email, "consent": consent})
    tracker.events.append({"event": "slot", "name": "email", "value": email})
    domain = {"slots": {"email": {}}, "forms": {"bant_form": {"required_slots": ["email"]}}}
    events = await ValidateBantForm(playbook=fixed(playbook)).run(dispatcher, tracker, domain)
    assert [said(m) for m in dispatcher.messages] == [response]
    assert slot_events(events)["email"] is None


async def test_a_word_in_another_answer_does_not_replace_an_answered_field(playbook, dispatcher) -> None:
    industry = answer("industry", "we make furniture", {"industry": "manufacturing"})
    action = ActionExtractFields(playbook=fixed(playbook), today=fixed(TODAY))
    said = "distributors and hotels send us forms and we can't tell who is serious"
    tracker = make_tracker(said, requested="need", slots={"industry": industry})
    assert "industry" not in slot_events(await action.run(dispatcher, tracker, DOMAIN))
    corrected = make_tracker(
        "sorry, we're actually a hotel group", requested="need", slots={"industry": industry}
    )
    assert slot_events(await action.run(dispatcher, corrected, DOMAIN))["industry"]["value"] == {
        "industry": "hospitality"
    }


def _asked(tracker: Any, field: str, times: int) -> Any:
    asks = [{"event": "slot", "name": "requested_slot", "value": field} for _ in range(times)]
    tracker.events[:0] = asks
    return tracker


async def test_a_yes_no_question_is_not_asked_a_third_time(playbook, dispatcher) -> None:
    action = ActionExtractFields(playbook=fixed(playbook), today=fixed(TODAY))
    once = _asked(make_tracker("hmm, depends", requested="consent"), "consent", 1)
    assert "consent" not in slot_events(await action.run(dispatcher, once, DOMAIN))
    twice = _asked(make_tracker("hmm, depends", requested="consent"), "consent", 2)
    consent = slot_events(await action.run(dispatcher, twice, DOMAIN))["consent"]
    assert consent["value"]["granted"] is False and consent["raw"] == "hmm, depends"


async def test_an_unusable_email_is_not_asked_for_a_third_time(playbook, dispatcher) -> None:
    form = ValidateBantForm(playbook=fixed(playbook))
    slot = answer(
        "email",
        "x@mailinator.com",
        {"email": "x@mailinator.com", "domain": "mailinator.com", "kind": "disposable"},
    )
    assert await form.validate_email(slot, dispatcher, _asked(make_tracker("x"), "email", 1), DOMAIN) == {
        "email": None
    }
    assert await form.validate_email(slot, dispatcher, _asked(make_tracker("x"), "email", 2), DOMAIN) == {
        "email": slot
    }


async def test_a_lone_surrogate_is_replaced_not_a_crash(playbook, dispatcher) -> None:
    action = ActionExtractFields(playbook=fixed(playbook), today=fixed(TODAY))
    tracker = make_tracker("we are 50 people \ud800", requested="company_size")
    slots = slot_events(await action.run(dispatcher, tracker, DOMAIN))
    assert slots["company_size"]["value"]["employees"] == 50
    slots["company_size"]["raw"].encode("utf-8")  # stores as UTF-8 (the replacement character)


async def test_rasas_fallback_never_loops_and_never_drops_the_message(dispatcher) -> None:
    from actions.digressions import ActionDefaultFallback

    new = make_tracker("guten Tag", intent="nlu_fallback", active=False)
    events = await ActionDefaultFallback().run(dispatcher, new, DOMAIN)
    assert events[-1] == {"event": "followup", "name": "bant_form", "timestamp": None}
    done = make_tracker("hmm", intent="nlu_fallback", active=False, slots={"outcome": {"saved": True}})
    events = await ActionDefaultFallback().run(dispatcher, done, DOMAIN)
    assert events == [{"event": "followup", "name": "action_listen", "timestamp": None}]
    assert [said(m) for m in dispatcher.messages] == ["utter_ask_rephrase", "utter_anything_else"]
    assert not any(e.get("event") == "rewind" for e in events)


async def test_an_unreadable_first_answer_gets_a_specific_reprompt_not_the_same_question(
    playbook, dispatcher
) -> None:
    action = ActionExtractFields(playbook=fixed(playbook), today=fixed(TODAY))
    # the message names an industry, so it is not an unreadable answer to the size question (no error)
    tracker = make_tracker("depends how you count the dental clinics", requested="company_size")
    events = await action.run(dispatcher, tracker, DOMAIN)
    assert "company_size" not in slot_events(events) and "industry" in slot_events(events)
    held = slot_events(events)["notices"]  # said by action_validate_slot_mappings
    assert [said(m) for m in held] == ["utter_invalid_company_size"]


async def test_a_correction_inside_one_answer_keeps_the_corrected_value(playbook, dispatcher) -> None:
    action = ActionExtractFields(playbook=fixed(playbook), today=fixed(TODAY))
    tracker = make_tracker("around 30... no wait, nearer 300 with the contractors", requested="company_size")
    events = await action.run(dispatcher, tracker, DOMAIN)
    assert slot_events(events)["company_size"]["value"]["employees"] == 300


async def test_a_demo_request_inside_a_message_of_facts_is_a_handoff(playbook, dispatcher) -> None:
    action = ActionExtractFields(playbook=fixed(playbook), today=fixed(TODAY))
    tracker = make_tracker("CMO at a 400-person insurer in Leeds, could we set up a demo with your team?")
    events = await action.run(dispatcher, tracker, DOMAIN)
    slots = slot_events(events)
    assert slots["handoff"]["text"].startswith("CMO at a 400-person insurer")
    assert slots["role"]["value"]["seniority"] == "c_level"
    assert [said(m) for m in slots["notices"]] == ["utter_human_handoff"]
