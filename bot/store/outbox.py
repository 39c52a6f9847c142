"""The transactional outbox: enqueue in the caller's transaction, claim, mark sent or retry.

Claiming is safe with several workers on PostgreSQL: due rows are selected with
`FOR UPDATE SKIP LOCKED` and leased in the same transaction, so two workers never hold
the same row. SQLite has one writer at a time, which gives the same guarantee.
A worker that dies mid-delivery loses its lease and the row is delivered again later;
the `event_id` travels with every message so a receiver can drop the repeat.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.store.models import OutboxMessage

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(minutes=30)


@dataclass(frozen=True)
class OutboxIn:
    """A message to deliver later: an email or a webhook call."""

    kind: str  # email | webhook
    topic: str  # meeting.booked, meeting.rescheduled, meeting.cancelled, ...
    payload: dict[str, Any]
    lead_id: int | None = None
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)


def generic_webhook(
    topic: str, body_for: Callable[[str], dict[str, Any]], lead_id: int | None = None
) -> OutboxIn:
    """A call of the generic webhook whose body carries the message's own event id (for idempotency)."""
    event_id = uuid.uuid4().hex
    return OutboxIn(
        "webhook", topic, {"target": "generic", "body": body_for(event_id)}, lead_id, event_id=event_id
    )


@dataclass(frozen=True)
class Claimed:
    """A row leased to this worker."""

    id: int
    event_id: str
    kind: str
    topic: str
    payload: dict[str, Any]
    attempts: int


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def enqueue(*, session: Session, messages: Sequence[OutboxIn], now: datetime | None = None) -> None:
    """Add messages in the caller's transaction (they are sent only if it commits)."""
    at = now or datetime.now(timezone.utc)
    for message in messages:
        session.add(
            OutboxMessage(
                event_id=message.event_id,
                kind=message.kind,
                topic=message.topic,
                lead_id=message.lead_id,
                payload=message.payload,
                status="pending",
                attempts=0,
                next_attempt_at=at,
                created_at=at,
            )
        )
    session.flush()


def claim_due(*, session: Session, now: datetime, limit: int = 20) -> list[Claimed]:
    """Lease up to `limit` due rows to the caller (commit the session to keep the lease)."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = session.execute(query).scalars().all()
    claimed = []
    for row in rows:
        row.lease_until = now + LEASE
        row.attempts = (row.attempts or 0) + 1
        claimed.append(Claimed(row.id, row.event_id, row.kind, row.topic, dict(row.payload), row.attempts))
    session.flush()
    return claimed


def backoff(attempts: int) -> timedelta:
    """Exponential backoff: 10 s, 20 s, 40 s ... capped at 30 minutes."""
    return min(timedelta(seconds=10 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def mark_sent(*, session: Session, message_id: int, now: datetime) -> None:
    """Delivered: never sent again."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status="sent", sent_at=now, lease_until=None, last_error=None)
    )


def mark_failed_attempt(
    *, session: Session, message_id: int, attempts: int, error: str, now: datetime, permanent: bool = False
) -> None:
    """Keep the row and try again after the backoff; a permanent failure stops retries."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            status="failed" if permanent else "pending",
            next_attempt_at=now + backoff(attempts),
            lease_until=None,
            last_error=error[:2000],
        )
    )


def retry_failed(*, session: Session, now: datetime) -> int:
    """Put permanently failed messages back in the queue (after fixing the cause)."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "failed")
        .values(status="pending", next_attempt_at=now, lease_until=None)
    )
    return int(result.rowcount or 0)


def status_counts(*, session: Session, now: datetime) -> dict[str, Any]:
    """Counts by status and kind, the oldest pending message and the latest errors."""
    rows = session.execute(
        select(OutboxMessage.status, OutboxMessage.kind, func.count()).group_by(
            OutboxMessage.status, OutboxMessage.kind
        )
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for status, kind, count in rows:
        counts.setdefault(status, {})[kind] = int(count)
    oldest = session.execute(
        select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status == "pending")
    ).scalar()
    errors = session.execute(
        select(
            OutboxMessage.event_id,
            OutboxMessage.kind,
            OutboxMessage.topic,
            OutboxMessage.attempts,
            OutboxMessage.last_error,
            OutboxMessage.status,
        )
        .where(OutboxMessage.last_error.is_not(None), OutboxMessage.status != "sent")
        .order_by(OutboxMessage.id.desc())
        .limit(10)
    ).all()
    return {
        "counts": counts,
        "oldest_pending_age_seconds": int((now - _utc(oldest)).total_seconds()) if oldest else None,
        "recent_errors": [
            {"event_id": e, "kind": k, "topic": t, "attempts": a, "error": err, "status": s}
            for e, k, t, a, err, s in errors
        ],
    }
