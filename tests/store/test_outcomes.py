"""Outcomes from sales on SQLite and PostgreSQL: the service's state transitions and history, the one-click
links in the rep's brief over real HTTP (tampering, replay), the CRM's signed webhook, the console's forms
(sales role, CSRF), the follow-up page and the suggest action opening the what-if preview."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import delete, func, select, update

from bot.booking.routing import LeadFacts
from bot.booking.service import BookingService, Notify
from bot.console.auth import Sessions, parse_users
from bot.links import Links
from bot.notify.delivery import signature
from bot.nurture.service import NurtureService
from bot.outcomes.service import OutcomeError, OutcomeIn, record
from bot.playbook import load_playbook
from bot.settings import PROJECT_ROOT
from bot.store.db import session_factory
from bot.store.meetings import record_callback
from bot.store.models import (
    CallbackRequest,
    LeadEvent,
    Meeting,
    MeetingBlock,
    OutboxMessage,
    SalesOutcome,
    UsedNonce,
)
from bot.web.app import create_app
from bot.web.console import Console, add_console
from tests.store.test_booking import NOW, make_lead

KEY = "k" * 40
CRM_SECRET = "crm-secret-for-tests-0123"
PASSWORD = "correct horse battery"


@dataclass
class World:
    client: TestClient
    service: BookingService
    sessions: Any
    uid: str
    lead_id: int
    rep_email: dict[str, Any]  # the rep's brief email payload
    clock: list[datetime]
    playbook_path: Any


@pytest.fixture
async def world(engine, tmp_path) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    playbook_path = tmp_path / "playbook.yml"
    playbook_path.write_text((PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text())
    playbook = load_playbook(playbook_path)
    links = Links(KEY, 3600)
    clock = [NOW]
    service = BookingService(playbook, sessions, links, Notify(mail_from="b@localhost", public_url="http://testserver"),
                             now=lambda: clock[0])
    lead_id = make_lead(sessions, "c1", "ada@acme.com")
    offer = service.offer("demo", LeadFacts(region="europe", employees=300))
    booked = service.book(sender_id="c1", lead_id=lead_id, meeting_type="demo", slot_key=offer.slots[0].key(),
                          route_reason="territory", visitor_zone="Europe/Berlin", attendee_email="ada@acme.com",
                          attendee_name="Ada")
    with sessions() as s:
        rep = next(m.payload for m in s.execute(select(OutboxMessage)).scalars()
                   if m.kind == "email" and m.payload["to"] == ["greta@banter.example.com"])
    nurture = NurtureService(playbook, sessions, links, mail_from="b@localhost", public_url="http://testserver")
    app = create_app(service, links, lambda sender: [], nurture, crm_secret=CRM_SECRET)
    add_console(app, Console(sessions=sessions, tracker=None, playbook_path=playbook_path,
                             users=parse_users(f"mia:marketing:{PASSWORD},sal:sales:{PASSWORD}"),
                             cookies=Sessions(KEY), transcripts=lambda sender: []))
    client = TestClient(TestServer(app))
    await client.start_server()
    clock[0] = booked.end + timedelta(hours=1)  # the meeting is over
    yield World(client, service, sessions, booked.uid, lead_id, rep, clock, playbook_path)
    await client.close()


def links_in(payload: dict[str, Any]) -> dict[str, str]:
    """Outcome label -> path of its one-click link, from the brief's plain text."""
    found = re.findall(r"^- ([^:\n]+): http://testserver(/outcomes/\S+)$", payload["text"], re.M)
    return dict(found)


def events(sessions: Any, kind_prefix: str = "outcome_") -> list[tuple[str, dict[str, Any]]]:
    with sessions() as s:
        rows = s.execute(select(LeadEvent).order_by(LeadEvent.id)).scalars().all()
    return [(e.kind, e.detail) for e in rows if e.kind.startswith(kind_prefix)]


