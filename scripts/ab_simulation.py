"""A/B run: simulated visitors meet two wordings of the budget question; does the console tell them apart?

Each visitor is driven through the code the chat runs, without the NLU model: the real ask
action (actions/asking.py) picks and records their sticky variant, the answers are the
parsers' own readings of typical replies (bot/extract.py), and a visitor who finishes is
scored and stored by the real outcome action (actions/outcome.py: answers with their variant,
the lead with its variants). Their conversations are written to a tracker-store `events`
table in the shapes Rasa writes (the form's `requested_slot`, answer slots, cleared slots on a
re-prompt, the variants slot, `outcome`). The console's A/B figures and verdicts
(bot/console/variants.py) then read the tracker and the lead store as on the A/B page.

Planted: variant b of the budget question is answered `--lift` more often (default 15 points
over a 60 % base); with `--lift 0` there is no difference. The verdict must say "B is better"
in the first case and "no clear difference" in the second. Also printed: how often the verdict
names a winner when there is none, and how often it finds the planted lift (pure statistics,
1,000 draws each), so the numbers above are not luck of one seed.

Usage: scripts/ab_simulation.py [--visitors 2000] [--lift 0.15] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actions.asking import ASK_ACTIONS  # noqa: E402
from actions.outcome import ActionDecideOutcome  # noqa: E402
from bot.chat_limits import ChatLimiter  # noqa: E402
from bot.console.ab_test import BETTER, NO_DIFFERENCE, verdict  # noqa: E402
from bot.console.variants import Wording, report, variant_figures  # noqa: E402
from bot.extract import extract_fields  # noqa: E402
from bot.playbook import Playbook, parse_playbook  # noqa: E402
from bot.store.db import make_engine, session_factory  # noqa: E402
from bot.store.models import Base  # noqa: E402

TODAY = date(2026, 11, 24)
BASE_RATE = 0.60
REPROMPT_RATE = 0.10  # a first budget answer the parser cannot read
EVENTS_SCHEMA = (
    "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL,"
    " timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"
)
#: The questions a decision maker of a 200-person company is asked, with what they reply.
BEFORE = [
    ("need", ["We want to qualify leads on our website", "book more demos", "website chat for visitors"]),
    ("role", ["I'm the VP of Sales", "Founder and CEO", "Head of Marketing"]),
    ("company_name", ["Acme Robotics", "Nordwind GmbH", "Pennine Tax"]),
    ("company_size", ["about 200 people", "we're 120", "around 80 staff"]),
    ("industry", ["software", "manufacturing", "fintech"]),
    ("country", ["Germany", "United States", "UK"]),
]
BUDGETS = ["around 40k a year", "about 100k per year", "20k a year", "5k a year", "not sure yet"]
AFTER = [
    ("timeline", ["next month", "within 3 months", "in a year", "no rush"]),
    ("consent", ["yes"]),
    ("name", ["Jane Doe", "Sam Lee"]),
]


def ab_playbook(base: Path) -> Playbook:
    """The tests' playbook with two wordings of the budget question."""
    data = yaml.safe_load(base.read_text(encoding="utf-8"))
    for question in data["questions"]:
        if question["key"] == "budget":
            question["variants"] = [
                {"id": "a", "ask": question["ask"]},
                {"id": "b", "ask": "Is there a budget set aside for this? A rough yearly figure is fine."},
            ]
    return parse_playbook(yaml.safe_dump(data), source="ab-simulation")


class Answers:
    """Slot values of replies, as the extraction reads them (each distinct reply parsed once)."""

    def __init__(self, playbook: Playbook) -> None:
        self.playbook = playbook
        self._cache: dict[tuple[str, str], dict[str, Any] | None] = {}

    def slot(self, field: str, reply: str, at: datetime) -> dict[str, Any]:
        key = (field, reply)
        if key not in self._cache:
            if field == "consent":
                value: dict[str, Any] | None = {
                    "granted": True,
                    "text_version": self.playbook.consent.text_version,
                }
            else:
                found = extract_fields(
                    reply,
                    today=TODAY,
                    use_cases=self.playbook.use_case_keywords(),
                    requested=field,
                    needs=self.playbook.need_classifier(),
                ).get(field)
                value = found.value if found is not None else None
            self._cache[key] = value
        return {"field": field, "raw": reply, "value": self._cache[key], "declined": False, "error": None,
                "at": at.isoformat()}  # fmt: skip


