"""Closing the loop with sales, measured on a seeded history (SQLite and PostgreSQL).

1. Calibration: 5,000 leads scored by the real scorer against playbook.yml (minimum budget
   $10,000), 800 meetings with outcomes in which sales rejects most leads whose budget is
   below a planted level (PLANTED, $30,000) and accepts most above it. The calibration's
   "suggest" must find that level; every overview figure (precision of the grade, rejection
   reasons, no-show rate, per-criterion acceptance, sources' sales-accepted leads and cost
   per accepted lead) must equal a hand count made here from the generated data.
2. The SLA: follow-ups seeded at known ages (meetings without an outcome, callback
   requests, requalified leads); the overdue ones found must be exactly the hand-counted
   ones; the worker's escalation job runs ten times with delivery passes between, against a
   real local SMTP server that is down at first and a real HTTP receiver that fails its
   first answers: each breach must be escalated once (one email, one Slack post, one signed
   webhook, whatever the retries).
3. One-click outcome links over real HTTP: each tampered token (payload or signature) is
   refused, a token of another purpose is refused, each link records once and its replay
   changes nothing.

Usage: scripts/bench_outcomes.py [--leads 5000] [--meetings 800] [--backends sqlite,postgresql]
Results: results/bench_outcomes.json. Exit 1 if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import json
import math
import os
import random
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from bot.booking.service import BookingService, Notify  # noqa: E402
from bot.console.queries import sources  # noqa: E402
from bot.links import Links  # noqa: E402
from bot.notify.delivery import SmtpSender, WebhookSender  # noqa: E402
from bot.notify.worker import deliver_due  # noqa: E402
from bot.nurture.service import NurtureService  # noqa: E402
from bot.outcomes import ACCEPTED  # noqa: E402
from bot.outcomes.calibration import calibration_figures, suggest  # noqa: E402
from bot.outcomes.escalation import sla_escalations  # noqa: E402
from bot.outcomes.followup import open_follow_ups  # noqa: E402
from bot.outcomes.links import outcome_token  # noqa: E402
from bot.playbook import Playbook, parse_playbook  # noqa: E402
from bot.scoring import score_lead  # noqa: E402
from bot.store.db import make_engine, session_factory  # noqa: E402
from bot.store.models import (  # noqa: E402
    Answer,
    CallbackRequest,
    Conversation,
    Lead,
    LeadEvent,
    Meeting,
    OutboxMessage,
    SalesOutcome,
    ScoreSnapshot,
    SlaEscalation,
)
from bot.vocab import CRITERIA  # noqa: E402
from bot.web.app import create_app  # noqa: E402

PLANTED = 30_000.0
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)  # a Wednesday afternoon in Europe
PG_ADMIN = os.environ.get("BANTER_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SOURCES = [
    ("google", "brand"),
    ("google", "winter-webinar"),
    ("linkedin", "abm-q4"),
    (None, None),
    ("partner", "x"),
]
REPS = {
    "europe": ["greta@banter.example.com", "sam@banter.example.com"],
    "north_america": ["dana@banter.example.com", "luis@banter.example.com"],
}
OTHER_REJECTIONS = ["authority", "need", "timeline", "icp_size"]
KEY = "m" * 40


# -- the seeded history ---------------------------------------------------------------------------


def profile(rng: random.Random, i: int, today: date) -> dict[str, Any]:
    """A visitor's answers, mostly a fit (so that enough leads qualify), budgets spread around the planted level."""
    region, country = rng.choice([("europe", "DE"), ("europe", "GB"), ("north_america", "US")])
    if rng.random() < 0.15:
        region, country = "asia", "IN"
    seniority = rng.choice(["vp", "founder", "director", "c_level"]) if rng.random() < 0.75 else "manager"
    draw = rng.random()
    if draw < 0.06:
        budget: Any = {"status": "no_budget", "amount": None}
    elif draw < 0.12:
        budget = None  # declined
    else:
        amount = round(math.exp(rng.uniform(math.log(6000), math.log(160000))) / 500) * 500
        budget = {
            "status": "amount",
            "amount": amount,
            "amount_max": None,
            "currency": "USD",
            "period": "year",
            "annual_amount": amount,
        }
    months = rng.choice([0.5, 1, 2, 2.5]) if rng.random() < 0.8 else rng.choice([5, 9, 18])
    employees = rng.choice([60, 120, 300, 800, 2500]) if rng.random() < 0.9 else rng.choice([3, 6])
    return {
        "need": {"use_case": "lead_qualification", "status": "matched"}
        if rng.random() < 0.92
        else {"use_case": None, "status": "researching"},
        "role": {"title": seniority.replace("_", " ").title(), "seniority": seniority},
        "company_name": {"name": f"Company {i}"},
        "company_size": {"employees": employees, "min": employees, "max": employees},
        "industry": {
            "industry": rng.choice(["software", "fintech", "ecommerce", "healthcare"])
            if rng.random() < 0.9
            else "education"
        },
        "country": {"country": country, "region": region},
        "budget": budget,
        "timeline": {
            "status": "date",
            "date": (today + timedelta(days=int(months * 30.44))).isoformat(),
            "months": months,
        },
        "email": {
            "email": f"person{i}@company{i}.example",
            "domain": f"company{i}.example",
            "kind": "business",
        },
    }


