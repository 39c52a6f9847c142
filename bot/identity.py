"""Server-issued, signed identifiers for chat sessions and visitors.

A chat session id decides whose conversation a message joins and who receives the replies;
a visitor id decides whether a visitor is welcomed back with their stored answers. Both
used to be chosen by the browser, so anyone who knew or guessed one could read and write
another person's conversation or profile. Now the server issues them: 128 random bits plus
an HMAC signature (itsdangerous, keyed with BANTER_SECRET_KEY / var/secret_key, one salt per
kind, so a session id is never accepted as a visitor id). An id the server did not sign is
refused: the channel issues a new one instead.

    ids = Identity(signing_key(settings))
    session_id = ids.new_session_id()     # "3f2a...9c.Xk2..."
    ids.is_session_id(session_id)         # True; False for "alice" or a tampered id
    ids.visitor_id(claimed)               # the id when the signature holds, else None
"""

from __future__ import annotations

import hmac
import secrets
from functools import lru_cache

from itsdangerous import BadSignature, Signer

from bot.settings import Settings

MAX_ID = 128  # longer ids are refused before any signature check (channels/limits.py)


class Identity:
    """Issues and checks signed session and visitor ids."""

    def __init__(self, key: str) -> None:
        self._session = Signer(key, salt="banter.session-id")
        self._visitor = Signer(key, salt="banter.visitor-id")

    def new_session_id(self) -> str:
        """A fresh, unguessable, signed chat session id."""
        return self._session.sign(secrets.token_hex(16)).decode()

    def new_visitor_id(self) -> str:
        """A fresh, unguessable, signed visitor id (kept by the widget across visits)."""
        return self._visitor.sign(secrets.token_hex(16)).decode()

    def is_session_id(self, value: object) -> bool:
        """True when `value` is a session id this server issued."""
        return _valid(self._session, value)

    def visitor_id(self, value: object) -> str | None:
        """`value` when it is a visitor id this server issued, else None."""
        return value if isinstance(value, str) and _valid(self._visitor, value) else None


def _valid(signer: Signer, value: object) -> bool:
    if not isinstance(value, str) or not value or len(value) > MAX_ID:
        return False
    try:
        unsigned = signer.unsign(value)
    except BadSignature:
        return False
    # base64 of a signature has spare bits in its last character, so a second spelling of a
    # valid id also verifies; only the one spelling the server issued is accepted.
    return hmac.compare_digest(signer.sign(unsigned), value.encode())


@lru_cache(maxsize=4)
def _cached(key: str) -> Identity:
    return Identity(key)


def identity_for(settings: Settings) -> Identity:
    """The process's Identity for the configured signing key."""
    from bot.links import signing_key

    return _cached(signing_key(settings))


__all__ = ["MAX_ID", "Identity", "identity_for"]
