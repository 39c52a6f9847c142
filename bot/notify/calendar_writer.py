"""Delivering "calendar" outbox messages: a booking written into the rep's CalDAV calendar.

A "put" creates the event or replaces it (same UID: a move), a "delete" removes it (a
cancel; already gone counts as done). A message that a later change of the same meeting
superseded (the meeting's SEQUENCE moved on) is skipped: that change's own message
carries the current state, so the calendar ends up right whatever order the worker
delivers them in. The rep's calendar settings and password are looked up at delivery
time; every failure raises DeliveryError, so the outbox retries it and never marks it sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from bot.booking.calendars import DEFAULT_TIMEOUT, CalendarError, caldav_problem, open_caldav
from bot.notify.delivery import DeliveryError
from bot.playbook import RepCalendar


class CalendarWriter:
    """Puts and deletes meetings in reps' CalDAV calendars."""

    def __init__(
        self,
        calendar_of: Callable[[str], RepCalendar | None],
        current_sequence: Callable[[str], int | None],
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.calendar_of = calendar_of
        self.current_sequence = current_sequence
        self.timeout = timeout

    def send(self, payload: Mapping[str, Any], event_id: str) -> None:
        """Write one change into the rep's calendar or raise DeliveryError."""
        rep_email, uid, action = payload["rep_email"], payload["uid"], payload["action"]
        calendar = self.calendar_of(rep_email)
        if calendar is None or calendar.caldav is None:
            raise DeliveryError(f"{rep_email} has no CalDAV calendar in the playbook", permanent=True)
        current = self.current_sequence(uid)
        if current is not None and current > int(payload["sequence"]):
            return  # superseded: a later change of this meeting has its own message
        if current is None and action == "put":
            return  # the meeting is gone (erased): nothing to write
        try:
            target = open_caldav(calendar.caldav, self.timeout)
            existing = self._find(target, uid)
            if action == "delete":
                if existing is not None:
                    existing.delete()
                return
            # A plain PUT: the library's save() bumps SEQUENCE itself, and the meeting's is the one to keep.
            url = (
                existing.url
                if existing is not None
                else target.url.join(quote(uid.replace("/", "%2F")) + ".ics")
            )
            response = target.client.put(
                str(url), payload["ics"], {"Content-Type": 'text/calendar; charset="utf-8"'}
            )
            if response.status not in (200, 201, 204):
                raise CalendarError(
                    f"the CalDAV server answered HTTP {response.status} to the write",
                    permanent=400 <= response.status < 500 and response.status not in (408, 409, 423, 429),
                )
        except Exception as err:  # requests, lxml and caldav errors alike: not written
            problem = caldav_problem(err, self.timeout)
            raise DeliveryError(f"calendar of {rep_email}: {problem}", permanent=problem.permanent) from None

    @staticmethod
    def _find(target: Any, uid: str) -> Any:
        from caldav.lib import error

        try:
            return target.event_by_uid(uid)
        except error.NotFoundError:
            return None