def seed_history(url: str, playbook: Playbook, leads: int, meetings: int, seed: int = 11) -> dict[str, Any]:
    """Insert the history; return what was generated (the hand count reads this, never the database)."""
    rng = random.Random(seed)
    engine = make_engine(url)
    truth: dict[str, Any] = {"leads": {}, "meetings": {}}
    rows: dict[Any, list[dict[str, Any]]] = {
        m: [] for m in (Lead, Conversation, Answer, ScoreSnapshot, Meeting, SalesOutcome, LeadEvent)
    }
    for lead_id in range(1, leads + 1):
        created = NOW - timedelta(days=rng.uniform(12, 100))
        answers = profile(rng, lead_id, created.date())
        scored = score_lead(
            {k: ("declined" if v is None else v) for k, v in answers.items()}, playbook, today=created.date()
        )
        source, campaign = rng.choice(SOURCES)
        truth["leads"][lead_id] = {
            "grade": scored.grade,
            "criteria": {c.name: c.status for c in scored.criteria},
            "budget": (answers["budget"] or {}).get("annual_amount"),
            "source": source or "(direct)",
            "campaign": campaign or "-",
            "region": answers["country"]["region"],
        }
        rows[Lead].append(
            {
                "id": lead_id,
                "email": answers["email"]["email"],
                "name": f"Person {lead_id}",
                "company_name": answers["company_name"]["name"],
                "grade": scored.grade,
                "score": scored.score,
                "reasons": list(scored.reasons),
                "next_step": scored.next_step,
                "playbook_version": scored.playbook_version,
                "created_at": created,
                "updated_at": created,
            }
        )
        rows[Conversation].append(
            {
                "id": lead_id,
                "sender_id": f"seed-{lead_id}",
                "lead_id": lead_id,
                "channel": "socketio",
                "started_at": created,
                "last_seen_at": created,
                "utm_source": source,
                "utm_campaign": campaign,
                "metadata": {},
            }
        )
        for n, (field, value) in enumerate(answers.items()):
            rows[Answer].append(
                {
                    "lead_id": lead_id,
                    "conversation_id": lead_id,
                    "field": field,
                    "raw_text": str(value)[:60],
                    "normalized": value,
                    "declined": value is None,
                    "answered_at": created + timedelta(seconds=n),
                }
            )
        rows[ScoreSnapshot].append(
            {
                "lead_id": lead_id,
                "conversation_id": lead_id,
                "score": scored.score,
                "grade": scored.grade,
                "reasons": list(scored.reasons),
                "criteria": [c.to_dict() for c in scored.criteria],
                "next_step": scored.next_step,
                "playbook_version": scored.playbook_version,
                "created_at": created,
            }
        )
    qualified = [i for i, lead in truth["leads"].items() if lead["grade"] == "qualified"]
    nurture = [i for i, lead in truth["leads"].items() if lead["grade"] == "nurture"]
    n_qualified = min(len(qualified), round(meetings * 0.9))
    chosen = rng.sample(qualified, n_qualified) + rng.sample(nurture, meetings - n_qualified)
    outcome_id = 0
    for meeting_id, lead_id in enumerate(chosen, start=1):
        lead = truth["leads"][lead_id]
        created = rows[Lead][lead_id - 1]["created_at"]
        start = created + timedelta(days=rng.randint(1, 8), hours=rng.randint(0, 6))
        end = start + timedelta(minutes=30)
        uid = f"seed-{meeting_id}@banter"
        rep = rng.choice(REPS.get(lead["region"], REPS["europe"]))
        rows[Meeting].append(
            {
                "id": meeting_id,
                "uid": uid,
                "lead_id": lead_id,
                "conversation_id": lead_id,
                "meeting_type": "demo",
                "rep_email": rep,
                "route_reason": "territory",
                "start_at": start,
                "end_at": end,
                "buffer_minutes": 15,
                "visitor_time_zone": "Europe/Berlin",
                "attendee_email": f"person{lead_id}@x.example",
                "status": "booked",
                "sequence": 0,
                "created_at": created,
                "updated_at": created,
            }
        )
        story: list[tuple[str, str | None]] = []
        if rng.random() < 0.1:
            story = [("no_show", None)]
        else:
            budget = lead["budget"]
            if lead["grade"] != "qualified":
                accept = rng.random() < 0.3
            elif budget is not None and budget < PLANTED:
                accept = rng.random() < 0.15
            else:
                accept = rng.random() < 0.8
            if accept:
                story = [("held", None), ("accepted", None)]
                draw = rng.random()
                story += [("won", None)] if draw < 0.3 else [("lost", "timeline")] if draw < 0.5 else []
            else:
                low = budget is not None and budget < PLANTED
                reason = "budget" if low and rng.random() < 0.8 else rng.choice(OTHER_REJECTIONS + [None])
                story = [("held", None), ("rejected", reason)]
        at = end + timedelta(hours=rng.randint(1, 30))
        for step, (outcome, reason) in enumerate(story):
            outcome_id += 1
            moment = at + timedelta(days=step * 3)
            rows[SalesOutcome].append(
                {
                    "id": outcome_id,
                    "lead_id": lead_id,
                    "meeting_id": meeting_id,
                    "outcome": outcome,
                    "reason": reason,
                    "note": None if reason else ("other priorities" if outcome == "rejected" else None),
                    "via": rng.choice(["console", "email_link", "crm"]),
                    "recorded_by": rep,
                    "recorded_at": moment,
                }
            )
            rows[LeadEvent].append(
                {
                    "lead_id": lead_id,
                    "kind": f"outcome_{outcome}",
                    "created_at": moment,
                    "detail": {"outcome": outcome, "reason": reason, "by": rep},
                }
            )
        truth["meetings"][meeting_id] = {"lead_id": lead_id, "story": story}
    with engine.begin() as conn:
        for model, batch in rows.items():
            for start in range(0, len(batch), 2000):
                conn.execute(insert(model.__table__), batch[start : start + 2000])
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in (
                "leads",
                "conversations",
                "meetings",
                "sales_outcomes",
                "lead_events",
                "answers",
                "score_snapshots",
            ):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")  # as autovacuum would after a bulk load: statistics for the planner
    engine.dispose()
    return truth


