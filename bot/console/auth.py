"""Console users and sessions: credentials from the environment, signed session cookies, CSRF.

BANTER_CONSOLE_USERS="alice:marketing:PASSWORD,bob:sales:PASSWORD". Without it, and only
outside production, two users (marketing, sales) get random passwords kept in
var/console_users, which `make run` prints. Passwords are compared through scrypt.

Logging out ends the session on the server, not only in the browser. The cookie stays a
signed, expiring value (no session table: the lead store's schema is unchanged), and it
carries a random session id; logout puts that id on a revocation list whose entries
expire when the cookie would have (SESSION_SECONDS), so the list stays as small as the
number of logouts in the last 12 hours. A per-user "valid after" time was the other
choice; it was not taken because it would also end that user's sessions on other
devices, and the development users are shared by several people. The list lives:
- on one machine, in the web app's memory, kept in a 0600 file (var/console_revoked.json)
  so that a restart does not bring a revoked cookie back;
- when scaled (REDIS_URL, or REDIS_HOST/REDIS_PORT as for Rasa's lock store), in Redis
  with a TTL, shared by every web-app replica.
A revocation list that cannot be read (Redis down) fails closed: nobody is logged in.

Failed logins are throttled per client address and per user name (LOGIN_LIMIT, a moving
window of the `limits` package, in memory or in the same Redis); a throttled login gets
HTTP 429 with Retry-After. Both keys are hashed, so neither addresses nor whatever was
typed as a user name is stored in Redis.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import redis
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse as parse_limit

from bot.ratelimit import Limit, Limiter
from bot.settings import PROJECT_ROOT, Settings, SettingsError
from bot.settings import redis_url as redis_url  # where the console found it before (bot/cli.py, tests)

logger = logging.getLogger(__name__)

ROLES = ("marketing", "sales")
SESSION_SECONDS = 12 * 3600
LOGIN_LIMIT = "5/minute"  # failed logins, per client address and per user name


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


class Revocations(Protocol):
    """Where the ids of logged-out sessions are kept until their cookies would have expired."""

    def revoke(self, sid: str, seconds: int) -> None:
        """Refuse session `sid` for the next `seconds`."""

    def is_revoked(self, sid: str) -> bool:
        """True when session `sid` was logged out."""


class LocalRevocations:
    """One machine: a dict in memory, kept in a 0600 JSON file when `path` is given."""

    def __init__(self, path: Path | None = None, clock: Callable[[], float] = time.time) -> None:
        self._path, self._clock = path, clock
        self._until: dict[str, float] = {}
        self._stamp: tuple[int, int, int] | None = None

    @staticmethod
    def _file_stamp(path: Path) -> tuple[int, int, int]:
        # every write replaces the file: a new inode, so another process's write is seen
        # even within one tick of the file system's clock
        info = path.stat()
        return info.st_ino, info.st_mtime_ns, info.st_size

    def _load(self) -> None:
        if self._path is None or not self._path.exists():
            return
        stamp = self._file_stamp(self._path)
        if stamp == self._stamp:
            return
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
            self._until = {str(k): float(v) for k, v in data.items()}
        except (ValueError, AttributeError):
            logger.error("console: %s is not a revocation list; starting an empty one", self._path)
        self._stamp = stamp

    def revoke(self, sid: str, seconds: int) -> None:
        """Add `sid` (dropping entries that have expired) and write the file."""
        self._load()
        now = self._clock()
        self._until = {k: v for k, v in self._until.items() if v > now}
        self._until[sid] = now + seconds
        if self._path is not None:
            self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            partial = self._path.with_name(self._path.name + f".{os.getpid()}.tmp")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._until, handle)
            os.replace(partial, self._path)
            self._stamp = self._file_stamp(self._path)

    def is_revoked(self, sid: str) -> bool:
        """True while the revocation of `sid` has not expired."""
        self._load()
        return self._until.get(sid, 0.0) > self._clock()


class RedisRevocations:
    """Several web-app replicas: one Redis key per logged-out session, expiring with the cookie."""

    prefix = "banter:console:revoked:"

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @classmethod
    def from_url(cls, url: str) -> RedisRevocations:
        """A client for `url` (connects on first use)."""
        return cls(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2))

    def revoke(self, sid: str, seconds: int) -> None:
        """SET with a TTL: Redis forgets the id when the cookie could no longer be used."""
        self._redis.set(self.prefix + sid, b"1", ex=seconds)

    def is_revoked(self, sid: str) -> bool:
        """True when the key exists."""
        return bool(self._redis.exists(self.prefix + sid))


class Sessions:
    """Signed, expiring session cookies carrying the user, role, session id and CSRF token."""

    cookie = "banter_console"

    def __init__(self, key: str, revocations: Revocations | None = None) -> None:
        self._serializer = URLSafeTimedSerializer(key, salt="banter.console")
        self._revocations: Revocations = revocations if revocations is not None else LocalRevocations()

    def issue(self, user: User) -> str:
        """A new session value (a fresh session id and CSRF token with it)."""
        return str(
            self._serializer.dumps(
                {
                    "u": user.name,
                    "r": user.role,
                    "c": secrets.token_urlsafe(24),
                    "s": secrets.token_urlsafe(18),
                }
            )
        )

    def read(self, value: str | None) -> dict[str, Any] | None:
        """The session, or None when missing, tampered with, expired or logged out."""
        if not value:
            return None
        try:
            data = self._serializer.loads(value, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        if not (isinstance(data, dict) and data.get("r") in ROLES and isinstance(data.get("s"), str)):
            return None  # also a cookie from before session ids: log in again
        try:
            revoked = self._revocations.is_revoked(data["s"])
        except redis.RedisError as err:
            logger.error(
                "console: the session store is unreachable (%s); refusing the session", type(err).__name__
            )
            return None
        return None if revoked else data

    def revoke(self, session: Mapping[str, Any]) -> None:
        """Log the session out on the server: its cookie is refused from now on, wherever it was copied."""
        self._revocations.revoke(str(session["s"]), SESSION_SECONDS)


class LoginThrottle:
    """Failed console logins per client address and per user name, in a moving window (bot/ratelimit.py)."""

    def __init__(self, storage_uri: str = "memory://", limit: str = LOGIN_LIMIT) -> None:
        self._limiter = Limiter(storage_uri, strategy="moving-window")
        self._limit = Limit("banter-console-login", parse_limit(limit))

    def _checks(self, address: str, username: str) -> list[tuple[Limit, str]]:
        # hashed by the limiter: the store never holds an address or whatever was typed as a user name
        return [(self._limit, "ip:" + address), (self._limit, "user:" + username.strip().lower()[:200])]

    def retry_after(self, address: str, username: str) -> int | None:
        """Seconds until a login may be tried again, or None when it may be tried now."""
        return self._limiter.retry_after(self._checks(address, username))

    def failed(self, address: str, username: str) -> None:
        """Count one failed login against the address and the user name."""
        self._limiter.hit(self._checks(address, username))
