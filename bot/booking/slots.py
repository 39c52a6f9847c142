"""Free meeting slots of a rep: working hours in the rep's zone, buffers, notice, horizon.

All arithmetic on instants happens in UTC; wall-clock times (working hours) are built in
the rep's zone with zoneinfo, so daylight-saving changes move the UTC instants, never
the rep's local hours. A local time that does not exist (the spring-forward gap) is
skipped; an ambiguous one (fall back) uses its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.playbook import WEEKDAYS, MeetingType, Rep, parse_window

UTC = timezone.utc


@dataclass(frozen=True)
class Slot:
    """A free start time for one rep and meeting type (UTC instants)."""

    rep_email: str
    start: datetime
    end: datetime

    def key(self) -> str:
        """Stable text form used in button payloads: rep|ISO start."""
        return f"{self.rep_email}|{self.start.astimezone(UTC).isoformat()}"


def busy_span(start: datetime, end: datetime, buffer_minutes: int) -> tuple[datetime, datetime]:
    """The span a meeting keeps its rep busy: the meeting plus the buffer after it."""
    return start, end + timedelta(minutes=buffer_minutes)


def business_days(start: date, count: int) -> list[date]:
    """`start` and the days after it, up to and including the `count`-th business day after it."""
    days, seen, day = [start], 0, start
    while seen < count:
        day += timedelta(days=1)
        days.append(day)
        if day.weekday() < 5:
            seen += 1
    return days


def _exists(local: datetime) -> bool:
    """False for wall-clock times skipped by a daylight-saving change."""
    back = local.astimezone(UTC).astimezone(local.tzinfo)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def free_slots(
    rep: Rep,
    meeting: MeetingType,
    busy: Iterable[tuple[datetime, datetime]],
    now: datetime,
    step_minutes: int = 15,
) -> list[Slot]:
    """Every free start for `rep` within the horizon, earliest first.

    `busy` holds the rep's existing spans (see `busy_span`), UTC-aware. A candidate is
    free when its own span (meeting plus buffer) overlaps none of them.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(rep.time_zone)
    spans: Sequence[tuple[datetime, datetime]] = sorted(busy)
    earliest = now + timedelta(hours=meeting.min_notice_hours)
    duration = timedelta(minutes=meeting.duration_minutes)
    buffer = timedelta(minutes=meeting.buffer_minutes)
    step = timedelta(minutes=step_minutes)
    slots: list[Slot] = []
    for day in business_days(now.astimezone(zone).date(), meeting.horizon_business_days):
        for window in rep.working_hours.get(WEEKDAYS[day.weekday()], []):
            first, last = parse_window(window)
            window_end = _local(day, last, zone).astimezone(UTC)
            wall = datetime.combine(day, time(0), tzinfo=zone) + timedelta(minutes=first)
            while True:
                if _exists(wall):
                    start = wall.astimezone(UTC)
                    end = start + duration
                    if end > window_end:
                        break
                    if start >= earliest and not _overlaps(start, end + buffer, spans):
                        slots.append(Slot(rep.email, start, end))
                wall += step  # wall-clock arithmetic in the rep's zone
    slots.sort(key=lambda s: s.start)
    return slots


def _local(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone) + timedelta(minutes=minutes)


def _overlaps(start: datetime, end: datetime, spans: Sequence[tuple[datetime, datetime]]) -> bool:
    return any(start < busy_end and busy_start < end for busy_start, busy_end in spans)


def spread(slots: Sequence[Slot], count: int, zone: ZoneInfo) -> list[Slot]:
    """Up to `count` slots spread over different half-days in the visitor's zone.

    The earliest slot of each (date, morning/afternoon) comes first; if there are fewer
    half-days than `count`, the rest is filled with the next earliest slots.
    """
    chosen: list[Slot] = []
    seen: set[tuple[date, bool]] = set()
    for slot in slots:
        local = slot.start.astimezone(zone)
        half = (local.date(), local.hour >= 12)
        if half not in seen:
            seen.add(half)
            chosen.append(slot)
        if len(chosen) == count:
            break
    for slot in slots:
        if len(chosen) >= count:
            break
        if slot not in chosen:
            chosen.append(slot)
    return sorted(chosen, key=lambda s: s.start)
