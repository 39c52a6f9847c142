"""Collaborators of the actions, created on first use (never at import time).

Actions take these as constructor arguments with these defaults, so tests inject
their own playbook, database or clock.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bot.booking.service import BookingService
from bot.chat_limits import ChatLimiter
from bot.nurture.service import NurtureService
from bot.playbook import Playbook, load_playbook
from bot.settings import load_settings
from bot.store.db import make_engine, session_factory
from bot.wiring import booking_service, nurture_service

logger = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]


@functools.lru_cache(maxsize=4)
def _playbook_at(path: Path, mtime: float, public_url: str) -> Playbook:
    logger.info("loading playbook %s", path)
    return load_playbook(path).on_site(public_url)


def playbook() -> Playbook:
    """The current playbook (links written as paths are the web app's pages); re-read when the file changes."""
    settings = load_settings()
    path = settings.playbook_path
    return _playbook_at(path, path.stat().st_mtime, settings.public_url)


@functools.lru_cache(maxsize=1)
def sessions() -> sessionmaker:
    """Session factory for the lead store at DATABASE_URL."""
    return session_factory(make_engine(load_settings().database_url))


@functools.lru_cache(maxsize=1)
def chat_limiter() -> ChatLimiter:
    """The chat limits (the lead limit, here) from BANTER_LIMIT_*, counted in memory or REDIS_URL's Redis."""
    return ChatLimiter.from_env(os.environ)


def today() -> date:
    """The reference day for timelines; BANTER_TODAY (YYYY-MM-DD) pins it for tests."""
    pinned = os.environ.get("BANTER_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


def now() -> datetime:
    """The booking clock; BANTER_NOW (ISO 8601 with offset) pins it for tests."""
    pinned = os.environ.get("BANTER_NOW")
    return datetime.fromisoformat(pinned) if pinned else datetime.now(timezone.utc)


def booking() -> BookingService:
    """The booking service on the current playbook and the lead store."""
    return booking_service(load_settings(), playbook(), sessions(), now=now)


def nurture() -> NurtureService:
    """The nurture service on the current playbook and the lead store."""
    return nurture_service(load_settings(), playbook(), sessions(), now=now)
