"""The Rasa server refuses to start without its stores, and never forks a conversation into memory.

Rasa 3.6 creates the SQL tracker store even when its database cannot be reached (it logs
"Could not create tables" and goes on), and wraps every tracker store in
`FailSafeTrackerStore`, which on an error reads an empty conversation and saves into an
in-memory store nobody reads again: the visitor's answers of that turn are lost, and a
server whose database is gone serves on as if it were fine. In the Rasa server process
(installed by channels/__init__.py):

- At start, the configured tracker store (SQL or Redis) and a Redis lock store must
  answer; otherwise the server stops with "Refusing to start: the tracker store
  (SQLTrackerStore at postgresql://…) cannot be reached: <error>" (passwords hidden).
  `banter run` then shows that line and, once running, restarts Rasa with backoff.
- While serving, `FailSafeTrackerStore` gets an error callback (a constructor argument
  Rasa provides for this) that, during a visitor's turn, abandons the turn: the visitor
  is asked to send the message again (channels/turns.py) and nothing is saved in memory.
  Outside a turn (the HTTP API) the error is raised, so the API answers 500, not an
  empty conversation.
"""

from __future__ import annotations

import logging
from typing import Any

import rasa.core.lock_store as rasa_lock_store
import rasa.core.tracker_store as rasa_tracker_store
import sqlalchemy as sa
from rasa.core.agent import Agent
from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import (
    AwaitableTrackerStore,
    FailSafeTrackerStore,
    InMemoryTrackerStore,
    RedisTrackerStore,
    SQLTrackerStore,
    TrackerStore,
)
from rasa.shared.core.domain import Domain
from rasa.shared.exceptions import RasaException

from channels.turns import WENT_WRONG, TurnAbandoned, in_turn

logger = logging.getLogger(__name__)


class StoreUnreachable(RasaException):
    """A store Rasa needs cannot be reached at start: the server refuses to start."""


def describe(store: Any) -> str:
    """'SQLTrackerStore at postgresql://user:***@host:5432/db' (no password)."""
    name = type(store).__name__
    if isinstance(store, SQLTrackerStore):
        return f"{name} at {store.engine.url!r}"  # SQLAlchemy's repr hides the password
    red = getattr(store, "red", None)
    if red is not None:
        kwargs = red.connection_pool.connection_kwargs
        return f"{name} at redis://{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db', 0)}"
    return name


def _short(error: Exception) -> str:
    """The driver's own message on one line (without SQLAlchemy's background link)."""
    return " ".join(str(getattr(error, "orig", None) or error).split()).rstrip(".")


def check_tracker_store(store: TrackerStore, configured_type: str | None) -> None:
    """Raise StoreUnreachable unless `store` answers (SQL: its events table; Redis: PING)."""
    inner = store._tracker_store if isinstance(store, AwaitableTrackerStore) else store
    try:
        if isinstance(inner, SQLTrackerStore):
            with inner.engine.connect() as connection:
                if not sa.inspect(connection).has_table(inner.SQLEvent.__tablename__):
                    raise RuntimeError(f"its table {inner.SQLEvent.__tablename__!r} does not exist")
        elif isinstance(inner, RedisTrackerStore):
            inner.red.ping()
        elif isinstance(inner, InMemoryTrackerStore) and configured_type not in (None, "in_memory"):
            raise RuntimeError(f"type {configured_type!r} was not found, Rasa fell back to memory")
    except Exception as error:
        raise StoreUnreachable(
            f"Refusing to start: the tracker store ({describe(inner)}) cannot be reached: {_short(error)}. "
            "Conversations would not be kept; start it or fix tracker_store in the endpoints file."
        ) from error


def check_lock_store(store: Any) -> None:
    """Raise StoreUnreachable unless a Redis lock store answers PING."""
    if isinstance(store, RedisLockStore):
        try:
            store.red.ping()
        except Exception as error:
            raise StoreUnreachable(
                f"Refusing to start: the lock store ({describe(store)}) cannot be reached: {_short(error)}. "
                "Start it or fix lock_store in the endpoints file."
            ) from error


_original_create_tracker_store = rasa_tracker_store.create_tracker_store
_original_create_lock_store = rasa_lock_store._create_from_endpoint_config


def _create_tracker_store(endpoint_config: Any, *args: Any, **kwargs: Any) -> TrackerStore:
    store = _original_create_tracker_store(endpoint_config, *args, **kwargs)
    try:
        check_tracker_store(store, getattr(endpoint_config, "type", None))
    except StoreUnreachable as refusal:
        logger.critical(str(refusal))
        raise
    return store


def _create_lock_store(endpoint_config: Any = None) -> Any:
    store = _original_create_lock_store(endpoint_config)
    try:
        check_lock_store(store)
    except StoreUnreachable as refusal:
        logger.critical(str(refusal))
        raise
    return store


def tracker_store_failed(error: Exception) -> None:
    """FailSafeTrackerStore's error callback: abandon the visitor's turn, never fall back to memory."""
    if in_turn():
        raise TurnAbandoned(WENT_WRONG, f"the tracker store failed: {error!r}", recordable=False) from error
    raise error


def _fail_safe_tracker_store(store: TrackerStore | None, domain: Domain) -> TrackerStore:
    """Agent._create_tracker_store with the error callback (otherwise as Rasa 3.6 does it)."""
    if store is None:
        store = InMemoryTrackerStore(domain)
    else:
        store.domain = domain
    return FailSafeTrackerStore(store, on_tracker_store_error=tracker_store_failed)


def install() -> None:
    """Check the stores at start and abandon turns on store errors (idempotent)."""
    rasa_tracker_store.create_tracker_store = _create_tracker_store
    rasa_lock_store._create_from_endpoint_config = _create_lock_store
    Agent._create_tracker_store = staticmethod(_fail_safe_tracker_store)  # type: ignore[method-assign,assignment]
