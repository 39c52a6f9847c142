"""Bounds on what a visitor can send, applied where messages enter Rasa (both chat channels).

A 5 MB message stalled every other visitor while DIET featurised it, a 1 MB sender id was
stored as a conversation id, and a lone surrogate crashed the action server. Every message
passes through `bounded()`: text is normalised, a message over MAX_MESSAGE characters or
with a sender id over MAX_SENDER characters gets a clear reply and is not processed, and
metadata that is not a JSON object is dropped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

from bot.text import normalise_text

MAX_MESSAGE = 2000
MAX_SENDER = 128

TOO_LONG = (
    f"That message is too long for me (at most {MAX_MESSAGE:,} characters). "
    "Could you send the gist in a shorter message?"
)
BAD_SENDER = "This chat session is not valid. Please reload the page to start a new one."


def bounded(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Callable[[UserMessage], Awaitable[Any]]:
    """`on_new_message` that refuses oversized input with a reply and passes the rest on cleaned."""

    async def handle(message: UserMessage) -> Any:
        sender = str(message.sender_id or "")
        if len(sender) > MAX_SENDER:
            if message.output_channel is not None:
                await message.output_channel.send_text_message(sender[:MAX_SENDER], BAD_SENDER)
            return None
        text = message.text or ""
        if len(text) > MAX_MESSAGE:
            if message.output_channel is not None:
                await message.output_channel.send_text_message(sender, TOO_LONG)
            return None
        message.text = normalise_text(text)
        if message.metadata is not None and not isinstance(message.metadata, dict):
            message.metadata = None
        return await on_new_message(message)

    return handle


class BoundedRestInput(RestInput):
    """Rasa's REST channel with the bounds above."""

    @classmethod
    def name(cls) -> str:
        """Same name as Rasa's channel: the URL stays /webhooks/rest/webhook."""
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """Rasa's blueprint around a bounded message handler."""
        return super().blueprint(bounded(on_new_message))


__all__ = ["MAX_MESSAGE", "MAX_SENDER", "BoundedRestInput", "bounded"]
