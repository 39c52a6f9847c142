"""The evaluation sets are well-formed and the held-out ones never overlap the training data.

Covers tests/nlu_eval (v1, and v2 when present) and tests/conversations/visitors.yml (when present).
"""

from __future__ import annotations

import functools
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.playbook import load_playbook
from bot.vocab import DECLINED, FIELDS, GRADES, INDUSTRIES, KNOCKOUT_FIELD, NEXT_STEPS, REASONS
from scripts.eval_conversations import CONFIRM, DECLINE, SOMETHING_ELSE

ROOT = Path(__file__).resolve().parents[2]
NLU_EVAL = ROOT / "tests" / "nlu_eval"
VISITORS = ROOT / "tests" / "conversations" / "visitors.yml"
FIXTURE_PLAYBOOK = ROOT / "tests" / "fixtures" / "playbook.yml"
#: Fields a scripted visitor may be asked (tests/conversations/FORMAT.md): the profile plus consent.
VISITOR_FIELDS = {*FIELDS, "consent"}
NEED_STATUSES = {"matched", "researching", "not_served", "unmatched", "unsure"}
VISITOR_KEYS = {"id", "story", "opening", "volunteered", "answers", "interject", "expect"}
EXPECT_KEYS = {"grade", "next_step", "primary", "reasons_include", "values", "handoff", "not_asked"}
#: Shorter answers ("hi", "are you a bot?", "in 1-3 months", a button's text) are everyday words, not leaked sentences.
MIN_WORDS_HELD_OUT = 5


def _load(path: Path) -> Any:
    if not path.exists():
        pytest.skip(f"{path.relative_to(ROOT)} is not written yet")
    return yaml.safe_load(path.read_text())


def _examples(path: Path) -> list[tuple[str, str]]:
    pairs = []
    for block in yaml.safe_load(path.read_text())["nlu"]:
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            if line.strip().startswith("- "):
                pairs.append((line.strip()[2:], block["intent"]))
    return pairs


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


#: Replies the conversation driver itself sends (FORMAT.md), also when a visitor spells them out.
DRIVER_REPLIES = {_norm(text) for text in (DECLINE, CONFIRM, SOMETHING_ELSE)}


@functools.lru_cache(maxsize=1)
def _training() -> tuple[tuple[str, str], ...]:
    return tuple(pair for path in sorted((ROOT / "data" / "nlu").glob("*.yml")) for pair in _examples(path))


def _in_training(texts: list[str], min_words: int = 1) -> list[str]:
    seen = {_norm(t) for t, _ in _training()}
    return sorted({t for t in texts if _norm(t) in seen and len(_norm(t).split()) >= min_words})


@functools.lru_cache(maxsize=1)
def _use_cases() -> frozenset[str]:
    return frozenset(load_playbook(FIXTURE_PLAYBOOK).use_cases)


def _check_need(value: Any, where: Any) -> None:
    if value == DECLINED:
        return
    assert isinstance(value, dict), where
    assert value.get("status", "matched") in NEED_STATUSES, where
    if value.get("use_case") is not None:
        assert value["use_case"] in _use_cases(), where
    assert set(value.get("candidates") or []) <= _use_cases(), where


def _check_values(values: Any, where: Any) -> None:
    assert isinstance(values, dict), where
    assert set(values) <= {*VISITOR_FIELDS, KNOCKOUT_FIELD}, where
    for name, value in values.items():
        assert value == DECLINED or isinstance(value, dict), where
        if name == "need":
            _check_need(value, where)
        if name == "industry" and isinstance(value, dict) and "industry" in value:
            assert value["industry"] in INDUSTRIES, where


def test_intent_eval_set_is_held_out() -> None:
    evaluation = _examples(NLU_EVAL / "intents.yml")
    assert len(evaluation) >= 150
    assert {intent for _, intent in evaluation} <= {intent for _, intent in _training()}
    overlap = _in_training([t for t, _ in evaluation])
    assert not overlap, f"evaluation utterances also in training data: {overlap}"


#: Held-out slices after v1, oldest first: each must stay apart from training and earlier slices.
LATER_SLICES = ("v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10")


@pytest.mark.parametrize("index", range(len(LATER_SLICES)))
def test_later_intent_slices_are_held_out(index: int) -> None:
    name = LATER_SLICES[index]
    path = NLU_EVAL / f"intents_{name}.yml"
    if not path.exists():
        pytest.skip(f"{path.name} not written yet")
    _load(path)
    evaluation = _examples(path)
    assert evaluation, f"{path.name} has no examples"
    unknown = {intent for _, intent in evaluation} - {intent for _, intent in _training()}
    assert not unknown, f"intents not in the training data: {sorted(unknown)}"
    overlap = _in_training([t for t, _ in evaluation])
    assert not overlap, f"{name} utterances also in training data: {overlap}"
    earlier = {_norm(t) for t, _ in _examples(NLU_EVAL / "intents.yml")}
    for older in LATER_SLICES[:index]:
        if (NLU_EVAL / f"intents_{older}.yml").exists():
            earlier |= {_norm(t) for t, _ in _examples(NLU_EVAL / f"intents_{older}.yml")}
    reused = sorted(t for t, _ in evaluation if _norm(t) in earlier)
    assert not reused, f"{name} utterances also in an earlier slice (tuned on): {reused}"


