"""Nurture on SQLite and PostgreSQL: enrolment, pace, stop conditions, delivery, requalification, privacy."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from bot.booking.routing import LeadFacts
from bot.booking.service import BookingService, Notify
from bot.links import Links
from bot.notify.delivery import SmtpSender
from bot.notify.worker import deliver_due
from bot.nurture.jobs import claim_daily, daily_requalify
from bot.nurture.requalify import requalification_rate, requalify
from bot.nurture.service import NurtureService
from bot.playbook import Playbook, load_playbook, parse_playbook
from bot.privacy import erase_person, export_person, receipts
from bot.settings import PROJECT_ROOT
from bot.store.db import session_factory
from bot.store.models import (
    ErasureReceipt,
    Lead,
    LeadEvent,
    NurtureEnrollment,
    NurtureSend,
    OutboxMessage,
)
from bot.store.repository import AnswerIn, ContactIn, ScoreIn, SourceIn, save_qualification
from bot.web.app import create_app
from tests.store.test_delivery import Inbox, free_port

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)  # Tuesday, 11:00 in Berlin
KEY = "k" * 40


@pytest.fixture(scope="module")
def playbook() -> Playbook:
    return load_playbook(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def nurture_lead(sessions: Any, sender: str, mail: str, *, budget: float = 3000, timeline: str = "2027-01-15",
                 when: datetime = T0) -> int:
    with sessions() as s, s.begin():
        return save_qualification(
            session=s, sender_id=sender, source=SourceIn(channel="rest"),
            contact=ContactIn(email=mail, name="Ada Lovelace", company_name="Acme"),
            answers=[
                AnswerIn("need", "qualify leads", {"use_case": "lead_qualification", "status": "matched"}, False, when),
                AnswerIn("role", "VP Sales", {"title": "VP Sales", "seniority": "vp"}, False, when),
                AnswerIn("company_size", "200", {"employees": 200, "min": 200, "max": 200}, False, when),
                AnswerIn("industry", "fintech", {"industry": "fintech"}, False, when),
                AnswerIn("country", "Germany", {"country": "DE", "region": "europe"}, False, when),
                AnswerIn("budget", f"{budget:g} a year", {"status": "amount", "amount": budget, "currency": "USD",
                                                          "period": "year", "annual_amount": budget}, False, when),
                AnswerIn("timeline", "mid January", {"status": "date", "date": timeline, "months": 1.7}, False, when),
            ],
            score=ScoreIn(score=60, grade="nurture", reasons=["budget"], criteria=[], next_step="nurture",
                          playbook_version="old", segment="roi_pricing"),
        )


def service(engine: Any, playbook: Playbook, clock: Clock) -> NurtureService:
    return NurtureService(playbook, session_factory(engine), Links(KEY, 3600), mail_from="Banter <b@localhost>",
                          public_url="http://127.0.0.1:8000", now=clock)


def enrol(svc: NurtureService, lead_id: int, track: str, zone: str = "Europe/Berlin",
          anchor: date | None = None) -> NurtureEnrollment:
    with svc.sessions() as s, s.begin():
        enrollment = svc.enroll(s, lead_id=lead_id, track=track, reason="budget", anchor=anchor, time_zone=zone)
    assert enrollment is not None
    return enrollment


def sent_steps(svc: NurtureService) -> list[tuple[int, int, datetime]]:
    with svc.sessions() as s:
        rows = s.execute(select(NurtureSend).where(NurtureSend.status == "sent").order_by(NurtureSend.sent_at)).scalars()
        return [(r.lead_id, r.step_index, r.sent_at) for r in rows]


def test_steps_go_out_at_a_respectful_pace(engine, playbook: Playbook) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(T0)
    svc = service(engine, playbook, clock)
    lead = nurture_lead(svc.sessions, "c1", "ada@acme.com")
    enrol(svc, lead, "roi_pricing")
    enrol(svc, lead, "problem_education")  # two tracks: the cap spans both
    assert svc.send_due().sent == 1  # step 0 of the first track; the other step 0 waits for the cap
    assert svc.send_due().sent == 0
    clock.now = T0 + timedelta(days=3, minutes=1)
    assert svc.send_due().sent == 1
    clock.now = T0 + timedelta(days=15)
    assert svc.send_due().sent == 1  # roi_pricing step 1 (due on day 14)
    clock.now = T0 + timedelta(days=30)
    assert svc.send_due().sent == 1  # problem_education step 1 (day 21), after the cap
    sent = sent_steps(svc)
    assert len(sent) == 4
    gaps = [b[2] - a[2] for a, b in zip(sent, sent[1:], strict=False)]
    assert all(gap >= timedelta(days=3) for gap in gaps)
    with svc.sessions() as s:
        assert {e.status for e in s.execute(select(NurtureEnrollment)).scalars()} == {"completed"}
        mails = s.execute(select(OutboxMessage).where(OutboxMessage.topic == "nurture.step")).scalars().all()
    assert len(mails) == 4 and len({m.event_id for m in mails}) == 4
    first = mails[0].payload
    assert first["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first["headers"]["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/unsubscribe/")
    assert first["subject"] == "Ada, the numbers behind qualifying leads in chat"
    assert "ROI guide: http://127.0.0.1:8000/resources/roi-guide" in first["text"]  # a path: the demo site's page
    assert '<a href="http://127.0.0.1:8000/pricing">Pricing tiers</a>' in first["html"]


def test_quiet_hours_in_the_leads_zone(engine, playbook: Playbook) -> None:  # type: ignore[no-untyped-def]
    night_in_berlin = datetime(2026, 11, 24, 22, 0, tzinfo=timezone.utc)  # 23:00 Berlin, 17:00 New York
    clock = Clock(night_in_berlin)
    svc = service(engine, playbook, clock)
    berlin = nurture_lead(svc.sessions, "c1", "b@berlin-co.de")
    new_york = nurture_lead(svc.sessions, "c2", "n@ny-co.com")
    enrol(svc, berlin, "roi_pricing", zone="Europe/Berlin")
    enrol(svc, new_york, "roi_pricing", zone="America/New_York")
    done = svc.send_due()
    assert (done.sent, done.deferred) == (1, 1)
    with svc.sessions() as s:
        waiting = s.execute(select(NurtureSend).where(NurtureSend.lead_id == berlin, NurtureSend.step_index == 0)
                            ).scalar_one()
    assert waiting.status == "scheduled"
    assert waiting.due_at.replace(tzinfo=timezone.utc) == datetime(2026, 11, 25, 7, 0, tzinfo=timezone.utc)  # 08:00


def test_stop_conditions(engine, playbook: Playbook) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(T0)
    svc = service(engine, playbook, clock)
    unsubscribed = nurture_lead(svc.sessions, "c1", "u@one.com")
    bounced = nurture_lead(svc.sessions, "c2", "b@two.com")
    booked = nurture_lead(svc.sessions, "c3", "k@three.com")
    for lead in (unsubscribed, bounced, booked):
        enrol(svc, lead, "roi_pricing")
    assert svc.unsubscribe(unsubscribed) is True and svc.unsubscribe(unsubscribed) is False
    with svc.sessions() as s, s.begin():
        s.get(Lead, bounced).bounced_at = T0
    booking = BookingService(playbook, svc.sessions, Links(KEY, 60), Notify(mail_from="b@x", public_url="http://x"),
                             now=clock)
    slot = booking.offer("demo", LeadFacts(region="europe", employees=200)).slots[0]
    booking.book(sender_id="c3", lead_id=booked, meeting_type="demo", slot_key=slot.key(), route_reason="territory",
                 visitor_zone="Europe/Berlin", attendee_email="k@three.com", attendee_name=None)
    done = svc.send_due()
    assert done.sent == 0 and done.skipped == 2
    with svc.sessions() as s:
        stops = {e.lead_id: e.stop_reason for e in s.execute(select(NurtureEnrollment)).scalars()}
        assert stops == {unsubscribed: "unsubscribed", bounced: "hard_bounce", booked: "booked"}
        assert s.execute(select(func.count()).select_from(NurtureSend).where(NurtureSend.status == "scheduled")
                         ).scalar() == 0
    # an unsubscribed lead is never enrolled again
    with svc.sessions() as s, s.begin():
        assert svc.enroll(s, lead_id=unsubscribed, track="problem_education", reason=None, anchor=None,
                          time_zone=None) is None


def test_timeline_step_and_double_opt_in(engine, playbook: Playbook) -> None:  # type: ignore[no-untyped-def]
    text = (PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text().replace("double_opt_in: false", "double_opt_in: true")
    double = parse_playbook(text)
    clock = Clock(T0)
    svc = service(engine, double, clock)
    lead = nurture_lead(svc.sessions, "c1", "ada@acme.com")
    enrollment = enrol(svc, lead, "timeline_checkin", anchor=date(2027, 3, 1))
    assert enrollment.status == "pending_confirmation"
    with svc.sessions() as s:
        due = [r.due_at.replace(tzinfo=timezone.utc) for r in
               s.execute(select(NurtureSend).order_by(NurtureSend.step_index)).scalars()]
        confirmation = s.execute(select(OutboxMessage).where(OutboxMessage.topic == "nurture.confirmation")
                                 ).scalar_one()
    assert due == [T0, datetime(2027, 1, 30, 9, 0, tzinfo=timezone.utc)]  # 30 days before 1 March
    assert "/nurture/confirm/" in confirmation.payload["text"]
    assert svc.send_due().sent == 0  # nothing before the confirmation
    assert svc.confirm(enrollment.id) is True and svc.confirm(enrollment.id) is False
    assert svc.send_due().sent == 1


def test_a_candidate_confirms_the_address_before_any_nurture_and_then_joins_its_lead(  # type: ignore[no-untyped-def]
    engine, playbook: Playbook
) -> None:
    clock = Clock(T0)
    svc = service(engine, playbook, clock)  # the fixture playbook has double opt-in off
    owner = nurture_lead(svc.sessions, "c1", "ada@acme.com")
    candidate = nurture_lead(svc.sessions, "c2", "ada@acme.com")  # another browser typed Ada's address
    assert candidate != owner
    enrollment = enrol(svc, candidate, "roi_pricing")
    assert enrollment.status == "pending_confirmation"  # a candidate always confirms first
    with svc.sessions() as s:
        confirmation = s.execute(select(OutboxMessage).where(OutboxMessage.topic == "nurture.confirmation")
                                 ).scalar_one()
    assert confirmation.payload["to"] == ["ada@acme.com"]
    assert svc.send_due().sent == 0
    assert svc.confirm(enrollment.id) is True
    with svc.sessions() as s:
        assert s.get(Lead, candidate) is None
        moved = s.get(NurtureEnrollment, enrollment.id)
        assert moved is not None and moved.lead_id == owner and moved.status == "active"
        kinds = [e.kind for e in s.execute(select(LeadEvent).where(LeadEvent.lead_id == owner)
                                           .order_by(LeadEvent.id)).scalars()]
    assert "candidate_linked" in kinds and "candidate_merged" in kinds
    assert svc.send_due().sent == 1


def test_requalification_and_its_rate(engine, playbook: Playbook) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    svc = service(engine, playbook, Clock(T0))
    waiting = nurture_lead(sessions, "c1", "w@later.com", budget=50000, timeline="2027-06-01")  # timeline too far
    poor = nurture_lead(sessions, "c2", "p@poor.com", budget=2000, timeline="2027-01-01")
    enrol(svc, waiting, "timeline_checkin", anchor=date(2027, 6, 1))
    with sessions() as s:
        assert requalify(s, playbook, today=date(2026, 11, 24), apply=False) == []
        dry = requalify(s, playbook, today=date(2027, 4, 1), apply=False)
        assert [u.lead_id for u in dry] == [waiting]
        s.rollback()
    with sessions() as s, s.begin():
        applied = requalify(s, playbook, today=date(2027, 4, 1), apply=True)
    assert [u.lead_id for u in applied] == [waiting]
    with sessions() as s:
        lead = s.get(Lead, waiting)
        assert (lead.grade, lead.next_step) == ("qualified", "book_demo")
        assert s.get(Lead, poor).grade == "nurture"
        assert s.execute(select(LeadEvent.kind).where(LeadEvent.lead_id == waiting, LeadEvent.kind == "requalified")
                         ).scalar() == "requalified"
        assert s.execute(select(NurtureEnrollment.stop_reason)).scalar() == "requalified"
        rate = requalification_rate(s, datetime(2020, 1, 1, tzinfo=timezone.utc),
                                    datetime(2100, 1, 1, tzinfo=timezone.utc))
    assert rate == {"nurtured": 2, "requalified": 1, "rate": 0.5}


def test_daily_requalification_runs_once_per_day(engine, playbook: Playbook) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    nurture_lead(sessions, "c1", "w@later.com", budget=50000, timeline="2026-12-15")
    early = daily_requalify(sessions, playbook, lambda: datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc))
    assert early() == 0  # before requalify_daily_at
    job = daily_requalify(sessions, playbook, lambda: datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc))
    assert job() == 1 and job() == 0
    with sessions() as s, s.begin():
        assert claim_daily(s, "requalify", date(2026, 11, 24)) is False


def test_export_then_erase_leaves_nothing_and_a_receipt(engine, playbook: Playbook, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine, text

    tracker = create_engine(f"sqlite:///{tmp_path / 'tracker.db'}", future=True)
    with tracker.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, "
                          "timestamp FLOAT, intent_name TEXT, action_name TEXT, data TEXT)"))
        for sender, kind, body in (("c1", "user", '{"text": "hi, I am Ada"}'), ("c1", "bot", '{"text": "Hello!"}'),
                                   ("other", "user", '{"text": "hello"}')):
            conn.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, :k, 1, :d)"),
                         {"s": sender, "k": kind, "d": body})
    svc = service(engine, playbook, Clock(T0))
    lead = nurture_lead(svc.sessions, "c1", "Ada@Acme.com")
    enrol(svc, lead, "roi_pricing")
    svc.send_due()
    with svc.sessions() as s:
        data = export_person(s, "ada@acme.com", tracker)
    assert data is not None and data["email"] == "ada@acme.com"
    assert data["enrolments"][0]["track"] == "roi_pricing" and data["messages_sent"][0]["topic"] == "nurture.step"
    assert [line["text"] for line in data["conversation_events"]["c1"]] == ["hi, I am Ada", "Hello!"]
    assert data["answers"]["budget"]["raw"] == "3000 a year"

    with svc.sessions() as s, s.begin():
        counts = erase_person(s, "ADA@acme.com", tracker)
    assert counts == {"conversations": 1, "outbox_messages": 1, "callback_requests": 0, "tracker_events": 2,
                      "leads": 1}
    with svc.sessions() as s:
        assert export_person(s, "ada@acme.com", tracker) is None
        assert s.execute(select(func.count()).select_from(NurtureSend)).scalar() == 0
        assert s.execute(select(func.count()).select_from(OutboxMessage)).scalar() == 0
        receipt = s.execute(select(ErasureReceipt)).scalar_one()
        assert "ada" not in str(receipt.counts).lower() and receipts(session=s) == 1
    with tracker.connect() as conn:
        assert conn.execute(text("SELECT sender_id FROM events")).scalars().all() == ["other"]
    assert svc.send_due().sent == 0


async def test_unsubscribe_link_and_delivery_to_a_real_smtp_server(engine, playbook: Playbook) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(T0)
    svc = service(engine, playbook, clock)
    lead = nurture_lead(svc.sessions, "c1", "ada@acme.com")
    enrol(svc, lead, "roi_pricing")
    svc.send_due()
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert deliver_due(svc.sessions, {"email": SmtpSender("127.0.0.1", port)}).sent == 1
    finally:
        controller.stop()
    [message] = inbox.messages
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = "".join(message["List-Unsubscribe"].split()).strip("<>")  # unfold the long header
    parts = {p.get_content_type(): p for p in message.walk()}
    assert {"text/plain", "text/html"} <= set(parts)
    assert url in parts["text/plain"].get_payload(decode=True).decode()
    assert url in parts["text/html"].get_payload(decode=True).decode()
    assert message["X-Banter-Track"] == "roi_pricing"

    booking = BookingService(playbook, svc.sessions, svc.links, Notify(mail_from="b@x", public_url="http://x"),
                             now=clock)
    client = TestClient(TestServer(create_app(booking, svc.links, lambda s: [], svc)))
    await client.start_server()
    try:
        path = url.replace("http://127.0.0.1:8000", "")
        page = await client.get(path)
        assert page.status == 200 and "Unsubscribe" in await page.text()
        with svc.sessions() as s:
            assert s.get(Lead, lead).unsubscribed_at is None  # a GET (a mail scanner) changes nothing
        one_click = await client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert one_click.status == 200 and "You&#39;re unsubscribed" in await one_click.text()
        again = await client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert "already unsubscribed" in await again.text()
        tampered = await client.post(path[:-2] + ("xx" if not path.endswith("xx") else "yy"))
        assert tampered.status == 403
    finally:
        await client.close()
    with svc.sessions() as s:
        assert s.get(Lead, lead).unsubscribed_at is not None
    clock.now = T0 + timedelta(days=30)
    assert svc.send_due().sent == 0


@pytest.mark.postgres
def test_two_workers_send_every_due_step_exactly_once_on_postgres(pg_server_url: str, playbook: Playbook) -> None:
    from alembic import command

    from bot.store.db import make_engine
    from tests.store.conftest import _reset_pg, alembic_config

    _reset_pg(pg_server_url)
    command.upgrade(alembic_config(pg_server_url), "head")
    engines = [make_engine(pg_server_url), make_engine(pg_server_url)]
    clock = Clock(T0)
    workers = [service(e, playbook, clock) for e in engines]
    sessions = workers[0].sessions
    leads = 1500
    with sessions() as s, s.begin():
        s.add_all(Lead(email=f"lead{i}@firm{i}.com", name=f"Lead {i}", reasons=["need"], grade="nurture",
                       time_zone="UTC") for i in range(leads))
    with sessions() as s, s.begin():
        ids = [i for (i,) in s.execute(select(Lead.id)).all()]
        for lead_id in ids:
            workers[0].enroll(s, lead_id=lead_id, track="problem_education", reason="need", anchor=None,
                              time_zone="UTC")
    clock.now = T0 + timedelta(days=30)  # both steps of every lead are due: 3,000 due steps

    def work(svc: NurtureService) -> None:
        while svc.send_due(batch=40).sent:
            pass

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with sessions() as s:
        mails = s.execute(select(OutboxMessage.event_id, OutboxMessage.lead_id)
                          .where(OutboxMessage.topic == "nurture.step")).all()
        scheduled = s.execute(select(func.count()).select_from(NurtureSend)
                              .where(NurtureSend.status == "scheduled")).scalar()
    # the cap allows one email per lead now; the second step of each waits three days
    assert len(mails) == leads and len({e for e, _ in mails}) == leads and len({lead for _, lead in mails}) == leads
    assert scheduled == leads
    clock.now += timedelta(days=3, minutes=1)
    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with sessions() as s:
        total = s.execute(select(func.count()).select_from(OutboxMessage)).scalar()
        distinct = s.execute(select(func.count(func.distinct(OutboxMessage.event_id)))).scalar()
    assert total == distinct == 2 * leads
    for e in engines:
        e.dispose()


def test_a_track_removed_from_the_playbook_stops_instead_of_failing(engine, playbook: Playbook) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(T0)
    svc = service(engine, playbook, clock)
    lead = nurture_lead(svc.sessions, "c1", "ada@acme.com")
    enrol(svc, lead, "roi_pricing")
    with svc.sessions() as s, s.begin():
        s.execute(NurtureEnrollment.__table__.update().values(track="retired_track"))
    done = svc.send_due()
    assert (done.sent, done.skipped) == (0, 1)
    with svc.sessions() as s:
        assert s.execute(select(NurtureEnrollment.stop_reason)).scalar() == "track_changed"
