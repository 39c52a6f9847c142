"""NLU report per evaluation slice: intents (trained model) and values (bot.extract).

v1 (tests/nlu_eval/intents.yml + values.yml) to v5 have been tuned on, so they no longer
measure anything unbiased, and neither have v6 to v9; v10 (intents_v10.yml + values_v10.yml) is
the held-out slice: once its misses are fixed, write a v11 (scripts/make_eval_brief.py). Per slice:
intent precision/recall/F1 with macro and weighted averages; value accuracy per field; need
accuracy on its own (strict, and "after asking": the expected use case is among the candidates
of an unsure result). Values use the fixture playbook tests/fixtures/playbook.yml.
Writes results/eval/report.json and prints a summary.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.playbook import Playbook, load_playbook  # noqa: E402
from bot.vocab import DECLINED  # noqa: E402

EVAL_DIR = ROOT / "tests" / "nlu_eval"
PLAYBOOK = ROOT / "tests" / "fixtures" / "playbook.yml"
MODEL = ROOT / "models" / "banter.tar.gz"
#: Expected need statuses an actual status also satisfies (a not-served need may come out unmatched).
NEED_EQUIVALENT = {"not_served": {"not_served", "unmatched"}}


@dataclass(frozen=True)
class Slice:
    """One evaluation slice: its files and what it can still tell us."""

    name: str
    note: str
    intents: Path
    values: Path


SLICES = (
    Slice("v1", "tuned on: no longer an unbiased measure", EVAL_DIR / "intents.yml", EVAL_DIR / "values.yml"),
    Slice(
        "v2",
        "tuned on (first run 2026-11-25): no longer an unbiased measure",
        EVAL_DIR / "intents_v2.yml",
        EVAL_DIR / "values_v2.yml",
    ),
    Slice(
        "v3",
        "tuned on (first run 2026-11-25): no longer an unbiased measure",
        EVAL_DIR / "intents_v3.yml",
        EVAL_DIR / "values_v3.yml",
    ),
    Slice(
        "v4",
        "tuned on (first run 2026-11-25): no longer an unbiased measure",
        EVAL_DIR / "intents_v4.yml",
        EVAL_DIR / "values_v4.yml",
    ),
    Slice(
        "v5",
        "tuned on (first run 2026-11-25): no longer an unbiased measure",
        EVAL_DIR / "intents_v5.yml",
        EVAL_DIR / "values_v5.yml",
    ),
    Slice(
        "v6",
        "tuned on (first run 2026-11-25): no longer an unbiased measure",
        EVAL_DIR / "intents_v6.yml",
        EVAL_DIR / "values_v6.yml",
    ),
    Slice(
        "v7",
        "tuned on (first run 2026-11-25): no longer an unbiased measure",
        EVAL_DIR / "intents_v7.yml",
        EVAL_DIR / "values_v7.yml",
    ),
    Slice(
        "v8",
        "tuned on (first run 2026-11-25): no longer an unbiased measure",
        EVAL_DIR / "intents_v8.yml",
        EVAL_DIR / "values_v8.yml",
    ),
    Slice(
        "v9",
        "tuned on (first run 2026-11-25): no longer an unbiased measure",
        EVAL_DIR / "intents_v9.yml",
        EVAL_DIR / "values_v9.yml",
    ),
    Slice("v10", "held out", EVAL_DIR / "intents_v10.yml", EVAL_DIR / "values_v10.yml"),
)


def load_intent_examples(path: Path) -> list[tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(ex.get("text"), ex.get("intent")) for ex in data.intent_examples]


async def classify(texts: list[str]) -> list[tuple[str, float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(MODEL))
    out = []
    for text in texts:
        parsed = await agent.parse_message(text)
        out.append((parsed["intent"]["name"], float(parsed["intent"]["confidence"])))
    return out


def intent_report(examples: list[tuple[str, str]], predicted: list[tuple[str, float]]) -> dict[str, Any]:
    from sklearn.metrics import classification_report

    gold = [intent for _, intent in examples]
    pred = [name for name, _ in predicted]
    # Averages over the intents of the set: a prediction outside it (nlu_fallback) is a miss, not a class.
    report = classification_report(gold, pred, labels=sorted(set(gold)), output_dict=True, zero_division=0)
    errors = [
        {"text": text, "intent": g, "predicted": p, "confidence": round(c, 3)}
        for (text, g), (p, c) in zip(examples, predicted, strict=True)
        if g != p
    ]
    return {
        "examples": len(examples),
        "weighted_f1": report["weighted avg"]["f1-score"],
        "macro_f1": report["macro avg"]["f1-score"],
        "predicted_outside_the_set": dict(Counter(p for p in pred if p not in set(gold))),
        "report": report,
        "errors": errors,
    }


def _matches(expected: Any, actual: Any) -> bool:
    """`expected` is a subset of `actual` (numbers within 1e-6, `declined` only matches declined)."""
    if expected == DECLINED:
        return actual == DECLINED
    if not isinstance(expected, dict) or not isinstance(actual, dict):
        return expected == actual
    for key, want in expected.items():
        got = actual.get(key)
        if isinstance(want, (int, float)) and isinstance(got, (int, float)) and not isinstance(want, bool):
            if abs(float(want) - float(got)) > 1e-6:
                return False
        elif isinstance(want, list) and isinstance(got, list):
            if sorted(map(str, want)) != sorted(map(str, got)):
                return False
        elif str(want) != str(got) if want is not None and got is not None else want != got:
            return False
    return True


def need_matches(expected: Any, actual: Any) -> tuple[bool, bool]:
    """(strict, after asking) match of a need value; after asking, an unsure result is right
    when the expected use case is among its candidates."""
    if not isinstance(expected, dict) or not isinstance(actual, dict):
        strict = _matches(expected, actual)
        return strict, strict
    want_status = expected.get("status")
    if want_status in NEED_EQUIVALENT:
        strict = actual.get("status") in NEED_EQUIVALENT[want_status] and _matches(
            {k: v for k, v in expected.items() if k != "status"}, actual
        )
    else:
        strict = _matches(expected, actual)
    use_case = expected.get("use_case")
    after_asking = strict or (
        use_case is not None
        and want_status in (None, "matched")
        and actual.get("status") == "unsure"
        and use_case in (actual.get("candidates") or [])
    )
    return strict, after_asking


def value_matches(field: str, expected: Any, actual: Any) -> bool:
    """Whether an actual normalised value meets the expectation (need: the strict rule)."""
    return need_matches(expected, actual)[0] if field == "need" else _matches(expected, actual)


def extract(text: str, *, today: date, requested: str | None, playbook: Playbook) -> dict[str, Any]:
    """Field -> normalised value (or DECLINED) that bot.extract finds in `text`.

    The one place that calls extract_fields: adjust here when its signature changes.
    """
    from bot.extract import extract_fields

    use_cases = playbook.use_case_keywords()
    found = extract_fields(
        text, today=today, use_cases=use_cases, requested=requested, needs=playbook.need_classifier()
    )
    return {
        name: (DECLINED if ex.declined else ex.value) for name, ex in found.items() if ex.declined or ex.value
    }


def _need_status(value: Any) -> str:
    if not isinstance(value, dict):
        return str(value)
    return str(value.get("status") or ("matched" if value.get("use_case") else "?"))


def value_report(path: Path, playbook: Playbook) -> dict[str, Any]:
    spec = yaml.safe_load(path.read_text())
    today = spec.get("today")
    today = today if isinstance(today, date) else date.fromisoformat(str(today))
    per_field: dict[str, Counter[str]] = defaultdict(Counter)
    need: dict[str, Counter[str]] = defaultdict(Counter)
    failures = []
    for case in spec["cases"]:
        actual = extract(case["text"], today=today, requested=case.get("requested"), playbook=playbook)
        expect = case.get("expect") or {}
        if not expect:
            ok = not actual
            per_field["(nothing)"]["ok" if ok else "fail"] += 1
            if not ok:
                failures.append({"text": case["text"], "expected": {}, "actual": actual})
            continue
        for name, want in expect.items():
            ok = value_matches(name, want, actual.get(name))
            per_field[name]["ok" if ok else "fail"] += 1
            if name == "need":
                strict, after_asking = need_matches(want, actual.get(name))
                for key in ("(all)", _need_status(want)):
                    need[key].update({"total": 1, "strict": int(strict), "after_asking": int(after_asking)})
            if not ok:
                failures.append(
                    {
                        "text": case["text"],
                        "requested": case.get("requested"),
                        "field": name,
                        "expected": want,
                        "actual": actual.get(name),
                    }
                )
    total_ok = sum(c["ok"] for c in per_field.values())
    total = sum(c["ok"] + c["fail"] for c in per_field.values())
    overall = need.pop("(all)", Counter())
    return {
        "today": str(today),
        "accuracy": total_ok / total if total else 0.0,
        "checks": total,
        "per_field": {
            k: {"ok": v["ok"], "total": v["ok"] + v["fail"], "accuracy": v["ok"] / (v["ok"] + v["fail"])}
            for k, v in sorted(per_field.items())
        },
        "need": {
            "checks": overall["total"],
            "strict_accuracy": overall["strict"] / overall["total"] if overall["total"] else None,
            "after_asking_accuracy": overall["after_asking"] / overall["total"] if overall["total"] else None,
            "by_expected_status": {
                k: {"total": v["total"], "strict": v["strict"], "after_asking": v["after_asking"]}
                for k, v in sorted(need.items())
            },
        },
        "failures": failures,
    }


def print_intents(title: str, intents: dict[str, Any]) -> None:
    report = intents["report"]
    print(f"\n{title}: intent classification on {intents['examples']} utterances")
    print(f"{'intent':<24}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
    for name, row in sorted(report.items()):
        if isinstance(row, dict) and name not in ("macro avg", "weighted avg", "micro avg"):
            print(
                f"{name:<24}{row['precision']:>10.3f}{row['recall']:>10.3f}"
                f"{row['f1-score']:>10.3f}{row['support']:>10.0f}"
            )
    print(f"{'macro avg':<24}{'':>20}{intents['macro_f1']:>10.3f}")
    print(f"{'weighted avg':<24}{'':>20}{intents['weighted_f1']:>10.3f}")
    for name, count in intents["predicted_outside_the_set"].items():
        print(f"  predicted {name} (not an intent of the set): {count}")
    for err in intents["errors"][:25]:
        print(f"  miss: {err['text']!r}: {err['intent']} -> {err['predicted']} ({err['confidence']})")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def print_values(title: str, values: dict[str, Any]) -> None:
    print(f"\n{title}: value normalisation on {values['checks']} checks: accuracy {values['accuracy']:.3f}")
    for name, row in values["per_field"].items():
        print(f"  {name:<16}{row['ok']:>4}/{row['total']:<4} {row['accuracy']:.3f}")
    need = values["need"]
    print(
        f"  need on its own: {need['checks']} checks, strict {_pct(need['strict_accuracy'])}, "
        f"after asking {_pct(need['after_asking_accuracy'])}"
    )
    for status, row in need["by_expected_status"].items():
        print(
            f"    expected {status:<12} strict {row['strict']}/{row['total']}, after asking {row['after_asking']}/{row['total']}"
        )
    for failure in values["failures"][:40]:
        print(f"  fail: {json.dumps(failure, ensure_ascii=False, default=str)}")


def main() -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.disable(logging.WARNING)  # here, not at import: scripts/eval_conversations.py imports this module
    playbook = load_playbook(PLAYBOOK)
    present = [s for s in SLICES if s.intents.exists() or s.values.exists()]
    examples = {s.name: load_intent_examples(s.intents) for s in present if s.intents.exists()}
    model_missing = bool(examples) and not MODEL.exists()
    predicted: dict[str, list[tuple[str, float]]] = {}
    if model_missing:
        print(f"no trained model at {MODEL}: intents skipped (run `make train`)", file=sys.stderr)
    elif examples:
        texts = [text for name in examples for text, _ in examples[name]]
        flat = iter(asyncio.run(classify(texts)))
        predicted = {name: [next(flat) for _ in pairs] for name, pairs in examples.items()}

    slices: dict[str, Any] = {}
    for s in present:
        result: dict[str, Any] = {"note": s.note}
        if s.name in predicted:
            result["intents"] = intent_report(examples[s.name], predicted[s.name])
        if s.values.exists():
            result["values"] = value_report(s.values, playbook)
        slices[s.name] = result
    missing = [s.name for s in SLICES if s not in present]

    out = ROOT / "results" / "eval"
    out.mkdir(parents=True, exist_ok=True)
    report = {"playbook": str(PLAYBOOK.relative_to(ROOT)), "slices": slices, "missing_slices": missing}
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str))

    for name, result in slices.items():
        title = f"[{name}, {result['note']}]"
        if "intents" in result:
            print_intents(title, result["intents"])
        if "values" in result:
            print_values(title, result["values"])
    print("\nSummary (fixture playbook)")
    for name, result in slices.items():
        intents, values = result.get("intents"), result.get("values")
        parts = []
        if intents:
            parts.append(f"intent F1 weighted {intents['weighted_f1']:.3f} macro {intents['macro_f1']:.3f}")
        if values:
            need = values["need"]
            parts.append(
                f"value accuracy {values['accuracy']:.3f}, need strict {_pct(need['strict_accuracy'])} "
                f"after asking {_pct(need['after_asking_accuracy'])}"
            )
        print(f"  {name} ({result['note']}): " + "; ".join(parts))
    for name in missing:
        print(f"  {name}: no files, skipped")
    print(f"full report: {out / 'report.json'}")
    return 1 if model_missing else 0


if __name__ == "__main__":
    sys.exit(main())
