"""Rasa's socket.io channel, accepting connections only from BANTER_ALLOWED_ORIGINS.

Rasa 3.6 builds its socket.io server with origin checks switched off; this subclass
builds the same channel with python-socketio's own `cors_allowed_origins` set from the
environment, so a page on another site cannot open a socket.

It also fixes session persistence with the pinned python-socketio 5.x, where
`AsyncServer.enter_room` is a coroutine that Rasa 3.6 never awaits: the visitor's
socket never joined its session's room, so replies sent to the session were lost.
"""

from __future__ import annotations

import inspect
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import rasa.core.channels.socketio as rasa_socketio
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from channels.limits import bounded


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

        def with_origins(*args: Any, **kwargs: Any) -> Any:
            return original(*args, **{**kwargs, "cors_allowed_origins": origins})

        rasa_socketio.AsyncServer = with_origins  # type: ignore[assignment,misc]
        try:
            blueprint = super().blueprint(bounded(on_new_message))
        finally:
            rasa_socketio.AsyncServer = original  # type: ignore[misc]
        sio = self.sio
        assert sio is not None

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: dict[str, Any] | None) -> None:
            data = dict(data or {})
            if not data.get("session_id"):
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                joined = sio.enter_room(sid, data["session_id"], namespace=self.namespace)
                if inspect.isawaitable(joined):
                    await joined
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=self.namespace)

        return blueprint
