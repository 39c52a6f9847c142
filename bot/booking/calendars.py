"""Reps' busy time from their own calendars: CalDAV, or a published iCalendar address.

Busy is what the feed says it is: recurring events are expanded (`recurring-ical-events`,
with their EXDATE and RECURRENCE-ID exceptions), an all-day event holds the rep's whole
local day(s), a tentative event is busy, a free (TRANSP:TRANSPARENT), cancelled or
declined one is not, and times are read in the zone the feed gives them (a floating
time is the rep's local time). Banter's own bookings written into a rep's calendar
(UIDs ending in "@banter") are skipped: the lead store already holds them, so a cancel
frees the time at once and a move is not blocked by its own old copy.

`CalendarBusy` caches each rep's busy time with a bounded staleness: a calendar is read
again after `refresh`, a failed read is retried after `retry`, and when the last good
read is older than the playbook's `booking.calendar_max_staleness_minutes` the rep
offers no time at all (never times from stale data). Every network read has a timeout;
every read's outcome goes to `record` so the console can say which calendar failed and
since when.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import recurring_ical_events
from icalendar import Calendar

from bot.playbook import CalDav, Rep, RepCalendar

logger = logging.getLogger(__name__)

UTC = timezone.utc
Span = tuple[datetime, datetime]

#: Seconds to wait for a calendar server (connect, and each read) before giving up on this read.
DEFAULT_TIMEOUT = 10.0
#: A published feed larger than this is refused (a calendar is kilobytes to a few megabytes).
MAX_FEED_BYTES = 20 * 1024 * 1024
#: Banter's own bookings in a rep's calendar (bot.booking.service makes "<uuid4>@banter" UIDs).
BANTER_UID = re.compile(r"@banter$", re.I)


class CalendarError(Exception):
    """A calendar that could not be read or written; the message never holds a secret.

    `permanent`: retrying cannot help until someone fixes the settings (a missing
    password variable, refused credentials).
    """

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def _secret(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise CalendarError(f"the environment variable {name} is not set", permanent=True)
    return value


def source_label(calendar: RepCalendar) -> str:
    """Which calendar, for people: the CalDAV URL, or only the host of a (secret) feed address."""
    if calendar.caldav is not None:
        return f"CalDAV {calendar.caldav.url}"
    if calendar.ics_url is not None:
        return f"iCalendar feed on {urlsplit(calendar.ics_url).netloc}"
    return f"iCalendar feed from ${calendar.ics_url_env}"


def feed_url(calendar: RepCalendar) -> str:
    """The published address of an iCalendar feed (from the environment when it is a secret)."""
    if calendar.ics_url is not None:
        return calendar.ics_url
    if calendar.ics_url_env is not None:
        url = _secret(calendar.ics_url_env).strip()
        return "https://" + url[len("webcal://") :] if url.startswith("webcal://") else url
    raise CalendarError("not an iCalendar feed")


# -- reading -------------------------------------------------------------------------------
def read_feed(url: str, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """GET a published .ics address (bounded in time and size)."""
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True) as client:
            with client.stream("GET", url, headers={"Accept": "text/calendar"}) as response:
                if response.status_code >= 300:
                    raise CalendarError(f"the feed answered HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_FEED_BYTES:
                        raise CalendarError(f"the feed is larger than {MAX_FEED_BYTES // 1024 // 1024} MB")
                return bytes(body)
    except httpx.TimeoutException:
        raise CalendarError(f"no answer within {timeout:g} s") from None
    except httpx.HTTPError as err:  # the message of some of these holds the (secret) URL
        raise CalendarError(f"the feed could not be reached ({type(err).__name__})") from None


def open_caldav(source: CalDav, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """The caldav library's Calendar object for `source` (no request is made yet)."""
    import caldav  # imported here: only processes with a CalDAV calendar need it

    password = _secret(source.password_env) if source.password_env else None
    seconds = max(1, math.ceil(timeout))  # the caldav library types its timeout as whole seconds
    client = caldav.DAVClient(source.url, username=source.username, password=password, timeout=seconds)
    return client.calendar(url=source.url)


def caldav_problem(err: Exception, timeout: float) -> CalendarError:
    """A CalendarError saying what went wrong with a CalDAV request, without credentials."""
    import requests
    from caldav.lib import error

    if isinstance(err, CalendarError):
        return err
    if isinstance(err, requests.Timeout):
        return CalendarError(f"no answer within {timeout:g} s")
    if isinstance(err, requests.ConnectionError):
        return CalendarError("the CalDAV server could not be reached")
    if isinstance(err, error.AuthorizationError):
        return CalendarError("the CalDAV server refused the credentials", permanent=True)
    if isinstance(err, error.DAVError):
        reason = str(getattr(err, "reason", "") or "").splitlines()[0:1]
        return CalendarError(f"CalDAV error {type(err).__name__}{': ' + reason[0][:200] if reason else ''}")
    return CalendarError(f"{type(err).__name__} while reading the CalDAV calendar")


