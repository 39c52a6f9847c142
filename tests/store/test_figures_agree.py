"""Every console figure equals a hand count and agrees across pages (HTML) and CSV downloads.

A known set on SQLite and PostgreSQL: six leads created today (one with two conversations
from two sources, one qualified lead with a partial reason), one lead created long ago with a
meeting booked today (outside every figure of today's period), meetings rescheduled,
cancelled and cancelled-then-booked-again, and six conversations in Rasa's tracker store.
The definitions are in docs/console_figures.md.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, update

from bot.booking.service import BookingService, Notify
from bot.console.auth import Sessions, parse_users
from bot.links import Links
from bot.nurture.service import NurtureService
from bot.playbook import load_playbook
from bot.settings import PROJECT_ROOT
from bot.store.db import session_factory
from bot.store.meetings import MeetingIn, book_meeting, cancel_meeting, reschedule_meeting
from bot.store.models import Lead, Meeting
from bot.store.repository import AnswerIn, ContactIn, ScoreIn, SourceIn, save_qualification
from bot.transcripts import load_transcript
from bot.web.app import Site, create_app
from bot.web.console import Console, add_console
from tests.store.tracker_events import TrackerWriter

KEY = "k" * 40
PASSWORD = "correct horse battery"
NOW = datetime.now(timezone.utc)
DAY = NOW.date().isoformat()
PERIOD = {"from": (NOW - timedelta(days=6)).date().isoformat(), "to": DAY}
DANA, LUIS = "dana@banter.example.com", "luis@banter.example.com"
BUDGET = {"status": "amount", "amount": 40000.0, "currency": "USD", "period": "year", "annual_amount": 40000.0}


def save(sessions: Any, sender: str, email: str, grade: str, reasons: list[str], utm: dict[str, str]) -> int:
    visitor = {"visitor_id": "browser-" + email}  # a returning visitor's browser: their second conversation
    with sessions() as s, s.begin():
        return save_qualification(
            session=s, sender_id=sender, source=SourceIn(channel="rest", utm=utm, metadata=visitor),
            contact=ContactIn(email=email, name=email.split("@")[0].title(), company_name="Co"),
            answers=[AnswerIn("budget", "40k a year", BUDGET, False, NOW),
                     AnswerIn("company_size", "about 200", {"employees": 200, "min": 200, "max": 200}, False, NOW),
                     AnswerIn("timeline", "", None, True, NOW)],
            score=ScoreIn(score=80 if grade == "qualified" else 40, grade=grade, reasons=reasons,
                          criteria=[{"name": "icp_size", "points": 10, "max_points": 10, "reason": "ok"}],
                          next_step="book_demo" if grade == "qualified" else "nurture", playbook_version="v1"),
        )


def meeting(sessions: Any, lead_id: int, rep: str, hours: int, kind: str = "demo") -> str:
    start = (NOW + timedelta(days=3)).replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours)
    uid = f"{lead_id}-{hours}@test"
    with sessions() as s, s.begin():
        book_meeting(session=s, meeting=MeetingIn(
            uid=uid, lead_id=lead_id, conversation_id=None, meeting_type=kind, rep_email=rep,
            route_reason="territory", start=start, end=start + timedelta(minutes=30), buffer_minutes=0,
            visitor_time_zone="UTC", attendee_email="x@y.com"))
    return uid


def change(sessions: Any, uid: str, action: str) -> None:
    with sessions() as s, s.begin():
        row = s.execute(select(Meeting).where(Meeting.uid == uid)).scalar_one()
        if action == "cancel":
            cancel_meeting(session=s, meeting=row, by="visitor")
        else:
            later = row.start_at + timedelta(hours=30)
            reschedule_meeting(session=s, meeting=row, start=later, end=later + timedelta(minutes=30), by="visitor")


def seed_leads(sessions: Any) -> dict[str, int]:
    ids = {
        # two conversations, two sources: one lead, credited to its first conversation's source
        "one": save(sessions, "c1", "one@a.com", "qualified", [], {"utm_source": "google", "utm_campaign": "winter-webinar"}),
        "two": save(sessions, "c2", "two@b.com", "qualified", [], {"utm_source": "linkedin", "utm_campaign": "abm-q4"}),
        "three": save(sessions, "c3", "three@c.com", "nurture", ["budget", "timeline"],
                      {"utm_source": "google", "utm_campaign": "brand"}),
        "four": save(sessions, "c4", "four@d.com", "nurture", ["authority"], {}),
        "five": save(sessions, "c5", "five@e.com", "disqualified", ["student"], {}),
        # qualified with a partial reason: counted as qualified, never under the reasons
        "six": save(sessions, "c6", "six@f.com", "qualified", ["budget"],
                    {"utm_source": "newsletter", "utm_campaign": "november"}),
        "old": save(sessions, "c7", "old@g.com", "qualified", [], {"utm_source": "google", "utm_campaign": "brand"}),
    }
    save(sessions, "c1b", "one@a.com", "qualified", [], {"utm_source": "linkedin", "utm_campaign": "abm-q4"})
    with sessions() as s, s.begin():
        s.execute(update(Lead).where(Lead.id == ids["old"]).values(created_at=NOW - timedelta(days=200)))
    change(sessions, meeting(sessions, ids["one"], DANA, 0), "reschedule")  # booked once, rescheduled
    change(sessions, meeting(sessions, ids["two"], LUIS, 2), "cancel")  # cancelled ...
    meeting(sessions, ids["two"], LUIS, 4)  # ... and booked again
    meeting(sessions, ids["three"], DANA, 6, "discovery")
    change(sessions, meeting(sessions, ids["six"], LUIS, 8), "cancel")
    meeting(sessions, ids["old"], DANA, 10)  # a lead of another period: in none of today's figures
    return ids


def seed_conversations(t: TrackerWriter) -> None:
    """Six conversations; `at` is seconds after two hours ago (x3 is five minutes old: not stopped yet)."""
    t.user("c1", 0, "hi", "greet")
    t.ask("c1", 1, "need")
    t.answer("c1", 5, "need", "qualify leads", next_field="role")  # 4 s
    t.answer("c1", 15, "role", "CEO", next_field="budget")
    t.answer("c1", 25, "budget", "40k a year")
    t.outcome("c1", 26)
    t.bot("c1", 27, "Here are some times.")
    t.buttons("c1", 27.5, "Pick one", [("Mon 30 Nov, 10:00", '/choose_slot{"slot_choice": "dana|2026-11-30T15:00"}'),
                                       ("Just send me information", "/decline_meeting")])
    t.user("c1", 40, '/choose_slot{"slot_choice": "dana|2026-11-30T15:00"}', "choose_slot")
    t.user("c1", 50, "/affirm", "affirm")
    t.user("c2", 0, "hi", "greet")
    t.ask("c2", 1, "need")
    t.why("c2", 10, "need")  # asks again at 10.2: not a re-prompt
    t.answer("c2", 30.2, "need", "book meetings", next_field="role")  # 20 s
    t.answer("c2", 40, "role", "VP Sales")
    t.outcome("c2", 41)
    t.user("c3", 0, "hi", "greet")
    t.ask("c3", 1, "need")
    t.answer("c3", 11, "need", "website chat", next_field="budget")  # 10 s
    t.answer("c3", 20, "budget", "rather not say", declined=True)
    t.outcome("c3", 21)
    t.user("x1", 0, "hi", "greet")
    t.ask("x1", 1, "need")
    t.answer("x1", 31, "need", "qualify leads", next_field="role")  # 30 s
    t.answer("x1", 40, "role", "hmm", error="not a role")  # re-prompt
    t.answer("x1", 50, "role", "Head of Sales", next_field="budget")
    t.user("x2", 0, "hi", "greet")
    t.ask("x2", 1, "need")
    t.user("x3", 6900, "hi", "greet")
    t.ask("x3", 6901, "need")


QUESTIONS = {  # asked, answered, declined, stopped here, re-prompts, why, median seconds to answer
    "need": (6, 4, 0, 1, 0, 1, 15.0),  # 4, 10, 20, 30 s
    "role": (3, 3, 0, 0, 1, 0, 9.8),  # 9.8, 9.6, 9.8 s
    "budget": (3, 1, 1, 1, 0, 0, 9.8),
    "timeline": (0, 0, 0, 0, 0, 0, None),
}


class Tables(HTMLParser):
    """Every <table aria-label=...> of a page as rows of cell texts (header row first)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = self.tables.setdefault(str(dict(attrs).get("aria-label")), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._table is not None and self._cell is not None:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def dicts(self, name: str) -> list[dict[str, str]]:
        header, *body = self.tables[name]
        return [dict(zip(header, row, strict=True)) for row in body]


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
async def console(engine, tmp_path) -> AsyncIterator[tuple[TestClient, dict[str, int]]]:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    playbook_file = tmp_path / "playbook.yml"
    playbook_file.write_text((PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text())
    playbook = load_playbook(playbook_file)
    links = Links(KEY, 3600)
    ids = seed_leads(sessions)
    seed_conversations(TrackerWriter(engine, NOW - timedelta(hours=2)))  # the tracker's table, same database
    app = create_app(BookingService(playbook, sessions, links, Notify(mail_from="b@x", public_url="http://x")),
                     links, lambda sender: [],
                     NurtureService(playbook, sessions, links, mail_from="b@x", public_url="http://x"),
                     Site("http://r", ("http://127.0.0.1",), {"pages": {}, "proactive": []}, "Co", "P"))
    add_console(app, Console(sessions=sessions, tracker=engine, playbook_path=playbook_file,
                             users=parse_users(f"mia:marketing:{PASSWORD}"), cookies=Sessions(KEY),
                             transcripts=lambda sender: load_transcript(engine, sender)))
    client = TestClient(TestServer(app))
    await client.start_server()
    page = await client.get("/console/login")
    token = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)  # type: ignore[union-attr]
    await client.post("/console/login", data={"csrf": token, "username": "mia", "password": PASSWORD})
    yield client, ids
    await client.close()


async def test_every_figure_equals_the_hand_count_on_every_page_and_csv(console: Any) -> None:
    client, ids = console

    async def get(path: str, **params: str) -> str:
        response = await client.get(path, params=params)
        assert response.status == 200, (path, params, await response.text())
        return await response.text()

    async def overview_csv(name: str) -> list[dict[str, str]]:
        return rows(await get("/console/overview", **PERIOD, csv=name))

    async def leads_total(**filters: str) -> int:
        html = await get("/console/leads", **PERIOD, **filters)
        listed = rows(await get("/console/leads", **PERIOD, **filters, csv="1"))
        total = int(re.search(r"<p>(\d+) lead\(s\)\.", html).group(1))  # type: ignore[union-attr]
        assert total == len(listed), filters  # the page's count is the CSV's rows
        return total

    overview = Tables(await get("/console/overview", **PERIOD))

    # The funnel: by hand, and as the sum of the other tables (page and CSV alike)
    funnel = {r["step"]: r["count"] for r in await overview_csv("funnel")}
    assert funnel == {"conversations started": "6", "engaged (answered a question)": "4",
                      "completed qualification": "6", "qualified": "3", "meeting booked": "3",
                      "nurture": "2", "disqualified": "1"}
    assert {r["Step"]: r["Count"] for r in overview.dicts("Funnel")} == funnel

    # Weekly: the same leads, by grade
    weekly = await overview_csv("weekly")
    for key, step in (("leads", "completed qualification"), ("qualified", "qualified"), ("nurture", "nurture"),
                      ("disqualified", "disqualified")):
        assert sum(int(r[key]) for r in weekly) == int(funnel[step]), key
    page_weekly = overview.dicts("Per week: qualified, nurture, disqualified")
    assert [r["Leads"] for r in page_weekly] == [r["leads"] for r in weekly] and len(weekly) >= 1
    assert "Disqualified: <strong>16.7%</strong> of 6 leads" in await get("/console/overview", **PERIOD)

    # Sources: first touch, every lead once; meetings booked and not cancelled
    sources = {(r["source"], r["campaign"]): (r["leads"], r["qualified"], r["meetings"])
               for r in await overview_csv("sources")}
    assert sources == {("google", "winter-webinar"): ("1", "1", "1"), ("linkedin", "abm-q4"): ("1", "1", "1"),
                       ("google", "brand"): ("1", "0", "1"), ("(direct)", "-"): ("2", "0", "0"),
                       ("newsletter", "november"): ("1", "1", "0")}
    assert sum(int(v[0]) for v in sources.values()) == int(funnel["completed qualification"])
    assert sum(int(v[1]) for v in sources.values()) == int(funnel["qualified"])
    assert sum(int(v[2]) for v in sources.values()) == int(funnel["meeting booked"])
    assert {(r["Source"], r["Campaign"]): (r["Leads"], r["Qualified"], r["Meetings"])
            for r in overview.dicts("Lead sources")} == sources

    # Meetings per rep: overview (page, CSV) and meetings page (page, CSV) for the same days
    reps = {r["rep"]: (r["booked"], r["rescheduled"], r["cancelled"]) for r in await overview_csv("reps")}
    assert reps == {DANA: ("2", "1", "0"), LUIS: ("1", "0", "2")}
    assert sum(int(v[0]) for v in reps.values()) == int(funnel["meeting booked"])
    assert {r["Rep"]: (r["Booked"], r["Rescheduled"], r["Cancelled"])
            for r in overview.dicts("Meetings per rep")} == reps
    meetings_csv = rows(await get("/console/meetings", **PERIOD, csv="per_rep"))
    assert {r["rep"]: (r["booked"], r["rescheduled"], r["cancelled"]) for r in meetings_csv} == reps
    meetings_page = Tables(await get("/console/meetings", **PERIOD, tz="UTC"))
    names = {"Dana Whitfield": DANA, "Luis Romero": LUIS}
    assert {names.get(r["Rep"], r["Rep"]): (r["Booked"], r["Rescheduled"], r["Cancelled"])
            for r in meetings_page.dicts("Meetings per rep")} == reps

    # Reasons: nurture and disqualified leads only (the qualified lead's partial reason is not one)
    reasons = {r["reason"]: (r["primary"], r["all"]) for r in await overview_csv("reasons")}
    assert (reasons["budget"], reasons["timeline"], reasons["authority"], reasons["student"]) == (
        ("1", "1"), ("0", "1"), ("1", "1"), ("1", "1"))
    assert sum(int(p) for p, _ in reasons.values()) == int(funnel["nurture"]) + int(funnel["disqualified"])
    page_reasons = {r["Reason"]: (r["Primary"], r["All"]) for r in overview.dicts("Disqualification and nurture reasons")}
    assert page_reasons["budget below the minimum"] == reasons["budget"]
    assert page_reasons["student"] == reasons["student"]

    # The leads list counts the same leads with the same rules
    assert await leads_total() == int(funnel["completed qualification"])
    for grade in ("qualified", "nurture", "disqualified"):
        assert await leads_total(grade=grade) == int(funnel[grade])
    for reason in ("budget", "timeline", "authority", "student"):
        assert await leads_total(reason=reason) == int(reasons[reason][0]), reason
    for source in ("google", "linkedin", "(direct)", "newsletter"):
        expected = sum(int(v[0]) for (src, _), v in sources.items() if src == source)
        assert await leads_total(source=source) == expected, source
    assert await leads_total(rep=DANA) == 2 and await leads_total(rep=LUIS) == 1  # leads with a booked meeting
    everyone = rows(await get("/console/leads", csv="1"))
    assert len(everyone) == 7 and ids["old"] in {int(r["id"]) for r in everyone}  # no period: the old lead too

    # Per question: conversations in the tracker store, keyed on the field names
    questions = {r["question"]: r for r in await overview_csv("questions")}
    for name, expected in QUESTIONS.items():
        row = questions[name]
        got = (row["asked"], row["answered"], row["declined"], row["stopped_here"], row["reprompts"],
               row["why_asked"], row["median_seconds_to_answer"])
        assert got == tuple("" if v is None else str(v) for v in expected), name
    page_questions = {r["Question"]: r for r in overview.dicts("Per question")}
    assert (page_questions["need"]["Asked"], page_questions["need"]["Stopped here"]) == ("6", "1")
    assert page_questions["need"]["Median time to answer"] == "15 s"
    assert int(questions["need"]["asked"]) == int(funnel["conversations started"])  # everyone was asked the need


async def test_lead_page_and_transcript_read_as_words(console: Any) -> None:
    """Understood values and reasons in words, no button payloads, UTC times for the viewer's zone."""
    client, ids = console
    html = await (await client.get(f"/console/leads/{ids['one']}")).text()
    answers = {r["Question"]: (r["As said"], r["Understood"]) for r in Tables(html).dicts("Answers")}
    assert answers["budget"] == ("40k a year", "$40,000 a year")
    assert answers["company size"] == ("about 200", "200 people") and answers["timeline"][1] == "declined"
    assert "/choose_slot" not in html and "/affirm" not in html and "slot_choice" not in html
    assert "<strong>Visitor:</strong> Mon 30 Nov, 10:00" in html and "<strong>Visitor:</strong> Yes" in html
    assert re.search(r'<time data-local datetime="\d{4}-\d\d-\d\dT\d\d:\d\d[^"]*\+00:00">', html)
    assert "demo booked:" in html and "ICP size" in html
    three = await (await client.get(f"/console/leads/{ids['three']}")).text()
    assert "reasons: budget below the minimum; buying later than we look for" in three
    listed = Tables(await (await client.get("/console/leads", params={**PERIOD, "grade": "nurture"})).text())
    assert {r["Primary reason"] for r in listed.dicts("Leads")} == {"budget below the minimum", "not the decision maker"}
    script = await (await client.get("/assets/console.js")).text()
    assert "beginAtZero: true" in script and "time[data-local][datetime]" in script
