"""Builds the collaborators of the processes from settings (no work at import time)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.booking.service import BookingService, Notify
from bot.links import Links, signing_key
from bot.notify.delivery import SmtpSender, WebhookSender
from bot.notify.worker import Sender
from bot.nurture.service import NurtureService
from bot.playbook import Playbook
from bot.settings import Settings
from bot.store.db import make_engine
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


def booking_service(
    settings: Settings,
    playbook: Playbook,
    sessions: Callable[[], Session],
    now: Callable[[], datetime] = utc_now,
) -> BookingService:
    """A booking service on the lead store."""
    return BookingService(playbook, sessions, links(settings), notify(settings), now=now)


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


def senders(settings: Settings) -> dict[str, Sender]:
    """Email over SMTP and webhooks over HTTP, configured from the environment."""
    return {
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
