"""The question editor's preview: the draft's conversation replayed from the visitor's messages,
with the draft's order, conditions, wording, buttons, re-prompts and reasons; nothing stored."""

from __future__ import annotations

from datetime import date

import yaml

from bot.playbook import Playbook, parse_playbook
from bot.playbook_edit import with_questions
from bot.preview import replay
from bot.settings import PROJECT_ROOT

TEXT = (PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text(encoding="utf-8")
TODAY = date(2026, 11, 24)
VISITOR = ["We want to qualify leads on our website", "I'm the VP of Sales", "Acme Robotics", "about 200 people",
           "manufacturing", "Germany", "around 40k a year", "next month", "yes", "Jane Doe", "jane@acmerobotics.com"]


def draft(**edits: dict[str, object]) -> Playbook:
    data = yaml.safe_load(TEXT)
    for question in data["questions"]:
        question.update(edits.get(question["key"], {}))
    return parse_playbook(with_questions(TEXT, data["questions"]), source="draft")


def bot_lines(turns: list) -> list[str]:  # type: ignore[type-arg]
    return [t.text for t in turns if t.who == "bot"]


def test_a_whole_conversation_in_the_draft_words_ends_with_its_score() -> None:
    turns = replay(draft(budget={"ask": "Roughly what could you spend per year?"}), VISITOR, today=TODAY)
    assert turns[0].question == "greeting" and "Banter Demo Co" in turns[0].text
    asked = [t.question for t in turns if t.who == "bot"][1:]
    assert asked == ["need", "role", "company_name", "company_size", "industry", "country", "budget", "timeline",
                     "consent", "name", "email"]
    budget = next(t for t in turns if t.question == "budget")
    assert budget.text == "Roughly what could you spend per year?"
    assert [b.title for b in budget.buttons][0].startswith("Under \u20ac")  # Germany: the visitor's currency
    assert turns[-1].who == "note" and "qualified" in turns[-1].text and "nothing is stored" in turns[-1].text


def test_order_conditions_and_turning_a_question_off_follow_the_draft() -> None:
    turns = replay(draft(budget={"enabled": False}, country={"ask": "Which country?"}), VISITOR[:6], today=TODAY)
    asked = [t.question for t in turns if t.who == "bot"]
    assert "budget" not in asked and "Which country?" in bot_lines(turns)
    assert asked[-1] == "timeline"  # after the country: budget is off
    # an influencer is asked who else decides (the condition not_decision_maker)
    influencer = replay(draft(), ["qualify leads", "I'm a sales manager", "Acme", "200", "software", "Germany",
                                  "50k a year", "next month"], today=TODAY)
    assert "other_deciders" in [t.question for t in influencer]


def test_reprompt_why_and_the_visitors_words_after_two_misses() -> None:
    custom = draft(budget={"reprompt": "A number, please: like 20k a year."})
    turns = replay(custom, [*VISITOR[:6], "why do you ask?", "banana", "purple"], today=TODAY)
    lines = bot_lines(turns)
    assert custom.question_registry().why("budget") in lines
    assert "A number, please: like 20k a year." in lines
    assert turns[-2].text == "(asked twice: the answer is kept in the visitor's words)"
    assert turns[-1].question == "timeline"


def test_a_variant_can_be_forced() -> None:
    ab = draft(budget={"variants": [{"id": "a", "ask": "Budget A?"}, {"id": "b", "ask": "Budget B?"}]})
    for variant in ("a", "b"):
        turns = replay(ab, VISITOR[:6], today=TODAY, variant=variant)
        assert turns[-1].text == f"Budget {variant.upper()}?" and turns[-1].variant == variant
