"""The console's meetings page in the viewer's time zone: reps by name, failing calendars.

Plain functions over the rows of bot.console.queries and bot.store.calendars; the page
handler only reads the request and renders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.playbook import Playbook


def viewer_zone(name: str | None) -> ZoneInfo | None:
    """The viewer's IANA zone from the page's `tz` parameter (None: not a zone)."""
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(zone).strftime("%a %d %b %Y, %H:%M %Z")


def rep_name(playbook: Playbook, email: str) -> str:
    """The rep's name from the playbook (their email when they are no longer in it)."""
    rep = playbook.booking.rep(email)
    return rep.name if rep else email


def local_meetings(
    rows: Sequence[Mapping[str, Any]], playbook: Playbook, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """Upcoming meetings in time order, each with the rep's name and its start in the viewer's zone."""
    out = []
    for row in rows:
        start = datetime.fromisoformat(str(row["start"])).replace(tzinfo=timezone.utc)
        out.append(
            {
                **row,
                "start_at": start,
                "when": _local(start, zone),
                "rep_name": rep_name(playbook, row["rep"]),
            }
        )
    return sorted(out, key=lambda r: (r["start_at"], r["rep_name"]))


def calendar_problems(
    failing: Sequence[Mapping[str, Any]], playbook: Playbook, zone: ZoneInfo, now: datetime
) -> list[dict[str, Any]]:
    """Calendars that fail, longest first: since when, the error, and whether the rep offers no times."""
    limit = timedelta(minutes=playbook.booking.calendar_max_staleness_minutes)
    out = []
    for row in failing:
        ok_at = row.get("ok_at")
        withheld = ok_at is None or now - ok_at > limit
        out.append(
            {
                "rep_name": rep_name(playbook, str(row["rep_email"])),
                "source": row["source"],
                "since": _local(row["failing_since"], zone),
                "last_ok": _local(ok_at, zone) if ok_at else "never",
                "checked": _local(row.get("checked_at"), zone),
                "error": row.get("error") or "",
                "effect": "offers no times" if withheld else f"times from the read of {_local(ok_at, zone)}",
            }
        )
    return out
