"""Conversation transcripts read from Rasa's SQL tracker store (the `events` table).

Read-only and separate from the lead store: the tracker store may be another database
(SQLite file by default, PostgreSQL when scaled).
"""

from __future__ import annotations

import json
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
    for kind, stamp, data in rows:
        event = json.loads(data or "{}")
        message = event.get("text") or ""
        buttons = tuple(
            str(b.get("title", ""))
            for b in ((event.get("data") or {}).get("buttons") or [])
            if isinstance(b, dict)
        )
        if not message and not buttons:
            continue
        lines.append(
            Line(
                who="visitor" if kind == "user" else "assistant",
                text=message,
                at=datetime.fromtimestamp(float(stamp or 0), tz=timezone.utc),
                buttons=buttons,
            )
        )
    return lines
