"""Repository functions over plain data; callers own the session and its transaction.

Usage:

    with sessions() as session, session.begin():
        lead_id = save_qualification(session=session, ...)

`lead_to_dict` is the stable JSON shape sales tools and CRMs read (README, "Lead record JSON"):
{"id", "email", "name", "company_name", "grade", "score", "reasons" (codes, primary first),
 "next_step", "playbook_version", "email_flag", "created_at", "updated_at",
 "answers": {field: {"raw", "normalized", "declined", "answered_at", "variant"}} (latest per field),
 "variants": {question, "greeting" or "proactive:<path>": the A/B variant id the lead saw},
 "answer_history": [...], "score_history": [...], "consents": [...], "conversations": [...],
 "nurture_track", "candidate_of" and "candidate_email" (set while an unconfirmed conversation
 used another lead's address: bot/store/merge.py), "meetings": [{"uid", "type", "status", "start", "end", "rep", "visitor_time_zone"}],
 "events": [{"kind", "detail", "at"}]}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.nurture.service import stop_nurture
from bot.profile import scoring_profile
from bot.scoring import ScoreResult
from bot.store.merge import link_candidate, merge_leads
from bot.store.models import Answer, Consent, Conversation, Lead, LeadEvent, Meeting, ScoreSnapshot, utcnow


@dataclass(frozen=True)
class AnswerIn:
    """One answer to store."""

    field: str
    raw: str
    normalized: dict[str, Any] | None
    declined: bool
    answered_at: datetime
    variant: str | None = None  # the A/B wording of the question the visitor saw


@dataclass(frozen=True)
class ScoreIn:
    """A score to store as a snapshot and on the lead."""

    score: int
    grade: str
    reasons: list[str]
    criteria: list[dict[str, Any]]
    next_step: str
    playbook_version: str
    segment: str | None = None  # the nurture track, or closed_<reason> for a disqualification

    @classmethod
    def of(cls, result: ScoreResult, segment: str | None = None) -> ScoreIn:
        """The score to store for `result`: criteria, then each website signal that counted."""
        signals = [
            {
                "name": f"signal:{sig['name']}",
                "status": "signal",
                "points": sig["points"],
                "max_points": sig["max_points"],
                "reason": sig["reason"],
            }
            for sig in result.signals
        ]
        return cls(
            score=result.score,
            grade=result.grade,
            reasons=list(result.reasons),
            criteria=[c.to_dict() for c in result.criteria] + signals,
            next_step=result.next_step,
            playbook_version=result.playbook_version,
            segment=segment,
        )


@dataclass(frozen=True)
class ConsentIn:
    """Consent given or refused."""

    purpose: str
    granted: bool
    text_version: str
    channel: str
    recorded_at: datetime


@dataclass(frozen=True)
class SourceIn:
    """Where the conversation came from."""

    channel: str
    page_url: str | None = None
    referrer: str | None = None
    utm: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ContactIn:
    """Contact details (name and email only with consent)."""

    email: str | None
    name: str | None = None
    company_name: str | None = None
    email_flag: str | None = None


def normalise_email(email: str) -> str:
    """Dedup key: trimmed and lower-cased."""
    return email.strip().lower()


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _iso(moment: datetime | None) -> str | None:
    moment = _aware(moment)
    return moment.isoformat() if moment else None


def touch_conversation(*, session: Session, sender_id: str, source: SourceIn) -> Conversation:
    """Create the conversation row, or refresh its last-seen time and source."""
    conversation = session.execute(
        select(Conversation).where(Conversation.sender_id == sender_id)
    ).scalar_one_or_none()
    if conversation is None:
        conversation = Conversation(sender_id=sender_id, channel=source.channel, extra=dict(source.metadata))
        session.add(conversation)
    conversation.last_seen_at = utcnow()
    conversation.channel = source.channel or conversation.channel
    if source.page_url and not conversation.page_url:
        conversation.page_url = source.page_url
    if source.referrer and not conversation.referrer:
        conversation.referrer = source.referrer
    for key in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"):
        if source.utm.get(key) and not getattr(conversation, key):
            setattr(conversation, key, str(source.utm[key])[:200])
    if source.metadata:
        conversation.extra = {**(conversation.extra or {}), **dict(source.metadata)}
    session.flush()
    return conversation


def _lead_for_email(session: Session, email: str, anonymous: Lead | None) -> tuple[Lead, bool]:
    """The lead owning `email`, and whether this conversation made it so.

    An anonymous lead of this conversation takes the address when nobody owns it (True), a
    new lead is created for it (True), or the existing owner is returned (False), also when
    a concurrent conversation created it a moment ago.
    """
    owner = session.execute(select(Lead).where(Lead.email == email)).scalar_one_or_none()
    if owner is not None:
        return owner, False
    if anonymous is not None:
        anonymous.email = email
        try:
            with session.begin_nested():
                session.flush()
            return anonymous, True
        except IntegrityError:
            anonymous.email = None  # someone else took it a moment ago
            return session.execute(select(Lead).where(Lead.email == email)).scalar_one(), False
    lead = Lead(email=email, reasons=[])
    try:
        with session.begin_nested():
            session.add(lead)
            session.flush()
        return lead, True
    except IntegrityError:
        # A concurrent conversation created the lead first.
        return session.execute(select(Lead).where(Lead.email == email)).scalar_one(), False


def _speaks_for(owner: Lead, current: Lead | None, source: SourceIn) -> bool:
    """True when this conversation is known to be the owner's.

    It is already theirs, or it comes from the browser the server signed the owner's visitor id for.
    """
    if current is not None and current.id == owner.id:
        return True
    visitor = source.metadata.get("visitor_id")
    return bool(visitor) and owner.visitor_id == str(visitor)[:100]


def save_qualification(
    *,
    session: Session,
    sender_id: str,
    source: SourceIn,
    contact: ContactIn,
    answers: Sequence[AnswerIn],
    score: ScoreIn,
    consents: Sequence[ConsentIn] = (),
    signals: Mapping[str, Any] | None = None,
    variants: Mapping[str, str] | None = None,
) -> int:
    """Store the outcome of a conversation on its lead (created or deduplicated); return the lead id.

    `signals` is the website behaviour the score counted: kept on the lead, so that a
    re-score reads the same profile (bot.profile.scoring_profile) and gets the same score.
    `variants` are the A/B variants this conversation saw: added to the lead's (a later
    conversation's variant of the same question replaces the earlier one).
    """
    conversation = touch_conversation(session=session, sender_id=sender_id, source=source)
    current = session.get(Lead, conversation.lead_id) if conversation.lead_id else None
    if contact.email:
        email = normalise_email(contact.email)
        anonymous = current if current is not None and current.email is None else None
        lead, ours = _lead_for_email(session, email, anonymous)
        if not ours and not _speaks_for(lead, current, source):
            # Someone else's address, typed in a conversation not known to be theirs: a candidate.
            lead = link_candidate(
                session, owner=lead, email=email, current=current, conversation_id=conversation.id
            )
        else:
            lead.candidate_of_id = lead.candidate_email = None
            if current is not None and current.id != lead.id and current.email is None:
                merge_leads(session, current, lead)
                conversation = session.execute(
                    select(Conversation).where(Conversation.sender_id == sender_id)
                ).scalar_one()
    elif current is not None:
        lead = current
    else:
        lead = Lead(reasons=[])
        session.add(lead)
        session.flush()
    conversation.lead_id = lead.id

    if contact.name:
        lead.name = contact.name
    if contact.company_name:
        lead.company_name = contact.company_name
    if contact.email_flag is not None or contact.email:
        lead.email_flag = contact.email_flag
    if lead.grade == "nurture" and score.grade == "qualified":  # a returning visitor who qualifies now
        session.add(
            LeadEvent(
                lead_id=lead.id,
                conversation_id=conversation.id,
                kind="requalified",
                detail={
                    "by": "conversation",
                    "from_score": lead.score,
                    "to_score": score.score,
                    "from_reasons": list(lead.reasons or []),
                },
            )
        )
        stop_nurture(session, lead.id, "requalified")
    lead.nurture_track = score.segment
    lead.signals = dict(signals) if signals else None
    if variants:
        lead.variants = {**(lead.variants or {}), **{str(k)[:80]: str(v)[:50] for k, v in variants.items()}}
    if source.metadata.get("visitor_id"):
        lead.visitor_id = str(source.metadata["visitor_id"])[:100]
    lead.updated_at = utcnow()

    stored = {
        (row.field, _aware(row.answered_at))
        for row in session.execute(select(Answer).where(Answer.conversation_id == conversation.id)).scalars()
    }
    for answer in answers:
        key = (answer.field, _aware(answer.answered_at))
        if key in stored:
            continue
        stored.add(key)
        session.add(
            Answer(
                lead_id=lead.id,
                conversation_id=conversation.id,
                field=answer.field,
                raw_text=answer.raw,
                normalized=answer.normalized,
                declined=answer.declined,
                answered_at=_aware(answer.answered_at),
                variant=answer.variant[:50] if answer.variant else None,
            )
        )
    _write_score(session, lead, score, conversation.id)
    known = {
        (row.purpose, _aware(row.recorded_at))
        for row in session.execute(select(Consent).where(Consent.lead_id == lead.id)).scalars()
    }
    for consent in consents:
        if (consent.purpose, _aware(consent.recorded_at)) in known:
            continue
        session.add(
            Consent(
                lead_id=lead.id,
                conversation_id=conversation.id,
                purpose=consent.purpose,
                granted=consent.granted,
                text_version=consent.text_version,
                channel=consent.channel,
                recorded_at=_aware(consent.recorded_at),
            )
        )
    session.flush()
    return int(lead.id)


def lead_to_dict(session: Session, lead: Lead) -> dict[str, Any]:
    """The stable JSON shape of a lead (see the module docstring)."""
    answers = (
        session.execute(
            select(Answer).where(Answer.lead_id == lead.id).order_by(Answer.answered_at, Answer.id)
        )
        .scalars()
        .all()
    )
    history = [
        {
            "field": a.field,
            "raw": a.raw_text,
            "normalized": a.normalized,
            "declined": a.declined,
            "answered_at": _iso(a.answered_at),
            "variant": a.variant,
        }
        for a in answers
    ]
    latest = {item["field"]: {k: v for k, v in item.items() if k != "field"} for item in history}
    snapshots = session.execute(
        select(ScoreSnapshot).where(ScoreSnapshot.lead_id == lead.id).order_by(ScoreSnapshot.id)
    ).scalars()
    consents = session.execute(
        select(Consent).where(Consent.lead_id == lead.id).order_by(Consent.id)
    ).scalars()
    conversations = session.execute(
        select(Conversation).where(Conversation.lead_id == lead.id).order_by(Conversation.id)
    ).scalars()
    meetings = session.execute(
        select(Meeting).where(Meeting.lead_id == lead.id).order_by(Meeting.id)
    ).scalars()
    events = session.execute(
        select(LeadEvent).where(LeadEvent.lead_id == lead.id).order_by(LeadEvent.id)
    ).scalars()
    return {
        "id": lead.id,
        "email": lead.email,
        "name": lead.name,
        "company_name": lead.company_name,
        "grade": lead.grade,
        "score": lead.score,
        "reasons": list(lead.reasons or []),
        "next_step": lead.next_step,
        "playbook_version": lead.playbook_version,
        "email_flag": lead.email_flag,
        "nurture_track": lead.nurture_track,
        "candidate_of": lead.candidate_of_id,
        "candidate_email": lead.candidate_email,
        "created_at": _iso(lead.created_at),
        "updated_at": _iso(lead.updated_at),
        "answers": latest,
        "answer_history": history,
        "variants": dict(lead.variants or {}),
        "score_history": [
            {
                "score": s.score,
                "grade": s.grade,
                "reasons": s.reasons,
                "next_step": s.next_step,
                "playbook_version": s.playbook_version,
                "criteria": s.criteria,
                "created_at": _iso(s.created_at),
            }
            for s in snapshots
        ],
        "consents": [
            {
                "purpose": c.purpose,
                "granted": c.granted,
                "text_version": c.text_version,
                "channel": c.channel,
                "recorded_at": _iso(c.recorded_at),
            }
            for c in consents
        ],
        "conversations": [
            {
                "sender_id": c.sender_id,
                "channel": c.channel,
                "started_at": _iso(c.started_at),
                "page_url": c.page_url,
                "referrer": c.referrer,
                "utm": {
                    key: getattr(c, key)
                    for key in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
                    if getattr(c, key)
                },
            }
            for c in conversations
        ],
        "meetings": [
            {
                "uid": m.uid,
                "type": m.meeting_type,
                "status": m.status,
                "start": _iso(m.start_at),
                "end": _iso(m.end_at),
                "rep": m.rep_email,
                "visitor_time_zone": m.visitor_time_zone,
            }
            for m in meetings
        ],
        "events": [{"kind": e.kind, "detail": e.detail, "at": _iso(e.created_at)} for e in events],
    }


def get_lead_by_conversation(*, session: Session, sender_id: str) -> dict[str, Any] | None:
    """The lead of a Rasa conversation, or None."""
    lead = session.execute(
        select(Lead)
        .join(Conversation, Conversation.lead_id == Lead.id)
        .where(Conversation.sender_id == sender_id)
    ).scalar_one_or_none()
    return lead_to_dict(session, lead) if lead else None


def get_lead_by_email(*, session: Session, email: str) -> dict[str, Any] | None:
    """The lead with this (normalised) email, or None."""
    lead = session.execute(select(Lead).where(Lead.email == normalise_email(email))).scalar_one_or_none()
    return lead_to_dict(session, lead) if lead else None


def list_leads(*, session: Session, grade: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Summary rows, newest first."""
    query = select(Lead).order_by(Lead.updated_at.desc(), Lead.id.desc()).limit(limit)
    if grade:
        query = query.where(Lead.grade == grade)
    return [
        {
            "id": lead.id,
            "email": lead.email,
            "name": lead.name,
            "company_name": lead.company_name,
            "grade": lead.grade,
            "score": lead.score,
            "primary_reason": (lead.reasons or [None])[0],
            "next_step": lead.next_step,
            "updated_at": _iso(lead.updated_at),
        }
        for lead in session.execute(query).scalars()
    ]


