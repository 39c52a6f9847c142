"""Chat rate limits (finding 10): settings, the limiter on memory and on the real Redis, client keys,
the server's stamp in the metadata, and a store that cannot be reached."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from bot.channel_input import CLIENT_KEY
from bot.chat_limits import (
    SETTINGS,
    ChatLimiter,
    ChatLimits,
    client_key,
    lead_not_stored,
    notice,
    parse_setting,
    too_fast,
    too_many_conversations,
)
from bot.console.auth import LoginThrottle
from bot.ratelimit import Limit, Limiter, client_address, network_of, storage_uri
from bot.settings import SettingsError, load_settings
from channels.limits import MAX_MESSAGE, handed_back, visitor_metadata

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"
SECRET = "s" * 40


def limiter(uri: str = "memory://", **env: str) -> ChatLimiter:
    names = {field: variable for field, (variable, _) in SETTINGS.items()}
    return ChatLimiter(ChatLimits.from_env({names[k]: v for k, v in env.items()}), Limiter(uri))


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


# settings


def test_defaults_and_off() -> None:
    limits = ChatLimits.from_env({})
    assert limits.messages_per_session is not None and limits.messages_per_session.item.amount == 20
    assert limits.messages_per_ip is not None and limits.messages_per_ip.item.amount == 60
    assert limits.conversations_per_ip is not None and limits.conversations_per_ip.item.amount == 10
    assert limits.leads_per_ip is not None and limits.leads_per_ip.item.amount == 10
    assert limits.leads_per_ip.item.get_expiry() == 3600
    off = ChatLimits.from_env(
        {"BANTER_LIMIT_LEADS_PER_IP": "off", "BANTER_LIMIT_MESSAGES_PER_IP": "5 per second"}
    )
    assert off.leads_per_ip is None
    assert off.messages_per_ip is not None and off.messages_per_ip.item.get_expiry() == 1


@pytest.mark.parametrize("raw", ["lots", "0/minute", "5/fortnight", "1/second;2/minute", "-3/hour"])
def test_a_bad_limit_stops_start_up_naming_the_variable(raw: str) -> None:
    with pytest.raises(SettingsError, match="BANTER_LIMIT_LEADS_PER_IP="):
        parse_setting("BANTER_LIMIT_LEADS_PER_IP", raw, "leads_per_ip")
    with pytest.raises(SettingsError, match="BANTER_LIMIT_MESSAGES_PER_SESSION="):
        load_settings({"BANTER_LIMIT_MESSAGES_PER_SESSION": raw})


def test_counts_are_shared_in_redis_when_one_is_configured() -> None:
    assert storage_uri({}) == "memory://"
    assert storage_uri({"REDIS_URL": "redis://cache:6380/2"}) == "redis://cache:6380/2"
    assert storage_uri({"REDIS_HOST": "cache"}) == "redis://cache:6379/0"  # as Rasa's lock store is set


# who the client is


def test_behind_a_proxy_the_client_is_the_entry_the_proxy_added() -> None:
    assert client_address("10.0.0.5", [], behind_proxy=True) == "10.0.0.5"
    assert client_address("10.0.0.5", ["198.51.100.7"], behind_proxy=False) == "10.0.0.5"  # not trusted
    # nginx appends to the visitor's header; HAProxy adds a line of its own: the last entry either way
    assert client_address("10.0.0.5", ["6.6.6.6, 198.51.100.7"], behind_proxy=True) == "198.51.100.7"
    assert client_address("10.0.0.5", ["6.6.6.6", "198.51.100.7"], behind_proxy=True) == "198.51.100.7"
    assert client_address(None, [], behind_proxy=False) == "unknown"


def test_an_ipv6_client_is_counted_by_its_slash_64() -> None:
    assert network_of("2001:db8:1:2:aaaa::1") == network_of("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert network_of("2001:db8:1:3::1") != network_of("2001:db8:1:2::1")
    assert network_of("::ffff:192.0.2.1") == "192.0.2.1"
    assert network_of("192.0.2.1") == "192.0.2.1" != network_of("192.0.2.2")
    assert network_of("not an address") == "not an address"


def test_the_client_key_is_keyed_and_reveals_no_address() -> None:
    key = client_key("192.0.2.1", SECRET)
    assert key == client_key("192.0.2.1", SECRET) and len(key) == 32
    assert key != client_key("192.0.2.2", SECRET) and key != client_key("192.0.2.1", "t" * 40)
    assert client_key("2001:db8::1", SECRET) == client_key("2001:db8::2", SECRET)
    assert "192" not in key


def test_the_stamp_is_the_servers_and_never_the_visitors() -> None:
    forged = {"page_url": "https://example.com/pricing", CLIENT_KEY: "someone-elses-key"}
    assert visitor_metadata(forged, "s-1", "the-servers-key") == {
        "page_url": "https://example.com/pricing",
        CLIENT_KEY: "the-servers-key",
    }
    assert visitor_metadata({CLIENT_KEY: "someone-elses-key"}, "s-1", None) is None  # dropped, not kept
    assert visitor_metadata(None, "s-1", "k") == {CLIENT_KEY: "k"}


def test_a_message_handed_back_is_never_longer_than_a_message() -> None:
    assert handed_back("x" * (5 * 1024 * 1024)) == "x" * MAX_MESSAGE
    assert handed_back("hello") == "hello"
    assert handed_back({"not": "text"}) is None


# the limiter


def test_messages_per_session_and_per_address_with_the_wait() -> None:
    chat = limiter(messages_per_session="3/minute", messages_per_ip="5/minute")
    for _ in range(3):
        assert run(chat.message("session-a", "client-1")) is None
    refused = run(chat.message("session-a", "client-1"))
    assert refused is not None and 1 <= refused.seconds <= 61
    assert refused.limits == ("banter-chat-messages-per-session",)
    assert notice(refused) == too_fast(refused.seconds)
    # another session of the same address has its own count, until the address's is spent
    assert run(chat.message("session-b", "client-1")) is None
    assert run(chat.message("session-b", "client-1")) is None
    by_address = run(chat.message("session-c", "client-1"))
    assert by_address is not None and by_address.limits == ("banter-chat-messages-per-ip",)
    assert run(chat.message("session-c", "client-2")) is None  # another address is not affected


def test_a_refused_message_is_not_counted_so_waiting_always_works() -> None:
    chat = limiter(messages_per_session="2/second", messages_per_ip="off")
    assert run(chat.message("s", "c")) is None and run(chat.message("s", "c")) is None
    for _ in range(20):  # a client hammering while refused does not push its wait further out
        refused = run(chat.message("s", "c"))
        assert refused is not None and refused.seconds <= 2
    time.sleep(refused.seconds)
    assert run(chat.message("s", "c")) is None


def test_new_conversations_per_address() -> None:
    chat = limiter(conversations_per_ip="2/minute")
    assert run(chat.new_conversation("client-1")) is None
    assert run(chat.new_conversation("client-1")) is None
    refused = run(chat.new_conversation("client-1"))
    assert refused is not None and notice(refused) == too_many_conversations(refused.seconds)
    assert run(chat.new_conversation("client-2")) is None


def test_rest_senders_count_as_conversations_once() -> None:
    chat = limiter(conversations_per_ip="2/minute", messages_per_session="off", messages_per_ip="off")
    for _ in range(5):  # one conversation, many messages
        assert run(chat.rest_message("sender-1", "client-1")) is None
    assert run(chat.rest_message("sender-2", "client-1")) is None
    refused = run(chat.rest_message("sender-3", "client-1"))
    assert refused is not None and notice(refused).startswith("A lot of new chats")
    assert run(chat.rest_message("sender-1", "client-1")) is None  # the known ones go on
    assert run(chat.rest_message("sender-3", "client-2")) is None  # sender-3 was not marked seen


def test_new_leads_per_address_and_nothing_to_count_without_a_stamp() -> None:
    chat = limiter(leads_per_ip="2/hour")
    assert run(chat.new_lead("client-1")) is None and run(chat.new_lead("client-1")) is None
    refused = run(chat.new_lead("client-1"))
    assert refused is not None and 3000 <= refused.seconds <= 3601
    assert "about 60 minutes" in lead_not_stored(refused.seconds)
    assert run(chat.new_lead(None)) is None  # not from a public channel (no stamp)
    off = limiter(leads_per_ip="off")
    assert all(run(off.new_lead("client-1")) is None for _ in range(50))


def test_an_unreachable_store_lets_the_chat_through_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    chat = limiter("redis://127.0.0.1:1/0", messages_per_session="1/minute")
    caplog.set_level(logging.ERROR, logger="bot.chat_limits")
    assert run(chat.message("s", "c")) is None and run(chat.message("s", "c")) is None
    assert run(chat.rest_message("s", "c")) is None and run(chat.new_lead("c")) is None
    assert "rate-limit store is unreachable" in caplog.text
    with pytest.raises(redis.RedisError):  # the console's login throttle fails closed instead
        LoginThrottle("redis://127.0.0.1:1/0").retry_after("192.0.2.1", "mia")


# the real Redis: replicas share the counts


@pytest.fixture
def real_redis() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
    except redis.RedisError as err:
        pytest.skip(f"Redis not reachable at {REDIS_TEST_URL}: {err}")
    yield client
    for key in client.scan_iter(match="LIMITER/banter-chat-*"):
        client.delete(key)
    client.close()


def test_two_limiters_on_one_redis_share_the_counts(real_redis: redis.Redis) -> None:
    replica_a = limiter(REDIS_TEST_URL, messages_per_session="3/minute", leads_per_ip="1/hour")
    replica_b = limiter(REDIS_TEST_URL, messages_per_session="3/minute", leads_per_ip="1/hour")
    session, client = f"session-{uuid.uuid4().hex}", f"client-{uuid.uuid4().hex}"
    assert run(replica_a.message(session, client)) is None
    assert run(replica_b.message(session, client)) is None
    assert run(replica_a.message(session, client)) is None
    refused = run(replica_b.message(session, client))
    assert refused is not None and 1 <= refused.seconds <= 61
    assert run(replica_a.new_lead(client)) is None
    assert run(replica_b.new_lead(client)) is not None
    keys = [k.decode() for k in real_redis.scan_iter(match="LIMITER/banter-chat-*")]
    assert keys and not any(session in k or client in k for k in keys)  # hashed keys only


def test_the_limiter_keeps_its_storage_alive() -> None:
    # `limits` strategies hold their storage by a weak reference
    one = Limiter()
    check = [(Limit("t", ChatLimits.from_env({}).leads_per_ip.item), "k")]  # type: ignore[union-attr]
    assert one.acquire(check) is None
