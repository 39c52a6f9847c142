"""action_next_step the rasa-sdk way: tracker in, exact messages, buttons and events out."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.extraction import ActionExtractFields
from actions.next_step import ActionNextStep
from actions.outcome import ActionDecideOutcome
from bot.booking.service import BookingService, Notify
from bot.links import Links
from bot.nurture.service import NurtureService
from tests.actions.conftest import TODAY, answer, fixed, make_tracker, said
from tests.actions.test_actions import DOMAIN, QUALIFIED_SLOTS, slot_events

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def with_entities(tracker: Tracker, intent: str, entities: list[dict[str, Any]]) -> Tracker:
    tracker.latest_message = {"text": "", "intent": {"name": intent, "confidence": 1.0}, "entities": entities}
    return tracker


async def test_offer_then_choose_then_book(playbook, sessions, dispatcher) -> None:  # type: ignore[no-untyped-def]
    outcome_action = ActionDecideOutcome(
        playbook=fixed(playbook), sessions=fixed(sessions), today=fixed(TODAY)
    )
    events = await outcome_action.run(
        CollectingDispatcher(), make_tracker("jane@acme.com", slots=QUALIFIED_SLOTS, active=False), DOMAIN
    )
    outcome = slot_events(events)["outcome"]
    service = BookingService(
        playbook,
        sessions,
        Links("k" * 40, 3600),
        Notify(mail_from="b@localhost", public_url="http://x"),
        now=lambda: NOW,
    )
    action = ActionNextStep(booking=fixed(service))
    slots = {**QUALIFIED_SLOTS, "outcome": outcome}

    offered = await action.run(
        dispatcher,
        make_tracker("jane@acme.com", slots=slots, active=False, metadata={"timezone": "Europe/Paris"}),
        DOMAIN,
    )
    state = slot_events(offered)["booking"]
    assert state["stage"] == "offered" and state["zone"] == "Europe/Paris"
    [message] = dispatcher.messages
    assert "(times in Europe/Paris, CET)" in message["text"]
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads[0].startswith('/choose_slot{"slot_choice": "greta@banter.example.com|')
    assert payloads[-2:] == ["/other_times", "/decline_meeting"]

    key = state["offered"][0]
    chooser = CollectingDispatcher()
    tracker = with_entities(
        make_tracker(slots={**slots, "booking": state}, active=False),
        "choose_slot",
        [{"entity": "slot_choice", "value": key}],
    )
    confirming = slot_events(await action.run(chooser, tracker, DOMAIN))["booking"]
    assert confirming["stage"] == "confirming" and confirming["chosen"] == key
    assert [b["payload"] for b in chooser.messages[0]["buttons"]] == ["/confirm_slot", "/other_times"]

    booker = CollectingDispatcher()
    done = await action.run(
        booker,
        make_tracker("yes", intent="affirm", slots={**slots, "booking": confirming}, active=False),
        DOMAIN,
    )
    assert slot_events(done)["booking"]["stage"] == "booked"
    assert booker.messages[0]["text"].startswith("Booked: 30-minute demo with Greta Lindqvist")


async def test_before_the_lead_is_saved_qualification_carries_on(playbook, sessions, dispatcher) -> None:  # type: ignore[no-untyped-def]
    action = ActionNextStep(booking=fixed(None))
    events = await action.run(
        dispatcher, make_tracker("1e9", slots={"outcome": {"saved": False}}, active=False), DOMAIN
    )
    assert events == [{"event": "followup", "timestamp": None, "name": "bant_form"}]
    assert dispatcher.messages == []
    tracker = make_tracker(slots={"outcome": {"saved": False}}, active=False)
    tracker.latest_action_name = "action_decide_outcome"  # the save failed: the outcome action said so
    assert await action.run(dispatcher, tracker, DOMAIN) == []


async def test_a_message_with_nothing_to_do_still_gets_an_answer(playbook, sessions, dispatcher) -> None:  # type: ignore[no-untyped-def]
    service = BookingService(
        playbook,
        sessions,
        Links("k" * 40, 3600),
        Notify(mail_from="b@localhost", public_url="http://x"),
        now=lambda: NOW,
    )
    nurture = NurtureService(
        playbook,
        sessions,
        Links("k" * 40, 3600),
        mail_from="b@localhost",
        public_url="http://x",
        now=lambda: NOW,
    )
    action = ActionNextStep(booking=fixed(service), nurture=fixed(nurture))
    slots = {
        **QUALIFIED_SLOTS,
        "outcome": {
            "saved": True,
            "lead_id": 1,
            "grade": "disqualified",
            "reasons": ["student"],
            "next_step": "close",
        },
    }
    assert (
        await action.run(dispatcher, make_tracker("yes", intent="affirm", slots=slots, active=False), DOMAIN)
        == []
    )
    assert [said(m) for m in dispatcher.messages] == ["utter_anything_else"]


async def test_nurture_lead_is_asked_consent_enrolled_and_asked_for_an_introduction(  # type: ignore[no-untyped-def]
    playbook, sessions, dispatcher
) -> None:
    from sqlalchemy import select

    from bot.store.models import Consent, Lead, NurtureEnrollment, NurtureSend

    outcome_action = ActionDecideOutcome(
        playbook=fixed(playbook), sessions=fixed(sessions), today=fixed(TODAY)
    )
    manager = {
        **QUALIFIED_SLOTS,
        "role": answer("role", "sales manager", {"title": "Sales Manager", "seniority": "manager"}),
    }
    events = await outcome_action.run(
        CollectingDispatcher(), make_tracker("x", slots=manager, active=False), DOMAIN
    )
    outcome = slot_events(events)["outcome"]
    assert outcome["grade"] == "nurture" and outcome["reasons"][0] == "authority"
    nurture = NurtureService(
        playbook,
        sessions,
        Links("k" * 40, 3600),
        mail_from="b@localhost",
        public_url="http://x",
        now=lambda: NOW,
    )
    booking = BookingService(
        playbook,
        sessions,
        Links("k" * 40, 3600),
        Notify(mail_from="b@localhost", public_url="http://x"),
        now=lambda: NOW,
    )
    action = ActionNextStep(booking=fixed(booking), nurture=fixed(nurture))
    slots = {**manager, "outcome": outcome}

    asked = slot_events(await action.run(dispatcher, make_tracker("x", slots=slots, active=False), DOMAIN))
    assert asked["followup"] == {"stage": "asking_consent", "track": "decision_maker_kit"}
    assert "material you can share with whoever decides" in dispatcher.messages[0]["text"]
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/affirm", "/deny"]

    yes = CollectingDispatcher()
    state = slot_events(
        await action.run(
            yes, make_tracker("yes", intent="affirm", slots={**slots, **asked}, active=False), DOMAIN
        )
    )
    assert state["followup"]["stage"] == "asking_referral"
    assert yes.messages[0]["text"].startswith("Great. You'll get 2 emails about material you can share")
    assert "one-click unsubscribe" in yes.messages[0]["text"] and "introduce us" in yes.messages[1]["text"]

    referral = CollectingDispatcher()
    done = slot_events(
        await action.run(
            referral,
            make_tracker(
                "Maria Lopez, maria@acme.com", intent="inform", slots={**slots, **state}, active=False
            ),
            DOMAIN,
        )
    )
    assert done["followup"]["stage"] == "done"
    assert referral.messages[0]["text"] == "Thank you! We'll reach out to Maria and mention you sent us."
    with sessions() as session:
        consent = session.execute(select(Consent).where(Consent.purpose == "followup_email")).scalar_one()
        assert consent.granted and consent.text_version == "followup-v1"
        enrollment = session.execute(select(NurtureEnrollment)).scalar_one()
        assert (enrollment.track, enrollment.status, enrollment.reason) == (
            "decision_maker_kit",
            "active",
            "authority",
        )
        assert len(session.execute(select(NurtureSend)).scalars().all()) == 2
        maria = session.execute(select(Lead).where(Lead.email == "maria@acme.com")).scalar_one()
        assert maria.referred_by_id == outcome["lead_id"] and maria.name == "Maria Lopez"


async def test_no_consent_no_enrolment_but_still_tagged(playbook, sessions, dispatcher) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from bot.store.models import Lead, NurtureEnrollment

    outcome_action = ActionDecideOutcome(
        playbook=fixed(playbook), sessions=fixed(sessions), today=fixed(TODAY)
    )
    cheap = {
        **QUALIFIED_SLOTS,
        "budget": answer(
            "budget",
            "2k",
            {
                "status": "amount",
                "amount": 2000,
                "amount_max": None,
                "currency": "USD",
                "period": "year",
                "annual_amount": 2000,
            },
        ),
    }
    outcome = slot_events(
        await outcome_action.run(CollectingDispatcher(), make_tracker("x", slots=cheap, active=False), DOMAIN)
    )["outcome"]
    nurture = NurtureService(
        playbook,
        sessions,
        Links("k" * 40, 3600),
        mail_from="b@localhost",
        public_url="http://x",
        now=lambda: NOW,
    )
    booking = BookingService(
        playbook,
        sessions,
        Links("k" * 40, 3600),
        Notify(mail_from="b@localhost", public_url="http://x"),
        now=lambda: NOW,
    )
    action = ActionNextStep(booking=fixed(booking), nurture=fixed(nurture))
    slots = {**cheap, "outcome": outcome}
    asked = slot_events(await action.run(dispatcher, make_tracker("x", slots=slots, active=False), DOMAIN))
    no = CollectingDispatcher()
    done = slot_events(
        await action.run(
            no, make_tracker("no thanks", intent="deny", slots={**slots, **asked}, active=False), DOMAIN
        )
    )
    assert done["followup"]["stage"] == "done" and "we won't email you" in no.messages[0]["text"]
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(NurtureEnrollment)).scalar() == 0
        lead = session.get(Lead, outcome["lead_id"])
        assert lead.reasons[0] == "budget" and lead.nurture_track == "roi_pricing"


async def test_a_calendar_failure_is_said_not_hidden(playbook, sessions, dispatcher) -> None:  # type: ignore[no-untyped-def]
    class Broken:
        def meeting_type_for(self, step: str) -> str:
            raise RuntimeError("database down")

    action = ActionNextStep(booking=fixed(Broken()))
    slots = {**QUALIFIED_SLOTS, "outcome": {"saved": True, "lead_id": 1, "next_step": "book_demo"}}
    assert await action.run(dispatcher, make_tracker(slots=slots, active=False), DOMAIN) == []
    assert [said(m) for m in dispatcher.messages] == ["utter_booking_failed"]


async def test_times_typed_while_booking_are_not_taken_as_a_new_timeline(playbook, dispatcher) -> None:  # type: ignore[no-untyped-def]
    action = ActionExtractFields(playbook=fixed(playbook), today=fixed(TODAY))
    tracker = make_tracker("next week", slots={"booking": {"stage": "offered"}}, active=False)
    assert await action.run(dispatcher, tracker, DOMAIN) == []
    tracker = make_tracker("next week", slots={"booking": {"stage": "booked"}}, active=False)
    assert "timeline" in slot_events(await action.run(dispatcher, tracker, DOMAIN))


async def test_a_name_misread_as_no_is_taken_as_the_name(playbook, dispatcher) -> None:  # type: ignore[no-untyped-def]
    from actions.digressions import ActionRephrase

    tracker = make_tracker("Eva Novak", intent="deny", confidence=0.92, requested="name")
    events = await ActionExtractFields(playbook=fixed(playbook), today=fixed(TODAY)).run(
        dispatcher, tracker, DOMAIN
    )
    assert slot_events(events)["name"]["value"] == {"full": "Eva Novak", "first": "Eva"}
    assert await ActionRephrase().run(dispatcher, tracker, DOMAIN) == []
    assert dispatcher.messages == []
    real_no = make_tracker("no", intent="deny", confidence=0.99, requested="name")
    await ActionRephrase().run(dispatcher, real_no, DOMAIN)
    assert [said(m) for m in dispatcher.messages] == ["utter_ask_rephrase"]


async def test_returning_visitor_is_welcomed_back_and_asked_only_what_may_have_changed(  # type: ignore[no-untyped-def]
    playbook, sessions, dispatcher
) -> None:
    from actions.digressions import ActionGreet
    from bot.flow import open_questions

    outcome_action = ActionDecideOutcome(
        playbook=fixed(playbook), sessions=fixed(sessions), today=fixed(TODAY)
    )
    cheap = {
        **QUALIFIED_SLOTS,
        "budget": answer(
            "budget",
            "2k",
            {
                "status": "amount",
                "amount": 2000,
                "amount_max": None,
                "currency": "USD",
                "period": "year",
                "annual_amount": 2000,
            },
        ),
    }
    first = make_tracker(
        "x", slots=cheap, active=False, sender="first-visit", metadata={"visitor_id": "v-42"}
    )
    outcome = slot_events(await outcome_action.run(CollectingDispatcher(), first, DOMAIN))["outcome"]
    assert outcome["grade"] == "nurture"

    greet = ActionGreet(playbook=fixed(playbook), sessions=fixed(sessions))
    hello = make_tracker(
        "hi", intent="greet", active=False, sender="second-visit", metadata={"visitor_id": "v-42"}
    )
    carried = slot_events(await greet.run(dispatcher, hello, DOMAIN))
    assert dispatcher.messages[0]["response"] == "utter_welcome_back"
    assert dispatcher.messages[0]["first_name_suffix"] == ", Jane"
    assert {"budget", "timeline", "need"}.isdisjoint(carried) and {
        "role",
        "company_size",
        "email",
        "consent",
    } <= set(carried)
    assert carried["returning"]["grade"] == "nurture"
    answers = {
        name: carried.get(name)
        for name in (
            "need",
            "role",
            "company_name",
            "company_size",
            "industry",
            "country",
            "budget",
            "timeline",
            "consent",
            "name",
            "email",
        )
    }
    assert set(
        open_questions(
            answers, authority_map=playbook.authority_map(), min_company_size=playbook.icp.company_size.min
        )
    ) == {"need", "budget", "timeline"}

    # answered again with a real budget: the lead is re-scored and recorded as requalified
    again = {
        **carried,
        "need": QUALIFIED_SLOTS["need"],
        "budget": QUALIFIED_SLOTS["budget"],
        "timeline": QUALIFIED_SLOTS["timeline"],
    }
    second = make_tracker(
        "x", slots=again, active=False, sender="second-visit", metadata={"visitor_id": "v-42"}
    )
    requalified = slot_events(await outcome_action.run(CollectingDispatcher(), second, DOMAIN))["outcome"]
    assert requalified["grade"] == "qualified" and requalified["lead_id"] == outcome["lead_id"]
    from bot.store.repository import get_lead_by_email

    with sessions() as session:
        lead = get_lead_by_email(session=session, email="jane@acme.com")
    assert lead is not None and [e["kind"] for e in lead["events"]] == ["requalified"]
    assert len(lead["conversations"]) == 2

    # someone unknown just gets the normal greeting
    stranger = CollectingDispatcher()
    assert (
        await greet.run(stranger, make_tracker("hi", intent="greet", metadata={"visitor_id": "v-0"}), DOMAIN)
        == []
    )
    assert stranger.messages[0]["utter_action"] == "utter_greet"
    assert stranger.messages[0]["text"].startswith("Hi! I'm ")


async def test_a_later_message_of_a_finished_nurture_lead_gets_an_answer(
    playbook, sessions, dispatcher
) -> None:  # type: ignore[no-untyped-def]
    service = BookingService(
        playbook,
        sessions,
        Links("k" * 40, 3600),
        Notify(mail_from="b@localhost", public_url="http://x"),
        now=lambda: NOW,
    )
    nurture = NurtureService(
        playbook,
        sessions,
        Links("k" * 40, 3600),
        mail_from="b@localhost",
        public_url="http://x",
        now=lambda: NOW,
    )
    action = ActionNextStep(booking=fixed(service), nurture=fixed(nurture))
    slots = {
        **QUALIFIED_SLOTS,
        "outcome": {
            "saved": True,
            "lead_id": 1,
            "grade": "nurture",
            "reasons": ["budget"],
            "next_step": "nurture",
        },
        "followup": {"stage": "done"},
    }
    tracker = make_tracker("can I book a call after all?", slots=slots, active=False)
    tracker.latest_action_name = "action_decide_outcome"  # the form re-ran and the outcome had nothing new
    assert await action.run(dispatcher, tracker, DOMAIN) == []
    assert [said(m) for m in dispatcher.messages] == ["utter_anything_else"]
