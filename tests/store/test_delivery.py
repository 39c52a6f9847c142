"""Outbox delivery to a real local SMTP server (aiosmtpd) and a real local HTTP receiver."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import select

from bot.booking.routing import LeadFacts
from bot.booking.service import BookingService, Notify
from bot.links import Links
from bot.notify.delivery import SmtpSender, WebhookSender
from bot.notify.worker import deliver_due
from bot.playbook import load_playbook
from bot.settings import PROJECT_ROOT
from bot.store.db import session_factory
from bot.store.models import OutboxMessage
from bot.store.outbox import OutboxIn, enqueue, status_counts
from tests.store.test_booking import NOW, make_lead


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """aiosmtpd handler keeping every message."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.original_content))
        return "250 OK"


class Receiver(BaseHTTPRequestHandler):
    """Records posts; answers 503 while `failures_left` > 0."""

    calls: list[dict[str, Any]] = []
    failures_left = 0

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.failures_left > 0:
            Receiver.failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        Receiver.calls.append({"path": self.path, "headers": dict(self.headers), "body": body})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.calls, Receiver.failures_left = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_booking_mail_and_webhooks_survive_outages(engine, receiver: str) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    service = BookingService(
        load_playbook(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml"), sessions, Links("k" * 40, 3600),
        Notify(mail_from="Banter <banter@localhost>", public_url="http://127.0.0.1:8000", slack=True, webhook=True),
        now=lambda: NOW,
    )
    lead_id = make_lead(sessions, "c1", "ada@acme.com")
    offer = service.offer("demo", LeadFacts(region="europe", employees=300))
    booked = service.book(sender_id="c1", lead_id=lead_id, meeting_type="demo", slot_key=offer.slots[0].key(),
                          route_reason="territory", visitor_zone="America/New_York",
                          attendee_email="ada@acme.com", attendee_name="Ada Lovelace")
    port = free_port()
    senders = {
        "email": SmtpSender("127.0.0.1", port, timeout=3),
        "webhook": WebhookSender(f"{receiver}/slack", f"{receiver}/generic", "s3cret"),
    }
    clock = [datetime.now(timezone.utc)]

    # 1. SMTP is down and the webhook receiver fails: nothing is lost, everything is retried later
    Receiver.failures_left = 2
    first = deliver_due(sessions, senders, now=lambda: clock[0])
    assert (first.sent, first.retried, first.failed) == (0, 4, 0)
    with sessions() as s:
        status = status_counts(session=s, now=clock[0])
    assert status["counts"] == {"pending": {"email": 2, "webhook": 2}}
    assert "unreachable" in status["recent_errors"][-1]["error"] or "503" in status["recent_errors"][-1]["error"]
    assert deliver_due(sessions, senders, now=lambda: clock[0]).handled == 0  # backing off

    # 2. SMTP comes back; after the backoff everything is delivered exactly once
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        clock[0] += timedelta(minutes=1)
        second = deliver_due(sessions, senders, now=lambda: clock[0])
        assert (second.sent, second.failed) == (4, 0)
        clock[0] += timedelta(hours=1)
        assert deliver_due(sessions, senders, now=lambda: clock[0]).handled == 0
    finally:
        controller.stop()

    assert sorted(m["To"] for m in inbox.messages) == ["ada@acme.com", "greta@banter.example.com"]
    visitor = next(m for m in inbox.messages if m["To"] == "ada@acme.com")
    types = [part.get_content_type() for part in visitor.walk()]
    assert "text/plain" in types and "text/html" in types and "text/calendar" in types
    assert "EST (America/New_York)" in visitor["Subject"]
    calendar_part = next(p for p in visitor.walk() if p.get_content_type() == "text/calendar")
    assert calendar_part.get_param("method") == "REQUEST"
    invite = Calendar.from_ical(calendar_part.get_payload(decode=True))
    assert invite.walk("VEVENT")[0]["UID"] == booked.uid
    assert visitor["Message-ID"].startswith("<") and visitor["X-Banter-Event-Id"]

    paths = sorted(c["path"] for c in Receiver.calls)
    assert paths == ["/generic", "/slack"]
    generic = next(c for c in Receiver.calls if c["path"] == "/generic")
    stamp = generic["headers"]["X-Banter-Timestamp"]
    expected = hmac.new(b"s3cret", stamp.encode() + b"." + generic["body"], hashlib.sha256).hexdigest()
    assert generic["headers"]["X-Banter-Signature"] == f"sha256={expected}"
    event = json.loads(generic["body"])
    assert event["type"] == "meeting.booked" and event["meeting"]["uid"] == booked.uid
    assert event["id"] == generic["headers"]["X-Banter-Event-Id"]
    slack = json.loads(next(c for c in Receiver.calls if c["path"] == "/slack")["body"])
    assert "Greta Lindqvist" in slack["text"] and slack["blocks"]
    with sessions() as s:
        assert {r.status for r in s.execute(select(OutboxMessage)).scalars()} == {"sent"}


def test_a_refused_webhook_is_a_permanent_failure_kept_for_inspection(engine, receiver: str) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        enqueue(session=s, messages=[OutboxIn("webhook", "test", {"target": "generic", "body": {"a": 1}})])
    result = deliver_due(sessions, {"webhook": WebhookSender(None, None, None)})
    assert result.failed == 1
    with sessions() as s:
        row = s.execute(select(OutboxMessage)).scalar_one()
    assert row.status == "failed" and "BANTER_WEBHOOK_URL is not set" in row.last_error


class Counting:
    """A sender that records event ids (thread-safe)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.lock = threading.Lock()

    def send(self, payload: Any, event_id: str) -> None:
        with self.lock:
            self.seen.append(event_id)


@pytest.mark.postgres
def test_two_workers_on_postgres_send_each_message_exactly_once(pg_server_url: str) -> None:
    from alembic import command

    from bot.store.db import make_engine
    from tests.store.conftest import _reset_pg, alembic_config

    _reset_pg(pg_server_url)
    command.upgrade(alembic_config(pg_server_url), "head")
    engines = [make_engine(pg_server_url), make_engine(pg_server_url)]
    with session_factory(engines[0])() as s, s.begin():
        enqueue(session=s, messages=[OutboxIn("email", "test", {"n": i}) for i in range(2000)])
    sender = Counting()

    def work(engine: Any) -> None:
        sessions = session_factory(engine)
        while deliver_due(sessions, {"email": sender}, batch=25).handled:
            pass

    threads = [threading.Thread(target=work, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sender.seen) == 2000 and len(set(sender.seen)) == 2000
    with session_factory(engines[0])() as s:
        assert {r for (r,) in s.execute(select(OutboxMessage.status)).all()} == {"sent"}
    for e in engines:
        e.dispose()
