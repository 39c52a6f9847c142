"""The follow-up SLA as plain functions: business hours, when a follow-up is due, due versus overdue.

Three kinds of follow-up, each owned by a rep (the playbook's `sla` sets the targets):

- `callback`: a callback request (a visitor who asked for a person or a call and got no
  booked time) answered within `callback_within_business_hours` of the owning rep's
  working hours (their time zone and weekday windows; a rep without any counts every hour);
- `outcome`: a meeting's outcome (no-show, accepted, rejected, won or lost) recorded within
  `outcome_within_days` after it ended;
- `requalified`: a nurture lead that requalified contacted (an outcome recorded, or a
  meeting booked) within `requalified_contact_within_days`.

A follow-up is *due* until its deadline and *overdue* after it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from bot.playbook import WEEKDAYS, Rep, Sla, parse_window

KINDS: dict[str, str] = {
    "callback": "callback request to answer",
    "outcome": "meeting outcome to record",
    "requalified": "requalified lead to contact",
}
UNASSIGNED = "(unassigned)"


@dataclass(frozen=True)
class FollowUp:
    """One open follow-up: what, for which lead, whose, since when and by when."""

    kind: str  # callback | outcome | requalified
    ref: int  # the callback request's, meeting's or requalified event's id
    lead_id: int
    rep_email: str
    opened_at: datetime
    due_at: datetime
    lead_name: str | None = None
    lead_email: str | None = None
    company: str | None = None
    meeting_uid: str | None = None
    callback_id: int | None = None

    @property
    def breach(self) -> str:
        """The key a breach of this follow-up is escalated under, once (bot.store.models.SlaEscalation)."""
        return f"{self.kind}:{self.ref}"

    def overdue(self, now: datetime) -> bool:
        """Past its deadline."""
        return now >= self.due_at


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def add_business_hours(start: datetime, hours: float, rep: Rep | None) -> datetime:
    """The moment `hours` of the rep's working time after `start` (every hour counts without a rep or hours)."""
    start = _utc(start)
    if rep is None or not any(rep.working_hours.values()):
        return start + timedelta(hours=hours)
    zone = ZoneInfo(rep.time_zone)
    left = timedelta(hours=hours)
    day = start.astimezone(zone).date()
    for _ in range(800):  # a rep works at least one day a week: ends well within this
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        windows = sorted(parse_window(w) for w in rep.working_hours.get(WEEKDAYS[day.weekday()], []))
        for first, last in windows:
            # wall-clock arithmetic in the rep's zone, then UTC: a DST change keeps 09:00 at 09:00
            opens = _utc(midnight + timedelta(minutes=first))
            closes = _utc(midnight + timedelta(minutes=last))
            begin = max(opens, start)
            if begin >= closes:
                continue
            if closes - begin >= left:
                return begin + left
            left -= closes - begin
        day += timedelta(days=1)
    raise ValueError(f"{rep.email} has no working hours to count")


def deadline(kind: str, opened_at: datetime, sla: Sla, rep: Rep | None) -> datetime:
    """When a follow-up of `kind` opened at `opened_at` is due."""
    if kind == "callback":
        return add_business_hours(opened_at, sla.callback_within_business_hours, rep)
    if kind == "outcome":
        return _utc(opened_at) + timedelta(days=sla.outcome_within_days)
    if kind == "requalified":
        return _utc(opened_at) + timedelta(days=sla.requalified_contact_within_days)
    raise ValueError(f"unknown follow-up kind {kind!r}")


def per_rep(items: Iterable[FollowUp], now: datetime) -> list[dict[str, Any]]:
    """Per rep: due and overdue follow-ups, in total and by kind (reps by email; the page names them)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for item in items:
        state = "overdue" if item.overdue(now) else "due"
        row = counts[item.rep_email]
        row[state] += 1
        row[f"{item.kind}_{state}"] += 1
    keys = ["due", "overdue", *[f"{kind}_{state}" for kind in KINDS for state in ("due", "overdue")]]
    return [{"rep": rep, **{key: counts[rep].get(key, 0) for key in keys}} for rep in sorted(counts)]
