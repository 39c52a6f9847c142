"""Recording an outcome from sales, wherever it comes from (console, one-click link, CRM webhook).

Every recording is checked against the one vocabulary (bot.outcomes), lands in the lead's
history with who, how and when, and answers the lead's open callback requests. It is an
idempotent state transition: the same outcome again changes nothing, and the one-click links
and the CRM never move a meeting back a stage (a late click on "held" after "accepted" is
kept as "accepted"); the console can, as a deliberate correction. A link's nonce or a CRM
event id is used once (`used_nonces`' primary key): a replay changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from bot.outcomes import ACCEPTED, OUTCOMES, STAGE, VERDICTS, VIAS, WITH_REASON
from bot.store.meetings import get_meeting, lock_lead, record_event, utc
from bot.store.models import CallbackRequest, Lead, Meeting, SalesOutcome, UsedNonce
from bot.store.repository import normalise_email
from bot.vocab import REASONS

NOTE_LIMIT = 2000


class OutcomeError(ValueError):
    """An outcome that cannot be recorded; `kind` is invalid, not_found or conflict."""

    def __init__(self, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class OutcomeIn:
    """An outcome to record: for a meeting (by uid), or for a lead (by id or email), by whom and how."""

    outcome: str
    by: str
    via: str
    meeting_uid: str | None = None
    lead_id: int | None = None
    lead_email: str | None = None
    callback_id: int | None = None
    reason: str | None = None
    note: str | None = None
    nonce: str | None = None  # "link:<nonce>" or "crm:<event id>": used once


@dataclass(frozen=True)
class Recorded:
    """What recording did: `changed` False for a repeat, a step back, or a replayed nonce."""

    lead_id: int
    outcome: str
    meeting_uid: str | None
    changed: bool
    current: str  # the meeting's (or lead's) outcome now
    replayed: bool = False


def checked(item: OutcomeIn) -> OutcomeIn:
    """The outcome with its reason and note normalised; OutcomeError naming what is wrong."""
    if item.outcome not in OUTCOMES:
        raise OutcomeError(f"outcome must be one of {', '.join(OUTCOMES)} (got {item.outcome!r})")
    if item.via not in VIAS:
        raise OutcomeError(f"via must be one of {', '.join(VIAS)}")
    reason = (item.reason or "").strip() or None
    note = " ".join((item.note or "").split()) or None
    if note and len(note) > NOTE_LIMIT:
        raise OutcomeError(f"the note is longer than {NOTE_LIMIT} characters")
    if reason is not None and reason not in REASONS:
        raise OutcomeError(f"reason must be one of {', '.join(REASONS)} (or give a note)")
    if reason is not None and item.outcome not in WITH_REASON:
        raise OutcomeError(f"a reason goes with {' or '.join(WITH_REASON)} only")
    if item.outcome == "rejected" and reason is None and note is None:
        raise OutcomeError("a rejection needs a reason or a note saying why")
    if item.outcome == "contacted" and item.meeting_uid:
        raise OutcomeError("contacted is for a callback or a lead, not a meeting: use held")
    if not item.by.strip():
        raise OutcomeError("who recorded it is required")
    return replace(item, reason=reason, note=note, by=item.by.strip()[:320])


def _target(session: Session, item: OutcomeIn, now: datetime) -> tuple[int, Meeting | None]:
    if item.meeting_uid:
        meeting = get_meeting(session=session, uid=item.meeting_uid)
        if meeting is None:
            raise OutcomeError("no such meeting", "not_found")
        if item.lead_id is not None and meeting.lead_id != item.lead_id:
            raise OutcomeError("that meeting is another lead's", "not_found")
        return int(meeting.lead_id), meeting
    lead_id = item.lead_id
    if lead_id is None and item.lead_email:
        lead_id = session.execute(
            select(Lead.id).where(Lead.email == normalise_email(item.lead_email))
        ).scalar()
    if lead_id is None or session.get(Lead, lead_id) is None:
        raise OutcomeError("no such lead", "not_found")
    if item.outcome == "contacted":
        return int(lead_id), None
    # A lead named without a meeting: its latest meeting that has started, if it had one.
    meeting = session.execute(
        select(Meeting)
        .where(Meeting.lead_id == lead_id, Meeting.status == "booked", Meeting.start_at <= now)
        .order_by(Meeting.start_at.desc(), Meeting.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return int(lead_id), meeting


def _current(session: Session, lead_id: int, meeting: Meeting | None) -> SalesOutcome | None:
    query = select(SalesOutcome).where(SalesOutcome.lead_id == lead_id)
    query = query.where(
        SalesOutcome.meeting_id == meeting.id if meeting is not None else SalesOutcome.meeting_id.is_(None)
    )
    return session.execute(
        query.order_by(SalesOutcome.recorded_at.desc(), SalesOutcome.id.desc()).limit(1)
    ).scalar_one_or_none()


def _use_nonce(session: Session, nonce: str, now: datetime) -> UsedNonce | None:
    """The nonce's row, newly claimed; None when it was used before (by anyone, any process)."""
    if session.get(UsedNonce, nonce) is not None:
        return None
    row = UsedNonce(nonce=nonce, used_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def record_outcome(*, session: Session, item: OutcomeIn, now: datetime) -> Recorded:
    """Record `item` in the caller's transaction (see the module docstring); OutcomeError when it cannot be."""
    item = checked(item)
    lead_id, meeting = _target(session, item, now)
    uid = meeting.uid if meeting is not None else None
    if meeting is not None:
        if meeting.status != "booked":
            raise OutcomeError("the meeting was cancelled: there is no outcome to record", "conflict")
        if item.outcome in ("held", "no_show") and utc(meeting.start_at) > now:
            raise OutcomeError("the meeting has not started yet", "conflict")
    if item.callback_id is not None:
        callback = session.get(CallbackRequest, item.callback_id)
        if callback is None or callback.lead_id != lead_id:
            raise OutcomeError("no such callback request for this lead", "not_found")
    used = None
    if item.nonce:
        used = _use_nonce(session, item.nonce, now)
        if used is None:
            current = _current(session, lead_id, meeting)
            return Recorded(lead_id, item.outcome, uid, False, current.outcome if current else "", True)
    lock_lead(session=session, lead_id=lead_id)  # two recordings of one lead happen one after the other
    current = _current(session, lead_id, meeting)
    if current is not None:
        same = (current.outcome, current.reason, current.note) == (item.outcome, item.reason, item.note)
        back = STAGE[item.outcome] < STAGE.get(current.outcome, 0) and item.via != "console"
        if same or back:
            return Recorded(lead_id, item.outcome, uid, False, current.outcome)
    row = SalesOutcome(
        lead_id=lead_id,
        meeting_id=meeting.id if meeting is not None else None,
        callback_id=item.callback_id,
        outcome=item.outcome,
        reason=item.reason,
        note=item.note,
        via=item.via,
        recorded_by=item.by,
        recorded_at=now,
    )
    session.add(row)
    session.flush()
    if used is not None:
        used.outcome_id = row.id
    correction = current is not None and STAGE[item.outcome] < STAGE.get(current.outcome, 0)
    detail: dict[str, Any] = {
        "outcome": item.outcome,
        "reason": item.reason,
        "note": item.note,
        "by": item.by,
        "via": item.via.replace("_", " "),
        "uid": uid,
    }
    if correction and current is not None:
        detail["corrects"] = current.outcome
    record_event(
        session=session,
        lead_id=lead_id,
        conversation_id=meeting.conversation_id if meeting is not None else None,
        kind=f"outcome_{item.outcome}",
        detail={k: v for k, v in detail.items() if v is not None},
    )
    # Sales reached the lead: its open callback requests are answered.
    session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.lead_id == lead_id, CallbackRequest.status == "open")
        .values(status="answered")
    )
    session.flush()
    return Recorded(lead_id, item.outcome, uid, True, item.outcome)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def record(sessions: Callable[[], Session], item: OutcomeIn, now: Callable[[], datetime] = _now) -> Recorded:
    """Record in a transaction of its own (the web app's and the console's entry point)."""
    with sessions() as session, session.begin():
        return record_outcome(session=session, item=item, now=now())


