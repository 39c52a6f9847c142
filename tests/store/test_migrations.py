from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.store.db import make_engine
from bot.store.models import Base
from tests.store.conftest import alembic_config

TABLES = {"leads", "conversations", "answers", "score_snapshots", "consents"}


def test_single_head() -> None:
    assert len(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()) == 1


def test_upgrade_downgrade_upgrade_from_empty(db_url: str) -> None:
    config = alembic_config(db_url)
    command.upgrade(config, "head")
    engine = make_engine(db_url)
    assert TABLES <= set(inspect(engine).get_table_names())
    command.downgrade(config, "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    command.upgrade(config, "head")
    assert TABLES <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_models_match_migrations(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
