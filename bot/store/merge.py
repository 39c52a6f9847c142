"""Merging leads, and candidates: an unconfirmed conversation never overwrites another person's lead.

Anyone can type anyone's email address. A conversation that ends with an address another
lead already owns, from a browser that is not that lead's (a different server-signed
visitor id), is stored as a *candidate* of that lead: its own row (no email; the address in
`candidate_email`, the owner in `candidate_of_id`), with its answers, score and meetings,
and a `candidate_linked` event on the owner so sales sees it. The owner's name, company and
grade stay as they were. When the address is confirmed (the visitor clicks the double opt-in
link mailed to it, or staff merge it in the console), `confirm_candidate` merges the
candidate into the owner: the newer answers and grade win, like a CRM's duplicate merge.

    with sessions() as session, session.begin():
        owner_id = confirm_candidate(session, candidate_id, by="email_confirmation")
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.store.models import (
    Answer,
    CallbackRequest,
    Consent,
    Conversation,
    Lead,
    LeadEvent,
    Meeting,
    NurtureEnrollment,
    NurtureSend,
    OutboxMessage,
    ScoreSnapshot,
    utcnow,
)

# Every table whose rows belong to a lead (moved on a merge).
_CHILDREN: tuple[Any, ...] = (
    Answer,
    ScoreSnapshot,
    Consent,
    Conversation,
    LeadEvent,
    Meeting,
    CallbackRequest,
    OutboxMessage,
    NurtureEnrollment,
    NurtureSend,
)
# What a confirmed candidate brings to its owner (the newer conversation wins when it has a value).
_TAKEN_OVER = (
    "name",
    "company_name",
    "grade",
    "score",
    "reasons",
    "next_step",
    "playbook_version",
    "email_flag",
    "nurture_track",
    "time_zone",
    "visitor_id",
)


def merge_leads(session: Session, source: Lead, target: Lead) -> None:
    """Move everything of `source` to `target` and delete `source` (the same person)."""
    kept = select(Consent.purpose, Consent.recorded_at).where(Consent.lead_id == target.id)
    for purpose, recorded_at in session.execute(kept).all():
        session.execute(
            delete(Consent).where(
                Consent.lead_id == source.id, Consent.purpose == purpose, Consent.recorded_at == recorded_at
            )
        )
    # One enrolment per lead and track: the source's (newer) enrolment replaces the target's.
    tracks = select(NurtureEnrollment.track).where(NurtureEnrollment.lead_id == source.id)
    stale = select(NurtureEnrollment.id).where(
        NurtureEnrollment.lead_id == target.id, NurtureEnrollment.track.in_(tracks)
    )
    stale_ids = [row for (row,) in session.execute(stale).all()]
    if stale_ids:
        session.execute(delete(NurtureSend).where(NurtureSend.enrollment_id.in_(stale_ids)))
        session.execute(delete(NurtureEnrollment).where(NurtureEnrollment.id.in_(stale_ids)))
    if source.variants:  # the A/B variants either saw (the source's, from the newer conversation, win)
        target.variants = {**(target.variants or {}), **source.variants}
    for model in _CHILDREN:
        session.execute(update(model).where(model.lead_id == source.id).values(lead_id=target.id))
    session.execute(update(Lead).where(Lead.candidate_of_id == source.id).values(candidate_of_id=target.id))
    session.flush()
    session.execute(delete(Lead).where(Lead.id == source.id))
    session.expire_all()


def link_candidate(
    session: Session, *, owner: Lead, email: str, current: Lead | None, conversation_id: int
) -> Lead:
    """The candidate lead of this conversation for `owner` (reused, converted or created)."""
    if current is not None and current.email is None and current.candidate_of_id in (None, owner.id):
        lead = current  # this conversation's anonymous lead, or its candidate already
    else:
        lead = Lead(reasons=[])
        session.add(lead)
    linked_before = lead.candidate_of_id == owner.id
    lead.candidate_of_id, lead.candidate_email = owner.id, email
    session.flush()
    if not linked_before:
        session.add(
            LeadEvent(
                lead_id=owner.id,
                conversation_id=conversation_id,
                kind="candidate_linked",
                detail={"candidate_id": lead.id, "why": "email given in an unconfirmed conversation"},
            )
        )
    return lead


def confirm_candidate(session: Session, candidate_id: int, *, by: str) -> int | None:
    """Merge a candidate into its owner now that the address is confirmed; the owner's id.

    None when `candidate_id` is not a candidate. When the owner was erased meanwhile, the
    candidate takes the address itself.
    """
    candidate = session.get(Lead, candidate_id)
    if candidate is None or candidate.candidate_of_id is None:
        return None
    owner = session.get(Lead, candidate.candidate_of_id)
    if owner is None:
        candidate.email, candidate.candidate_email, candidate.candidate_of_id = (
            candidate.candidate_email,
            None,
            None,
        )
        session.flush()
        return int(candidate.id)
    for attr in _TAKEN_OVER:
        value = getattr(candidate, attr)
        if value not in (None, []):
            setattr(owner, attr, value)
    owner.updated_at = utcnow()
    owner_id = int(owner.id)
    merge_leads(session, candidate, owner)
    session.add(
        LeadEvent(
            lead_id=owner_id,
            conversation_id=None,
            kind="candidate_merged",
            detail={"candidate_id": candidate_id, "by": by},
        )
    )
    session.flush()
    return owner_id


__all__ = ["confirm_candidate", "link_candidate", "merge_leads"]
