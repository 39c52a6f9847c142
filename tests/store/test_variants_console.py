"""The console's A/B page and question editor over real HTTP, on SQLite and PostgreSQL: per-variant
figures against a hand count, "make this the wording" (roles, CSRF, history), the editor's check,
save, stale-page refusal and problems, the preview endpoint, and wording-only what-ifs."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.booking.routing import LeadFacts
from bot.booking.service import BookingService, Notify
from bot.console.auth import Sessions, parse_users
from bot.console.variants import variant_figures
from bot.links import Links
from bot.nurture.service import NurtureService
from bot.playbook import load_playbook, parse_playbook
from bot.playbook_edit import replace_section, with_questions
from bot.settings import PROJECT_ROOT
from bot.store.db import session_factory
from bot.store.models import PlaybookVersion
from bot.store.repository import AnswerIn, ContactIn, ScoreIn, SourceIn, save_qualification
from bot.vocab import FIELDS
from bot.web.app import Site, create_app
from bot.web.console import Console, add_console
from tests.store.tracker_events import TrackerWriter

KEY = "k" * 40
PASSWORD = "correct horse battery"
NOW = datetime.now(timezone.utc)
START = NOW - timedelta(hours=2)
PERIOD = {"from": (NOW - timedelta(days=1)).date().isoformat(), "to": (NOW + timedelta(days=1)).date().isoformat()}
B_TEXT = "Is there a budget for this <b>yet</b>?"  # markup in a wording is shown as text


def ab_text() -> str:
    text = (PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    for question in data["questions"]:
        if question["key"] == "budget":
            question["variants"] = [{"id": "a", "ask": question["ask"]}, {"id": "b", "ask": B_TEXT}]
    greeting = {"text": data["greeting"]["text"], "variants": [
        {"id": "a", "text": data["greeting"]["text"]}, {"id": "b", "text": "Hello! {company} here. {privacy_url}"}]}
    return replace_section(with_questions(text, data["questions"]), ("greeting",), greeting)


def stored(sessions: Any, sender: str, grade: str, variants: dict[str, str], visitor: str | None = None) -> int:
    with sessions() as s, s.begin():
        return save_qualification(
            session=s, sender_id=sender,
            source=SourceIn(channel="socketio", metadata={"visitor_id": visitor} if visitor else {}),
            contact=ContactIn(email=f"{sender}@example.com", name=sender.title()),
            answers=[AnswerIn("budget", "40k", {"annual_amount": 40000}, False, NOW, variants.get("budget"))],
            score=ScoreIn(score=80 if grade == "qualified" else 40, grade=grade, reasons=[] if grade == "qualified"
                          else ["budget"], criteria=[], next_step="book_demo" if grade == "qualified" else "nurture",
                          playbook_version="v1"),
            variants=variants,
        )


def seed(engine: Any, sessions: Any, booking: BookingService) -> None:
    """Five conversations (see the hand count in test_figures_per_variant)."""
    w = TrackerWriter(engine, START)
    seen = {"v1": {"greeting": "a", "budget": "a"}, "v2": {"greeting": "a", "budget": "a"},
            "v3": {"greeting": "b", "budget": "b"}, "v4": {"greeting": "b", "budget": "b"}, "v5": {"greeting": "b"}}
    for n, (sender, variants) in enumerate(seen.items()):
        at = n * 60.0
        w.user(sender, at, "hi", "greet")
        w.slot(sender, at + 1, "question_variants", {"greeting": variants["greeting"]})
        if sender == "v5":
            w.ask(sender, at + 2, "need")  # never answers: stopped before engaging
            continue
        w.ask(sender, at + 2, "budget")
        w.slot(sender, at + 2, "question_variants", variants)
        if sender == "v3":
            continue  # stops at the budget question
        if sender == "v2":
            w.answer(sender, at + 10, "budget", "hmm", error="not_understood")
        w.answer(sender, at + 20, "budget", "40k a year", value={"annual_amount": 40000})
        w.outcome(sender, at + 21)
    ids = {sender: stored(sessions, sender, grade, seen[sender])
           for sender, grade in (("v1", "qualified"), ("v2", "nurture"), ("v4", "qualified"))}
    slot = booking.offer("demo", LeadFacts(region="north_america", employees=300)).slots[0]
    booking.book(sender_id="v1", lead_id=ids["v1"], meeting_type="demo", slot_key=slot.key(), route_reason="territory",
                 visitor_zone="UTC", attendee_email="v1@example.com", attendee_name="V1")


@pytest.fixture
async def console(engine, tmp_path) -> AsyncIterator[tuple[TestClient, Any, Any]]:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    playbook_file = tmp_path / "playbook.yml"
    playbook_file.write_text(ab_text(), encoding="utf-8")
    playbook = load_playbook(playbook_file)
    links = Links(KEY, 3600)
    booking = BookingService(playbook, sessions, links, Notify(mail_from="b@x", public_url="http://x"))
    seed(engine, sessions, booking)
    app = create_app(booking, links, lambda sender: [],
                     NurtureService(playbook, sessions, links, mail_from="b@x", public_url="http://x"),
                     Site("http://r", ("http://127.0.0.1",), {"pages": {}, "proactive": []}, "Co", "P"))
    add_console(app, Console(sessions=sessions, tracker=engine, playbook_path=playbook_file,
                             users=parse_users(f"mia:marketing:{PASSWORD},sal:sales:{PASSWORD}"),
                             cookies=Sessions(KEY), transcripts=lambda sender: []))
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client, sessions, playbook_file
    await client.close()


async def log_in(client: TestClient, user: str) -> str:
    page = await client.get("/console/login")
    token = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)  # type: ignore[union-attr]
    await client.post("/console/login", data={"csrf": token, "username": user, "password": PASSWORD})
    home = await client.get("/console/leads")
    return re.search(r'name="csrf" value="([^"]+)"', await home.text()).group(1)  # type: ignore[union-attr]


def test_figures_per_variant(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    playbook = parse_playbook(ab_text())
    seed(engine, sessions, BookingService(playbook, sessions, Links(KEY, 3600),
                                          Notify(mail_from="b@x", public_url="http://x")))
    figures = variant_figures(engine, sessions, NOW - timedelta(days=1), NOW + timedelta(days=1), NOW)
    assert figures is not None and set(figures) == {"budget", "greeting"}

    def row(key: str, variant: str) -> tuple[Any, ...]:
        f = figures[key][variant]
        return f.reached, f.answered, f.declined, f.stopped_here, f.reprompts, f.qualified, f.meetings

    #                           reached answered declined stopped re-prompts qualified meetings
    assert row("budget", "a") == (2, 2, 0, 0, 1, 1, 1)  # v1 (booked), v2 (re-prompted once; nurture)
    assert row("budget", "b") == (2, 1, 0, 1, 0, 1, 0)  # v3 stopped here, v4 qualified
    assert row("greeting", "a") == (2, 2, 0, 0, None, 1, 1)
    assert row("greeting", "b") == (3, 1, 0, 2, None, 1, 0)  # v3 and v5 stopped before answering anything
    # and the figures are the tracker's alone: nothing without a tracker store
    assert variant_figures(None, sessions, NOW, NOW, NOW) is None


async def test_the_ab_page_and_make_this_the_wording(console: Any) -> None:
    client, sessions, playbook_file = console
    csrf = await log_in(client, "mia")
    page = await client.get("/console/variants", params=PERIOD)
    html = await page.text()
    assert page.status == 200
    assert "Question: budget" in html and "Greeting" in html
    assert "not enough data yet" in html  # two visitors per variant
    assert "Is there a budget for this &lt;b&gt;yet&lt;/b&gt;?" in html and "<b>yet</b>" not in html
    assert "Make this the wording" in html
    # CSRF like every console form
    denied = await client.post("/console/variants/wording", data={"key": "budget", "variant": "b"})
    assert denied.status == 403
    made = await client.post("/console/variants/wording", params=PERIOD,
                             data={"key": "budget", "variant": "b", "csrf": csrf})
    assert made.status == 200, await made.text()
    assert "B is now the wording of Question: budget for every visitor" in await made.text()
    budget = load_playbook(playbook_file).question_registry().spec("budget")
    assert budget.ask == B_TEXT and budget.variants == []
    with sessions() as s:
        versions = s.execute(select(PlaybookVersion.version, PlaybookVersion.applied_by)
                             .order_by(PlaybookVersion.id)).all()
    assert [v for v, _ in versions][0] == "(before history)" and versions[-1][1] == "mia"
    # the variant is gone from the playbook: it can no longer be made the wording
    again = await client.post("/console/variants/wording", params=PERIOD,
                              data={"key": "budget", "variant": "a", "csrf": csrf})
    assert again.status == 409 and "Nothing changed" in await again.text()
    greeting = await client.post("/console/variants/wording", params=PERIOD,
                                 data={"key": "greeting", "variant": "b", "csrf": csrf})
    assert greeting.status == 200
    assert load_playbook(playbook_file).greeting.text == "Hello! {company} here. {privacy_url}"


async def test_sales_can_neither_see_nor_change_wording(console: Any) -> None:
    client, _, playbook_file = console
    before = playbook_file.read_text()
    csrf = await log_in(client, "sal")
    for path in ("/console/variants", "/console/questions"):
        assert (await client.get(path)).status == 403
    for path, data in (("/console/variants/wording", {"key": "budget", "variant": "b"}),
                       ("/console/questions", {"action": "save"}), ("/console/questions/preview", {})):
        assert (await client.post(path, data={**data, "csrf": csrf})).status == 403
    assert playbook_file.read_text() == before


def editor_form(html: str) -> dict[str, str]:
    """The editor's fields as the browser would send them (textareas, inputs, checked boxes)."""
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    form |= dict(re.findall(r'<input type="number" name="([^"]+)" value="([^"]*)"', html))
    form |= {name: "1" for name in re.findall(r'<input type="checkbox" name="([^"]+)" value="1" checked', html)}
    import html as entities

    form |= {name: entities.unescape(value) for name, value in
             re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S)}
    return form


