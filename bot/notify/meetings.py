"""The messages a booking, reschedule or cancel sends: invites, the rep's brief, webhooks.

Everything is rendered now and stored in the outbox, so the worker only delivers. The
webhook URLs, the signing secret and calendar passwords are looked up at delivery time,
never stored.

Two copies of the invite, one UID: the rep's names the lead and their company and
carries the brief's summary; the visitor's names the rep and the vendor and carries the
visitor's signed reschedule/cancel links (only there). Both say where to meet (the rep's
`meeting_link`) in LOCATION and in the description. A rep with a CalDAV calendar also
gets a "calendar" message: the rep's copy written into (or removed from) that calendar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.booking.display import when
from bot.describe import describe
from bot.escaping import slack_text
from bot.notify.ical import InviteInfo, build_invite
from bot.outcomes import OUTCOME_WORDS
from bot.questions import labels
from bot.store.outbox import OutboxIn, generic_webhook

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
    meeting_link: str | None = None  # the rep's video-meeting URL or phone number
    flags: tuple[str, ...] = ()  # "asked for sales", "returning visitor", ...
    write_to_calendar: bool = False  # the rep has a CalDAV calendar Banter writes into
    # One-click outcome links for the rep (outcome -> signed URL, bot/outcomes/links.py): the brief only.
    outcome_urls: Mapping[str, str] = field(default_factory=dict)


_TITLE_WORDS = 6  # a role answer this short that starts with the title is the title itself


def role_as_typed(answer: Mapping[str, Any] | None) -> str | None:
    """The visitor's title in their own words ("Head of Revenue Operations"), never a shortened one.

    An answer that is the title alone (a button, or typed by itself) is kept whole, as
    typed, unless it is the parser's title in other letters (the parser writes a title
    typed in lower case as a title); inside a sentence, the parser's title is used.
    """
    if not answer or answer.get("declined"):
        return None
    raw = " ".join(str(answer.get("raw") or "").split()).strip(" .,;!")
    title = str((answer.get("normalized") or {}).get("title") or "")
    alone = raw and title and raw.lower().startswith(title.lower()) and len(raw.split()) <= _TITLE_WORDS
    if alone and raw.lower() != title.lower():
        return raw  # more words than the stored title: every word the visitor gave
    return title or raw or None


def size_as_given(answer: Mapping[str, Any] | None) -> str | None:
    """The head count as the visitor gave it: a "201–1000" band stays a band, never its midpoint."""
    if not answer or answer.get("declined"):
        return None
    value = answer.get("normalized") or {}
    low, high = value.get("min"), value.get("max")
    if low and high and low != high:
        return f"{low}–{high}"
    if low and high is None:
        return f"{low}+"
    if value.get("employees"):
        return str(value["employees"])
    return " ".join(str(answer.get("raw") or "").split()) or None


def _said(answers: Mapping[str, Any], key: str) -> str | None:
    answer = answers.get(key)
    if not answer or answer.get("declined") or not answer.get("normalized"):
        return None
    text = describe(key, answer.get("normalized"))
    return None if text in ("not given", "noted in your words", "not sure yet") else text


def summary_line(lead: Mapping[str, Any]) -> str:
    """One line a rep reads first: who, role, company (size, industry, place), grade, need, budget, timeline."""
    answers = lead.get("answers") or {}
    who = str(lead.get("name") or lead.get("email") or "Visitor")
    role = role_as_typed(answers.get("role"))
    company = lead.get("company_name")
    head = who + (f", {role}" if role else "") + (f" at {company}" if company else "")
    size = size_as_given(answers.get("company_size"))
    about = [f"{size} people" if size else None, _said(answers, "industry"), _said(answers, "country")]
    about_text = ", ".join(a for a in about if a)
    if about_text:
        head += f" ({about_text})"
    parts = [head]
    if lead.get("grade"):
        parts.append(f"{lead.get('grade')}, score {lead.get('score')}/100")
    for key, label in (("need", "needs"), ("budget", "budget"), ("timeline", "timeline")):
        said = _said(answers, key)
        if said:
            parts.append(f"{label} {said}")
    return "; ".join(parts)


def where(link: str | None) -> str | None:
    """The line saying where to meet: Join: <url> for a video link, Call: <number> for a phone."""
    if not link:
        return None
    return (
        f"Join: {link}" if link.startswith(("https://", "http://")) else f"Call: {link.removeprefix('tel:')}"
    )


def _understood(key: str, answer: Mapping[str, Any]) -> str:
    if answer.get("declined"):
        return "declined"
    if key == "role":
        return role_as_typed(answer) or describe(key, answer.get("normalized"))
    if key == "company_size" and answer.get("normalized"):
        size = size_as_given(answer)
        return f"{size} people" if size and size != "1" else describe(key, answer.get("normalized"))
    return describe(key, answer.get("normalized"))


def brief(lead: Mapping[str, Any], flags: Sequence[str] = ()) -> dict[str, Any]:
    """The lead brief: a summary line, flags, answers as said and understood, score and why, source."""
    answers = []
    for key, label in labels().items():
        answer = (lead.get("answers") or {}).get(key)
        if not answer:
            continue
        answers.append({"label": label, "raw": answer.get("raw") or "", "value": _understood(key, answer)})
    scores = lead.get("score_history") or []
    criteria = scores[-1].get("criteria", []) if scores else []
    conversations = lead.get("conversations") or []
    source = conversations[-1] if conversations else {}
    return {
        "summary": summary_line(lead),
        "flags": list(flags),
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


def _invite(notice: MeetingNotice, summary: str, description: str, stored: bool = False) -> str:
    return build_invite(
        InviteInfo(
            uid=notice.uid,
            sequence=notice.sequence,
            summary=summary,
            description=description,
            start=notice.start,
            end=notice.end,
            zone=notice.rep_zone,
            organizer_email=notice.rep_email,
            organizer_name=notice.rep_name,
            attendee_email=notice.visitor_email,
            attendee_name=notice.visitor_name,
            cancelled=notice.change == "cancelled",
            location=notice.meeting_link.removeprefix("tel:") if notice.meeting_link else None,
            stored=stored,
        )
    )


def visitor_invite(notice: MeetingNotice) -> str:
    """The visitor's copy: names the rep and the vendor; the only one with the signed links."""
    lines = [
        f"{notice.meeting_label} with {notice.rep_name} ({notice.rep_email}), {notice.company}.",
        where(notice.meeting_link) or f"{notice.rep_name} will send the meeting link.",
        "",
        f"Reschedule: {notice.reschedule_url}",
        f"Cancel: {notice.cancel_url}",
    ]
    summary = f"{notice.company}: {notice.meeting_label} with {notice.rep_name}"
    return _invite(notice, summary, "\n".join(lines))


