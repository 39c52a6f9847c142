"""How fast one visitor and one address may chat: messages, new conversations and new leads.

A script once created 12 qualified leads in 2 seconds. The chat channels now count messages
per conversation and per client address, and new conversations per address; the outcome
action counts new leads per address. Each limit comes from the environment (SETTINGS; "off"
switches one off) and is counted by bot/ratelimit.py, in memory or in the shared Redis.

Over a limit, nothing is lost: the REST channel answers 429 with Retry-After, the socket.io
channel hands the message back with a notice and the widget sends it again after the wait,
and over the lead limit the conversation goes on but no lead is stored for that address
until the window has room again (logged for staff, with the conversation id).

An address is counted by its network (an IPv4 address, an IPv6 /64) and never stored: the
channel stamps each message with a keyed hash of it (`client_key`, under CLIENT_KEY in
bot/channel_input.py, after the visitor's own metadata was cleaned, so nobody can set it),
and the action server counts leads on that stamp.

A store that cannot be reached (Redis down) lets the chat through and logs an error: an
outage on our side never turns visitors away (the console's login throttle fails closed).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import redis
from limits import parse_many

from bot.ratelimit import Check, Limit, Limiter, Refusal, network_of, storage_uri
from bot.settings import SettingsError

logger = logging.getLogger(__name__)

#: field -> (environment variable, default)
SETTINGS: dict[str, tuple[str, str]] = {
    "messages_per_session": ("BANTER_LIMIT_MESSAGES_PER_SESSION", "20/minute"),
    "messages_per_ip": ("BANTER_LIMIT_MESSAGES_PER_IP", "60/minute"),
    "conversations_per_ip": ("BANTER_LIMIT_CONVERSATIONS_PER_IP", "10/minute"),
    "leads_per_ip": ("BANTER_LIMIT_LEADS_PER_IP", "10/hour"),
}
OFF = "off"
STORE_ERRORS = (redis.RedisError, OSError)  # Redis down or unreachable

# A REST sender id seen in the last hour is a conversation already counted (REST callers pick
# their own ids, so "new" means "not seen lately"; socket.io ids are issued by the server). An
# hour, not a day: `limits`' memory storage scans every live key when it expires entries.
SEEN = Limit("banter-chat-seen", parse_many("1/hour")[0])


def _seconds(wait: int) -> str:
    return "1 second" if wait == 1 else f"{wait} seconds"


def too_fast(wait: int) -> str:
    """What a visitor over a message limit is told."""
    return f"You're sending messages faster than I can read them; please wait {_seconds(wait)}."


def too_many_conversations(wait: int) -> str:
    """What a visitor is told when their address started too many conversations lately."""
    return (
        "A lot of new chats have started from your network just now; "
        f"please wait {_seconds(wait)} and I'll start yours."
    )


def notice(refusal: Refusal) -> str:
    """What a visitor over a message or conversation limit is told."""
    if refusal.limits == (_name("conversations_per_ip"),):
        return too_many_conversations(refusal.seconds)
    return too_fast(refusal.seconds)


def lead_not_stored(wait: int) -> str:
    """What a visitor hears when the lead limit of their address keeps their lead from being stored."""
    minutes = max(1, round(wait / 60))
    return (
        "Thank you, that's everything I need. I can't save any more sign-ups from your network "
        "right now, so yours isn't saved yet: your answers are kept here, and if you send me a "
        f"message again in about {minutes} minute{'s' if minutes != 1 else ''}, I'll save it then."
    )


def _name(field: str) -> str:
    return "banter-chat-" + field.replace("_", "-")  # the namespace of its counts in the storage


def parse_setting(variable: str, raw: str, field: str) -> Limit | None:
    """`20/minute`, `10 per hour`, `off` (None) -> the Limit `field`; SettingsError naming `variable`."""
    value = raw.strip().lower()
    if value == OFF:
        return None
    try:
        items = parse_many(value)
    except ValueError:
        items = []
    if len(items) != 1 or items[0].amount < 1:
        raise SettingsError(f"{variable}={raw!r}: use a rate like 20/minute or 10/hour, or off")
    return Limit(_name(field), items[0])


@dataclass(frozen=True)
class ChatLimits:
    """The chat's limits (None: not limited)."""

    messages_per_session: Limit | None
    messages_per_ip: Limit | None
    conversations_per_ip: Limit | None
    leads_per_ip: Limit | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ChatLimits:
        """The limits in `env` (defaults in SETTINGS); SettingsError on a bad value."""
        return cls(
            **{
                field: parse_setting(variable, env.get(variable) or default, field)
                for field, (variable, default) in SETTINGS.items()
            }
        )


