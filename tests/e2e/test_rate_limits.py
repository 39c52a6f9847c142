"""Rate limits on the running assistant (issue 11, finding 10).

REST answers 429 with Retry-After and processes nothing; socket.io hands the message back with a
notice and takes it after the wait (the widget shows the notice and sends it again by itself);
new conversations and new leads per address are limited (the conversation goes on, no lead is
stored, the action server logs it for staff); and two replicas share the counts in the real Redis.

The assistants here trust X-Forwarded-For (BANTER_BEHIND_PROXY=1, as behind the deployment's
proxy), so each test is a client of its own made-up address.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import socketio

from bot.chat_limits import ChatLimiter, client_key, lead_not_stored, too_fast, too_many_conversations
from bot.settings import PROJECT_ROOT
from scripts.assistant_client import running_assistant
from tests.e2e.conftest import TODAY, Assistant

pytestmark = pytest.mark.e2e

LIMITS = {
    "BANTER_LIMIT_MESSAGES_PER_SESSION": "15 per 20 seconds",
    "BANTER_LIMIT_MESSAGES_PER_IP": "40/minute",
    "BANTER_LIMIT_CONVERSATIONS_PER_IP": "3/minute",
    "BANTER_LIMIT_LEADS_PER_IP": "1/hour",
}
REDIS_TEST_URL = "redis://127.0.0.1:6379/15"
PERSONA = {
    "need": "we want to qualify the leads on our website",
    "role": "VP of Sales",
    "company_name": "Octo Ltd",
    "company_size": "300",
    "industry": "software",
    "country": "Germany",
    "budget": "50k a year",
    "timeline": "next month",
    "other_deciders": "no",
    "consent": "no",
}


def new_address() -> str:
    """An address no other test (or earlier run, whose counts may still be in Redis) used."""
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def as_client(assistant: Assistant, address: str) -> Assistant:
    """The same assistant, talked to from `address` (the proxy's X-Forwarded-For entry)."""
    return Assistant(
        base_url=assistant.base_url,
        database_url=assistant.database_url,
        mail_dir=assistant.mail_dir,
        web_url=assistant.web_url,
        api_token=assistant.api_token,
        rest_token=assistant.rest_token,
        extra_headers={"X-Forwarded-For": address},
    )


def start(tmp: Path, env: dict[str, str], *, web: bool) -> Iterator[tuple[Assistant, Path]]:
    if not (PROJECT_ROOT / "models" / "banter.tar.gz").exists():
        pytest.fail("no trained model: run `make train` (make test does)")
    with running_assistant(
        tmp, {"BANTER_TODAY": TODAY, "BANTER_BEHIND_PROXY": "1", **LIMITS, **env}, web=web, worker=False
    ) as settings:
        yield (
            Assistant(
                base_url=f"http://127.0.0.1:{settings.rasa_port}",
                database_url=settings.database_url,
                mail_dir=settings.mail_dir,
                web_url=settings.public_url,
            ),
            tmp / "log",
        )


@pytest.fixture(scope="module")
def limited_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Assistant, Path]]:
    """The assistant with tight limits, counted in its own memory (the one-machine default)."""
    yield from start(tmp_path_factory.mktemp("limits"), {}, web=True)


@pytest.fixture
def limited(limited_run: tuple[Assistant, Path]) -> Assistant:
    return limited_run[0]


def post(assistant: Assistant, sender: str, message: str, address: str) -> tuple[int, dict[str, str], Any]:
    """A REST message from `address`: status, headers, JSON body."""
    request = urllib.request.Request(
        f"{assistant.base_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {assistant.rest_token}",
            "X-Forwarded-For": address,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status), dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return int(refused.code), dict(refused.headers), json.loads(refused.read())


def user_texts(assistant: Assistant, sender: str) -> list[str]:
    return [str(e.get("text")) for e in assistant.tracker(sender)["events"] if e.get("event") == "user"]


# REST


def test_rest_answers_429_with_retry_after_and_processes_nothing(limited: Assistant) -> None:
    address, sender = new_address(), f"rest-{secrets.token_hex(4)}"
    for n in range(15):
        status, _, replies = post(limited, sender, f"hello number {n}", address)
        assert status == 200 and replies, (n, replies)
    status, headers, body = post(limited, sender, "one message too many", address)
    assert status == 429
    wait = int(headers["Retry-After"])
    assert 1 <= wait <= 21
    assert body == {"error": too_fast(wait), "retry_after": wait}
    assert "one message too many" not in user_texts(limited, sender)
    assert len(user_texts(limited, sender)) == 15
    # another conversation of another address is not affected
    assert post(limited, f"rest-{secrets.token_hex(4)}", "hi", new_address())[0] == 200


