"""Reps' calendars benchmark: reading and expanding a calendar of 1,000 events, and slots
offered against calendars with N busy events never overlapping any of them.

1. A calendar of 1,000 VEVENTs (single meetings, weekly series with exceptions, all-day,
   tentative, free and cancelled ones) is served as an .ics feed over local HTTP and put
   into a real Radicale CalDAV server; each is read and expanded over 62 days (the
   booking window) five times: median and best are printed, and the parse+expand alone.
2. For N = 10, 100, 1,000 busy events in a rep's working hours, BookingService.offer runs
   on a fresh SQLite store with that rep's calendar as a feed; every slot offered is
   checked against the feed's events expanded independently here (plain icalendar, no
   Banter code): overlaps must be 0.
Usage: scripts/bench_calendars.py [--events 1000] [--json results/bench_calendars.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import recurring_ical_events  # noqa: E402
import requests  # noqa: E402
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from icalendar import Calendar  # noqa: E402

from bot.booking.calendars import CalendarBusy, busy_in, read_busy  # noqa: E402
from bot.booking.routing import LeadFacts  # noqa: E402
from bot.booking.service import BookingService, Notify  # noqa: E402
from bot.links import Links  # noqa: E402
from bot.playbook import Playbook, RepCalendar, parse_playbook  # noqa: E402
from bot.store.db import make_engine, session_factory  # noqa: E402
from tests.booking.servers import PASSWORD, new_calendar, radicale  # noqa: E402

UTC = timezone.utc
NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 3, 8, 12, 0, tzinfo=UTC)  # Monday morning in New York, a week before the DST change
DANA = "dana@banter.example.com"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def calendar_text(events: list[str]) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Banter bench//EN\r\n"
        + "".join(events)
        + "END:VCALENDAR\r\n"
    )


def event(uid: str, start: datetime, minutes: int, *props: str) -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20270101T000000Z",
        f"DTSTART;TZID=America/New_York:{_stamp(start)}",
        f"DTEND;TZID=America/New_York:{_stamp(start + timedelta(minutes=minutes))}",
        *props,
        "END:VEVENT",
    ]
    return "\r\n".join(lines) + "\r\n"


def thousand_events(count: int, rng: random.Random) -> list[str]:
    """`count` VEVENTs over 90 days: mostly single meetings, some weekly series with exceptions, all-day ones."""
    events = []
    first = datetime(2027, 3, 1, tzinfo=NY)
    for i in range(count):
        day = first + timedelta(days=rng.randrange(90))
        start = day.replace(hour=rng.randrange(7, 19), minute=rng.choice((0, 15, 30, 45)))
        kind = i % 20
        if kind == 0:  # a weekly series with one occurrence cancelled and one moved
            moved = start + timedelta(weeks=2)
            events.append(
                event(
                    f"series-{i}@bench",
                    start,
                    30,
                    "RRULE:FREQ=WEEKLY;COUNT=12",
                    f"EXDATE;TZID=America/New_York:{_stamp(start + timedelta(weeks=1))}",
                )
            )
            events.append(
                event(
                    f"series-{i}@bench",
                    moved + timedelta(hours=2),
                    30,
                    f"RECURRENCE-ID;TZID=America/New_York:{_stamp(moved)}",
                )
            )
        elif kind == 1:
            events.append(
                "\r\n".join(
                    [
                        "BEGIN:VEVENT",
                        f"UID:allday-{i}@bench",
                        "DTSTAMP:20270101T000000Z",
                        f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                        "END:VEVENT",
                    ]
                )
                + "\r\n"
            )
        elif kind == 2:
            events.append(event(f"free-{i}@bench", start, 60, "TRANSP:TRANSPARENT"))
        elif kind == 3:
            events.append(event(f"cancelled-{i}@bench", start, 60, "STATUS:CANCELLED"))
        elif kind == 4:
            events.append(event(f"tentative-{i}@bench", start, 45, "STATUS:TENTATIVE"))
        else:
            events.append(event(f"meeting-{i}@bench", start, rng.choice((15, 30, 45, 60, 90))))
    return events[:count]


class FeedServer:
    """One .ics body over local HTTP."""

    def __init__(self) -> None:
        self.body = b""
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", str(len(served.body)))
                self.end_headers()
                self.wfile.write(served.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/dana.ics"
        Thread(target=self.server.serve_forever, daemon=True).start()


def fixture_playbook(calendar: str | None) -> Playbook:
    text = (ROOT / "tests" / "fixtures" / "playbook.yml").read_text()
    if calendar:
        start = text.index("    - name: Dana Whitfield\n")
        end = text.index("\n", text.index("      meeting_link:", start)) + 1
        text = text[:end] + f"      calendar: {calendar}\n" + text[end:]
    return parse_playbook(text)


def timed(action: Any, repeat: int = 5) -> tuple[float, float, Any]:
    seconds, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000, min(seconds) * 1000, result


def read_figures(count: int, folder: Path) -> dict[str, Any]:
    rng = random.Random(20270308)
    events = thousand_events(count, rng)
    text = calendar_text(events)
    feed = FeedServer()
    feed.body = text.encode()
    playbook = fixture_playbook(None)
    dana = playbook.booking.rep(DANA)
    assert dana is not None
    window = (NOW - timedelta(days=1), NOW + timedelta(days=62))
    out: dict[str, Any] = {"events": len(events), "feed_bytes": len(feed.body)}

    parsed = Calendar.from_ical(feed.body)
    median, best, spans = timed(lambda: busy_in([Calendar.from_ical(feed.body)], *window, NY, DANA))
    out["parse_expand_ms"] = {"median": round(median, 1), "best": round(best, 1)}
    out["busy_spans_in_62_days"] = len(spans)
    occurrences = len(list(recurring_ical_events.of(parsed).between(*window)))
    out["occurrences_in_62_days"] = occurrences

    rep = dana.copy(update={"calendar": RepCalendar(ics_url=feed.url)})
    median, best, _ = timed(lambda: read_busy(rep, *window))
    out["ics_feed_read_ms"] = {"median": round(median, 1), "best": round(best, 1)}

    with radicale(folder / "radicale", users=("dana",)) as base:
        collection = new_calendar(base, "dana")
        started = time.perf_counter()
        # Radicale takes a whole calendar PUT to the collection (an import); one object per UID otherwise
        imported = requests.put(
            str(collection.url),
            data=text.encode(),
            auth=("dana", PASSWORD),
            timeout=120,
            headers={"Content-Type": "text/calendar; charset=utf-8"},
        )
        if imported.status_code >= 300:
            objects: dict[str, list[str]] = {}
            for text_event in events:
                uid = text_event.split("UID:", 1)[1].split("\r\n", 1)[0]
                objects.setdefault(uid, []).append(text_event)
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda parts: collection.save_event(calendar_text(parts)), objects.values()))
        out["caldav_upload_s"] = round(time.perf_counter() - started, 1)
        os.environ["BENCH_DANA_PASSWORD"] = PASSWORD
        over_caldav = dana.copy(
            update={
                "calendar": RepCalendar(
                    caldav={
                        "url": str(collection.url),
                        "username": "dana",
                        "password_env": "BENCH_DANA_PASSWORD",
                    }
                )
            }
        )
        median, best, caldav_spans = timed(lambda: read_busy(over_caldav, *window))
        out["caldav_read_ms"] = {"median": round(median, 1), "best": round(best, 1)}
        out["caldav_matches_feed"] = caldav_spans == spans
    feed.server.shutdown()
    return out


def independent_busy(text: bytes, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The feed's busy intervals computed here without Banter's code (the check of the offer)."""
    spans = []
    for item in recurring_ical_events.of(Calendar.from_ical(text)).between(start - timedelta(days=1), end):
        if (
            str(item.get("TRANSP", "")).upper() == "TRANSPARENT"
            or str(item.get("STATUS", "")).upper() == "CANCELLED"
        ):
            continue
        first = item.decoded("DTSTART")
        if isinstance(first, datetime):
            spans.append((first.astimezone(UTC), item.decoded("DTEND").astimezone(UTC)))
        else:
            day = first if isinstance(first, date) else first.date()
            spans.append(
                (
                    datetime(day.year, day.month, day.day, tzinfo=NY).astimezone(UTC),
                    datetime(day.year, day.month, day.day, tzinfo=NY).astimezone(UTC) + timedelta(days=1),
                )
            )
    return spans


