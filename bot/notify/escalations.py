"""The messages of an SLA escalation: an email, a Slack post and/or a signed webhook to the manager.

Rendered now and stored in the outbox in the transaction that records the breach, so the
worker only delivers (and retries) them; every message of one breach is written once. Lead
names and companies are visitor text: escaped for HTML by Jinja, for Slack by slack_text,
and kept to one line in the email subject.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.booking.display import when
from bot.escaping import slack_text
from bot.outcomes.sla import KINDS, FollowUp
from bot.playbook import EscalationTarget
from bot.store.outbox import OutboxIn, generic_webhook

_env = Environment(
    loader=PackageLoader("bot.notify", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["when"] = when

TOPIC = "sla.breached"


def _duration(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


def _line(text: str | None, limit: int = 80) -> str:
    return " ".join(str(text or "").split())[:limit]


@dataclass(frozen=True)
class Breach:
    """A follow-up past its deadline, with what the messages say about it."""

    item: FollowUp
    rep_name: str
    zone: str  # the owning rep's time zone (UTC for a rep no longer in the playbook)
    manager: str
    target: str  # the SLA target in words ("outcome recorded within 2 days after the meeting")
    console_url: str
    lead_url: str
    now: datetime

    @property
    def late(self) -> str:
        """How long ago it was due."""
        return _duration(self.now - self.item.due_at)


def _context(breach: Breach) -> dict[str, Any]:
    item = breach.item
    return {
        "b": breach,
        "what": KINDS[item.kind],
        "who": _line(item.lead_name or item.lead_email or f"lead {item.lead_id}"),
    }


def slack_body(breach: Breach) -> dict[str, Any]:
    """Slack incoming-webhook JSON: one line naming the manager, the owner and the lead (escaped)."""
    context = _context(breach)
    item = breach.item
    company = f" ({slack_text(_line(item.company))})" if item.company else ""
    text = (
        f"SLA breached, for {slack_text(breach.manager)}: {KINDS[item.kind]} for "
        f"{slack_text(context['who'])}{company}, owner {slack_text(breach.rep_name)}, "
        f"due {when(item.due_at, breach.zone)} ({breach.late} ago)"
    )
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"<{breach.console_url}|Follow-ups>"}],
            },
        ],
    }


def event_body(breach: Breach, event_id: str) -> dict[str, Any]:
    """The generic JSON event `sla.breached` (README, "Webhook events")."""
    item = breach.item
    return {
        "id": event_id,
        "type": TOPIC,
        "breach": {
            "key": item.breach,
            "kind": item.kind,
            "target": breach.target,
            "opened_at": item.opened_at.isoformat(),
            "due_at": item.due_at.isoformat(),
            "rep": {"name": breach.rep_name, "email": item.rep_email},
            "escalated_to": breach.manager,
            "meeting_uid": item.meeting_uid,
        },
        "lead": {
            "id": item.lead_id,
            "email": item.lead_email,
            "name": item.lead_name,
            "company_name": item.company,
        },
        "console_url": breach.console_url,
    }


def escalation_messages(breach: Breach, to: EscalationTarget, *, mail_from: str) -> list[OutboxIn]:
    """The outbox messages for one breach, one per channel of `to.via`."""
    context = _context(breach)
    lead_id = breach.item.lead_id
    messages = []
    if "email" in to.via and to.email:
        subject = _line(_env.get_template("sla_escalation.subject.txt").render(**context), 200)
        messages.append(
            OutboxIn(
                "email",
                TOPIC,
                {
                    "from": mail_from,
                    "to": [to.email],
                    "subject": subject,
                    "text": _env.get_template("sla_escalation.txt").render(**context),
                    "html": _env.get_template("sla_escalation.html").render(**context),
                },
                lead_id,
            )
        )
    if "slack" in to.via:
        messages.append(OutboxIn("webhook", TOPIC, {"target": "slack", "body": slack_body(breach)}, lead_id))
    if "webhook" in to.via:
        messages.append(generic_webhook(TOPIC, lambda event_id: event_body(breach, event_id), lead_id))
    return messages
