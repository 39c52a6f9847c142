"""Seed a lead store with synthetic leads for console benchmarks (never used in production).

    python scripts/seed_console.py --database-url sqlite:///var/bench.db --leads 100000

Each lead gets a conversation (with source, campaign, referrer), ten answers, a score from
the real scorer, and some get meetings, nurture enrolments and requalification events.
Rows go in with bulk inserts in chunks; progress is printed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.playbook import load_playbook  # noqa: E402
from bot.scoring import score_lead  # noqa: E402
from bot.store.db import make_engine  # noqa: E402
from bot.store.models import (  # noqa: E402
    Answer,
    Conversation,
    Lead,
    LeadEvent,
    Meeting,
    ScoreSnapshot,
)

SOURCES = [
    ("google", "winter-webinar"),
    ("google", "brand"),
    ("linkedin", "abm-q4"),
    (None, None),
    ("newsletter", "november"),
    ("partner", "reseller"),
    ("bing", "generic"),
]
REFERRERS = [None, "https://www.google.com/", "https://www.linkedin.com/", "https://news.example.com/post"]
COUNTRIES = [
    ("DE", "europe"),
    ("US", "north_america"),
    ("GB", "europe"),
    ("IN", "asia"),
    ("BR", "south_america"),
]
INDUSTRIES = ["software", "fintech", "ecommerce", "manufacturing", "healthcare", "education", "retail"]
SENIORITIES = [
    ("VP of Sales", "vp"),
    ("Founder", "founder"),
    ("Sales Manager", "manager"),
    ("Engineer", "individual_contributor"),
    ("CFO", "c_level"),
    ("Student", "student"),
]
REPS = [
    "dana@banter.example.com",
    "luis@banter.example.com",
    "greta@banter.example.com",
    "sam@banter.example.com",
]


def answers_for(rng: random.Random, i: int, today: date) -> dict[str, dict[str, Any]]:
    employees = rng.choice([3, 8, 25, 60, 200, 800, 5000])
    country, region = rng.choice(COUNTRIES)
    title, seniority = rng.choice(SENIORITIES)
    amount = rng.choice([0, 3000, 8000, 15000, 40000, 120000])
    months = rng.choice([0.5, 2, 5, 9, 18])
    return {
        "need": {"use_case": "lead_qualification", "status": "matched"}
        if rng.random() < 0.8
        else {"use_case": None, "status": "researching"},
        "role": {"title": title, "seniority": seniority},
        "company_name": {"name": f"Company {i}"},
        "company_size": {"employees": employees, "min": employees, "max": employees},
        "industry": {"industry": rng.choice(INDUSTRIES)},
        "country": {"country": country, "region": region},
        "budget": {
            "status": "amount",
            "amount": amount,
            "amount_max": None,
            "currency": "USD",
            "period": "year",
            "annual_amount": amount,
        }
        if amount
        else {"status": "no_budget", "amount": None},
        "timeline": {
            "status": "date",
            "date": (today + timedelta(days=int(months * 30.44))).isoformat(),
            "months": months,
        },
        "name": {"full": f"Person {i}", "first": "Person"},
        "email": {
            "email": f"person{i}@company{i}.example",
            "domain": f"company{i}.example",
            "kind": "business",
        },
    }


def seed(url: str, leads: int, seed_value: int = 7) -> None:
    """Insert `leads` synthetic leads (and ten answers each) in chunks."""
    rng = random.Random(seed_value)
    playbook = load_playbook(ROOT / "playbook.yml")
    engine = make_engine(url)
    now = datetime.now(timezone.utc)
    today = now.date()
    started = time.perf_counter()
    chunk = 5000
    with engine.begin() as conn:
        first_id = (conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM leads").scalar() or 0) + 1
    for base in range(0, leads, chunk):
        rows_lead, rows_conv, rows_ans, rows_snap, rows_meet, rows_event = [], [], [], [], [], []
        for offset in range(min(chunk, leads - base)):
            i = base + offset
            lead_id = first_id + i
            at = now - timedelta(days=rng.random() * 180)
            answers = answers_for(rng, lead_id, today)
            declined_budget = rng.random() < 0.05
            profile = {**answers, "budget": "declined"} if declined_budget else answers
            result = score_lead(profile, playbook, today=today)
            source, campaign = rng.choice(SOURCES)
            rows_lead.append(
                {
                    "id": lead_id,
                    "email": answers["email"]["email"],
                    "name": answers["name"]["full"],
                    "company_name": answers["company_name"]["name"],
                    "grade": result.grade,
                    "score": result.score,
                    "reasons": list(result.reasons),
                    "next_step": result.next_step,
                    "playbook_version": result.playbook_version,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            rows_conv.append(
                {
                    "id": lead_id,
                    "sender_id": f"seed-{lead_id}",
                    "lead_id": lead_id,
                    "channel": "socketio",
                    "started_at": at,
                    "last_seen_at": at,
                    "utm_source": source,
                    "utm_campaign": campaign,
                    "referrer": rng.choice(REFERRERS),
                    "metadata": {},
                }
            )
            for n, (field, value) in enumerate(answers.items()):
                declined = field == "budget" and declined_budget
                rows_ans.append(
                    {
                        "lead_id": lead_id,
                        "conversation_id": lead_id,
                        "field": field,
                        "raw_text": str(value)[:60],
                        "normalized": None if declined else value,
                        "declined": declined,
                        "answered_at": at + timedelta(seconds=n * 20),
                    }
                )
            rows_snap.append(
                {
                    "lead_id": lead_id,
                    "conversation_id": lead_id,
                    "score": result.score,
                    "grade": result.grade,
                    "reasons": list(result.reasons),
                    "criteria": [],
                    "next_step": result.next_step,
                    "playbook_version": result.playbook_version,
                    "created_at": at,
                }
            )
            if result.grade == "qualified" and rng.random() < 0.6:
                start = at + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8))
                rows_meet.append(
                    {
                        "uid": f"seed-{lead_id}@banter",
                        "lead_id": lead_id,
                        "conversation_id": lead_id,
                        "meeting_type": "demo",
                        "rep_email": rng.choice(REPS),
                        "route_reason": "territory",
                        "start_at": start,
                        "end_at": start + timedelta(minutes=30),
                        "buffer_minutes": 15,
                        "visitor_time_zone": "Europe/Berlin",
                        "attendee_email": answers["email"]["email"],
                        "status": "booked" if rng.random() < 0.9 else "cancelled",
                        "sequence": rng.choice([0, 0, 0, 1]),
                        "created_at": at,
                        "updated_at": at,
                    }
                )
            if result.grade == "nurture" and rng.random() < 0.08:
                rows_event.append(
                    {
                        "lead_id": lead_id,
                        "kind": "requalified",
                        "detail": {"by": "seed"},
                        "created_at": at + timedelta(days=20),
                    }
                )
        with engine.begin() as conn:
            for model, rows in (
                (Lead, rows_lead),
                (Conversation, rows_conv),
                (Answer, rows_ans),
                (ScoreSnapshot, rows_snap),
                (Meeting, rows_meet),
                (LeadEvent, rows_event),
            ):
                if rows:
                    conn.execute(insert(model.__table__), rows)
        done = base + len(rows_lead)
        print(
            f"\r  seeded {done:,}/{leads:,} leads ({done * 10:,} answers) in {time.perf_counter() - started:.0f} s",
            end="",
            flush=True,
        )
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("leads", "conversations", "answers", "score_snapshots", "meetings", "lead_events"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
                conn.exec_driver_sql(f"ANALYZE {table}")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    print()
    engine.dispose()


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--leads", type=int, default=100_000)
    args = parser.parse_args()
    seed(args.database_url, args.leads)


if __name__ == "__main__":
    main()