# -- 1. calibration and the figures against a hand count ----------------------------------------------


def hand_count(truth: dict[str, Any], playbook: Playbook) -> dict[str, Any]:
    """The figures, counted from the generated data (no SQL, no Banter figure code)."""
    verdicts: dict[int, tuple[str, str | None]] = {}
    no_shows = known = 0
    for meeting in truth["meetings"].values():
        final = [s for s in meeting["story"] if s[0] in ("accepted", "rejected", "won", "lost")]
        if final:
            verdicts[meeting["lead_id"]] = final[-1]
        known += 1
        no_shows += meeting["story"][-1][0] == "no_show"
    accepted = {lead_id for lead_id, (outcome, _) in verdicts.items() if outcome in ACCEPTED}
    q_verdicts = [i for i in verdicts if truth["leads"][i]["grade"] == "qualified"]
    rejected_reasons = Counter(
        (reason or "(note only)") for outcome, reason in verdicts.values() if outcome == "rejected"
    )
    criteria = {}
    for name in CRITERIA:
        groups: dict[str, list[int]] = {"met": [], "not_met": [], "unknown": []}
        for lead_id in verdicts:
            status = truth["leads"][lead_id]["criteria"][name]
            key = "met" if status == "met" else "not_met" if status in ("partial", "missed") else "unknown"
            groups[key].append(lead_id)
        criteria[name] = {k: (len(v), sum(i in accepted for i in v)) for k, v in groups.items()}
    per_source: Counter[tuple[str, str]] = Counter()
    for lead_id in accepted:
        lead = truth["leads"][lead_id]
        per_source[(lead["source"], lead["campaign"])] += 1
    below = [
        i
        for i in verdicts
        if truth["leads"][i]["budget"] is not None and truth["leads"][i]["budget"] < PLANTED
    ]
    return {
        "verdicts": len(verdicts),
        "accepted": len(accepted),
        "qualified_verdicts": len(q_verdicts),
        "qualified_accepted": sum(i in accepted for i in q_verdicts),
        "rejected_reasons": dict(rejected_reasons),
        "meetings_known": known,
        "no_shows": no_shows,
        "criteria": criteria,
        "accepted_per_source": {f"{s}/{c}": n for (s, c), n in per_source.items()},
        "below_planted": len(below),
        "below_planted_rejected": sum(i not in accepted for i in below),
    }


