"""Nurture use cases: enrol (with consent), confirm (double opt-in), unsubscribe, send due steps.

Sending is exactly once: due rows are claimed with `FOR UPDATE SKIP LOCKED`, the lead
row is locked while the frequency cap is checked, and the outbox email is written in
the same transaction that marks the step sent (its event id is unique).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.links import Links
from bot.nurture.policy import LeadState, stop_reason
from bot.nurture.render import render
from bot.nurture.schedule import earliest_send, plan
from bot.playbook import Playbook
from bot.store.meetings import record_event, utc
from bot.store.merge import confirm_candidate
from bot.store.models import Lead, Meeting, NurtureEnrollment, NurtureSend, utcnow
from bot.store.outbox import OutboxIn, enqueue


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class SendPass:
    """What one pass over due steps did."""

    sent: int = 0
    deferred: int = 0
    skipped: int = 0


class NurtureService:
    """Enrolment, confirmation, unsubscribe and due sends for the nurture tracks."""

    def __init__(
        self,
        playbook: Playbook,
        sessions: Callable[[], Session],
        links: Links,
        *,
        mail_from: str,
        public_url: str,
        now: Callable[[], datetime] = _now,
    ) -> None:
        self.playbook = playbook.on_site(public_url)  # links written as paths: pages of this web app
        self.sessions = sessions
        self.links = links
        self.mail_from = mail_from
        self.public_url = public_url
        self.now = now

    # -- links ---------------------------------------------------------------------
    def unsubscribe_url(self, lead_id: int) -> str:
        """One-click unsubscribe link (signed, no expiry beyond the link lifetime)."""
        return f"{self.public_url}/unsubscribe/{self.links.make('unsubscribe', lead_id)}"

    def confirm_url(self, enrollment_id: int) -> str:
        """Double opt-in confirmation link."""
        return f"{self.public_url}/nurture/confirm/{self.links.make('confirm', enrollment_id)}"

    # -- enrolment -----------------------------------------------------------------
    def enroll(
        self,
        session: Session,
        *,
        lead_id: int,
        track: str,
        reason: str | None,
        anchor: date | None,
        time_zone: str | None,
    ) -> NurtureEnrollment | None:
        """Enrol a consenting lead (in the caller's transaction); None when it cannot be."""
        lead = session.get(Lead, lead_id)
        definition = self.playbook.nurture.tracks.get(track)
        address = lead.email or lead.candidate_email if lead is not None else None
        if lead is None or not address or lead.unsubscribed_at is not None or definition is None:
            return None
        if time_zone:
            lead.time_zone = time_zone
        existing = session.execute(
            select(NurtureEnrollment).where(
                NurtureEnrollment.lead_id == lead_id, NurtureEnrollment.track == track
            )
        ).scalar_one_or_none()
        if existing is not None and existing.status in ("active", "pending_confirmation"):
            return existing
        now = self.now()
        # A candidate (someone else's address, not yet confirmed) always confirms first: the
        # confirmation proves the address is theirs and merges them into its lead.
        double = self.playbook.nurture.double_opt_in or lead.email is None
        if existing is None:
            enrollment = NurtureEnrollment(lead_id=lead_id, track=track, reason=reason, enrolled_at=now)
            session.add(enrollment)
        else:  # re-enrolled after a stop: start the track again
            enrollment = existing
            enrollment.enrolled_at, enrollment.stopped_at, enrollment.stop_reason = now, None, None
            session.execute(
                update(NurtureSend)
                .where(NurtureSend.enrollment_id == enrollment.id, NurtureSend.status == "scheduled")
                .values(status="skipped", skip_reason="re-enrolled")
            )
        enrollment.status = "pending_confirmation" if double else "active"
        enrollment.anchor_date = anchor
        session.flush()
        taken = {
            index
            for (index,) in session.execute(
                select(NurtureSend.step_index).where(NurtureSend.enrollment_id == enrollment.id)
            ).all()
        }
        for index, due in plan(definition.steps, now, anchor):
            if index not in taken:
                session.add(
                    NurtureSend(
                        enrollment_id=enrollment.id,
                        lead_id=lead_id,
                        step_index=index,
                        due_at=due,
                        status="scheduled",
                    )
                )
        record_event(
            session=session,
            lead_id=lead_id,
            conversation_id=None,
            kind="nurture_enrolled",
            detail={"track": track, "reason": reason, "double_opt_in": double},
        )
        session.flush()
        if double:
            self._confirmation_email(session, lead, enrollment)
        return enrollment

    def _confirmation_email(self, session: Session, lead: Lead, enrollment: NurtureEnrollment) -> None:
        track = self.playbook.nurture.tracks[enrollment.track]
        first = (lead.name or "").split(" ")[0] or "there"
        url = self.confirm_url(enrollment.id)
        text = (
            f"Hi {first},\n\nPlease confirm you'd like emails from {self.playbook.company.name} about "
            f"{track.topic}:\n\n{url}\n\nIf you didn't ask for this, ignore this email and you won't hear "
            "from us.\n"
        )
        html = Markup(
            "<p>Hi {},</p><p>Please confirm you'd like emails from {} about {}:</p>"
            '<p><a href="{}">Yes, send me these emails</a></p>'
            "<p>If you didn't ask for this, ignore this email and you won't hear from us.</p>"
        ).format(first, self.playbook.company.name, track.topic, url)
        enqueue(
            session=session,
            messages=[
                OutboxIn(
                    "email",
                    "nurture.confirmation",
                    {
                        "from": self.mail_from,
                        "to": [lead.email or lead.candidate_email],
                        "subject": "Please confirm your subscription",
                        "text": text,
                        "html": str(html),
                    },
                    lead.id,
                )
            ],
            now=self.now(),
        )

    def confirm(self, enrollment_id: int) -> bool:
        """Double opt-in confirmed: the track starts. False if it was not waiting."""
        with self.sessions() as session, session.begin():
            enrollment = session.get(NurtureEnrollment, enrollment_id)
            if enrollment is None or enrollment.status != "pending_confirmation":
                return False
            lead = session.get(Lead, enrollment.lead_id)
            if lead is not None and lead.candidate_of_id is not None:
                # the address is theirs after all: the candidate joins its lead (the enrolment moves too)
                confirm_candidate(session, lead.id, by="email_confirmation")
                enrollment = session.get(NurtureEnrollment, enrollment_id)
                assert enrollment is not None  # moved to the lead, not deleted
            enrollment.status, enrollment.confirmed_at = "active", self.now()
            record_event(
                session=session,
                lead_id=enrollment.lead_id,
                conversation_id=None,
                kind="nurture_confirmed",
                detail={"track": enrollment.track},
            )
        return True

    def unsubscribe(self, lead_id: int) -> bool:
        """Stop every track of the lead; False when it was already unsubscribed (or is gone)."""
        with self.sessions() as session, session.begin():
            lead = session.get(Lead, lead_id)
            if lead is None or lead.unsubscribed_at is not None:
                return False
            lead.unsubscribed_at = self.now()
            self._stop_all(session, lead_id, "unsubscribed")
            record_event(
                session=session, lead_id=lead_id, conversation_id=None, kind="unsubscribed", detail={}
            )
        return True

    def _stop_all(self, session: Session, lead_id: int, reason: str) -> None:
        stop_nurture(session, lead_id, reason, self.now())

    # -- sending -------------------------------------------------------------------
    def send_due(self, batch: int = 50) -> SendPass:
        """Send (through the outbox) the steps that are due now; defer what the cap or quiet hours hold back."""
        now = self.now()
        sent = deferred = skipped = 0
        nurture = self.playbook.nurture
        with self.sessions() as session, session.begin():
            rows = (
                session.execute(
                    select(NurtureSend)
                    .join(NurtureEnrollment, NurtureEnrollment.id == NurtureSend.enrollment_id)
                    .where(
                        NurtureSend.status == "scheduled",
                        NurtureSend.due_at <= now,
                        NurtureEnrollment.status == "active",
                    )
                    .order_by(NurtureSend.due_at, NurtureSend.id)
                    .limit(batch)
                    .with_for_update(of=NurtureSend, skip_locked=True)
                )
                .scalars()
                .all()
            )
            for row in rows:
                lead = session.execute(
                    select(Lead).where(Lead.id == row.lead_id).with_for_update()
                ).scalar_one()
                enrollment = session.get(NurtureEnrollment, row.enrollment_id)
                upcoming = session.execute(
                    select(func.count())
                    .select_from(Meeting)
                    .where(Meeting.lead_id == lead.id, Meeting.status == "booked", Meeting.end_at > now)
                ).scalar()
                reason = stop_reason(
                    LeadState(
                        exists=True,
                        unsubscribed_at=lead.unsubscribed_at,
                        bounced_at=lead.bounced_at,
                        grade=lead.grade,
                        has_upcoming_meeting=bool(upcoming),
                        track=enrollment.track,
                        reminder_track=self.playbook.nurture_tracks.get("qualified_no_booking"),
                    )
                )
                track = nurture.tracks.get(enrollment.track)
                if reason is None and (track is None or row.step_index >= len(track.steps)):
                    reason = "track_changed"  # the playbook no longer has this track or step
                if reason:
                    enrollment.status, enrollment.stop_reason, enrollment.stopped_at = "stopped", reason, now
                    self._stop_all(session, lead.id, reason)
                    skipped += 1
                    continue
                last = session.execute(
                    select(func.max(NurtureSend.sent_at)).where(
                        NurtureSend.lead_id == lead.id, NurtureSend.status == "sent"
                    )
                ).scalar()
                zone = lead.time_zone or nurture.default_time_zone
                when = earliest_send(
                    utc(row.due_at),
                    now,
                    utc(last) if last else None,
                    nurture.frequency_cap_days,
                    nurture.quiet_hours,
                    zone,
                )
                if when > now:
                    row.due_at = when
                    deferred += 1
                    continue
                message = self._email(lead, enrollment, row.step_index)
                enqueue(session=session, messages=[message], now=now)
                row.status, row.sent_at, row.event_id = "sent", now, message.event_id
                if track is not None and row.step_index == len(track.steps) - 1:
                    enrollment.status = "completed"
                session.flush()
                sent += 1
        return SendPass(sent, deferred, skipped)

    def _email(self, lead: Lead, enrollment: NurtureEnrollment, index: int) -> OutboxIn:
        track = self.playbook.nurture.tracks[enrollment.track]
        step = track.steps[index]
        unsubscribe = self.unsubscribe_url(lead.id)
        context: dict[str, Any] = {
            "first_name": (lead.name or "").split(" ")[0] or "there",
            "name": lead.name or "",
            "company_name": lead.company_name or "your company",
            "company": self.playbook.company.name,
            "product": self.playbook.company.product,
            "reason": enrollment.reason or "",
            "timeline_date": enrollment.anchor_date.strftime("%-d %B %Y")
            if enrollment.anchor_date
            else "your date",
            "unsubscribe_url": unsubscribe,
            "resources_url": self.playbook.links.resources_url,
        }
        rendered = render(step.subject, step.body, [link.dict() for link in step.links], context)
        return OutboxIn(
            "email",
            "nurture.step",
            {
                "from": self.mail_from,
                "to": [lead.email],
                "subject": rendered.subject,
                "text": rendered.text,
                "html": rendered.html,
                "headers": {
                    "List-Unsubscribe": f"<{unsubscribe}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    "X-Banter-Track": enrollment.track,
                },
            },
            lead.id,
            event_id=f"nurture-{enrollment.id}-{index}",
        )


def stop_nurture(session: Session, lead_id: int, reason: str, now: datetime | None = None) -> None:
    """Stop a lead's nurture for `reason` (booked, requalified, erased...) in the caller's transaction."""
    at = now or utcnow()
    session.execute(
        update(NurtureEnrollment)
        .where(
            NurtureEnrollment.lead_id == lead_id,
            NurtureEnrollment.status.in_(("active", "pending_confirmation")),
        )
        .values(status="stopped", stop_reason=reason, stopped_at=at)
    )
    session.execute(
        update(NurtureSend)
        .where(NurtureSend.lead_id == lead_id, NurtureSend.status == "scheduled")
        .values(status="skipped", skip_reason=reason)
    )