async def test_the_question_editor_checks_saves_and_refuses_a_stale_page(console: Any) -> None:
    client, sessions, playbook_file = console
    await log_in(client, "mia")
    page = await client.get("/console/questions")
    html = await page.text()
    assert page.status == 200 and html.count('<fieldset class="card question') == len(FIELDS)
    form = editor_form(html)
    index = next(k.split("-")[1] for k, v in form.items() if k.startswith("key-") and v == "timeline")
    form[f"ask-{index}"] = "When should it be live?"
    checked = await client.post("/console/questions", data={**form, "action": "check"})
    text = await checked.text()
    assert checked.status == 200 and "No scoring change" in text and "Nothing is saved until you press Save" in text
    assert load_playbook(playbook_file).question_registry().spec("timeline").ask != "When should it be live?"

    saved = await client.post("/console/questions", data={**form, "action": "save"})
    assert saved.status == 200 and "the assistant uses it from the next message" in await saved.text()
    assert load_playbook(playbook_file).question_registry().spec("timeline").ask == "When should it be live?"
    with sessions() as s:
        assert s.execute(select(func.count(PlaybookVersion.id))).scalar_one() == 2

    # the same (now stale) page saved again: refused, nothing written
    before = playbook_file.read_text()
    stale = await client.post("/console/questions", data={**form, f"ask-{index}": "Other words?", "action": "save"})
    assert stale.status == 409 and "changed since you opened this page" in await stale.text()
    assert playbook_file.read_text() == before


