from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.db import session_factory
from bot.store.merge import confirm_candidate
from bot.store.models import Answer, Conversation, Lead
from bot.store.repository import (
    AnswerIn,
    ConsentIn,
    ContactIn,
    ScoreIn,
    SourceIn,
    get_lead_by_conversation,
    get_lead_by_email,
    list_leads,
    save_qualification,
)

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
SCORE = ScoreIn(score=82, grade="qualified", reasons=[], criteria=[{"name": "budget", "points": 20}],
                next_step="book_demo", playbook_version="2026-11-24.1+abcd1234")
NURTURE = ScoreIn(score=55, grade="nurture", reasons=["budget", "timeline"], criteria=[], next_step="nurture",
                  playbook_version="2026-11-24.1+abcd1234")
SOURCE = SourceIn(channel="rest", page_url="https://example.com/pricing", referrer="https://google.com",
                  utm={"utm_source": "google", "utm_campaign": "q4"}, metadata={"lang": "en"})


def answers(offset: int = 0) -> list[AnswerIn]:
    return [
        AnswerIn("budget", "around 40k a year", {"annual_amount": 40000}, False, T0 + timedelta(seconds=offset)),
        AnswerIn("role", "VP of Sales", {"seniority": "vp"}, False, T0 + timedelta(seconds=offset + 1)),
        AnswerIn("timeline", "I'd rather not say", None, True, T0 + timedelta(seconds=offset + 2)),
    ]


def save(session: Session, sender: str, email: str | None, score: ScoreIn = SCORE, offset: int = 0,
         name: str | None = "Jane Doe", visitor: str | None = None, company: str = "Acme") -> int:
    source = SOURCE if visitor is None else replace(SOURCE, metadata={**SOURCE.metadata, "visitor_id": visitor})
    return save_qualification(
        session=session, sender_id=sender, source=source,
        contact=ContactIn(email=email, name=name, company_name=company),
        answers=answers(offset), score=score,
        consents=[ConsentIn("contact", True, "contact-v1", "rest", T0)],
    )