@dataclass
class Conversation:
    """One simulated conversation: its tracker events and its answer slots."""

    sender: str
    start: datetime
    events: list[dict[str, Any]]
    slots: dict[str, Any]
    clock: float = 0.0

    def at(self, seconds: float) -> datetime:
        self.clock += seconds
        return self.start + timedelta(seconds=self.clock)

    def add(self, kind: str, moment: datetime, **data: Any) -> None:
        self.events.append({"event": kind, "timestamp": moment.timestamp(), **data})

    def user(self, message: str, moment: datetime) -> None:
        self.add("user", moment, text=message, parse_data={"intent": {"name": "inform"}})

    def slot(self, name: str, value: Any, moment: datetime) -> None:
        self.add("slot", moment, name=name, value=value)
        self.slots[name] = value

    def tracker(self) -> Tracker:
        return Tracker(self.sender, dict(self.slots), {}, self.events, False, None, {}, "action_listen")


async def visitor(
    i: int, rng: random.Random, playbook: Playbook, answers: Answers, lift: float, start: datetime,
    outcome: ActionDecideOutcome, ask_budget: Any,
) -> Conversation:  # fmt: skip
    """One visitor's conversation, up to where they stop or their lead is stored."""
    conversation = Conversation(f"ab-{i:05d}", start, [], {"requested_slot": None})
    c = conversation
    c.user("hi", c.at(0))
    for field, replies in BEFORE:
        c.slot("requested_slot", field, c.at(1))
        reply = rng.choice(replies)
        moment = c.at(rng.uniform(4, 30))
        c.user(reply, moment)
        c.slot(field, answers.slot(field, reply, moment), moment)
    c.slot("requested_slot", "budget", c.at(1))
    dispatcher = CollectingDispatcher()
    for event in await ask_budget.run(dispatcher, c.tracker(), {}):  # the real ask action: sticky variant
        c.slot(event["name"], event["value"], c.at(0))
    variant = dispatcher.messages[0]["variant"]
    if rng.random() >= BASE_RATE + (lift if variant == "b" else 0.0):
        return conversation  # stops here: no answer, quiet ever since
    if rng.random() < REPROMPT_RATE:  # unreadable first: the form clears it and asks again
        moment = c.at(rng.uniform(5, 40))
        c.user("hmm depends", moment)
        c.slot(
            "budget",
            {**answers.slot("budget", "hmm depends", moment), "value": None, "error": "not_understood"},
            moment,
        )
        c.slot("budget", None, moment)
        c.slot("requested_slot", "budget", c.at(1))
    reply = rng.choice(BUDGETS)
    moment = c.at(rng.uniform(5, 40))
    c.user(reply, moment)
    c.slot("budget", answers.slot("budget", reply, moment), moment)
    for field, replies in AFTER:
        c.slot("requested_slot", field, c.at(1))
        reply = rng.choice(replies)
        moment = c.at(rng.uniform(4, 20))
        c.user(reply, moment)
        c.slot(field, answers.slot(field, reply, moment), moment)
    c.slot("requested_slot", "email", c.at(1))
    email = f"visitor{i}@company{i % 97}.com"
    moment = c.at(rng.uniform(4, 20))
    c.user(email, moment)
    c.slot("email", answers.slot("email", email, moment), moment)
    c.slot("requested_slot", None, c.at(0))
    for event in await outcome.run(CollectingDispatcher(), c.tracker(), {}):  # the real outcome action
        if event.get("event") == "slot":
            c.slot(event["name"], event["value"], c.at(0))
    return conversation


def write_events(tracker: Engine, conversations: Iterable[Conversation]) -> int:
    """The conversations' events as Rasa's SQL tracker store keeps them (one `events` row each)."""
    rows = [
        {
            "s": c.sender,
            "k": e["event"],
            "t": e["timestamp"],
            "a": e.get("name"),
            "d": json.dumps(e, default=str),
        }
        for c in conversations
        for e in c.events
    ]
    with tracker.begin() as conn:
        conn.execute(text(EVENTS_SCHEMA))
        conn.execute(text("CREATE INDEX ix_events_sender_id ON events (sender_id)"))  # as Rasa's store has
        conn.execute(
            text(
                "INSERT INTO events (sender_id, type_name, timestamp, action_name, data) VALUES (:s, :k, :t, :a, :d)"
            ),
            rows,
        )
    return len(rows)


def simulate(
    lead_engine: Engine,
    tracker: Engine,
    playbook: Playbook,
    *,
    visitors: int,
    lift: float,
    seed: int,
    now: datetime,
) -> tuple[Wording, dict[str, float]]:
    """Run `visitors` conversations, then read the budget question's A/B figures as the console does."""
    rng = random.Random(seed)
    sessions = session_factory(lead_engine)
    answers = Answers(playbook)
    outcome = ActionDecideOutcome(
        playbook=lambda: playbook,
        sessions=lambda: sessions,
        today=lambda: TODAY,
        limits=lambda: ChatLimiter.from_env({}),
    )
    ask_budget = ASK_ACTIONS["budget"](playbook=lambda: playbook)
    first = now - timedelta(days=3)

    async def run_all() -> list[Conversation]:
        return [
            await visitor(
                i,
                rng,
                playbook,
                answers,
                lift,
                first + timedelta(seconds=rng.uniform(0, 2.5 * 86400)),
                outcome,
                ask_budget,
            )  # fmt: skip
            for i in range(visitors)
        ]

    started = time.perf_counter()
    conversations = asyncio.run(run_all())
    chatted = time.perf_counter() - started
    count = write_events(tracker, conversations)
    started = time.perf_counter()
    figures = variant_figures(tracker, sessions, now - timedelta(days=4), now + timedelta(days=1), now)
    read = time.perf_counter() - started
    assert figures is not None, "no tracker store"
    budget = next(w for w in report(figures, playbook) if w.key == "budget")
    return budget, {"conversations_s": chatted, "events": count, "figures_s": read}