def test_outcomes_land_in_history_and_move_forward_only(world: World) -> None:
    sessions, now = world.sessions, lambda: world.clock[0]
    done = record(sessions, OutcomeIn(outcome="held", by="greta@banter.example.com", via="email_link",
                                      meeting_uid=world.uid), now)
    assert done.changed and done.current == "held" and done.lead_id == world.lead_id
    again = record(sessions, OutcomeIn(outcome="held", by="crm", via="crm", meeting_uid=world.uid), now)
    assert not again.changed  # the same outcome again: no second row, no second history entry
    record(sessions, OutcomeIn(outcome="rejected", by="sal (sales)", via="console", meeting_uid=world.uid,
                               reason="budget", note="they have 5k"), now)
    late = record(sessions, OutcomeIn(outcome="held", by="greta", via="email_link", meeting_uid=world.uid), now)
    assert not late.changed and late.current == "rejected"  # a late click never moves it back
    fixed = record(sessions, OutcomeIn(outcome="held", by="mia (marketing)", via="console", meeting_uid=world.uid), now)
    assert fixed.changed  # the console may correct, and says so
    history = events(sessions)
    assert [k for k, _ in history] == ["outcome_held", "outcome_rejected", "outcome_held"]
    assert history[1][1] == {"outcome": "rejected", "reason": "budget", "note": "they have 5k", "by": "sal (sales)",
                             "via": "console", "uid": world.uid}
    assert history[2][1]["corrects"] == "rejected"
    with sessions() as s:
        rows = s.execute(select(SalesOutcome).order_by(SalesOutcome.id)).scalars().all()
    assert [(r.outcome, r.via, r.recorded_by) for r in rows] == [
        ("held", "email_link", "greta@banter.example.com"), ("rejected", "console", "sal (sales)"),
        ("held", "console", "mia (marketing)")]
    assert all(r.recorded_at is not None for r in rows)


def test_wrong_targets_and_early_attendance_are_refused(world: World) -> None:
    sessions = world.sessions
    with pytest.raises(OutcomeError) as err:
        record(sessions, OutcomeIn(outcome="held", by="x", via="console", meeting_uid="nope@banter"))
    assert err.value.kind == "not_found"
    with pytest.raises(OutcomeError) as err:
        record(sessions, OutcomeIn(outcome="no_show", by="x", via="console", meeting_uid=world.uid), lambda: NOW)
    assert err.value.kind == "conflict" and "not started" in str(err.value)
    world.service.cancel(world.uid)
    with pytest.raises(OutcomeError) as err:
        record(sessions, OutcomeIn(outcome="held", by="x", via="console", meeting_uid=world.uid), lambda: world.clock[0])
    assert err.value.kind == "conflict" and "cancelled" in str(err.value)


def test_an_outcome_answers_the_leads_open_callback(world: World) -> None:
    with world.sessions() as s, s.begin():
        record_callback(session=s, lead_id=world.lead_id, conversation_id=None, meeting_type="demo",
                        preference="mornings", visitor_time_zone="UTC")
    record(world.sessions, OutcomeIn(outcome="contacted", by="sal (sales)", via="console", lead_id=world.lead_id),
           lambda: world.clock[0])
    with world.sessions() as s:
        assert s.execute(select(CallbackRequest.status)).scalar() == "answered"
        assert s.execute(select(SalesOutcome.meeting_id)).scalar() is None  # contacted: the lead's, no meeting


async def test_one_click_links_record_once_and_refuse_tampering(world: World) -> None:
    client, sessions = world.client, world.sessions
    found = links_in(world.rep_email)
    assert list(found) == ["Meeting held", "No-show", "Accepted as an opportunity (SQL)", "Rejected"]
    assert 'href="http://testserver/outcomes/' in world.rep_email["html"]
    held = found["Meeting held"]
    page = await client.get(held)  # a mail scanner opening the link records nothing
    assert page.status == 200 and "Record: meeting held" in await page.text()
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert events(sessions) == []
    token = held.rsplit("/", 1)[1]
    payload, stamp, sig = token.rsplit(".", 2)
    other = found["No-show"].rsplit("/", 1)[1].rsplit(".", 2)[0]
    for bad in (f"{other}.{stamp}.{sig}", token[:-2], "B" + token[1:] if token[0] != "B" else "C" + token[1:],
                Links(KEY, 3600).make("meeting", world.uid)):
        refused = await client.post(f"/outcomes/{bad}", data={})
        assert refused.status == 403 and "not valid" in await refused.text()
    done = await client.post(held, data={"note": "good call"})
    assert done.status == 200 and "Outcome recorded" in await done.text()
    replay = await client.post(held, data={})
    assert replay.status == 409 and "already used" in await replay.text()
    assert (await client.get(held)).status == 409
    assert [k for k, _ in events(sessions)] == ["outcome_held"]
    assert events(sessions)[0][1]["by"] == "greta@banter.example.com"
    assert events(sessions)[0][1]["via"] == "email link"

    rejected = found["Rejected"]
    no_reason = await client.post(rejected, data={})
    assert no_reason.status == 400 and "reason or a note" in await no_reason.text()
    with sessions() as s:  # a refused form does not use the link up
        assert s.execute(select(func.count()).select_from(UsedNonce)).scalar() == 1
    done = await client.post(rejected, data={"reason": "authority", "note": "<b>intern</b>"})
    assert done.status == 200
    assert [k for k, _ in events(sessions)] == ["outcome_held", "outcome_rejected"]
    expired = create_app(world.service, Links(KEY, -1), lambda sender: [], None)  # type: ignore[arg-type]
    expired_client = TestClient(TestServer(expired))
    await expired_client.start_server()
    try:
        assert (await expired_client.post(found["No-show"], data={})).status == 410
    finally:
        await expired_client.close()


