"""The open follow-ups in the lead store, each with its owner and deadline (bot/outcomes/sla.py).

Owners: a meeting's rep owns its outcome; a callback request or a requalified lead belongs
to the rep of the lead's latest meeting when there is one (still an active rep), else to
the rep routing would pick for it now (territory, then the default queue, ties by the
playbook's order: bot.booking.routing with no assignment counts, so it is the same rep on
every page and in every escalation).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from bot.booking.routing import LeadFacts, route
from bot.outcomes import SETTLING
from bot.outcomes.sla import UNASSIGNED, FollowUp, deadline
from bot.playbook import Playbook
from bot.profile import UNSCORED_FIELDS, scoring_profile
from bot.store.meetings import utc
from bot.store.models import Answer, CallbackRequest, Lead, LeadEvent, Meeting, SalesOutcome

CHUNK = 500


def stored_profiles(
    session: Session, lead_ids: Iterable[int], fields: Iterable[str] | None = None
) -> dict[int, dict[str, Any]]:
    """Lead id -> scoring profile (bot.profile.scoring_profile, as every re-score), read in chunks.

    With `fields`, only those answers are read (routing needs four of them).
    """
    ids = sorted(set(lead_ids))
    wanted = list(fields) if fields is not None else None
    signals: dict[int, Any] = {}
    profiles: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        if wanted is None:
            signals.update(
                {
                    i: s
                    for i, s in session.execute(select(Lead.id, Lead.signals).where(Lead.id.in_(part)))
                    if s
                }
            )
        query = select(Answer.lead_id, Answer.field, Answer.normalized, Answer.declined).where(
            Answer.lead_id.in_(part), Answer.field.not_in(UNSCORED_FIELDS)
        )
        if wanted is not None:
            query = query.where(Answer.field.in_(wanted))
        rows = session.execute(query.order_by(Answer.lead_id, Answer.answered_at, Answer.id))
        for lead_id, answers in groupby(rows, key=itemgetter(0)):
            profiles[lead_id] = scoring_profile((row[1:] for row in answers), signals.get(lead_id))
    for lead_id in ids:
        profiles.setdefault(lead_id, scoring_profile((), signals.get(lead_id)))
    return profiles


#: The answers territory routing reads (the email's domain only matters for company owners: not used here).
ROUTING_FIELDS = ("country", "industry", "company_size")


def _latest_reps(session: Session, lead_ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(lead_ids), CHUNK):
        rows = session.execute(
            select(Meeting.lead_id, Meeting.rep_email)
            .where(Meeting.lead_id.in_(lead_ids[start : start + CHUNK]))
            .order_by(Meeting.created_at, Meeting.id)
        )
        found.update({int(lead_id): rep for lead_id, rep in rows})
    return found


def owners(session: Session, playbook: Playbook, wanted: list[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """(lead id, meeting type) -> the owning rep's email (see the module docstring)."""
    lead_ids = sorted({lead_id for lead_id, _ in wanted})
    latest = _latest_reps(session, lead_ids)
    active = {rep.email for rep in playbook.booking.reps if rep.active}
    need_routing = [lead_id for lead_id in lead_ids if latest.get(lead_id) not in active]
    profiles = stored_profiles(session, need_routing, ROUTING_FIELDS)
    routed: dict[tuple[str, LeadFacts], str] = {}
    out = {}
    for lead_id, meeting_type in wanted:
        if latest.get(lead_id) in active:
            out[(lead_id, meeting_type)] = latest[lead_id]
            continue
        kind = meeting_type if meeting_type in playbook.booking.meeting_types else None
        kind = kind or next(iter(playbook.booking.meeting_types))
        facts = replace(LeadFacts.from_profile(profiles.get(lead_id, {})), email_domain=None)
        if (kind, facts) not in routed:
            chosen = route(playbook.booking, kind, facts, {})
            routed[(kind, facts)] = chosen.reps[0].email if chosen.reps else UNASSIGNED
        out[(lead_id, meeting_type)] = routed[(kind, facts)]
    return out


