"""Conversation figures from Rasa's tracker store: started, engaged, and each question's health.

Banter keeps every conversation's events in Rasa's SQL tracker store (endpoints.yml), the
same table the transcripts are read from. Two facts in it make these figures exact and keyed
on the field names of bot.vocab.FIELDS, never on the wording's response names:

- each time the form asks a question it sets `requested_slot` to the field's name (the rule
  actions/answers.py `times_asked` relies on too);
- each answer is a slot event named after its field, valued {field, raw, value, declined,
  error, at}; the form's validation clears the slot (sets it to null) when it cannot use
  the answer, and `outcome` is set with `saved: true` once the lead is stored.

A conversation is a sender id whose first visitor message falls in the period; all of its
events count, also those after the period ends. Definitions: docs/console_figures.md.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.vocab import FIELDS

#: A conversation quiet for this long, without a stored outcome, has stopped.
IDLE = timedelta(minutes=30)

REQUESTED_SLOT = "requested_slot"
OUTCOME_SLOT = "outcome"
#: {question, "greeting" or "proactive:<path>": variant} (actions/asking.py): read for the A/B figures.
VARIANTS_SLOT = "question_variants"
WHY_ACTION = "action_explain_why"
#: Replies to a question or small talk: the question asked again after one is not a re-prompt.
DIGRESSION_ACTIONS: tuple[str, ...] = (WHY_ACTION, "action_digression", "action_handoff")


class Event(NamedTuple):
    """The part of one tracker event these figures read."""

    sender_id: str
    kind: str  # user | slot | action
    name: str | None  # the slot's or the action's name
    code: str | None  # slots: the requested field, or cleared | declined | error | saved | value
    timestamp: float
    data: str | None = None  # the variants slot: its value as JSON text


@dataclass
class QuestionFigures:
    """One question over the conversations of a period."""

    asked: int = 0  # conversations that asked it at least once
    answered: int = 0  # of those, the latest answer after the first ask is a usable value
    declined: int = 0  # ... is a decline
    stopped_here: int = 0  # stopped (no outcome, quiet for IDLE) while it was the open question
    reprompts: int = 0  # times asked again because the answer could not be used
    why_asked: int = 0  # times "why do you ask?" while it was the open question
    seconds_to_answer: list[float] = field(default_factory=list)

    def median_seconds(self) -> float | None:
        """Median seconds from the question to the message that answered it (None without answers)."""
        if not self.seconds_to_answer:
            return None
        return round(float(statistics.median(self.seconds_to_answer)), 1)


@dataclass
class ConversationFigures:
    """The conversations of a period: how many started, engaged, and per question."""

    started: int = 0
    engaged: int = 0  # answered or declined at least one question it was asked
    questions: dict[str, QuestionFigures] = field(
        default_factory=lambda: {name: QuestionFigures() for name in FIELDS}
    )


class ConversationState:
    """Where one conversation stands while its events are read in order."""

    def __init__(self) -> None:
        self.open: str | None = None  # the question the form is waiting on
        self.asked: set[str] = set()
        self.asked_at: dict[str, float] = {}  # the latest ask of each question
        self.waiting: dict[str, bool] = {}  # asked, no answer and no digression since
        self.answer: dict[str, str] = {}  # value | declined: the latest usable answer after an ask
        self.seconds: dict[str, float] = {}  # ask -> answering message, for the latest value
        self.reprompts: dict[str, int] = {}
        self.why: dict[str, int] = {}
        self.last_message: float | None = None
        self.saved = False
        self.variants: dict[str, str] = {}  # the A/B variants this conversation saw

    @property
    def engaged(self) -> bool:
        """Answered or declined at least one question it was asked."""
        return any(q in FIELDS for q in self.answer)

    def stopped(self, idle_before: float) -> bool:
        """No stored outcome, and quiet since before `idle_before`."""
        return not self.saved and self.last_message is not None and self.last_message <= idle_before

    def read(self, event: Event) -> None:
        """Take the next event of this conversation into account."""
        if event.kind == "user":
            self.last_message = event.timestamp
        elif event.kind == "action":
            if event.name in DIGRESSION_ACTIONS and self.open:
                self.waiting[self.open] = False
                if event.name == WHY_ACTION:
                    self.why[self.open] = self.why.get(self.open, 0) + 1
        elif event.name == REQUESTED_SLOT:
            self._ask(event.code, event.timestamp)
        elif event.name == OUTCOME_SLOT:
            self.saved = self.saved or event.code == "saved"
        elif event.name == VARIANTS_SLOT:
            try:
                seen = json.loads(event.data or "null")
            except ValueError:
                seen = None
            if isinstance(seen, dict):
                self.variants.update({str(k): str(v) for k, v in seen.items() if v})
        elif event.name in self.asked:
            self._answer(str(event.name), event.code)

    def _ask(self, question: str | None, at: float) -> None:
        self.open = question
        if not question:
            return
        if self.waiting.get(question):
            self.reprompts[question] = self.reprompts.get(question, 0) + 1
        self.waiting[question] = True
        self.asked.add(question)
        self.asked_at[question] = at

    def _answer(self, question: str, code: str | None) -> None:
        if code in ("value", "declined"):
            self.answer[question] = code
            self.waiting[question] = False
            if code == "value" and self.last_message is not None:
                self.seconds[question] = max(0.0, self.last_message - self.asked_at[question])
        elif code == "cleared":  # the form could not use it (or took it back): it asks again
            self.answer.pop(question, None)
            self.waiting[question] = True

    def add_to(self, figures: ConversationFigures, idle_before: float) -> None:
        """Count this conversation, read to its end, in `figures`."""
        figures.started += 1
        if self.engaged:
            figures.engaged += 1
        for name, question in figures.questions.items():
            if name not in self.asked:
                continue
            question.asked += 1
            question.reprompts += self.reprompts.get(name, 0)
            question.why_asked += self.why.get(name, 0)
            if self.answer.get(name) == "value":
                question.answered += 1
                if name in self.seconds:
                    question.seconds_to_answer.append(self.seconds[name])
            elif self.answer.get(name) == "declined":
                question.declined += 1
        if self.stopped(idle_before) and self.open in figures.questions:
            figures.questions[str(self.open)].stopped_here += 1


def conversations(events: Iterable[Event]) -> Iterator[tuple[str, ConversationState]]:
    """Each conversation of `events` (ordered by conversation, then time) as read to its end."""
    sender: str | None = None
    current = ConversationState()
    for event in events:
        if event.sender_id != sender:
            if sender is not None:
                yield sender, current
            sender, current = event.sender_id, ConversationState()
        current.read(event)
    if sender is not None:
        yield sender, current


def fold(events: Iterable[Event], idle_before: float) -> ConversationFigures:
    """The figures of `events`, ordered by conversation and then by time (pure: tests feed it lists)."""
    figures = ConversationFigures()
    for _, conversation in conversations(events):
        conversation.add_to(figures, idle_before)
    return figures


def _slot_code(dialect: str) -> str:
    """SQL giving each slot event its code, so no event's JSON is parsed in Python."""
    if dialect == "postgresql":
        value = "(CAST(e.data AS json) -> 'value')"
        return (
            "CASE WHEN e.type_name <> 'slot' THEN NULL"
            f" WHEN e.action_name = '{REQUESTED_SLOT}' THEN CAST(e.data AS json) ->> 'value'"
            f" WHEN COALESCE(json_typeof({value}), 'null') = 'null' THEN 'cleared'"
            f" WHEN ({value} ->> 'declined') = 'true' THEN 'declined'"
            f" WHEN COALESCE(json_typeof({value} -> 'error'), 'null') <> 'null' THEN 'error'"
            f" WHEN ({value} ->> 'saved') = 'true' THEN 'saved'"
            " ELSE 'value' END"
        )
    return (
        "CASE WHEN e.type_name <> 'slot' THEN NULL"
        f" WHEN e.action_name = '{REQUESTED_SLOT}' THEN json_extract(e.data, '$.value')"
        " WHEN COALESCE(json_type(e.data, '$.value'), 'null') = 'null' THEN 'cleared'"
        " WHEN json_type(e.data, '$.value.declined') = 'true' THEN 'declined'"
        " WHEN COALESCE(json_type(e.data, '$.value.error'), 'null') <> 'null' THEN 'error'"
        " WHEN json_type(e.data, '$.value.saved') = 'true' THEN 'saved'"
        " ELSE 'value' END"
    )


