"""Lead-store fixtures on SQLite and on the real PostgreSQL server (fresh database per session)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from bot.settings import PROJECT_ROOT
from bot.store.db import make_engine

PG_URL = os.environ.get("BANTER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["url"] = url
    return config


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database, dropped at the end of the session."""
    admin = create_engine(PG_URL, future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as err:  # noqa: BLE001
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {err}")
    name = f"banter_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _reset_pg(url: str) -> None:
    engine = create_engine(url, future=True)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'leads.db'}"
    url = request.getfixturevalue("pg_server_url")
    _reset_pg(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated lead store (migrations, not create_all: migrations are what runs in production)."""
    command.upgrade(alembic_config(db_url), "head")
    engine = make_engine(db_url)
    yield engine
    engine.dispose()
