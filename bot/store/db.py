"""Engines and sessions for SQLite (default) and PostgreSQL. Nothing is created at import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker


def normalise_url(url: str) -> str:
    """Accept the common postgres:// spelling."""
    return "postgresql://" + url[len("postgres://") :] if url.startswith("postgres://") else url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """A 2.0-style engine; SQLite gets WAL, foreign keys and a busy timeout."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, future=True, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True, **kwargs)


def session_factory(engine: Engine) -> sessionmaker:
    """Sessions in 2.0 style that keep loaded values after commit."""
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)
