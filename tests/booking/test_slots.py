"""Slot computation: working hours in the rep's zone, DST, buffers, notice, horizon, full calendars."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.booking.display import when
from bot.booking.slots import Slot, business_days, busy_span, free_slots, spread
from bot.playbook import MeetingType, Rep

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def rep(zone: str = "Europe/Berlin", hours: dict[str, list[str]] | None = None) -> Rep:
    return Rep(
        name="Greta",
        email="greta@example.com",
        time_zone=zone,
        working_hours=hours or {d: ["09:00-12:00", "13:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        meeting_types=["demo"],
    )


DEMO = MeetingType(label="demo", duration_minutes=30, buffer_minutes=15, min_notice_hours=2, horizon_business_days=10)


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


def test_slots_fall_inside_working_hours_in_the_reps_zone() -> None:
    now = local(BERLIN, 2026, 11, 23, 8, 0)  # Monday 08:00 Berlin
    slots = free_slots(rep(), DEMO, [], now)
    assert slots, "a free week has slots"
    for slot in slots:
        start, end = slot.start.astimezone(BERLIN), slot.end.astimezone(BERLIN)
        assert start.weekday() < 5
        minutes = start.hour * 60 + start.minute
        end_minutes = end.hour * 60 + end.minute
        assert (540 <= minutes and end_minutes <= 720) or (780 <= minutes and end_minutes <= 1020)
        assert start.minute % 15 == 0
        assert end - start == timedelta(minutes=30)
    first_day = [s for s in slots if s.start.astimezone(BERLIN).date() == date(2026, 11, 23)]
    # 09:00-12:00 -> starts 10:00..11:30 (notice: not before 10:00), 13:00-17:00 -> 13:00..16:30
    assert [s.start.astimezone(BERLIN).strftime("%H:%M") for s in first_day][:3] == ["10:00", "10:15", "10:30"]
    assert first_day[-1].start.astimezone(BERLIN).strftime("%H:%M") == "16:30"


def test_minimum_notice_is_respected() -> None:
    now = local(BERLIN, 2026, 11, 24, 13, 7)
    slots = free_slots(rep(), DEMO, [], now)
    assert slots[0].start >= now + timedelta(hours=2)
    assert slots[0].start.astimezone(BERLIN).strftime("%H:%M") == "15:15"


def test_horizon_is_ten_business_days() -> None:
    now = local(BERLIN, 2026, 11, 20, 18, 0)  # Friday evening
    slots = free_slots(rep(), DEMO, [], now)
    days = sorted({s.start.astimezone(BERLIN).date() for s in slots})
    assert days[0] == date(2026, 11, 23)
    assert days[-1] == date(2026, 12, 4)  # the 10th business day after Friday 20th
    assert len(days) == 10
    assert business_days(date(2026, 11, 20), 2) == [date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22),
                                                    date(2026, 11, 23), date(2026, 11, 24)]


def test_busy_meetings_and_buffers_block_slots() -> None:
    now = local(BERLIN, 2026, 11, 23, 6, 0)
    booked_start = local(BERLIN, 2026, 11, 23, 10, 0).astimezone(UTC)
    busy = [busy_span(booked_start, booked_start + timedelta(minutes=30), 15)]
    starts = {s.start.astimezone(BERLIN).strftime("%H:%M") for s in free_slots(rep(), DEMO, busy, now)
              if s.start.astimezone(BERLIN).date() == date(2026, 11, 23)}
    # a new slot needs [start, start+30+15) clear of [10:00, 10:45)
    assert "09:15" in starts
    assert "09:30" not in starts  # 09:30-10:00 + 15 min buffer runs into 10:00
    assert "10:00" not in starts and "10:30" not in starts
    assert "10:45" in starts


def test_a_full_calendar_has_no_slots() -> None:
    now = local(BERLIN, 2026, 11, 23, 6, 0)
    busy = [(now, now + timedelta(days=30))]
    assert free_slots(rep(), DEMO, busy, now) == []


def test_no_working_hours_no_slots() -> None:
    weekend_only = rep(hours={"sat": ["10:00-12:00"]})
    now = local(BERLIN, 2026, 11, 23, 6, 0)
    slots = free_slots(weekend_only, DEMO, [], now)
    assert slots and all(s.start.astimezone(BERLIN).weekday() == 5 for s in slots)


def test_spring_forward_keeps_local_hours_and_skips_the_gap() -> None:
    # US DST starts Sunday 8 March 2026 at 02:00 -> 03:00.
    night = rep("America/New_York", {"sun": ["01:00-04:00"], "mon": ["09:00-10:00"]})
    now = local(NEW_YORK, 2026, 3, 7, 12, 0)
    kind = MeetingType(label="x", duration_minutes=30, min_notice_hours=0, horizon_business_days=1)
    sunday = [s.start.astimezone(NEW_YORK).strftime("%H:%M") for s in free_slots(night, kind, [], now)
              if s.start.astimezone(NEW_YORK).date() == date(2026, 3, 8)]
    assert "02:00" not in sunday and "02:30" not in sunday  # these wall times do not exist
    assert sunday[0] == "01:00" and "03:00" in sunday
    monday = [s for s in free_slots(night, kind, [], now) if s.start.astimezone(NEW_YORK).date() == date(2026, 3, 9)]
    assert monday[0].start == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # 09:00 EDT = 13:00 UTC


def test_dst_week_moves_utc_not_local_hours() -> None:
    # Europe changes on Sunday 29 March 2026; US two weeks earlier: the gap between the zones changes.
    now = local(BERLIN, 2026, 3, 26, 6, 0)
    slots = free_slots(rep(), DEMO, [], now)
    thursday = next(s for s in slots if s.start.astimezone(BERLIN).date() == date(2026, 3, 26))
    monday = next(s for s in slots if s.start.astimezone(BERLIN).date() == date(2026, 3, 30))
    assert thursday.start.hour == 8 + 0 and thursday.start.astimezone(BERLIN).hour == 9  # CET = UTC+1
    assert monday.start.hour == 7 and monday.start.astimezone(BERLIN).hour == 9  # CEST = UTC+2
    assert when(monday.start, "America/New_York").endswith("EDT (America/New_York)")
    assert "03:00" in when(monday.start, "America/New_York")


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        free_slots(rep(), DEMO, [], datetime(2026, 11, 23, 8, 0))


def test_spread_offers_different_half_days_in_the_visitors_zone() -> None:
    now = local(BERLIN, 2026, 11, 23, 6, 0)
    slots = free_slots(rep(), DEMO, [], now)
    offered = spread(slots, 4, BERLIN)
    halves = {(s.start.astimezone(BERLIN).date(), s.start.astimezone(BERLIN).hour >= 12) for s in offered}
    assert len(offered) == 4 and len(halves) == 4
    assert offered == sorted(offered, key=lambda s: s.start)
    few = spread(slots[:2], 4, BERLIN)
    assert few == slots[:2]


def test_slot_key_round_trips() -> None:
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    slot = Slot("greta@example.com", start, start + timedelta(minutes=30))
    email, _, iso = slot.key().partition("|")
    assert email == "greta@example.com" and datetime.fromisoformat(iso) == start
