"""Test actions the rasa-sdk way: a Tracker with events and active loop, exact events out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import sessionmaker

from bot.playbook import Playbook, load_playbook
from bot.settings import PROJECT_ROOT
from bot.store.db import make_engine, session_factory
from bot.store.models import Base

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="session")
def playbook() -> Playbook:
    return load_playbook(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml")


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker:
    engine = make_engine(f"sqlite:///{tmp_path / 'leads.db'}")
    Base.metadata.create_all(engine)
    return session_factory(engine)


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def make_tracker(
    text: str = "",
    *,
    intent: str = "inform",
    confidence: float = 0.95,
    slots: dict[str, Any] | None = None,
    requested: str | None = None,
    active: bool = True,
    sender: str = "visitor-1",
    metadata: dict[str, Any] | None = None,
) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}
    all_slots = {"requested_slot": requested, **(slots or {})}
    events = [
        {
            "event": "user",
            "text": text,
            "parse_data": latest,
            "metadata": metadata or {},
            "input_channel": "rest",
        }
    ]
    return Tracker(
        sender_id=sender,
        slots=all_slots,
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": "bant_form"} if active else {},
        latest_action_name="action_listen",
    )


def answer(
    field: str,
    raw: str,
    value: dict[str, Any] | None,
    *,
    declined: bool = False,
    at: str = "2026-11-24T10:00:00.000000+00:00",
) -> dict[str, Any]:
    return {"field": field, "raw": raw, "value": value, "declined": declined, "error": None, "at": at}


Fixed = Callable[[], Any]


def fixed(value: Any) -> Fixed:
    return lambda: value


def said(message: dict[str, Any]) -> str | None:
    """The response a dispatched message stands for: a domain response, or a question's text
    from the playbook (sent with its `utter_action` name in the metadata)."""
    return message.get("response") or message.get("utter_action")
