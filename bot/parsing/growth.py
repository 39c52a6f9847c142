"""Growth plans for the gray area: "yes, we plan to be 15 people next year"."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bot.parsing.company_size import find_company_size
from bot.parsing.timeline import find_timeline

_YES = re.compile(
    r"^\s*(yes|yeah|yep|yup|sure|definitely|absolutely|of course|hopefully|likely|probably|"
    r"we (plan|expect|hope|intend) to|planning to|growing|hiring)\b",
    re.I,
)
_NO = re.compile(
    r"^\s*(no|nope|not really|not soon|unlikely|probably not|not planned|no plans|we'?re not)\b", re.I
)
_PLAN = re.compile(r"\b(plan|expect|hope|intend|aim|going|hiring|grow|growing|double|triple|scale)\b", re.I)


def parse_growth_plan(text: str, today: date, *, requested: bool = True) -> dict[str, Any] | None:
    """{"growing", "expected_employees", "within_months"} from an answer about growth."""
    text = text[:500]
    if _NO.search(text):
        return {"growing": False, "expected_employees": None, "within_months": None}
    size = find_company_size(text, requested=False)
    plan = _PLAN.search(text)
    if not (_YES.search(text) or (plan and size)):
        return None
    when = find_timeline(text, today, requested=False)
    months = None
    if when and when[0].get("months") is not None:
        months = max(1, int(round(float(when[0]["months"]))))
    return {
        "growing": True,
        "expected_employees": size[0]["employees"] if size else None,
        "within_months": months,
    }