def count_leads(*, session: Session) -> int:
    """Number of leads."""
    return int(session.execute(select(func.count(Lead.id))).scalar_one())


def record_score(
    *, session: Session, lead: Lead, result: ScoreResult, conversation_id: int | None = None
) -> ScoreSnapshot:
    """Store a new score of `lead` (snapshot with its playbook version) and put it on the lead."""
    return _write_score(session, lead, ScoreIn.of(result), conversation_id)


def _write_score(session: Session, lead: Lead, score: ScoreIn, conversation_id: int | None) -> ScoreSnapshot:
    snapshot = score_snapshot(lead.id, score, conversation_id)
    session.add(snapshot)
    for column, value in lead_score_columns(score).items():
        setattr(lead, column, value)
    return snapshot


def score_snapshot(lead_id: int, score: ScoreIn, conversation_id: int | None = None) -> ScoreSnapshot:
    """The one builder of a score snapshot (the chat, re-scores, requalification, applying a playbook)."""
    return ScoreSnapshot(
        lead_id=lead_id,
        conversation_id=conversation_id,
        score=score.score,
        grade=score.grade,
        reasons=list(score.reasons),
        criteria=list(score.criteria),
        next_step=score.next_step,
        playbook_version=score.playbook_version,
    )


def lead_score_columns(score: ScoreIn) -> dict[str, Any]:
    """The lead's columns that carry its latest score (set together with every snapshot)."""
    return {
        "grade": score.grade,
        "score": score.score,
        "reasons": list(score.reasons),
        "next_step": score.next_step,
        "playbook_version": score.playbook_version,
    }


def stored_profile(session: Session, lead_id: int) -> dict[str, Any]:
    """The lead's scoring profile from what is stored: latest answer per field, and its website signals."""
    lead = session.get(Lead, lead_id)
    rows = session.execute(
        select(Answer.field, Answer.normalized, Answer.declined)
        .where(Answer.lead_id == lead_id)
        .order_by(Answer.answered_at, Answer.id)
    ).all()
    return scoring_profile(rows, lead.signals if lead is not None else None)
