"""Bounded input at the chat channels: oversized messages and sender ids get a clear reply, fast."""

from __future__ import annotations

import time

import pytest

from channels.limits import BAD_SENDER, MAX_MESSAGE, TOO_LONG
from tests.e2e.conftest import Assistant

pytestmark = pytest.mark.e2e


def test_an_oversized_message_gets_a_clear_reply_and_is_not_processed(assistant: Assistant) -> None:
    started = time.monotonic()
    replies = assistant.say("limits-long", "x" * (5 * 1024 * 1024))
    assert replies == [TOO_LONG]
    assert time.monotonic() - started < 10
    assert assistant.say("limits-long", "y" * MAX_MESSAGE)  # the limit itself is still a message


def test_an_oversized_sender_id_is_refused(assistant: Assistant) -> None:
    assert assistant.say("s" * 1_000_000, "hi") == [BAD_SENDER]


def test_a_lone_surrogate_is_a_message_like_any_other(assistant: Assistant) -> None:
    replies = assistant.say("limits-surrogate", "hi \ud800 there")
    assert replies and not any("Traceback" in r for r in replies)