def _lead_who(notice: MeetingNotice) -> str:
    return notice.visitor_name or notice.visitor_email


def rep_invite(notice: MeetingNotice, stored: bool = False) -> str:
    """The rep's copy: titled with the lead and their company, the brief's summary and flags inside."""
    company = notice.lead.get("company_name")
    summary = (f"{company}: " if company else "") + f"{notice.meeting_label} with {_lead_who(notice)}"
    made = brief(notice.lead, notice.flags)
    lines = [
        f"{notice.meeting_label} with {_lead_who(notice)} <{notice.visitor_email}>"
        + (f" ({company})" if company else "")
        + f", visitor's time zone {notice.visitor_zone}.",
        where(notice.meeting_link) or "No meeting link in the playbook: send the visitor one.",
        "",
        made["summary"],
    ]
    if made["flags"]:
        lines.append("Flags: " + ", ".join(made["flags"]))
    lines += ["", f"Transcript: {notice.transcript_url}"]
    return _invite(notice, summary, "\n".join(lines), stored=stored)


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


def calendar_write(notice: MeetingNotice) -> dict[str, Any]:
    """The "calendar" outbox payload: put the rep's copy into their calendar, or delete it.

    `sequence` lets the sender skip a message that a later change of the same meeting
    superseded (its own message carries the current state), whatever order they arrive in.
    """
    cancelled = notice.change == "cancelled"
    return {
        "rep_email": notice.rep_email,
        "uid": notice.uid,
        "sequence": notice.sequence,
        "action": "delete" if cancelled else "put",
        "ics": None if cancelled else rep_invite(notice, stored=True),
    }


def meeting_messages(
    notice: MeetingNotice,
    *,
    mail_from: str,
    lead_id: int | None,
    slack: bool,
    webhook: bool,
) -> list[OutboxIn]:
    """Invite + confirmation to the visitor, invite + brief to the rep, the rep's calendar, the webhooks."""
    context = {
        "n": notice,
        "brief": brief(notice.lead, notice.flags),
        "where": where(notice.meeting_link),
        "outcomes": [
            (OUTCOME_WORDS[o][:1].upper() + OUTCOME_WORDS[o][1:], url)
            for o, url in notice.outcome_urls.items()
        ],
    }
    topic = TOPICS[notice.change]
    messages = [
        OutboxIn(
            "email", topic, _email(notice, "visitor", mail_from, visitor_invite(notice), context), lead_id
        ),
        OutboxIn("email", topic, _email(notice, "rep", mail_from, rep_invite(notice), context), lead_id),
    ]
    if notice.write_to_calendar:
        messages.append(OutboxIn("calendar", topic, calendar_write(notice), lead_id))
    if slack:
        messages.append(OutboxIn("webhook", topic, {"target": "slack", "body": slack_body(notice)}, lead_id))
    if webhook:
        messages.append(generic_webhook(topic, lambda event_id: event_body(notice, event_id), lead_id))
    return messages
