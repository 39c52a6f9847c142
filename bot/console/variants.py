"""A/B figures per variant: what each wording of a question, the greeting or a proactive-open message did.

Conversations are those of the per-question view (first visitor message in the period, read
from Rasa's tracker store by bot/console/conversations.py); each conversation's variants are
the `question_variants` slot it set when it was shown a wording (actions/asking.py), so the
console never recomputes an assignment. Per key and variant:

- reached: conversations shown that variant (for a question: that were asked it);
- answered: a question's latest answer is a usable value (as in the per-question view); for the
  greeting and a proactive message, the conversation engaged (answered or declined a question);
- stopped here: stopped (no stored outcome, quiet for 30 minutes) with this question open; for
  the greeting and a proactive message, stopped before engaging;
- re-prompts: times the question was asked again because its answer could not be used;
- qualified: of the reached conversations, those whose lead is qualified now (lead store);
- meetings booked: meetings booked in those conversations and still booked (lead store).

Each key gets two verdicts (bot/console/ab_test.py): on the answer rate and on the qualified rate.
Definitions in words: docs/console_figures.md ("A/B variants").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.console.ab_test import Rate, Verdict, verdict, wilson
from bot.console.conversations import IDLE, ConversationState, conversations, read_events
from bot.console.queries import LIVE
from bot.openers import GREETING_KEY, PROACTIVE_PREFIX
from bot.playbook import Playbook
from bot.store.models import Conversation, Lead, Meeting
from bot.vocab import FIELDS

#: Sender ids looked up in the lead store per query.
CHUNK = 500


@dataclass
class VariantFigures:
    """One variant of one wording over the conversations of a period."""

    reached: int = 0
    answered: int = 0
    declined: int = 0
    stopped_here: int = 0
    reprompts: int | None = 0  # None for the greeting and proactive messages (nothing to re-prompt)
    qualified: int = 0
    meetings: int = 0
    senders: list[str] = field(default_factory=list, repr=False)

    def answer_rate(self) -> Rate:
        """Answered (engaged, for openers) out of reached, with its interval."""
        return wilson(self.answered, self.reached)

    def qualified_rate(self) -> Rate:
        """Qualified out of reached, with its interval."""
        return wilson(self.qualified, self.reached)


def is_opener(key: str) -> bool:
    """The greeting or a proactive-open message (not a question)."""
    return key == GREETING_KEY or key.startswith(PROACTIVE_PREFIX)


def _count(figures: VariantFigures, key: str, conversation: ConversationState, idle_before: float) -> None:
    stopped = conversation.stopped(idle_before)
    if is_opener(key):
        figures.reprompts = None
        engaged = conversation.engaged
        figures.answered += engaged
        figures.stopped_here += stopped and not engaged
    else:
        answer = conversation.answer.get(key)
        figures.answered += answer == "value"
        figures.declined += answer == "declined"
        figures.stopped_here += stopped and conversation.open == key
        figures.reprompts = (figures.reprompts or 0) + conversation.reprompts.get(key, 0)


def fold_variants(
    read: Iterable[tuple[str, ConversationState]], idle_before: float
) -> dict[str, dict[str, VariantFigures]]:
    """Key -> variant -> figures from the tracker store alone (qualified and meetings are added after)."""
    out: dict[str, dict[str, VariantFigures]] = {}
    for sender, conversation in read:
        for key, variant in conversation.variants.items():
            if key in FIELDS and key not in conversation.asked:
                continue  # assigned but never asked (the slot is set when the question is sent)
            if key not in FIELDS and not is_opener(key):
                continue
            figures = out.setdefault(key, {}).setdefault(variant, VariantFigures())
            figures.reached += 1
            figures.senders.append(sender)
            _count(figures, key, conversation, idle_before)
    return out


def outcomes(session: Session, senders: Iterable[str]) -> dict[str, tuple[bool, int]]:
    """Sender id -> (its lead is qualified now, meetings booked in it and still booked)."""
    wanted = sorted(set(senders))
    booked = (
        select(Meeting.conversation_id, func.count().label("n"))
        .where(Meeting.status == LIVE)
        .group_by(Meeting.conversation_id)
        .subquery("booked")
    )
    out: dict[str, tuple[bool, int]] = {}
    for i in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(Conversation.sender_id, Lead.grade, func.coalesce(booked.c.n, 0))
            .outerjoin(Lead, Lead.id == Conversation.lead_id)
            .outerjoin(booked, booked.c.conversation_id == Conversation.id)
            .where(Conversation.sender_id.in_(wanted[i : i + CHUNK]))
        ).all()
        out.update({str(s): (grade == "qualified", int(n or 0)) for s, grade, n in rows})
    return out


def variant_figures(
    tracker: Engine | None,
    sessions: Callable[[], Session],
    start: datetime,
    end: datetime,
    now: datetime,
) -> dict[str, dict[str, VariantFigures]] | None:
    """Key -> variant -> figures for conversations whose first message is in [start, end); None without a tracker store."""
    events = read_events(tracker, start, end, variants=True) if tracker is not None else None
    if events is None:
        return None
    figures = fold_variants(conversations(events), (now - IDLE).timestamp())
    with sessions() as session:
        known = outcomes(
            session, (s for per_key in figures.values() for f in per_key.values() for s in f.senders)
        )
    for per_key in figures.values():
        for f in per_key.values():
            for sender in f.senders:
                qualified, meetings = known.get(sender, (False, 0))
                f.qualified += qualified
                f.meetings += meetings
    return figures


@dataclass(frozen=True)
class Wording:
    """One key's variants as the console shows them."""

    key: str
    label: str
    rows: list[dict[str, Any]]
    answer_verdict: Verdict
    qualified_verdict: Verdict
    live: bool  # the playbook still has variants for it: "make this the wording" is offered


