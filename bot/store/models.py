"""Lead-store tables. Schema changes go through Alembic migrations (migrations/)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
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
    utm_source = Column(String(200))
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
    )

    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    field = Column(String(50), nullable=False)
    raw_text = Column(Text, nullable=False, default="")
    normalized = Column(JSON)
    declined = Column(Boolean, nullable=False, default=False)
    answered_at = Column(DateTime(timezone=True), nullable=False)


class ScoreSnapshot(Base):
    """A score as computed at one moment, with the playbook version it used."""

    __tablename__ = "score_snapshots"

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