def check_figures(url: str, playbook: Playbook, truth: dict[str, Any]) -> dict[str, Any]:
    """The overview's calibration figures and the sources' accepted leads against the hand count."""
    start, end = NOW - timedelta(days=365), NOW + timedelta(days=1)
    expected = hand_count(truth, playbook)
    sessions = session_factory(make_engine(url))
    with sessions() as session:
        started = time.perf_counter()
        figures = calibration_figures(session, start, end, NOW + timedelta(days=30))
        seconds = time.perf_counter() - started
        source_rows = sources(session, playbook, start, end)
    summary = figures["calibration"]
    got = {
        "verdicts": summary["verdicts"],
        "accepted": summary["accepted"],
        "qualified_verdicts": summary["qualified_verdicts"],
        "qualified_accepted": summary["qualified_accepted"],
        "rejected_reasons": {r["reason"]: r["rejected"] for r in figures["rejections"] if r["rejected"]},
        "meetings_known": summary["meetings_known"],
        "no_shows": summary["no_shows"],
        "criteria": {
            r["criterion"]: {
                k: (r[k], round(r[k] * (r[f"{k}_accepted_pct"] or 0) / 100))
                for k in ("met", "not_met", "unknown")
            }
            for r in figures["criteria_acceptance"]
        },
        "accepted_per_source": {
            f"{r['source']}/{r['campaign']}": r["accepted"] for r in source_rows if r["accepted"]
        },
    }
    mismatches = [key for key in got if got[key] != expected[key]]
    costs = playbook.source_costs
    cost_checks = []
    for r in source_rows:
        spend = costs.per_campaign.get(r["campaign"]) or (
            costs.per_lead.get(r["source"], 0) * r["leads"] or None
        )
        want = round(spend / r["accepted"], 2) if spend and r["accepted"] else None
        cost_checks.append(want == r["cost_per_accepted"])
    if not all(cost_checks):
        mismatches.append("cost_per_accepted")
    return {
        "figures_seconds": round(seconds, 3),
        "precision_pct": summary["precision_pct"],
        "no_show_pct": summary["no_show_pct"],
        "hand_count": {
            k: expected[k]
            for k in (
                "verdicts",
                "accepted",
                "qualified_verdicts",
                "qualified_accepted",
                "meetings_known",
                "no_shows",
                "below_planted",
                "below_planted_rejected",
            )
        },
        "mismatches": mismatches,
    }


