"""A visitor's answers: one `Answer` per field, raw text beside the normalised value.

Normalised value shapes (plain JSON-serialisable dicts; keys not listed are allowed):

- need:           {"use_case": str | None, "status": "matched" | "researching" | "unmatched"}
- role:           {"title": str, "seniority": one of SENIORITIES}
- company_name:   {"name": str}
- company_size:   {"employees": int, "min": int, "max": int | None}
                  employees is the single best estimate (midpoint of a range, min of "500+")
- industry:       {"industry": key of bot/data/industries.yml}
- country:        {"country": ISO 3166-1 alpha-2 | None, "region": one of REGIONS | None}
- budget:         {"status": "amount" | "not_sure" | "no_budget",
                   "amount": float | None, "amount_max": float | None,
                   "currency": ISO 4217 | None (None = not said),
                   "period": "year" | "month" | "quarter" | "week" | "one_off" | None (None = not said),
                   "annual_amount": float | None}  (midpoint of a range, annualised; "one_off" counts as a year)
- timeline:       {"status": "date" | "no_rush" | "not_sure", "date": "YYYY-MM-DD" | None,
                   "months": float | None}  (months from the reference day)
- other_deciders: {"text": str}
- growth_plan:    {"growing": bool, "expected_employees": int | None, "within_months": int | None}
- name:           {"full": str, "first": str}
- email:          {"email": str (normalised, lower-case domain), "domain": str,
                   "kind": "business" | "free" | "disposable" | "invalid", "error": str | None}
- knockout:       {"kind": "student" | "job_seeker" | "vendor_pitch" | "spam"}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from bot.vocab import DECLINED

SENIORITIES: tuple[str, ...] = (
    "founder",
    "owner",
    "c_level",
    "vp",
    "director",
    "head",
    "manager",
    "individual_contributor",
    "consultant",
    "intern",
    "student",
)

REGIONS: tuple[str, ...] = (
    "north_america",
    "south_america",
    "europe",
    "asia",
    "africa",
    "oceania",
    "antarctica",
)


@dataclass(frozen=True)
class Answer:
    """One answer as the visitor gave it: raw text, normalised value, when."""

    field: str
    raw: str
    value: dict[str, Any] | None
    declined: bool = False
    at: str = ""

    @classmethod
    def now(cls, field: str, raw: str, value: dict[str, Any] | None, declined: bool = False) -> Answer:
        """Build an answer stamped with the current UTC time."""
        return cls(field, raw, value, declined, datetime.now(timezone.utc).isoformat(timespec="microseconds"))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for slots and JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Answer:
        """Inverse of `to_dict`."""
        return cls(
            field=str(data["field"]),
            raw=str(data.get("raw", "")),
            value=data.get("value"),
            declined=bool(data.get("declined", False)),
            at=str(data.get("at", "")),
        )


#: Answers about the conversation, not the visitor: never scored or stored as answers.
NOT_PROFILE: tuple[str, ...] = ("consent", "readback")

#: Answers the scorer never reads (skipped when many leads are re-scored at once).
UNSCORED_FIELDS: tuple[str, ...] = ("name", "other_deciders")


def scoring_profile(
    answers: Iterable[tuple[str, Mapping[str, Any] | None, bool]], signals: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The scorer's input, built in this one place for the chat, re-scores, requalification and what-if.

    `answers` are (field, normalised value, declined) in the order they were given: a later
    answer to a field replaces an earlier one. A declined answer is "declined"; an answer
    with no value is unknown (left out). `signals` is the website behaviour the lead was
    scored with ({"pages": {signal: visits}}), stored with the lead so a re-score sees it too.
    """
    profile: dict[str, Any] = {}
    for field, value, declined in answers:
        if field in NOT_PROFILE or field in UNSCORED_FIELDS:
            continue
        if declined:
            profile[field] = DECLINED
        elif value is not None:
            profile[field] = dict(value)
        else:
            profile.pop(field, None)
    if signals:
        profile["signals"] = dict(signals)
    return profile
