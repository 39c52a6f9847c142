"""A conversation survives a restart of the Rasa server (persistent SQL tracker store)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.runner import start_servers, stop
from bot.settings import load_settings
from tests.e2e.conftest import Assistant, _free_port

pytestmark = pytest.mark.e2e


def test_conversation_survives_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'leads.db'}")
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    monkeypatch.setenv("RASA_PORT", str(_free_port()))
    monkeypatch.setenv("ACTIONS_PORT", str(_free_port()))
    monkeypatch.setenv("BANTER_TODAY", "2026-11-24")
    from bot.cli import main

    assert main(["migrate"]) == 0
    settings = load_settings()
    base = f"http://127.0.0.1:{settings.rasa_port}"
    sender = f"restart-{os.getpid()}"

    procs = start_servers(settings, log_dir=tmp_path / "log1", web=False, worker=False)
    try:
        chat = Assistant(base_url=base, database_url=settings.database_url, mail_dir=settings.mail_dir,
                         web_url=settings.public_url)
        chat.say(sender, "hi")
        chat.say(sender, "we want to qualify leads on our website")
        assert chat.requested_slot(sender) == "role"
    finally:
        stop(procs)

    procs = start_servers(settings, log_dir=tmp_path / "log2", web=False, worker=False)
    try:
        chat = Assistant(base_url=base, database_url=settings.database_url, mail_dir=settings.mail_dir,
                         web_url=settings.public_url)
        tracker = chat.tracker(sender)
        assert tracker["slots"]["requested_slot"] == "role"
        assert tracker["slots"]["need"]["value"]["use_case"] == "lead_qualification"
        chat.say(sender, "I'm the VP of Sales")
        assert chat.requested_slot(sender) == "company_name"
    finally:
        stop(procs)
