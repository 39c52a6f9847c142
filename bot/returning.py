"""Returning visitors: recognised by the visitor id the server signed for their browser.

Never by an email typed in the chat: anyone can type anyone's address, and the stored
answers would be shown to them. A conversation that ends with an address another lead owns
is kept apart as that lead's candidate until the address is confirmed
(bot/store/repository.py).

The stored answers are carried into the new conversation, except those that may have
changed (the questions the playbook marks `ask_returning`: budget, timeline and need by default), which are asked again; the lead is then re-scored,
and a nurtured lead that qualifies now is recorded as requalified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Answer, Consent, Lead


@dataclass(frozen=True)
class Returning:
    """A recognised lead and the answers to carry over (slot values)."""

    lead_id: int
    first_name: str | None
    grade: str | None
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)


def recognise(session: Session, *, visitor_id: str, ask_again: Sequence[str]) -> Returning | None:
    """The stored lead of this (server-signed) visitor id, with its answers but those to `ask_again`, or None.

    `ask_again` is the playbook's questions marked `ask_returning` (what may have changed).
    """
    lead = session.execute(
        select(Lead).where(Lead.visitor_id == str(visitor_id)[:100]).order_by(Lead.updated_at.desc()).limit(1)
    ).scalar_one_or_none()
    if lead is None or lead.email is None:
        return None  # only leads who left contact details with consent are greeted by name
    answers: dict[str, dict[str, Any]] = {}
    for answer in session.execute(
        select(Answer).where(Answer.lead_id == lead.id).order_by(Answer.answered_at, Answer.id)
    ).scalars():
        if answer.field in ask_again:
            continue
        answers[answer.field] = {
            "field": answer.field,
            "raw": answer.raw_text,
            "value": answer.normalized,
            "declined": answer.declined,
            "error": None,
            "at": answer.answered_at.isoformat(),
            "carried_over": True,
        }
    consent = session.execute(
        select(Consent)
        .where(Consent.lead_id == lead.id, Consent.purpose == "contact")
        .order_by(Consent.recorded_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if consent is not None:
        answers["consent"] = {
            "field": "consent",
            "raw": "(given in an earlier conversation)",
            "value": {"granted": consent.granted, "text_version": consent.text_version},
            "declined": False,
            "error": None,
            "at": consent.recorded_at.isoformat(),
            "carried_over": True,
        }
    first = (lead.name or "").split(" ")[0] or None
    return Returning(lead.id, first, lead.grade, answers)