def calibration(
    draws: int = 1000, per_arm: int = 1000, lift: float = 0.15, seed: int = 11
) -> dict[str, float]:
    """How often the verdict names a winner with no difference, and finds a planted `lift` (pure draws)."""
    rng = random.Random(seed)

    def arm(rate: float) -> int:
        return sum(rng.random() < rate for _ in range(per_arm))

    false_winner = sum(
        verdict([("a", arm(BASE_RATE), per_arm), ("b", arm(BASE_RATE), per_arm)]).kind == BETTER
        for _ in range(draws)
    )
    no_difference = sum(
        verdict([("a", arm(BASE_RATE), per_arm), ("b", arm(BASE_RATE), per_arm)]).kind == NO_DIFFERENCE
        for _ in range(draws)
    )
    found = sum(
        verdict([("a", arm(BASE_RATE), per_arm), ("b", arm(BASE_RATE + lift), per_arm)]).winner == "b"
        for _ in range(draws)
    )
    return {
        "false_winner": false_winner / draws,
        "no_difference": no_difference / draws,
        "power": found / draws,
    }


def run(
    visitors: int, lift: float, seed: int, workdir: Path, playbook: Playbook
) -> tuple[Wording, dict[str, float]]:
    """One simulation on fresh SQLite databases in `workdir`."""
    leads = make_engine(f"sqlite:///{workdir / 'leads.db'}")
    # a throw-away database: no disk flush per stored lead (what is stored and read is unchanged)
    sa_event.listen(leads, "connect", lambda connection, _: connection.execute("PRAGMA synchronous=OFF"))
    Base.metadata.create_all(leads)
    tracker = make_engine(f"sqlite:///{workdir / 'tracker.db'}")
    try:
        return simulate(
            leads, tracker, playbook, visitors=visitors, lift=lift, seed=seed, now=datetime.now(timezone.utc)
        )
    finally:
        leads.dispose()
        tracker.dispose()


def show(title: str, wording: Wording, timing: Mapping[str, float]) -> None:
    print(f"\n== {title}")
    print(f"{'variant':<8}{'reached':>8}{'answered':>10}  {'answer rate (95% CI)':<26}{'stopped':>8}{'re-prompts':>11}"
          f"{'qualified':>10}  qualified rate (95% CI)")  # fmt: skip
    for r in wording.rows:
        print(f"{r['variant']:<8}{r['reached']:>8}{r['answered']:>10}  {r['answer_rate']:<26}{r['stopped_here']:>8}"
              f"{r['reprompts']:>11}{r['qualified']:>10}  {r['qualified_rate']}")  # fmt: skip
    print(f"verdict (answered):  {wording.answer_verdict.text}")
    print(f"verdict (qualified): {wording.qualified_verdict.text}")
    print(f"({timing['events']:.0f} tracker events; conversations through the actions {timing['conversations_s']:.1f} s, "
          f"the console's figures {timing['figures_s']:.2f} s)")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, default=2000)
    parser.add_argument("--lift", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    playbook = ab_playbook(ROOT / "tests" / "fixtures" / "playbook.yml")
    ok = True
    for title, lift, wanted in (
        (f"planted: variant b answered {100 * args.lift:.0f} points more often", args.lift, BETTER),
        ("no difference planted", 0.0, NO_DIFFERENCE),
    ):
        with tempfile.TemporaryDirectory(prefix="banter-ab-") as tmp:
            wording, timing = run(args.visitors, lift, args.seed, Path(tmp), playbook)
        show(f"{title} ({args.visitors} visitors)", wording, timing)
        good = wording.answer_verdict.kind == wanted and (
            wanted != BETTER or wording.answer_verdict.winner == "b"
        )
        print("=> the console's verdict is " + ("right" if good else "WRONG"))
        ok = ok and good
    numbers = calibration(lift=args.lift)
    print(
        f"\nverdict calibration, 1,000 draws of 1,000 visitors per variant: a winner named with no difference "
        f"{100 * numbers['false_winner']:.1f}% (no clear difference {100 * numbers['no_difference']:.1f}%); "
        f"a {100 * args.lift:.0f}-point lift found {100 * numbers['power']:.1f}%"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
