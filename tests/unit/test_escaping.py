"""Visitor text in staff-facing outputs: CSV downloads and Slack messages."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest

from bot.escaping import csv_cell, slack_text
from bot.notify.meetings import MeetingNotice, slack_body
from bot.web.console import _csv


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"]
)
def test_formula_like_cells_are_text_in_the_console_csv(value: str) -> None:
    response = _csv("leads", [{"company": value, "leads": 3}])
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0]["company"] == "'" + value
    assert csv_cell("Acme") == "Acme" and csv_cell(12) == 12
    assert csv_cell("-") == "-" and csv_cell("-12.5") == "-12.5"


def test_visitor_text_cannot_mention_or_link_in_slack() -> None:
    start = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)
    notice = MeetingNotice(
        change="booked", uid="u", sequence=0, meeting_type="demo", meeting_label="30-minute demo",
        start=start, end=start, rep_name="Dana", rep_email="d@x.example", rep_zone="UTC",
        visitor_name="<!channel> Eve", visitor_email="eve@x.example", visitor_zone="UTC", company="Banter",
        reschedule_url="r", cancel_url="c", transcript_url="https://t.example/1",
        lead={"company_name": "<http://evil.example|Click me> & Co", "score": 80, "grade": "qualified"},
    )  # fmt: skip
    text = slack_body(notice)["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt; Eve" in text
    assert "&lt;http://evil.example|Click me&gt; &amp; Co" in text
    assert slack_text("a < b") == "a &lt; b"
