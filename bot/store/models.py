"""Lead-store tables. Schema changes go through Alembic migrations (migrations/)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

Base: Any = declarative_base()  # SQLAlchemy 1.4 without the mypy plugin


def utcnow() -> datetime:
    """Timezone-aware now (UTC)."""
    return datetime.now(timezone.utc)


class Lead(Base):
    """A person (and company) who talked to the assistant; one per normalised email."""

    __tablename__ = "leads"
    __table_args__ = (Index("ix_leads_created_grade", "created_at", "grade"),)  # console: weekly counts

    id = Column(Integer, primary_key=True)
    email = Column(String(320), unique=True, nullable=True)
    name = Column(String(200))
    company_name = Column(String(200))
    grade = Column(String(20), index=True)
    score = Column(Integer)
    reasons = Column(JSON, nullable=False, default=list)
    next_step = Column(String(30))
    playbook_version = Column(String(80))
    email_flag = Column(String(30))
    nurture_track = Column(String(50))
    time_zone = Column(String(64))
    # Website behaviour the last score counted ({"pages": {signal: visits}}): re-scores read it too.
    signals = Column(JSON)
    # The A/B variants this lead saw ({question, "greeting" or "proactive:<path>": variant id}).
    variants = Column(JSON)
    visitor_id = Column(String(100), index=True)
    referred_by_id = Column(
        Integer, ForeignKey("leads.id", ondelete="SET NULL", name="fk_leads_referred_by_id")
    )
    # A conversation that ended with another lead's email, before the address was confirmed:
    # kept apart, linked to that lead, merged into it when the address is confirmed.
    candidate_of_id = Column(
        Integer, ForeignKey("leads.id", ondelete="SET NULL", name="fk_leads_candidate_of_id"), index=True
    )
    candidate_email = Column(String(320))
    unsubscribed_at = Column(DateTime(timezone=True))
    bounced_at = Column(DateTime(timezone=True))
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    conversations = relationship("Conversation", back_populates="lead", order_by="Conversation.id")


class Conversation(Base):
    """One Rasa conversation (sender id) and where it came from."""

    __tablename__ = "conversations"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), unique=True, nullable=False)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="SET NULL"), index=True)
    channel = Column(String(50))
    started_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    page_url = Column(Text)
    referrer = Column(Text)
    utm_source = Column(String(200), index=True)
    utm_medium = Column(String(200))
    utm_campaign = Column(String(200))
    utm_term = Column(String(200))
    utm_content = Column(String(200))
    extra = Column("metadata", JSON, nullable=False, default=dict)

    lead = relationship("Lead", back_populates="conversations")


class Answer(Base):
    """One answer as given: raw text, normalised value, when."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("conversation_id", "field", "answered_at", name="uq_answers_conversation_field_at"),
        Index("ix_answers_lead_field", "lead_id", "field"),
        Index(
            "ix_answers_answered_field", "answered_at", "field", "declined"
        ),  # console: per-question counts
    )

    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    field = Column(String(50), nullable=False)
    raw_text = Column(Text, nullable=False, default="")
    normalized = Column(JSON)
    declined = Column(Boolean, nullable=False, default=False)
    answered_at = Column(DateTime(timezone=True), nullable=False)
    variant = Column(String(50))  # the A/B wording of the question the visitor saw, if it had variants


class ScoreSnapshot(Base):
    """A score as computed at one moment, with the playbook version it used."""

    __tablename__ = "score_snapshots"
    __table_args__ = (Index("ix_score_snapshots_created_grade", "created_at", "grade"),)

    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="SET NULL"))
    score = Column(Integer, nullable=False)
    grade = Column(String(20), nullable=False)
    reasons = Column(JSON, nullable=False, default=list)
    criteria = Column(JSON, nullable=False, default=list)
    next_step = Column(String(30), nullable=False)
    playbook_version = Column(String(80), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Consent(Base):
    """Consent given or refused, with the version of the text shown."""

    __tablename__ = "consents"
    __table_args__ = (
        UniqueConstraint("lead_id", "purpose", "recorded_at", name="uq_consents_lead_purpose_at"),
    )

    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="SET NULL"))
    purpose = Column(String(50), nullable=False)
    granted = Column(Boolean, nullable=False)
    text_version = Column(String(80), nullable=False)
    channel = Column(String(50))
    recorded_at = Column(DateTime(timezone=True), nullable=False)