def check_calibration(url: str, playbook: Playbook, text: str) -> dict[str, Any]:
    sessions = session_factory(make_engine(url))
    with sessions() as session:
        started = time.perf_counter()
        found = suggest(session, playbook, text, NOW - timedelta(days=365), NOW + timedelta(days=1))
        seconds = time.perf_counter() - started
    budget = next((s for s in found.suggestions if s.path == ("budget", "min_annual")), None)
    level = float(budget.new) if budget else None
    draft_ok = found.text is not None and parse_playbook(found.text).budget.min_annual == level
    return {
        "suggest_seconds": round(seconds, 2),
        "verdicts": found.verdicts,
        "matched_now": found.matched_now,
        "matched_with_draft": found.suggestions[-1].matched if found.suggestions else found.matched_now,
        "found_level": level,
        "planted_level": PLANTED,
        "found_within_5pct": level is not None and abs(level - PLANTED) <= 0.05 * PLANTED,
        "draft_parses_with_that_level": draft_ok,
        "suggestions": [s.sentence for s in found.suggestions],
    }


# -- 2. the SLA: overdue detection and one escalation per breach ----------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.original_content))
        return "250 OK"


class Receiver(BaseHTTPRequestHandler):
    calls: list[dict[str, Any]] = []
    failures_left = 0

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.failures_left > 0:
            Receiver.failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        Receiver.calls.append(
            {"path": self.path, "event": self.headers.get("X-Banter-Event-Id"), "body": body}
        )
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def receiver() -> Iterator[str]:
    Receiver.calls, Receiver.failures_left = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed_follow_ups(url: str, playbook: Playbook, first_lead: int) -> dict[str, Any]:
    """Follow-ups at known ages; returns the hand count of which are overdue and which only due."""
    engine = make_engine(url)
    expected: dict[str, set[str]] = {"overdue": set(), "due": set()}
    lead_id = first_lead
    with engine.begin() as conn:

        def lead(region: str = "europe") -> int:
            nonlocal lead_id
            lead_id += 1
            at = NOW - timedelta(days=20)
            conn.execute(
                insert(Lead.__table__),
                [
                    {
                        "id": lead_id,
                        "email": f"sla{lead_id}@acme.example",
                        "name": f"SLA {lead_id}",
                        "grade": "qualified",
                        "reasons": [],
                        "created_at": at,
                        "updated_at": at,
                    }
                ],
            )
            conn.execute(
                insert(Conversation.__table__),
                [
                    {
                        "id": lead_id,
                        "sender_id": f"sla-{lead_id}",
                        "lead_id": lead_id,
                        "channel": "rest",
                        "started_at": at,
                        "last_seen_at": at,
                        "metadata": {},
                    }
                ],
            )
            conn.execute(
                insert(Answer.__table__),
                [
                    {
                        "lead_id": lead_id,
                        "conversation_id": lead_id,
                        "field": "country",
                        "raw_text": region,
                        "declined": False,
                        "answered_at": at,
                        "normalized": {"country": "DE" if region == "europe" else "US", "region": region},
                    }
                ],
            )
            return lead_id

        meeting_id = 100_000
        # meetings without an outcome: ended 3-6 days ago (overdue), 1 day ago (due); one settled, one only "held"
        for n, hours_ago in enumerate([72, 80, 100, 120, 140, 24, 30, 12, 75, 76]):
            meeting_id += 1
            owner = lead()
            end = NOW - timedelta(hours=hours_ago)
            conn.execute(
                insert(Meeting.__table__),
                [
                    {
                        "id": meeting_id,
                        "uid": f"sla-{meeting_id}@banter",
                        "lead_id": owner,
                        "meeting_type": "demo",
                        "rep_email": "greta@banter.example.com",
                        "route_reason": "territory",
                        "start_at": end - timedelta(minutes=30),
                        "end_at": end,
                        "buffer_minutes": 15,
                        "visitor_time_zone": "UTC",
                        "attendee_email": "x@acme.example",
                        "status": "booked",
                        "sequence": 0,
                        "created_at": end - timedelta(days=3),
                        "updated_at": end,
                    }
                ],
            )
            if n == 8:  # settled: not a follow-up
                conn.execute(
                    insert(SalesOutcome.__table__),
                    [
                        {
                            "lead_id": owner,
                            "meeting_id": meeting_id,
                            "outcome": "rejected",
                            "reason": "budget",
                            "via": "console",
                            "recorded_by": "x",
                            "recorded_at": end + timedelta(hours=3),
                        }
                    ],
                )
                continue
            if n == 9:  # held only: still owes a verdict
                conn.execute(
                    insert(SalesOutcome.__table__),
                    [
                        {
                            "lead_id": owner,
                            "meeting_id": meeting_id,
                            "outcome": "held",
                            "via": "email_link",
                            "recorded_by": "x",
                            "recorded_at": end + timedelta(hours=1),
                        }
                    ],
                )
            due = end + timedelta(days=playbook.sla.outcome_within_days)
            expected["overdue" if due <= NOW else "due"].add(f"outcome:{meeting_id}")
        # callbacks: Greta works 09:00-12:30 and 13:30-18:00 Berlin; NOW is Wed 16:00 Berlin
        callback_id = 0
        for created, overdue in [
            (NOW - timedelta(days=2), True),
            (NOW - timedelta(hours=26), True),  # Tue 14:00 Berlin + 4 business hours = Tue 18:00
            (NOW - timedelta(hours=1), False),  # Wed 15:00 Berlin: due Thu 10:00
            (NOW - timedelta(hours=3, minutes=30), False),  # Wed 12:30: 12:30-13:30 is lunch, due 17:30
        ]:
            callback_id += 1
            owner = lead()
            conn.execute(
                insert(CallbackRequest.__table__),
                [
                    {
                        "id": callback_id,
                        "lead_id": owner,
                        "meeting_type": "demo",
                        "preference": "mornings",
                        "status": "open",
                        "created_at": created,
                    }
                ],
            )
            expected["overdue" if overdue else "due"].add(f"callback:{callback_id}")
        # requalified leads: 5 days ago (overdue), 1 day ago (due), 5 days ago but contacted since (done)
        event_id = 500_000
        for days, contacted in [(5, False), (4, False), (1, False), (5, True)]:
            event_id += 1
            owner = lead("north_america")
            at = NOW - timedelta(days=days)
            conn.execute(
                insert(LeadEvent.__table__),
                [{"id": event_id, "lead_id": owner, "kind": "requalified", "detail": {}, "created_at": at}],
            )
            if contacted:
                conn.execute(
                    insert(SalesOutcome.__table__),
                    [
                        {
                            "lead_id": owner,
                            "outcome": "contacted",
                            "via": "console",
                            "recorded_by": "x",
                            "recorded_at": at + timedelta(days=1),
                        }
                    ],
                )
                continue
            due = at + timedelta(days=playbook.sla.requalified_contact_within_days)
            expected["overdue" if due <= NOW else "due"].add(f"requalified:{event_id}")
    engine.dispose()
    return expected


