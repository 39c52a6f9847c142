"""Who is enrolled where, and when nurture stops (pure rules)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.playbook import Playbook
from bot.vocab import KNOCKOUT_REASONS


def track_for(
    grade: str | None, reasons: Sequence[str], next_step: str | None, playbook: Playbook
) -> str | None:
    """The nurture track for an outcome, or None (qualified and booking, or a hard disqualification)."""
    if any(reason in KNOCKOUT_REASONS for reason in reasons) or grade == "disqualified":
        return None
    if grade == "qualified":
        return playbook.nurture_tracks.get("qualified_no_booking") if next_step == "nurture" else None
    primary = reasons[0] if reasons else "low_engagement"
    return playbook.nurture_tracks.get(primary)


def segment_for(
    grade: str | None, reasons: Sequence[str], next_step: str | None, playbook: Playbook
) -> str | None:
    """The segment stored with the lead: its track, or closed_<reason> for a disqualification."""
    if grade == "disqualified" or any(r in KNOCKOUT_REASONS for r in reasons):
        return f"closed_{reasons[0]}" if reasons else "closed"
    return track_for(grade, reasons, next_step, playbook)


@dataclass(frozen=True)
class LeadState:
    """What the stop conditions look at."""

    exists: bool
    unsubscribed_at: datetime | None
    bounced_at: datetime | None
    grade: str | None
    has_upcoming_meeting: bool
    track: str
    reminder_track: str | None  # the track of qualified leads who did not book (not stopped by "qualified")


def stop_reason(state: LeadState) -> str | None:
    """Why nurture must stop now: erased, unsubscribed, hard_bounce, booked, requalified; else None."""
    if not state.exists:
        return "erased"
    if state.unsubscribed_at is not None:
        return "unsubscribed"
    if state.bounced_at is not None:
        return "hard_bounce"
    if state.has_upcoming_meeting:
        return "booked"
    if state.grade == "qualified" and state.track != state.reminder_track:
        return "requalified"
    return None
