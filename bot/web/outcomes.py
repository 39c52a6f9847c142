"""Outcomes from outside the console: the rep's one-click links, and the CRM's signed webhook.

`GET /outcomes/{token}` shows the meeting and a button (mail scanners open links: a GET never
records); its POST records the outcome under the rep the link was sent to, once
(bot/outcomes/links.py). `POST /crm/outcomes` takes the CRM's JSON, signed with
BANTER_CRM_WEBHOOK_SECRET over the raw body (bot/outcomes/crm.py); without the secret the
endpoint does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from bot.describe import reason_words
from bot.links import LinkError, Links
from bot.outcomes import outcome_words
from bot.outcomes.crm import CrmError, parse, verify
from bot.outcomes.links import OutcomeLink, read_outcome_token
from bot.outcomes.service import OutcomeError, OutcomeIn, latest_per_meeting, nonce_outcome, record
from bot.playbook import Playbook
from bot.store.meetings import get_meeting, utc
from bot.store.models import Lead
from bot.vocab import REASONS
from bot.web.app import _link_problem, _page

STATUS = {"invalid": 400, "not_found": 404, "conflict": 409}


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class OutcomeWeb:
    """What the outcome routes need."""

    sessions: Callable[[], Any]
    playbook: Playbook
    links: Links
    crm_secret: str | None = None
    now: Callable[[], datetime] = _now


OUTCOME_WEB: web.AppKey[OutcomeWeb] = web.AppKey("outcome_web", OutcomeWeb)


def _message(title: str, text: str, status: int = 200) -> web.Response:
    return _page("message.html", status, title=title, text=text)


def _form(
    request: web.Request, link: OutcomeLink, notice: str | None = None, status: int = 200, **given: str
) -> web.Response:
    ow = request.app[OUTCOME_WEB]
    with ow.sessions() as session:
        meeting = get_meeting(session=session, uid=link.uid)
        if meeting is None:
            return _message("Meeting not found", "This meeting does not exist any more.", 404)
        lead = session.get(Lead, meeting.lead_id)
        current = latest_per_meeting(session, [meeting.id]).get(meeting.id)
        used, recorded = nonce_outcome(session, link.nonce_key)
    if used:
        done = f" It recorded: {outcome_words(recorded.outcome)}." if recorded is not None else ""
        return _message("This link was already used", "Each outcome link works once." + done, 409)
    if meeting.status != "booked":
        return _message(
            "Meeting cancelled", "This meeting was cancelled: there is no outcome to record.", 409
        )
    rep = ow.playbook.booking.rep(meeting.rep_email)
    kind = ow.playbook.booking.meeting_types.get(meeting.meeting_type)
    return _page(
        "outcome.html",
        status,
        outcome=link.outcome,
        words=outcome_words(link.outcome),
        label=kind.label if kind else meeting.meeting_type,
        who=(lead.name or lead.email) if lead else meeting.attendee_email,
        company=lead.company_name if lead else None,
        start=utc(meeting.start_at),
        end=utc(meeting.end_at),
        zone=rep.time_zone if rep else "UTC",
        current=outcome_words(current.outcome) if current else None,
        reasons=[(code, reason_words(code)) for code in REASONS],
        reason=given.get("reason", ""),
        note=given.get("note", ""),
        rep=link.rep_email,
        notice=notice,
    )


async def outcome_page(request: web.Request) -> web.Response:
    """Show what the link records, with its button."""
    try:
        link = read_outcome_token(request.app[OUTCOME_WEB].links, request.match_info["token"])
    except LinkError as err:
        return _link_problem(err)
    return _form(request, link)


async def outcome_record(request: web.Request) -> web.Response:
    """Record the link's outcome (once) under the rep it was sent to."""
    ow = request.app[OUTCOME_WEB]
    try:
        link = read_outcome_token(ow.links, request.match_info["token"])
    except LinkError as err:
        return _link_problem(err)
    form = await request.post()
    reason, note = str(form.get("reason") or ""), str(form.get("note") or "")
    item = OutcomeIn(
        outcome=link.outcome,
        by=link.rep_email,
        via="email_link",
        meeting_uid=link.uid,
        reason=reason or None,
        note=note or None,
        nonce=link.nonce_key,
    )
    try:
        done = record(ow.sessions, item, ow.now)
    except OutcomeError as err:
        if err.kind == "invalid":
            return _form(request, link, str(err).capitalize() + ".", 400, reason=reason, note=note[:2000])
        return _message("Nothing recorded", str(err).capitalize() + ".", STATUS[err.kind])
    if done.replayed:
        return _message(
            "This link was already used", "Each outcome link works once: nothing was changed.", 409
        )
    if not done.changed:
        return _message(
            "Already recorded",
            f"The meeting's outcome stays {outcome_words(done.current)}. To correct it, use the console.",
        )
    return _message(
        "Outcome recorded",
        f"Recorded: {outcome_words(done.outcome)}. It is in the lead's history with your name and the time.",
    )


async def crm_outcome(request: web.Request) -> web.Response:
    """The CRM's signed outcome: verify the signature over the raw body, then record it."""
    ow = request.app[OUTCOME_WEB]
    if not ow.crm_secret:
        raise web.HTTPNotFound()
    body = await request.read()
    try:
        verify(
            ow.crm_secret,
            request.headers.get("X-Banter-Timestamp"),
            request.headers.get("X-Banter-Signature"),
            body,
            ow.now(),
        )
        done = record(ow.sessions, parse(body), ow.now)
    except CrmError as err:
        return web.json_response({"ok": False, "error": str(err)}, status=err.status)
    except OutcomeError as err:
        return web.json_response({"ok": False, "error": str(err)}, status=STATUS[err.kind])
    return web.json_response(
        {
            "ok": True,
            "lead_id": done.lead_id,
            "meeting_uid": done.meeting_uid,
            "outcome": done.outcome,
            "changed": done.changed,
            "replayed": done.replayed,
            "current": done.current,
        }
    )


def add_outcome_routes(app: web.Application, outcomes: OutcomeWeb) -> None:
    """Mount the one-click outcome links and the CRM webhook."""
    app[OUTCOME_WEB] = outcomes
    app.router.add_get("/outcomes/{token}", outcome_page)
    app.router.add_post("/outcomes/{token}", outcome_record)
    app.router.add_post("/crm/outcomes", crm_outcome)
