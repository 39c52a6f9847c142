"""The scaled deployment for real: PostgreSQL, Redis, two Rasa replicas and two action servers behind HAProxy.

Starts bot/scaled.py on throw-away state (a new PostgreSQL database, the local Redis, free
loopback ports) and holds conversations through the proxy. Each check fails when the wiring
is broken: the proxy sending every message to one replica, a replica keeping trackers anywhere
but PostgreSQL (the other replica would not see the earlier turns, and the `events` table
would not hold them), Rasa's lock store not in Redis, socket.io without sticky sessions (a
polling session that lands on the other replica is unknown there), Rasa's HTTP API reachable
through the public port, or a process listening beyond loopback.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import socketio
from sqlalchemy import create_engine, text

from bot.scaled import Deployment
from bot.settings import PROJECT_ROOT
from scripts.bench_scaled import ADMIN_PG_URL, script, throwaway_scaled
from tests.e2e.conftest import TODAY
from tests.e2e.test_private_services import _listening_addresses

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]  # start-up on a busy 2-core machine included

LOOPBACK = {"0100007F", "00000000000000000000000001000000"}


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    if not (PROJECT_ROOT / "models" / "banter.tar.gz").exists():
        pytest.fail("no trained model at models/banter.tar.gz: run `make train` (make test does)")
    try:
        create_engine(ADMIN_PG_URL, future=True).connect().close()
        redis.Redis(socket_connect_timeout=3).ping()
    except Exception as err:  # noqa: BLE001 - as the store tests do when PostgreSQL is not there
        pytest.skip(f"PostgreSQL ({ADMIN_PG_URL}) or Redis (127.0.0.1:6379) not reachable: {err}")
    env = {
        "BANTER_PLAYBOOK": str(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml"),
        "BANTER_TODAY": TODAY,
    }
    with throwaway_scaled(tmp_path_factory.mktemp("scaled"), replicas=2, web=True, env=env) as deployment:
        yield deployment


def rest(deployment: Deployment, sender: str, message: str) -> list[str]:
    """One message through the proxy's public port; the reply texts."""
    request = urllib.request.Request(
        f"{deployment.layout.proxy_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {deployment.env['BANTER_REST_TOKEN']}",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return [m.get("text") or "" for m in json.loads(response.read())]


def served(deployment: Deployment) -> dict[str, int]:
    """REST answers per Rasa replica so far (HAProxy's counters)."""
    return {
        row["svname"]: int(row["hrsp_2xx"] or 0)
        for row in deployment.stats()
        if row["pxname"] == "rasa_rest" and row["svname"].startswith("rasa")
    }


def replica_tracker(deployment: Deployment, port: int, sender: str) -> dict[str, Any]:
    """A conversation's tracker from one replica's private HTTP API (with the token)."""
    query = urllib.parse.urlencode({"token": deployment.env["RASA_API_TOKEN"]})
    with urllib.request.urlopen(
        f"http://127.0.0.1:{port}/conversations/{sender}/tracker?{query}", timeout=30
    ) as response:
        tracker: dict[str, Any] = json.loads(response.read())
    return tracker


def stored_user_messages(deployment: Deployment, sender: str) -> list[str]:
    """The visitor's messages of a conversation in PostgreSQL's tracker store (Rasa's `events` table)."""
    engine = create_engine(deployment.shared.database_url, future=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"),
                {"s": sender},
            )
            return [json.loads(data)["text"] for (data,) in rows]
    finally:
        engine.dispose()


def test_one_conversation_through_the_proxy_is_served_by_both_replicas_from_postgresql(
    scaled: Deployment,
) -> None:
    sender = f"e2e-scaled-{uuid.uuid4().hex[:10]}"
    messages = script(0)[:6]  # greeting, need, role, company, size, industry
    before = served(scaled)
    replies = [rest(scaled, sender, message) for message in messages]
    after = served(scaled)
    assert all(replies), replies
    by_replica = {name: after[name] - before.get(name, 0) for name in after}
    # round robin: the turns alternate, each replica answered half of them
    assert sorted(by_replica) == ["rasa1", "rasa2"] and all(n >= 2 for n in by_replica.values()), by_replica
    assert sum(by_replica.values()) == len(messages)

    # each replica sees the whole conversation, including the turns the other one answered
    trackers = [replica_tracker(scaled, port, sender) for port in scaled.layout.rasa_ports]
    for tracker in trackers:
        users = [e["text"] for e in tracker["events"] if e["event"] == "user"]
        assert users == messages, users
    assert trackers[0]["events"] == trackers[1]["events"] and trackers[0]["slots"] == trackers[1]["slots"]
    # and the answers given on one replica were kept for the next turn on the other
    assert (
        sum(1 for name in ("need", "role", "company_name", "company_size") if trackers[0]["slots"].get(name))
        >= 3
    )
    # stored once each, in order, in PostgreSQL
    assert stored_user_messages(scaled, sender) == messages


def test_conversation_locks_are_taken_in_redis(scaled: Deployment) -> None:
    sender = f"e2e-lock-{uuid.uuid4().hex[:10]}"
    key = f"banter:lock:{sender}"  # endpoints.scaled.yml: key_prefix banter
    seen: list[str] = []
    ready, done = threading.Event(), threading.Event()

    def watch() -> None:
        client = redis.Redis(host=scaled.shared.redis_host, port=scaled.shared.redis_port, socket_timeout=2)
        with client.monitor() as monitor:
            ready.set()
            while not done.is_set():
                try:
                    command = monitor.next_command()["command"]
                except (redis.TimeoutError, TimeoutError):
                    continue
                if sender in command:
                    seen.append(command)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert ready.wait(10)
    time.sleep(0.3)  # MONITOR is on before the message goes out
    assert rest(scaled, sender, "hi")
    time.sleep(0.5)
    done.set()
    watcher.join(5)
    assert any(c.startswith(f"SET {key}") for c in seen), seen  # the replica took the lock in Redis
    assert any(c.startswith(f"DEL {key}") for c in seen), seen  # and released it


def test_a_socketio_polling_session_sticks_to_one_replica_through_the_proxy(scaled: Deployment) -> None:
    # Polling only: every exchange is a separate HTTP request, each of which must reach the
    # replica holding the engine.io session (the websocket transport would need just one).
    async def chat() -> tuple[str, list[str]]:
        client = socketio.AsyncClient(reconnection=False)
        confirmed: asyncio.Queue[Any] = asyncio.Queue()
        replies: list[str] = []
        client.on("session_confirm", confirmed.put_nowait)
        client.on("bot_uttered", lambda m: replies.append(str(m.get("text", ""))))
        origin = scaled.layout.proxy_url
        await client.connect(
            origin, socketio_path="/socket.io", transports=["polling"], headers={"Origin": origin}
        )
        try:
            await client.emit("session_request", {})
            session_id = (await asyncio.wait_for(confirmed.get(), 20))["session_id"]
            await client.emit("user_uttered", {"message": "hi", "session_id": session_id, "customData": {}})
            for _ in range(300):
                if replies:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1)  # several polls more on the same session
            assert client.connected
            return session_id, replies
        finally:
            await client.disconnect()

    session_id, replies = asyncio.run(chat())
    assert replies, "no reply over socket.io through the proxy"
    assert stored_user_messages(scaled, session_id) == ["hi"]
    # the proxy pins the session by cookie when the client keeps it (same-origin page)
    handshake = urllib.request.urlopen(
        f"{scaled.layout.proxy_url}/socket.io/?EIO=4&transport=polling", timeout=10
    )
    assert "BANTER_RASA=rasa" in (handshake.headers.get("Set-Cookie") or "")