def check_sla(url: str, playbook: Playbook, expected: dict[str, set[str]]) -> dict[str, Any]:
    sessions = session_factory(make_engine(url))
    if playbook.sla.escalate_to is not None:  # every channel: email, Slack and the signed webhook
        to = playbook.sla.escalate_to.copy(update={"via": ["email", "slack", "webhook"]})
        playbook = playbook.copy(update={"sla": playbook.sla.copy(update={"escalate_to": to})})
    with sessions() as session:
        started = time.perf_counter()
        items = open_follow_ups(session, playbook, NOW)
        seconds = time.perf_counter() - started
    recent = {i.breach for i in items if i.due_at >= NOW - timedelta(days=7)}
    found = {
        "overdue": {i.breach for i in items if i.overdue(NOW)} & recent,
        "due": {i.breach for i in items if not i.overdue(NOW)},
    }
    detection_ok = found == expected
    clock = [NOW]  # the outbox's clock moves on (past each backoff); the SLA check stays at NOW
    job = sla_escalations(
        sessions,
        playbook,
        lambda: NOW,
        mail_from="Banter <banter@localhost>",
        public_url="http://127.0.0.1:8000",
        every=timedelta(0),
    )
    port = free_port()
    with receiver() as base:
        senders = {
            "email": SmtpSender("127.0.0.1", port, timeout=3),
            "webhook": WebhookSender(f"{base}/slack", f"{base}/generic", "whsec-bench"),
        }
        Receiver.failures_left = 5
        inbox = Inbox()
        controller = None
        escalated = []
        for attempt in range(10):
            escalated.append(job())
            deliver_due(sessions, senders, now=lambda: clock[0])
            if attempt == 2:  # SMTP comes back
                controller = Controller(inbox, hostname="127.0.0.1", port=port)
                controller.start()
            clock[0] += timedelta(minutes=31)  # past the longest backoff
        for _ in range(5):
            deliver_due(sessions, senders, now=lambda: clock[0])
            clock[0] += timedelta(minutes=31)
        if controller:
            controller.stop()
        calls = list(Receiver.calls)
    with sessions() as session:
        rows = session.execute(select(SlaEscalation.breach)).scalars().all()
        pending = session.execute(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.topic == "sla.breached", OutboxMessage.status != "sent")
        ).scalar()
    breaches = expected["overdue"]
    slack = [c for c in calls if c["path"] == "/slack"]
    generic = [c for c in calls if c["path"] == "/generic"]
    via = playbook.sla.escalate_to.via if playbook.sla.escalate_to else []
    once = (
        sorted(rows) == sorted(breaches)
        and len(inbox.messages) == (len(breaches) if "email" in via else 0)
        and len(slack) == (len(breaches) if "slack" in via else 0)
        and len(generic) == (len(breaches) if "webhook" in via else 0)
        and len({c["event"] for c in calls}) == len(calls)
        and pending == 0
    )
    return {
        "follow_ups_seconds": round(seconds, 3),
        "overdue_expected": len(expected["overdue"]),
        "due_expected": len(expected["due"]),
        "overdue_found": len(found["overdue"]),
        "due_found": len(found["due"]),
        "detection_matches_hand_count": detection_ok,
        "escalated_per_run": escalated,
        "escalations_recorded": len(rows),
        "emails_delivered": len(inbox.messages),
        "slack_posts_delivered": len(slack),
        "webhooks_delivered": len(generic),
        "failed_attempts_retried": 5,
        "one_escalation_per_breach": once,
    }


