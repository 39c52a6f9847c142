"""End-to-end booking over REST: the assistant, the action server, the worker and a local SMTP server."""

from __future__ import annotations

import email
import time
import urllib.request
from datetime import datetime, timezone
from email.message import Message
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bot.store.db import make_engine, session_factory
from bot.store.models import Meeting
from tests.e2e.conftest import Assistant
from tests.e2e.test_conversations import BUYER

pytestmark = pytest.mark.e2e


def buttons(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for m in messages for b in m.get("buttons") or []]


def meetings(assistant: Assistant, lead_id: int) -> list[Meeting]:
    with session_factory(make_engine(assistant.database_url))() as session:
        return list(session.execute(select(Meeting).where(Meeting.lead_id == lead_id)).scalars())


def mail_to(assistant: Assistant, address: str, timeout: float = 30) -> list[Message]:
    """Messages the worker delivered to the local SMTP server for `address`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        folder = assistant.mail_dir / "new"
        found = []
        for path in folder.glob("*") if folder.exists() else []:
            message = email.message_from_bytes(path.read_bytes())
            if address in (message["To"] or ""):
                found.append(message)
        if found:
            return found
        time.sleep(0.5)
    return []


def test_qualified_visitor_books_by_button_and_gets_the_invite(assistant: Assistant) -> None:
    persona = {**BUYER, "email": "mia@contoso-robotics.com", "name": "Mia Berg"}
    conversation = assistant.converse(persona, metadata={"timezone": "Europe/Stockholm"})
    offer = buttons(assistant.last_messages)
    assert any("times in Europe/Stockholm" in r for r in conversation.replies), conversation.transcript
    slot_buttons = [b for b in offer if b["payload"].startswith("/choose_slot")]
    assert 3 <= len(slot_buttons) <= 5, offer
    assert {"title": "Other times", "payload": "/other_times"} in offer

    confirm = assistant.messages(conversation.sender, slot_buttons[1]["payload"])
    assert "Shall I book it?" in confirm[0]["text"], confirm
    booked = assistant.messages(conversation.sender, "/confirm_slot")
    assert booked[0]["text"].startswith("Booked: 30-minute demo with Greta Lindqvist"), booked
    assert "mia@contoso-robotics.com" in booked[0]["text"]

    lead = assistant.lead(conversation.sender)
    assert lead is not None
    [meeting] = meetings(assistant, lead["id"])
    assert (meeting.status, meeting.rep_email, meeting.visitor_time_zone) == (
        "booked", "greta@banter.example.com", "Europe/Stockholm")

    [invite_mail] = mail_to(assistant, "mia@contoso-robotics.com")
    calendar = next(p for p in invite_mail.walk() if p.get_content_type() == "text/calendar")
    event = Calendar.from_ical(calendar.get_payload(decode=True)).walk("VEVENT")[0]
    assert event["UID"] == meeting.uid
    rep_mail = mail_to(assistant, "greta@banter.example.com")
    brief = next(m for m in rep_mail if meeting.uid in str(m.as_string()) or "Mia Berg" in m["Subject"])
    text = next(p for p in brief.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert '"around 40k a year" -> $40,000 a year' in text and "Transcript: " in text

    # without webhook URLs, the web app's development receiver gets the Slack and signed generic events
    import json as json_lib

    webhooks = assistant.mail_dir.parent / "webhooks"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (webhooks / "generic.jsonl").exists():
        time.sleep(0.5)
    events = [json_lib.loads(line) for line in (webhooks / "generic.jsonl").read_text().splitlines()]
    booked_events = [e for e in events if e["body"]["meeting"]["uid"] == meeting.uid]
    assert booked_events and booked_events[0]["body"]["type"] == "meeting.booked"
    assert booked_events[0]["headers"]["X-Banter-Signature"].startswith("sha256=")
    assert "Greta Lindqvist" in (webhooks / "slack.jsonl").read_text()

    # the cancel link in the visitor's email works from a "browser"
    body = next(p for p in invite_mail.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
    cancel_url = next(w for w in body.decode().split() if w.endswith("/cancel"))
    assert cancel_url.startswith(assistant.web_url)
    with urllib.request.urlopen(cancel_url, timeout=10) as page:
        assert "Cancel the meeting" in page.read().decode()
    request = urllib.request.Request(cancel_url, data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10) as page:
        assert "Your meeting is cancelled" in page.read().decode()
    assert meetings(assistant, lead["id"])[0].status == "cancelled"


def test_qualified_visitor_books_by_typing_thursday_morning(assistant: Assistant) -> None:
    persona = {**BUYER, "email": "noor@fabrikam-labs.com", "name": "Noor Haddad", "country": "United States"}
    conversation = assistant.converse(persona)
    assert any("times in America/New_York" in r for r in conversation.replies), conversation.transcript
    replies = assistant.messages(conversation.sender, "Thursday morning")
    times = [b for b in buttons(replies) if b["payload"].startswith("/choose_slot")]
    assert times, replies
    assert all(b["title"].startswith("Thu") for b in times), times
    confirm = assistant.messages(conversation.sender, times[0]["payload"])
    assert "Shall I book it?" in confirm[0]["text"]
    booked = assistant.messages(conversation.sender, "yes")
    assert booked[0]["text"].startswith("Booked:"), booked
    lead = assistant.lead(conversation.sender)
    assert lead is not None
    [meeting] = meetings(assistant, lead["id"])
    assert meeting.meeting_type == "demo" and meeting.rep_email in ("dana@banter.example.com",
                                                                     "luis@banter.example.com")


def test_gray_area_founder_books_a_discovery_call(assistant: Assistant) -> None:
    persona = {**BUYER, "role": "I'm the founder and CEO", "company_size": "we're 3 people",
               "email": "lee@tinyrobots.io", "name": "Lee Park", "country": "United Kingdom"}
    conversation = assistant.converse(persona)
    offer = [b for b in buttons(assistant.last_messages) if b["payload"].startswith("/choose_slot")]
    assert offer and any("15-minute discovery call with Sam Okafor" in r for r in conversation.replies)
    assistant.messages(conversation.sender, offer[0]["payload"])
    booked = assistant.messages(conversation.sender, "/confirm_slot")
    assert booked[0]["text"].startswith("Booked: 15-minute discovery call"), booked
    lead = assistant.lead(conversation.sender)
    assert lead is not None
    [meeting] = meetings(assistant, lead["id"])
    assert (meeting.meeting_type, meeting.rep_email) == ("discovery", "sam@banter.example.com")


def test_visitor_declines_the_call(assistant: Assistant) -> None:
    persona = {**BUYER, "email": "eva@northwind-traders.com", "name": "Eva Novak"}
    conversation = assistant.converse(persona)
    replies = assistant.say(conversation.sender, "just send me information")
    assert any("useful material by email" in r for r in replies), replies
    lead = assistant.lead(conversation.sender)
    assert lead is not None
    assert lead["next_step"] == "nurture" and lead["grade"] == "qualified"
    assert meetings(assistant, lead["id"]) == []


def daytime_zone() -> str:
    """A time zone where it is daytime now: a nurture email waits out the quiet hours (20:00-08:00 in
    the lead's zone), so a run in the evening would wait until morning (the test ran at 20:23 UTC)."""
    now = datetime.now(timezone.utc)
    zones = ("Europe/London", "America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "Pacific/Auckland",
             "Asia/Tokyo", "Asia/Kolkata", "Europe/Moscow")
    return next(zone for zone in zones if 9 <= now.astimezone(ZoneInfo(zone)).hour < 18)


def test_nurture_lead_consents_is_enrolled_and_gets_the_first_email(assistant: Assistant) -> None:
    persona = {**BUYER, "budget": "about 3k a year", "email": "zoe@smallbudget-co.com", "name": "Zoe Adams"}
    conversation = assistant.converse(persona, metadata={"timezone": daytime_zone()})
    question = [m for m in assistant.last_messages if "Can we send you a few useful emails" in m.get("text", "")]
    assert question, conversation.transcript
    assert [b["payload"] for b in question[0]["buttons"]] == ["/affirm", "/deny"]
    replies = assistant.say(conversation.sender, "/affirm")
    assert any("one-click unsubscribe" in r for r in replies), replies
    lead = assistant.lead(conversation.sender)
    assert lead is not None and lead["grade"] == "nurture" and lead["nurture_track"] == "roi_pricing"
    [first] = mail_to(assistant, "zoe@smallbudget-co.com")
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "numbers behind qualifying leads" in first["Subject"]


def test_student_is_not_enrolled_in_sales_nurture(assistant: Assistant) -> None:
    conversation = assistant.converse({**BUYER, "role": "I'm a student", "email": "kid@uni-example.edu"})
    assert not any("useful emails" in r for r in conversation.replies), conversation.transcript
    lead = assistant.lead(conversation.sender)
    assert lead is not None and lead["nurture_track"] == "closed_student"


def test_returning_nurtured_visitor_requalifies_and_is_offered_a_demo(assistant: Assistant) -> None:
    visitor = {"visitor_id": assistant.new_visitor_id()}  # the widget's server-signed id
    first = assistant.converse({**BUYER, "budget": "about 3k a year", "email": "ravi@acme-returning.com",
                                "name": "Ravi Shah"}, metadata=visitor)
    assistant.say(first.sender, "/deny")  # no nurture email, thanks
    lead = assistant.lead(first.sender)
    assert lead is not None and lead["grade"] == "nurture"

    second = assistant.converse({"need": "We want to qualify leads on our website", "budget": "around 50k a year",
                                 "timeline": "next month"}, metadata=visitor)
    assert "Welcome back, Ravi!" in second.transcript[1], second.transcript
    assert sorted(second.asked) == ["budget", "need", "timeline"], second.transcript
    lead = assistant.lead(second.sender)
    assert lead is not None and lead["grade"] == "qualified" and lead["id"] == assistant.lead(first.sender)["id"]
    assert "requalified" in [e["kind"] for e in lead["events"]]
    assert any("Here are some times" in r for r in second.replies), second.transcript