def test_rasa_http_api_is_not_public_but_works_privately_with_the_token(scaled: Deployment) -> None:
    sender = f"e2e-api-{uuid.uuid4().hex[:10]}"
    assert rest(scaled, sender, "hi")
    token = urllib.parse.urlencode({"token": scaled.env["RASA_API_TOKEN"]})
    for path in (f"/conversations/{sender}/tracker?{token}", f"/status?{token}", f"/model?{token}"):
        with pytest.raises(urllib.error.HTTPError) as refused:  # the web app answers: it has no such page
            urllib.request.urlopen(f"{scaled.layout.proxy_url}{path}", timeout=10)
        assert refused.value.code == 404, path
    assert replica_tracker(scaled, scaled.layout.rasa_ports[1], sender)["sender_id"] == sender
    # the web app is behind the same public port
    with urllib.request.urlopen(f"{scaled.layout.proxy_url}/healthz", timeout=10) as page:
        assert page.status == 200


def test_every_process_listens_on_loopback_only(scaled: Deployment) -> None:
    layout = scaled.layout
    ports = [
        *layout.rasa_ports,
        *layout.action_ports,
        layout.actions_port,
        layout.web_port,
        layout.proxy_port,
    ]
    for port in ports:
        addresses = _listening_addresses(port)
        assert addresses and addresses <= LOOPBACK, (port, addresses)
    assert Path(layout.stats_socket).stat().st_mode & 0o077 == 0  # the proxy's admin socket is private
