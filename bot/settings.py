"""Settings from the environment, checked once at start-up.

Secrets never have defaults here; everything else has a default that works on one
machine with SQLite. A bad value stops start-up with a message naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """An environment variable holds a value Banter cannot use."""


@dataclass(frozen=True)
class Settings:
    """Run-time configuration (see README, "Configuration")."""

    database_url: str
    playbook_path: Path
    rasa_port: int
    actions_port: int
    tracker_db: Path
    model_dir: Path
    log_level: str

    @property
    def action_endpoint(self) -> str:
        """Where the Rasa server reaches the action server."""
        return f"http://127.0.0.1:{self.actions_port}/webhook"


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    try:
        port = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: must be a port number (1-65535)") from None
    if not 1 <= port <= 65535:
        raise SettingsError(f"{name}={raw!r}: must be a port number (1-65535)")
    return port


def _path(env: Mapping[str, str], name: str, default: str) -> Path:
    path = Path(env.get(name, default))
    return path if path.is_absolute() else PROJECT_ROOT / path


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and check settings from `env` (default: the process environment)."""
    env = os.environ if env is None else env
    url = env.get("DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'banter.db'}")
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if not url.startswith(("sqlite:///", "postgresql://", "postgresql+psycopg2://")):
        raise SettingsError(f"DATABASE_URL={url!r}: use sqlite:///PATH or postgresql://USER@HOST:PORT/DB")
    level = env.get("BANTER_LOG_LEVEL", "INFO").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(f"BANTER_LOG_LEVEL={level!r}: use DEBUG, INFO, WARNING or ERROR")
    return Settings(
        database_url=url,
        playbook_path=_path(env, "BANTER_PLAYBOOK", "playbook.yml"),
        rasa_port=_port(env, "RASA_PORT", 5005),
        actions_port=_port(env, "ACTIONS_PORT", 5055),
        tracker_db=_path(env, "TRACKER_DB", "var/tracker.db"),
        model_dir=_path(env, "MODEL_DIR", "models"),
        log_level=level,
    )
