"""A lead's page for people: answers understood in words, reason codes in words, history in sentences.

Plain functions over the lead's stable JSON shape (bot.store.repository.lead_to_dict). Times
stay UTC ISO strings: the page puts them in <time datetime> and the console's script shows
them in the viewer's own time zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.describe import describe, reason_words
from bot.vocab import FIELDS, KNOCKOUT_FIELD


def _question(key: str, names: Mapping[str, str]) -> str:
    if key == KNOCKOUT_FIELD:
        return "not a buyer"
    return names.get(key, key.replace("_", " "))


def understood(key: str, answer: Mapping[str, Any]) -> str:
    """What the assistant understood, in a few words ("declined" for a decline)."""
    if answer.get("declined"):
        return "declined"
    value = answer.get("normalized")
    if key == KNOCKOUT_FIELD:
        return reason_words(str((value or {}).get("kind") or "")) or "not given"
    return describe(key, value if isinstance(value, Mapping) else None)


def answer_rows(answers: Mapping[str, Mapping[str, Any]], names: Mapping[str, str]) -> list[dict[str, Any]]:
    """The latest answer per question, in asking order: the question, as said, as understood, when."""
    order = [*FIELDS, *sorted(key for key in answers if key not in FIELDS)]
    return [
        {
            "question": _question(key, names),
            "raw": answers[key].get("raw") or "",
            "understood": understood(key, answers[key]),
            "at": answers[key].get("answered_at"),
        }
        for key in order
        if key in answers
    ]


def reasons_in_words(codes: Iterable[str]) -> list[str]:
    """Reason codes, primary first, in words."""
    return [reason_words(code) for code in codes]


def criterion_name(name: str) -> str:
    """A score criterion's name for people ("icp_size" -> "ICP size", "signal:pricing" -> "signal: pricing")."""
    return name.replace("icp_", "ICP ").replace("signal:", "signal: ").replace("_", " ")


_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)")


def event_row(kind: str, detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """A history entry in words: "grade changed by hand", then "from: nurture", "note: spoke to them"...

    Each detail is {"key", "value", "time"}; `time` marks a UTC moment the page shows in the viewer's zone.
    """
    details = []
    for key, value in (detail or {}).items():
        if isinstance(value, (dict, list)) or key in ("uid", "from_reasons") or value in (None, ""):
            continue  # structured detail and ids stay in the JSON export
        text = reason_words(str(value)) if key == "reason" else str(value)  # an outcome's reason, in words
        details.append({"key": key.replace("_", " "), "value": text, "time": bool(_ISO_TIME.fullmatch(text))})
    return {"what": kind.replace("_", " "), "details": details}
