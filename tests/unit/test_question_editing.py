"""Marketing edits wording without a developer: one section rewritten (the rest kept byte for byte),
"make this the wording", the question editor's form, wording-only drafts change no score, and the
greeting / proactive-open messages validated like questions."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bot.openers import GreetingSpec, ProactiveMessage
from bot.playbook import Playbook, PlaybookError, parse_playbook
from bot.playbook_edit import WordingError, dump, question_data, replace_section, with_questions, with_wording
from bot.settings import PROJECT_ROOT
from bot.web.console_questions import buttons_text, draft_text, parse_buttons, readable_problems
from bot.whatif import questions_turned_off, wording_only

TEXT = (PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def playbook() -> Playbook:
    return parse_playbook(TEXT, source="fixture")


def outside(text: str, key: str) -> str:
    """The text without the top-level section `key` (what must not change)."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))
    end = next((j for j in range(start + 1, len(lines)) if lines[j][:1].isalpha()), len(lines))
    while lines[end - 1].startswith("#") or not lines[end - 1].strip():
        end -= 1
    return "".join(lines[:start] + lines[end:])


def test_rewriting_the_questions_keeps_every_other_byte_and_reads_back_the_same(playbook: Playbook) -> None:
    specs = [question_data(spec) for spec in playbook.question_registry()]
    text = with_questions(TEXT, specs)
    assert outside(text, "questions") == outside(TEXT, "questions")
    assert parse_playbook(text).questions == playbook.questions
    assert '    ask: "What\'s your role?"' in text  # written the way marketing writes it
    weird = [{"title": 'say "no": {x}\\ \u00e9', "payload": "yes"}, "on", "Null", "- a"]
    assert yaml.safe_load(dump({"buttons": weird, "when": "always"})) == {"buttons": weird, "when": "always"}


def test_a_nested_section_and_a_missing_one() -> None:
    rules = [{"path": "/pricing", "after_seconds": 5}]
    text = replace_section(TEXT, ("website", "proactive"), rules)
    assert yaml.safe_load(text)["website"] == {**yaml.safe_load(TEXT)["website"], "proactive": rules}
    assert "  pages:\n    pricing_page: [/pricing]" in text  # the sibling keys untouched
    added = replace_section("a: 1\n", ("greeting",), {"text": "Hi {privacy_url}"})
    assert yaml.safe_load(added) == {"a": 1, "greeting": {"text": "Hi {privacy_url}"}}
    with pytest.raises(ValueError, match="website.nowhere"):
        replace_section(TEXT, ("website", "nowhere", "x"), 1)


def ab_playbook() -> tuple[str, Playbook]:
    data = yaml.safe_load(TEXT)
    for question in data["questions"]:
        if question["key"] == "budget":
            question["variants"] = [{"id": "a", "ask": question["ask"]}, {"id": "b", "ask": "Is there a yearly budget?"}]
    data["greeting"]["variants"] = [{"id": "a", "text": "Hi {privacy_url}"}, {"id": "b", "text": "Hello {privacy_url}"}]
    data["website"]["proactive"][0]["message"]["variants"] = [{"id": "x", "text": "One"}, {"id": "y", "text": "Two"}]
    text = with_questions(TEXT, data["questions"])
    text = replace_section(text, ("greeting",), data["greeting"])
    text = replace_section(text, ("website", "proactive"), data["website"]["proactive"])
    return text, parse_playbook(text)


def test_make_this_the_wording() -> None:
    text, playbook = ab_playbook()
    budget = parse_playbook(with_wording(text, playbook, "budget", "b")).question_registry().spec("budget")
    assert budget.ask == "Is there a yearly budget?" and budget.variants == []
    greeting = parse_playbook(with_wording(text, playbook, "greeting", "b")).greeting
    assert greeting.text == "Hello {privacy_url}" and greeting.variants == []
    rule = parse_playbook(with_wording(text, playbook, "proactive:/pricing", "y")).proactive_rule("/pricing")
    assert rule is not None and rule.message is not None and (rule.message.text, rule.message.variants) == ("Two", [])
    for key, variant in (("budget", "zz"), ("timeline", "a"), ("proactive:/nowhere", "x"), ("nonsense", "a")):
        with pytest.raises(WordingError):
            with_wording(text, playbook, key, variant)