def test_rest_messages_per_address_across_conversations(limited: Assistant) -> None:
    address = new_address()
    senders = [f"rest-ip-{secrets.token_hex(4)}" for _ in range(3)]
    for n in range(40):  # 14 + 13 + 13: no conversation over its own limit
        status, _, _ = post(limited, senders[n % 3], f"message {n}", address)
        assert status == 200, n
    status, headers, body = post(limited, senders[0], "the forty-first", address)
    assert status == 429 and 1 <= int(headers["Retry-After"]) <= 61
    assert body["error"] == too_fast(int(headers["Retry-After"]))


def test_new_conversations_per_address(limited: Assistant) -> None:
    address = new_address()
    first = f"rest-conv-{secrets.token_hex(4)}"
    assert post(limited, first, "hi", address)[0] == 200
    for n in range(2):
        assert post(limited, f"rest-conv-{secrets.token_hex(4)}-{n}", "hi", address)[0] == 200
    status, headers, body = post(limited, f"rest-conv-{secrets.token_hex(4)}", "hi", address)
    assert status == 429
    assert body["error"] == too_many_conversations(int(headers["Retry-After"]))
    assert post(limited, first, "we're a team of 40", address)[0] == 200  # a known conversation goes on


# socket.io


class Visitor:
    """A socket.io client like the widget, from a given address."""

    def __init__(self, assistant: Assistant, address: str) -> None:
        self.assistant, self.address = assistant, address
        self.sio = socketio.AsyncClient(reconnection=False)
        self.confirmed: asyncio.Queue[Any] = asyncio.Queue()
        self.limited: asyncio.Queue[Any] = asyncio.Queue()
        self.replies: list[str] = []
        self.sio.on("session_confirm", self.confirmed.put_nowait)
        self.sio.on("rate_limited", self.limited.put_nowait)
        self.sio.on("bot_uttered", lambda m: self.replies.append(str(m.get("text", ""))))

    async def __aenter__(self) -> Visitor:
        await self.sio.connect(
            self.assistant.base_url,
            socketio_path="/socket.io",
            transports=["polling"],
            headers={"Origin": self.assistant.web_url, "X-Forwarded-For": self.address},
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.sio.disconnect()

    async def say(self, session_id: str, text: str) -> None:
        await self.sio.emit("user_uttered", {"message": text, "session_id": session_id, "customData": {}})


async def wait_until(condition: Any, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.3)


def test_socketio_hands_the_message_back_with_a_notice_and_takes_it_after_the_wait(limited: Assistant) -> None:
    async def scenario() -> None:
        async with Visitor(limited, new_address()) as visitor:
            await visitor.sio.emit("session_request", {})
            session = (await asyncio.wait_for(visitor.confirmed.get(), 10))["session_id"]
            for n in range(15):
                await visitor.say(session, f"hello number {n}")
            await visitor.say(session, "the sixteenth message")
            refused = await asyncio.wait_for(visitor.limited.get(), 30)
            wait = refused["retry_after"]
            assert 1 <= wait <= 21 and refused["session"] is False
            assert refused["message"] == "the sixteenth message"  # handed back, not dropped
            assert refused["text"] == too_fast(wait)
            assert refused["text"].startswith("You're sending messages faster than I can read them; please wait")
            await wait_until(lambda: len(user_texts(limited, session)) == 15)
            await asyncio.sleep(1)
            assert "the sixteenth message" not in user_texts(limited, session)
            await asyncio.sleep(wait)  # as the widget does: send it again after the wait
            await visitor.say(session, refused["message"])
            await wait_until(lambda: "the sixteenth message" in user_texts(limited, session))
            assert visitor.limited.empty()

    asyncio.run(scenario())


def test_socketio_new_sessions_per_address(limited: Assistant) -> None:
    async def scenario() -> None:
        async with Visitor(limited, new_address()) as visitor:
            issued = []
            for _ in range(3):
                await visitor.sio.emit("session_request", {})
                issued.append(await asyncio.wait_for(visitor.confirmed.get(), 10))
            await visitor.sio.emit("session_request", {})
            refused = await asyncio.wait_for(visitor.limited.get(), 10)
            assert refused["session"] is True and refused["message"] is None
            assert refused["text"] == too_many_conversations(refused["retry_after"])
            assert visitor.confirmed.empty()
            # a session the server issued is still taken up again (a reload, another page): not new
            await visitor.sio.emit("session_request", issued[0])
            assert await asyncio.wait_for(visitor.confirmed.get(), 10) == issued[0]

    asyncio.run(scenario())


# leads


def test_over_the_lead_limit_the_conversation_goes_on_but_no_lead_is_stored(
    limited_run: tuple[Assistant, Path],
) -> None:
    limited, log_dir = limited_run
    address = new_address()
    chat = as_client(limited, address)
    first = chat.converse(PERSONA)
    assert limited.lead(first.sender) is not None
    second = chat.converse(PERSONA)
    assert len(second.replies) == 1, second.replies  # what the visitor hears instead of an outcome
    assert second.replies[0].startswith(lead_not_stored(3600).split(" in about")[0]), second.replies
    assert limited.lead(second.sender) is None
    assert limited.tracker(second.sender)["slots"]["outcome"]["limited"] is True
    # the conversation goes on: a question is answered, and the lead is still not stored
    assert chat.say(second.sender, "how much does it cost?")
    assert limited.lead(second.sender) is None
    log = (log_dir / "actions.log").read_text(errors="replace")
    assert "lead limit" in log and second.sender in log  # for staff
    # another address still gets its lead stored
    third = as_client(limited, new_address()).converse(PERSONA)
    assert limited.lead(third.sender) is not None


# the widget in a real browser


def test_the_widget_shows_the_notice_and_sends_the_message_after_the_wait(limited: Assistant) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail(f"Chromium not found at {chromium}: `make test` installs it (make test-e2e)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(limited.web_url + "/")
            page.locator(".bw-launch").click()
            deadline = time.monotonic() + 30
            while page.locator(".bw-bot").count() == 0:  # the greeting (one message of the session)
                assert time.monotonic() < deadline, "no greeting"
                page.wait_for_timeout(100)
            session = json.loads(page.evaluate("localStorage.getItem('banter.session')"))
            typed = [f"typed message {n}" for n in range(16)]
            for text in typed:
                page.locator("#bw-input").fill(text)
                page.keyboard.press("Enter")
            status = page.locator(".bw-status")
            status.wait_for(state="visible", timeout=20000)
            assert "You're sending messages faster than I can read them; please wait" in status.inner_text()
            assert "Your message is kept and will be sent then." in status.inner_text()
            received = user_texts(limited, session)
            assert not set(typed) <= set(received)  # some are held back...
            status.wait_for(state="hidden", timeout=30000)
            deadline = time.monotonic() + 60
            while not set(typed) <= set(user_texts(limited, session)):  # ...and sent after the wait
                assert time.monotonic() < deadline, sorted(set(typed) - set(user_texts(limited, session)))
                page.wait_for_timeout(500)
        finally:
            browser.close()


# replicas share the counts in the real Redis


@pytest.fixture(scope="module")
def redis_replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Assistant, str]]:
    """An assistant counting in the real Redis (as every replica of a scaled deployment does)."""
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
    except redis.RedisError as err:
        pytest.skip(f"Redis not reachable at {REDIS_TEST_URL}: {err}")
    secret = secrets.token_urlsafe(40)
    env = {"REDIS_URL": REDIS_TEST_URL, "BANTER_SECRET_KEY": secret}
    try:
        for assistant, _ in start(tmp_path_factory.mktemp("limits-redis"), env, web=False):
            yield assistant, secret
    finally:
        for key in client.scan_iter(match="LIMITER/banter-chat-*"):
            client.delete(key)
        client.close()