def read_caldav(
    source: CalDav, start: datetime, end: datetime, timeout: float = DEFAULT_TIMEOUT
) -> list[bytes]:
    """The calendar objects of events touching [start, end), as the server stores them (unexpanded)."""
    try:
        calendar = open_caldav(source, timeout)
        found = calendar.search(start=start, end=end, event=True, expand=False)
        return [str(item.data).encode("utf-8") for item in found]
    except Exception as err:  # requests, lxml and caldav errors alike: one failed read
        raise caldav_problem(err, timeout) from None


def _parse(text: bytes) -> Calendar:
    try:
        return Calendar.from_ical(text)
    except Exception as err:  # icalendar raises ValueError and friends on a broken feed
        raise CalendarError(f"not an iCalendar file ({type(err).__name__})") from None


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _instant(value: datetime, zone: ZoneInfo) -> datetime:
    """A feed's date-time as an aware UTC instant; floating times are the rep's local time."""
    return (value.replace(tzinfo=zone) if value.tzinfo is None else value).astimezone(UTC)


def _declined_by(event: Any, rep_email: str) -> bool:
    attendees = event.get("ATTENDEE")
    if attendees is None:
        return False
    for attendee in attendees if isinstance(attendees, list) else [attendees]:
        address = str(attendee).lower().removeprefix("mailto:")
        if address == rep_email.lower():
            return str(attendee.params.get("PARTSTAT", "")).upper() == "DECLINED"
    return False


def event_span(event: Any, zone: ZoneInfo, rep_email: str = "") -> Span | None:
    """The busy span of one (expanded) VEVENT, or None when it does not make the rep busy."""
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return None
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return None
    if BANTER_UID.search(str(event.get("UID", ""))):
        return None
    if rep_email and _declined_by(event, rep_email):
        return None
    start = event.get("DTSTART")
    if start is None:
        return None
    first = start.dt
    end_prop = event.get("DTEND")
    if isinstance(first, datetime):
        if end_prop is not None:
            last = end_prop.dt
        elif event.get("DURATION") is not None:
            last = first + event["DURATION"].dt
        else:
            return None  # a date-time start and no end: an instant, not a busy span (RFC 5545)
        if not isinstance(last, datetime):
            last = datetime.combine(last, time(0), tzinfo=first.tzinfo)
        span = _instant(first, zone), _instant(last, zone)
    else:  # all-day: the rep's whole local day(s), the end date excluded
        if end_prop is not None:
            last_day = end_prop.dt if not isinstance(end_prop.dt, datetime) else end_prop.dt.date()
        elif event.get("DURATION") is not None:
            last_day = first + event["DURATION"].dt
        else:
            last_day = first + timedelta(days=1)
        span = _local_midnight(first, zone), _local_midnight(max(last_day, first + timedelta(days=1)), zone)
    return span if span[1] > span[0] else None


def busy_in(
    calendars: Iterable[Calendar], start: datetime, end: datetime, zone: ZoneInfo, rep_email: str = ""
) -> list[Span]:
    """Busy spans (UTC, sorted, overlapping ones merged) of the events touching [start, end)."""
    spans: list[Span] = []
    # widened by a day: an all-day event is found on its own dates, which the rep's zone may shift
    query_start, query_end = start - timedelta(days=1), end + timedelta(days=1)
    for calendar in calendars:
        for event in recurring_ical_events.of(calendar).between(query_start, query_end):
            span = event_span(event, zone, rep_email)
            if span is not None and span[0] < end and span[1] > start:
                spans.append(span)
    return merge(spans)


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted spans with overlapping and touching ones joined."""
    merged: list[Span] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def read_busy(rep: Rep, start: datetime, end: datetime, timeout: float = DEFAULT_TIMEOUT) -> list[Span]:
    """Read `rep`'s calendar over the network and return its busy spans in [start, end)."""
    calendar = rep.calendar
    if calendar is None:
        return []
    if calendar.caldav is not None:
        texts = read_caldav(calendar.caldav, start, end, timeout)
    else:
        texts = [read_feed(feed_url(calendar), timeout)]
    return busy_in((_parse(text) for text in texts), start, end, ZoneInfo(rep.time_zone), rep.email)


# -- the cache -----------------------------------------------------------------------------
@dataclass(frozen=True)
class CalendarStatus:
    """The outcome of the latest read of one rep's calendar (what the console shows)."""

    rep_email: str
    source: str
    checked_at: datetime
    ok_at: datetime | None  # the last good read
    failing_since: datetime | None  # the first failed read after the last good one
    error: str | None


@dataclass(frozen=True)
class _Entry:
    status: CalendarStatus
    spans: tuple[Span, ...] = ()
    window: tuple[datetime, datetime] | None = None  # what the last good read covers


