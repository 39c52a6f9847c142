"""Bounds on what a visitor can send, applied where messages enter Rasa (both chat channels).

A 5 MB message stalled every other visitor while DIET featurised it, a 1 MB sender id was
stored as a conversation id, and a lone surrogate crashed the action server. Every message
passes through `bounded()`: text is normalised, a message over MAX_MESSAGE characters or
with a sender id over MAX_SENDER characters gets a clear reply and is not processed, and
metadata keys are checked against their types and bounds (bot/channel_input.py; a visitor
id counts only when this server signed it).

The REST channel takes any sender id, so it is for trusted server-side integrations only:
it answers only requests that carry BANTER_REST_TOKEN (`Authorization: Bearer <token>`),
and is off when no token is configured. Browsers use socket.io with server-issued ids.

Rate limits (bot/chat_limits.py): messages per conversation and per client address, new
conversations per address; over one, REST answers 429 with Retry-After and nothing is
processed. Every message's metadata is stamped with the client's key (CLIENT_KEY) after it
was cleaned, so the outcome action can limit new leads per address and no visitor can set it.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from bot.channel_input import CLIENT_KEY, clean_metadata
from bot.chat_limits import ChatLimiter, client_key, notice
from bot.identity import Identity, identity_for
from bot.links import signing_key
from bot.ratelimit import client_address
from bot.settings import behind_proxy, load_settings
from bot.text import normalise_text

logger = logging.getLogger(__name__)

MAX_MESSAGE = 2000
MAX_SENDER = 128

TOO_LONG = (
    f"That message is too long for me (at most {MAX_MESSAGE:,} characters). "
    "Could you send the gist in a shorter message?"
)
BAD_SENDER = "This chat session is not valid. Please reload the page to start a new one."
REST_OFF = "The REST channel is off: set BANTER_REST_TOKEN and send it as 'Authorization: Bearer <token>'."
REST_DENIED = "This REST channel needs 'Authorization: Bearer <BANTER_REST_TOKEN>'."


@lru_cache(maxsize=1)
def channel_identity() -> Identity:
    """Signs and checks session and visitor ids in this Rasa process."""
    return identity_for(load_settings())


@lru_cache(maxsize=1)
def chat_limiter() -> ChatLimiter:
    """The chat limits of this Rasa process (BANTER_LIMIT_*), counted in memory or in REDIS_URL's Redis."""
    return ChatLimiter.from_env(os.environ)


@lru_cache(maxsize=1)
def _client_secret() -> str:
    return signing_key(load_settings())


def client_of(peer: str | None, forwarded_for: list[str]) -> str:
    """The key of the client a request came from (behind a proxy: the proxy's X-Forwarded-For entry)."""
    return client_key(client_address(peer, forwarded_for, behind_proxy(os.environ)), _client_secret())


def visitor_metadata(raw: Any, sender: str, client: str | None) -> dict[str, Any] | None:
    """The visitor's metadata checked key by key, then stamped with the client's key."""
    metadata, dropped = clean_metadata(raw, channel_identity())
    if dropped:
        logger.info("conversation %s: metadata keys dropped: %s", sender[:MAX_SENDER], ", ".join(dropped))
    if client:
        metadata[CLIENT_KEY] = client  # after cleaning: a visitor's own key of this name was dropped
    return metadata or None


def handed_back(text: Any) -> str | None:
    """A message sent back to the client to be sent again, never longer than a message may be."""
    return text[:MAX_MESSAGE] if isinstance(text, str) else None


def bounded(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Callable[[UserMessage], Awaitable[Any]]:
    """`on_new_message` that refuses oversized input with a reply and passes the rest on normalised.

    The channel has already cleaned and stamped the metadata (`visitor_metadata`).
    """

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
        return await on_new_message(message)

    return handle


def rest_token() -> str | None:
    """The REST channel's bearer token (BANTER_REST_TOKEN), or None when the channel is off."""
    return os.environ.get("BANTER_REST_TOKEN") or None


def rest_refusal(request: Request, token: str | None) -> str | None:
    """Why this request may not use the REST channel, or None when it may."""
    if token is None:
        return REST_OFF
    offered = request.headers.get("Authorization", "")
    scheme, _, value = offered.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
        return REST_DENIED
    return None


class BoundedRestInput(RestInput):
    """Rasa's REST channel with the bounds above, for token holders only."""

    @classmethod
    def name(cls) -> str:
        """Same name as Rasa's channel: the URL stays /webhooks/rest/webhook."""
        return "rest"

    @staticmethod
    def _client(request: Request) -> str:
        return client_of(request.ip, request.headers.getall("X-Forwarded-For", []))

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """The request's metadata, cleaned and stamped with the client's key."""
        body = request.json if isinstance(request.json, dict) else {}
        return visitor_metadata(body.get("metadata"), str(body.get("sender") or ""), self._client(request))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """Rasa's blueprint around a bounded message handler, for token holders, within the rate limits."""
        blueprint = super().blueprint(bounded(on_new_message))
        token = rest_token()
        limiter = chat_limiter()

        @blueprint.on_request
        async def require_token(request: Request) -> Any:
            if request.method != "POST":
                return None  # the health check stays open
            refusal = rest_refusal(request, token)
            if refusal is not None:
                return response.json({"error": refusal}, status=403 if token is None else 401)
            body = request.json if isinstance(request.json, dict) else {}
            sender = str(body.get("sender") or "")[:MAX_SENDER]
            refused = await limiter.rest_message(sender, self._client(request))
            if refused is None:
                return None
            return response.json(
                {"error": notice(refused), "retry_after": refused.seconds},
                status=429,
                headers={"Retry-After": str(refused.seconds)},
            )

        return blueprint


__all__ = [
    "MAX_MESSAGE",
    "MAX_SENDER",
    "BoundedRestInput",
    "bounded",
    "channel_identity",
    "chat_limiter",
    "client_of",
    "handed_back",
    "rest_token",
    "visitor_metadata",
]