def test_replicas_share_the_counts_in_the_real_redis(redis_replica: tuple[Assistant, str]) -> None:
    assistant, secret = redis_replica
    # the other replica: the same limits on the same Redis, in this process
    other = ChatLimiter.from_env({"REDIS_URL": REDIS_TEST_URL, **LIMITS})

    # messages counted by the running assistant are seen by the other replica
    address, sender = new_address(), f"redis-{secrets.token_hex(4)}"
    for n in range(15):
        assert post(assistant, sender, f"hello number {n}", address)[0] == 200
    seen = asyncio.run(other.message(sender, client_key(address, secret)))
    assert seen is not None and seen.limits == ("banter-chat-messages-per-session",)

    # conversations started on the other replica count on the running one
    address = new_address()
    for _ in range(3):
        assert asyncio.run(other.new_conversation(client_key(address, secret))) is None
    status, headers, body = post(assistant, f"redis-{secrets.token_hex(4)}", "hi", address)
    assert status == 429 and body["error"] == too_many_conversations(int(headers["Retry-After"]))

    # a lead stored through the other replica's action server: none more from that address here
    address = new_address()
    assert asyncio.run(other.new_lead(client_key(address, secret))) is None
    refused = as_client(assistant, address).converse(PERSONA)
    assert assistant.lead(refused.sender) is None
    assert "I can't save any more sign-ups from your network" in " ".join(refused.replies)