def _texts(playbook: Playbook, key: str) -> dict[str, str]:
    """Variant id -> its text in the current playbook (empty when it has no variants any more)."""
    if key in FIELDS:
        registry = playbook.question_registry()
        return {v.id: v.ask for v in registry.spec(key).variants} if key in registry else {}
    if key == GREETING_KEY:
        return {v.id: v.text for v in playbook.greeting.variants}
    rule = playbook.proactive_rule(key[len(PROACTIVE_PREFIX) :])
    return {v.id: v.text for v in rule.message.variants} if rule and rule.message else {}


def label(playbook: Playbook, key: str) -> str:
    """'Question: budget', 'Greeting', 'Proactive open on /pricing'."""
    if key in FIELDS:
        return f"Question: {playbook.question_registry().label(key)}"
    if key == GREETING_KEY:
        return "Greeting"
    return f"Proactive open on {key[len(PROACTIVE_PREFIX) :]}"


def report(figures: Mapping[str, Mapping[str, VariantFigures]], playbook: Playbook) -> list[Wording]:
    """Per key (questions in asking order, then the openers): rows per variant and the two verdicts."""
    order = {key: i for i, key in enumerate([*FIELDS, GREETING_KEY])}
    keys = sorted(figures, key=lambda k: (order.get(k, len(order)), k))
    out = []
    for key in keys:
        texts = _texts(playbook, key)
        variants = sorted(
            figures[key], key=lambda v: (v not in texts, list(texts).index(v) if v in texts else 0, v)
        )
        rows = []
        for variant in variants:
            f = figures[key][variant]
            answered, qualified = f.answer_rate(), f.qualified_rate()
            rows.append(
                {
                    "key": key,
                    "variant": variant,
                    "text": texts.get(variant),
                    "reached": f.reached,
                    "answered": f.answered,
                    "answer_rate": answered.words(),
                    "declined": None if is_opener(key) else f.declined,
                    "stopped_here": f.stopped_here,
                    "reprompts": f.reprompts,
                    "qualified": f.qualified,
                    "qualified_rate": qualified.words(),
                    "meetings": f.meetings,
                }
            )
        counts = [(v, figures[key][v]) for v in variants]
        out.append(
            Wording(
                key=key,
                label=label(playbook, key),
                rows=rows,
                answer_verdict=verdict(
                    [(v, f.answered, f.reached) for v, f in counts],
                    what="engagement rate" if is_opener(key) else "answer rate",
                ),
                qualified_verdict=verdict(
                    [(v, f.qualified, f.reached) for v, f in counts], what="qualified rate"
                ),
                live=bool(texts),
            )
        )
    return out


__all__ = ["VariantFigures", "Wording", "fold_variants", "label", "outcomes", "report", "variant_figures"]
