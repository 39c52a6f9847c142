"""The console's meetings page over real HTTP on SQLite and PostgreSQL: the viewer's time zone,
time order, reps by name, repeat bookings flagged, calendars that fail and since when."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.booking.routing import LeadFacts
from bot.booking.service import BookingService, Notify
from bot.console.auth import Sessions, parse_users
from bot.links import Links
from bot.nurture.service import NurtureService
from bot.playbook import load_playbook
from bot.settings import PROJECT_ROOT
from bot.store.calendars import record_calendar_read
from bot.store.db import session_factory
from bot.store.repository import ContactIn, ScoreIn, SourceIn, save_qualification
from bot.web.app import Site, create_app
from bot.web.console import Console, add_console

KEY = "k" * 40
PASSWORD = "correct horse battery"


def lead(sessions: Any, sender: str, email: str, company: str, name: str) -> int:
    with sessions() as s, s.begin():
        return save_qualification(
            session=s, sender_id=sender, source=SourceIn(channel="rest"),
            contact=ContactIn(email=email, name=name, company_name=company), answers=[],
            score=ScoreIn(score=80, grade="qualified", reasons=[], criteria=[], next_step="book_demo",
                          playbook_version="v1"),
        )


@pytest.fixture
async def client(engine, tmp_path) -> AsyncIterator[TestClient]:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    playbook_file = tmp_path / "playbook.yml"
    playbook_file.write_text((PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text())
    playbook = load_playbook(playbook_file)
    links = Links(KEY, 3600)
    booking = BookingService(playbook, sessions, links, Notify(mail_from="b@x", public_url="http://x"))

    def book(sender: str, lead_id: int, facts: LeadFacts, index: int) -> str:
        slot = booking.offer("demo", facts).slots[index]
        return booking.book(sender_id=sender, lead_id=lead_id, meeting_type="demo", slot_key=slot.key(),
                            route_reason="territory", visitor_zone="UTC", attendee_email=f"{sender}@x.com",
                            attendee_name=None).uid

    europe, america = LeadFacts(region="europe", employees=300), LeadFacts(region="north_america", employees=300)
    ada = lead(sessions, "c1", "ada@acme.com", "Acme", "Ada")
    booking.cancel(book("c1", ada, europe, 0))
    book("c1", ada, europe, 5)  # the same person again
    book("c2", lead(sessions, "c2", "bob@acme.com", " ACME", "Bob"), america, 0)  # the same company
    book("c3", lead(sessions, "c3", "cy@solo.io", "Solo", "Cy"), america, 3)
    with sessions() as s, s.begin():
        record_calendar_read(session=s, rep_email="dana@banter.example.com", source="CalDAV https://dav.example/dana/",
                             checked_at=datetime.now(timezone.utc), ok_at=None,
                             failing_since=datetime(2026, 11, 20, 14, 5, tzinfo=timezone.utc),
                             error="the CalDAV server could not be reached")
        record_calendar_read(session=s, rep_email="luis@banter.example.com", source="CalDAV https://dav.example/luis/",
                             checked_at=datetime.now(timezone.utc), ok_at=datetime.now(timezone.utc),
                             failing_since=None, error=None)
    app = create_app(booking, links, lambda sender: [], NurtureService(playbook, sessions, links, mail_from="b@x",
                                                                          public_url="http://x"),
                     Site("http://r", ("http://127.0.0.1",), {"pages": {}, "proactive": []}, "Co", "P"))
    add_console(app, Console(sessions=sessions, tracker=None, playbook_path=playbook_file,
                             users=parse_users(f"sal:sales:{PASSWORD}"), cookies=Sessions(KEY),
                             transcripts=lambda sender: []))
    test_client = TestClient(TestServer(app))
    await test_client.start_server()
    page = await test_client.get("/console/login")
    token = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)  # type: ignore[union-attr]
    await test_client.post("/console/login", data={"csrf": token, "username": "sal", "password": PASSWORD})
    yield test_client
    await test_client.close()


def upcoming(page: str) -> list[tuple[datetime, str, str]]:
    table = page.split('aria-label="Upcoming meetings"')[1].split("</table>")[0]
    return [(datetime.fromisoformat(when), shown, rest)
            for when, shown, rest in re.findall(r'<time datetime="([^"]+)">([^<]+)</time>(.*?)</tr>', table, re.S)]


async def test_meetings_in_the_viewers_zone_in_time_order_with_reps_by_name(client: TestClient) -> None:
    page = await (await client.get("/console/meetings?tz=America/New_York")).text()
    rows = upcoming(page)
    assert len(rows) == 3
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)  # by time, whoever the rep
    for moment, shown, _ in rows:
        local = moment.astimezone(ZoneInfo("America/New_York"))
        assert shown == local.strftime("%a %d %b %Y, %H:%M %Z") and shown.endswith(("EST", "EDT"))
    assert "Start (America/New_York)" in page
    reps = [re.search(r"<td>([^<]+)</td>", rest).group(1) for _, _, rest in rows]  # type: ignore[union-attr]
    assert set(reps) <= {"Greta Lindqvist", "Dana Whitfield", "Luis Romero"} and "Greta Lindqvist" in reps
    assert "greta@banter.example.com" not in page.split('aria-label="Upcoming meetings"')[1]

    utc_page = await (await client.get("/console/meetings")).text()
    assert [r[0] for r in upcoming(utc_page)] == [r[0] for r in rows]
    assert all(shown.endswith("UTC") for _, shown, _ in upcoming(utc_page))
    assert "data-tz-auto" in utc_page and "data-tz-auto" not in page  # the browser's zone is filled in once
    assert (await client.get("/console/meetings?tz=Mars/Olympus")).status == 400


async def test_repeat_bookings_and_failing_calendars_are_flagged(client: TestClient) -> None:
    page = await (await client.get("/console/meetings?tz=Europe/Berlin")).text()
    flags = {re.search(r'href="/console/leads/\d+">([^<]+)</a>', rest).group(1):  # type: ignore[union-attr]
             re.findall(r"<mark>([^<]+)</mark>", rest) for _, _, rest in upcoming(page)}
    assert flags["Ada"] == ["booked 2 times by this person; 1 other person from this company booked"]
    assert flags["Bob"] == ["1 other person from this company booked"]
    assert flags["Cy"] == []

    calendars = page.split('aria-label="Calendars that cannot be read"')[1].split("</table>")[0]
    assert "Dana Whitfield" in calendars and "CalDAV https://dav.example/dana/" in calendars
    assert "Fri 20 Nov 2026, 15:05 CET" in calendars  # failing since, in the viewer's zone
    assert "the CalDAV server could not be reached" in calendars and "offers no times" in calendars
    assert "Luis" not in calendars  # read fine
