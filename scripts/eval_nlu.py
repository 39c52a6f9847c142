"""NLU report on the held-out evaluation set (never trained on).

Intents: the trained model classifies tests/nlu_eval/intents.yml; per-intent precision,
recall and F1 plus macro/weighted averages. Values: bot.extract on
tests/nlu_eval/values.yml; accuracy of normalised values per field.
Writes results/eval/report.json and prints a summary.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
logging.disable(logging.WARNING)

from bot.extract import extract_fields  # noqa: E402
from bot.playbook import load_playbook  # noqa: E402
from bot.vocab import DECLINED  # noqa: E402


def load_intent_examples(path: Path) -> list[tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(ex.get("text"), ex.get("intent")) for ex in data.intent_examples]


async def classify(texts: list[str]) -> list[tuple[str, float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(ROOT / "models" / "banter.tar.gz"))
    out = []
    for text in texts:
        parsed = await agent.parse_message(text)
        out.append((parsed["intent"]["name"], float(parsed["intent"]["confidence"])))
    return out


def intent_report(examples: list[tuple[str, str]], predicted: list[tuple[str, float]]) -> dict[str, Any]:
    from sklearn.metrics import classification_report

    gold = [intent for _, intent in examples]
    pred = [name for name, _ in predicted]
    report = classification_report(gold, pred, output_dict=True, zero_division=0)
    errors = [
        {"text": text, "intent": g, "predicted": p, "confidence": round(c, 3)}
        for (text, g), (p, c) in zip(examples, predicted, strict=True)
        if g != p
    ]
    return {"report": report, "errors": errors}


def _matches(expected: Any, actual: Any) -> bool:
    if expected == DECLINED:
        return actual == DECLINED
    if not isinstance(expected, dict) or not isinstance(actual, dict):
        return expected == actual
    for key, want in expected.items():
        got = actual.get(key)
        if isinstance(want, (int, float)) and isinstance(got, (int, float)) and not isinstance(want, bool):
            if abs(float(want) - float(got)) > 1e-6:
                return False
        elif str(want) != str(got) if want is not None and got is not None else want != got:
            return False
    return True


def value_report(path: Path) -> dict[str, Any]:
    spec = yaml.safe_load(path.read_text())
    today = spec.get("today")
    today = today if isinstance(today, date) else date.fromisoformat(str(today))
    use_cases = load_playbook(ROOT / "playbook.yml").use_case_keywords()
    per_field: dict[str, Counter[str]] = defaultdict(Counter)
    failures = []
    for case in spec["cases"]:
        found = extract_fields(
            case["text"], today=today, use_cases=use_cases, requested=case.get("requested")
        )
        actual = {
            name: (DECLINED if ex.declined else ex.value)
            for name, ex in found.items()
            if ex.declined or ex.value
        }
        expect = case.get("expect") or {}
        if not expect:
            ok = not actual
            per_field["(nothing)"]["ok" if ok else "fail"] += 1
            if not ok:
                failures.append({"text": case["text"], "expected": {}, "actual": actual})
            continue
        for name, want in expect.items():
            ok = _matches(want, actual.get(name))
            per_field[name]["ok" if ok else "fail"] += 1
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
    return {
        "accuracy": total_ok / total if total else 0.0,
        "checks": total,
        "per_field": {k: {"ok": v["ok"], "total": v["ok"] + v["fail"]} for k, v in sorted(per_field.items())},
        "failures": failures,
    }


def main() -> int:
    examples = load_intent_examples(ROOT / "tests" / "nlu_eval" / "intents.yml")
    predicted = asyncio.run(classify([text for text, _ in examples]))
    intents = intent_report(examples, predicted)
    values = value_report(ROOT / "tests" / "nlu_eval" / "values.yml")
    out = ROOT / "results" / "eval"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(
        json.dumps({"intents": intents, "values": values}, indent=2, default=str)
    )

    report = intents["report"]
    print(f"\nIntent classification on {len(examples)} held-out utterances")
    print(f"{'intent':<20}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
    for name, row in sorted(report.items()):
        if isinstance(row, dict) and name not in ("macro avg", "weighted avg"):
            print(
                f"{name:<20}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1-score']:>10.3f}{row['support']:>10.0f}"
            )
    print(f"{'macro avg':<20}{'':>20}{report['macro avg']['f1-score']:>10.3f}")
    print(f"{'weighted avg':<20}{'':>20}{report['weighted avg']['f1-score']:>10.3f}")
    for err in intents["errors"][:25]:
        print(f"  miss: {err['text']!r}: {err['intent']} -> {err['predicted']} ({err['confidence']})")

    print(f"\nValue normalisation on {values['checks']} held-out checks: accuracy {values['accuracy']:.3f}")
    for name, row in values["per_field"].items():
        print(f"  {name:<16}{row['ok']:>4}/{row['total']:<4}")
    for failure in values["failures"][:40]:
        print(f"  fail: {json.dumps(failure, ensure_ascii=False, default=str)}")
    print(
        f"\nintent F1 (weighted) {report['weighted avg']['f1-score']:.3f}   value accuracy {values['accuracy']:.3f}"
    )
    print(f"full report: {out / 'report.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
