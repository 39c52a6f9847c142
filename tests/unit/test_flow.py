from __future__ import annotations

from typing import Any

import pytest

from bot.flow import consent_granted, email_decision, free_text_allowed, is_answered, open_questions

AUTHORITY = {
    "founder": "decision_maker",
    "c_level": "decision_maker",
    "vp": "decision_maker",
    "manager": "influencer",
    "individual_contributor": "none",
    "student": "none",
}


def a(value: dict[str, Any] | None, *, declined: bool = False, error: str | None = None) -> dict[str, Any]:
    return {"value": value, "declined": declined, "error": error}


def questions(**answers: Any) -> list[str]:
    return open_questions(answers, authority_map=AUTHORITY, min_company_size=10)


def test_fresh_visitor_is_asked_everything_relevant_in_order() -> None:
    assert questions() == [
        "need",
        "role",
        "company_name",
        "company_size",
        "industry",
        "country",
        "budget",
        "timeline",
        "consent",
    ]


def test_answered_and_declined_fields_are_not_asked_again() -> None:
    asked = questions(
        budget=a(None, declined=True), role=a({"seniority": "vp"}), need=a({"status": "matched"})
    )
    assert "budget" not in asked and "role" not in asked and "need" not in asked


def test_unreadable_answer_is_asked_again() -> None:
    assert "budget" in questions(budget=a(None, error="not_understood"))


def test_influencer_is_asked_who_else_decides() -> None:
    assert "other_deciders" in questions(role=a({"seniority": "manager"}))
    assert "other_deciders" not in questions(role=a({"seniority": "vp"}))


def test_small_company_decision_maker_is_asked_about_growth() -> None:
    small = a({"employees": 3, "min": 3, "max": 3})
    assert "growth_plan" in questions(role=a({"seniority": "founder"}), company_size=small)
    assert "growth_plan" not in questions(role=a({"seniority": "manager"}), company_size=small)
    assert "growth_plan" not in questions(role=a({"seniority": "founder"}), company_size=a({"employees": 50}))


def test_contact_only_with_consent() -> None:
    assert questions(consent=a({"granted": True}))[-2:] == ["name", "email"]
    assert "email" not in questions(consent=a({"granted": False}))
    assert consent_granted({"consent": a({"granted": True})})
    assert not consent_granted({"consent": a({"granted": True}, declined=True)})


@pytest.mark.parametrize("knockout", [a({"kind": "job_seeker"}), a({"kind": "spam"})])
def test_knockouts_end_the_questions(knockout: dict[str, Any]) -> None:
    assert questions(knockout=knockout) == []
    assert questions(role=a({"seniority": "student"})) == []


@pytest.mark.parametrize(
    ("value", "warned", "decision"),
    [
        (None, False, "invalid"),
        ({"kind": "invalid"}, False, "invalid"),
        ({"kind": "disposable"}, True, "refuse_disposable"),
        ({"kind": "free"}, False, "ask_work_email"),
        ({"kind": "free"}, True, "accept"),
        ({"kind": "business"}, False, "accept"),
    ],
)
def test_email_decision(value: Any, warned: bool, decision: str) -> None:
    assert email_decision(value, freemail_warned=warned) == decision


def test_free_text_only_from_answers_or_unsure_classification() -> None:
    assert free_text_allowed("inform", 0.9)
    assert free_text_allowed("nlu_fallback", 0.3)
    assert not free_text_allowed("ask_why", 0.9)
    assert free_text_allowed("greet", 0.4)
    # a name the classifier mistook for "no" is still a name; a real "no" is not free text
    assert free_text_allowed("deny", 0.92, "Eva Novak")
    assert not free_text_allowed("deny", 0.92, "no thanks")
    assert not free_text_allowed("affirm", 0.95, "yes please")


def test_is_answered() -> None:
    assert not is_answered(None)
    assert is_answered(a(None, declined=True))
    assert not is_answered(a(None))


def test_a_short_reply_to_a_name_question_is_the_name_whatever_it_sounds_like() -> None:
    from bot.flow import free_text_allowed

    assert free_text_allowed("faq_pricing", 0.9, "Hannah Price", requested="name")
    assert free_text_allowed("out_of_scope", 0.95, "Pennine Tax", requested="company_name")
    assert not free_text_allowed("faq_pricing", 0.9, "how much is it?", requested="name")
    assert not free_text_allowed("human_handoff", 0.9, "a human please", requested="company_name")
    assert not free_text_allowed("faq_pricing", 0.9, "Hannah Price", requested="budget")


def test_an_unsure_need_is_not_an_answer_until_the_visitor_picks() -> None:
    from bot.flow import is_answered

    unsure = {"value": {"status": "unsure", "use_case": None, "candidates": ["a", "b"]}, "error": None}
    assert not is_answered(unsure)
    assert is_answered({"value": {"status": "unmatched", "use_case": None, "chosen": True}, "error": None})
