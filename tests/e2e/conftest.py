"""Start the trained assistant and the action server once, chat with them over REST."""

from __future__ import annotations

import json
import os
import socket
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.runner import start_servers, stop
from bot.settings import PROJECT_ROOT, load_settings
from bot.store.db import make_engine, session_factory
from bot.store.repository import get_lead_by_conversation

TODAY = "2026-11-24"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Assistant:
    base_url: str
    database_url: str
    mail_dir: Path
    web_url: str
    transcripts: dict[str, list[str]] = field(default_factory=dict)
    last_messages: list[dict[str, Any]] = field(default_factory=list)

    def messages(self, sender: str, message: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The assistant's replies as the REST channel sends them (text and buttons)."""
        body = json.dumps({"sender": sender, "message": message, "metadata": metadata or {}}).encode()
        request = urllib.request.Request(
            f"{self.base_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            replies: list[dict[str, Any]] = json.loads(response.read())
        self.transcripts.setdefault(sender, []).extend([f"> {message}", *(m.get("text", "") for m in replies)])
        return replies

    def say(self, sender: str, message: str, metadata: dict[str, Any] | None = None) -> list[str]:
        return [m.get("text", "") for m in self.messages(sender, message, metadata)]

    def tracker(self, sender: str) -> dict[str, Any]:
        with urllib.request.urlopen(
            f"{self.base_url}/conversations/{sender}/tracker", timeout=30
        ) as response:
            return json.loads(response.read())

    def requested_slot(self, sender: str) -> str | None:
        return self.tracker(sender)["slots"].get("requested_slot")

    def lead(self, sender: str) -> dict[str, Any] | None:
        with session_factory(make_engine(self.database_url))() as session:
            return get_lead_by_conversation(session=session, sender_id=sender)

    def converse(
        self,
        persona: dict[str, str],
        first: str = "hi",
        *,
        interject: dict[str, list[str]] | None = None,
        metadata: dict[str, Any] | None = None,
        max_turns: int = 30,
    ) -> Conversation:
        """Send `first`, then answer whatever the form asks from `persona` until it stops asking.

        `interject[slot]` messages are sent (once) when `slot` is first asked, before the answer.
        """
        sender = f"e2e-{uuid.uuid4().hex[:10]}"
        self.last_messages = self.messages(sender, first, metadata)
        conversation = Conversation(sender=sender, replies=[m.get("text", "") for m in self.last_messages])
        pending = {slot: list(messages) for slot, messages in (interject or {}).items()}
        for _ in range(max_turns):
            slot = self.requested_slot(sender)
            if slot is None:
                conversation.transcript = self.transcripts[sender]
                return conversation
            conversation.asked.append(slot)
            if pending.get(slot):
                message = pending[slot].pop(0)
                conversation.interjections.append((slot, message, self.say(sender, message)))
                continue
            assert slot in persona, f"unexpected question {slot!r}; transcript: {self.transcripts[sender]}"
            self.last_messages = self.messages(sender, persona[slot])
            conversation.replies = [m.get("text", "") for m in self.last_messages]
        raise AssertionError(f"conversation did not finish: {self.transcripts[sender]}")


@dataclass
class Conversation:
    sender: str
    replies: list[str]
    asked: list[str] = field(default_factory=list)
    interjections: list[tuple[str, str, list[str]]] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    model = PROJECT_ROOT / "models" / "banter.tar.gz"
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run `make train` (make test does)")
    tmp = tmp_path_factory.mktemp("e2e")
    env = {
        "DATABASE_URL": f"sqlite:///{tmp / 'leads.db'}",
        "TRACKER_DB": str(tmp / "tracker.db"),
        "RASA_PORT": str(_free_port()),
        "ACTIONS_PORT": str(_free_port()),
        "WEB_PORT": str(_free_port()),
        "SMTP_PORT": str(_free_port()),
        "BANTER_MAIL_DIR": str(tmp / "mail"),
        "BANTER_TODAY": TODAY,
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        settings = load_settings()
        from bot.cli import main

        assert main(["migrate"]) == 0
        procs = start_servers(settings, log_dir=Path(tmp) / "log")
        try:
            yield Assistant(
                base_url=f"http://127.0.0.1:{settings.rasa_port}",
                database_url=settings.database_url,
                mail_dir=settings.mail_dir,
                web_url=settings.public_url,
            )
        finally:
            stop(procs)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
