"""The lead page's outcome section: its meetings with their latest outcome, its callbacks, the form's choices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.describe import reason_words
from bot.outcomes import OUTCOMES, outcome_words
from bot.outcomes.service import latest_per_meeting
from bot.playbook import Playbook
from bot.store.meetings import utc
from bot.store.models import CallbackRequest, Meeting
from bot.vocab import REASONS


def _iso(moment: datetime | None) -> str | None:
    return utc(moment).isoformat() if moment else None


#: The outcomes the forms offer for each kind of follow-up (a meeting's, or the lead's own).
MEETING_CHOICES = ("held", "no_show", "accepted", "rejected", "won", "lost")
LEAD_CHOICES = ("contacted", "accepted", "rejected", "won", "lost")


def choices(kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    """(code, words) for a form's outcome select."""
    return [(code, outcome_words(code)) for code in kinds if code in OUTCOMES]


def reason_choices() -> list[tuple[str, str]]:
    """(code, words) of the rejection reasons: the disqualification vocabulary."""
    return [(code, reason_words(code)) for code in REASONS]


def outcome_panel(session: Session, lead_id: int, playbook: Playbook) -> dict[str, Any]:
    """The lead page's outcome section: its meetings with their latest outcome, its open callbacks, the choices."""
    meetings = (
        session.execute(
            select(Meeting).where(Meeting.lead_id == lead_id).order_by(Meeting.start_at, Meeting.id)
        )
        .scalars()
        .all()
    )
    latest = latest_per_meeting(session, [m.id for m in meetings])
    callbacks = (
        session.execute(
            select(CallbackRequest).where(CallbackRequest.lead_id == lead_id).order_by(CallbackRequest.id)
        )
        .scalars()
        .all()
    )
    rows = []
    for m in meetings:
        kind = playbook.booking.meeting_types.get(m.meeting_type)
        rep = playbook.booking.rep(m.rep_email)
        now = latest.get(m.id)
        rows.append(
            {
                "uid": m.uid,
                "label": kind.label if kind else m.meeting_type,
                "status": m.status,
                "start": _iso(m.start_at),
                "rep": rep.name if rep else m.rep_email,
                "outcome": outcome_words(now.outcome) if now else None,
                "reason": reason_words(now.reason) if now and now.reason else None,
                "by": now.by if now else None,
                "at": _iso(now.at) if now else None,
            }
        )
    return {
        "meetings": rows,
        "callbacks": [
            {"id": c.id, "at": _iso(c.created_at), "status": c.status, "preference": c.preference}
            for c in callbacks
        ],
        "meeting_choices": choices(MEETING_CHOICES),
        "lead_choices": choices(LEAD_CHOICES),
        "reasons": reason_choices(),
    }