def count(session: Session, model: type) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_new_lead_with_everything(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        lead_id = save(s, "c1", "Jane@Acme.com ")
    with sessions() as s:
        lead = get_lead_by_conversation(session=s, sender_id="c1")
    assert lead is not None and lead["id"] == lead_id
    assert set(lead) == {"id", "email", "name", "company_name", "grade", "score", "reasons", "next_step",
                         "playbook_version", "email_flag", "created_at", "updated_at", "answers",
                         "answer_history", "score_history", "consents", "conversations", "nurture_track", "meetings",
                         "events", "candidate_of", "candidate_email", "variants"}
    assert (lead["email"], lead["grade"], lead["score"], lead["next_step"]) == (
        "jane@acme.com", "qualified", 82, "book_demo")
    assert lead["answers"]["budget"] == {"raw": "around 40k a year", "normalized": {"annual_amount": 40000},
                                         "declined": False, "answered_at": (T0).isoformat(), "variant": None}
    assert lead["answers"]["timeline"]["declined"] is True
    assert lead["consents"][0]["text_version"] == "contact-v1"
    conversation = lead["conversations"][0]
    assert conversation["utm"] == {"utm_source": "google", "utm_campaign": "q4"}
    assert conversation["page_url"] == "https://example.com/pricing"
    assert lead["score_history"][0]["playbook_version"] == "2026-11-24.1+abcd1234"


def test_same_email_second_conversation_updates_the_same_lead(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        first = save(s, "c1", "jane@acme.com", visitor="browser-1")
    with sessions() as s, s.begin():  # the same browser (server-signed visitor id) comes back
        second = save(s, "c2", "  JANE@acme.com", score=NURTURE, offset=100, visitor="browser-1")
    assert first == second
    with sessions() as s:
        assert count(s, Lead) == 1
        assert count(s, Conversation) == 2
        lead = get_lead_by_email(session=s, email="jane@ACME.com")
    assert lead is not None
    assert lead["grade"] == "nurture" and lead["reasons"] == ["budget", "timeline"]
    assert len(lead["answer_history"]) == 6 and len(lead["score_history"]) == 2


def test_someone_elses_email_never_overwrites_their_lead(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        owner = save(s, "c1", "jane@acme.com", visitor="janes-browser")
    with sessions() as s, s.begin():  # another browser types Jane's address with other details
        other = save(s, "c2", "jane@acme.com", score=NURTURE, offset=100, name="Mallory", company="Evil Ltd",
                     visitor="mallorys-browser")
    assert other != owner
    with sessions() as s:
        lead = get_lead_by_email(session=s, email="jane@acme.com")
        candidate = get_lead_by_conversation(session=s, sender_id="c2")
    assert lead is not None and lead["id"] == owner
    assert (lead["name"], lead["company_name"], lead["grade"]) == ("Jane Doe", "Acme", "qualified")
    assert len(lead["answer_history"]) == 3 and [c["sender_id"] for c in lead["conversations"]] == ["c1"]
    assert [e["kind"] for e in lead["events"]] == ["candidate_linked"]
    assert candidate is not None and candidate["email"] is None
    assert (candidate["candidate_of"], candidate["candidate_email"]) == (owner, "jane@acme.com")
    assert (candidate["name"], candidate["grade"]) == ("Mallory", "nurture")

    with sessions() as s, s.begin():  # the same unconfirmed conversation saved again: still one candidate
        assert save(s, "c2", "jane@acme.com", score=NURTURE, offset=100, visitor="mallorys-browser") == other
    with sessions() as s:
        assert count(s, Lead) == 2


def test_a_confirmed_candidate_merges_into_the_lead(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        owner = save(s, "c1", "kim@globex.com", visitor="work-laptop")
    with sessions() as s, s.begin():  # Kim on her phone: unconfirmed, so a candidate first
        candidate = save(s, "c2", "kim@globex.com", score=NURTURE, offset=50, name="Kim Lee", visitor="phone")
    with sessions() as s, s.begin():
        assert confirm_candidate(s, candidate, by="email_confirmation") == owner
        assert confirm_candidate(s, candidate, by="email_confirmation") is None  # already merged
    with sessions() as s:
        assert count(s, Lead) == 1
        lead = get_lead_by_email(session=s, email="kim@globex.com")
    assert lead is not None and lead["id"] == owner
    assert (lead["name"], lead["grade"]) == ("Kim Lee", "nurture")  # the newer conversation wins
    assert {c["sender_id"] for c in lead["conversations"]} == {"c1", "c2"}
    assert len(lead["answer_history"]) == 6
    assert [e["kind"] for e in lead["events"]] == ["candidate_linked", "candidate_merged"]
    with sessions() as s, s.begin():  # the confirmed browser is now recognised as Kim's
        assert save(s, "c3", "kim@globex.com", offset=90, visitor="phone") == owner


def test_resaving_the_same_answers_does_not_duplicate_them(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    for _ in range(3):
        with sessions() as s, s.begin():
            save(s, "c1", "jane@acme.com")
    with sessions() as s:
        assert count(s, Answer) == 3
        lead = get_lead_by_conversation(session=s, sender_id="c1")
    assert lead is not None and len(lead["score_history"]) == 3 and len(lead["consents"]) == 1


def test_anonymous_lead_gets_the_email_later(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        anonymous = save(s, "c1", None, name=None)
    with sessions() as s, s.begin():
        later = save(s, "c1", "kim@globex.com", offset=50)
    assert anonymous == later
    with sessions() as s:
        assert count(s, Lead) == 1


def test_anonymous_conversation_of_the_same_browser_merges_into_its_lead(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        owner = save(s, "c1", "kim@globex.com", visitor="kims-browser")
    with sessions() as s, s.begin():
        save(s, "c2", None, name=None, offset=10, visitor="kims-browser")
    with sessions() as s, s.begin():
        merged = save(s, "c2", "kim@globex.com", offset=20, visitor="kims-browser")
    assert merged == owner
    with sessions() as s:
        assert count(s, Lead) == 1
        lead = get_lead_by_email(session=s, email="kim@globex.com")
    assert lead is not None and {c["sender_id"] for c in lead["conversations"]} == {"c1", "c2"}
    assert len(lead["answer_history"]) == 9


def test_anonymous_conversation_of_another_browser_becomes_a_candidate(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        owner = save(s, "c1", "kim@globex.com", visitor="kims-browser")
    with sessions() as s, s.begin():
        anonymous = save(s, "c2", None, name=None, offset=10)
    with sessions() as s, s.begin():
        assert save(s, "c2", "kim@globex.com", offset=20) == anonymous
    with sessions() as s:
        lead = get_lead_by_conversation(session=s, sender_id="c2")
    assert lead is not None and lead["candidate_of"] == owner and lead["email"] is None


def test_list_leads_filters_by_grade(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        save(s, "c1", "a@acme.com")
        save(s, "c2", "b@acme.com", score=NURTURE)
    with sessions() as s:
        assert [row["email"] for row in list_leads(session=s, grade="nurture")] == ["b@acme.com"]
        rows = list_leads(session=s)
    assert len(rows) == 2 and rows[0]["primary_reason"] == "budget"


def test_concurrent_saves_of_one_new_email_make_one_lead(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            with sessions() as s, s.begin():
                save(s, f"conc-{i}", "same@acme.com", offset=i * 10)
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sessions() as s:  # one lead owns the address; the other seven are its unconfirmed candidates
        assert count(s, Lead) == 8
        owners = s.execute(select(Lead).where(Lead.email == "same@acme.com")).scalars().all()
        assert len(owners) == 1
        candidates = s.execute(select(Lead.candidate_of_id).where(Lead.email.is_(None))).scalars().all()
        assert candidates == [owners[0].id] * 7
        assert count(s, Conversation) == 8
        assert count(s, Answer) == 24


def test_failed_write_raises(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    with pytest.raises(IntegrityError):
        with sessions() as s, s.begin():
            save_qualification(
                session=s, sender_id="c1", source=SOURCE, contact=ContactIn(email="x@acme.com"),
                answers=[AnswerIn(None, "x", None, False, T0)],  # type: ignore[arg-type]
                score=SCORE,
            )
    with sessions() as s:
        assert count(s, Lead) == 0