class LeadEvent(Base):
    """Something that happened to a lead (booked, declined a meeting, callback asked...)."""

    __tablename__ = "lead_events"
    __table_args__ = (Index("ix_lead_events_kind_created", "kind", "created_at"),)

    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="SET NULL"))
    kind = Column(String(50), nullable=False)
    detail = Column(JSON, nullable=False, default=dict)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)


class Meeting(Base):
    """A booked sales meeting. `uid` is the iCalendar UID; `sequence` bumps on every change."""

    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_rep_start", "rep_email", "start_at"),)

    id = Column(Integer, primary_key=True)
    uid = Column(String(100), unique=True, nullable=False)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="SET NULL"))
    meeting_type = Column(String(50), nullable=False)
    rep_email = Column(String(320), nullable=False)
    route_reason = Column(String(30), nullable=False)
    start_at = Column(DateTime(timezone=True), nullable=False)
    end_at = Column(DateTime(timezone=True), nullable=False)
    buffer_minutes = Column(Integer, nullable=False, default=0)
    visitor_time_zone = Column(String(64), nullable=False)
    attendee_email = Column(String(320), nullable=False)
    attendee_name = Column(String(200))
    status = Column(String(20), nullable=False, default="booked", index=True)
    sequence = Column(Integer, nullable=False, default=0)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)
    cancelled_at = Column(DateTime(timezone=True))


class MeetingBlock(Base):
    """A 5-minute block of a rep's time held by a meeting (meeting plus buffer).

    The unique key on (rep_email, block) is what makes a double booking impossible,
    whatever the number of processes: two overlapping meetings would share a block.
    """

    __tablename__ = "meeting_blocks"
    __table_args__ = (UniqueConstraint("rep_email", "block", name="uq_meeting_blocks_rep_block"),)

    id = Column(Integer, primary_key=True)
    meeting_id = Column(Integer, ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True)
    rep_email = Column(String(320), nullable=False)
    block = Column(BigInteger, nullable=False)  # minutes since the Unix epoch // 5


class RepAssignment(Base):
    """How many meetings of a type each rep has been given (round-robin fairness)."""

    __tablename__ = "rep_assignments"

    meeting_type = Column(String(50), primary_key=True)
    rep_email = Column(String(320), primary_key=True)
    count = Column(Integer, nullable=False, default=0)


class CallbackRequest(Base):
    """A visitor who found no suitable time asked sales to call or write back."""

    __tablename__ = "callback_requests"

    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="SET NULL"))
    meeting_type = Column(String(50), nullable=False)
    preference = Column(Text, nullable=False, default="")
    visitor_time_zone = Column(String(64))
    status = Column(String(20), nullable=False, default="open")
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class OutboxMessage(Base):
    """An email or webhook to deliver, written in the same transaction as its cause.

    The worker claims due rows, delivers them and marks them sent; `event_id` is unique
    and travels with the message, so a receiver can drop a repeat.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id = Column(Integer, primary_key=True)
    event_id = Column(String(64), unique=True, nullable=False)
    kind = Column(String(20), nullable=False)  # email | webhook
    topic = Column(String(50), nullable=False)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    payload = Column(JSON, nullable=False)
    status = Column(String(20), nullable=False, default="pending")  # pending | sent | failed
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    lease_until = Column(DateTime(timezone=True))
    last_error = Column(Text)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    sent_at = Column(DateTime(timezone=True))


class NurtureEnrollment(Base):
    """A lead on a nurture track (one row per lead and track)."""

    __tablename__ = "nurture_enrollments"
    __table_args__ = (UniqueConstraint("lead_id", "track", name="uq_nurture_enrollments_lead_track"),)

    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True)
    track = Column(String(50), nullable=False)
    reason = Column(String(30))
    status = Column(String(30), nullable=False)  # pending_confirmation | active | stopped | completed
    anchor_date = Column(Date)  # the timeline date the lead gave, for steps relative to it
    enrolled_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    confirmed_at = Column(DateTime(timezone=True))
    stopped_at = Column(DateTime(timezone=True))
    stop_reason = Column(String(30))


class NurtureSend(Base):
    """One step of an enrolment, scheduled, then sent (or skipped) exactly once."""

    __tablename__ = "nurture_sends"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "step_index", name="uq_nurture_sends_enrollment_step"),
        Index("ix_nurture_sends_due", "status", "due_at"),
    )

    id = Column(Integer, primary_key=True)
    enrollment_id = Column(Integer, ForeignKey("nurture_enrollments.id", ondelete="CASCADE"), nullable=False)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True)
    step_index = Column(Integer, nullable=False)
    due_at = Column(DateTime(timezone=True), nullable=False)
    status = Column(String(20), nullable=False, default="scheduled")  # scheduled | sent | skipped
    sent_at = Column(DateTime(timezone=True))
    event_id = Column(String(64))
    skip_reason = Column(String(30))


class ErasureReceipt(Base):
    """Proof that an erasure happened; holds no personal data (counts only)."""

    __tablename__ = "erasure_receipts"

    id = Column(Integer, primary_key=True)
    erased_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    counts = Column(JSON, nullable=False, default=dict)


class JobRun(Base):
    """A periodic job's run for one day; the primary key lets exactly one worker run it."""

    __tablename__ = "job_runs"

    job = Column(String(50), primary_key=True)
    run_date = Column(Date, primary_key=True)
    started_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    result = Column(JSON, nullable=False, default=dict)