def _variants_json(dialect: str) -> str:
    """SQL giving the variants slot's value as JSON text (NULL for every other event)."""
    value = (
        "CAST(e.data AS json) ->> 'value'" if dialect == "postgresql" else "json_extract(e.data, '$.value')"
    )
    return f"CASE WHEN e.type_name = 'slot' AND e.action_name = '{VARIANTS_SLOT}' THEN {value} END"


def read_events(
    tracker: Engine, start: datetime, end: datetime, *, variants: bool = False
) -> list[Event] | None:
    """The events these figures read, of conversations whose first visitor message is in [start, end).

    With `variants`, also the A/B variants slot. None when there is no tracker store (yet).
    """
    dialect = tracker.dialect.name
    data = _variants_json(dialect) if variants else "NULL"
    query = text(
        f"SELECT e.sender_id, e.type_name, e.action_name, {_slot_code(dialect)}, e.timestamp, {data}"
        " FROM events e JOIN (SELECT sender_id FROM events WHERE type_name = 'user' GROUP BY sender_id"
        "  HAVING MIN(timestamp) >= :a AND MIN(timestamp) < :b) s ON s.sender_id = e.sender_id"
        " WHERE e.type_name = 'user' OR (e.type_name = 'slot' AND e.action_name IN :slots)"
        " OR (e.type_name = 'action' AND e.action_name IN :actions)"
        " ORDER BY e.sender_id, e.id"
    ).bindparams(bindparam("slots", expanding=True), bindparam("actions", expanding=True))
    slots: Sequence[str] = [REQUESTED_SLOT, OUTCOME_SLOT, *FIELDS, *([VARIANTS_SLOT] if variants else [])]
    params = {
        "a": start.timestamp(),
        "b": end.timestamp(),
        "slots": list(slots),
        "actions": list(DIGRESSION_ACTIONS),
    }
    try:
        with tracker.connect() as conn:
            rows = conn.execute(query, params).all()
    except (OperationalError, ProgrammingError):  # no tracker store (yet)
        return None
    return [
        Event(str(s), str(k), n, None if c is None else str(c), float(t or 0), None if d is None else str(d))
        for s, k, n, c, t, d in rows
    ]


def conversation_figures(
    tracker: Engine | None, start: datetime, end: datetime, now: datetime
) -> ConversationFigures | None:
    """The figures of conversations whose first visitor message is in [start, end); None without a tracker store."""
    events = read_events(tracker, start, end) if tracker is not None else None
    if events is None:
        return None
    return fold(events, idle_before=(now - IDLE).timestamp())
