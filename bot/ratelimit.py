"""Rate limiting on the `limits` package: the one place that builds a limiter and its storage.

One process: counts in its memory (`memory://`). Several replicas (REDIS_URL, or
REDIS_HOST/REDIS_PORT as for Rasa's lock store): counts in that Redis, so every replica sees
the same numbers. The console's login throttle (bot/console/auth.py) and the chat limits
(bot/chat_limits.py) are both built here.

A limit is checked before it is counted: an attempt that is refused costs nothing, so a
client that waits the Retry-After it was given always gets through. Keys are hashed before
they reach the storage: Redis never holds an address, a session id or a typed user name.
Storage errors (Redis down) are raised; each caller decides whether to fail open or closed.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from limits import RateLimitItem
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter, RateLimiter

from bot.settings import redis_url

STRATEGIES: dict[str, type[RateLimiter]] = {
    # one counter per key and window: one INCR in Redis, and an exact Retry-After (the window's end)
    "fixed-window": FixedWindowRateLimiter,
    # no burst at window edges, at the price of one entry per hit (used for failed logins)
    "moving-window": MovingWindowRateLimiter,
}


def storage_uri(env: Mapping[str, str]) -> str:
    """Where counts are kept: the shared Redis when one is configured, else this process's memory."""
    return redis_url(env) or "memory://"


def client_address(peer: str | None, forwarded_for: Sequence[str], behind_proxy: bool) -> str:
    """The address a request came from.

    Behind a reverse proxy (BANTER_BEHIND_PROXY) every request comes from the proxy: the client
    is the last X-Forwarded-For entry, the one the proxy itself saw and appended (earlier
    entries are whatever the client sent). All header lines count: HAProxy adds a line of its
    own, nginx appends to the one it got.
    """
    if behind_proxy:
        hops = [hop.strip() for line in forwarded_for for hop in line.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return peer or "unknown"


def network_of(address: str) -> str:
    """The unit an address limit counts: an IPv4 address, or an IPv6 /64 (one subscriber's prefix).

    A single IPv6 host usually holds a whole /64 and can pick a new address in it for every
    request, so counting single IPv6 addresses would not limit anything.
    """
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def hashed(value: str) -> str:
    """A storage key for `value` that does not reveal it."""
    return hashlib.blake2b(value.encode("utf-8", "replace"), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Limit:
    """A named rate limit: `item` (e.g. 20 per minute) counted per key under `name`."""

    name: str
    item: RateLimitItem


Check = tuple[Limit, str]  # a limit and the key it is counted for (hashed before storing)


@dataclass(frozen=True)
class Refusal:
    """No room now: wait `seconds` (Retry-After); `limits` names the limits that are full."""

    seconds: int
    limits: tuple[str, ...]


class Limiter:
    """Checks and counts hits against several limits at once, in memory or in Redis."""

    def __init__(self, uri: str = "memory://", *, strategy: str = "fixed-window") -> None:
        options = {"socket_timeout": 2, "socket_connect_timeout": 2} if uri.startswith("redis") else {}
        # the strategy holds its storage by a weak reference: keep the storage alive here
        self._storage = storage_from_string(uri, **options)
        self._strategy = STRATEGIES[strategy](self._storage)
        self.shared = not uri.startswith("memory")

    def refusal(self, checks: Sequence[Check]) -> Refusal | None:
        """Which checks have no room now and how long until all of them have; None when each has room."""
        waits: dict[str, int] = {}
        for limit, key in checks:
            identifiers = (limit.name, hashed(key))
            if not self._strategy.test(limit.item, *identifiers):
                reset, _ = self._strategy.get_window_stats(limit.item, *identifiers)
                # the storage keeps the window's end in whole seconds: one more keeps the promise
                waits[limit.name] = max(waits.get(limit.name, 1), math.ceil(reset - time.time()) + 1)
        return Refusal(max(waits.values()), tuple(waits)) if waits else None

    def retry_after(self, checks: Sequence[Check]) -> int | None:
        """Seconds until every check has room again, or None when each has room now."""
        refused = self.refusal(checks)
        return None if refused is None else refused.seconds

    def hit(self, checks: Sequence[Check]) -> None:
        """Count one hit for every check."""
        for limit, key in checks:
            self._strategy.hit(limit.item, limit.name, hashed(key))

    def acquire(self, checks: Sequence[Check]) -> Refusal | None:
        """Count one hit for every check when each has room (None); else the refusal, counting nothing."""
        refused = self.refusal(checks)
        if refused is None:
            self.hit(checks)
        return refused

    async def acquire_async(self, checks: Sequence[Check]) -> Refusal | None:
        """`acquire` from a server's event loop."""
        return await self._off_loop(self.acquire, checks)

    async def refusal_async(self, checks: Sequence[Check]) -> Refusal | None:
        """`refusal` from a server's event loop."""
        return await self._off_loop(self.refusal, checks)

    async def _off_loop(
        self, call: Callable[[Sequence[Check]], Refusal | None], checks: Sequence[Check]
    ) -> Refusal | None:
        # a Redis round trip runs in a thread, never blocking the loop (up to its 2 s timeout);
        # memory is checked in the loop itself, where no other hit can interleave
        if not self.shared:
            return call(checks)
        return await asyncio.to_thread(call, checks)


__all__ = ["Check", "Limit", "Limiter", "Refusal", "client_address", "hashed", "network_of", "storage_uri"]
