"""The closing measures (scripts/bench_outcomes.py) as tests, on SQLite and PostgreSQL, at a smaller scale:
the calibration finds the planted budget level and opens it in the what-if preview, the figures equal a hand
count, overdue follow-ups are exactly the hand-counted ones and each breach is escalated once (real SMTP
server, real HTTP receiver, retries), also with two workers at once on PostgreSQL."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.booking.service import BookingService, Notify
from bot.console.auth import Sessions, parse_users
from bot.links import Links
from bot.nurture.service import NurtureService
from bot.outcomes.escalation import escalate_breaches
from bot.playbook import parse_playbook
from bot.settings import PROJECT_ROOT
from bot.store.db import make_engine, session_factory
from bot.store.models import OutboxMessage, SlaEscalation
from bot.web.app import create_app
from bot.web.console import Console, add_console
from scripts.bench_outcomes import (
    NOW,
    PLANTED,
    check_calibration,
    check_figures,
    check_sla,
    migrate,
    seed_follow_ups,
    seed_history,
)

TEXT = (PROJECT_ROOT / "playbook.yml").read_text()
PLAYBOOK = parse_playbook(TEXT, source="playbook.yml")


@pytest.fixture
def seeded(db_url: str) -> tuple[str, dict[str, Any]]:
    migrate(db_url)
    return db_url, seed_history(db_url, PLAYBOOK, leads=2000, meetings=400)


def test_calibration_finds_the_planted_level_and_the_figures_equal_the_hand_count(seeded: Any) -> None:
    url, truth = seeded
    figures = check_figures(url, PLAYBOOK, truth)
    assert figures["mismatches"] == []
    assert figures["hand_count"]["below_planted_rejected"] > figures["hand_count"]["below_planted"] / 2
    found = check_calibration(url, PLAYBOOK, TEXT)
    assert found["found_level"] is not None and abs(found["found_level"] - PLANTED) <= 0.05 * PLANTED, found
    assert found["draft_parses_with_that_level"] and found["matched_with_draft"] > found["matched_now"]
    assert all(s.endswith("verdicts would have matched.") and s.count(". ") == 0 for s in found["suggestions"])


async def test_suggest_opens_the_draft_in_the_what_if_preview_without_applying_it(seeded: Any, tmp_path: Any) -> None:
    url, _ = seeded
    engine = make_engine(url)
    sessions = session_factory(engine)
    path = tmp_path / "playbook.yml"
    path.write_text(TEXT)
    links = Links("k" * 40, 3600)
    app = create_app(BookingService(PLAYBOOK, sessions, links, Notify(mail_from="b@x", public_url="http://x")),
                     links, lambda sender: [], NurtureService(PLAYBOOK, sessions, links, mail_from="b@x",
                                                               public_url="http://x"))
    add_console(app, Console(sessions=sessions, tracker=None, playbook_path=path,
                             users=parse_users("mia:marketing:correct horse battery"), cookies=Sessions("k" * 40),
                             transcripts=lambda sender: []))
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        page = await client.get("/console/login")
        token = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)  # type: ignore[union-attr]
        await client.post("/console/login", data={"csrf": token, "username": "mia", "password": "correct horse battery"})
        overview = await client.get("/console/overview", params={"from": "2026-01-01", "to": NOW.date().isoformat()})
        html = await overview.text()
        assert "Suggest a playbook draft" in html and "No-show rate" in html and "Why sales rejected leads" in html
        csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        done = await client.post("/console/calibration/suggest",
                                 data={"csrf": csrf, "from": "2026-01-01", "to": NOW.date().isoformat()})
        html = await done.text()
        assert done.status == 200 and "Suggested from sales' verdicts" in html
        assert "min_annual: 30000" in html and "What-if:" in html and "Apply this playbook" in html
        assert path.read_text() == TEXT  # nothing applied
        sources = await client.get("/console/overview", params={"from": "2026-01-01", "to": NOW.date().isoformat(),
                                                                "csv": "sources"})
        assert "cost_per_accepted" in (await sources.text()).splitlines()[0]
    finally:
        await client.close()
        engine.dispose()


def test_overdue_follow_ups_and_one_escalation_per_breach_under_retries(db_url: str) -> None:
    migrate(db_url)
    expected = seed_follow_ups(db_url, PLAYBOOK, 10)
    result = check_sla(db_url, PLAYBOOK, expected)
    assert result["detection_matches_hand_count"], result
    assert result["overdue_found"] == 10 and result["due_found"] == 6
    assert result["one_escalation_per_breach"], result
    assert result["escalated_per_run"][0] == 10 and sum(result["escalated_per_run"]) == 10


@pytest.mark.postgres
def test_two_workers_at_once_escalate_each_breach_once(pg_server_url: str) -> None:
    from tests.store.conftest import _reset_pg

    _reset_pg(pg_server_url)
    migrate(pg_server_url)
    expected = seed_follow_ups(pg_server_url, PLAYBOOK, 10)
    engines = [make_engine(pg_server_url) for _ in range(2)]
    barrier = threading.Barrier(2)

    def worker(engine: Any) -> None:
        sessions = session_factory(engine)
        barrier.wait()
        for _ in range(5):
            with sessions() as session, session.begin():
                escalate_breaches(session, PLAYBOOK, NOW + timedelta(seconds=1), mail_from="b@x", public_url="http://x")

    threads = [threading.Thread(target=worker, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with session_factory(engines[0])() as session:
        breaches = session.execute(select(SlaEscalation.breach)).scalars().all()
        messages = session.execute(select(func.count()).select_from(OutboxMessage)
                                   .where(OutboxMessage.topic == "sla.breached")).scalar()
    assert sorted(breaches) == sorted(expected["overdue"])
    assert messages == len(expected["overdue"]) * 2  # email and Slack, as the playbook says
    for engine in engines:
        engine.dispose()
