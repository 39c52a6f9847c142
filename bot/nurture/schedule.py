"""When nurture emails go out: step dates, the frequency cap and quiet hours (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.playbook import NurtureStep, QuietHours, parse_window

UTC = timezone.utc


def step_due(step: NurtureStep, enrolled_at: datetime, anchor: date | None) -> datetime | None:
    """When a step is due (UTC); None when it is relative to a timeline the lead did not give."""
    if step.delay_days is not None:
        return enrolled_at + timedelta(days=step.delay_days)
    if anchor is None:
        return None
    due = datetime.combine(anchor, time(9, 0), tzinfo=UTC) + timedelta(days=step.offset_days)
    return max(due, enrolled_at)  # a date already past is sent now rather than never


def plan(
    steps: Sequence[NurtureStep], enrolled_at: datetime, anchor: date | None
) -> list[tuple[int, datetime]]:
    """(step index, due time) for every step that can be scheduled."""
    planned = []
    for index, step in enumerate(steps):
        due = step_due(step, enrolled_at, anchor)
        if due is not None:
            planned.append((index, due))
    return planned


def _quiet(local: datetime, quiet: QuietHours) -> bool:
    start, end = parse_window(f"{quiet.start}-23:59")[0], parse_window(f"00:00-{quiet.end}")[1]
    minutes = local.hour * 60 + local.minute
    if start <= end:
        return start <= minutes < end
    return minutes >= start or minutes < end  # the window crosses midnight


def outside_quiet_hours(moment: datetime, quiet: QuietHours, zone: str) -> datetime:
    """`moment`, or the end of the quiet hours it falls in (in the lead's zone)."""
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz)
    if not _quiet(local, quiet):
        return moment
    end_h, end_m = (int(part) for part in quiet.end.split(":"))
    candidate = local.replace(hour=end_h, minute=end_m, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    # rebuild in the zone so a daylight-saving change in between is respected
    wall = datetime.combine(candidate.date(), time(end_h, end_m), tzinfo=tz)
    return wall.astimezone(UTC)


def earliest_send(
    due: datetime,
    now: datetime,
    last_sent: datetime | None,
    cap_days: float,
    quiet: QuietHours,
    zone: str,
) -> datetime:
    """The first moment a due email may go: not before it is due, the cap, or outside quiet hours."""
    moment = max(due, now)
    if last_sent is not None:
        moment = max(moment, last_sent + timedelta(days=cap_days))
    return outside_quiet_hours(moment, quiet, zone)
