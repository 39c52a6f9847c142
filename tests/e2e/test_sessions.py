"""Whose conversation is whose: server-issued signed ids, no hijack, no profile leak, REST for token holders.

Each test fails on the old behaviour: a client-chosen socket.io session id was accepted (a
second client could read the replies and inject messages), a typed email or an invented
visitor id welcomed someone back with another person's answers, and the REST channel took
any sender id from anyone.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
import socketio

from channels.limits import MAX_MESSAGE
from tests.e2e.conftest import Assistant

pytestmark = pytest.mark.e2e


class Client:
    """A socket.io client like the widget: asks for a session, then sends and collects messages."""

    def __init__(self, assistant: Assistant) -> None:
        self.url, self.origin = assistant.base_url, assistant.web_url  # the widget's page is on the web app
        self.sio = socketio.AsyncClient(reconnection=False)
        self.confirmed: asyncio.Queue[Any] = asyncio.Queue()
        self.invalid: asyncio.Queue[Any] = asyncio.Queue()
        self.replies: list[str] = []
        self.sio.on("session_confirm", self.confirmed.put_nowait)
        self.sio.on("session_invalid", self.invalid.put_nowait)
        self.sio.on("bot_uttered", lambda m: self.replies.append(str(m.get("text", ""))))

    async def __aenter__(self) -> Client:
        await self.sio.connect(
            self.url, socketio_path="/socket.io", transports=["polling"], headers={"Origin": self.origin}
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.sio.disconnect()

    async def session(self, **offered: Any) -> dict[str, str]:
        await self.sio.emit("session_request", offered)
        confirm = await asyncio.wait_for(self.confirmed.get(), 10)
        assert isinstance(confirm, dict), confirm
        return confirm

    async def say(self, session_id: str, text: str, visitor_id: str | None = None) -> None:
        await self.sio.emit(
            "user_uttered",
            {
                "message": text,
                "session_id": session_id,
                "customData": {"visitor_id": visitor_id} if visitor_id else {},
            },
        )

    async def wait_for_replies(self, at_least: int = 1, seconds: float = 20) -> list[str]:
        for _ in range(int(seconds * 10)):
            if len(self.replies) >= at_least:
                await asyncio.sleep(0.5)  # the rest of this turn's replies
                return self.replies
            await asyncio.sleep(0.1)
        return self.replies


def test_session_ids_are_issued_and_signed_by_the_server(assistant: Assistant) -> None:
    async def scenario() -> None:
        async with Client(assistant) as alice, Client(assistant) as mallory:
            issued = await alice.session()
            assert len(issued["session_id"]) >= 40 and "." in issued["session_id"]
            assert issued["visitor_id"] != issued["session_id"]
            again = await alice.session(session_id=issued["session_id"], visitor_id=issued["visitor_id"])
            assert again == issued  # a valid id is kept (reload, second tab)
            chosen = await mallory.session(session_id="alice", visitor_id="v-alice")
            assert chosen["session_id"] != "alice" and chosen["visitor_id"] != "v-alice"
            # a session id signed as a visitor id (or vice versa) is not accepted either
            swapped = await mallory.session(session_id=issued["visitor_id"])
            assert swapped["session_id"] != issued["visitor_id"]

    asyncio.run(scenario())


def test_a_second_client_cannot_read_or_inject_into_a_session_it_did_not_join(assistant: Assistant) -> None:
    async def scenario() -> None:
        async with Client(assistant) as alice, Client(assistant) as mallory:
            issued = await alice.session()
            await alice.say(issued["session_id"], "hi")
            assert await alice.wait_for_replies()
            seen = len(alice.replies)
            await mallory.session()
            await mallory.say(issued["session_id"], "/restart")
            returned = await asyncio.wait_for(mallory.invalid.get(), 10)
            assert returned["message"] == "/restart"  # handed back to be sent on a valid session
            await asyncio.sleep(1.5)
            assert mallory.replies == [] and len(alice.replies) == seen
            events = assistant.tracker(issued["session_id"])["events"]
            assert "/restart" not in [e.get("text") for e in events if e.get("event") == "user"]

    asyncio.run(scenario())


def test_a_message_on_an_unknown_session_is_handed_back_not_lost(assistant: Assistant) -> None:
    async def scenario() -> None:
        async with Client(assistant) as visitor:
            await visitor.say("not-a-session", "we're a 40-person agency")
            returned = await asyncio.wait_for(visitor.invalid.get(), 10)
            assert returned["message"] == "we're a 40-person agency"
            issued = await visitor.session()
            await visitor.say(issued["session_id"], returned["message"])
            assert await visitor.wait_for_replies()

    asyncio.run(scenario())


def test_a_message_handed_back_is_cut_to_the_message_limit(assistant: Assistant) -> None:
    async def scenario() -> None:
        async with Client(assistant) as visitor:
            await visitor.sio.emit(
                "user_uttered",
                {"message": "x" * 100_000, "session_id": "not-a-session", "customData": {"blob": "y" * 100_000}},
            )
            returned = await asyncio.wait_for(visitor.invalid.get(), 10)
            assert returned == {"message": "x" * MAX_MESSAGE}  # no uncapped echo, no metadata echoed

    asyncio.run(scenario())


def _finish(assistant: Assistant, metadata: dict[str, Any]) -> str:
    conversation = assistant.converse(
        {
            "need": "we want to qualify the leads on our website",
            "role": "VP of Sales",
            "company_name": "Octo Ltd",
            "company_size": "300",
            "industry": "software",
            "country": "Germany",
            "budget": "50k a year",
            "timeline": "next month",
            "other_deciders": "no",
            "consent": "yes",
            "name": "Olga Petrova",
            "email": "olga@octo-example.com",
        },
        metadata=metadata,
    )
    return conversation.sender


def test_a_typed_email_or_an_invented_visitor_id_never_shows_someone_elses_profile(
    assistant: Assistant,
) -> None:
    owner_browser = assistant.new_visitor_id()
    first = _finish(assistant, {"visitor_id": owner_browser})
    owner = assistant.lead(first)
    assert owner is not None and owner["email"] == "olga@octo-example.com"

    for attempt, metadata in (
        ('/greet{"email": "olga@octo-example.com"}', {}),
        ("hi, it's olga@octo-example.com", {}),
        ("hi", {"visitor_id": owner_browser.split(".")[0]}),  # the id without its signature
        ("hi", {"visitor_id": owner_browser + "x"}),
    ):
        sender = f"leak-{abs(hash(attempt + json.dumps(metadata)))}"
        replies = " ".join(assistant.say(sender, attempt, metadata))
        assert "Welcome back" not in replies and "Olga" not in replies, replies
        slots = assistant.tracker(sender)["slots"]
        assert slots.get("returning") is None and slots.get("company_name") is None, slots

    # the browser the server signed the id for is still welcomed back
    assert "Welcome back, Olga" in " ".join(assistant.say("leak-owner", "hi", {"visitor_id": owner_browser}))


def test_an_unconfirmed_conversation_never_overwrites_another_persons_lead(assistant: Assistant) -> None:
    victim_browser = assistant.new_visitor_id()
    victim = assistant.converse(
        {
            "need": "we want to qualify the leads on our website",
            "role": "Head of Sales",
            "company_name": "Vela GmbH",
            "company_size": "250",
            "industry": "software",
            "country": "Austria",
            "budget": "40k a year",
            "timeline": "next month",
            "other_deciders": "no",
            "consent": "yes",
            "name": "Vera Lang",
            "email": "vera@vela-example.com",
        },
        metadata={"visitor_id": victim_browser},
    )
    before = assistant.lead(victim.sender)
    assert before is not None
    attacker = assistant.converse(
        {
            "need": "just browsing",
            "role": "intern",
            "company_name": "Hack Co",
            "company_size": "2",
            "industry": "gaming",
            "country": "Australia",
            "budget": "none",
            "timeline": "no rush",
            "other_deciders": "no",
            "consent": "yes",
            "name": "Mal Ory",
            "email": "vera@vela-example.com",
        },
        metadata={"visitor_id": assistant.new_visitor_id()},
    )
    after = assistant.lead(victim.sender)
    assert after is not None
    assert (after["name"], after["company_name"], after["grade"], after["score"]) == (
        before["name"],
        before["company_name"],
        before["grade"],
        before["score"],
    )
    assert "candidate_linked" in [e["kind"] for e in after["events"]]
    candidate = assistant.lead(attacker.sender)
    assert candidate is not None and candidate["id"] != after["id"]
    assert (candidate["email"], candidate["candidate_of"]) == (None, after["id"])


def _rest(assistant: Assistant, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        f"{assistant.base_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": "rest-check", "message": "hi"}).encode(),
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def test_the_rest_channel_answers_only_token_holders(assistant: Assistant) -> None:
    assert _rest(assistant, {}) == 401
    assert _rest(assistant, {"Authorization": "Bearer wrong"}) == 401
    assert _rest(assistant, {"Authorization": f"Bearer {assistant.rest_token}"}) == 200
