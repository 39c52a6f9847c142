from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults_work_on_one_machine() -> None:
    settings = load_settings({})
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("var/banter.db")
    assert (settings.rasa_port, settings.actions_port) == (5005, 5055)
    assert settings.action_endpoint == "http://127.0.0.1:5055/webhook"


def test_postgres_scheme_is_normalised() -> None:
    assert load_settings({"DATABASE_URL": "postgres://u@h/db"}).database_url == "postgresql://u@h/db"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RASA_PORT": "abc"}, "RASA_PORT='abc': must be a port number"),
        ({"ACTIONS_PORT": "70000"}, "ACTIONS_PORT='70000'"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL='mysql://x'"),
        ({"BANTER_LOG_LEVEL": "loud"}, "BANTER_LOG_LEVEL='LOUD'"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        load_settings(env)


def test_webhooks_go_to_the_local_receiver_in_development_only() -> None:
    dev = load_settings({})
    assert dev.webhook_url == "http://127.0.0.1:8000/dev/webhooks/generic" and dev.webhook_secret
    assert dev.slack_webhook_url == "http://127.0.0.1:8000/dev/webhooks/slack" and dev.dev_webhooks
    off = load_settings({"BANTER_DEV_WEBHOOKS": "off"})
    assert off.webhook_url is None and off.slack_webhook_url is None
    prod = load_settings({"BANTER_ENV": "production", "BANTER_SECRET_KEY": "s" * 40})
    assert prod.webhook_url is None and not prod.dev_webhooks
    real = load_settings({"BANTER_WEBHOOK_URL": "https://crm.example.com/hook", "BANTER_WEBHOOK_SECRET": "x"})
    assert real.webhook_url == "https://crm.example.com/hook" and not real.dev_webhooks
