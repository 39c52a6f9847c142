"""Closing the loop with sales: meeting outcomes, the follow-up SLA, and calibration on sales' verdicts.

One vocabulary for every place that records or counts an outcome (console, one-click email
links, the CRM webhook, the SLA, the overview's calibration):

- `contacted`: a callback request answered, a requalified lead reached (no meeting needed);
- `held` / `no_show`: whether the meeting took place;
- `accepted` (a sales-qualified opportunity) / `rejected` (with a reason from bot.vocab.REASONS,
  plus free text);
- `won` / `lost`: later, when known (both were accepted first).

A meeting's outcomes move forward by stage (attendance, verdict, result); the one-click links
and the CRM never move one back, the console can (a deliberate correction, recorded as such).
"""

from __future__ import annotations

OUTCOMES: tuple[str, ...] = ("contacted", "held", "no_show", "accepted", "rejected", "won", "lost")

#: Outcomes in words, for staff (console, emails, escalations).
OUTCOME_WORDS: dict[str, str] = {
    "contacted": "contacted",
    "held": "meeting held",
    "no_show": "no-show",
    "accepted": "accepted as an opportunity (SQL)",
    "rejected": "rejected",
    "won": "won",
    "lost": "lost",
}

#: How far along a meeting is: attendance, then sales' verdict, then the deal's result.
STAGE: dict[str, int] = {
    "contacted": 0,
    "held": 1,
    "no_show": 1,
    "accepted": 2,
    "rejected": 2,
    "won": 3,
    "lost": 3,
}

#: Outcomes that settle a meeting for the SLA ("outcome recorded"): held alone is not a verdict.
SETTLING: tuple[str, ...] = ("no_show", "accepted", "rejected", "won", "lost")

#: Sales' verdict on a lead: the latest of these; accepted, won and lost all mean sales accepted it.
VERDICTS: tuple[str, ...] = ("accepted", "rejected", "won", "lost")
ACCEPTED: tuple[str, ...] = ("accepted", "won", "lost")

#: Outcomes that say whether a meeting took place (for the no-show rate).
ATTENDANCE: tuple[str, ...] = ("held", "no_show", "accepted", "rejected", "won", "lost")

#: The outcomes a rep's brief email offers as one-click links.
LINK_OUTCOMES: tuple[str, ...] = ("held", "no_show", "accepted", "rejected")

#: Outcomes that take a reason from bot.vocab.REASONS.
WITH_REASON: tuple[str, ...] = ("rejected", "lost")

#: Where an outcome was recorded.
VIAS: tuple[str, ...] = ("console", "email_link", "crm")


def outcome_words(outcome: str | None) -> str:
    """An outcome code in words ("no_show" -> "no-show"); unknown codes as they are."""
    if not outcome:
        return ""
    return OUTCOME_WORDS.get(outcome, outcome.replace("_", " "))
