"""Engines and sessions for SQLite (default) and PostgreSQL. Nothing is created at import.

SQLite files hold leads and transcripts: they are created readable by their owner only
(0600, in a 0700 folder when the folder is new), before SQLite opens them, and SQLite
gives its -wal, -shm and -journal files the database file's mode.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker

logger = logging.getLogger(__name__)


def normalise_url(url: str) -> str:
    """Accept the common postgres:// spelling."""
    return "postgresql://" + url[len("postgres://") :] if url.startswith("postgres://") else url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for PostgreSQL, in-memory and URI-style databases."""
    parsed = make_url(normalise_url(url))
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def private_sqlite_file(path: Path) -> None:
    """Create the database file 0600 (its folder 0700 when new); tighten an existing one to 0600."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:  # an empty file is a new database to SQLite
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    for name in (path.name, path.name + "-wal", path.name + "-shm", path.name + "-journal"):
        part = path.with_name(name)
        try:
            if part.stat().st_mode & 0o077:
                part.chmod(0o600)
        except FileNotFoundError:
            continue
        except PermissionError:
            logger.warning("%s can be read by other users and is not ours to change: chmod 600 it", part)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """A 2.0-style engine; SQLite gets a private file, WAL, foreign keys and a busy timeout."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            private_sqlite_file(path)
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
