"""Meetings, rep time blocks, routing counts, callbacks and lead events.

A booking inserts the meeting and one row per 5-minute block of the rep's time it holds
(meeting plus buffer) under a savepoint; the unique key on (rep, block) rejects an
overlapping booking from any process, and the caller hears `SlotTaken`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models import (
    CallbackRequest,
    Conversation,
    Lead,
    LeadEvent,
    Meeting,
    MeetingBlock,
    NurtureSend,
    RepAssignment,
    utcnow,
)

BLOCK = 5  # minutes; matches bot.playbook.BLOCK_MINUTES


class SlotTaken(Exception):
    """Another booking already holds part of this rep's time."""


@dataclass(frozen=True)
class MeetingIn:
    """A meeting to book."""

    uid: str
    lead_id: int
    conversation_id: int | None
    meeting_type: str
    rep_email: str
    route_reason: str
    start: datetime
    end: datetime
    buffer_minutes: int
    visitor_time_zone: str
    attendee_email: str
    attendee_name: str | None = None
    asked_for_sales: bool = False  # the visitor asked for a person, sales or a demo
    booked_at: datetime | None = None  # the booking clock's now (default: the real time)


def utc(moment: datetime) -> datetime:
    """Aware UTC (SQLite hands back naive datetimes; they were stored as UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def blocks(start: datetime, end: datetime) -> range:
    """The 5-minute blocks (minutes since epoch // 5) covering [start, end)."""
    first = int(utc(start).timestamp() // 60) // BLOCK
    last = math.ceil(utc(end).timestamp() / 60 / BLOCK)
    return range(first, last)


def _add_blocks(session: Session, meeting: Meeting) -> None:
    span_end = utc(meeting.end_at) + timedelta(minutes=meeting.buffer_minutes)
    session.add_all(
        MeetingBlock(meeting_id=meeting.id, rep_email=meeting.rep_email, block=b)
        for b in blocks(meeting.start_at, span_end)
    )
    session.flush()


def _hold(session: Session, meeting: Meeting) -> None:
    """Claim the rep's blocks for `meeting`; raises SlotTaken if any is held."""
    try:
        with session.begin_nested():
            _add_blocks(session, meeting)
    except IntegrityError:
        raise SlotTaken(
            f"{meeting.rep_email} is no longer free at {utc(meeting.start_at).isoformat()}"
        ) from None


def conversation_id_for(*, session: Session, sender_id: str) -> int | None:
    """The stored conversation row id of a Rasa sender id."""
    return session.execute(select(Conversation.id).where(Conversation.sender_id == sender_id)).scalar()


def busy_spans(
    *, session: Session, rep_emails: Iterable[str], start: datetime, end: datetime
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Each rep's booked spans (meeting plus its buffer) that touch [start, end)."""
    emails = list(rep_emails)
    spans: dict[str, list[tuple[datetime, datetime]]] = {email: [] for email in emails}
    rows = session.execute(
        select(Meeting.rep_email, Meeting.start_at, Meeting.end_at, Meeting.buffer_minutes).where(
            Meeting.rep_email.in_(emails),
            Meeting.status == "booked",
            Meeting.start_at < end,
            Meeting.end_at > start - timedelta(days=1),
        )
    ).all()
    for email, s, e, buffer in rows:
        spans[email].append((utc(s), utc(e) + timedelta(minutes=buffer)))
    return spans


def assignment_counts(*, session: Session, meeting_type: str) -> dict[str, int]:
    """Rep email -> meetings of this type assigned so far."""
    rows = session.execute(
        select(RepAssignment.rep_email, RepAssignment.count).where(RepAssignment.meeting_type == meeting_type)
    ).all()
    return {email: int(count) for email, count in rows}


def company_owners(*, session: Session, domain: str | None) -> dict[str, str]:
    """{domain: rep email} for the rep of the latest meeting with someone at `domain`."""
    if not domain:
        return {}
    owner = session.execute(
        select(Meeting.rep_email)
        .join(Lead, Lead.id == Meeting.lead_id)
        .where(Lead.email.like(f"%@{domain}"))
        .order_by(Meeting.created_at.desc(), Meeting.id.desc())
        .limit(1)
    ).scalar()
    return {domain: owner} if owner else {}


def _count_assignment(session: Session, meeting_type: str, rep_email: str) -> None:
    changed = session.execute(
        update(RepAssignment)
        .where(RepAssignment.meeting_type == meeting_type, RepAssignment.rep_email == rep_email)
        .values(count=RepAssignment.count + 1)
    ).rowcount
    if changed:
        return
    try:
        with session.begin_nested():
            session.add(RepAssignment(meeting_type=meeting_type, rep_email=rep_email, count=1))
    except IntegrityError:  # another process created the row first
        session.execute(
            update(RepAssignment)
            .where(RepAssignment.meeting_type == meeting_type, RepAssignment.rep_email == rep_email)
            .values(count=RepAssignment.count + 1)
        )


def record_event(
    *, session: Session, lead_id: int, conversation_id: int | None, kind: str, detail: dict[str, Any]
) -> None:
    """Add an entry to the lead's history."""
    session.add(LeadEvent(lead_id=lead_id, conversation_id=conversation_id, kind=kind, detail=detail))


def book_meeting(*, session: Session, meeting: MeetingIn) -> Meeting:
    """Book atomically: the meeting, its blocks, the routing count and the lead's history."""
    row = Meeting(
        uid=meeting.uid,
        lead_id=meeting.lead_id,
        conversation_id=meeting.conversation_id,
        meeting_type=meeting.meeting_type,
        rep_email=meeting.rep_email,
        route_reason=meeting.route_reason,
        start_at=utc(meeting.start),
        end_at=utc(meeting.end),
        buffer_minutes=meeting.buffer_minutes,
        visitor_time_zone=meeting.visitor_time_zone,
        attendee_email=meeting.attendee_email,
        attendee_name=meeting.attendee_name,
        status="booked",
        sequence=0,
        created_at=utc(meeting.booked_at) if meeting.booked_at else utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
            _add_blocks(session, row)
    except IntegrityError:
        raise SlotTaken(
            f"{meeting.rep_email} is no longer free at {utc(meeting.start).isoformat()}"
        ) from None
    _count_assignment(session, meeting.meeting_type, meeting.rep_email)
    record_event(
        session=session,
        lead_id=meeting.lead_id,
        conversation_id=meeting.conversation_id,
        kind="meeting_booked",
        detail={
            "uid": meeting.uid,
            "rep": meeting.rep_email,
            "start": utc(meeting.start).isoformat(),
            **({"asked_for_sales": True} if meeting.asked_for_sales else {}),
        },
    )
    return row


def get_meeting(*, session: Session, uid: str, for_update: bool = False) -> Meeting | None:
    """A meeting by its UID (locked for the transaction when `for_update`)."""
    query = select(Meeting).where(Meeting.uid == uid)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def active_meeting(
    *, session: Session, lead_id: int, meeting_type: str | None = None, now: datetime | None = None
) -> Meeting | None:
    """The lead's upcoming booked meeting (not yet over at `now`), if any."""
    query = select(Meeting).where(
        Meeting.lead_id == lead_id, Meeting.status == "booked", Meeting.end_at > (now or utcnow())
    )
    if meeting_type:
        query = query.where(Meeting.meeting_type == meeting_type)
    return session.execute(query.order_by(Meeting.start_at).limit(1)).scalar_one_or_none()


def lock_lead(*, session: Session, lead_id: int) -> None:
    """Hold the lead's row until the transaction ends, so two bookings of one lead happen one after the other.

    An UPDATE rather than SELECT ... FOR UPDATE: it also takes SQLite's write lock at once.
    """
    session.execute(update(Lead).where(Lead.id == lead_id).values(updated_at=Lead.updated_at))


def meeting_sequence(*, session: Session, uid: str) -> int | None:
    """The meeting's current SEQUENCE (None when there is no such meeting any more)."""
    value = session.execute(select(Meeting.sequence).where(Meeting.uid == uid)).scalar()
    return None if value is None else int(value)


def booking_flags(*, session: Session, meeting: Meeting) -> list[str]:
    """What sales should know about how this meeting came about, where the data says so."""
    flags = []
    booked = session.execute(
        select(LeadEvent.detail).where(
            LeadEvent.lead_id == meeting.lead_id, LeadEvent.kind == "meeting_booked"
        )
    ).scalars()
    if any(isinstance(d, dict) and d.get("uid") == meeting.uid and d.get("asked_for_sales") for d in booked):
        flags.append("asked for sales")
    conversations = session.execute(
        select(func.count()).select_from(Conversation).where(Conversation.lead_id == meeting.lead_id)
    ).scalar()
    if int(conversations or 0) > 1:
        flags.append("returning visitor")
    reminders = session.execute(
        select(func.count())
        .select_from(NurtureSend)
        .where(
            NurtureSend.lead_id == meeting.lead_id,
            NurtureSend.status == "sent",
            NurtureSend.sent_at <= meeting.created_at,
        )
    ).scalar()
    if int(reminders or 0):
        flags.append("booked after a reminder")
    earlier = session.execute(
        select(func.count())
        .select_from(Meeting)
        .where(
            Meeting.lead_id == meeting.lead_id,
            Meeting.id != meeting.id,
            Meeting.created_at <= meeting.created_at,
        )
    ).scalar()
    if int(earlier or 0):
        flags.append(f"booked before ({int(earlier)} earlier meeting{'s' if int(earlier) > 1 else ''})")
    return flags


def cancel_meeting(*, session: Session, meeting: Meeting, by: str) -> Meeting:
    """Cancel: free the rep's blocks, bump the sequence, note it in the lead's history."""
    session.execute(delete(MeetingBlock).where(MeetingBlock.meeting_id == meeting.id))
    meeting.status = "cancelled"
    meeting.cancelled_at = utcnow()
    meeting.sequence = (meeting.sequence or 0) + 1
    record_event(
        session=session,
        lead_id=meeting.lead_id,
        conversation_id=meeting.conversation_id,
        kind="meeting_cancelled",
        detail={"uid": meeting.uid, "by": by},
    )
    session.flush()
    return meeting


def reschedule_meeting(
    *, session: Session, meeting: Meeting, start: datetime, end: datetime, by: str
) -> Meeting:
    """Move a meeting (same UID, same rep); raises SlotTaken when the new time is held.

    After SlotTaken the caller rolls its transaction back (the old blocks were released).
    """
    old = utc(meeting.start_at)
    session.execute(delete(MeetingBlock).where(MeetingBlock.meeting_id == meeting.id))
    meeting.start_at, meeting.end_at = utc(start), utc(end)
    _hold(session, meeting)
    meeting.sequence = (meeting.sequence or 0) + 1
    record_event(
        session=session,
        lead_id=meeting.lead_id,
        conversation_id=meeting.conversation_id,
        kind="meeting_rescheduled",
        detail={"uid": meeting.uid, "by": by, "from": old.isoformat(), "to": utc(start).isoformat()},
    )
    session.flush()
    return meeting


def record_callback(
    *,
    session: Session,
    lead_id: int,
    conversation_id: int | None,
    meeting_type: str,
    preference: str,
    visitor_time_zone: str | None,
) -> CallbackRequest:
    """Store a callback request for sales (no suitable slot)."""
    row = CallbackRequest(
        lead_id=lead_id,
        conversation_id=conversation_id,
        meeting_type=meeting_type,
        preference=preference[:2000],
        visitor_time_zone=visitor_time_zone,
        status="open",
    )
    session.add(row)
    record_event(
        session=session,
        lead_id=lead_id,
        conversation_id=conversation_id,
        kind="callback_requested",
        detail={"meeting_type": meeting_type},
    )
    session.flush()
    return row


def record_meeting_declined(
    *, session: Session, lead_id: int, conversation_id: int | None, track: str | None
) -> None:
    """The visitor would rather get information: next step nurture, with the no-booking track."""
    session.execute(update(Lead).where(Lead.id == lead_id).values(next_step="nurture", nurture_track=track))
    record_event(
        session=session,
        lead_id=lead_id,
        conversation_id=conversation_id,
        kind="meeting_declined",
        detail={"track": track},
    )


def list_meetings(
    *, session: Session, rep_email: str | None = None, start: datetime | None = None, limit: int = 200
) -> list[Meeting]:
    """Meetings ordered by start, optionally for one rep and from a moment on."""
    query = select(Meeting)
    if rep_email:
        query = query.where(Meeting.rep_email == rep_email.lower())
    if start:
        query = query.where(Meeting.start_at >= start)
    return list(session.execute(query.order_by(Meeting.start_at).limit(limit)).scalars())


def count_blocks(*, session: Session) -> int:
    """Blocks held (for tests and status)."""
    return int(session.execute(select(func.count()).select_from(MeetingBlock)).scalar() or 0)
