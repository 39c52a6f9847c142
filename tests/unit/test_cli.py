from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import PROJECT_ROOT


def run(argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_playbook_check_ok(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["playbook", "check", str(PROJECT_ROOT / "playbook.yml")], capsys)
    assert code == 0 and "OK (version" in out


def test_playbook_check_names_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yml"
    text = (PROJECT_ROOT / "playbook.yml").read_text().replace("budget: 20", "budget: 25", 1)
    bad.write_text(text)
    code, _, err = run(["playbook", "check", str(bad)], capsys)
    assert code == 2 and "weights" in err


def test_playbook_check_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["playbook", "check", "/nonexistent/playbook.yml"], capsys)
    assert code == 2 and "/nonexistent/playbook.yml" in err


def test_score_from_stdin_with_raw_answers(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    profile = {"role": "VP of Sales", "company_size": "about 200 people", "industry": "fintech",
               "country": "Germany", "budget": "40k a year", "timeline": "next month",
               "need": "we want to qualify leads on our website"}
    code, out, _ = run(["score"], capsys, json.dumps(profile), monkeypatch)
    assert code == 0
    result = json.loads(out)
    assert result["grade"] == "qualified" and result["next_step"] == "book_demo"
    assert result["explanation"] and result["playbook_version"]


@pytest.mark.parametrize(
    ("stdin", "message"),
    [("{not json", "not valid JSON"), ('{"shoe_size": "42"}', "unknown field 'shoe_size'"),
     ('{"budget": "banana"}', "budget: could not understand"), ("[1, 2]", "JSON object")],
)
def test_score_bad_input(stdin: str, message: str, capsys: pytest.CaptureFixture[str],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run(["score"], capsys, stdin, monkeypatch)
    assert code == 2 and message in err


def test_leads_show_unknown_conversation(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'leads.db'}")
    assert run(["migrate"], capsys)[0] == 0
    code, _, err = run(["leads", "show", "--conversation", "nobody", "--json"], capsys)
    assert code == 1 and "no lead for conversation nobody" in err
    code, out, _ = run(["leads", "list"], capsys)
    assert code == 0 and "no leads yet" in out
