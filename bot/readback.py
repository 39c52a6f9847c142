"""Read back what was understood before grading, when it came from a long or unsure answer.

A message that answered several questions at once ("I'm the CFO of a 200-person
fintech in Berlin, budget around 40k…") is parsed in one go; before the outcome the
visitor sees it in plain words and can confirm or change it. Pure functions over the
answer slots.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pycountry

from bot.describe import describe

Answers = Mapping[str, Mapping[str, Any] | None]

#: A message that filled at least this many fields is read back.
MULTI_FACT = 3
#: A need matched with less confidence than this is read back.
UNSURE_NEED = 0.3

#: The read-back's buttons (their titles are also what they send).
READBACK_YES = "Looks right"
READBACK_CHANGE = "Change something"

_ORDER = ("role", "company_size", "industry", "country", "need", "budget", "timeline")


def _value(answer: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if not answer or answer.get("declined") or answer.get("error"):
        return None
    value = answer.get("value")
    return value if isinstance(value, Mapping) and value.get("status") != "not_understood" else None


def _country_name(value: Mapping[str, Any]) -> str | None:
    country = (
        pycountry.countries.get(alpha_2=str(value.get("country") or "")) if value.get("country") else None
    )
    return getattr(country, "common_name", None) or getattr(country, "name", None)


def needs_readback(answers: Answers) -> bool:
    """True when some answers were inferred from one multi-fact message or matched with low confidence."""
    readback = answers.get("readback")
    if readback and (readback.get("value") or readback.get("declined")):
        return False
    inferred = [f for f in _ORDER if _value(answers.get(f)) and (answers.get(f) or {}).get("multi")]
    if len(inferred) >= MULTI_FACT:
        return True
    need = _value(answers.get("need"))
    confidence = need.get("confidence") if need else None
    return bool(
        need
        and need.get("status") == "matched"
        and not need.get("chosen")
        and isinstance(confidence, (int, float))
        and confidence < UNSURE_NEED
    )


def readback_sentence(answers: Answers, use_case_labels: Mapping[str, str]) -> str:
    """The read-back in plain words: 'So: VP of Sales, 800 people, … Did I get that right?'."""
    parts: list[str] = []
    for field in _ORDER:
        value = _value(answers.get(field))
        if value is None:
            continue
        if field == "need":
            label = use_case_labels.get(str(value.get("use_case")))
            if label:
                parts.append(f"you'd like to {label[0].lower()}{label[1:]}")
            continue
        text = describe(field, value)
        if field == "budget":
            text = f"budget {text}"
        elif field == "timeline":
            text = f"live {text}" if value.get("status") == "date" else f"timeline: {text}"
        elif field == "country":
            text = f"based in {value.get('city') or _country_name(value) or text}"
        parts.append(text)
    return "So: " + ", ".join(parts) + ". Did I get that right?"


__all__ = ["MULTI_FACT", "READBACK_CHANGE", "READBACK_YES", "needs_readback", "readback_sentence"]
