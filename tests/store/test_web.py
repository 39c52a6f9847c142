"""Reschedule and cancel links over real HTTP: valid, expired, tampered; transcripts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.booking.routing import LeadFacts
from bot.booking.service import BookingService, Notify
from bot.links import Links
from bot.nurture.service import NurtureService
from bot.playbook import load_playbook
from bot.settings import PROJECT_ROOT
from bot.store.db import session_factory
from bot.store.models import Meeting, OutboxMessage
from bot.transcripts import Line
from bot.web.app import create_app
from tests.store.test_booking import NOW, make_lead

KEY = "k" * 40


@pytest.fixture
async def setup(engine) -> AsyncIterator[tuple[TestClient, BookingService, str]]:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    links = Links(KEY, 3600)
    service = BookingService(load_playbook(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml"), sessions, links,
                             Notify(mail_from="b@localhost", public_url="http://testserver"), now=lambda: NOW)
    lead_id = make_lead(sessions, "c1", "ada@acme.com")
    offer = service.offer("demo", LeadFacts(region="europe", employees=300))
    booked = service.book(sender_id="c1", lead_id=lead_id, meeting_type="demo", slot_key=offer.slots[0].key(),
                          route_reason="territory", visitor_zone="Europe/Berlin", attendee_email="ada@acme.com",
                          attendee_name="Ada")
    lines = {"c1": [Line("visitor", "hi <script>alert(1)</script>", NOW), Line("assistant", "Hello!", NOW)]}
    nurture = NurtureService(service.playbook, sessions, links, mail_from="b@localhost", public_url="http://testserver",
                             now=lambda: NOW)
    app = create_app(service, links, lambda sender: lines.get(sender, []), nurture)
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client, service, booked.uid
    await client.close()


def token(uid: str, purpose: str = "meeting", key: str = KEY, max_age: int = 3600) -> str:
    return Links(key, max_age).make(purpose, uid)


async def test_cancel_link_shows_then_cancels_once(setup: Any) -> None:
    client, service, uid = setup
    page = await client.get(f"/meetings/{token(uid)}/cancel")
    assert page.status == 200 and "Cancel the meeting" in await page.text()
    with service.sessions() as s:
        assert s.execute(select(Meeting.status)).scalar() == "booked"  # a GET changes nothing
    done = await client.post(f"/meetings/{token(uid)}/cancel")
    assert done.status == 200 and "Your meeting is cancelled" in await done.text()
    again = await client.post(f"/meetings/{token(uid)}/cancel")
    assert "already cancelled" in await again.text()
    with service.sessions() as s:
        assert s.execute(select(Meeting.status)).scalar() == "cancelled"
        topics = [t for (t,) in s.execute(select(OutboxMessage.topic)).all()]
    assert topics.count("meeting.cancelled") == 2  # visitor and rep, once


async def test_reschedule_link_moves_the_meeting_and_reports_a_taken_slot(setup: Any) -> None:
    client, service, uid = setup
    page = await client.get(f"/meetings/{token(uid)}/reschedule")
    html = await page.text()
    assert page.status == 200 and "Pick another time" in html and "(Europe/Berlin)" in html
    _, options = service.reschedule_options(uid)
    moved = await client.post(f"/meetings/{token(uid)}/reschedule", data={"slot": options[5].key()})
    assert moved.status == 200 and "is now on" in await moved.text()
    with service.sessions() as s:
        meeting = s.execute(select(Meeting)).scalar_one()
    assert meeting.sequence == 1
    # someone else takes a slot; picking it answers 409 with the remaining times
    other = make_lead(service.sessions, "c2", "bob@beta.com")
    _, options = service.reschedule_options(uid)
    taken = options[0]
    service.book(sender_id="c2", lead_id=other, meeting_type="demo", slot_key=taken.key(), route_reason="territory",
                 visitor_zone="Europe/Berlin", attendee_email="bob@beta.com", attendee_name=None)
    clash = await client.post(f"/meetings/{token(uid)}/reschedule", data={"slot": taken.key()})
    assert clash.status == 409 and "just taken" in await clash.text()
    empty = await client.post(f"/meetings/{token(uid)}/reschedule", data={})
    assert empty.status == 400


async def test_tampered_expired_and_wrong_purpose_links_are_refused(setup: Any) -> None:
    client, service, uid = setup
    good = token(uid)
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for path in (f"/meetings/{tampered}/cancel", f"/meetings/{token(uid, key='x' * 40)}/reschedule",
                 f"/meetings/{token(uid, purpose='transcript')}/cancel"):
        response = await client.get(path)
        assert response.status == 403 and "not valid" in await response.text()
    post = await client.post(f"/meetings/{tampered}/cancel")
    assert post.status == 403
    expired_app = create_app(service, Links(KEY, -1), lambda sender: [], None)  # type: ignore[arg-type]  # any age is too old
    expired_client = TestClient(TestServer(expired_app))
    await expired_client.start_server()
    expired = await expired_client.get(f"/meetings/{good}/cancel")
    assert expired.status == 410 and "expired" in await expired.text()
    await expired_client.close()
    with service.sessions() as s:
        assert s.execute(select(Meeting.status)).scalar() == "booked"


async def test_transcript_link_escapes_visitor_text(setup: Any) -> None:
    client, service, _ = setup
    page = await client.get(f"/transcripts/{token('c1', purpose='transcript')}")
    html = await page.text()
    assert page.status == 200 and "&lt;script&gt;" in html and "<script>alert" not in html
    assert (await client.get(f"/transcripts/{token('c1', purpose='meeting')}")).status == 403
    assert (await client.get("/healthz")).status == 200


async def test_every_page_and_answer_carries_the_security_headers(setup: Any) -> None:
    """Signed-link pages have one-click buttons and a token in the URL: no framing, no Referer."""
    client, _, uid = setup
    answers = [
        await client.get(f"/meetings/{token(uid)}/cancel"),
        await client.get(f"/meetings/{token(uid)}/reschedule"),
        await client.get(f"/transcripts/{token('c1', purpose='transcript')}"),
        await client.get(f"/meetings/{token(uid)[:-3]}xyz/cancel"),  # 403 page
        await client.post(f"/meetings/{token(uid)}/cancel"),
        await client.get("/healthz"),
        await client.get("/assets/pages.css"),
        await client.get("/nothing-here"),  # 404
    ]
    for response in answers:
        policy = response.headers["Content-Security-Policy"]
        assert policy.startswith("default-src 'self';") and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    html = await answers[0].text()
    assert '<link rel="stylesheet" href="/assets/pages.css">' in html and "<style" not in html