class PlaybookVersion(Base):
    """A playbook as applied from the console or the CLI: who, when, and the full text."""

    __tablename__ = "playbook_versions"

    id = Column(Integer, primary_key=True)
    version = Column(String(80), nullable=False)
    text = Column(Text, nullable=False)
    applied_by = Column(String(100), nullable=False)
    applied_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    changed_grades = Column(JSON, nullable=False, default=dict)


class CalendarHealth(Base):
    """The latest read of a rep's own calendar, for the console: which failed, and since when.

    Written by whichever process read the calendar (bot.booking.calendars.CalendarBusy).
    """

    __tablename__ = "calendar_health"

    rep_email = Column(String(320), primary_key=True)
    source = Column(String(500), nullable=False)  # "CalDAV <url>" or the feed's host: never a secret
    checked_at = Column(DateTime(timezone=True), nullable=False)
    ok_at = Column(DateTime(timezone=True))  # the last good read
    failing_since = Column(DateTime(timezone=True))  # None while reads succeed
    error = Column(Text)


class SalesOutcome(Base):
    """What sales says happened to a lead it received: held, no-show, accepted, rejected (why), won, lost.

    One row per recording (a correction is a new row; the latest counts).
    """

    __tablename__ = "sales_outcomes"
    __table_args__ = (Index("ix_sales_outcomes_lead_recorded", "lead_id", "recorded_at"),)

    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False)
    meeting_id = Column(Integer, ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    callback_id = Column(Integer, ForeignKey("callback_requests.id", ondelete="SET NULL"))
    outcome = Column(String(20), nullable=False)
    reason = Column(String(30))  # bot.vocab.REASONS (a rejection or a loss); free text goes in `note`
    note = Column(Text)
    via = Column(String(20), nullable=False)  # console | email_link | crm
    recorded_by = Column(String(320), nullable=False)
    recorded_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class UsedNonce(Base):
    """A one-click outcome link or a CRM event id, used once: the primary key refuses a second use."""

    __tablename__ = "used_nonces"

    nonce = Column(String(120), primary_key=True)  # "link:<nonce>" | "crm:<event id>"
    used_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    outcome_id = Column(Integer, ForeignKey("sales_outcomes.id", ondelete="CASCADE"))


class SlaEscalation(Base):
    """One breached follow-up target, escalated once: the unique `breach` key is what makes it once."""

    __tablename__ = "sla_escalations"

    id = Column(Integer, primary_key=True)
    breach = Column(String(120), unique=True, nullable=False)  # "<kind>:<id>", bot/outcomes/sla.py
    kind = Column(String(30), nullable=False)  # callback | outcome | requalified
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True)
    rep_email = Column(String(320), nullable=False)
    due_at = Column(DateTime(timezone=True), nullable=False)
    escalated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    escalated_to = Column(String(320), nullable=False)
