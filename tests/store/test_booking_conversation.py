"""The booking step of the conversation (BookingTurn) against a real store."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.booking.conversation import BookingTurn, Context, is_active
from bot.booking.routing import LeadFacts
from bot.booking.service import BookingService, Notify
from bot.links import Links
from bot.playbook import load_playbook
from bot.settings import PROJECT_ROOT
from bot.store.db import session_factory
from bot.store.models import CallbackRequest, Lead, Meeting
from tests.store.test_booking import make_lead

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)  # Tuesday 10:00 Berlin


@pytest.fixture
def turn(engine) -> BookingTurn:  # type: ignore[no-untyped-def]
    service = BookingService(load_playbook(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml"), session_factory(engine),
                             Links("k" * 40, 3600), Notify(mail_from="b@localhost", public_url="http://x"),
                             now=lambda: NOW)
    return BookingTurn(service)


def context(turn: BookingTurn, **changes: Any) -> Context:
    lead_id = make_lead(turn.service.sessions, "c1", "ada@acme.com")
    values: dict[str, Any] = dict(next_step="book_demo", lead_id=lead_id, sender_id="c1", email="ada@acme.com",
                                  name="Ada Lovelace", first_name="Ada",
                                  facts=LeadFacts(region="europe", country="DE", employees=300))
    values.update(changes)
    return Context(**values)


def test_offer_choose_confirm_book(turn: BookingTurn) -> None:
    ctx = context(turn)
    start = turn.handle(None, ctx, intent="inform")
    assert start.state and start.state["stage"] == "offered" and start.state["zone"] == "Europe/Berlin"
    offer = start.messages[0]
    assert "Greta Lindqvist" in offer.text and "(times in Europe/Berlin, CET)" in offer.text
    titles = [t for t, _ in offer.buttons]
    assert len(titles) == 4 + 2 and titles[-2:] == ["Other times", "Just send me information"]
    first_key = start.state["offered"][0]
    chosen = turn.handle(start.state, ctx, intent="choose_slot", slot_choice=first_key)
    assert chosen.state and chosen.state["stage"] == "confirming" and "Shall I book it?" in chosen.messages[0].text
    booked = turn.handle(chosen.state, ctx, intent="affirm", text="yes")
    assert booked.state and booked.state["stage"] == "booked"
    assert "The invite is on its way to ada@acme.com" in booked.messages[0].text
    assert "CET (Europe/Berlin)" in booked.messages[0].text
    again = turn.handle(booked.state, ctx, intent="choose_slot", slot_choice=first_key)
    assert "You're booked" in again.messages[0].text
    with turn.service.sessions() as s:
        assert s.execute(select(func.count()).select_from(Meeting)).scalar() == 1


def test_free_text_exact_time_goes_to_confirmation_and_ordinals_pick(turn: BookingTurn) -> None:
    ctx = context(turn)
    state = turn.handle(None, ctx, intent="inform").state
    exact = turn.handle(state, ctx, intent="suggest_time", text="thursday at 10am")
    assert exact.state and exact.state["stage"] == "confirming"
    assert exact.messages[0].text.startswith("Thu 26 Nov, 10:00–10:30 CET")
    window = turn.handle(state, ctx, intent="suggest_time", text="Tuesday afternoon")
    assert window.state and window.state["stage"] == "offered"
    assert all("Tue 1 Dec" in t for t, _ in window.messages[0].buttons[:-2])
    second = turn.handle(window.state, ctx, intent="suggest_time", text="the second one")
    assert second.state and second.state["chosen"] == window.state["offered"][1]
    # "go with the second slot" read as confirm_slot while times are offered picks that slot to confirm
    picked = turn.handle(window.state, ctx, intent="confirm_slot", text="go with the second slot")
    assert picked.state and picked.state["stage"] == "confirming"
    assert picked.state["chosen"] == window.state["offered"][1]
    nothing = turn.handle(state, ctx, intent="suggest_time", text="saturday")
    assert nothing.messages[0].text.startswith("Nothing is free then")
    assert ("Please get in touch instead", "/request_callback") in nothing.messages[0].buttons
    gibberish = turn.handle(state, ctx, intent="nlu_fallback", text="banana")
    assert gibberish.messages[0].text.startswith("Sorry, I didn't catch a time")


def test_taken_slot_is_reported_and_others_offered(turn: BookingTurn) -> None:
    ctx = context(turn)
    state = turn.handle(None, ctx, intent="inform").state
    key = state["offered"][0]
    confirming = turn.handle(state, ctx, intent="choose_slot", slot_choice=key).state
    other_lead = make_lead(turn.service.sessions, "c2", "bob@beta.com")
    turn.service.book(sender_id="c2", lead_id=other_lead, meeting_type="demo", slot_key=key, route_reason="x",
                      visitor_zone="Europe/Berlin", attendee_email="bob@beta.com", attendee_name=None)
    taken = turn.handle(confirming, ctx, intent="confirm_slot")
    assert taken.messages[0].text == "Sorry, that slot was just taken. Here are others that are still free."
    assert taken.state and taken.state["stage"] == "offered" and key not in taken.state["offered"]


def test_zone_is_asked_when_unknown_and_browser_zone_wins(turn: BookingTurn) -> None:
    ctx = context(turn, facts=LeadFacts(employees=300))
    asked = turn.handle(None, ctx, intent="inform")
    assert asked.state and asked.state["stage"] == "asking_zone" and asked.messages[0].buttons
    assert is_active(asked.state)
    retry = turn.handle(asked.state, ctx, intent="inform", text="banana")
    assert retry.messages[0].text.startswith("Sorry, I didn't recognise")
    typed = turn.handle(asked.state, ctx, intent="set_timezone", text="I'm on pacific time")
    assert typed.state and typed.state["zone"] == "America/Los_Angeles" and "PST" in typed.messages[0].text
    browser = turn.handle(None, context(turn, browser_zone="Asia/Tokyo"), intent="inform")
    assert browser.state and browser.state["zone"] == "Asia/Tokyo"


def test_decline_and_callback_are_recorded(turn: BookingTurn) -> None:
    ctx = context(turn)
    state = turn.handle(None, ctx, intent="inform").state
    declined = turn.handle(state, ctx, intent="decline_meeting")
    assert declined.state and declined.state["stage"] == "declined" and not is_active(declined.state)
    callback = turn.handle(state, ctx, intent="request_callback", text="can someone email me")
    assert callback.state and callback.state["stage"] == "callback"
    with turn.service.sessions() as s:
        lead = s.get(Lead, ctx.lead_id)
        assert lead.next_step == "nurture" and lead.nurture_track == "booking_reminder"
        assert s.execute(select(func.count()).select_from(CallbackRequest)).scalar() == 1


def test_no_booking_for_nurture_or_without_email(turn: BookingTurn) -> None:
    assert turn.handle(None, context(turn, next_step="nurture"), intent="inform").state is None
    no_email = turn.handle(None, context(turn, email=None), intent="inform")
    assert no_email.state and no_email.state["stage"] == "declined" and "work email" in no_email.messages[0].text


def test_discovery_call_goes_to_the_small_company_rep(turn: BookingTurn) -> None:
    ctx = context(turn, next_step="discovery_call", facts=LeadFacts(region="europe", country="GB", employees=3))
    start = turn.handle(None, ctx, intent="inform")
    assert start.state and start.state["meeting_type"] == "discovery"
    assert "15-minute discovery call with Sam Okafor" in start.messages[0].text
    assert "(times in Europe/London, GMT)" in start.messages[0].text


def test_after_hours_is_said_honestly(engine) -> None:  # type: ignore[no-untyped-def]
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
    service = BookingService(load_playbook(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml"), session_factory(engine),
                             Links("k" * 40, 3600), Notify(mail_from="b@localhost", public_url="http://x"),
                             now=lambda: saturday)
    turn = BookingTurn(service)
    reply = turn.handle(None, context(turn), intent="inform")
    assert reply.messages[0].text.startswith("Our team is offline right now")
    assert reply.messages[0].buttons[0][0].startswith("Mon 30 Nov")
