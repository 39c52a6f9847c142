"""Rasa's socket.io channel, accepting connections only from BANTER_ALLOWED_ORIGINS.

Rasa 3.6 builds its socket.io server with origin checks switched off; this subclass
builds the same channel with python-socketio's own `cors_allowed_origins` set from the
environment, so a page on another site cannot open a socket.

It also fixes session persistence with the pinned python-socketio 5.x, where
`AsyncServer.enter_room` is a coroutine that Rasa 3.6 never awaits: the visitor's
socket never joined its session's room, so replies sent to the session were lost.

Session ids are issued by the server and signed (bot/identity.py): a client that offers an
id the server did not sign gets a new one, and a message is taken only from a socket that
joined its session through `session_request`. A message with an invalid session is not
dropped: the socket gets `session_invalid` with the message back, and the widget asks for
a session and sends it again. The visitor id travels the same way (`session_request`
{"visitor_id"} -> `session_confirm` {"session_id", "visitor_id"}), so a visitor is welcomed
back only in the browser the server gave their id to.

Rate limits (bot/chat_limits.py): messages per session and per client address, new sessions
per address. Over one, nothing is processed and nothing is lost: the socket gets
`rate_limited` {"text", "retry_after", "message", "session"} with the message handed back
(None when a new session was refused); the widget shows the text and sends the message (or
asks for the session) again after `retry_after` seconds. Every message's metadata is stamped
with the client's key after it was cleaned (channels/limits.py).
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

import rasa.core.channels.socketio as rasa_socketio
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from bot.chat_limits import notice
from bot.ratelimit import Refusal
from channels.limits import bounded, channel_identity, chat_limiter, client_of, handed_back, visitor_metadata


def allowed_origins() -> list[str] | str:
    """Origins from BANTER_ALLOWED_ORIGINS ("*" allows all; empty means same-origin only)."""
    origins = [
        o.strip().rstrip("/") for o in os.environ.get("BANTER_ALLOWED_ORIGINS", "").split(",") if o.strip()
    ]
    return "*" if "*" in origins else origins or "http://127.0.0.1"


class OriginCheckedSocketIOInput(SocketIOInput):
    """socket.io with an origin allow-list."""

    @classmethod
    def name(cls) -> str:
        """Same name as Rasa's channel, so conversations and metadata look the same."""
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint, built while AsyncServer carries the allow-list."""
        original = rasa_socketio.AsyncServer
        origins = allowed_origins()
        handle = bounded(on_new_message)

        def with_origins(*args: Any, **kwargs: Any) -> Any:
            return original(*args, **{**kwargs, "cors_allowed_origins": origins})

        rasa_socketio.AsyncServer = with_origins  # type: ignore[assignment,misc]
        try:
            blueprint = super().blueprint(handle)
        finally:
            rasa_socketio.AsyncServer = original  # type: ignore[misc]
        sio = self.sio
        assert sio is not None

        ids = channel_identity()
        limiter = chat_limiter()

        def client(sid: str) -> str:
            # the request that opened the socket (engine.io's environ pins REMOTE_ADDR to 127.0.0.1)
            environ = sio.get_environ(sid, namespace=self.namespace) or {}
            forwarded = environ.get("HTTP_X_FORWARDED_FOR")
            return client_of(
                getattr(environ.get("sanic.request"), "ip", None), [forwarded] if forwarded else []
            )

        async def refuse(sid: str, refused: Refusal, data: dict[str, Any] | None) -> None:
            await sio.emit(
                "rate_limited",
                {
                    "text": notice(refused),
                    "retry_after": refused.seconds,
                    "message": handed_back((data or {}).get("message")),
                    "session": data is None,
                },
                room=sid,
                namespace=self.namespace,
            )

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id")
            if not ids.is_session_id(session_id):
                refused = await limiter.new_conversation(client(sid))
                if refused is not None:
                    await refuse(sid, refused, None)
                    return
                session_id = ids.new_session_id()
            visitor_id = ids.visitor_id(data.get("visitor_id")) or ids.new_visitor_id()
            joined = sio.enter_room(sid, session_id, namespace=self.namespace)
            if inspect.isawaitable(joined):
                await joined
            await sio.emit(
                "session_confirm",
                {"session_id": session_id, "visitor_id": visitor_id},
                room=sid,
                namespace=self.namespace,
            )

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id")
            rooms = sio.rooms(sid, namespace=self.namespace)
            if not ids.is_session_id(session_id) or session_id not in rooms:
                # not this socket's session: hand the message back to be sent again on a valid one
                await sio.emit(
                    "session_invalid",
                    {"message": handed_back(data.get("message"))},  # at most a message's length, no metadata
                    room=sid,
                    namespace=self.namespace,
                )
                return
            from_client = client(sid)
            refused = await limiter.message(session_id, from_client)
            if refused is not None:
                await refuse(sid, refused, data)
                return
            metadata = data.get(self.metadata_key)
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = None
            text = data.get("message")
            await handle(
                UserMessage(
                    text if isinstance(text, str) else "",
                    SocketIOOutput(sio, self.bot_message_evt),
                    session_id,
                    input_channel=self.name(),
                    metadata=visitor_metadata(metadata, session_id, from_client),
                )
            )

        return blueprint