# -- 3. one-click links: tampering and replay ------------------------------------------------------------


def _tamper(token: str, other: str, rng: random.Random) -> list[str]:
    """Four changed tokens: a character of the payload, of the signature, a cut, another link's payload spliced in."""
    flip = lambda s, i: s[:i] + ("A" if s[i] != "A" else "B") + s[i + 1 :]  # noqa: E731
    payload, stamp, sig = token.rsplit(".", 2)
    spliced = other.rsplit(".", 2)[0] + f".{stamp}.{sig}"
    # (not the signature's last character: in base64 its low bits are padding, so some changes there decode
    # to the same signature, an equivalent token rather than a forged one; its nonce is the same)
    return [
        flip(token, 1 + rng.randrange(len(payload) - 1)),
        flip(token, len(token) - 2 - rng.randrange(8)),
        token[:-1],
        spliced,
    ]


async def _links(url: str, playbook: Playbook, count: int) -> dict[str, Any]:
    sessions = session_factory(make_engine(url))
    links = Links(KEY, 3600)
    service = BookingService(
        playbook, sessions, links, Notify(mail_from="b@x", public_url="http://x"), now=lambda: NOW
    )
    app = create_app(
        service,
        links,
        lambda sender: [],
        NurtureService(playbook, sessions, links, mail_from="b@x", public_url="http://x"),
    )
    client = TestClient(TestServer(app))
    await client.start_server()
    rng = random.Random(5)
    counts = Counter()
    try:
        with sessions() as session:
            uids = session.execute(
                select(Meeting.uid, Meeting.rep_email)
                .where(Meeting.id > 100_000)
                .order_by(Meeting.id)
                .limit(count)
            ).all()
        with sessions() as session:
            before = session.execute(select(func.count()).select_from(SalesOutcome)).scalar()
        for uid, rep in uids:
            token = outcome_token(links, uid, "no_show", rep)
            for bad in _tamper(token, outcome_token(links, uid, "accepted", rep), rng):
                response = await client.post(f"/outcomes/{bad}", data={})
                counts[f"tampered_{response.status}"] += 1
            other = links.make("meeting", uid)  # a reschedule/cancel token
            counts[f"other_purpose_{(await client.post(f'/outcomes/{other}', data={})).status}"] += 1
            counts[f"shown_{(await client.get(f'/outcomes/{token}')).status}"] += 1
            first = await client.post(f"/outcomes/{token}", data={})
            counts[f"first_{first.status}"] += 1
            again = await client.post(f"/outcomes/{token}", data={})
            counts[f"replay_{again.status}"] += 1
        with sessions() as session:
            after = session.execute(select(func.count()).select_from(SalesOutcome)).scalar()
        counts["recorded"] = int(after - before)
    finally:
        await client.close()
    ok = (
        counts["recorded"] == len(uids)
        and counts["first_200"] == len(uids)
        and counts["replay_409"] == len(uids)
        and counts["tampered_403"] == 4 * len(uids)
        and counts["other_purpose_403"] == len(uids)
    )
    return {"links": len(uids), **dict(counts), "safe": ok}