def test_a_cancelled_meeting_brief_has_no_outcome_links(world: World) -> None:
    world.service.cancel(world.uid)
    with world.sessions() as s:
        cancel = [m.payload for m in s.execute(select(OutboxMessage)).scalars()
                  if m.topic == "meeting.cancelled" and m.kind == "email" and m.payload["to"] == ["greta@banter.example.com"]]
    assert cancel and "/outcomes/" not in cancel[0]["text"]


def signed(body: dict[str, Any], when: datetime, secret: str = CRM_SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    stamp = str(int(when.timestamp()))
    return raw, {"X-Banter-Timestamp": stamp, "X-Banter-Signature": "sha256=" + signature(secret, stamp, raw),
                 "Content-Type": "application/json"}


async def test_the_crm_webhook_is_signed_timely_and_idempotent(world: World) -> None:
    client, now = world.client, world.clock[0]
    raw, headers = signed({"id": "evt-1", "meeting_uid": world.uid, "outcome": "accepted", "by": "Hubspot"}, now)
    done = await client.post("/crm/outcomes", data=raw, headers=headers)
    assert done.status == 200 and (await done.json())["changed"] is True
    replay = await client.post("/crm/outcomes", data=raw, headers=headers)
    assert (await replay.json()) == {**(await done.json()), "changed": False, "replayed": True}
    forged = await client.post("/crm/outcomes", data=raw.replace(b"accepted", b"rejected"), headers=headers)
    assert forged.status == 401
    raw2, wrong = signed({"meeting_uid": world.uid, "outcome": "won"}, now, "another-secret-0123456")
    assert (await client.post("/crm/outcomes", data=raw2, headers=wrong)).status == 401
    raw3, stale = signed({"meeting_uid": world.uid, "outcome": "won"}, now - timedelta(minutes=6))
    assert (await client.post("/crm/outcomes", data=raw3, headers=stale)).status == 401
    raw4, by_email = signed({"lead_email": "ADA@acme.com", "outcome": "won", "note": "signed 2 years"}, now)
    won = await client.post("/crm/outcomes", data=raw4, headers=by_email)
    assert won.status == 200 and (await won.json())["meeting_uid"] == world.uid  # its latest meeting
    raw5, unknown = signed({"lead_email": "nobody@acme.com", "outcome": "won"}, now)
    assert (await client.post("/crm/outcomes", data=raw5, headers=unknown)).status == 404
    raw6, invalid = signed({"meeting_uid": world.uid, "outcome": "rejected", "reason": "too pricey"}, now)
    assert (await client.post("/crm/outcomes", data=raw6, headers=invalid)).status == 400
    history = events(world.sessions)
    assert [k for k, _ in history] == ["outcome_accepted", "outcome_won"]
    assert history[0][1]["by"] == "crm (Hubspot)" and history[1][1]["via"] == "crm"


async def test_without_a_secret_there_is_no_crm_endpoint(world: World) -> None:
    app = create_app(world.service, Links(KEY, 3600), lambda sender: [], None)  # type: ignore[arg-type]
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        raw, headers = signed({"meeting_uid": world.uid, "outcome": "won"}, world.clock[0])
        assert (await client.post("/crm/outcomes", data=raw, headers=headers)).status == 404
    finally:
        await client.close()


async def log_in(client: TestClient, user: str) -> str:
    page = await client.get("/console/login")
    token = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)  # type: ignore[union-attr]
    done = await client.post("/console/login", data={"csrf": token, "username": user, "password": PASSWORD},
                             allow_redirects=False)
    assert done.status == 302
    home = await client.get("/console/leads")
    return re.search(r'name="csrf" value="([^"]+)"', await home.text()).group(1)  # type: ignore[union-attr]


