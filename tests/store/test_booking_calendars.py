"""Booking against reps' real calendars (a Radicale CalDAV server, .ics feeds over local HTTP) on
SQLite and PostgreSQL: busy time respected when offering and at booking, stale calendars offer
nothing, bookings written into CalDAV through the outbox, invites and briefs for their reader,
one active meeting per lead."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import caldav
import pytest
from caldav.lib import error as caldav_error
from icalendar import Calendar
from sqlalchemy import select

from bot.booking.calendars import CalendarBusy
from bot.booking.conversation import BookingTurn, Context
from bot.booking.routing import LeadFacts
from bot.booking.service import AlreadyBooked, BookingService, Notify, SlotTaken
from bot.links import Links
from bot.notify.calendar_writer import CalendarWriter
from bot.notify.worker import deliver_due
from bot.playbook import Playbook, RepCalendar, parse_playbook
from bot.settings import PROJECT_ROOT
from bot.store.calendars import failing_calendars
from bot.store.db import session_factory
from bot.store.meetings import meeting_sequence
from bot.store.models import Conversation, Meeting, NurtureEnrollment, NurtureSend, OutboxMessage
from bot.store.repository import AnswerIn, ContactIn, ScoreIn, SourceIn, save_qualification
from bot.wiring import calendar_recorder
from tests.booking.servers import PASSWORD, Feed, closed_url, new_calendar, radicale, vcalendar, vevent

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)  # Monday 08:00 Berlin, 02:00 New York
BERLIN = ";TZID=Europe/Berlin:"
GRETA = "greta@banter.example.com"
DANA = "dana@banter.example.com"
GRETA_LINK = "https://meet.banter.example.com/greta-lindqvist"


@pytest.fixture(scope="module")
def caldav_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with radicale(tmp_path_factory.mktemp("radicale")) as base:
        yield base


@pytest.fixture
def greta_calendar(caldav_base: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("GRETA_CALDAV_PASSWORD", PASSWORD)
    return new_calendar(caldav_base, "greta")


def playbook_with(calendars: dict[str, str]) -> Playbook:
    """The fixture playbook with `calendar:` settings (YAML flow text) added to reps by name."""
    text = (PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text()
    for name, setting in calendars.items():
        start = text.index(f"    - name: {name}\n")
        line_end = text.index("\n", text.index("      meeting_link:", start)) + 1
        text = text[:line_end] + f"      calendar: {setting}\n" + text[line_end:]
    return parse_playbook(text)


def caldav_setting(collection: Any) -> str:
    return f'{{caldav: {{url: "{collection.url}", username: greta, password_env: GRETA_CALDAV_PASSWORD}}}}'


class Clock:
    """The calendar cache's clock (real time in production), moved by hand here."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def service_for(engine: Any, playbook: Playbook, clock: Clock) -> BookingService:
    sessions = session_factory(engine)
    return BookingService(
        playbook, sessions, Links("k" * 40, 3600),
        Notify(mail_from="Banter <banter@localhost>", public_url="http://127.0.0.1:8000"),
        now=lambda: NOW, calendars=CalendarBusy(clock=clock, record=calendar_recorder(sessions), timeout=3),
    )


def make_lead(sessions: Any, sender_id: str, email: str, answers: list[AnswerIn] | None = None,
              company: str = "Acme", name: str = "Ada Lovelace") -> int:
    with sessions() as s, s.begin():
        return save_qualification(
            session=s, sender_id=sender_id,
            source=SourceIn(channel="rest", page_url="https://example.com/pricing"),
            contact=ContactIn(email=email, name=name, company_name=company),
            answers=answers or [],
            score=ScoreIn(score=88, grade="qualified", reasons=[], criteria=[], next_step="book_demo",
                          playbook_version="test"),
        )


def book(service: BookingService, lead_id: int, key: str, sender: str = "c1", email: str = "ada@acme.com",
         **extra: Any) -> Any:
    return service.book(sender_id=sender, lead_id=lead_id, meeting_type="demo", slot_key=key,
                        route_reason="territory", visitor_zone="Europe/Berlin", attendee_email=email,
                        attendee_name="Ada Lovelace", **extra)