@pytest.mark.parametrize(
    ("name", "minimum"), [("values.yml", 120), *((f"values_{n}.yml", 1) for n in LATER_SLICES)]
)
def test_value_eval_set_is_well_formed(name: str, minimum: int) -> None:
    if not (NLU_EVAL / name).exists():
        pytest.skip(f"{name} not written yet")
    spec = _load(NLU_EVAL / name)
    assert isinstance(spec.get("today"), date) or date.fromisoformat(str(spec.get("today")))
    cases = spec["cases"]
    assert len(cases) >= minimum
    known = {*FIELDS, KNOCKOUT_FIELD}
    for case in cases:
        assert isinstance(case["text"], str)
        assert set(case.get("expect") or {}) <= known, case
        assert case.get("requested") in (None, *known), case
        if "need" in (case.get("expect") or {}):
            _check_need(case["expect"]["need"], case)


@pytest.mark.parametrize("name", LATER_SLICES)
def test_later_value_slices_are_held_out(name: str) -> None:
    path = NLU_EVAL / f"values_{name}.yml"
    if not path.exists():
        pytest.skip(f"{path.name} not written yet")
    overlap = _in_training([case["text"] for case in _load(path)["cases"]], MIN_WORDS_HELD_OUT)
    assert not overlap, f"{name} value texts also in training data: {overlap}"


def _messages(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


VISITOR_FILES = (
    "visitors.yml",
    "visitors_v3.yml",
    "visitors_v4.yml",
    "visitors_v5.yml",
    "visitors_v6.yml",
    "visitors_v7.yml",
    "visitors_v8.yml",
    "visitors_v9.yml",
    "visitors_v10.yml",
)


def _visitors(name: str = "visitors.yml") -> tuple[date, list[dict[str, Any]]]:
    path = VISITORS.parent / name
    if not path.exists():
        pytest.skip(f"{name} not written yet")
    spec = _load(path)
    assert isinstance(spec, dict) and set(spec) <= {"today", "visitors"}, "top level: today and visitors"
    today = spec.get("today")
    today = today if isinstance(today, date) else date.fromisoformat(str(today))
    visitors = spec.get("visitors")
    assert isinstance(visitors, list) and visitors, "no visitors"
    return today, visitors


@pytest.mark.parametrize("name", VISITOR_FILES)
def test_visitor_ids_are_unique_kebab_case(name: str) -> None:
    _, visitors = _visitors(name)
    ids = [v.get("id") for v in visitors]
    assert all(isinstance(i, str) and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids), ids
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate visitor ids: {duplicates}"


@pytest.mark.parametrize("name", VISITOR_FILES)
def test_visitors_are_well_formed(name: str) -> None:
    _, visitors = _visitors(name)
    for v in visitors:
        where = v.get("id")
        assert set(v) <= VISITOR_KEYS, (where, sorted(set(v) - VISITOR_KEYS))
        opening = v.get("opening")
        assert isinstance(opening, list) and opening and all(isinstance(m, str) for m in opening), where
        assert set(v.get("volunteered") or []) <= VISITOR_FIELDS, where
        answers = v.get("answers") or {}
        assert set(answers) <= VISITOR_FIELDS, (where, sorted(set(answers) - VISITOR_FIELDS))
        for answer in answers.values():
            said = _messages(answer)
            assert said and all(isinstance(m, str) and m.strip() for m in said), where
        interject = v.get("interject") or {}
        assert set(interject) <= VISITOR_FIELDS, where
        assert all(isinstance(m, str) for msgs in interject.values() for m in _messages(msgs)), where


@pytest.mark.parametrize("name", VISITOR_FILES)
def test_visitor_expectations_use_the_vocabularies(name: str) -> None:
    _, visitors = _visitors(name)
    for v in visitors:
        where = v.get("id")
        expect = v.get("expect")
        assert isinstance(expect, dict), where
        assert set(expect) <= EXPECT_KEYS, (where, sorted(set(expect) - EXPECT_KEYS))
        assert expect.get("grade") in GRADES, where
        assert expect.get("next_step") in (None, *NEXT_STEPS), where  # None: left open by the author
        assert expect.get("primary", None) in (None, *REASONS), where
        assert set(expect.get("reasons_include") or []) <= set(REASONS), where
        assert isinstance(expect.get("handoff", False), bool), where
        assert set(expect.get("not_asked") or []) <= VISITOR_FIELDS, where
        _check_values(expect.get("values") or {}, where)


@pytest.mark.parametrize("name", VISITOR_FILES)
def test_visitor_messages_are_not_training_sentences(name: str) -> None:
    _, visitors = _visitors(name)
    said = []
    for v in visitors:
        said += _messages(v.get("opening") or [])
        said += [m for answer in (v.get("answers") or {}).values() for m in _messages(answer)]
        said += [m for msgs in (v.get("interject") or {}).values() for m in _messages(msgs)]
    overlap = _in_training([str(m) for m in said if _norm(str(m)) not in DRIVER_REPLIES], MIN_WORDS_HELD_OUT)
    assert not overlap, f"visitor messages also in training data: {overlap}"
