"""Console users and sessions: credentials from the environment, signed session cookies, CSRF.

BANTER_CONSOLE_USERS="alice:marketing:PASSWORD,bob:sales:PASSWORD". Without it, and only
outside production, two users (marketing, sales) get random passwords kept in
var/console_users, which `make run` prints. Passwords are compared through scrypt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.settings import PROJECT_ROOT, Settings, SettingsError

ROLES = ("marketing", "sales")
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True)
class User:
    """A console user."""

    name: str
    role: str
    salt: bytes
    digest: bytes

    def check(self, password: str) -> bool:
        """Constant-time password check."""
        return hmac.compare_digest(_hash(password, self.salt), self.digest)


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)


def _user(name: str, role: str, password: str) -> User:
    salt = secrets.token_bytes(16)
    return User(name, role, salt, _hash(password, salt))


def parse_users(spec: str) -> dict[str, User]:
    """'name:role:password,...' -> users; SettingsError naming the bad entry."""
    users = {}
    for entry in filter(None, (e.strip() for e in spec.split(","))):
        parts = entry.split(":", 2)
        if len(parts) != 3 or not all(parts):
            raise SettingsError(f"BANTER_CONSOLE_USERS: {entry.split(':')[0]!r} is not name:role:password")
        name, role, password = parts
        if role not in ROLES:
            raise SettingsError(f"BANTER_CONSOLE_USERS: {name}: role must be one of {', '.join(ROLES)}")
        if len(password) < 12:
            raise SettingsError(f"BANTER_CONSOLE_USERS: {name}: the password needs at least 12 characters")
        users[name] = _user(name, role, password)
    return users


def load_users(settings: Settings, env: dict[str, str], users_file: Path | None = None) -> dict[str, User]:
    """Users from the environment, or (development only) generated ones kept in var/console_users."""
    if env.get("BANTER_CONSOLE_USERS"):
        return parse_users(env["BANTER_CONSOLE_USERS"])
    if settings.production:
        raise SettingsError(
            "BANTER_CONSOLE_USERS must be set when BANTER_ENV=production (no default passwords)"
        )
    return parse_users(",".join(dev_credentials(users_file)))


def dev_credentials(users_file: Path | None = None) -> list[str]:
    """The generated local 'name:role:password' entries (created once)."""
    path = users_file or PROJECT_ROOT / "var" / "console_users"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{role}:{role}:{secrets.token_urlsafe(12)}\n" for role in ROLES))
        path.chmod(0o600)
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


class Sessions:
    """Signed, expiring session cookies carrying the user, role and CSRF token."""

    cookie = "banter_console"

    def __init__(self, key: str) -> None:
        self._serializer = URLSafeTimedSerializer(key, salt="banter.console")

    def issue(self, user: User) -> str:
        """A new session value (a fresh CSRF token with it)."""
        return str(self._serializer.dumps({"u": user.name, "r": user.role, "c": secrets.token_urlsafe(24)}))

    def read(self, value: str | None) -> dict[str, Any] | None:
        """The session, or None when missing, tampered with or expired."""
        if not value:
            return None
        try:
            data = self._serializer.loads(value, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        return data if isinstance(data, dict) and data.get("r") in ROLES else None
