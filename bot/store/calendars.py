"""The latest read of each rep's calendar, kept so the console can list the ones that fail."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models import CalendarHealth


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def record_calendar_read(
    *,
    session: Session,
    rep_email: str,
    source: str,
    checked_at: datetime,
    ok_at: datetime | None,
    failing_since: datetime | None,
    error: str | None,
) -> None:
    """Keep the outcome of a calendar read (one row per rep, the latest read wins)."""
    values = {
        "source": source[:500],
        "checked_at": checked_at,
        "ok_at": ok_at,
        "failing_since": failing_since,
        "error": error[:2000] if error else None,
    }
    changed = session.execute(
        update(CalendarHealth).where(CalendarHealth.rep_email == rep_email).values(**values)
    ).rowcount
    if changed:
        return
    try:
        with session.begin_nested():
            session.add(CalendarHealth(rep_email=rep_email, **values))
    except IntegrityError:  # another process wrote the first row a moment ago
        session.execute(update(CalendarHealth).where(CalendarHealth.rep_email == rep_email).values(**values))


def failing_calendars(*, session: Session) -> list[dict[str, object]]:
    """Calendars whose latest read failed, longest failing first."""
    rows = session.execute(
        select(CalendarHealth)
        .where(CalendarHealth.failing_since.is_not(None))
        .order_by(CalendarHealth.failing_since, CalendarHealth.rep_email)
    ).scalars()
    return [
        {
            "rep_email": row.rep_email,
            "source": row.source,
            "failing_since": _utc(row.failing_since),
            "checked_at": _utc(row.checked_at),
            "ok_at": _utc(row.ok_at),
            "error": row.error,
        }
        for row in rows
    ]