async def test_the_question_editor_lists_each_problem_and_keeps_what_was_typed(console: Any) -> None:
    client, _, playbook_file = console
    await log_in(client, "mia")
    form = editor_form(await (await client.get("/console/questions")).text())
    keys = {v: k.split("-")[1] for k, v in form.items() if k.startswith("key-")}
    before = playbook_file.read_text()
    form |= {f"reprompt-{keys['budget']}": "", f"ask-{keys['industry']}": "Which <i>{sector}</i>?", "action": "save"}
    bad = await client.post("/console/questions", data=form)
    html = await bad.text()
    assert bad.status == 400 and playbook_file.read_text() == before
    problems = re.findall(r"<li>(.*?)</li>", html)
    assert len(problems) == 2 and any(p.startswith("budget: budget.reprompt: needed") for p in problems)
    assert "Which &lt;i&gt;{sector}&lt;/i&gt;?</textarea>" in html  # as typed, escaped


async def test_the_preview_talks_to_the_draft(console: Any) -> None:
    client, _, playbook_file = console
    await log_in(client, "mia")
    form = editor_form(await (await client.get("/console/questions")).text())
    keys = {v: k.split("-")[1] for k, v in form.items() if k.startswith("key-")}
    form[f"ask-{keys['need']}"] = "What brings you here today?"
    answer = await client.post("/console/questions/preview", data={**form, "messages": json.dumps(["qualify leads"])})
    data = await answer.json()
    assert data["ok"] is True
    texts = [t["text"] for t in data["turns"]]
    assert texts[1] == "What brings you here today?" and texts[2] == "qualify leads"
    assert data["turns"][-1]["question"] == "role"
    assert load_playbook(playbook_file).question_registry().spec("need").ask != "What brings you here today?"
    broken = await client.post("/console/questions/preview", data={**form, f"why-{keys['need']}": ""})
    assert (await broken.json())["ok"] is False
    bad = await client.post("/console/questions/preview", data={**form, "messages": "{not json"})
    assert bad.status == 400


def test_the_lead_keeps_every_variant_its_conversations_saw(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    first = stored(sessions, "c1", "nurture", {"greeting": "a", "budget": "b"}, visitor="vis-1")
    with sessions() as s, s.begin():  # the same person (browser), a later conversation: its variants win
        second = save_qualification(
            session=s, sender_id="c2", source=SourceIn(channel="socketio", metadata={"visitor_id": "vis-1"}),
            contact=ContactIn(email="c1@example.com"), answers=[],
            score=ScoreIn(score=80, grade="qualified", reasons=[], criteria=[], next_step="book_demo",
                          playbook_version="v1"),
            variants={"greeting": "b", "timeline": "a"},
        )
    assert first == second
    with sessions() as s:
        from bot.store.repository import get_lead_by_email

        lead = get_lead_by_email(session=s, email="c1@example.com")
    assert lead is not None and lead["variants"] == {"greeting": "b", "budget": "b", "timeline": "a"}
    assert [a["variant"] for a in lead["answer_history"]] == ["b"]
