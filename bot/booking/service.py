"""Booking use cases: offer slots, book, reschedule, cancel, decline, ask for a callback.

The one place that joins routing, slots, the store, the reps' own calendars and the
notifications. Callers (actions, the web app, the CLI) pass in the playbook, a session
factory, the link signer, a clock and (optionally) the calendar cache; nothing here knows
about Rasa or HTTP.

A rep is busy during Banter's own bookings (meeting plus buffer) and during the busy time
of their own calendar; a rep whose calendar could not be read for longer than the
playbook's limit offers no time. A lead has at most one upcoming meeting: asking again
offers to move it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking.calendars import CalendarBusy, Span, with_calendar_busy
from bot.booking.routing import LeadFacts, route
from bot.booking.slots import Slot, free_slots
from bot.links import Links
from bot.notify.meetings import MeetingNotice, meeting_messages
from bot.outcomes.links import outcome_urls
from bot.playbook import Playbook, Rep
from bot.store.meetings import (
    MeetingIn,
    SlotTaken,
    active_meeting,
    assignment_counts,
    book_meeting,
    booking_flags,
    busy_spans,
    cancel_meeting,
    company_owners,
    conversation_id_for,
    get_meeting,
    lock_lead,
    record_callback,
    record_meeting_declined,
    reschedule_meeting,
    utc,
)
from bot.store.models import Conversation, Lead, Meeting
from bot.store.outbox import enqueue
from bot.store.repository import lead_to_dict

__all__ = ["AlreadyBooked", "BookingService", "Notify", "Offer", "SlotTaken", "BookingError"]


class BookingError(ValueError):
    """A booking request that cannot be honoured (unknown slot, meeting gone...)."""


class AlreadyBooked(BookingError):
    """The lead already has an upcoming meeting: move it (`reschedule`) instead of booking another."""

    def __init__(self, existing: Booked) -> None:
        super().__init__(f"lead already has meeting {existing.uid} at {existing.start.isoformat()}")
        self.existing = existing


@dataclass(frozen=True)
class Notify:
    """Where notifications go."""

    mail_from: str
    public_url: str
    slack: bool = False
    webhook: bool = False


@dataclass(frozen=True)
class Offer:
    """Free slots for a meeting type, per rep in routing order (first rep first).

    With `moving`, the lead already has that meeting: the slots are its rep's other free
    times, and choosing one moves it (`reschedule`). `unavailable` lists the reps left out
    because their calendar could not be read recently enough.
    """

    meeting_type: str
    label: str
    route_reason: str
    slots: tuple[Slot, ...] = ()
    by_rep: dict[str, tuple[Slot, ...]] = field(default_factory=dict)
    moving: Booked | None = None
    unavailable: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """No rep has a free slot within the horizon."""
        return not self.slots


@dataclass(frozen=True)
class Booked:
    """A booked meeting as the conversation reports it."""

    uid: str
    rep_name: str
    rep_email: str
    start: datetime
    end: datetime
    meeting_label: str


def _now() -> datetime:
    return datetime.now(timezone.utc)


#: At booking time a rep's calendar read longer ago than this is read again.
RECHECK_AGE = timedelta(seconds=10)


#: Pseudo next step: record a callback request for sales instead of offering times.
CALLBACK_STEP = "callback"


class BookingService:
    """Offer, book, move and cancel meetings; write the notifications in the same transaction."""

    def __init__(
        self,
        playbook: Playbook,
        sessions: Callable[[], Session],
        links: Links,
        notify: Notify,
        now: Callable[[], datetime] = _now,
        calendars: CalendarBusy | None = None,
    ) -> None:
        self.playbook = playbook
        self.sessions = sessions
        self.links = links
        self.notify = notify
        self.now = now
        self.calendars = calendars

    # -- busy time ----------------------------------------------------------------------
    def _busy(
        self,
        own: dict[str, list[Span]],
        reps: list[Rep],
        start: datetime,
        end: datetime,
        max_age: timedelta | None = None,
    ) -> dict[str, list[Span] | None]:
        """Banter's bookings plus the reps' calendar busy time; None for a rep whose calendar is stale."""
        if self.calendars is None or not any(rep.calendar for rep in reps):
            return dict(own)
        limit = timedelta(minutes=self.playbook.booking.calendar_max_staleness_minutes)
        return with_calendar_busy(own, self.calendars.busy(reps, start, end, limit, max_age=max_age))

    def _free(self, rep: Rep, meeting_type: str, busy: list[Span] | None, now: datetime) -> list[Slot]:
        if busy is None:
            return []  # never offer times from a calendar we could not read recently enough
        kind = self.playbook.booking.meeting_types[meeting_type]
        return free_slots(rep, kind, busy, now, self.playbook.booking.slot_step_minutes)

    # -- one meeting per lead -------------------------------------------------------------
    def _booked(self, meeting: Meeting) -> Booked:
        rep = self.playbook.booking.rep(meeting.rep_email)
        kind = self.playbook.booking.meeting_types.get(meeting.meeting_type)
        return Booked(
            meeting.uid,
            rep.name if rep else meeting.rep_email,
            meeting.rep_email,
            utc(meeting.start_at),
            utc(meeting.end_at),
            kind.label if kind else meeting.meeting_type,
        )

    def active_meeting_for(self, lead_id: int) -> Booked | None:
        """The lead's upcoming booked meeting, if any (a lead has at most one)."""
        with self.sessions() as session:
            meeting = active_meeting(session=session, lead_id=lead_id, now=self.now())
            return self._booked(meeting) if meeting is not None else None

    # -- offering -----------------------------------------------------------------
    def meeting_type_for(self, next_step: str) -> str | None:
        """Demo for book_demo, discovery for discovery_call (playbook mapping)."""
        return self.playbook.booking.next_step_meeting.get(next_step)

    def next_step_on_request(self, grade: str | None, next_step: str | None) -> str:
        """The next step for a visitor who asked for a person, sales or a demo.

        A bookable next step stays; otherwise the playbook's `booking.on_request` meeting is
        offered, and disqualified leads (or no `on_request`) get a callback request for sales.
        """
        booking = self.playbook.booking
        if next_step in booking.next_step_meeting:
            return str(next_step)
        if grade != "disqualified" and booking.on_request:
            for step, kind in booking.next_step_meeting.items():
                if kind == booking.on_request:
                    return step
        return CALLBACK_STEP

    def offer(self, meeting_type: str, facts: LeadFacts, lead_id: int | None = None) -> Offer:
        """Free slots of the routed reps, the first rep's first.

        For a lead that already has an upcoming meeting (`lead_id`), the offer is to move
        that meeting: its rep's other free times, `moving` set.
        """
        if lead_id is not None:
            existing = self.active_meeting_for(lead_id)
            if existing is not None:
                return self._move_offer(existing)
        booking = self.playbook.booking
        kind = booking.meeting_types[meeting_type]
        now = self.now()
        with self.sessions() as session:
            counts = assignment_counts(session=session, meeting_type=meeting_type)
            owners = company_owners(session=session, domain=facts.email_domain)
            chosen = route(booking, meeting_type, facts, counts, owners)
            horizon_end = now + timedelta(days=kind.horizon_business_days * 2 + 7)
            own = busy_spans(
                session=session, rep_emails=[r.email for r in chosen.reps], start=now, end=horizon_end
            )
        busy = self._busy(own, list(chosen.reps), now, horizon_end)
        by_rep = {
            rep.email: tuple(self._free(rep, meeting_type, busy[rep.email], now)) for rep in chosen.reps
        }
        first = next((slots for slots in by_rep.values() if slots), ())
        unavailable = tuple(email for email, spans in busy.items() if spans is None)
        return Offer(meeting_type, kind.label, chosen.reason, tuple(first), by_rep, unavailable=unavailable)

    def _move_offer(self, existing: Booked) -> Offer:
        meeting, slots = self.reschedule_options(existing.uid)
        rep = self.playbook.booking.rep(meeting.rep_email)
        unavailable = () if slots or rep is None or self._calendar_fresh(rep) else (rep.email,)
        return Offer(
            meeting.meeting_type,
            existing.meeting_label,
            meeting.route_reason,
            tuple(slots),
            {meeting.rep_email: tuple(slots)},
            moving=existing,
            unavailable=unavailable,
        )

    def _calendar_fresh(self, rep: Rep) -> bool:
        now = self.now()
        return self._busy({rep.email: []}, [rep], now, now + timedelta(days=1))[rep.email] is not None

    # -- booking ------------------------------------------------------------------
    def slot_from_key(self, meeting_type: str, key: str) -> Slot:
        """The slot a button payload names (rep|ISO start); BookingError when it is not one."""
        rep_email, _, start_text = key.partition("|")
        rep = self.playbook.booking.rep(rep_email)
        try:
            start = datetime.fromisoformat(start_text)
        except ValueError:
            raise BookingError(f"not a slot: {key!r}") from None
        if rep is None or not rep.active or meeting_type not in rep.meeting_types or start.tzinfo is None:
            raise BookingError(f"not a slot: {key!r}")
        kind = self.playbook.booking.meeting_types[meeting_type]
        return Slot(
            rep.email,
            start.astimezone(timezone.utc),
            start.astimezone(timezone.utc) + timedelta(minutes=kind.duration_minutes),
        )

    def is_free(self, meeting_type: str, slot: Slot, ignore_uid: str | None = None) -> bool:
        """True when `slot` is inside the rep's hours, notice and horizon, and not taken.

        The rep's calendar is read again unless it was read in the last few seconds: a
        meeting the rep accepted since the times were offered makes the slot taken.
        """
        rep = self.playbook.booking.rep(slot.rep_email)
        if rep is None:
            return False
        now = self.now()
        end = slot.end + timedelta(days=1)
        with self.sessions() as session:
            own = busy_spans(session=session, rep_emails=[rep.email], start=now, end=end)
            if ignore_uid:
                current = get_meeting(session=session, uid=ignore_uid)
                if current is not None:
                    held = (
                        utc(current.start_at),
                        utc(current.end_at) + timedelta(minutes=current.buffer_minutes),
                    )
                    own[rep.email] = [span for span in own[rep.email] if span != held]
        busy = self._busy(own, [rep], now, end, max_age=RECHECK_AGE)
        return slot in self._free(rep, meeting_type, busy[rep.email], now)

    def book(
        self,
        *,
        sender_id: str,
        lead_id: int,
        meeting_type: str,
        slot_key: str,
        route_reason: str,
        visitor_zone: str,
        attendee_email: str,
        attendee_name: str | None,
        asked_for_sales: bool = False,
    ) -> Booked:
        """Book the slot or raise SlotTaken (someone was faster) / BookingError (not a slot).

        A lead with an upcoming meeting gets AlreadyBooked (with that meeting): one active
        meeting per lead, so the caller offers to move it instead.
        """
        slot = self.slot_from_key(meeting_type, slot_key)
        existing = self.active_meeting_for(lead_id)
        if existing is not None:
            raise AlreadyBooked(existing)
        if not self.is_free(meeting_type, slot):
            raise SlotTaken(f"{slot.rep_email} is not free at {slot.start.isoformat()}")
        rep = self.playbook.booking.rep(slot.rep_email)
        assert rep is not None
        kind = self.playbook.booking.meeting_types[meeting_type]
        uid = f"{uuid.uuid4()}@banter"
        with self.sessions() as session, session.begin():
            lock_lead(session=session, lead_id=lead_id)  # first: two bookings of one lead queue here
            current = active_meeting(session=session, lead_id=lead_id, now=self.now())
            if current is not None:
                raise AlreadyBooked(self._booked(current))
            meeting = book_meeting(
                session=session,
                meeting=MeetingIn(
                    uid=uid,
                    lead_id=lead_id,
                    conversation_id=conversation_id_for(session=session, sender_id=sender_id),
                    meeting_type=meeting_type,
                    rep_email=rep.email,
                    route_reason=route_reason,
                    start=slot.start,
                    end=slot.end,
                    buffer_minutes=kind.buffer_minutes,
                    visitor_time_zone=visitor_zone,
                    attendee_email=attendee_email,
                    attendee_name=attendee_name,
                    asked_for_sales=asked_for_sales,
                    booked_at=self.now(),
                ),
            )
            self._notify(session, meeting, "booked")
        return Booked(uid, rep.name, rep.email, slot.start, slot.end, kind.label)

    def reschedule(self, uid: str, slot_key: str, *, by: str = "visitor") -> Booked:
        """Move a booked meeting to another free slot of the same rep."""
        with self.sessions() as session:
            current = get_meeting(session=session, uid=uid)
            if current is None or current.status != "booked":
                raise BookingError("this meeting is not booked any more")
            meeting_type = current.meeting_type
        slot = self.slot_from_key(meeting_type, slot_key)
        if slot.rep_email != current.rep_email:
            raise BookingError("a meeting can only move to another time with the same rep")
        if not self.is_free(meeting_type, slot, ignore_uid=uid):
            raise SlotTaken(f"{slot.rep_email} is not free at {slot.start.isoformat()}")
        with self.sessions() as session, session.begin():
            meeting = get_meeting(session=session, uid=uid, for_update=True)
            if meeting is None or meeting.status != "booked":
                raise BookingError("this meeting is not booked any more")
            previous = utc(meeting.start_at)
            reschedule_meeting(session=session, meeting=meeting, start=slot.start, end=slot.end, by=by)
            self._notify(session, meeting, "rescheduled", previous_start=previous)
        rep = self.playbook.booking.rep(slot.rep_email)
        label = self.playbook.booking.meeting_types[meeting_type].label
        return Booked(uid, rep.name if rep else slot.rep_email, slot.rep_email, slot.start, slot.end, label)

    def cancel(self, uid: str, *, by: str = "visitor") -> bool:
        """Cancel; False when it was already cancelled (cancelling twice is harmless)."""
        with self.sessions() as session, session.begin():
            meeting = get_meeting(session=session, uid=uid, for_update=True)
            if meeting is None:
                raise BookingError("no such meeting")
            if meeting.status != "booked":
                return False
            cancel_meeting(session=session, meeting=meeting, by=by)
            self._notify(session, meeting, "cancelled")
        return True

    def reschedule_options(self, uid: str) -> tuple[Meeting, list[Slot]]:
        """The meeting and the free slots of its rep (its own time excluded)."""
        with self.sessions() as session:
            meeting = get_meeting(session=session, uid=uid)
            if meeting is None:
                raise BookingError("no such meeting")
            rep = self.playbook.booking.rep(meeting.rep_email)
            kind = self.playbook.booking.meeting_types.get(meeting.meeting_type)
            if rep is None or kind is None:
                return meeting, []
            now = self.now()
            end = now + timedelta(days=60)
            own_spans = busy_spans(session=session, rep_emails=[rep.email], start=now, end=end)
        own = (utc(meeting.start_at), utc(meeting.end_at) + timedelta(minutes=meeting.buffer_minutes))
        own_spans[rep.email] = [s for s in own_spans[rep.email] if s != own]
        busy = self._busy(own_spans, [rep], now, end)
        slots = [s for s in self._free(rep, meeting.meeting_type, busy[rep.email], now) if s.start != own[0]]
        return meeting, slots

    # -- no booking -----------------------------------------------------------------
    def decline(self, *, sender_id: str, lead_id: int) -> str | None:
        """The visitor prefers information: next step nurture with the no-booking track."""
        track = self.playbook.nurture_tracks.get("qualified_no_booking")
        with self.sessions() as session, session.begin():
            record_meeting_declined(
                session=session,
                lead_id=lead_id,
                conversation_id=conversation_id_for(session=session, sender_id=sender_id),
                track=track,
            )
        return track

    def request_callback(
        self, *, sender_id: str, lead_id: int, meeting_type: str, preference: str, visitor_zone: str | None
    ) -> int:
        """Record a callback request for sales; returns its id."""
        with self.sessions() as session, session.begin():
            row = record_callback(
                session=session,
                lead_id=lead_id,
                conversation_id=conversation_id_for(session=session, sender_id=sender_id),
                meeting_type=meeting_type,
                preference=preference,
                visitor_time_zone=visitor_zone,
            )
            return int(row.id)

    # -- notifications ----------------------------------------------------------------
    def links_for(self, uid: str) -> tuple[str, str]:
        """(reschedule URL, cancel URL) for a meeting."""
        token = self.links.make("meeting", uid)
        base = self.notify.public_url
        return f"{base}/meetings/{token}/reschedule", f"{base}/meetings/{token}/cancel"

    def transcript_url(self, sender_id: str) -> str:
        """Signed link to a conversation's transcript."""
        return f"{self.notify.public_url}/transcripts/{self.links.make('transcript', sender_id)}"

    def _notify(
        self, session: Session, meeting: Meeting, change: str, previous_start: datetime | None = None
    ) -> None:
        lead = session.get(Lead, meeting.lead_id)
        sender_id = (
            session.execute(
                select(Conversation.sender_id).where(Conversation.id == meeting.conversation_id)
            ).scalar()
            or ""
        )
        rep = self.playbook.booking.rep(meeting.rep_email)
        kind = self.playbook.booking.meeting_types.get(meeting.meeting_type)
        reschedule_url, cancel_url = self.links_for(meeting.uid)
        notice = MeetingNotice(
            change=change,
            uid=meeting.uid,
            sequence=meeting.sequence,
            meeting_type=meeting.meeting_type,
            meeting_label=kind.label if kind else meeting.meeting_type,
            start=utc(meeting.start_at),
            end=utc(meeting.end_at),
            rep_name=rep.name if rep else meeting.rep_email,
            rep_email=meeting.rep_email,
            rep_zone=rep.time_zone if rep else "UTC",
            visitor_name=meeting.attendee_name,
            visitor_email=meeting.attendee_email,
            visitor_zone=meeting.visitor_time_zone,
            company=self.playbook.company.name,
            reschedule_url=reschedule_url,
            cancel_url=cancel_url,
            transcript_url=self.transcript_url(sender_id),
            lead=lead_to_dict(session, lead) if lead else {},
            previous_start=previous_start,
            meeting_link=rep.meeting_link if rep else None,
            flags=tuple(booking_flags(session=session, meeting=meeting)),
            write_to_calendar=bool(rep and rep.calendar and rep.calendar.caldav),
            outcome_urls={}
            if change == "cancelled"
            else outcome_urls(self.links, self.notify.public_url, meeting.uid, meeting.rep_email),
        )
        enqueue(
            session=session,
            messages=meeting_messages(
                notice,
                mail_from=self.notify.mail_from,
                lead_id=meeting.lead_id,
                slack=self.notify.slack,
                webhook=self.notify.webhook,
            ),
            now=self.now(),
        )


def slots_in(offer: Offer) -> Sequence[Slot]:
    """All offered slots across reps, routing order then time."""
    return [slot for slots in offer.by_rep.values() for slot in slots]