def client_key(address: str, secret: str) -> str:
    """A keyed hash of the client's network: the same for every message from it.

    Keyed with the server's secret: a plain hash of an IPv4 address is reversed by trying them all.
    """
    digest = hmac.new(secret.encode(), b"banter.client:" + network_of(address).encode(), "sha256")
    return digest.hexdigest()[:32]


class ChatLimiter:
    """The chat's limits counted by one Limiter; each method answers None (go on) or the refusal."""

    def __init__(self, limits: ChatLimits, limiter: Limiter) -> None:
        self.limits = limits
        self._limiter = limiter

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ChatLimiter:
        """Limits from `env`, counted in the Redis it names, else in this process's memory."""
        return cls(ChatLimits.from_env(env), Limiter(storage_uri(env)))

    async def message(self, conversation: str, client: str | None) -> Refusal | None:
        """One message of a conversation whose id the server issued (socket.io)."""
        return await self._acquire(self._message_checks(conversation, client), "message")

    async def new_conversation(self, client: str | None) -> Refusal | None:
        """A new conversation (a socket.io session issued) from `client`."""
        return await self._acquire(self._per_client(self.limits.conversations_per_ip, client), "conversation")

    async def rest_message(self, sender: str, client: str | None) -> Refusal | None:
        """One REST message: also a new conversation when `sender` was not seen in the last hour."""
        checks = self._message_checks(sender, client)
        if self.limits.conversations_per_ip is not None and client:
            try:
                seen = await self._limiter.refusal_async([(SEEN, sender)]) is not None
            except STORE_ERRORS as err:
                return self._unavailable(err, "message")
            if not seen:
                checks += [(SEEN, sender), (self.limits.conversations_per_ip, client)]
        return await self._acquire(checks, "message")

    async def new_lead(self, client: str | None) -> Refusal | None:
        """A new lead from a conversation of `client` (the outcome action, before it stores one)."""
        return await self._acquire(self._per_client(self.limits.leads_per_ip, client), "lead")

    def _message_checks(self, conversation: str, client: str | None) -> list[Check]:
        checks: list[Check] = []
        if self.limits.messages_per_session is not None and conversation:
            checks.append((self.limits.messages_per_session, conversation))
        return checks + self._per_client(self.limits.messages_per_ip, client)

    @staticmethod
    def _per_client(limit: Limit | None, client: str | None) -> list[Check]:
        # no stamp: not from a public channel (Rasa's token-protected API, a test): nothing to count on
        return [(limit, client)] if limit is not None and client else []

    async def _acquire(self, checks: Sequence[Check], what: str) -> Refusal | None:
        if not checks:
            return None
        try:
            return await self._limiter.acquire_async(checks)
        except STORE_ERRORS as err:
            return self._unavailable(err, what)

    @staticmethod
    def _unavailable(err: Exception, what: str) -> None:
        logger.error(
            "chat limits: the rate-limit store is unreachable (%s); %s let through", type(err).__name__, what
        )
        return None


__all__ = [
    "SEEN",
    "SETTINGS",
    "ChatLimiter",
    "ChatLimits",
    "client_key",
    "lead_not_stored",
    "notice",
    "parse_setting",
    "too_fast",
    "too_many_conversations",
]
