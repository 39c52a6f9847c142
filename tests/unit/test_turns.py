"""The Rasa server gives up on an action call in time and abandons the turn (channels/turns.py, store_guard.py)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from channels import store_guard, turns

pytest.importorskip("rasa")

from rasa.core.actions.action import RemoteAction  # noqa: E402
from rasa.core.channels.channel import CollectingOutputChannel  # noqa: E402
from rasa.core.lock_store import RedisLockStore  # noqa: E402
from rasa.core.nlg import TemplatedNaturalLanguageGenerator  # noqa: E402
from rasa.core.tracker_store import SQLTrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from rasa.shared.exceptions import RasaException  # noqa: E402
from rasa.utils.endpoints import EndpointConfig  # noqa: E402

from scripts.assistant_client import free_port  # noqa: E402


@pytest.fixture
def hung_server() -> Iterator[int]:
    """Accepts connections (the kernel does, from the backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


@pytest.fixture
def in_turn() -> Iterator[None]:
    token = turns._in_turn.set(True)
    yield
    turns._in_turn.reset(token)


@pytest.fixture(autouse=True)
def short_timeout() -> Iterator[None]:
    saved = turns._timeout
    turns.install(0.5)
    yield
    turns.install(saved)


async def run_remote(port: int) -> object:
    action = RemoteAction("action_extract_fields", EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
    tracker = DialogueStateTracker("visitor", [])
    return await action.run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}), tracker, Domain.empty()
    )


async def test_a_hung_action_server_abandons_the_turn_within_the_deadline(
    hung_server: int, in_turn: None
) -> None:
    started = time.monotonic()
    with pytest.raises(turns.TurnAbandoned) as abandoned:
        await run_remote(hung_server)
    assert time.monotonic() - started < 3
    assert abandoned.value.text == turns.TOO_SLOW and abandoned.value.recordable
    assert "did not answer action_extract_fields within 0.5 s" in abandoned.value.reason


async def test_an_unreachable_action_server_abandons_the_turn(in_turn: None) -> None:
    with pytest.raises(turns.TurnAbandoned) as abandoned:
        await run_remote(free_port())
    assert abandoned.value.text == turns.TOO_SLOW
    assert "could not be reached" in abandoned.value.reason


async def test_outside_a_turn_rasa_handles_the_failure_as_usual(hung_server: int) -> None:
    with pytest.raises(RasaException, match="within 0.5 s"):
        await run_remote(hung_server)


def test_the_deadline_comes_from_the_environment() -> None:
    from bot.settings import SettingsError, action_timeout

    assert action_timeout({}) == 8.0
    assert action_timeout({"BANTER_ACTION_TIMEOUT": "2.5"}) == 2.5
    for bad in ("0", "nope", "1000"):
        with pytest.raises(SettingsError, match="BANTER_ACTION_TIMEOUT"):
            action_timeout({"BANTER_ACTION_TIMEOUT": bad})


def test_an_unreachable_tracker_database_is_a_refusal_to_start_naming_the_store() -> None:
    port = free_port()
    store = SQLTrackerStore(
        Domain.empty(), dialect="postgresql", host="127.0.0.1", port=port, db="conversations",
        username="banter", password="s3cret-pw",
    )  # fmt: skip  # Rasa creates it anyway (and logs "Could not create tables")
    with pytest.raises(store_guard.StoreUnreachable) as refused:
        store_guard.check_tracker_store(store, "SQL")
    message = str(refused.value)
    assert message.startswith(
        f"Refusing to start: the tracker store (SQLTrackerStore at postgresql://banter:***@127.0.0.1:{port}/conversations) cannot be reached: "
    )
    assert "Connection refused" in message and "s3cret-pw" not in message


def test_a_reachable_sqlite_tracker_store_passes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    store_guard.check_tracker_store(store, "SQL")


def test_an_unreachable_redis_lock_store_is_a_refusal_to_start() -> None:
    port = free_port()
    with pytest.raises(
        store_guard.StoreUnreachable,
        match=rf"the lock store \(RedisLockStore at redis://127.0.0.1:{port}/1\)",
    ):
        store_guard.check_lock_store(RedisLockStore(host="127.0.0.1", port=port))


def test_a_tracker_store_error_abandons_the_turn_and_is_raised_outside_one(in_turn: None) -> None:
    error = ConnectionError("database went away")
    with pytest.raises(turns.TurnAbandoned) as abandoned:
        store_guard.tracker_store_failed(error)
    assert abandoned.value.text == turns.WENT_WRONG and not abandoned.value.recordable
    turns._in_turn.set(False)
    with pytest.raises(ConnectionError):
        store_guard.tracker_store_failed(error)
