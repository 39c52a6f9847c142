"""Conversations written as Rasa's SQL tracker store writes them (an `events` table), for console tests.

The shapes are those of a real run (see bot/console/conversations.py): the form sets
`requested_slot` before each question, an answer is a slot event named after its field
(written twice: extraction, then validation), validation sets the slot to null when it
cannot use the answer, `outcome` gets `saved: true` once the lead is stored. For slot and
action events Rasa's `action_name` column holds the event's `name`.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

SCHEMA = (
    "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL,"
    " timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"
)


class TrackerWriter:
    """Appends one conversation's events at a time; `at` is seconds after `start`."""

    def __init__(self, engine: Engine, start: datetime) -> None:
        self.engine, self.start = engine, start.timestamp()
        self.next_id = 1
        with engine.begin() as conn:
            conn.execute(text(SCHEMA))

    def _add(self, sender: str, kind: str, at: float, data: dict[str, Any], intent: str | None = None) -> None:
        stamp = self.start + at
        row = {"event": kind, "timestamp": stamp, "metadata": {}, **data}
        with self.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO events (id, sender_id, type_name, timestamp, intent_name, action_name, data)"
                     " VALUES (:i, :s, :k, :t, :n, :a, :d)"),
                {"i": self.next_id, "s": sender, "k": kind, "t": stamp, "n": intent,
                 "a": data.get("name"), "d": json.dumps(row)},
            )
        self.next_id += 1

    def user(self, sender: str, at: float, message: str, intent: str = "inform") -> None:
        self._add(sender, "user", at, {"text": message, "parse_data": {"intent": {"name": intent}}}, intent)

    def bot(self, sender: str, at: float, message: str, utter: str | None = None) -> None:
        self._add(sender, "bot", at, {"text": message, "metadata": {"utter_action": utter} if utter else {}})

    def buttons(self, sender: str, at: float, message: str, buttons: list[tuple[str, str]]) -> None:
        """An assistant message with quick replies (title, payload)."""
        data = {"buttons": [{"title": title, "payload": payload} for title, payload in buttons]}
        self._add(sender, "bot", at, {"text": message, "data": data})

    def action(self, sender: str, at: float, name: str) -> None:
        self._add(sender, "action", at, {"name": name, "policy": "RulePolicy"})

    def slot(self, sender: str, at: float, name: str, value: Any) -> None:
        self._add(sender, "slot", at, {"name": name, "value": value})

    def ask(self, sender: str, at: float, field: str) -> None:
        """The form asks `field`."""
        self.action(sender, at, "bant_form")
        self.slot(sender, at, "requested_slot", field)
        self.bot(sender, at, f"({field}?)", f"utter_ask_{field}")

    def answer(self, sender: str, at: float, field: str, raw: str, *, declined: bool = False,
               error: str | None = None, value: Any = None, next_field: str | None = None) -> None:
        """The visitor answers `field`; a usable answer moves the form to `next_field`, an error re-prompts."""
        self.user(sender, at, raw, "decline" if declined else "inform")
        stamp = datetime.fromtimestamp(self.start + at, tz=timezone.utc).isoformat()
        slot = {"field": field, "raw": raw, "value": None if declined else (value or {"text": raw}),
                "declined": declined, "error": error, "at": stamp}
        self.slot(sender, at + 0.1, field, slot)
        if error:
            self.action(sender, at + 0.2, "bant_form")
            self.slot(sender, at + 0.2, field, None)
            self.bot(sender, at + 0.2, "Sorry, I didn't catch that.", f"utter_invalid_{field}")
            self.slot(sender, at + 0.2, "requested_slot", field)
            self.bot(sender, at + 0.2, f"({field}?)", f"utter_ask_{field}")
            return
        self.action(sender, at + 0.2, "bant_form")
        self.slot(sender, at + 0.2, field, slot)
        if next_field:
            self.slot(sender, at + 0.2, "requested_slot", next_field)
            self.bot(sender, at + 0.2, f"({next_field}?)", f"utter_ask_{next_field}")

    def why(self, sender: str, at: float, field: str) -> None:
        """"Why do you ask?" while `field` is open: the reason, then the same question again."""
        self.user(sender, at, "why do you need that?", "ask_why")
        self.action(sender, at + 0.1, "action_explain_why")
        self.bot(sender, at + 0.1, "Because...", f"utter_why_{field}")
        self.ask(sender, at + 0.2, field)

    def rephrase(self, sender: str, at: float, field: str, message: str = "asdf qwer") -> None:
        """A message nothing understood: "could you rephrase?", then the same question again."""
        self.user(sender, at, message, "nlu_fallback")
        self.action(sender, at + 0.1, "action_rephrase")
        self.bot(sender, at + 0.1, "Sorry, could you rephrase?", "utter_ask_rephrase")
        self.ask(sender, at + 0.2, field)

    def outcome(self, sender: str, at: float) -> None:
        """The form ends and the lead is stored."""
        self.slot(sender, at, "requested_slot", None)
        self.action(sender, at, "action_decide_outcome")
        self.slot(sender, at, "outcome", {"saved": True, "lead_id": 1, "grade": "qualified"})
