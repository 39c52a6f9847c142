"""RFC 5545 invites written with the icalendar library.

METHOD:REQUEST for a new or moved meeting (same UID, SEQUENCE bumped), METHOD:CANCEL
for a cancelled one. Times carry the rep's zone (TZID) with its VTIMEZONE definition,
so every calendar shows them right in the reader's own zone.

The copy written into the rep's own CalDAV calendar (`stored`) has no METHOD (RFC 4791
forbids it in a stored object) and its attendees say SCHEDULE-AGENT=CLIENT (RFC 6638),
so the calendar server does not send invitations of its own: Banter's email already did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText


@dataclass(frozen=True)
class InviteInfo:
    """What an invite says."""

    uid: str
    sequence: int
    summary: str
    description: str
    start: datetime  # aware
    end: datetime  # aware
    zone: str  # the rep's IANA zone
    organizer_email: str
    organizer_name: str
    attendee_email: str
    attendee_name: str | None
    cancelled: bool = False
    location: str | None = None  # the rep's video-meeting link or phone number
    stored: bool = False  # the copy kept in the rep's own calendar (no METHOD, no server invitations)


def _address(email: str, name: str | None, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def build_invite(info: InviteInfo, stamp: datetime | None = None) -> str:
    """The invite as text (CRLF line endings, as RFC 5545 requires)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Banter//Lead qualification assistant//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if not info.stored:
        calendar.add("method", "CANCEL" if info.cancelled else "REQUEST")
    agent = {"SCHEDULE-AGENT": "CLIENT"} if info.stored else {}
    zone = ZoneInfo(info.zone)
    event = Event()
    event.add("uid", info.uid)
    event.add("sequence", info.sequence)
    event.add("dtstamp", (stamp or datetime.now(timezone.utc)).astimezone(timezone.utc))
    event.add("dtstart", info.start.astimezone(zone))
    event.add("dtend", info.end.astimezone(zone))
    event.add("summary", info.summary)
    event.add("description", info.description)
    if info.location:
        event.add("location", info.location)
    event.add("status", "CANCELLED" if info.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(info.organizer_email, info.organizer_name))
    event.add(
        "attendee",
        _address(
            info.attendee_email,
            info.attendee_name,
            ROLE="REQ-PARTICIPANT",
            PARTSTAT="NEEDS-ACTION",
            RSVP="TRUE",
            **agent,
        ),
    )
    event.add(
        "attendee",
        _address(info.organizer_email, info.organizer_name, ROLE="CHAIR", PARTSTAT="ACCEPTED", **agent),
    )
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode("utf-8")