# -- running ---------------------------------------------------------------------------------------------


def migrate(url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["url"] = url
    command.upgrade(config, "head")


def measure(url: str, leads: int, meetings: int) -> dict[str, Any]:
    """Every measure on one migrated, empty database."""
    migrate(url)
    text = (ROOT / "playbook.yml").read_text()
    playbook = parse_playbook(text, source="playbook.yml")
    started = time.perf_counter()
    truth = seed_history(url, playbook, leads, meetings)
    seeded = time.perf_counter() - started
    figures = check_figures(url, playbook, truth)
    calibration = check_calibration(url, playbook, text)
    expected = seed_follow_ups(url, playbook, leads + 10)
    sla = check_sla(url, playbook, expected)
    links = asyncio.run(_links(url, playbook, 8))
    ok = (
        not figures["mismatches"]
        and calibration["found_within_5pct"]
        and calibration["draft_parses_with_that_level"]
        and sla["detection_matches_hand_count"]
        and sla["one_escalation_per_breach"]
        and links["safe"]
    )
    return {
        "leads": leads,
        "meetings": meetings,
        "seed_seconds": round(seeded, 1),
        "figures": figures,
        "calibration": calibration,
        "sla": sla,
        "links": links,
        "ok": ok,
    }


@contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="banter-outcomes-")
        yield f"sqlite:///{folder}/outcomes.db"
        return
    admin = create_engine(PG_ADMIN, future=True, isolation_level="AUTOCOMMIT")
    name = f"banter_outcomes_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def main() -> int:
    import logging

    logging.basicConfig(level=logging.ERROR)  # the retries' warnings are expected here
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=5000)
    parser.add_argument("--meetings", type=int, default=800)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    results = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        print(f"==> {backend}: {args.leads:,} leads, {args.meetings} meetings with outcomes", flush=True)
        with database(backend) as url:
            result = {"backend": backend, **measure(url, args.leads, args.meetings)}
        results.append(result)
        c, f, s, k = result["calibration"], result["figures"], result["sla"], result["links"]
        print(
            f"    calibration: found budget.min_annual {c['found_level']} (planted {PLANTED:g}) in "
            f"{c['suggest_seconds']} s; matches {c['matched_now']} -> {c['matched_with_draft']} of {c['verdicts']} verdicts"
        )
        for sentence in c["suggestions"]:
            print(f"      - {sentence}")
        print(
            f"    figures: precision {f['precision_pct']}%, no-show {f['no_show_pct']}%, "
            f"mismatches against the hand count: {f['mismatches'] or 'none'} ({f['figures_seconds']} s)"
        )
        print(
            f"    SLA: overdue {s['overdue_found']}/{s['overdue_expected']}, due {s['due_found']}/{s['due_expected']}, "
            f"escalations {s['escalations_recorded']} (per run {s['escalated_per_run']}), emails {s['emails_delivered']}, "
            f"slack {s['slack_posts_delivered']}, webhooks {s['webhooks_delivered']}: once per breach {s['one_escalation_per_breach']}"
        )
        print(f"    links: {k}")
        print(f"    all checks: {'ok' if result['ok'] else 'FAILED'}", flush=True)
    out = ROOT / "results" / "bench_outcomes.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"saved {out}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
