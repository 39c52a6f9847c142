"""The console over real HTTP on SQLite and PostgreSQL: access, roles, CSRF, every metric
checked against a small hand-computed data set, CSV exports and what-if counts."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.booking.routing import LeadFacts
from bot.booking.service import BookingService, Notify
from bot.console.auth import Sessions, parse_users
from bot.links import Links
from bot.nurture.service import NurtureService
from bot.playbook import load_playbook
from bot.settings import PROJECT_ROOT, SettingsError
from bot.store.db import session_factory
from bot.store.meetings import record_event
from bot.store.models import Lead, PlaybookVersion
from bot.store.repository import AnswerIn, ContactIn, ScoreIn, SourceIn, save_qualification
from bot.web.app import Site, create_app
from bot.web.console import Console, add_console

KEY = "k" * 40
NOW = datetime.now(timezone.utc)
PASSWORD = "correct horse battery"


def lead(sessions: Any, sender: str, email: str, grade: str, reasons: list[str], next_step: str,
         utm: dict[str, str], budget: float = 40000) -> int:
    with sessions() as s, s.begin():
        return save_qualification(
            session=s, sender_id=sender, source=SourceIn(channel="rest", utm=utm),
            contact=ContactIn(email=email, name=email.split("@")[0].title(), company_name="Co"),
            answers=[AnswerIn("budget", f"{budget:g}", {"status": "amount", "amount": budget, "currency": "USD",
                                                        "period": "year", "annual_amount": budget}, False, NOW),
                     AnswerIn("role", "", None, True, NOW)],
            score=ScoreIn(score=80 if grade == "qualified" else 40, grade=grade, reasons=reasons,
                          criteria=[{"name": "budget", "points": 20, "max_points": 20, "reason": "ok"}],
                          next_step=next_step, playbook_version="v1"),
        )


@pytest.fixture
async def console(engine, tmp_path) -> AsyncIterator[tuple[TestClient, Any, dict[str, int]]]:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    playbook_file = tmp_path / "playbook.yml"
    playbook_file.write_text((PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text())
    playbook = load_playbook(playbook_file)
    links = Links(KEY, 3600)
    booking = BookingService(playbook, sessions, links, Notify(mail_from="b@x", public_url="http://x"))
    ids = {
        "qualified": lead(sessions, "c1", "q@one.com", "qualified", [], "book_demo",
                          {"utm_source": "google", "utm_campaign": "winter-webinar"}),
        "budget": lead(sessions, "c2", "b@two.com", "nurture", ["budget", "timeline"], "nurture",
                       {"utm_source": "google", "utm_campaign": "brand"}, budget=3000),
        "student": lead(sessions, "c3", "s@three.com", "disqualified", ["student"], "close", {}),
        "authority": lead(sessions, "c4", "a@four.com", "nurture", ["authority"], "nurture",
                          {"utm_source": "linkedin", "utm_campaign": "abm-q4"}),
    }
    slot = booking.offer("demo", LeadFacts(region="north_america", employees=300)).slots[0]
    booking.book(sender_id="c1", lead_id=ids["qualified"], meeting_type="demo", slot_key=slot.key(),
                 route_reason="territory", visitor_zone="UTC", attendee_email="q@one.com", attendee_name="Q")
    with sessions() as s, s.begin():
        record_event(session=s, lead_id=ids["authority"], conversation_id=None, kind="requalified", detail={})
    app = create_app(booking, links, lambda sender: [], NurtureService(playbook, sessions, links, mail_from="b@x",
                                                                          public_url="http://x"),
                     Site("http://r", ("http://127.0.0.1",), {"pages": {}, "proactive": []}, "Co", "P"))
    add_console(app, Console(sessions=sessions, tracker=None, playbook_path=playbook_file,
                             users=parse_users(f"mia:marketing:{PASSWORD},sal:sales:{PASSWORD}"),
                             cookies=Sessions(KEY), transcripts=lambda sender: []))
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client, sessions, ids
    await client.close()


async def log_in(client: TestClient, user: str) -> str:
    page = await client.get("/console/login")
    token = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)  # type: ignore[union-attr]
    done = await client.post("/console/login", data={"csrf": token, "username": user, "password": PASSWORD},
                             allow_redirects=False)
    assert done.status == 302
    home = await client.get("/console/leads")
    return re.search(r'name="csrf" value="([^"]+)"', await home.text()).group(1)  # type: ignore[union-attr]


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_login_required_bad_password_and_csrf(console: Any) -> None:
    client, _, _ = console
    anonymous = await client.get("/console/overview", allow_redirects=False)
    assert anonymous.status == 302 and anonymous.headers["Location"].startswith("/console/login")
    assert (await client.post("/console/playbook", data={})).status == 403
    page = await client.get("/console/login")
    token = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)  # type: ignore[union-attr]
    wrong = await client.post("/console/login", data={"csrf": token, "username": "mia", "password": "nope"})
    assert wrong.status == 401 and "Wrong user name or password" in await wrong.text()
    csrf = await log_in(client, "mia")
    assert (await client.get("/console/overview")).status == 200
    no_token = await client.post("/console/leads/1/grade", data={"grade": "nurture", "note": "because"})
    assert no_token.status == 403 and "CSRF" in await no_token.text()
    ok = await client.post("/console/leads/1/grade", data={"grade": "nurture", "note": "spoke to them", "csrf": csrf})
    assert ok.status == 200 and "Grade changed to nurture" in await ok.text()
    no_note = await client.post("/console/leads/1/grade", data={"grade": "nurture", "note": "", "csrf": csrf})
    assert no_note.status == 400
    await client.post("/console/logout", data={"csrf": csrf})
    assert (await client.get("/console/leads", allow_redirects=False)).status == 302


async def test_sales_sees_meetings_and_leads_only(console: Any) -> None:
    client, _, ids = console
    csrf = await log_in(client, "sal")
    assert (await client.get("/console/meetings")).status == 200
    assert (await client.get(f"/console/leads/{ids['qualified']}")).status == 200
    for path in ("/console/overview", "/console/playbook"):
        assert (await client.get(path)).status == 403
    change = await client.post(f"/console/leads/{ids['budget']}/grade",
                               data={"grade": "qualified", "note": "x" * 5, "csrf": csrf})
    assert change.status == 403
    page = await client.get(f"/console/leads/{ids['qualified']}")
    assert "Erase this person" not in await page.text()


async def test_every_metric_against_hand_computed_numbers(console: Any) -> None:
    client, _, ids = console
    await log_in(client, "mia")
    base = {"from": (NOW - timedelta(days=2)).date().isoformat(), "to": (NOW + timedelta(days=1)).date().isoformat()}

    async def table(name: str) -> list[dict[str, str]]:
        response = await client.get("/console/overview", params={**base, "csv": name})
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/csv")
        return rows(await response.text())

    funnel = {r["step"]: r["count"] for r in await table("funnel")}
    assert funnel == {"conversations started": "", "engaged (answered a question)": "", "completed qualification": "4",
                      "qualified": "1", "meeting booked": "1", "nurture": "2", "disqualified": "1"}
    reasons = {r["reason"]: (r["primary"], r["all"]) for r in await table("reasons")}
    assert reasons["budget"] == ("1", "1") and reasons["timeline"] == ("0", "1")
    assert reasons["student"] == ("1", "1") and reasons["authority"] == ("1", "1") and reasons["need"] == ("0", "0")
    weekly = await table("weekly")
    assert sum(int(r["leads"]) for r in weekly) == 4 and sum(int(r["disqualified"]) for r in weekly) == 3 - 2
    sources = {(r["source"], r["campaign"]): r for r in await table("sources")}
    winter = sources[("google", "winter-webinar")]
    assert (winter["leads"], winter["qualified"], winter["meetings"], winter["cost"], winter["cost_per_qualified"]) == (
        "1", "1", "1", "1200.0", "1200.0")
    assert sources[("google", "brand")]["cost"] == "40.0" and sources[("google", "brand")]["cost_per_qualified"] == ""
    assert sources[("(direct)", "-")]["leads"] == "1" and sources[("linkedin", "abm-q4")]["cost"] == "65.0"
    reps = await table("reps")
    assert [(r["rep"], r["booked"]) for r in reps] == [("dana@banter.example.com", "1")]
    # per-question figures count conversations in Rasa's tracker store (none here: see the test below)
    questions = {r["question"]: (r["asked"], r["answered"], r["declined"]) for r in await table("questions")}
    assert questions["budget"] == ("", "", "") and questions["role"] == ("", "", "")
    requal = rows(await (await client.get("/console/overview", params={**base, "csv": "requalification"})).text())
    assert requal == [{"nurtured": "2", "requalified": "1", "rate": "0.5"}]
    page = await client.get("/console/overview", params=base)
    html = await page.text()
    assert page.status == 200 and "/vendor/chart.umd.min.js" in html and "Disqualified: <strong>25.0%</strong>" in html


async def test_leads_filters_search_and_lead_page(console: Any) -> None:
    client, _, ids = console
    await log_in(client, "mia")
    nurture = rows(await (await client.get("/console/leads", params={"grade": "nurture", "csv": "1"})).text())
    assert {r["email"] for r in nurture} == {"b@two.com", "a@four.com"}
    by_reason = rows(await (await client.get("/console/leads", params={"reason": "budget", "csv": "1"})).text())
    assert [r["email"] for r in by_reason] == ["b@two.com"]
    by_source = rows(await (await client.get("/console/leads", params={"source": "linkedin", "csv": "1"})).text())
    assert [r["email"] for r in by_source] == ["a@four.com"]
    by_rep = rows(await (await client.get("/console/leads", params={"rep": "dana@banter.example.com",
                                                                     "csv": "1"})).text())
    assert [r["email"] for r in by_rep] == ["q@one.com"]
    search = rows(await (await client.get("/console/leads", params={"q": "THREE", "csv": "1"})).text())
    assert [r["email"] for r in search] == ["s@three.com"]
    page = await client.get(f"/console/leads/{ids['qualified']}")
    html = await page.text()
    assert "Score explanation" in html and "demo booked" in html and "Re-score now" in html
    export = await client.get(f"/console/leads/{ids['qualified']}/export")
    assert (await export.json())["email"] == "q@one.com"


async def test_what_if_then_apply_keeps_history(console: Any) -> None:
    client, sessions, ids = console
    csrf = await log_in(client, "mia")
    page = await client.get("/console/playbook")
    text = re.search(r'<textarea[^>]*>(.*?)</textarea>', await page.text(), re.S).group(1)  # type: ignore[union-attr]
    import html as html_lib

    current = html_lib.unescape(text)
    bad = await client.post("/console/playbook", data={"csrf": csrf, "action": "preview",
                                                       "text": current.replace("budget: 20", "budget: 25", 1)})
    assert bad.status == 400 and "weights: must sum to 100" in await bad.text()
    lenient = current.replace("qualified: 70", "qualified: 0").replace(
        "must_not_miss: [budget, authority, need, timeline, icp_size, icp_industry, icp_region]", "must_not_miss: []")
    preview = await client.post("/console/playbook", data={"csrf": csrf, "action": "preview", "text": lenient})
    body = await preview.text()
    # every stored lead qualifies under the lenient draft: 3 change grade, all upwards
    assert preview.status == 200 and "4 stored leads re-scored" in body
    assert "<strong>3</strong> change grade\n(3 up, 0 down)" in body
    changes = rows(await (await client.post("/console/playbook", data={"csrf": csrf, "action": "csv",
                                                                        "text": lenient})).text())
    assert sorted(c["email"] for c in changes) == ["a@four.com", "b@two.com", "s@three.com"]
    assert {c["new_grade"] for c in changes} == {"qualified"}
    draft = current.replace("min_annual: 10000", "min_annual: 2000")
    with sessions() as s:
        assert s.get(Lead, ids["budget"]).playbook_version == "v1"  # a preview changes nothing
    applied = await client.post("/console/playbook", data={"csrf": csrf, "action": "apply", "text": draft})
    assert "The previous version is kept in the history" in await applied.text()
    with sessions() as s:
        history = s.query(PlaybookVersion).order_by(PlaybookVersion.id).all()
        assert [h.applied_by for h in history] == ["file", "mia"] and history[0].text == current
        assert s.get(Lead, ids["budget"]).playbook_version.startswith("2026-11-24.1+")


def test_console_users_come_from_the_environment() -> None:
    users = parse_users(f"ann:marketing:{PASSWORD}")
    assert users["ann"].check(PASSWORD) and not users["ann"].check("wrong")
    for spec, message in (("bob:admin:" + PASSWORD, "role must be one of"), ("bob:sales:short", "at least 12"),
                          ("bob", "is not name:role:password")):
        with pytest.raises(SettingsError, match=message):
            parse_users(spec)


def test_question_health_from_the_tracker_store(engine) -> None:  # type: ignore[no-untyped-def]
    """Rasa's events table (same shape as Rasa's SQL tracker store) on the backend under test."""
    from bot.console.conversations import conversation_figures
    from bot.console.queries import question_health
    from tests.store.tracker_events import TrackerWriter

    start = NOW - timedelta(hours=3)
    t = TrackerWriter(engine, start)
    # a: need answered; role: not understood, "why do you ask?", not understood again -> stopped at role
    t.user("a", 0, "hi", "greet")
    t.ask("a", 1, "need")
    t.answer("a", 5, "need", "qualify leads", next_field="role")
    t.answer("a", 20, "role", "hmm", error="not a role")
    t.why("a", 30, "role")
    t.rephrase("a", 40, "role")
    # b: answers need and role, declines budget, finishes
    t.user("b", 0, "hi", "greet")
    t.ask("b", 1, "need")
    t.answer("b", 11, "need", "book meetings", next_field="role")
    t.answer("b", 21, "role", "CEO", next_field="budget")
    t.answer("b", 30, "budget", "rather not say", declined=True)
    t.outcome("b", 31)
    # c: stopped at need
    t.user("c", 0, "hi", "greet")
    t.ask("c", 1, "need")
    figures = conversation_figures(engine, NOW - timedelta(days=1), NOW + timedelta(days=1), NOW)
    health = {r["question"]: r for r in question_health(figures)}
    assert (health["need"]["asked"], health["need"]["answered"], health["need"]["stopped_here"]) == (3, 2, 1)
    assert (health["role"]["asked"], health["role"]["answered"], health["role"]["stopped_here"]) == (2, 1, 1)
    assert (health["role"]["reprompts"], health["role"]["why_asked"]) == (2, 1)  # the "why" re-ask is no re-prompt
    assert (health["budget"]["asked"], health["budget"]["declined"], health["budget"]["stopped_here"]) == (1, 1, 0)
    assert health["need"]["median_seconds_to_answer"] == 7.0  # 4 s (a) and 10 s (b)
    assert figures is not None and (figures.started, figures.engaged) == (3, 2)


def test_what_if_in_worker_processes_matches_one_process(engine) -> None:  # type: ignore[no-untyped-def]
    from bot.playbook import parse_playbook
    from bot.whatif import what_if
    from tests.store.test_nurture import nurture_lead

    sessions = session_factory(engine)
    for i in range(30):
        nurture_lead(sessions, f"p{i}", f"p{i}@firm{i}.com", budget=2000 + 2000 * i, timeline="2027-01-10")
    draft = parse_playbook((PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text().replace("min_annual: 10000", "min_annual: 30000"))
    with sessions() as s:
        serial = what_if(s, draft, workers=1)
        parallel = what_if(s, draft, workers=2, parallel_from=0)
    assert serial.leads == parallel.leads == 30
    assert serial.transitions == parallel.transitions and serial.score_changed == parallel.score_changed
    assert sorted(c.lead_id for c in serial.changes) == sorted(c.lead_id for c in parallel.changes)