async def test_sales_records_outcomes_in_the_console_with_csrf(world: World) -> None:
    client = world.client
    csrf = await log_in(client, "sal")
    page = await client.get(f"/console/leads/{world.lead_id}")
    html = await page.text()
    assert page.status == 200 and "Outcome from sales" in html and world.uid in html
    no_token = await client.post(f"/console/leads/{world.lead_id}/outcome",
                                 data={"outcome": "no_show", "meeting_uid": world.uid})
    assert no_token.status == 403
    bad = await client.post(f"/console/leads/{world.lead_id}/outcome",
                            data={"outcome": "rejected", "meeting_uid": world.uid, "csrf": csrf})
    assert bad.status == 400 and "reason or a note" in await bad.text()
    ok = await client.post(f"/console/leads/{world.lead_id}/outcome",
                           data={"outcome": "rejected", "reason": "icp_size", "note": "<script>x</script>",
                                 "meeting_uid": world.uid, "csrf": csrf})
    html = await ok.text()
    assert ok.status == 200 and "Recorded: rejected" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert "company below the minimum size" in html  # the reason in words in the history
    assert events(world.sessions)[0][1]["by"] == "sal (sales)"
    # sales still cannot change anything else
    assert (await client.post(f"/console/leads/{world.lead_id}/grade",
                              data={"grade": "nurture", "note": "because", "csrf": csrf})).status == 403
    assert (await client.post("/console/calibration/suggest", data={"csrf": csrf})).status == 403
    assert (await client.get("/console/followup?csv=items")).status == 403


async def test_the_follow_up_page_shows_due_and_overdue_per_rep(world: World) -> None:
    client = world.client
    await log_in(client, "sal")
    real_now = datetime.now(timezone.utc)  # the page's clock is the real one
    world.clock[0] = real_now
    with world.sessions() as s, s.begin():
        s.execute(update(Meeting).values(start_at=real_now - timedelta(days=3), end_at=real_now - timedelta(days=3) + timedelta(minutes=30)))
        s.execute(delete(MeetingBlock))
        record_callback(session=s, lead_id=world.lead_id, conversation_id=None, meeting_type="demo",
                        preference="", visitor_time_zone="UTC")
    page = await client.get("/console/followup")
    html = await page.text()
    assert page.status == 200 and "meeting outcome to record" in html and "Greta Lindqvist" in html
    assert "callback request to answer" in html
    assert "<mark>overdue</mark>" in html  # the meeting ended 3 days ago: its outcome was due a day ago
    csrf = await log_in(client, "mia")
    listed = await client.get("/console/followup?csv=items")
    rows = (await listed.text()).splitlines()
    assert listed.status == 200 and rows[0].startswith("kind,what,lead_id")
    assert {r.split(",")[0] for r in rows[1:]} == {"outcome", "callback"}
    done = await client.post(f"/console/leads/{world.lead_id}/outcome",
                             data={"outcome": "accepted", "meeting_uid": world.uid, "back": "followup", "csrf": csrf})
    assert done.status == 200 and "Recorded: accepted" in await done.text()
    after = await client.get("/console/followup?csv=items")
    assert await after.text() == ""  # the outcome settled the meeting and answered the callback: nothing to list


async def test_suggest_with_too_few_verdicts_says_so_and_changes_nothing(world: World) -> None:
    client = world.client
    csrf = await log_in(client, "mia")
    before = world.playbook_path.read_text()
    few = await client.post("/console/calibration/suggest", data={"csrf": csrf})
    html = await few.text()
    assert few.status == 200 and "at least 20 are needed" in html
    assert world.playbook_path.read_text() == before
