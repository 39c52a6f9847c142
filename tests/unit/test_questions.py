"""Questions are data: the registry, its validation, derived buttons, variants, and domain.yml in step."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest
import yaml

from actions.asking import ASK_ACTIONS, ActionAskNeed
from bot.extract import extract_fields
from bot.flow import open_questions
from bot.playbook import Playbook, PlaybookError, parse_playbook
from bot.questions import PARSED, default_specs
from bot.scoring import score_lead
from bot.settings import PROJECT_ROOT
from bot.vocab import FIELDS

FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml"
TEXT = FIXTURE.read_text(encoding="utf-8")
TODAY = date(2026, 11, 24)


def edited(old: str, new: str) -> str:
    assert old in TEXT, old
    return TEXT.replace(old, new, 1)


def problems(text: str) -> str:
    with pytest.raises(PlaybookError) as err:
        parse_playbook(text, source="playbook.yml")
    return str(err.value)


@pytest.fixture(scope="module")
def playbook() -> Playbook:
    return parse_playbook(TEXT, source="fixture")


# --- domain.yml keeps no copies, and declares what Rasa needs ---------------------------------


def _domain() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


def test_domain_declares_an_ask_action_per_question_and_keeps_no_wording() -> None:
    domain = _domain()
    actions = set(domain["actions"])
    for key in FIELDS:
        assert f"action_ask_{key}" in actions, key
        for copy in (f"utter_ask_{key}", f"utter_why_{key}", f"utter_invalid_{key}"):
            assert copy not in domain["responses"], f"{copy}: the playbook's questions say this"
    assert "utter_greet" not in domain["responses"], "the playbook's greeting says this"
    required = domain["forms"]["bant_form"]["required_slots"]
    assert [slot for slot in required if slot in FIELDS] == list(FIELDS)
    assert set(required) - set(FIELDS) == {"readback", "consent"}


def test_every_question_has_an_ask_action_the_action_server_registers() -> None:
    names = {cls().name() for cls in ASK_ACTIONS.values()} | {ActionAskNeed().name()}
    assert names == {f"action_ask_{key}" for key in FIELDS}


def test_the_shipped_playbook_lists_the_questions_marketing_owns() -> None:
    shipped = yaml.safe_load((PROJECT_ROOT / "playbook.yml").read_text(encoding="utf-8"))
    assert [q["key"] for q in shipped["questions"]] == list(FIELDS)


def test_a_playbook_without_questions_gets_the_defaults() -> None:
    data = yaml.safe_load(TEXT)
    data.pop("questions")
    playbook = parse_playbook(yaml.safe_dump(data), source="old.yml")
    assert [spec.key for spec in playbook.questions] == [spec.key for spec in default_specs()]


# --- validation: one clear line per problem ---------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('    ask: "Which company are you with?"', '    ask: "Which {firm} are you with?"', "unknown placeholder {firm}"),
        ("  - key: industry\n", "  - key: sector\n", "unknown question 'sector'"),
        ("    when: consent_given\n    ask: \"What's your name?\"", "    ask: \"What's your name?\"",
         "name.when: must be consent_given"),
        ("    buttons_from: company_size_bands\n", "    buttons_from: budget_bands\n",
         "company_size.buttons_from: 'budget_bands' is not for this question"),
        ("    reprompt: \"Sorry, I didn't catch your role.", "    why_not: \"Sorry, I didn't catch your role.",
         "why_not: unknown key"),
        ("    when: not_decision_maker\n", "    when: sometimes\n", "when"),
    ],
)
def test_invalid_questions_are_reported_with_where_and_why(old: str, new: str, message: str) -> None:
    found = problems(edited(old, new))
    assert found.startswith("playbook.yml: questions") and message in found, found


def test_a_question_cannot_be_left_out_or_listed_twice() -> None:
    data = yaml.safe_load(TEXT)
    data["questions"] = [q for q in data["questions"] if q["key"] != "timeline"]
    assert "missing timeline" in problems(yaml.safe_dump(data))
    data = yaml.safe_load(TEXT)
    data["questions"].append(dict(data["questions"][0]))
    assert "need is listed twice" in problems(yaml.safe_dump(data))


def test_a_parsed_question_needs_its_reprompt() -> None:
    data = yaml.safe_load(TEXT)
    for question in data["questions"]:
        if question["key"] == "budget":
            question.pop("reprompt")
    assert "budget.reprompt: needed" in problems(yaml.safe_dump(data))


# --- order, conditions, turning off ------------------------------------------------------------


def _open(playbook: Playbook, answers: dict[str, Any] | None = None) -> list[str]:
    registry = playbook.question_registry()
    return open_questions(
        answers or {},
        authority_map=playbook.authority_map(),
        min_company_size=playbook.icp.company_size.min,
        questions=[(key, registry.when(key)) for key in registry.order()],
    )


def test_the_playbook_order_is_the_asking_order_and_a_question_can_be_turned_off() -> None:
    data = yaml.safe_load(TEXT)
    questions = {q["key"]: q for q in data["questions"]}
    questions["industry"]["enabled"] = False
    order = ["budget", "need", "role", "company_name", "company_size", "industry", "country", "timeline",
             "other_deciders", "growth_plan", "name", "email"]
    data["questions"] = [questions[key] for key in order]
    playbook = parse_playbook(yaml.safe_dump(data), source="draft")
    assert _open(playbook)[:4] == ["budget", "need", "role", "company_name"]
    assert "industry" not in _open(playbook)


# --- buttons derived from playbook values ------------------------------------------------------


def _budget(payload: str) -> dict[str, Any]:
    found = extract_fields(payload, today=TODAY, requested="budget")
    return {"budget": found["budget"].value}


@pytest.mark.parametrize("country", [None, "US", "DE", "GB", "CH", "CA", "AU"])
@pytest.mark.parametrize("minimum", [10000, 25000])
def test_budget_buttons_follow_the_minimum_in_the_visitors_currency(country: str | None, minimum: int) -> None:
    playbook = parse_playbook(edited("  min_annual: 10000\n", f"  min_annual: {minimum}\n"), source="draft")
    buttons = playbook.question_registry().ask("budget", country=country).buttons
    under, first_band = buttons[0].payload, buttons[1].payload
    assert under.startswith("Under ") and buttons[-1].payload == "Not sure yet"
    # The lowest band is below the minimum; the next one meets it, whatever the currency.
    statuses = [
        {c.name: c.status for c in score_lead(_budget(p), playbook, today=TODAY).criteria}["budget"]
        for p in (under, first_band)
    ]
    assert statuses[0] != "met" and statuses[1] == "met", (under, first_band, statuses)
    if country == "DE":
        assert "€" in under
    if country in (None, "US") and minimum == 10000:
        assert [b.title for b in buttons] == [
            "Under $10k a year", "$10k-$50k a year", "$50k-$100k a year", "Over $100k a year", "Not sure yet",
        ]


def test_without_a_minimum_budget_the_bands_still_read_well() -> None:
    playbook = parse_playbook(edited("  min_annual: 10000\n", "  min_annual: 0\n"), source="draft")
    titles = [b.title for b in playbook.question_registry().buttons("budget")]
    assert titles == ["$10k-$50k a year", "$50k-$100k a year", "Over $100k a year", "Not sure yet"]


@pytest.mark.parametrize("minimum", [1, 10, 25, 60, 300])
def test_company_size_buttons_never_straddle_the_icp_minimum(minimum: int) -> None:
    data = yaml.safe_load(TEXT)
    size = data["icp"]["company_size"]
    size["min"], size["ideal_min"] = minimum, max(size["ideal_min"], minimum)
    playbook = parse_playbook(yaml.safe_dump(data), source="draft")
    for button in playbook.question_registry().buttons("company_size"):
        size = extract_fields(button.payload, today=TODAY, requested="company_size")["company_size"].value
        low, high = size["min"], size.get("max")
        assert high is None and low >= minimum or high < minimum or low >= minimum, (button, minimum)


def test_growth_question_says_the_playbooks_minimum_and_horizon(playbook: Playbook) -> None:
    asked = playbook.question_registry().ask("growth_plan")
    assert asked.text == "Do you expect the team to grow to 10 people or more within 2 years?"
    assert "10" in playbook.question_registry().why("company_size")


# --- A/B variants -----------------------------------------------------------------------------


def test_variants_are_sticky_per_visitor_and_follow_their_weights() -> None:
    data = yaml.safe_load(TEXT)
    for question in data["questions"]:
        if question["key"] == "budget":
            question["variants"] = [
                {"id": "a", "ask": question["ask"], "weight": 3},
                {"id": "b", "ask": "Is there a budget set aside for this? A rough yearly figure is fine."},
            ]
    registry = parse_playbook(yaml.safe_dump(data), source="ab").question_registry()
    seen = Counter(registry.ask("budget", visitor=f"visitor-{i}").variant for i in range(4000))
    assert abs(seen["a"] / 4000 - 0.75) < 0.03 and seen["a"] + seen["b"] == 4000
    first = registry.ask("budget", visitor="visitor-7")
    assert all(registry.ask("budget", visitor="visitor-7") == first for _ in range(5))
    assert registry.ask("timeline", visitor="visitor-7").variant is None


def test_parsed_questions_are_the_ones_with_reprompts(playbook: Playbook) -> None:
    registry = playbook.question_registry()
    assert all(registry.reprompt(key) for key in PARSED)