def nonce_outcome(session: Session, nonce: str) -> tuple[bool, SalesOutcome | None]:
    """(whether the nonce was used, what its use recorded: None when it changed nothing)."""
    used = session.get(UsedNonce, nonce)
    if used is None:
        return False, None
    return True, session.get(SalesOutcome, used.outcome_id) if used.outcome_id else None


@dataclass(frozen=True)
class OutcomeRow:
    """An outcome as the console shows it."""

    outcome: str
    reason: str | None
    note: str | None
    by: str
    via: str
    at: datetime
    meeting_id: int | None


def _row(o: SalesOutcome) -> OutcomeRow:
    return OutcomeRow(o.outcome, o.reason, o.note, o.recorded_by, o.via, utc(o.recorded_at), o.meeting_id)


def latest_per_meeting(session: Session, meeting_ids: Iterable[int]) -> dict[int, OutcomeRow]:
    """Meeting id -> its latest outcome (meetings without one are left out)."""
    ids = sorted(set(meeting_ids))
    found: dict[int, OutcomeRow] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(SalesOutcome)
            .where(SalesOutcome.meeting_id.in_(ids[start : start + 500]))
            .order_by(SalesOutcome.recorded_at, SalesOutcome.id)
        ).scalars()
        for o in rows:
            found[int(o.meeting_id)] = _row(o)
    return found


def lead_outcomes(session: Session, lead_id: int) -> list[OutcomeRow]:
    """Every outcome recorded for the lead, oldest first."""
    rows = session.execute(
        select(SalesOutcome)
        .where(SalesOutcome.lead_id == lead_id)
        .order_by(SalesOutcome.recorded_at, SalesOutcome.id)
    ).scalars()
    return [_row(o) for o in rows]


def lead_verdicts(name: str = "verdicts") -> Subquery:
    """The one definition of sales' verdict on a lead: its latest accepted / rejected / won / lost outcome.

    Columns: lead_id, outcome, reason, accepted (1 when the outcome is accepted, won or lost),
    recorded_at. A lead without a verdict has no row.
    """
    ranked = (
        select(
            SalesOutcome.lead_id,
            SalesOutcome.outcome,
            SalesOutcome.reason,
            SalesOutcome.recorded_at,
            func.row_number()
            .over(
                partition_by=SalesOutcome.lead_id,
                order_by=(SalesOutcome.recorded_at.desc(), SalesOutcome.id.desc()),
            )
            .label("n"),
        )
        .where(SalesOutcome.outcome.in_(VERDICTS))
        .subquery(f"{name}_ranked")
    )
    return (
        select(
            ranked.c.lead_id,
            ranked.c.outcome,
            ranked.c.reason,
            ranked.c.recorded_at,
            case((ranked.c.outcome.in_(ACCEPTED), 1), else_=0).label("accepted"),
        )
        .where(ranked.c.n == 1)
        .subquery(name)
    )