def open_follow_ups(
    session: Session, playbook: Playbook, now: datetime, *, due_since: datetime | None = None
) -> list[FollowUp]:
    """Every follow-up not done yet (due or overdue), soonest deadline first.

    With `due_since`, only those whose deadline is at or after it (the worker's escalation window).
    """
    sla = playbook.sla
    reps = {rep.email: rep for rep in playbook.booking.reps}
    items: list[FollowUp] = []

    settled = (
        select(SalesOutcome.id)
        .where(SalesOutcome.meeting_id == Meeting.id, SalesOutcome.outcome.in_(SETTLING))
        .exists()
    )
    meetings = (
        select(
            Meeting.id,
            Meeting.uid,
            Meeting.lead_id,
            Meeting.rep_email,
            Meeting.end_at,
            Lead.name,
            Lead.email,
            Lead.company_name,
        )
        .join(Lead, Lead.id == Meeting.lead_id)
        .where(Meeting.status == "booked", Meeting.end_at <= now, ~settled)
    )
    if due_since is not None:
        meetings = meetings.where(Meeting.end_at >= due_since - timedelta(days=sla.outcome_within_days))
    for m_id, uid, lead_id, rep_email, end_at, name, email, company in session.execute(meetings):
        items.append(
            FollowUp(
                "outcome",
                int(m_id),
                int(lead_id),
                rep_email,
                utc(end_at),
                deadline("outcome", end_at, sla, reps.get(rep_email)),
                name,
                email,
                company,
                meeting_uid=uid,
            )
        )

    booked_since_callback = (
        select(Meeting.id)
        .where(Meeting.lead_id == CallbackRequest.lead_id, Meeting.created_at >= CallbackRequest.created_at)
        .exists()
    )
    callback_query = (
        select(
            CallbackRequest.id,
            CallbackRequest.lead_id,
            CallbackRequest.meeting_type,
            CallbackRequest.created_at,
            Lead.name,
            Lead.email,
            Lead.company_name,
        )
        .join(Lead, Lead.id == CallbackRequest.lead_id)
        .where(CallbackRequest.status == "open", CallbackRequest.created_at <= now, ~booked_since_callback)
    )
    if due_since is not None:  # N business hours take at most N weeks, even for a rep working an hour a week
        weeks = max(2, math.ceil(sla.callback_within_business_hours))
        callback_query = callback_query.where(
            CallbackRequest.created_at >= due_since - timedelta(weeks=weeks)
        )
    callbacks = session.execute(callback_query).all()

    contacted = (
        select(SalesOutcome.id)
        .where(SalesOutcome.lead_id == LeadEvent.lead_id, SalesOutcome.recorded_at >= LeadEvent.created_at)
        .exists()
    )
    booked_since = (
        select(Meeting.id)
        .where(and_(Meeting.lead_id == LeadEvent.lead_id, Meeting.created_at >= LeadEvent.created_at))
        .exists()
    )
    requalified_query = (
        select(
            LeadEvent.id, LeadEvent.lead_id, LeadEvent.created_at, Lead.name, Lead.email, Lead.company_name
        )
        .join(Lead, Lead.id == LeadEvent.lead_id)
        .where(LeadEvent.kind == "requalified", LeadEvent.created_at <= now, ~contacted, ~booked_since)
    )
    if due_since is not None:
        requalified_query = requalified_query.where(
            LeadEvent.created_at >= due_since - timedelta(days=sla.requalified_contact_within_days)
        )
    requalified = session.execute(requalified_query).all()

    demo = playbook.booking.next_step_meeting.get("book_demo", "")
    who = owners(
        session,
        playbook,
        [(int(c.lead_id), c.meeting_type) for c in callbacks] + [(int(r.lead_id), demo) for r in requalified],
    )
    for c_id, lead_id, meeting_type, created, name, email, company in callbacks:
        rep = who[(int(lead_id), meeting_type)]
        items.append(
            FollowUp(
                "callback",
                int(c_id),
                int(lead_id),
                rep,
                utc(created),
                deadline("callback", created, sla, reps.get(rep)),
                name,
                email,
                company,
                callback_id=int(c_id),
            )
        )
    for e_id, lead_id, created, name, email, company in requalified:
        rep = who[(int(lead_id), demo)]
        items.append(
            FollowUp(
                "requalified",
                int(e_id),
                int(lead_id),
                rep,
                utc(created),
                deadline("requalified", created, sla, reps.get(rep)),
                name,
                email,
                company,
            )
        )
    if due_since is not None:
        items = [item for item in items if item.due_at >= due_since]
    return sorted(items, key=lambda i: (i.due_at, i.kind, i.ref))
