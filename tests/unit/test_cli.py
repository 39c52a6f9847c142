from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import PROJECT_ROOT


def run(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    stdin: str | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> tuple[int, str, str]:
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_playbook_check_ok(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["playbook", "check", str(PROJECT_ROOT / "playbook.yml")], capsys)  # the shipped file
    assert code == 0 and "OK (version" in out and "warning" not in out


def test_playbook_check_warns_when_double_opt_in_is_off(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["playbook", "check", str(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml")], capsys
    )
    assert code == 0 and "warning: nurture.double_opt_in is off" in out


def test_playbook_check_names_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yml"
    text = (
        (PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml")
        .read_text()
        .replace("budget: 20", "budget: 25", 1)
    )
    bad.write_text(text)
    code, _, err = run(["playbook", "check", str(bad)], capsys)
    assert code == 2 and "weights" in err


def test_playbook_check_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["playbook", "check", "/nonexistent/playbook.yml"], capsys)
    assert code == 2 and "/nonexistent/playbook.yml" in err


def test_score_from_stdin_with_raw_answers(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = {
        "role": "VP of Sales",
        "company_size": "about 200 people",
        "industry": "fintech",
        "country": "Germany",
        "budget": "40k a year",
        "timeline": "next month",
        "need": "we want to qualify leads on our website",
    }
    code, out, _ = run(["score"], capsys, json.dumps(profile), monkeypatch)
    assert code == 0
    result = json.loads(out)
    assert result["grade"] == "qualified" and result["next_step"] == "book_demo"
    assert result["explanation"] and result["playbook_version"]


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"shoe_size": "42"}', "unknown field 'shoe_size'"),
        ('{"budget": "banana"}', "budget: could not understand"),
        ("[1, 2]", "JSON object"),
    ],
)
def test_score_bad_input(
    stdin: str, message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(["score"], capsys, stdin, monkeypatch)
    assert code == 2 and message in err


def test_leads_show_unknown_conversation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'leads.db'}")
    assert run(["migrate"], capsys)[0] == 0
    code, _, err = run(["leads", "show", "--conversation", "nobody", "--json"], capsys)
    assert code == 1 and "no lead for conversation nobody" in err
    code, out, _ = run(["leads", "list"], capsys)
    assert code == 0 and "no leads yet" in out


def test_meetings_outbox_and_worker_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import datetime, timezone

    from bot.booking.routing import LeadFacts
    from bot.booking.service import BookingService, Notify
    from bot.links import Links
    from bot.playbook import load_playbook
    from bot.store.db import make_engine, session_factory
    from tests.store.test_booking import make_lead

    url = f"sqlite:///{tmp_path / 'leads.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", "9")  # nothing listens: delivery fails and is kept for a retry
    # The meeting below ends on 2026-11-23: by the worker's real clock its outcome may be overdue, and an SLA
    # escalation would join the outbox (tests/store/test_outcomes_measures.py covers those); not here.
    playbook = (PROJECT_ROOT / "playbook.yml").read_text()
    quiet = tmp_path / "playbook.yml"
    quiet.write_text(playbook[: playbook.index("  escalate_to:\n")] + playbook[playbook.index("\n\n", playbook.index("  escalate_to:\n")) + 1 :])
    monkeypatch.setenv("BANTER_PLAYBOOK", str(quiet))
    code, _, err = run(["meetings", "list"], capsys)
    assert code == 1 and "run `banter migrate`" in err  # not migrated yet: a clear message
    assert run(["migrate"], capsys)[0] == 0
    code, out, _ = run(["meetings", "list"], capsys)
    assert code == 0 and "no meetings" in out

    sessions = session_factory(make_engine(url))
    now = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)
    service = BookingService(
        load_playbook(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml"),
        sessions,
        Links("k" * 40, 60),
        Notify(mail_from="b@localhost", public_url="http://x"),
        now=lambda: now,
    )
    lead_id = make_lead(sessions, "c1", "ada@acme.com")
    slot = service.offer("demo", LeadFacts(region="europe", employees=300)).slots[0]
    service.book(
        sender_id="c1",
        lead_id=lead_id,
        meeting_type="demo",
        slot_key=slot.key(),
        route_reason="territory",
        visitor_zone="Europe/Berlin",
        attendee_email="ada@acme.com",
        attendee_name="Ada",
    )

    code, out, _ = run(["meetings", "list", "--rep", "greta@banter.example.com"], capsys)
    assert code == 0 and "booked" in out and "CET (Europe/Berlin)" in out and "ada@acme.com" in out
    code, out, _ = run(["meetings", "list", "--json", "--from", "2026-11-23"], capsys)
    assert code == 0 and json.loads(out)[0]["rep"] == "greta@banter.example.com"
    assert run(["meetings", "list", "--from", "2027-01-01"], capsys)[1].strip() == "no meetings"
    code, _, err = run(["meetings", "list", "--from", "soon"], capsys)
    assert code == 2 and "use a date like" in err

    code, out, _ = run(["outbox", "status"], capsys)
    assert code == 0 and "pending  2 email" in out
    code, out, _ = run(["worker", "--once"], capsys)
    assert code == 0 and "sent 0, to retry 2" in out
    code, out, _ = run(["outbox", "status", "--json"], capsys)
    status = json.loads(out)
    assert (
        status["counts"] == {"pending": {"email": 2}} and "unreachable" in status["recent_errors"][0]["error"]
    )


def test_requalify_nurture_status_export_and_erase_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.store.db import make_engine, session_factory
    from tests.store.test_nurture import nurture_lead

    url = f"sqlite:///{tmp_path / 'leads.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    assert run(["migrate"], capsys)[0] == 0
    nurture_lead(session_factory(make_engine(url)), "c1", "ada@acme.com", budget=50000, timeline="2027-06-01")
    code, out, _ = run(["requalify", "--dry-run", "--today", "2027-04-01"], capsys)
    assert code == 0 and "1 nurtured lead(s) would move to qualified" in out and "ada@acme.com" in out
    code, out, _ = run(["requalify", "--today", "2026-11-24"], capsys)
    assert code == 0 and out.startswith("0 nurtured lead(s) moved")
    code, out, _ = run(["requalify", "--today", "2027-04-01", "--json"], capsys)
    assert code == 0 and json.loads(out)[0]["email"] == "ada@acme.com"
    code, out, _ = run(["nurture", "status"], capsys)
    assert code == 0 and "requalification rate, last 90 days: 100.0% (1 of 1 nurtured)" in out
    code, out, _ = run(["export", "--email", "ADA@acme.com"], capsys)
    assert code == 0 and json.loads(out)["grade"] == "qualified"
    code, out, _ = run(["erase", "--email", "ada@acme.com"], capsys)
    assert code == 0 and out.startswith("erased: 1 conversations")
    code, _, err = run(["export", "--email", "ada@acme.com"], capsys)
    assert code == 1 and "nothing is held about ada@acme.com" in err


def test_rasa_is_started_with_a_token_argparse_cannot_mistake_for_an_option(tmp_path, monkeypatch) -> None:
    from bot.runner import rasa_server_cmd
    from bot.settings import load_settings

    monkeypatch.setenv("RASA_API_TOKEN", "-starts-with-a-dash")
    cmd = rasa_server_cmd(load_settings(), tmp_path / "model.tar.gz")
    assert "--auth-token=-starts-with-a-dash" in cmd
    assert cmd[cmd.index("--interface") + 1] == "127.0.0.1"


def test_the_web_app_listens_on_loopback_unless_told_otherwise(monkeypatch) -> None:
    from bot.settings import load_settings

    monkeypatch.delenv("WEB_INTERFACE", raising=False)
    assert load_settings().web_interface == "127.0.0.1"
    monkeypatch.setenv("WEB_INTERFACE", "0.0.0.0")
    assert load_settings().web_interface == "0.0.0.0"
