"""The held-out evaluation sets are well-formed and never overlap the training data."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.vocab import FIELDS, KNOCKOUT_FIELD

ROOT = Path(__file__).resolve().parents[2]


def _examples(path: Path) -> list[tuple[str, str]]:
    pairs = []
    for block in yaml.safe_load(path.read_text())["nlu"]:
        for line in block["examples"].splitlines():
            if line.strip().startswith("- "):
                pairs.append((line.strip()[2:], block["intent"]))
    return pairs


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def test_intent_eval_set_is_held_out() -> None:
    training = [pair for path in sorted((ROOT / "data" / "nlu").glob("*.yml")) for pair in _examples(path)]
    evaluation = _examples(ROOT / "tests" / "nlu_eval" / "intents.yml")
    assert len(evaluation) >= 150
    assert {intent for _, intent in evaluation} <= {intent for _, intent in training}
    overlap = {_norm(t) for t, _ in training} & {_norm(t) for t, _ in evaluation}
    assert not overlap, f"evaluation utterances also in training data: {sorted(overlap)}"


def test_value_eval_set_is_well_formed() -> None:
    spec = yaml.safe_load((ROOT / "tests" / "nlu_eval" / "values.yml").read_text())
    cases = spec["cases"]
    assert len(cases) >= 120
    known = {*FIELDS, KNOCKOUT_FIELD}
    for case in cases:
        assert isinstance(case["text"], str)
        assert set(case.get("expect") or {}) <= known, case
        assert case.get("requested") in (None, *known), case
