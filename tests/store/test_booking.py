"""Booking in the store on SQLite and PostgreSQL: atomic, never double-booked, outbox written with it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from bot.booking.routing import LeadFacts
from bot.booking.service import BookingError, BookingService, Notify, SlotTaken
from bot.links import Links
from bot.playbook import Playbook, load_playbook
from bot.settings import PROJECT_ROOT
from bot.store.db import session_factory
from bot.store.meetings import count_blocks, list_meetings
from bot.store.models import Lead, LeadEvent, Meeting, OutboxMessage, RepAssignment
from bot.store.repository import AnswerIn, ContactIn, ScoreIn, SourceIn, save_qualification

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)  # Monday 08:00 Berlin


@pytest.fixture(scope="module")
def playbook() -> Playbook:
    return load_playbook(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml")


def make_lead(sessions: Any, sender_id: str, email: str) -> int:
    with sessions() as s, s.begin():
        return save_qualification(
            session=s,
            sender_id=sender_id,
            source=SourceIn(channel="rest", page_url="https://example.com/pricing", utm={"utm_source": "google"}),
            contact=ContactIn(email=email, name="Ada Lovelace", company_name="Acme"),
            answers=[AnswerIn("budget", "around 40k a year", {"status": "amount", "amount": 40000,
                                                              "currency": "USD", "period": "year",
                                                              "annual_amount": 40000}, False, NOW)],
            score=ScoreIn(score=88, grade="qualified", reasons=[], criteria=[
                {"name": "budget", "status": "met", "points": 20, "max_points": 20, "reason": "$40,000 a year"}],
                next_step="book_demo", playbook_version="test"),
        )


@pytest.fixture
def service(engine, playbook: Playbook) -> BookingService:  # type: ignore[no-untyped-def]
    return BookingService(
        playbook,
        session_factory(engine),
        Links("k" * 40, 3600),
        Notify(mail_from="Banter <banter@localhost>", public_url="http://127.0.0.1:8000", slack=True, webhook=True),
        now=lambda: NOW,
    )


def count(session: Any, model: Any) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar())


def test_offer_routes_and_books_with_invites_and_outbox(service: BookingService) -> None:
    lead_id = make_lead(service.sessions, "c1", "ada@acme.com")
    offer = service.offer("demo", LeadFacts(region="europe", employees=300, email_domain="acme.com"))
    assert offer.route_reason == "territory" and not offer.empty
    slot = offer.slots[0]
    assert slot.rep_email == "greta@banter.example.com"
    booked = service.book(sender_id="c1", lead_id=lead_id, meeting_type="demo", slot_key=slot.key(),
                          route_reason=offer.route_reason, visitor_zone="Europe/Berlin",
                          attendee_email="ada@acme.com", attendee_name="Ada Lovelace")
    assert booked.start == slot.start and booked.rep_name == "Greta Lindqvist"
    with service.sessions() as s:
        meeting = s.execute(select(Meeting)).scalar_one()
        assert meeting.status == "booked" and meeting.sequence == 0
        assert count_blocks(session=s) == (30 + 15) // 5
        assert s.execute(select(RepAssignment.count)).scalar() == 1
        assert [e.kind for e in s.execute(select(LeadEvent)).scalars()] == ["meeting_booked"]
        rows = s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
    assert [(r.kind, r.topic) for r in rows] == [("email", "meeting.booked")] * 2 + [("webhook", "meeting.booked")] * 2
    visitor, rep = rows[0].payload, rows[1].payload
    assert visitor["to"] == ["ada@acme.com"] and rep["to"] == ["greta@banter.example.com"]
    assert "CET (Europe/Berlin)" in visitor["subject"]
    assert "/meetings/" in visitor["text"] and "/cancel" in visitor["text"]
    assert '"around 40k a year" -> $40,000 a year' in rep["text"]
    assert "budget: 20/20: $40,000 a year" in rep["text"] and "utm_source: google" in rep["text"]
    assert "/transcripts/" in rep["text"]
    event = Calendar.from_ical(visitor["ics"]).walk("VEVENT")[0]
    assert Calendar.from_ical(visitor["ics"])["METHOD"] == "REQUEST"
    assert event["UID"] == booked.uid and int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == slot.start and event.decoded("DTEND") == slot.end
    assert str(event["ORGANIZER"]) == "mailto:greta@banter.example.com"
    assert "mailto:ada@acme.com" in [str(a) for a in event["ATTENDEE"]]
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert Calendar.from_ical(visitor["ics"]).walk("VTIMEZONE")

    # the same slot is gone from the next offer; the same company goes to the same rep
    again = service.offer("demo", LeadFacts(region="europe", employees=300, email_domain="acme.com"))
    assert slot not in again.by_rep["greta@banter.example.com"]
    assert again.route_reason == "owner"


def test_a_taken_or_overlapping_slot_is_refused(service: BookingService) -> None:
    first = make_lead(service.sessions, "c1", "a@one.com")
    second = make_lead(service.sessions, "c2", "b@two.com")
    offer = service.offer("demo", LeadFacts(region="north_america", employees=20))  # only Sam fits
    slot = offer.slots[0]
    assert slot.rep_email == "sam@banter.example.com"
    kwargs: dict[str, Any] = dict(meeting_type="demo", route_reason="territory", visitor_zone="Europe/London",
                                  attendee_name=None)
    service.book(sender_id="c1", lead_id=first, slot_key=slot.key(), attendee_email="a@one.com", **kwargs)
    with pytest.raises(SlotTaken):
        service.book(sender_id="c2", lead_id=second, slot_key=slot.key(), attendee_email="b@two.com", **kwargs)
    # a discovery call 15 minutes into the demo overlaps it
    overlapping = f"{slot.rep_email}|{(slot.start + timedelta(minutes=15)).isoformat()}"
    with pytest.raises(SlotTaken):
        service.book(sender_id="c2", lead_id=second, slot_key=overlapping, attendee_email="b@two.com",
                     **{**kwargs, "meeting_type": "discovery"})
    with pytest.raises(BookingError):
        service.book(sender_id="c2", lead_id=second, slot_key="nobody@x.com|2026-11-23T10:00:00+00:00",
                     attendee_email="b@two.com", **kwargs)
    with pytest.raises(SlotTaken):  # 03:00 at night is outside working hours
        service.book(sender_id="c2", lead_id=second, slot_key=f"{slot.rep_email}|2026-11-24T03:00:00+00:00",
                     attendee_email="b@two.com", **kwargs)
    with service.sessions() as s:
        assert count(s, Meeting) == 1


def test_cancel_and_reschedule_update_blocks_sequence_and_invites(service: BookingService) -> None:
    lead_id = make_lead(service.sessions, "c1", "ada@acme.com")
    offer = service.offer("demo", LeadFacts(region="europe", employees=300))
    booked = service.book(sender_id="c1", lead_id=lead_id, meeting_type="demo", slot_key=offer.slots[0].key(),
                          route_reason="territory", visitor_zone="Europe/Berlin", attendee_email="ada@acme.com",
                          attendee_name="Ada")
    meeting, options = service.reschedule_options(booked.uid)
    assert options and all(o.start != booked.start for o in options)
    moved = service.reschedule(booked.uid, options[3].key())
    assert moved.start == options[3].start and moved.uid == booked.uid
    with service.sessions() as s:
        row = s.execute(select(Meeting)).scalar_one()
        assert row.sequence == 1 and row.status == "booked"
        last = s.execute(select(OutboxMessage).where(OutboxMessage.topic == "meeting.rescheduled")).scalars().first()
    event = Calendar.from_ical(last.payload["ics"]).walk("VEVENT")[0]
    assert int(event["SEQUENCE"]) == 1 and event["UID"] == booked.uid
    assert last.payload["subject"].startswith("Moved:")
    # the old time is free again
    assert service.is_free("demo", offer.slots[0])

    assert service.cancel(booked.uid) is True
    assert service.cancel(booked.uid) is False  # twice is harmless
    with service.sessions() as s:
        row = s.execute(select(Meeting)).scalar_one()
        assert row.status == "cancelled" and row.sequence == 2
        assert count_blocks(session=s) == 0
        cancel = s.execute(select(OutboxMessage).where(OutboxMessage.topic == "meeting.cancelled")).scalars().first()
        assert [m.uid for m in list_meetings(session=s, rep_email="GRETA@banter.example.com")] == [booked.uid]
    calendar = Calendar.from_ical(cancel.payload["ics"])
    assert calendar["METHOD"] == "CANCEL" and calendar.walk("VEVENT")[0]["STATUS"] == "CANCELLED"
    with pytest.raises(BookingError):
        service.reschedule(booked.uid, options[0].key())


def test_decline_and_callback_are_recorded(service: BookingService) -> None:
    lead_id = make_lead(service.sessions, "c1", "ada@acme.com")
    assert service.decline(sender_id="c1", lead_id=lead_id) == "booking_reminder"
    callback = service.request_callback(sender_id="c1", lead_id=lead_id, meeting_type="demo",
                                        preference="evenings", visitor_zone="Asia/Tokyo")
    assert callback > 0
    with service.sessions() as s:
        lead = s.get(Lead, lead_id)
        assert lead.next_step == "nurture" and lead.nurture_track == "booking_reminder"
        kinds = [e.kind for e in s.execute(select(LeadEvent).order_by(LeadEvent.id)).scalars()]
        assert kinds == ["meeting_declined", "callback_requested"]


@pytest.mark.postgres
def test_many_simultaneous_attempts_on_one_slot_make_exactly_one_booking_on_postgres(
    pg_server_url: str, playbook: Playbook
) -> None:
    from alembic import command

    from bot.store.db import make_engine
    from tests.store.conftest import _reset_pg, alembic_config

    _reset_pg(pg_server_url)
    command.upgrade(alembic_config(pg_server_url), "head")
    # two "action servers": two engines with their own pools
    engines = [make_engine(pg_server_url), make_engine(pg_server_url)]
    services = [
        BookingService(playbook, session_factory(e), Links("k" * 40, 3600),
                       Notify(mail_from="b@localhost", public_url="http://x"), now=lambda: NOW)
        for e in engines
    ]
    leads = [make_lead(services[0].sessions, f"c{i}", f"p{i}@firm{i}.com") for i in range(12)]
    slot = services[0].offer("demo", LeadFacts(region="europe", employees=300)).slots[0]
    barrier = threading.Barrier(12)
    outcomes: list[str] = []

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            services[i % 2].book(sender_id=f"c{i}", lead_id=leads[i], meeting_type="demo", slot_key=slot.key(),
                                 route_reason="territory", visitor_zone="Europe/Berlin",
                                 attendee_email=f"p{i}@firm{i}.com", attendee_name=None)
            outcomes.append("booked")
        except SlotTaken:
            outcomes.append("taken")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["booked"] + ["taken"] * 11
    with services[0].sessions() as s:
        assert count(s, Meeting) == 1
        assert s.execute(select(RepAssignment.count)).scalar() == 1
        assert count(s, OutboxMessage) == 2  # only the winner's invites
    for e in engines:
        e.dispose()
