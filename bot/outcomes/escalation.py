"""Escalating breached follow-ups: once per breach, through the outbox, from the worker's periodic check.

The worker runs `sla_escalations` before each delivery pass (like the nurture jobs); it
looks at most once a minute. Each breach is claimed by inserting its key into
`sla_escalations` (unique) in the same transaction that queues its messages: two workers,
a retried pass or a restart can never escalate a breach twice, and a message that fails
to deliver is retried by the outbox with the same event id (never queued again).

Only breaches whose deadline passed within ESCALATION_WINDOW are escalated: turning the SLA
on over an old lead store shows the old ones as overdue in the console without mailing the
manager about each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.notify.escalations import Breach, escalation_messages
from bot.outcomes.followup import open_follow_ups
from bot.outcomes.sla import KINDS, FollowUp
from bot.playbook import Playbook, Sla
from bot.store.meetings import record_event
from bot.store.models import SlaEscalation
from bot.store.outbox import enqueue

logger = logging.getLogger(__name__)

ESCALATION_WINDOW = timedelta(days=7)
CHECK_EVERY = timedelta(minutes=1)


def target_words(kind: str, sla: Sla) -> str:
    """The target a follow-up of `kind` had, in words."""
    if kind == "callback":
        return f"answered within {sla.callback_within_business_hours:g} business hours"
    if kind == "outcome":
        return f"outcome recorded within {sla.outcome_within_days:g} days after the meeting"
    return f"contacted within {sla.requalified_contact_within_days:g} days of requalifying"


def escalate_breaches(
    session: Session, playbook: Playbook, now: datetime, *, mail_from: str, public_url: str
) -> list[FollowUp]:
    """Escalate every overdue follow-up not escalated before (caller commits); the ones escalated now."""
    to = playbook.sla.escalate_to
    if to is None:
        return []
    overdue = [
        item
        for item in open_follow_ups(session, playbook, now, due_since=now - ESCALATION_WINDOW)
        if item.overdue(now)
    ]
    if not overdue:
        return []
    keys = [item.breach for item in overdue]
    known = set(session.execute(select(SlaEscalation.breach).where(SlaEscalation.breach.in_(keys))).scalars())
    escalated = []
    for item in overdue:
        if item.breach in known:
            continue
        try:
            with session.begin_nested():
                session.add(
                    SlaEscalation(
                        breach=item.breach,
                        kind=item.kind,
                        lead_id=item.lead_id,
                        rep_email=item.rep_email,
                        due_at=item.due_at,
                        escalated_at=now,
                        escalated_to=to.email or to.name,
                    )
                )
                session.flush()
        except IntegrityError:
            continue  # another worker escalated it first
        rep = playbook.booking.rep(item.rep_email)
        breach = Breach(
            item=item,
            rep_name=rep.name if rep else item.rep_email,
            zone=rep.time_zone if rep else "UTC",
            manager=to.name,
            target=target_words(item.kind, playbook.sla),
            console_url=f"{public_url}/console/followup",
            lead_url=f"{public_url}/console/leads/{item.lead_id}",
            now=now,
        )
        enqueue(session=session, messages=escalation_messages(breach, to, mail_from=mail_from), now=now)
        record_event(
            session=session,
            lead_id=item.lead_id,
            conversation_id=None,
            kind="sla_escalated",
            detail={
                "what": KINDS[item.kind],
                "owner": breach.rep_name,
                "to": to.name,
                "due": item.due_at.isoformat(),
            },
        )
        escalated.append(item)
    return escalated


def sla_escalations(
    sessions: Callable[[], Session],
    playbook: Playbook,
    now: Callable[[], datetime],
    *,
    mail_from: str,
    public_url: str,
    every: timedelta = CHECK_EVERY,
) -> Callable[[], int]:
    """A worker job: at most once per `every`, escalate the breaches found since the last look."""
    last: list[datetime] = []

    def job() -> int:
        moment = now()
        if last and moment - last[0] < every:
            return 0
        last[:] = [moment]
        with sessions() as session, session.begin():
            done = escalate_breaches(session, playbook, moment, mail_from=mail_from, public_url=public_url)
        if done:
            logger.info("SLA: %d breached follow-up(s) escalated", len(done))
        return len(done)

    return job
