"""Export and erasure of everything held about one person (by email).

Erasure deletes the lead (answers, scores, consents, enrolments, sends, meetings, sales
outcomes, SLA escalations and events go with it by cascade), its pending outbox messages, its conversations and
their Rasa tracker events, and keeps a receipt with counts only. With the lead gone,
no nurture step can be sent to it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from bot.store.models import (
    CallbackRequest,
    Conversation,
    ErasureReceipt,
    Lead,
    NurtureEnrollment,
    NurtureSend,
    OutboxMessage,
    SalesOutcome,
)
from bot.store.repository import lead_to_dict, normalise_email
from bot.transcripts import load_transcript


def _lead(session: Session, email: str) -> Lead | None:
    return session.execute(select(Lead).where(Lead.email == normalise_email(email))).scalar_one_or_none()


def export_person(session: Session, email: str, tracker: Engine | None) -> dict[str, Any] | None:
    """Everything about the person as JSON-ready data, or None when nothing is held."""
    lead = _lead(session, email)
    if lead is None:
        return None
    data = lead_to_dict(session, lead)
    data["enrolments"] = [
        {
            "track": e.track,
            "status": e.status,
            "reason": e.reason,
            "enrolled_at": e.enrolled_at.isoformat(),
            "stop_reason": e.stop_reason,
        }
        for e in session.execute(
            select(NurtureEnrollment).where(NurtureEnrollment.lead_id == lead.id)
        ).scalars()
    ]
    data["messages_sent"] = [
        {
            "topic": m.topic,
            "kind": m.kind,
            "status": m.status,
            "subject": (m.payload or {}).get("subject"),
            "created_at": m.created_at.isoformat(),
            "sent_at": m.sent_at.isoformat() if m.sent_at else None,
        }
        for m in session.execute(
            select(OutboxMessage).where(OutboxMessage.lead_id == lead.id).order_by(OutboxMessage.id)
        ).scalars()
    ]
    data["nurture_sends"] = [
        {
            "step": s.step_index,
            "status": s.status,
            "due_at": s.due_at.isoformat(),
            "sent_at": s.sent_at.isoformat() if s.sent_at else None,
        }
        for s in session.execute(select(NurtureSend).where(NurtureSend.lead_id == lead.id)).scalars()
    ]
    data["sales_outcomes"] = [
        {
            "outcome": o.outcome,
            "reason": o.reason,
            "note": o.note,
            "via": o.via,
            "recorded_by": o.recorded_by,
            "recorded_at": o.recorded_at.isoformat(),
        }
        for o in session.execute(
            select(SalesOutcome).where(SalesOutcome.lead_id == lead.id).order_by(SalesOutcome.id)
        ).scalars()
    ]
    data["conversation_events"] = {
        c["sender_id"]: [
            {"who": line.who, "text": line.text, "at": line.at.isoformat()}
            for line in (load_transcript(tracker, c["sender_id"]) if tracker is not None else [])
        ]
        for c in data["conversations"]
    }
    return data


def erase_person(session: Session, email: str, tracker: Engine | None) -> dict[str, int] | None:
    """Delete everything about the person (caller commits); returns the receipt's counts."""
    lead = _lead(session, email)
    if lead is None:
        return None
    senders = [
        s
        for (s,) in session.execute(
            select(Conversation.sender_id).where(Conversation.lead_id == lead.id)
        ).all()
    ]
    counts = {
        "conversations": len(senders),
        "outbox_messages": session.execute(
            delete(OutboxMessage).where(OutboxMessage.lead_id == lead.id)
        ).rowcount
        or 0,
        "callback_requests": session.execute(
            delete(CallbackRequest).where(CallbackRequest.lead_id == lead.id)
        ).rowcount
        or 0,
        "tracker_events": _erase_tracker(tracker, senders),
    }
    session.execute(delete(Conversation).where(Conversation.lead_id == lead.id))
    session.execute(update(Lead).where(Lead.referred_by_id == lead.id).values(referred_by_id=None))
    session.delete(lead)
    counts["leads"] = 1
    session.add(ErasureReceipt(counts=counts))
    session.flush()
    return counts


def _erase_tracker(tracker: Engine | None, senders: list[str]) -> int:
    if tracker is None or not senders:
        return 0
    try:
        with tracker.begin() as conn:
            deleted = 0
            for sender in senders:
                deleted += (
                    conn.execute(text("DELETE FROM events WHERE sender_id = :s"), {"s": sender}).rowcount or 0
                )
            return deleted
    except (OperationalError, ProgrammingError):
        return 0  # no tracker store yet


def receipts(session: Session) -> int:
    """How many erasures were recorded."""
    return int(session.execute(select(func.count()).select_from(ErasureReceipt)).scalar() or 0)