class Collect:
    """Keeps what it is given (stands in for SMTP and webhooks here: the calendar is under test)."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, payload: Any, event_id: str) -> None:
        self.sent.append(payload)


def writer(service: BookingService, calendars: dict[str, RepCalendar | None] | None = None) -> CalendarWriter:
    def calendar_of(email: str) -> RepCalendar | None:
        if calendars is not None and email in calendars:
            return calendars[email]
        rep = service.playbook.booking.rep(email)
        return rep.calendar if rep else None

    def current(uid: str) -> int | None:
        with service.sessions() as s:
            return meeting_sequence(session=s, uid=uid)

    return CalendarWriter(calendar_of, current, timeout=3)


def stored(collection: Any, uid: str) -> Any:
    """The VEVENT Banter wrote into the calendar, or None."""
    try:
        found = collection.event_by_uid(uid)
    except caldav_error.NotFoundError:
        return None
    return Calendar.from_ical(found.data)


def berlin_event(collection: Any, uid: str, start: str, end: str) -> None:
    collection.save_event(vcalendar(vevent(uid, BERLIN + start, BERLIN + end, props=("SUMMARY:Busy",))).decode())


def test_offer_and_the_recheck_at_booking_respect_the_reps_calendar(engine: Any, greta_calendar: Any) -> None:
    berlin_event(greta_calendar, "board@corp", "20261123T100000", "20261123T110000")
    clock = Clock()
    service = service_for(engine, playbook_with({"Greta Lindqvist": caldav_setting(greta_calendar)}), clock)
    lead_id = make_lead(service.sessions, "c1", "ada@acme.com")
    offer = service.offer("demo", LeadFacts(region="europe", employees=300))
    first = offer.by_rep[GRETA][0]
    assert first.start == datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)  # 11:00 Berlin: after the 10-11 board
    assert all(not (s.start < datetime(2026, 11, 23, 10, tzinfo=timezone.utc)
                    and datetime(2026, 11, 23, 9, tzinfo=timezone.utc) < s.end + timedelta(minutes=15))
               for s in offer.by_rep[GRETA])

    # Greta accepts a meeting at that time in her own calendar after the visitor saw it
    berlin_event(greta_calendar, "customer@corp", "20261123T110000", "20261123T113000")
    clock.tick(seconds=11)  # the booking re-reads a calendar read more than a few seconds ago
    assert not service.is_free("demo", first)
    with pytest.raises(SlotTaken):
        book(service, lead_id, first.key())
    with service.sessions() as s:
        assert s.execute(select(Meeting)).first() is None


def test_a_rep_whose_calendar_cannot_be_read_offers_no_times_and_the_failure_is_recorded(engine: Any) -> None:
    with Feed() as feed:
        feed.body = vcalendar(vevent("standup@x", ";TZID=America/New_York:20261123T090000",
                                     ";TZID=America/New_York:20261123T093000",
                                     props=("RRULE:FREQ=DAILY;COUNT=30",)))
        clock = Clock()
        service = service_for(engine, playbook_with({"Dana Whitfield": f'{{ics_url: "{feed.url}"}}'}), clock)
        facts = LeadFacts(region="north_america", employees=300)
        offer = service.offer("demo", facts)
        assert offer.by_rep[DANA] and offer.slots[0].rep_email == DANA and offer.unavailable == ()
        new_york = [s.start.astimezone(ZoneInfo("America/New_York")) for s in offer.by_rep[DANA]]
        assert not any(t.hour == 9 and t.minute < 30 for t in new_york)  # the daily 09:00 stand-up
        assert any(t.hour == 9 and t.minute == 30 for t in new_york)
        dana_slot = offer.by_rep[DANA][0]

        feed.status = 503
        clock.tick(minutes=5)  # read again: fails; the last good read is 5 minutes old, still used
        assert service.offer("demo", facts).by_rep[DANA]
        failed_at = clock.now
        clock.tick(minutes=11)  # 16 minutes since the last good read: past the 15-minute limit
        stale = service.offer("demo", facts)
        assert stale.by_rep[DANA] == () and stale.unavailable == (DANA,)
        assert stale.slots and stale.slots[0].rep_email == "luis@banter.example.com"  # others still offer
        assert not service.is_free("demo", dana_slot)
        with service.sessions() as s:
            [row] = failing_calendars(session=s)
        assert row["rep_email"] == DANA and row["failing_since"] == failed_at
        assert row["error"] == "the feed answered HTTP 503" and row["ok_at"] == datetime(2026, 11, 23, 7, 0,
                                                                                          tzinfo=timezone.utc)
        feed.status = 200
        clock.tick(minutes=1)
        assert service.offer("demo", facts).by_rep[DANA]
        with service.sessions() as s:
            assert failing_calendars(session=s) == []


def test_a_booking_is_written_into_the_reps_caldav_calendar_moved_and_removed(
    engine: Any, greta_calendar: Any
) -> None:
    clock = Clock()
    service = service_for(engine, playbook_with({"Greta Lindqvist": caldav_setting(greta_calendar)}), clock)
    lead_id = make_lead(service.sessions, "c1", "ada@acme.com")
    slot = service.offer("demo", LeadFacts(region="europe", employees=300)).by_rep[GRETA][0]
    booked = book(service, lead_id, slot.key())
    mail = Collect()
    senders: dict[str, Any] = {"email": mail, "webhook": mail, "calendar": writer(service)}
    done = deliver_due(service.sessions, senders, now=lambda: NOW)
    assert (done.sent, done.retried, done.failed) == (3, 0, 0)

    written = stored(greta_calendar, booked.uid)
    event = written.walk("VEVENT")[0]
    assert "METHOD" not in written
    assert str(event["SUMMARY"]) == "Acme: 30-minute demo with Ada Lovelace"
    assert str(event["LOCATION"]) == GRETA_LINK and f"Join: {GRETA_LINK}" in str(event["DESCRIPTION"])
    assert "/meetings/" not in str(event["DESCRIPTION"])  # the visitor's signed links stay in the visitor's copy
    assert event.decoded("DTSTART") == slot.start
    assert all(a.params["SCHEDULE-AGENT"] == "CLIENT" for a in event["ATTENDEE"])

    # Banter's own copy in the calendar does not block moving the meeting by a quarter of an hour
    clock.tick(minutes=2)
    later = f"{GRETA}|{(slot.start + timedelta(minutes=15)).isoformat()}"
    moved = service.reschedule(booked.uid, later)
    assert deliver_due(service.sessions, senders, now=lambda: NOW).sent == 3
    event = stored(greta_calendar, booked.uid).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == moved.start and int(event["SEQUENCE"]) == 1
    assert len(greta_calendar.events()) == 1

    assert service.cancel(booked.uid)
    assert deliver_due(service.sessions, senders, now=lambda: NOW).sent == 3
    assert stored(greta_calendar, booked.uid) is None and greta_calendar.events() == []


def test_a_failed_calendar_write_is_retried_and_a_superseded_one_skipped(engine: Any, greta_calendar: Any) -> None:
    clock = Clock()
    service = service_for(engine, playbook_with({"Greta Lindqvist": caldav_setting(greta_calendar)}), clock)
    down = RepCalendar(caldav={"url": closed_url()})
    routes: dict[str, RepCalendar | None] = {GRETA: down}
    mail = Collect()
    senders: dict[str, Any] = {"email": mail, "webhook": mail, "calendar": writer(service, routes)}

    first = make_lead(service.sessions, "c1", "ada@acme.com")
    slots = service.offer("demo", LeadFacts(region="europe", employees=300)).by_rep[GRETA]
    kept = book(service, first, slots[0].key())
    done = deliver_due(service.sessions, senders, now=lambda: NOW)
    assert (done.sent, done.retried) == (2, 1)
    with service.sessions() as s:
        row = s.execute(select(OutboxMessage).where(OutboxMessage.kind == "calendar")).scalar_one()
        assert row.status == "pending" and row.attempts == 1 and "could not be reached" in row.last_error
    assert stored(greta_calendar, kept.uid) is None  # nothing written, nothing reported as written

    second = make_lead(service.sessions, "c2", "bob@beta.com", company="Beta", name="Bob")
    gone = book(service, second, slots[4].key(), sender="c2", email="bob@beta.com")
    deliver_due(service.sessions, senders, now=lambda: NOW)  # its put fails too
    service.cancel(gone.uid)  # ... and the cancel's delete is queued behind it

    routes[GRETA] = service.playbook.booking.rep(GRETA).calendar  # type: ignore[union-attr]
    done = deliver_due(service.sessions, senders, now=lambda: NOW + timedelta(hours=1))
    assert done.retried == 0 and done.failed == 0
    assert stored(greta_calendar, kept.uid) is not None  # the retried write landed
    assert stored(greta_calendar, gone.uid) is None  # the stale put was skipped: no cancelled meeting revived
    with service.sessions() as s:
        assert {m.status for m in s.execute(select(OutboxMessage)).scalars()} == {"sent"}


def test_invites_and_the_brief_are_written_for_their_reader(engine: Any) -> None:
    clock = Clock()
    service = service_for(engine, playbook_with({}), clock)
    at = NOW - timedelta(days=3)
    lead_id = make_lead(service.sessions, "c1", "ada@acme.com", answers=[
        # the role as a shortening parser once stored it: the brief keeps what the visitor typed
        AnswerIn("role", "Head of Revenue Operations", {"title": "Head of Revenue", "seniority": "head"}, False, at),
        AnswerIn("company_size", "201-1000 employees", {"employees": 601, "min": 201, "max": 1000}, False, at),
        AnswerIn("need", "reps waste hours on scheduling", {"status": "matched", "use_case": "meeting_booking"},
                 False, at),
        AnswerIn("budget", "about 40k a year", {"status": "amount", "amount": 40000, "currency": "USD",
                                                "period": "year", "annual_amount": 40000}, False, at),
    ])
    with service.sessions() as s, s.begin():  # came back in a second conversation, after a reminder email
        s.add(Conversation(sender_id="c0-earlier", lead_id=lead_id, channel="rest"))
        enrolment = NurtureEnrollment(lead_id=lead_id, track="booking_reminder", status="active", enrolled_at=at)
        s.add(enrolment)
        s.flush()
        s.add(NurtureSend(enrollment_id=enrolment.id, lead_id=lead_id, step_index=0, due_at=at, status="sent",
                          sent_at=at + timedelta(days=1)))
    slot = service.offer("demo", LeadFacts(region="europe", employees=300)).by_rep[GRETA][0]
    booked = book(service, lead_id, slot.key(), asked_for_sales=True)
    with service.sessions() as s:
        visitor, rep = [m.payload for m in s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]

    mine = Calendar.from_ical(visitor["ics"]).walk("VEVENT")[0]
    theirs = Calendar.from_ical(rep["ics"]).walk("VEVENT")[0]
    assert mine["UID"] == theirs["UID"] == booked.uid
    assert str(mine["SUMMARY"]) == "Banter Demo Co: 30-minute demo with Greta Lindqvist"
    assert str(theirs["SUMMARY"]) == "Acme: 30-minute demo with Ada Lovelace"
    assert str(mine["LOCATION"]) == str(theirs["LOCATION"]) == GRETA_LINK
    assert f"Join: {GRETA_LINK}" in str(mine["DESCRIPTION"]) and f"Join: {GRETA_LINK}" in str(theirs["DESCRIPTION"])
    assert "/reschedule" in str(mine["DESCRIPTION"]) and "/cancel" in str(mine["DESCRIPTION"])
    assert "/meetings/" not in str(theirs["DESCRIPTION"]) + rep["text"] + rep["html"]
    assert f"Join: {GRETA_LINK}" in visitor["text"] and GRETA_LINK in rep["text"]

    summary = ("Ada Lovelace, Head of Revenue Operations at Acme (201–1000 people); qualified, score 88/100; "
               "needs meeting booking; budget $40,000 a year")
    assert rep["text"].index(summary) < rep["text"].index("LEAD BRIEF") and summary in str(theirs["DESCRIPTION"])
    assert "Flags: asked for sales, returning visitor, booked after a reminder" in rep["text"]
    assert '"201-1000 employees" -> 201–1000 people' in rep["text"] and "601" not in rep["text"]
    assert '"Head of Revenue Operations" -> Head of Revenue Operations' in rep["text"]
    assert "asked for sales" in rep["html"] and "201–1000 people" in rep["html"]

    # a rep whose meeting place is a phone number
    sam_lead = make_lead(service.sessions, "c9", "tim@tiny.io", company="Tiny", name="Tim")
    sam_slot = service.offer("discovery", LeadFacts(employees=8)).slots[0]
    service.book(sender_id="c9", lead_id=sam_lead, meeting_type="discovery", slot_key=sam_slot.key(),
                 route_reason="territory", visitor_zone="Europe/London", attendee_email="tim@tiny.io",
                 attendee_name="Tim")
    with service.sessions() as s:
        sam_visitor = s.execute(select(OutboxMessage).where(OutboxMessage.lead_id == sam_lead)).scalars().first()
    sam_event = Calendar.from_ical(sam_visitor.payload["ics"]).walk("VEVENT")[0]
    assert str(sam_event["LOCATION"]) == "+44 20 7946 0958"
    assert "Call: +44 20 7946 0958" in str(sam_event["DESCRIPTION"]) and "Call: +44 20 7946 0958" in sam_visitor.payload["text"]


def test_one_active_meeting_per_lead_booking_again_offers_to_move_it(engine: Any) -> None:
    service = service_for(engine, playbook_with({}), Clock())
    lead_id = make_lead(service.sessions, "c1", "ada@acme.com")
    facts = LeadFacts(region="europe", employees=300)
    first = service.offer("demo", facts, lead_id=lead_id)
    assert first.moving is None
    booked = book(service, lead_id, first.slots[0].key())

    again = service.offer("demo", facts, lead_id=lead_id)
    assert again.moving == booked and again.slots and booked.start not in {s.start for s in again.slots}
    assert {s.rep_email for s in again.slots} == {GRETA}
    with pytest.raises(AlreadyBooked) as refused:
        book(service, lead_id, again.slots[2].key())
    assert refused.value.existing.uid == booked.uid

    # in the conversation: the visitor asks for a demo again and moves the meeting instead
    turn = BookingTurn(service)
    ctx = Context(next_step="book_demo", lead_id=lead_id, sender_id="c1", email="ada@acme.com", name="Ada Lovelace",
                  first_name="Ada", facts=facts, browser_zone="Europe/Berlin")
    start = turn.handle(None, ctx, intent=None)
    assert start.messages[0].text.startswith("You already have a 30-minute demo with Greta Lindqvist on ")
    assert start.state is not None and start.state["moving"] == booked.uid
    assert ("Keep my current time", "/deny") in start.messages[0].buttons
    choice = start.state["offered"][1]
    confirm = turn.handle(start.state, ctx, intent="choose_slot", slot_choice=choice)
    assert confirm.messages[0].text.startswith("Move your meeting to ")
    done = turn.handle(confirm.state, ctx, intent="confirm_slot")
    assert done.messages[0].text.startswith("Moved: your 30-minute demo with Greta Lindqvist is now ")
    with service.sessions() as s:
        [meeting] = s.execute(select(Meeting)).scalars().all()
    assert meeting.uid == booked.uid and meeting.sequence == 1 and meeting.status == "booked"
    assert choice.endswith(meeting.start_at.replace(tzinfo=timezone.utc).isoformat())

    kept = turn.handle(turn.handle(None, ctx, intent=None).state, ctx, intent="deny")
    assert kept.messages[0].text.startswith("No change: your 30-minute demo with Greta Lindqvist stays on ")

    # after a cancel the lead can book again
    service.cancel(booked.uid)
    assert service.offer("demo", facts, lead_id=lead_id).moving is None


def test_two_simultaneous_bookings_of_one_lead_make_one_meeting(engine: Any) -> None:
    service = service_for(engine, playbook_with({}), Clock())
    lead_id = make_lead(service.sessions, "c1", "ada@acme.com")
    slots = service.offer("demo", LeadFacts(region="europe", employees=300)).slots
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            book(service, lead_id, slots[i * 3].key())
            outcomes.append("booked")
        except AlreadyBooked:
            outcomes.append("already")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already"] * 3 + ["booked"]
    with service.sessions() as s:
        assert len(s.execute(select(Meeting)).scalars().all()) == 1


def test_caldav_client_reads_what_radicale_holds(caldav_base: str) -> None:
    """The stand-in is a real CalDAV server: what one client writes, another reads by time range."""
    collection = new_calendar(caldav_base, "greta")
    berlin_event(collection, "x@corp", "20261124T090000", "20261124T100000")
    other = caldav.DAVClient(str(collection.url), username="greta", password=PASSWORD, timeout=5)
    found = other.calendar(url=str(collection.url)).search(
        start=datetime(2026, 11, 24, tzinfo=timezone.utc), end=datetime(2026, 11, 25, tzinfo=timezone.utc),
        event=True, expand=False)
    assert [str(Calendar.from_ical(f.data).walk("VEVENT")[0]["UID"]) for f in found] == ["x@corp"]