def test_wording_only_drafts_change_no_score(playbook: Playbook) -> None:
    text, ab = ab_playbook()
    assert wording_only(playbook, ab)
    reworded = parse_playbook(TEXT.replace("What's your role?", "What do you do there?"))
    assert wording_only(playbook, reworded) and questions_turned_off(playbook, reworded) == []
    assert not wording_only(playbook, parse_playbook(TEXT.replace("min_annual: 10000", "min_annual: 20000")))
    off = yaml.safe_load(TEXT)
    for question in off["questions"]:
        if question["key"] == "budget":
            question["enabled"] = False
    turned_off = parse_playbook(with_questions(TEXT, off["questions"]))
    assert wording_only(playbook, turned_off) and questions_turned_off(playbook, turned_off) == ["budget"]


def form_of(playbook: Playbook, **changes: str) -> dict[str, Any]:
    form: dict[str, Any] = {}
    for i, spec in enumerate(playbook.question_registry()):
        form |= {f"key-{i}": spec.key, f"order-{i}": str(i + 1), f"ask-{i}": spec.ask, f"why-{i}": spec.why,
                 f"reprompt-{i}": spec.reprompt or "", f"enabled-{i}": "1" if spec.enabled else ""}
        if not spec.buttons_from:
            form[f"buttons-{i}"] = buttons_text([b.dict(exclude_none=True) if hasattr(b, "dict") else b for b in spec.buttons])
    return form | changes


def test_the_editor_form_unchanged_is_the_same_playbook(playbook: Playbook) -> None:
    text, problems, _ = draft_text(TEXT, playbook, form_of(playbook))
    assert problems == [] and parse_playbook(text).questions == playbook.questions


def test_the_editor_form_edits_order_wording_buttons_and_turns_one_off(playbook: Playbook) -> None:
    keys = [spec.key for spec in playbook.question_registry()]
    budget, role, industry = keys.index("budget"), keys.index("role"), keys.index("industry")
    form = form_of(playbook, **{
        f"ask-{budget}": "Roughly what could you spend on this per year?",
        f"order-{budget}": "0.5",
        f"enabled-{role}": "",
        f"buttons-{industry}": "Software\nOther | Other industry\n\n",
    })
    text, problems, order = draft_text(TEXT, playbook, form)
    draft = parse_playbook(text)
    registry = draft.question_registry()
    assert problems == [] and order[0] == "budget" and registry.order()[0] == "budget"
    assert registry.spec("budget").ask == "Roughly what could you spend on this per year?"
    assert "role" not in registry.order() and registry.spec("role").enabled is False
    assert [b.to_dict() for b in registry.buttons("industry")] == [
        {"title": "Software", "payload": "Software"}, {"title": "Other", "payload": "Other industry"}]
    assert wording_only(playbook, draft)


def test_the_editor_reports_each_problem_on_one_line_naming_the_question(playbook: Playbook) -> None:
    keys = [spec.key for spec in playbook.question_registry()]
    budget, industry = keys.index("budget"), keys.index("industry")
    form = form_of(playbook, **{f"reprompt-{budget}": "", f"ask-{industry}": "Which {sector}?",
                               f"order-{budget}": "soon"})
    _, problems, _ = draft_text(TEXT, playbook, form)
    assert problems == ["budget: the order must be a number"]
    del form[f"order-{budget}"]
    text, problems, order = draft_text(TEXT, playbook, form)
    with pytest.raises(PlaybookError) as err:
        parse_playbook(text, source="draft")
    lines = readable_problems(err.value, order)
    assert len(lines) == 2
    assert any(line.startswith("industry: industry.ask: unknown placeholder {sector}") for line in lines)
    assert any(line.startswith("budget: budget.reprompt: needed") for line in lines)
    assert parse_buttons("A\nB | b\n | \nC | C") == ["A", {"title": "B", "payload": "b"}, "C"]


def test_greeting_and_proactive_messages_are_validated() -> None:
    assert GreetingSpec().text.endswith("{privacy_url}")
    with pytest.raises(ValueError, match="privacy notice"):
        GreetingSpec(text="Hi from {company}!")
    with pytest.raises(ValueError, match="unknown placeholder {name}"):
        ProactiveMessage(text="Hi {name}")
    with pytest.raises(ValueError, match="at least two variants"):
        ProactiveMessage(text="Hi", variants=[{"id": "a", "text": "Hello"}])
    with pytest.raises(ValueError, match="variant id"):
        ProactiveMessage(text="Hi", variants=[{"id": "A B", "text": "Hello"}, {"id": "b", "text": "Yo"}])
    said = {ProactiveMessage(text="x", variants=[{"id": "a", "text": "A {company}"}, {"id": "b", "text": "B"}])
            .say("proactive:/p", f"v{i}", {"company": "Co"}).text for i in range(50)}
    assert said == {"A Co", "B"}
