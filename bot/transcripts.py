"""Conversation transcripts read from Rasa's SQL tracker store (the `events` table).

Read-only and separate from the lead store: the tracker store may be another database
(SQLite file by default, PostgreSQL when scaled).

Transcripts are for people: a button the visitor clicked reads as its title ("Yes, book
it"), not as the payload the widget sent (`/confirm_slot`, `/choose_slot{...}`); a payload
with no button to match reads in plain words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError


@dataclass(frozen=True)
class Line:
    """One message in a transcript."""

    who: str  # visitor | assistant
    text: str
    at: datetime
    buttons: tuple[str, ...] = ()


#: Intent payloads (a button's "/intent{...}") in words, for a click whose button is not in the transcript.
PAYLOAD_WORDS: dict[str, str] = {
    "affirm": "Yes",
    "deny": "No",
    "greet": "Hello",
    "choose_slot": "(picked a time)",
    "confirm_slot": "Yes, book it",
    "other_times": "Other times",
    "set_timezone": "(picked a time zone)",
    "decline_meeting": "Just send me information",
    "request_callback": "Please get in touch instead",
    "decline": "I'd rather not say",
}
_PAYLOAD = re.compile(r"/([A-Za-z_]+)(\{.*\})?", re.S)


def as_said(text: str, offered: Mapping[str, str]) -> str:
    """A visitor's message in words: the title of the button whose payload it is, or an intent payload in words."""
    if text in offered:
        return offered[text]
    match = _PAYLOAD.fullmatch(text.strip())
    if match is None:
        return text
    return PAYLOAD_WORDS.get(match[1], "(" + match[1].replace("_", " ") + ")")


def load_transcript(engine: Engine, sender_id: str) -> list[Line]:
    """Visitor and assistant messages of a conversation, oldest first (empty if unknown)."""
    query = text(
        "SELECT type_name, timestamp, data FROM events "
        "WHERE sender_id = :sender AND type_name IN ('user', 'bot') ORDER BY id"
    )
    try:
        with engine.connect() as conn:
            rows = conn.execute(query, {"sender": sender_id}).all()
    except (OperationalError, ProgrammingError):  # no tracker store yet
        return []
    lines = []
    offered: dict[str, str] = {}  # payload -> title of every button shown so far (a later one wins)
    for kind, stamp, data in rows:
        event = json.loads(data or "{}")
        message = event.get("text") or ""
        shown = [b for b in ((event.get("data") or {}).get("buttons") or []) if isinstance(b, dict)]
        buttons = tuple(str(b.get("title", "")) for b in shown)
        offered.update({str(b["payload"]): str(b.get("title", "")) for b in shown if b.get("payload")})
        if not message and not buttons:
            continue
        lines.append(
            Line(
                who="visitor" if kind == "user" else "assistant",
                text=as_said(message, offered) if kind == "user" else message,
                at=datetime.fromtimestamp(float(stamp or 0), tz=timezone.utc),
                buttons=buttons,
            )
        )
    return lines