def offer_figures(sizes: list[int], folder: Path) -> list[dict[str, Any]]:
    results = []
    for size in sizes:
        rng = random.Random(size)
        events = []
        for i in range(size):  # busy time inside Dana's working hours, over 120 days from now
            day = NOW.astimezone(NY).date() + timedelta(days=rng.randrange(120))
            start = datetime(
                day.year,
                day.month,
                day.day,
                rng.randrange(8, 17),
                rng.choice((0, 10, 20, 30, 40, 50)),
                tzinfo=NY,
            )
            events.append(event(f"busy-{i}@bench", start, rng.choice((10, 20, 30, 45, 60))))
        feed = FeedServer()
        feed.body = calendar_text(events).encode()
        database = folder / f"offer-{size}.db"
        config = Config(str(ROOT / "alembic.ini"))
        config.set_main_option("script_location", str(ROOT / "migrations"))
        config.attributes["url"] = f"sqlite:///{database}"
        command.upgrade(config, "head")
        engine = make_engine(f"sqlite:///{database}")
        service = BookingService(
            fixture_playbook(f'{{ics_url: "{feed.url}"}}'),
            session_factory(engine),
            Links("k" * 40, 3600),
            Notify(mail_from="b@x", public_url="http://x"),
            now=lambda: NOW,
            calendars=CalendarBusy(),
        )
        started = time.perf_counter()
        offer = service.offer("demo", LeadFacts(region="north_america", employees=300))
        cold_ms = (time.perf_counter() - started) * 1000
        median, _, _ = timed(
            lambda s=service: s.offer("demo", LeadFacts(region="north_america", employees=300))
        )
        slots = list(offer.by_rep.get(DANA, ()))
        busy = independent_busy(feed.body, NOW, NOW + timedelta(days=30))
        overlaps = sum(1 for slot in slots for first, last in busy if slot.start < last and first < slot.end)
        horizon_end = max((slot.end for slot in slots), default=NOW)
        results.append(
            {
                "busy_events": size,
                "busy_in_horizon": sum(1 for first, _ in busy if first < horizon_end),
                "dana_slots_offered": len(slots),
                "overlaps": overlaps,
                "offer_cold_ms": round(cold_ms, 1),
                "offer_cached_ms": round(median, 1),
            }
        )
        engine.dispose()
        feed.server.shutdown()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--json", default=str(ROOT / "results" / "bench_calendars.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        reading = read_figures(args.events, Path(folder))
        offering = offer_figures([int(n) for n in args.sizes.split(",")], Path(folder))
    print(
        f"==> a calendar of {reading['events']} events ({reading['feed_bytes'] / 1024:.0f} KiB, "
        f"{reading['occurrences_in_62_days']} occurrences and {reading['busy_spans_in_62_days']} busy spans in 62 days)"
    )
    print(
        f"    parse + expand:        median {reading['parse_expand_ms']['median']} ms, best {reading['parse_expand_ms']['best']} ms"
    )
    print(
        f"    .ics feed over HTTP:   median {reading['ics_feed_read_ms']['median']} ms, best {reading['ics_feed_read_ms']['best']} ms"
    )
    print(
        f"    CalDAV (Radicale):     median {reading['caldav_read_ms']['median']} ms, best {reading['caldav_read_ms']['best']} ms"
        f" (same busy time as the feed: {reading['caldav_matches_feed']}; upload took {reading['caldav_upload_s']} s)"
    )
    print(
        "==> slots offered against a calendar with N busy events (checked against the feed expanded independently)"
    )
    for row in offering:
        print(
            f"    N={row['busy_events']:>5} ({row['busy_in_horizon']:>3} in the 10 business days offered): "
            f"{row['dana_slots_offered']:>4} slots offered, {row['overlaps']} overlapping, "
            f"offer {row['offer_cold_ms']} ms (calendar read), {row['offer_cached_ms']} ms (cached)"
        )
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"read": reading, "offer": offering}, indent=2))
    ok = reading["caldav_matches_feed"] and all(row["overlaps"] == 0 for row in offering)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
