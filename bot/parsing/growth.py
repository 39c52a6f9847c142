"""Growth plans for the gray area: "yes, we plan to be 15 people next year", "4 today, 12 in two years"."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from bot.parsing.clauses import future_spans, has_headcount, headcounts
from bot.parsing.company_size import find_company_size
from bot.parsing.numbers import MAX_PEOPLE, words_to_digits
from bot.parsing.timeline import find_date, find_span_months

_YES = re.compile(
    r"^\s*(yes|yeah|yep|yup|ya|sure|definitely|absolutely|of course|hopefully|likely|probably|for sure|"
    r"indeed|certainly|we (plan|expect|hope|intend|aim) to|planning to|growing|hiring|that'?s the plan)\b",
    re.I,
)
_NO = re.compile(
    r"^\s*(no|nope|nah|not really|not soon|unlikely|probably not|not planned|no plans|we'?re not|"
    r"not at the moment|not for now|not right now|not in the near future)\b|"
    r"\b(?:stay(?:ing)? (?:about |roughly |pretty much )?(?:the same|this size|as we are|small|where we are)|"
    r"(?:headcount|hiring|recruitment)(?:'?s| is) (?:frozen|on hold|paused)|hiring freeze|no plans to (?:grow|hire)|"
    r"not (?:planning|looking) to (?:grow|hire)|not hiring)\b",
    re.I,
)
_PLAN = re.compile(r"\b(plan|expect|hope|intend|aim|going|hiring|grow|growing|double|triple|scale)\b", re.I)
_HIRE = re.compile(
    r"\b(?:hire|hiring|recruit|recruiting|add|adding|bring on|bringing on|onboard|onboarding)\s+"
    r"(?:about |around |roughly |another |an additional |~)?(?P<n>\d+)(?:\s*(?:more|additional|new|extra))?",
    re.I,
)
_MULTIPLY = re.compile(r"\b(?P<k>doubl|tripl|quadrupl)", re.I)
_FACTOR = {"doubl": 2, "tripl": 3, "quadrupl": 4}
# Spans of time and dates inside a growth clause are not head counts.
_TIME_BITS = re.compile(
    r"\d+(?:\.\d+)?\s*(?:(?:-|–|to|or)\s*\d+\s*)?(?:days?|weeks?|wks?|months?|mos?|mths?|mnths?|years?|yrs?)\b"
    r"|\b(?:19|20)\d\d\b|\bq[1-4]\b|\bh[12]\b",
    re.I,
)


def _expected(clause: str, present: int | None) -> int | None:
    converted = words_to_digits(clause)
    hire = _HIRE.search(converted)
    if hire:
        hired = int(hire.group("n"))
        # "hiring ten more" says how many they will be only when today's head count is known
        return min(MAX_PEOPLE, present + hired) if hired > 0 and present is not None else None
    multiply = _MULTIPLY.search(converted)
    if multiply:
        return present * _FACTOR[multiply.group("k").lower()] if present else None
    without_time = _TIME_BITS.sub(" ", converted)
    size = find_company_size(without_time, requested=True, include_future=True)
    if size and "error" not in size[0]:
        return int(size[0]["employees"])
    for number in headcounts(without_time):  # "12, maybe 15": the first figure given
        found = find_company_size(number, requested=True, include_future=True)
        if found and "error" not in found[0]:
            return int(found[0]["employees"])
    return None


def _within_months(clause: str, today: date) -> int | None:
    span = find_span_months(clause)
    if span:
        return max(1, math.ceil(span[0] - 1e-9))
    when = find_date(clause, today)
    if when and when[0].get("months") is not None:
        return max(1, int(round(float(when[0]["months"]))))
    return None


def _present(text: str) -> int | None:
    size = find_company_size(text)
    return int(size[0]["employees"]) if size and "error" not in size[0] else None


def _plan(clause: str, text: str, today: date, current_size: int | None = None) -> dict[str, Any]:
    present = _present(text)
    return {
        "growing": True,
        "expected_employees": _expected(clause, present if present is not None else current_size),
        "within_months": _within_months(clause, today),
    }


def find_growth_plan(
    text: str, today: date, *, current_size: int | None = None
) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """A future head count volunteered in any message, with the span of its clause.

    `current_size` (the head count already known) turns "we'll double" or "hiring ten more"
    into how many they will be when the message itself does not say it.
    """
    text = text[:2000]
    spans = future_spans(text)
    if not spans:
        return None
    start, end = spans[0]
    return _plan(text[start:end], text, today, current_size), (start, end)


def parse_growth_plan(
    text: str, today: date, *, requested: bool = True, current_size: int | None = None
) -> dict[str, Any] | None:
    """{"growing", "expected_employees", "within_months"} from an answer about growth."""
    text = text[:500]
    if _NO.search(text):
        return {"growing": False, "expected_employees": None, "within_months": None}
    found = find_growth_plan(text, today, current_size=current_size)
    if found:
        return found[0]
    numbered = has_headcount(text)
    timed = find_span_months(text) is not None or find_date(text, today) is not None
    if _YES.search(text) or (numbered and (_PLAN.search(text) or timed)):
        return _plan(text, text, today, current_size)
    return None
