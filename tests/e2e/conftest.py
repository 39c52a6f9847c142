"""Start the trained assistant and the action server once, chat with them over REST."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.settings import PROJECT_ROOT
from scripts.assistant_client import AssistantClient, free_port, running_assistant

TODAY = "2026-11-24"

_free_port = free_port  # tests/e2e/test_restart.py imports it from here


@dataclass(kw_only=True)
class Assistant(AssistantClient):
    mail_dir: Path
    web_url: str
    last_messages: list[dict[str, Any]] = field(default_factory=list)

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
    with running_assistant(tmp, {"BANTER_TODAY": TODAY}) as settings:
        yield Assistant(
            base_url=f"http://127.0.0.1:{settings.rasa_port}",
            database_url=settings.database_url,
            mail_dir=settings.mail_dir,
            web_url=settings.public_url,
        )
