"""Reps' busy time read from real calendars: .ics feeds over local HTTP and a real Radicale CalDAV server."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.booking.calendars import CalendarBusy, CalendarError, CalendarStatus, read_busy, source_label
from bot.booking.slots import free_slots
from bot.playbook import Playbook, Rep, RepCalendar, load_playbook
from bot.settings import PROJECT_ROOT
from tests.booking.servers import PASSWORD, Feed, closed_url, new_calendar, radicale, vcalendar, vevent

UTC = timezone.utc
NY = ";TZID=America/New_York:"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def playbook() -> Playbook:
    return load_playbook(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml")


@pytest.fixture(scope="module")
def caldav_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with radicale(tmp_path_factory.mktemp("radicale")) as base:
        yield base


@pytest.fixture
def feed() -> Iterator[Feed]:
    with Feed() as served:
        yield served


def dana(playbook: Playbook, calendar: RepCalendar | None) -> Rep:
    """Dana Whitfield (America/New_York, Mon-Thu 09-12 and 13-17) with the given calendar."""
    rep = playbook.booking.rep("dana@banter.example.com")
    assert rep is not None
    return rep.copy(update={"calendar": calendar})


# A weekly Monday 10:00-11:00 New York meeting over the 2027-03-14 daylight-saving change, with
# one occurrence cancelled (EXDATE) and one moved to the Tuesday afternoon (RECURRENCE-ID).
WEEKLY = (
    vevent("weekly-1on1@corp.example", NY + "20270301T100000", NY + "20270301T110000",
           props=("SUMMARY:1:1 with the VP", "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8",
                  "EXDATE" + NY + "20270322T100000")),
    vevent("weekly-1on1@corp.example", NY + "20270330T140000", NY + "20270330T150000",
           props=("RECURRENCE-ID" + NY + "20270329T100000", "SUMMARY:1:1 (moved)")),
)
WEEKLY_BUSY = [
    (at("2027-03-01T15:00"), at("2027-03-01T16:00")),  # EST: 10:00 New York is 15:00 UTC
    (at("2027-03-08T15:00"), at("2027-03-08T16:00")),
    (at("2027-03-15T14:00"), at("2027-03-15T15:00")),  # EDT from 14 March: still 10:00 in New York
    # 22 March: EXDATE, nothing
    (at("2027-03-30T18:00"), at("2027-03-30T19:00")),  # 29 March moved to Tuesday 14:00
    (at("2027-04-05T14:00"), at("2027-04-05T15:00")),
    (at("2027-04-12T14:00"), at("2027-04-12T15:00")),
    (at("2027-04-19T14:00"), at("2027-04-19T15:00")),
]


@pytest.mark.parametrize("source", ["ics_feed", "caldav"])
def test_weekly_meeting_keeps_its_local_time_across_dst_with_its_exceptions(
    source: str, playbook: Playbook, feed: Feed, caldav_base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if source == "ics_feed":
        feed.body = vcalendar(*WEEKLY)
        calendar = RepCalendar(ics_url=feed.url)
    else:
        collection = new_calendar(caldav_base, "dana")
        collection.save_event(vcalendar(*WEEKLY).decode())
        monkeypatch.setenv("DANA_CALDAV_PASSWORD", PASSWORD)
        calendar = RepCalendar(caldav={"url": str(collection.url), "username": "dana",
                                       "password_env": "DANA_CALDAV_PASSWORD"})
    rep = dana(playbook, calendar)
    busy = read_busy(rep, at("2027-02-28T00:00"), at("2027-04-25T00:00"))
    assert busy == WEEKLY_BUSY

    # the slots offered follow: no demo into the 1:1 on either side of the change, the cancelled
    # Monday is free, and the moved occurrence blocks its new Tuesday time
    slots = free_slots(rep, playbook.booking.meeting_types["demo"], busy, at("2027-03-12T12:00"))
    starts = {s.start for s in slots}
    assert at("2027-03-15T14:00") not in starts and at("2027-03-15T13:30") not in starts  # 09:30 + buffer runs into it
    assert at("2027-03-15T15:00") in starts  # 11:00 New York, right after it
    assert at("2027-03-22T14:00") in starts  # the EXDATE Monday 10:00 is free
    later = free_slots(rep, playbook.booking.meeting_types["demo"], busy, at("2027-03-26T12:00"))
    assert at("2027-03-30T18:00") not in {s.start for s in later} and at("2027-03-29T14:00") in {s.start for s in later}
    assert all(not (s.start < end and start < s.end) for s in slots + later for start, end in busy)


def test_all_day_tentative_free_cancelled_declined_floating_and_other_zones(playbook: Playbook, feed: Feed) -> None:
    feed.body = vcalendar(
        vevent("offsite@x", ";VALUE=DATE:20270303", ";VALUE=DATE:20270304", props=("SUMMARY:Offsite",)),
        vevent("dst-day@x", ";VALUE=DATE:20270314", None, props=("SUMMARY:Sunday of the change",)),
        vevent("trip@x", ";VALUE=DATE:20270310", ";VALUE=DATE:20270312", props=("SUMMARY:Trip",)),
        vevent("focus@x", NY + "20270304T100000", NY + "20270304T110000", props=("TRANSP:TRANSPARENT",)),
        vevent("called-off@x", NY + "20270304T120000", NY + "20270304T130000", props=("STATUS:CANCELLED",)),
        vevent("maybe@x", NY + "20270304T140000", NY + "20270304T150000", props=("STATUS:TENTATIVE",)),
        vevent("declined@x", NY + "20270304T160000", NY + "20270304T170000",
               props=("ATTENDEE;PARTSTAT=DECLINED:mailto:dana@banter.example.com",
                      "ATTENDEE;PARTSTAT=ACCEPTED:mailto:someone@corp.example")),
        vevent("accepted@x", NY + "20270304T163000", NY + "20270304T164500",
               props=("ATTENDEE;PARTSTAT=ACCEPTED:mailto:dana@banter.example.com",)),
        vevent("floating@x", ":20270305T090000", ":20270305T093000"),
        vevent("berlin@x", ";TZID=Europe/Berlin:20270305T180000", ";TZID=Europe/Berlin:20270305T190000"),
        vevent("utc@x", ":20270305T200000Z", None, props=("DURATION:PT45M",)),
        vevent("reminder@x", ":20270305T220000Z"),  # a start and no end: an instant, not busy
        vevent("4b0c-booked@banter", NY + "20270305T130000", NY + "20270305T133000"),  # Banter's own: in the store
    )
    rep = dana(playbook, RepCalendar(ics_url=feed.url))
    assert read_busy(rep, at("2027-03-01T00:00"), at("2027-03-20T00:00")) == [
        (at("2027-03-03T05:00"), at("2027-03-04T05:00")),  # all day in New York (EST)
        (at("2027-03-04T19:00"), at("2027-03-04T20:00")),  # tentative is busy
        (at("2027-03-04T21:30"), at("2027-03-04T21:45")),  # accepted; the declined one around it is not
        (at("2027-03-05T14:00"), at("2027-03-05T14:30")),  # floating 09:00: the rep's own 09:00
        (at("2027-03-05T17:00"), at("2027-03-05T18:00")),  # 18:00 Berlin
        (at("2027-03-05T20:00"), at("2027-03-05T20:45")),  # DTSTART + DURATION in UTC
        (at("2027-03-10T05:00"), at("2027-03-12T05:00")),  # two all-day days, the end date excluded
        (at("2027-03-14T05:00"), at("2027-03-15T04:00")),  # the 23-hour local day of the change
    ]


def test_a_calendar_older_than_the_limit_offers_nothing_and_recovers(playbook: Playbook, feed: Feed) -> None:
    feed.body = vcalendar(vevent("m@x", NY + "20270301T100000", NY + "20270301T110000"))
    rep = dana(playbook, RepCalendar(ics_url=feed.url))
    clock = [at("2027-02-26T12:00")]
    recorded: list[CalendarStatus] = []
    cache = CalendarBusy(clock=lambda: clock[0], record=recorded.append, timeout=2)
    window, limit = (at("2027-03-01T00:00"), at("2027-03-05T00:00")), timedelta(minutes=15)
    busy = [(at("2027-03-01T15:00"), at("2027-03-01T16:00"))]

    assert cache.busy([rep], *window, limit) == {rep.email: busy}
    assert recorded[-1].ok_at == clock[0] and recorded[-1].failing_since is None
    clock[0] += timedelta(seconds=20)
    assert cache.busy([rep], *window, limit) == {rep.email: busy} and feed.requests == 1  # cached

    feed.status = 503
    clock[0] += timedelta(minutes=2)  # due again: the read fails, the last good one is 2 minutes old
    assert cache.busy([rep], *window, limit) == {rep.email: busy}
    failed_at = clock[0]
    assert recorded[-1].failing_since == failed_at and recorded[-1].error == "the feed answered HTTP 503"
    assert recorded[-1].source == "iCalendar feed on " + feed.url.split("/")[2]
    clock[0] += timedelta(seconds=10)  # failed a moment ago: not read again yet
    cache.busy([rep], *window, limit)
    assert feed.requests == 2
    clock[0] += timedelta(seconds=30)  # retried
    cache.busy([rep], *window, limit)
    assert feed.requests == 3

    clock[0] = at("2027-02-26T12:16")  # the last good read is 16 minutes old: no times at all
    assert cache.busy([rep], *window, limit) == {rep.email: None}
    assert recorded[-1].failing_since == failed_at and recorded[-1].ok_at == at("2027-02-26T12:00")
    assert free_slots(rep, playbook.booking.meeting_types["demo"], [], at("2027-02-26T12:16"))  # (hours alone would)

    feed.status = 200
    clock[0] += timedelta(minutes=1)
    assert cache.busy([rep], *window, limit) == {rep.email: busy}
    assert recorded[-1].failing_since is None and recorded[-1].error is None


def test_unreachable_slow_and_refused_calendars_fail_fast_and_say_why(
    playbook: Playbook, feed: Feed, caldav_base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = (at("2027-03-01T00:00"), at("2027-03-05T00:00"))
    monkeypatch.setenv("DANA_ICS_URL", closed_url() + "secret-token/basic.ics")
    secret = dana(playbook, RepCalendar(ics_url_env="DANA_ICS_URL"))
    recorded: list[CalendarStatus] = []
    cache = CalendarBusy(record=recorded.append, timeout=1)
    assert cache.busy([secret], *window, timedelta(minutes=15)) == {secret.email: None}  # never read: nothing offered
    assert recorded[-1].error == "the feed could not be reached (ConnectError)"
    assert "secret-token" not in recorded[-1].source + str(recorded[-1].error)
    assert source_label(RepCalendar(ics_url_env="DANA_ICS_URL")) == "iCalendar feed from $DANA_ICS_URL"

    feed.delay, feed.body = 3, vcalendar()
    started = time.monotonic()
    with pytest.raises(CalendarError, match="no answer within 1 s"):
        read_busy(dana(playbook, RepCalendar(ics_url=feed.url)), *window, timeout=1)
    assert time.monotonic() - started < 2.5

    collection = new_calendar(caldav_base, "dana")
    monkeypatch.setenv("DANA_CALDAV_PASSWORD", "wrong")
    wrong = dana(playbook, RepCalendar(caldav={"url": str(collection.url), "username": "dana",
                                               "password_env": "DANA_CALDAV_PASSWORD"}))
    with pytest.raises(CalendarError, match="refused the credentials") as refused:
        read_busy(wrong, *window, timeout=5)
    assert refused.value.permanent
    monkeypatch.delenv("DANA_CALDAV_PASSWORD")
    with pytest.raises(CalendarError, match="DANA_CALDAV_PASSWORD is not set"):
        read_busy(wrong, *window, timeout=5)
    down = dana(playbook, RepCalendar(caldav={"url": closed_url()}))
    with pytest.raises(CalendarError, match="could not be reached"):
        read_busy(down, *window, timeout=5)


def test_playbook_calendar_settings_are_checked() -> None:
    base = (PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text()
    from bot.playbook import PlaybookError, parse_playbook

    good = base.replace("      meeting_link: \"+44 20 7946 0958\"\n",
                        "      meeting_link: \"+44 20 7946 0958\"\n"
                        "      calendar: {caldav: {url: \"https://dav.example.com/sam/work/\", username: sam,"
                        " password_env: SAM_CALDAV_PASSWORD}}\n")
    sam = parse_playbook(good).booking.rep("sam@banter.example.com")
    assert sam is not None and sam.calendar is not None and sam.calendar.caldav is not None
    assert sam.calendar.caldav.password_env == "SAM_CALDAV_PASSWORD"
    for bad, message in (
        ("calendar: {caldav: {url: \"ftp://x\"}}", "not an http(s) URL"),
        ("calendar: {ics_url: \"https://a.example/x.ics\", ics_url_env: X}", "exactly one of"),
        ("calendar: {caldav: {url: \"https://dav.example.com/\", password_env: \"hunter 2\"}}",
         "not an environment variable name"),
        ("meeting_link: zoom please", "not a meeting URL"),
    ):
        text = base.replace("      meeting_link: \"+44 20 7946 0958\"\n", f"      {bad}\n")
        with pytest.raises(PlaybookError, match=re.escape(message)):
            parse_playbook(text)
    with pytest.raises(PlaybookError, match="calendar_max_staleness_minutes must be positive"):
        parse_playbook(base.replace("calendar_max_staleness_minutes: 15", "calendar_max_staleness_minutes: 0"))
    assert Path(PROJECT_ROOT / "playbook.yml").read_text().count("calendar_max_staleness_minutes: 15") == 1
