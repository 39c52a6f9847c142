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
    web_port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    production: bool = False
    secret_key: str | None = None
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    local_smtp: bool = True
    mail_dir: Path = PROJECT_ROOT / "var" / "mail"
    mail_from: str = "Banter <banter@localhost>"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    slack_webhook_url: str | None = None
    # Signs the CRM's outcome calls to POST /crm/outcomes (bot/outcomes/crm.py); unset: no such endpoint.
    crm_webhook_secret: str | None = None
    link_max_age_days: int = 30
    dev_webhooks: bool = False
    tracker_url: str = ""
    rasa_public_url: str = "http://127.0.0.1:5005"
    allowed_origins: tuple[str, ...] = ()
    # Internal services listen on loopback unless told otherwise; Rasa's HTTP API needs a token.
    rasa_interface: str = "127.0.0.1"
    actions_interface: str = "127.0.0.1"
    web_interface: str = "127.0.0.1"
    rasa_api_token: str | None = None
    # Seconds the Rasa server waits for one action-server call before it tells the visitor
    # to send the message again (channels/turns.py).
    action_timeout: float = 8.0

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


def redis_url(env: Mapping[str, str]) -> str | None:
    """The Redis that replicas share (console sessions, rate limits): REDIS_URL, else REDIS_HOST/REDIS_PORT."""
    url = env.get("REDIS_URL") or ""
    if not url and env.get("REDIS_HOST"):
        url = f"redis://{env['REDIS_HOST']}:{env.get('REDIS_PORT') or 6379}/0"
    if url and not url.startswith(("redis://", "rediss://")):
        raise SettingsError("REDIS_URL must look like redis://HOST:6379/0 (or rediss:// with TLS)")
    return url or None


def behind_proxy(env: Mapping[str, str]) -> bool:
    """BANTER_BEHIND_PROXY: trust the proxy's X-Forwarded-For entry as the client's address."""
    return env.get("BANTER_BEHIND_PROXY", "").lower() in {"1", "true", "yes"}


def action_timeout(env: Mapping[str, str]) -> float:
    """BANTER_ACTION_TIMEOUT: seconds (0.5-300) Rasa waits for one action-server call; default 8."""
    raw = env.get("BANTER_ACTION_TIMEOUT", "8")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0.5 <= seconds <= 300:
        raise SettingsError(f"BANTER_ACTION_TIMEOUT={raw!r}: must be a number of seconds from 0.5 to 300")
    return seconds


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
    production = env.get("BANTER_ENV", "development").lower() == "production"
    secret = env.get("BANTER_SECRET_KEY") or None
    if production and (not secret or len(secret) < 32):
        raise SettingsError(
            "BANTER_SECRET_KEY must be set to 32+ random characters when BANTER_ENV=production"
        )
    web_port = _port(env, "WEB_PORT", 8000)
    public_url = env.get("BANTER_PUBLIC_URL", f"http://127.0.0.1:{web_port}").rstrip("/")
    if not public_url.startswith(("http://", "https://")):
        raise SettingsError(f"BANTER_PUBLIC_URL={public_url!r}: must start with http:// or https://")
    webhook_url = env.get("BANTER_WEBHOOK_URL") or None
    webhook_secret = env.get("BANTER_WEBHOOK_SECRET") or None
    dev_webhooks = not production and not webhook_url and env.get("BANTER_DEV_WEBHOOKS", "on") != "off"
    if dev_webhooks:  # the web app's local receiver writes each call to var/webhooks/ (README)
        webhook_url, webhook_secret = f"{public_url}/dev/webhooks/generic", "development-only"
    if webhook_url and not webhook_secret:
        raise SettingsError(
            "BANTER_WEBHOOK_SECRET is required when BANTER_WEBHOOK_URL is set (it signs each call)"
        )
    for name in ("BANTER_WEBHOOK_URL", "BANTER_SLACK_WEBHOOK_URL"):
        if env.get(name) and not env[name].startswith(("http://", "https://")):
            raise SettingsError(f"{name}={env[name]!r}: must be an http(s) URL")
    crm_secret = env.get("BANTER_CRM_WEBHOOK_SECRET") or None
    if crm_secret is not None and len(crm_secret) < 16:
        raise SettingsError(
            "BANTER_CRM_WEBHOOK_SECRET must be 16+ random characters (it signs the CRM's calls)"
        )
    max_age = env.get("BANTER_LINK_MAX_AGE_DAYS", "30")
    if not max_age.isdigit() or int(max_age) < 1:
        raise SettingsError(
            f"BANTER_LINK_MAX_AGE_DAYS={max_age!r}: must be a whole number of days (1 or more)"
        )
    from bot.chat_limits import ChatLimits  # here: bot.chat_limits imports SettingsError from this module

    ChatLimits.from_env(env)  # a bad BANTER_LIMIT_* value stops start-up, naming the variable
    tracker_db = _path(env, "TRACKER_DB", "var/tracker.db")
    rasa_port = _port(env, "RASA_PORT", 5005)
    origins = tuple(
        o.strip().rstrip("/")
        for o in env.get(
            "BANTER_ALLOWED_ORIGINS", f"{public_url},http://127.0.0.1:{web_port},http://localhost:{web_port}"
        ).split(",")
        if o.strip()
    )
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise SettingsError(
                f"BANTER_ALLOWED_ORIGINS: {origin!r} is not an origin like https://www.example.com"
            )
    return Settings(
        rasa_public_url=env.get("BANTER_RASA_URL", f"http://127.0.0.1:{rasa_port}").rstrip("/"),
        allowed_origins=origins,
        web_port=web_port,
        public_url=public_url,
        production=production,
        secret_key=secret,
        smtp_host=env.get("SMTP_HOST", "127.0.0.1"),
        smtp_port=_port(env, "SMTP_PORT", 8025),
        smtp_user=env.get("SMTP_USER") or None,
        smtp_password=env.get("SMTP_PASSWORD") or None,
        smtp_starttls=env.get("SMTP_STARTTLS", "").lower() in {"1", "true", "yes"},
        local_smtp="SMTP_HOST" not in env,
        mail_dir=_path(env, "BANTER_MAIL_DIR", "var/mail"),
        mail_from=env.get("BANTER_MAIL_FROM", "Banter <banter@localhost>"),
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        slack_webhook_url=env.get("BANTER_SLACK_WEBHOOK_URL")
        or (f"{public_url}/dev/webhooks/slack" if dev_webhooks else None),
        dev_webhooks=dev_webhooks,
        crm_webhook_secret=crm_secret,
        link_max_age_days=int(max_age),
        tracker_url=env.get("TRACKER_URL") or f"sqlite:///{tracker_db}",
        database_url=url,
        playbook_path=_path(env, "BANTER_PLAYBOOK", "playbook.yml"),
        rasa_port=rasa_port,
        actions_port=_port(env, "ACTIONS_PORT", 5055),
        tracker_db=tracker_db,
        model_dir=_path(env, "MODEL_DIR", "models"),
        log_level=level,
        rasa_interface=env.get("RASA_INTERFACE", "127.0.0.1"),
        actions_interface=env.get("ACTIONS_INTERFACE", "127.0.0.1"),
        web_interface=env.get("WEB_INTERFACE", "127.0.0.1"),
        rasa_api_token=env.get("RASA_API_TOKEN") or None,
        action_timeout=action_timeout(env),
    )
