"""The messages a booking, reschedule or cancel sends: invites, the rep's brief, webhooks.

Everything is rendered now and stored in the outbox, so the worker only delivers. The
webhook URLs and the signing secret are looked up at delivery time, never stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.booking.display import when
from bot.describe import FIELD_LABELS, describe
from bot.escaping import slack_text
from bot.notify.ical import InviteInfo, build_invite
from bot.store.outbox import OutboxIn

_env = Environment(
    loader=PackageLoader("bot.notify", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["when"] = when

TOPICS = {"booked": "meeting.booked", "rescheduled": "meeting.rescheduled", "cancelled": "meeting.cancelled"}


@dataclass(frozen=True)
class MeetingNotice:
    """Everything the messages about one meeting change say."""

    change: str  # booked | rescheduled | cancelled
    uid: str
    sequence: int
    meeting_type: str
    meeting_label: str
    start: datetime
    end: datetime
    rep_name: str
    rep_email: str
    rep_zone: str
    visitor_name: str | None
    visitor_email: str
    visitor_zone: str
    company: str  # the vendor's name (playbook.company.name)
    reschedule_url: str
    cancel_url: str
    transcript_url: str
    lead: Mapping[str, Any] = field(default_factory=dict)  # lead_to_dict()
    previous_start: datetime | None = None


def brief(lead: Mapping[str, Any]) -> dict[str, Any]:
    """The lead brief: answers as said and normalised, score and why, source."""
    answers = []
    for key, label in FIELD_LABELS.items():
        answer = (lead.get("answers") or {}).get(key)
        if not answer:
            continue
        answers.append(
            {
                "label": label,
                "raw": answer.get("raw") or "",
                "value": "declined" if answer.get("declined") else describe(key, answer.get("normalized")),
            }
        )
    scores = lead.get("score_history") or []
    criteria = scores[-1].get("criteria", []) if scores else []
    conversations = lead.get("conversations") or []
    source = conversations[-1] if conversations else {}
    return {
        "answers": answers,
        "score": lead.get("score"),
        "grade": lead.get("grade"),
        "reasons": lead.get("reasons") or [],
        "playbook_version": lead.get("playbook_version"),
        "criteria": [
            {
                "name": c.get("name"),
                "points": round(float(c.get("points") or 0)),
                "max_points": round(float(c.get("max_points") or 0)),
                "reason": c.get("reason"),
            }
            for c in criteria
        ],
        "page_url": source.get("page_url"),
        "referrer": source.get("referrer"),
        "utm": source.get("utm") or {},
        "email_flag": lead.get("email_flag"),
    }


def _invite(notice: MeetingNotice) -> str:
    return build_invite(
        InviteInfo(
            uid=notice.uid,
            sequence=notice.sequence,
            summary=f"{notice.company}: {notice.meeting_label} with {notice.rep_name}",
            description=(
                f"{notice.meeting_label} with {notice.rep_name} ({notice.rep_email}).\n"
                f"Reschedule: {notice.reschedule_url}\nCancel: {notice.cancel_url}"
            ),
            start=notice.start,
            end=notice.end,
            zone=notice.rep_zone,
            organizer_email=notice.rep_email,
            organizer_name=notice.rep_name,
            attendee_email=notice.visitor_email,
            attendee_name=notice.visitor_name,
            cancelled=notice.change == "cancelled",
        )
    )


def _email(
    notice: MeetingNotice, audience: str, mail_from: str, ics: str, context: dict[str, Any]
) -> dict[str, Any]:
    to = notice.visitor_email if audience == "visitor" else notice.rep_email
    subject = _env.get_template(f"{audience}_meeting.subject.txt").render(**context).strip()
    return {
        "from": mail_from,
        "to": [to],
        "subject": subject,
        "text": _env.get_template(f"{audience}_meeting.txt").render(**context),
        "html": _env.get_template(f"{audience}_meeting.html").render(**context),
        "ics": ics,
        "ics_method": "CANCEL" if notice.change == "cancelled" else "REQUEST",
    }


def event_body(notice: MeetingNotice, event_id: str) -> dict[str, Any]:
    """The generic JSON event (stable shape, documented in the README)."""
    return {
        "id": event_id,
        "type": TOPICS[notice.change],
        "meeting": {
            "uid": notice.uid,
            "sequence": notice.sequence,
            "type": notice.meeting_type,
            "start": notice.start.isoformat(),
            "end": notice.end.isoformat(),
            "previous_start": notice.previous_start.isoformat() if notice.previous_start else None,
            "rep": {"name": notice.rep_name, "email": notice.rep_email},
            "visitor_time_zone": notice.visitor_zone,
        },
        "lead": {
            "id": notice.lead.get("id"),
            "email": notice.visitor_email,
            "name": notice.visitor_name,
            "company_name": notice.lead.get("company_name"),
            "grade": notice.lead.get("grade"),
            "score": notice.lead.get("score"),
            "reasons": notice.lead.get("reasons") or [],
        },
        "transcript_url": notice.transcript_url,
    }


def slack_body(notice: MeetingNotice) -> dict[str, Any]:
    """Slack incoming-webhook JSON."""
    who = slack_text(notice.visitor_name or notice.visitor_email)
    company = slack_text(notice.lead.get("company_name")) if notice.lead.get("company_name") else None
    verb = {"booked": "booked", "rescheduled": "rescheduled", "cancelled": "cancelled"}[notice.change]
    text = (
        f"{notice.meeting_label} {verb}: {who}"
        + (f" ({company})" if company else "")
        + f" with {notice.rep_name}, {when(notice.start, notice.rep_zone, notice.end)}"
        + f" (score {notice.lead.get('score')}, {notice.lead.get('grade')})"
    )
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"<{notice.transcript_url}|Transcript>"}],
            },
        ],
    }


def meeting_messages(
    notice: MeetingNotice,
    *,
    mail_from: str,
    lead_id: int | None,
    slack: bool,
    webhook: bool,
) -> list[OutboxIn]:
    """Invite + confirmation to the visitor, invite + brief to the rep, and the webhooks."""
    ics = _invite(notice)
    context = {"n": notice, "brief": brief(notice.lead)}
    topic = TOPICS[notice.change]
    messages = [
        OutboxIn("email", topic, _email(notice, "visitor", mail_from, ics, context), lead_id),
        OutboxIn("email", topic, _email(notice, "rep", mail_from, ics, context), lead_id),
    ]
    if slack:
        messages.append(OutboxIn("webhook", topic, {"target": "slack", "body": slack_body(notice)}, lead_id))
    if webhook:
        generic = OutboxIn("webhook", topic, {}, lead_id)
        messages.append(
            OutboxIn(
                "webhook",
                topic,
                {"target": "generic", "body": event_body(notice, generic.event_id)},
                lead_id,
                event_id=generic.event_id,
            )
        )
    return messages
