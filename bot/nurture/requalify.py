"""Re-score nurtured leads against the current playbook (and today's date) and list upgrades.

A lead's stored answers (latest per field) are scored again; a timeline that has come
closer counts. Applying an upgrade records a score snapshot, marks the lead qualified
with next step book_demo, stops its nurture and notes the requalification in its
history. The requalification rate is computed from that history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from bot.nurture.service import stop_nurture
from bot.playbook import Playbook
from bot.scoring import score_lead
from bot.store.meetings import record_event
from bot.store.models import Lead, LeadEvent, ScoreSnapshot
from bot.store.repository import record_score, stored_profile


@dataclass(frozen=True)
class Upgrade:
    """A nurtured lead that qualifies now."""

    lead_id: int
    email: str | None
    old_score: int | None
    new_score: int
    old_reasons: list[str]


def requalify(session: Session, playbook: Playbook, *, today: date, apply: bool) -> list[Upgrade]:
    """Re-score every nurtured lead; with `apply`, record the upgrades (caller commits)."""
    upgrades = []
    leads = session.execute(select(Lead).where(Lead.grade == "nurture").order_by(Lead.id)).scalars().all()
    for lead in leads:
        result = score_lead(stored_profile(session, lead.id), playbook, today=today)
        if result.grade != "qualified":
            continue
        upgrades.append(Upgrade(lead.id, lead.email, lead.score, result.score, list(lead.reasons or [])))
        if not apply:
            continue
        record_event(
            session=session,
            lead_id=lead.id,
            conversation_id=None,
            kind="requalified",
            detail={
                "from_score": lead.score,
                "to_score": result.score,
                "from_reasons": lead.reasons,
                "playbook_version": result.playbook_version,
                "by": "rescore",
            },
        )
        record_score(session=session, lead=lead, result=result)
        stop_nurture(session, lead.id, "requalified")
    session.flush()
    return upgrades


def requalification_rate(session: Session, start: datetime, end: datetime) -> dict[str, Any]:
    """Nurtured leads (scored nurture in the period) that were requalified in the period."""
    nurtured = (
        session.execute(
            select(func.count(distinct(ScoreSnapshot.lead_id))).where(
                ScoreSnapshot.grade == "nurture",
                ScoreSnapshot.created_at >= start,
                ScoreSnapshot.created_at < end,
            )
        ).scalar()
        or 0
    )
    requalified = (
        session.execute(
            select(func.count(distinct(LeadEvent.lead_id))).where(
                LeadEvent.kind == "requalified", LeadEvent.created_at >= start, LeadEvent.created_at < end
            )
        ).scalar()
        or 0
    )
    return {
        "nurtured": int(nurtured),
        "requalified": int(requalified),
        "rate": round(requalified / nurtured, 4) if nurtured else None,
    }
