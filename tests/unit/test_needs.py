"""Need in the visitor's own words: the playbook-built classifier, clarification and read-back."""

from __future__ import annotations

import pytest

from bot.needs import NOT_SERVED, SOMETHING_ELSE, NeedClassifier, resolve_need_choice
from bot.playbook import Playbook, load_playbook, parse_playbook
from bot.readback import needs_readback, readback_sentence
from bot.settings import PROJECT_ROOT

FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml"


@pytest.fixture(scope="module")
def playbook() -> Playbook:
    return load_playbook(FIXTURE)


# A development slice written for these tests (the held-out evaluation lives in tests/nlu_eval).
@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        ("lead scorring", "lead_qualification"),
        ("figure out who is serious", "lead_qualification"),
        ("people should be able to book time with sales from the site", "meeting_booking"),
        ("scheduling calls is painful", "meeting_booking"),
        ("a chatbot for our homepage", "website_chat"),
        ("nobody answers visitors on our site", "website_chat"),
        ("get leads into hubspot", "crm_routing"),
        ("assign enquiries to the correct account manager", "crm_routing"),
    ],
)
def test_needs_in_visitors_words_match_a_use_case(playbook: Playbook, text: str, use_case: str) -> None:
    verdict = playbook.need_classifier().classify(text)
    assert (verdict.status, verdict.use_case) == ("matched", use_case)


@pytest.mark.parametrize("text", ["payroll", "better accounting"])
def test_needs_we_do_not_serve_are_recognised(playbook: Playbook, text: str) -> None:
    assert playbook.need_classifier().classify(text).status == "not_served"


def test_an_unclear_need_is_asked_about_with_candidates(playbook: Playbook) -> None:
    verdict = playbook.need_classifier().classify("we need to stop wasting time on bad leads")
    assert verdict.status == "unsure" and verdict.use_case is None
    assert "lead_qualification" in verdict.candidates and 2 <= len(verdict.candidates) <= 3


def test_a_volunteered_need_is_only_taken_when_clear(playbook: Playbook) -> None:
    classifier = playbook.need_classifier()
    assert classifier.classify("I'm the VP of sales", requested=False).status == "unmatched"
    assert classifier.classify("we want a chatbot on our website", requested=False).use_case == "website_chat"


def test_marketing_examples_change_the_classifier_without_retraining() -> None:
    classifier = NeedClassifier(
        {"a": ["water the plants", "garden care"], "b": ["fix the roof", "roof repair"]}
    )
    assert classifier.classify("my plants need watering").use_case == "a"
    assert classifier.classify("the roof leaks, needs a repair").use_case == "b"
    assert NOT_SERVED in NeedClassifier({"a": ["x y z"]}, ["payroll"]).scores("payroll")


def test_playbook_builds_one_classifier_per_content(playbook: Playbook) -> None:
    assert playbook.need_classifier() is load_playbook(FIXTURE).need_classifier()


def test_playbook_check_asks_for_enough_examples() -> None:
    text = FIXTURE.read_text()
    broken = text.replace(
        "    label: Route leads into the CRM\n",
        "    label: Route leads into the CRM\n    keywords: []\n    examples: []\n  x:\n    label: Only a label\n",
        1,
    )
    with pytest.raises(ValueError, match="at least three example sentences"):
        parse_playbook(broken)


def test_a_clarified_need_picks_the_button_or_keeps_the_words(playbook: Playbook) -> None:
    labels = {key: case.label for key, case in playbook.use_cases.items()}
    pending = {
        "raw": "stop wasting time on bad leads",
        "candidates": ["lead_qualification", "crm_routing"],
        "at": "2026-11-24T10:00:00+00:00",
    }
    classifier = playbook.need_classifier()
    picked = resolve_need_choice(labels["crm_routing"], pending, classifier, labels)
    assert picked["value"]["use_case"] == "crm_routing" and picked["raw"] == pending["raw"]
    other = resolve_need_choice(SOMETHING_ELSE, pending, classifier, labels)
    assert other["value"] == {"use_case": None, "status": "unmatched", "chosen": True}
    assert other["raw"] == "stop wasting time on bad leads"


def _answer(field: str, value: dict, *, multi: bool = False) -> dict:
    return {"field": field, "raw": "…", "value": value, "declined": False, "error": None, "multi": multi}


def test_multi_fact_answers_are_read_back_in_plain_words(playbook: Playbook) -> None:
    answers = {
        "role": _answer("role", {"title": "VP of Sales", "seniority": "vp"}, multi=True),
        "company_size": _answer("company_size", {"employees": 800}, multi=True),
        "industry": _answer("industry", {"industry": "software"}, multi=True),
        "country": _answer(
            "country", {"country": "CA", "region": "north_america", "city": "Toronto"}, multi=True
        ),
        "need": _answer("need", {"use_case": "lead_qualification", "status": "matched", "confidence": 1.0}),
    }
    assert needs_readback(answers)
    labels = {key: case.label for key, case in playbook.use_cases.items()}
    sentence = readback_sentence(answers, labels)
    assert sentence.startswith("So: VP of Sales, 800 people, software, based in Toronto")
    assert "qualify and score website leads" in sentence
    assert not needs_readback({**answers, "readback": _answer("readback", {"confirmed": True})})
    assert not needs_readback({k: {**v, "multi": False} for k, v in answers.items()})


def test_a_need_in_one_clause_of_a_multi_fact_message_is_found(playbook: Playbook) -> None:
    classifier = playbook.need_classifier()
    said = "CFO here, 200 people, fintech, Berlin - we need to get leads into salesforce automatically"
    assert classifier.classify_message(said, requested=False).use_case == "crm_routing"
    assert classifier.classify_message(
        "I'm the VP of sales, 200 people, fintech in Berlin", requested=False
    ).status == ("unmatched")


def test_a_size_clause_is_not_a_need_and_a_statement_before_a_question_can_be(playbook: Playbook) -> None:
    from datetime import date

    from bot.extract import extract_fields

    def need(text: str) -> object:
        found = extract_fields(
            text,
            today=date(2026, 11, 24),
            use_cases=playbook.use_case_keywords(),
            needs=playbook.need_classifier(),
        )
        return (
            (found["need"].value or {}).get("use_case") or (found["need"].value or {}).get("status")
            if "need" in found
            else None
        )

    assert need("bonjour, VP Sales at a fintech in Paris, about 300 people") is None
    assert (
        need("afternoon. no specific project, just having a nose around at what these tools do")
        == "researching"
    )
    assert (
        need("we need to get leads into salesforce automatically. does that work with you?") == "crm_routing"
    )
