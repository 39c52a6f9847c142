"""The console's side of the loop with sales: recording outcomes, the follow-ups due per rep, the suggest action.

- `POST /console/leads/{id}/outcome` (sales and marketing): record an outcome for one of the
  lead's meetings, or for the lead (a callback answered, a requalified lead contacted), with
  who (the console user) and when; it lands in the lead's history (bot/outcomes/service.py).
- `GET /console/followup` (sales and marketing): what is due and what is overdue per rep under
  the playbook's SLA (bot/outcomes/sla.py), soonest deadline first, each with its form.
- `POST /console/calibration/suggest` (marketing): a playbook draft that would have matched
  sales' verdicts better on the period's leads (bot/outcomes/calibration.py), opened in the
  playbook's what-if preview; it is applied only by marketing's own "Apply".
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from bot.console.outcomes_view import LEAD_CHOICES, MEETING_CHOICES, choices, reason_choices
from bot.outcomes import outcome_words
from bot.outcomes.calibration import suggest
from bot.outcomes.followup import open_follow_ups
from bot.outcomes.service import OutcomeError, OutcomeIn, record
from bot.outcomes.sla import KINDS, per_rep
from bot.web.console import CONSOLE, _csv, _history, _lead_id, _render, lead
from bot.whatif import what_if

FOLLOWUP_TITLE = "Follow-ups (SLA)"
LIST_LIMIT = 200


def _who(request: web.Request) -> str:
    user = request["user"]
    return f"{user['u']} ({user['r']})"


async def lead_outcome(request: web.Request) -> web.Response:
    """Record an outcome from the lead page or the follow-up page."""
    console = request.app[CONSOLE]
    lead_id = _lead_id(request)
    form = await request.post()
    callback = str(form.get("callback_id") or "")
    item = OutcomeIn(
        outcome=str(form.get("outcome") or ""),
        by=_who(request),
        via="console",
        meeting_uid=str(form.get("meeting_uid") or "") or None,
        lead_id=lead_id,
        callback_id=int(callback) if callback.isdigit() else None,
        reason=str(form.get("reason") or "") or None,
        note=str(form.get("note") or "") or None,
    )
    try:
        done = record(console.sessions, item)
    except OutcomeError as err:
        status = {"invalid": 400, "not_found": 404, "conflict": 409}[err.kind]
        notice = f"Not recorded: {err}."
        if form.get("back") == "followup":
            return await followup(request, notice=notice, status=status)
        return _with_status(await lead(request, notice=notice), status)
    notice = (
        f"Recorded: {outcome_words(done.outcome)}."
        if done.changed
        else f"Nothing changed: the outcome is already {outcome_words(done.current)}."
    )
    if form.get("back") == "followup":
        return await followup(request, notice=notice)
    return await lead(request, notice=notice)


def _with_status(response: web.Response, status: int) -> web.Response:
    response.set_status(status)
    return response


async def followup(request: web.Request, notice: str | None = None, status: int = 200) -> web.Response:
    """Due and overdue follow-ups per rep, and the list, soonest deadline first (`rep=` one rep)."""
    console = request.app[CONSOLE]
    playbook = console.playbook()
    now = datetime.now(timezone.utc)
    rep = request.query.get("rep") or None
    with console.sessions() as session:
        items = open_follow_ups(session, playbook, now)
    shown = [i for i in items if rep is None or i.rep_email == rep]
    counts = per_rep(items, now)

    def name(email: str) -> str:
        found = playbook.booking.rep(email)
        return found.name if found else email

    rows = [
        {
            "kind": item.kind,
            "what": KINDS[item.kind],
            "lead_id": item.lead_id,
            "lead": item.lead_name or item.lead_email or f"lead {item.lead_id}",
            "company": item.company or "",
            "rep": item.rep_email,
            "rep_name": name(item.rep_email),
            "opened_at": item.opened_at.isoformat(),
            "due_at": item.due_at.isoformat(),
            "overdue": item.overdue(now),
            "hours_left": round((item.due_at - now).total_seconds() / 3600, 1),
            "meeting_uid": item.meeting_uid or "",
            "callback_id": item.callback_id or "",
        }
        for item in shown
    ]
    wanted = request.query.get("csv")
    if wanted == "items":
        return _csv("followups", rows)
    if wanted == "per_rep":
        return _csv("followups_per_rep", counts)
    return _render(
        request,
        "console/followup.html",
        status,
        title=FOLLOWUP_TITLE,
        notice=notice,
        per_rep=[{**row, "rep_name": name(row["rep"])} for row in counts],
        rows=rows[:LIST_LIMIT],
        total=len(rows),
        limit=LIST_LIMIT,
        rep=rep or "",
        reps=[(r.email, r.name) for r in playbook.booking.reps],
        sla=playbook.sla,
        meeting_choices=choices(MEETING_CHOICES),
        lead_choices=choices(LEAD_CHOICES),
        reasons=reason_choices(),
    )


def _form_period(form: Any) -> tuple[datetime, datetime]:
    today = date.today()
    try:
        end_day = date.fromisoformat(str(form.get("to"))) if form.get("to") else today
        start_day = (
            date.fromisoformat(str(form.get("from"))) if form.get("from") else end_day - timedelta(days=90)
        )
    except ValueError:
        raise web.HTTPBadRequest(text="from/to must be dates like 2026-11-01") from None
    start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=timezone.utc)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=timezone.utc) + timedelta(days=1)
    return start, end


async def calibration_suggest(request: web.Request) -> web.Response:
    """Propose a draft from sales' verdicts and open it in the what-if preview (never applied here)."""
    console = request.app[CONSOLE]
    form = await request.post()
    start, end = _form_period(form)
    playbook = console.playbook()
    text = console.playbook_path.read_text(encoding="utf-8")
    with console.sessions() as session:
        found = suggest(session, playbook, text, start, end)
        result = what_if(session, found.draft, current=playbook).to_dict(limit=200) if found.draft else None
        history = _history(session)
    return _render(
        request,
        "console/playbook.html",
        title="Playbook and what-if scoring",
        text=found.text or text,
        history=history,
        result=result,
        errors=None,
        notice=found.note,
        suggestions=[s.sentence for s in found.suggestions],
    )


def add_outcome_pages(app: web.Application) -> None:
    """Mount the outcome form, the follow-up page and the suggest action on the console."""
    app.router.add_post("/console/leads/{lead_id}/outcome", lead_outcome)
    app.router.add_get("/console/followup", followup)
    app.router.add_post("/console/calibration/suggest", calibration_suggest)
