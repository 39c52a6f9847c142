"""Conversion between Rasa slots/events and the core's plain data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker

from bot.extract import Extracted
from bot.vocab import FIELDS, KNOCKOUT_FIELD

#: Slots holding one answer each ({field, raw, value, declined, at, error}).
ANSWER_SLOTS: tuple[str, ...] = (*FIELDS, "consent", "readback", KNOCKOUT_FIELD)

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def now_iso() -> str:
    """Current UTC time, ISO 8601 with microseconds (answers are keyed by it)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def handoff_request(text: str) -> dict[str, Any]:
    """The `handoff` slot: when the visitor asked for a person, sales or a demo, in their words."""
    return {"at": now_iso(), "text": text[:500]}


def answer_slot(extracted: Extracted) -> dict[str, Any]:
    """Slot value for one extracted field."""
    return {
        "field": extracted.field,
        "raw": extracted.raw,
        "value": extracted.value,
        "declined": extracted.declined,
        "error": extracted.error,
        "at": now_iso(),
    }


def yes_no_slot(
    field: str, raw: str, value: dict[str, Any] | None, *, declined: bool = False
) -> dict[str, Any]:
    """Slot value for a yes/no question (consent, growth plan)."""
    return {"field": field, "raw": raw, "value": value, "declined": declined, "error": None, "at": now_iso()}


def answers_from_tracker(tracker: Tracker) -> dict[str, dict[str, Any] | None]:
    """Every answer slot of the conversation (None where nothing was said)."""
    answers: dict[str, dict[str, Any] | None] = {}
    for name in ANSWER_SLOTS:
        value = tracker.get_slot(name)
        answers[name] = value if isinstance(value, dict) else None
    return answers


def times_asked(tracker: Tracker, field: str) -> int:
    """How often the form has asked for `field` in this conversation (each ask sets requested_slot)."""
    return sum(
        1
        for event in tracker.events
        if event.get("event") == "slot"
        and event.get("name") == "requested_slot"
        and event.get("value") == field
    )


def previous_reply(tracker: Tracker) -> list[str]:
    """Response names of the assistant's reply to the visitor's previous message."""
    users = 0
    names: list[str] = []
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                break
        elif users == 1 and event.get("event") == "bot":
            names.append(str((event.get("metadata") or {}).get("utter_action") or ""))
    return names


def first_message_metadata(tracker: Tracker) -> Mapping[str, Any]:
    """Metadata the channel sent with the visitor's first message (page, referrer, UTM)."""
    for event in tracker.events:
        if event.get("event") == "user":
            metadata = event.get("metadata") or {}
            return metadata if isinstance(metadata, Mapping) else {}
    return {}


def latest_metadata(tracker: Tracker) -> Mapping[str, Any]:
    """Metadata of the visitor's latest message (the widget sends the pages seen so far)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata") or {}
            return metadata if isinstance(metadata, Mapping) else {}
    return {}