def _real_now() -> datetime:
    return datetime.now(UTC)


Reader = Callable[[Rep, datetime, datetime, float], list[Span]]


class CalendarBusy:
    """Reps' calendar busy time, cached with bounded staleness (one per process, thread-safe)."""

    def __init__(
        self,
        read: Reader = read_busy,
        *,
        refresh: timedelta = timedelta(minutes=1),
        retry: timedelta = timedelta(seconds=30),
        lookahead: timedelta = timedelta(days=62),
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], datetime] = _real_now,
        record: Callable[[CalendarStatus], None] | None = None,
    ) -> None:
        self._read = read
        self.refresh, self.retry, self.lookahead, self.timeout = refresh, retry, lookahead, timeout
        self.clock = clock
        self._record = record
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def busy(
        self,
        reps: Sequence[Rep],
        start: datetime,
        end: datetime,
        max_staleness: timedelta,
        max_age: timedelta | None = None,
    ) -> dict[str, list[Span] | None]:
        """Per rep: calendar busy spans in [start, end), [] without a calendar, None when stale.

        A calendar is read again when its data is older than `max_age` (default `refresh`) or
        does not cover the window; reads of several reps run in parallel.
        """
        now = self.clock()
        wanted_age = self.refresh if max_age is None else max_age
        due = [
            rep for rep in reps if rep.calendar is not None and self._due(rep, start, end, now, wanted_age)
        ]
        if due:
            window = (start - timedelta(days=1), max(end, start + self.lookahead))
            if len(due) == 1:
                self._refresh(due[0], window)
            else:
                with ThreadPoolExecutor(max_workers=min(len(due), 8)) as pool:
                    list(pool.map(lambda rep: self._refresh(rep, window), due))
        now = self.clock()
        result: dict[str, list[Span] | None] = {}
        for rep in reps:
            entry = self._entries.get(rep.email)
            if rep.calendar is None:
                result[rep.email] = []
            elif entry is None or not _usable(entry, start, end, now, max_staleness):
                result[rep.email] = None  # never offer times from data older than the limit
            else:
                result[rep.email] = [span for span in entry.spans if span[0] < end and span[1] > start]
        return result

    def _due(self, rep: Rep, start: datetime, end: datetime, now: datetime, max_age: timedelta) -> bool:
        entry = self._entries.get(rep.email)
        if entry is None:
            return True
        status = entry.status
        if status.failing_since is not None and now - status.checked_at < self.retry:
            return False  # failed a moment ago: do not make every visitor wait on a dead server
        if entry.window is None or not (entry.window[0] <= start and entry.window[1] >= end):
            return True
        return status.ok_at is None or now - status.ok_at >= max_age

    def _refresh(self, rep: Rep, window: tuple[datetime, datetime]) -> None:
        assert rep.calendar is not None
        source = source_label(rep.calendar)
        try:
            spans = self._read(rep, window[0], window[1], self.timeout)
        except Exception as err:  # any failure is one failed read: recorded, retried later
            message = str(err) if isinstance(err, CalendarError) else f"{type(err).__name__} while reading"
            now = self.clock()
            with self._lock:
                previous = self._entries.get(rep.email)
                status = CalendarStatus(
                    rep_email=rep.email,
                    source=source,
                    checked_at=now,
                    ok_at=previous.status.ok_at if previous else None,
                    failing_since=(previous.status.failing_since if previous else None) or now,
                    error=message,
                )
                self._entries[rep.email] = (
                    replace(previous, status=status) if previous else _Entry(status=status)
                )
            logger.warning("calendar of %s (%s) could not be read: %s", rep.email, source, message)
        else:
            now = self.clock()
            status = CalendarStatus(rep.email, source, now, now, None, None)
            with self._lock:
                self._entries[rep.email] = _Entry(status, tuple(spans), window)
        if self._record is not None:
            try:
                self._record(status)
            except Exception:  # the console's record must never stop an offer
                logger.exception("could not record the calendar status of %s", rep.email)


def _usable(entry: _Entry, start: datetime, end: datetime, now: datetime, max_staleness: timedelta) -> bool:
    """The last good read is recent enough and covers [start, end)."""
    ok_at, window = entry.status.ok_at, entry.window
    if ok_at is None or window is None or now - ok_at > max_staleness:
        return False
    return window[0] <= start and window[1] >= end


def with_calendar_busy(
    own: Mapping[str, list[Span]], calendar: Mapping[str, list[Span] | None]
) -> dict[str, list[Span] | None]:
    """Banter's own bookings plus calendar busy time per rep; None (no times) when the calendar is stale."""
    out: dict[str, list[Span] | None] = {}
    for email, spans in own.items():
        external = calendar.get(email, [])
        out[email] = None if external is None else sorted([*spans, *external])
    return out
