"""Signed, expiring tokens for links sent by email (reschedule, cancel, transcript).

itsdangerous signs the payload with the secret key and a per-purpose salt; a token for
one purpose never opens another. In development a random key is generated once into
var/secret_key; production refuses to start without BANTER_SECRET_KEY (see settings).
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bot.settings import PROJECT_ROOT, Settings


class LinkError(ValueError):
    """A link that is expired, tampered with or for another purpose; `reason` says which."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def signing_key(settings: Settings, key_file: Path | None = None) -> str:
    """The configured key, or (development only) one kept in var/secret_key."""
    if settings.secret_key:
        return settings.secret_key
    path = key_file or PROJECT_ROOT / "var" / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: of two processes starting together, exactly one writes the key
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.05)  # the other process is still writing it
        raise RuntimeError(f"{path} is empty: delete it or set BANTER_SECRET_KEY") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


class Links:
    """Makes and reads signed tokens; `max_age_seconds` bounds their life."""

    def __init__(self, key: str, max_age_seconds: int) -> None:
        self._key = key
        self.max_age_seconds = max_age_seconds

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._key, salt=f"banter.{purpose}")

    def make(self, purpose: str, payload: Any) -> str:
        """A URL-safe token for `payload`, valid for `purpose` only."""
        return str(self._serializer(purpose).dumps(payload))

    def read(self, purpose: str, token: str) -> Any:
        """The payload, or LinkError("expired" | "invalid")."""
        try:
            return self._serializer(purpose).loads(token, max_age=self.max_age_seconds)
        except SignatureExpired:
            raise LinkError("expired") from None
        except BadSignature:
            raise LinkError("invalid") from None
