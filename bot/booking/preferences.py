"""A visitor's words about when they are free, matched to free slots.

"Tuesday afternoon", "tomorrow at 10", "next week", "any morning", "Thursday morning".
Dates come from dateparser's search (in the visitor's zone, future preferred); the
parts of the day and week phrases are a small vocabulary; a clock time is taken only
when it is unmistakable ("at 10", "10am", "14:30"), hours 1-7 without am/pm read as pm.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateparser.search import search_dates

from bot.booking.slots import Slot

PARTS_OF_DAY: dict[str, tuple[int, int]] = {
    "early morning": (7 * 60, 9 * 60),
    "morning": (7 * 60, 12 * 60),
    "lunch": (11 * 60 + 30, 14 * 60),
    "midday": (11 * 60 + 30, 14 * 60),
    "noon": (11 * 60 + 30, 13 * 60),
    "afternoon": (12 * 60, 17 * 60),
    "late afternoon": (15 * 60, 18 * 60),
    "evening": (17 * 60, 21 * 60),
    "end of the day": (15 * 60, 19 * 60),
}
_PART = re.compile(r"\b(" + "|".join(sorted(PARTS_OF_DAY, key=len, reverse=True)) + r")s?\b", re.I)
_TIME = re.compile(
    r"(?:\b(?:at|around|about|@|from)\s*(?P<h1>\d{1,2})(?::(?P<m1>\d{2}))?\s*(?P<ap1>[ap]\.?m\.?)?\b)"
    r"|(?:\b(?P<h2>\d{1,2})(?::(?P<m2>\d{2}))?\s*(?P<ap2>[ap]\.?m\.?)(?!\w))"
    r"|(?:\b(?P<h3>\d{1,2}):(?P<m3>\d{2})\b)",
    re.I,
)
_WEEK = re.compile(r"\b(this|next|the following)\s+week\b", re.I)
_WEEKEND = re.compile(r"\bweekend\b", re.I)
_ANY = re.compile(r"\b(any ?(time|day|morning|afternoon|evening)?|whenever|anytime|whatever works)\b", re.I)


@dataclass(frozen=True)
class Preference:
    """When the visitor said they are free; empty fields mean "any"."""

    days: tuple[date, ...] = ()
    window: tuple[int, int] | None = None  # minutes after local midnight
    at: int | None = None  # an exact local time, minutes after midnight
    week_of: date | None = None  # the Monday of a week
    weekend: bool = False
    understood: bool = False

    def matches(self, local: datetime) -> bool:
        """True when a slot starting at `local` (visitor's zone) fits the preference."""
        minutes = local.hour * 60 + local.minute
        if self.weekend and local.weekday() < 5:
            return False
        if self.days and local.date() not in self.days:
            return False
        if self.week_of and not self.week_of <= local.date() < self.week_of + timedelta(days=7):
            return False
        if self.window and not self.window[0] <= minutes < self.window[1]:
            return False
        if self.at is not None and abs(minutes - self.at) > 60:
            return False
        return True


def parse_preference(text: str, now: datetime, zone: ZoneInfo) -> Preference:
    """Read a free-text availability in the visitor's zone."""
    local_now = now.astimezone(zone)
    rest = text
    window = None
    part = _PART.search(rest)
    if part:
        window = PARTS_OF_DAY[part.group(1).lower()]
        rest = rest[: part.start()] + " " + rest[part.end() :]
    at = None
    clock = _TIME.search(rest)
    if clock:
        hour = int(clock.group("h1") or clock.group("h2") or clock.group("h3"))
        minute = int(clock.group("m1") or clock.group("m2") or clock.group("m3") or 0)
        ampm = (clock.group("ap1") or clock.group("ap2") or "").lower().replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        elif not ampm and 1 <= hour <= 7:
            hour += 12  # nobody means a meeting at 3 in the morning
        if hour < 24 and minute < 60:
            at = hour * 60 + minute
            rest = rest[: clock.start()] + " " + rest[clock.end() :]
    week_of = None
    week = _WEEK.search(rest)
    if week:
        monday = local_now.date() - timedelta(days=local_now.weekday())
        week_of = monday if week.group(1).lower() == "this" else monday + timedelta(days=7)
        rest = rest[: week.start()] + " " + rest[week.end() :]
    weekend = bool(_WEEKEND.search(rest))
    days: tuple[date, ...] = ()
    found = search_dates(
        rest,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now.replace(tzinfo=None),
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    if found:
        days = tuple(sorted({value.date() for _, value in found if value.date() >= local_now.date()}))
    understood = bool(days or window or at is not None or week_of or weekend or _ANY.search(text))
    return Preference(
        days=days, window=window, at=at, week_of=week_of, weekend=weekend, understood=understood
    )


def match_slots(preference: Preference, slots: Sequence[Slot], zone: ZoneInfo) -> list[Slot]:
    """Free slots that fit the preference, the closest to an exact time first."""
    fitting = [s for s in slots if preference.matches(s.start.astimezone(zone))]
    if preference.at is not None:
        at = preference.at

        def distance(slot: Slot) -> tuple[date, int]:
            local = slot.start.astimezone(zone)
            return local.date(), abs(local.hour * 60 + local.minute - at)

        fitting.sort(key=distance)
    return fitting
