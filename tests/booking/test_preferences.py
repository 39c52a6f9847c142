"""Free-text availability matched to free slots."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.booking.preferences import match_slots, parse_preference
from bot.booking.slots import Slot

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=BERLIN)  # Tuesday


def slots() -> list[Slot]:
    out = []
    for day in range(1, 15):
        base = datetime(2026, 11, 24, tzinfo=BERLIN) + timedelta(days=day)
        if base.weekday() >= 5:
            continue
        for hour in (9, 10, 11, 14, 15, 16):
            start = base.replace(hour=hour).astimezone(timezone.utc)
            out.append(Slot("rep@example.com", start, start + timedelta(minutes=30)))
    return out


@pytest.mark.parametrize(
    ("text", "day", "hours"),
    [
        ("Tuesday afternoon", date(2026, 12, 1), {14, 15, 16}),
        ("Thursday morning", date(2026, 11, 26), {9, 10, 11}),
        ("thursday morning works for me", date(2026, 11, 26), {9, 10, 11}),
        ("tomorrow at 10", date(2026, 11, 25), {10}),
        ("friday 3pm", date(2026, 11, 27), {15}),
        ("how about friday at 15:00", date(2026, 11, 27), {15}),
    ],
)
def test_day_and_time_words(text: str, day: date, hours: set[int]) -> None:
    preference = parse_preference(text, NOW, BERLIN)
    assert preference.understood
    matched = match_slots(preference, slots(), BERLIN)
    assert matched
    first = matched[0].start.astimezone(BERLIN)
    assert first.date() == day
    assert {s.start.astimezone(BERLIN).hour for s in matched if s.start.astimezone(BERLIN).date() == day} <= hours | {
        h for h in (9, 10, 11, 14, 15, 16) if any(abs(h - x) <= 1 for x in hours)
    }
    if len(hours) == 1:
        assert first.hour == next(iter(hours))


def test_next_week_and_any_morning() -> None:
    nxt = match_slots(parse_preference("next week", NOW, BERLIN), slots(), BERLIN)
    assert nxt and {s.start.astimezone(BERLIN).date() for s in nxt} <= {date(2026, 11, 30) + timedelta(days=i) for i in range(7)}
    mornings = match_slots(parse_preference("any morning", NOW, BERLIN), slots(), BERLIN)
    assert mornings and all(s.start.astimezone(BERLIN).hour < 12 for s in mornings)


def test_weekend_has_no_slots_and_nonsense_is_not_understood() -> None:
    assert match_slots(parse_preference("saturday", NOW, BERLIN), slots(), BERLIN) == []
    assert match_slots(parse_preference("on the weekend", NOW, BERLIN), slots(), BERLIN) == []
    for text in ("ok", "sounds good", "banana"):
        assert not parse_preference(text, NOW, BERLIN).understood


def test_times_read_in_the_visitors_zone() -> None:
    new_york = ZoneInfo("America/New_York")
    preference = parse_preference("tomorrow at 10am", NOW, new_york)
    matched = match_slots(preference, slots(), new_york)
    # 10:00 New York = 16:00 Berlin on Wednesday
    assert matched[0].start.astimezone(BERLIN).hour == 16
