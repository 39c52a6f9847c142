"""Builds the collaborators of the processes from settings (no work at import time)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.booking.calendars import CalendarBusy, CalendarStatus
from bot.booking.service import BookingService, Notify
from bot.links import Links, signing_key
from bot.notify.calendar_writer import CalendarWriter
from bot.notify.delivery import SmtpSender, WebhookSender
from bot.notify.worker import Sender
from bot.nurture.service import NurtureService
from bot.playbook import Playbook, RepCalendar
from bot.settings import Settings
from bot.store.calendars import record_calendar_read
from bot.store.db import make_engine
from bot.store.meetings import meeting_sequence
from bot.transcripts import Line, load_transcript


def links(settings: Settings) -> Links:
    """The link signer (reschedule, cancel, transcript links)."""
    return Links(signing_key(settings), settings.link_max_age_days * 86400)


def notify(settings: Settings) -> Notify:
    """Where booking notifications go."""
    return Notify(
        mail_from=settings.mail_from,
        public_url=settings.public_url,
        slack=bool(settings.slack_webhook_url),
        webhook=bool(settings.webhook_url),
    )


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(timezone.utc)


def calendar_recorder(sessions: Callable[[], Session]) -> Callable[[CalendarStatus], None]:
    """Keeps each calendar read's outcome in the lead store (the console lists the failing ones)."""

    def record(status: CalendarStatus) -> None:
        with sessions() as session, session.begin():
            record_calendar_read(
                session=session,
                rep_email=status.rep_email,
                source=status.source,
                checked_at=status.checked_at,
                ok_at=status.ok_at,
                failing_since=status.failing_since,
                error=status.error,
            )

    return record


@functools.lru_cache(maxsize=4)
def calendar_busy(sessions: Callable[[], Session]) -> CalendarBusy:
    """The process's cache of reps' calendars (one per lead store): it outlives each BookingService."""
    return CalendarBusy(record=calendar_recorder(sessions))


def booking_service(
    settings: Settings,
    playbook: Playbook,
    sessions: Callable[[], Session],
    now: Callable[[], datetime] = utc_now,
) -> BookingService:
    """A booking service on the lead store and the reps' calendars (the cache outlives the service)."""
    return BookingService(
        playbook, sessions, links(settings), notify(settings), now=now, calendars=calendar_busy(sessions)
    )


def nurture_service(
    settings: Settings,
    playbook: Playbook,
    sessions: Callable[[], Session],
    now: Callable[[], datetime] = utc_now,
) -> NurtureService:
    """Nurture enrolment and sending on the lead store."""
    return NurtureService(
        playbook,
        sessions,
        links(settings),
        mail_from=settings.mail_from,
        public_url=settings.public_url,
        now=now,
    )


def tracker_engine(settings: Settings) -> Engine:
    """Rasa's tracker store (for transcripts, export and erasure)."""
    return make_engine(settings.tracker_url)


def calendar_writer(playbook: Playbook, sessions: Callable[[], Session]) -> CalendarWriter:
    """Writes bookings into reps' CalDAV calendars (settings looked up in the playbook at delivery)."""

    def calendar_of(rep_email: str) -> RepCalendar | None:
        rep = playbook.booking.rep(rep_email)
        return rep.calendar if rep else None

    def current_sequence(uid: str) -> int | None:
        with sessions() as session:
            return meeting_sequence(session=session, uid=uid)

    return CalendarWriter(calendar_of, current_sequence)


def senders(
    settings: Settings, playbook: Playbook | None = None, sessions: Callable[[], Session] | None = None
) -> dict[str, Sender]:
    """Email over SMTP, webhooks over HTTP and (with the playbook) reps' CalDAV calendars."""
    calendar: dict[str, Sender] = (
        {"calendar": calendar_writer(playbook, sessions)}
        if playbook is not None and sessions is not None
        else {}
    )
    return {
        **calendar,
        "email": SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_user,
            settings.smtp_password,
            settings.smtp_starttls,
        ),
        "webhook": WebhookSender(settings.slack_webhook_url, settings.webhook_url, settings.webhook_secret),
    }


def transcripts(settings: Settings) -> Callable[[str], list[Line]]:
    """Reads transcripts from Rasa's tracker store."""
    engine: Engine | None = None

    def read(sender_id: str) -> list[Line]:
        nonlocal engine
        if engine is None:
            engine = make_engine(settings.tracker_url)
        return load_transcript(engine, sender_id)

    return read
