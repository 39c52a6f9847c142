"""Start the assistant on throw-away databases and chat with it over REST.

Shared by the end-to-end tests (tests/e2e/conftest.py) and scripts/eval_conversations.py.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.identity import identity_for
from bot.runner import start_servers, stop
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.store.db import make_engine, session_factory
from bot.store.models import CallbackRequest
from bot.store.repository import get_lead_by_conversation

# Tests, evaluations and benchmarks drive many conversations from 127.0.0.1 at machine speed:
# limits far above that, still counted (the limiter runs on every message as in production).
# tests/e2e/test_rate_limits.py starts its own assistant with tight limits.
GENEROUS_LIMITS = {
    "BANTER_LIMIT_MESSAGES_PER_SESSION": "10000/minute",
    "BANTER_LIMIT_MESSAGES_PER_IP": "1000000/minute",
    "BANTER_LIMIT_CONVERSATIONS_PER_IP": "1000000/minute",
    "BANTER_LIMIT_LEADS_PER_IP": "1000000/hour",
}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_assistant(
    tmp: Path, env: Mapping[str, str] | None = None, *, web: bool = True, worker: bool = True
) -> Iterator[Settings]:
    """Migrate fresh SQLite databases in `tmp`, start the servers on free ports, stop them after.

    `env` adds variables (BANTER_TODAY, BANTER_PLAYBOOK...); os.environ is restored on exit.
    """
    settings_env = {
        "DATABASE_URL": f"sqlite:///{tmp / 'leads.db'}",
        "TRACKER_DB": str(tmp / "tracker.db"),
        "RASA_PORT": str(free_port()),
        "ACTIONS_PORT": str(free_port()),
        "WEB_PORT": str(free_port()),
        "SMTP_PORT": str(free_port()),
        "BANTER_MAIL_DIR": str(tmp / "mail"),
        "RASA_API_TOKEN": secrets.token_hex(24),
        "BANTER_REST_TOKEN": secrets.token_hex(24),  # the REST channel is off without a token
        # Tests and evaluations run on their own playbook, never marketing's live file.
        "BANTER_PLAYBOOK": str(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml"),
        **GENEROUS_LIMITS,
        **(env or {}),
    }
    saved = {key: os.environ.get(key) for key in settings_env}
    os.environ.update(settings_env)
    try:
        settings = load_settings()
        from bot.cli import main

        if main(["migrate"]) != 0:
            raise RuntimeError(f"could not migrate {settings.database_url}")
        procs = start_servers(settings, log_dir=tmp / "log", web=web, worker=worker)
        try:
            yield settings
        finally:
            stop(procs)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass(kw_only=True)
class AssistantClient:
    """Talks to a running Rasa server over REST and reads the lead store it writes to."""

    base_url: str
    database_url: str
    api_token: str = field(default_factory=lambda: os.environ.get("RASA_API_TOKEN", ""))
    rest_token: str = field(default_factory=lambda: os.environ.get("BANTER_REST_TOKEN", ""))
    # sent with every chat message, e.g. X-Forwarded-For to act as a given client behind a proxy
    extra_headers: dict[str, str] = field(default_factory=dict)
    transcripts: dict[str, list[str]] = field(default_factory=dict)
    _sessions: sessionmaker | None = field(default=None, init=False, repr=False)

    def messages(
        self, sender: str, message: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The assistant's replies as the REST channel sends them (text and buttons)."""
        body = json.dumps({"sender": sender, "message": message, "metadata": metadata or {}}).encode()
        request = urllib.request.Request(
            f"{self.base_url}/webhooks/rest/webhook",
            data=body,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.rest_token}",
                **self.extra_headers,
            },
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            replies: list[dict[str, Any]] = json.loads(response.read())
        self.transcripts.setdefault(sender, []).extend(
            [f"> {message}", *(m.get("text", "") for m in replies)]
        )
        return replies

    def new_visitor_id(self) -> str:
        """A visitor id signed like the widget's (only signed ids recognise a returning visitor)."""
        return identity_for(load_settings()).new_visitor_id()

    def say(self, sender: str, message: str, metadata: dict[str, Any] | None = None) -> list[str]:
        """The texts of the assistant's replies."""
        return [m.get("text", "") for m in self.messages(sender, message, metadata)]

    def tracker(self, sender: str) -> dict[str, Any]:
        """The conversation's tracker from Rasa's HTTP API."""
        query = urllib.parse.urlencode({"token": self.api_token})
        with urllib.request.urlopen(
            f"{self.base_url}/conversations/{sender}/tracker?{query}", timeout=30
        ) as response:
            tracker: dict[str, Any] = json.loads(response.read())
        return tracker

    def requested_slot(self, sender: str) -> str | None:
        """The field the form is asking for, or None when no question is open."""
        value = self.tracker(sender)["slots"].get("requested_slot")
        return None if value is None else str(value)

    def _session_factory(self) -> sessionmaker:
        if self._sessions is None:
            self._sessions = session_factory(make_engine(self.database_url))
        return self._sessions

    def lead(self, sender: str) -> dict[str, Any] | None:
        """The stored lead of a conversation (bot.store.repository's JSON shape), or None."""
        with self._session_factory()() as session:
            return get_lead_by_conversation(session=session, sender_id=sender)

    def callback_requests(self, lead_id: int) -> list[dict[str, Any]]:
        """Callback requests recorded for a lead (a visitor who asked sales to get in touch)."""
        with self._session_factory()() as session:
            rows = session.execute(
                select(CallbackRequest).where(CallbackRequest.lead_id == lead_id).order_by(CallbackRequest.id)
            ).scalars()
            return [
                {"meeting_type": r.meeting_type, "status": r.status, "preference": r.preference} for r in rows
            ]
