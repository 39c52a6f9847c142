"""The console (aiohttp routes under /console): login, overview, leads, meetings, playbook what-if.

Access: a signed session cookie (bot.console.auth) set at login and revoked on the
server at logout; failed logins are throttled (429 with Retry-After); every POST carries
the session's CSRF token; the sales role sees leads and meetings only, read-only, and
cannot download a lead's full export or any CSV (marketing only).
Personal data never goes to the logs (no access log, no emails in log lines).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import redis
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.console import lead_view, meetings_view, queries
from bot.console.auth import SESSION_SECONDS, LoginThrottle, Sessions, User
from bot.console.outcomes_view import outcome_panel
from bot.console.overview import overview_figures
from bot.describe import reason_words
from bot.escaping import csv_cell
from bot.playbook import Playbook, PlaybookError, load_playbook, parse_playbook
from bot.privacy import erase_person, export_person
from bot.questions import labels
from bot.ratelimit import client_address as shared_client_address
from bot.scoring import score_lead
from bot.store.calendars import failing_calendars
from bot.store.meetings import record_event
from bot.store.models import Lead, NurtureEnrollment, PlaybookVersion
from bot.store.repository import lead_to_dict, record_score, stored_profile
from bot.transcripts import Line
from bot.vocab import GRADES, REASONS
from bot.whatif import save_playbook, what_if

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SALES_PATHS = ("/console/leads", "/console/meetings", "/console/followup", "/console/logout", "/console/")
# What sales may post besides logging out: an outcome of a lead it received (bot/web/console_outcomes.py).
SALES_POSTS = re.compile(r"^/console/leads/[^/]+/outcome$")
# Everything held about a person (answers, transcripts, consent, meetings): marketing only.
MARKETING_ONLY = re.compile(r"^/console/leads/[^/]+/export/?$")
# Every CSV download (the leads list holds up to 10,000 leads' names and emails): marketing only.
# Sales works in the pages (README, "The console": the role table).
CSV_DENIED = "the sales role cannot download lists as CSV: ask marketing (the pages show what sales needs)"


@dataclass
class Console:
    """What the console needs."""

    sessions: Callable[[], Session]
    tracker: Engine | None
    playbook_path: Path
    users: dict[str, User]
    cookies: Sessions
    transcripts: Callable[[str], list[Line]]
    secure_cookies: bool = False
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    # Behind a reverse proxy every request comes from the proxy: then the client's address
    # is the last one in X-Forwarded-For (the one the proxy saw). Only set it behind a proxy.
    behind_proxy: bool = False
    _cached: tuple[int, Playbook] | None = None

    def playbook(self) -> Playbook:
        """The playbook as it is on disk now (parsed again only when the file changed)."""
        stamp = self.playbook_path.stat().st_mtime_ns
        if self._cached is None or self._cached[0] != stamp:
            self._cached = (stamp, load_playbook(self.playbook_path))
        return self._cached[1]


CONSOLE: web.AppKey[Console] = web.AppKey("console", Console)


def _render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    from bot.web.app import _page  # one Jinja environment for the whole web app

    return _page(template, status, user=request.get("user"), **context)


def _csv(name: str, rows: list[dict[str, Any]]) -> web.Response:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({key: csv_cell(value) for key, value in row.items()} for row in rows)
    return web.Response(
        text=buffer.getvalue(),
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _period(request: web.Request, days: int = 90) -> tuple[datetime, datetime, str, str]:
    today = date.today()
    try:
        end_day = date.fromisoformat(request.query.get("to") or "") if request.query.get("to") else today
        start_day = (
            date.fromisoformat(request.query["from"])
            if request.query.get("from")
            else end_day - timedelta(days=days)
        )
    except ValueError:
        raise web.HTTPBadRequest(text="from/to must be dates like 2026-11-01") from None
    start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=timezone.utc)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=timezone.utc) + timedelta(days=1)
    return start, end, start_day.isoformat(), end_day.isoformat()


@web.middleware
async def access(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Login required under /console; roles; CSRF on every POST."""
    if not request.path.startswith("/console"):
        return await handler(request)
    console = request.app[CONSOLE]
    if request.path == "/console/login":
        return await handler(request)
    session = console.cookies.read(request.cookies.get(Sessions.cookie))
    if session is None:
        if request.method == "GET":
            raise web.HTTPFound("/console/login?" + urlencode({"next": request.path_qs}))
        raise web.HTTPForbidden(text="log in first")
    request["user"] = session
    if session["r"] == "sales":
        if MARKETING_ONLY.match(request.path):
            raise web.HTTPForbidden(
                text="the sales role cannot download a lead's full export: ask marketing "
                "(the lead page shows what sales needs)"
            )
        if "csv" in request.query:
            raise web.HTTPForbidden(text=CSV_DENIED)
        allowed = request.path == "/console/" or any(
            request.path.startswith(p) for p in SALES_PATHS if p != "/console/"
        )
        posts = request.path == "/console/logout" or SALES_POSTS.match(request.path)
        if not allowed or (request.method == "POST" and not posts):
            raise web.HTTPForbidden(text="the sales role can read leads and meetings only")
    if request.method == "POST":
        form = await request.post()
        if not secrets.compare_digest(str(form.get("csrf") or ""), str(session["c"])):
            raise web.HTTPForbidden(text="the form is missing its CSRF token or it is stale: reload the page")
    return await handler(request)


def _login_form(request: web.Request, status: int = 200, error: str | None = None) -> web.Response:
    """The login form with a fresh double-submit CSRF token in a cookie."""
    token = secrets.token_urlsafe(24)
    response = _render(request, "console/login.html", status, title="Log in", csrf=token, error=error)
    response.set_cookie(
        "banter_login_csrf",
        token,
        httponly=True,
        samesite="Strict",
        secure=request.app[CONSOLE].secure_cookies,
    )
    return response


async def login_page(request: web.Request) -> web.Response:
    """The login form."""
    return _login_form(request)


def client_address(request: web.Request, behind_proxy: bool) -> str:
    """The address a login attempt came from (what the proxy saw, when behind one)."""
    return shared_client_address(request.remote, request.headers.getall("X-Forwarded-For", []), behind_proxy)


async def login(request: web.Request) -> web.Response:
    """Check the credentials (unless too many failed lately); issue the session cookie."""
    console = request.app[CONSOLE]
    form = await request.post()
    if not secrets.compare_digest(
        str(form.get("csrf") or "x"), request.cookies.get("banter_login_csrf") or "y"
    ):
        raise web.HTTPForbidden(text="the login form expired: reload the page")
    name, address = str(form.get("username") or ""), client_address(request, console.behind_proxy)
    try:
        wait = console.throttle.retry_after(address, name)
    except redis.RedisError as err:
        logger.error("console: the login throttle's store is unreachable (%s)", type(err).__name__)
        raise web.HTTPServiceUnavailable(
            text="logging in is unavailable for a moment: try again soon"
        ) from None
    if wait is not None:
        logger.warning("console: login throttled")
        response = _login_form(
            request,
            429,
            f"Too many failed logins from here or for this user. Try again in {wait} seconds.",
        )
        response.headers["Retry-After"] = str(wait)
        return response
    user = console.users.get(name)
    if user is None or not user.check(str(form.get("password") or "")):
        logger.warning("console: failed login")
        console.throttle.failed(address, name)
        return _login_form(request, 401, "Wrong user name or password.")
    target = str(request.query.get("next") or "/console/")
    if not target.startswith("/console"):
        target = "/console/"
    response = web.HTTPFound(target)
    response.set_cookie(
        Sessions.cookie,
        console.cookies.issue(user),
        httponly=True,
        samesite="Lax",
        secure=console.secure_cookies,
        max_age=SESSION_SECONDS,
    )
    raise response


async def logout(request: web.Request) -> web.Response:
    """End the session on the server (a copy of the cookie stops working), then in the browser."""
    request.app[CONSOLE].cookies.revoke(request["user"])
    response = web.HTTPFound("/console/login")
    response.del_cookie(Sessions.cookie)
    raise response


async def home(request: web.Request) -> web.Response:
    """Marketing lands on the overview, sales on the meetings."""
    raise web.HTTPFound("/console/overview" if request["user"]["r"] == "marketing" else "/console/meetings")


#: name -> (title, what it counts, columns shown; the CSV has every key of the rows).
OVERVIEW_TABLES: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "funnel": (
        "Funnel",
        "Conversations whose first message is in the period, then the leads created in it and their "
        "meetings booked (not cancelled).",
        [("step", "Step"), ("count", "Count")],
    ),
    "reasons": (
        "Disqualification and nurture reasons",
        "Nurture and disqualified leads created in the period: the primary reason, and every reason listed.",
        [("label", "Reason"), ("primary", "Primary"), ("all", "All")],
    ),
    "weekly": (
        "Per week: qualified, nurture, disqualified",
        "Leads created each week (from its Monday), by their grade now.",
        [
            ("week", "Week of"),
            ("leads", "Leads"),
            ("qualified", "Qualified"),
            ("nurture", "Nurture"),
            ("disqualified", "Disqualified"),
            ("disqualified_pct", "% disqualified"),
        ],
    ),
    "sources": (
        "Lead sources",
        "Leads created in the period by the source of their first conversation; meetings booked by them.",
        [
            ("source", "Source"),
            ("campaign", "Campaign"),
            ("referrer", "Referrer"),
            ("leads", "Leads"),
            ("qualified", "Qualified"),
            ("qualified_rate_pct", "% qualified"),
            ("meetings", "Meetings"),
            ("cost", "Cost"),
            ("cost_per_qualified", "Cost per qualified"),
            ("accepted", "Sales-accepted"),
            ("cost_per_accepted", "Cost per sales-accepted"),
        ],
    ),
    "sales_verdicts": (
        "Sales' verdicts by Banter's grade",
        "Leads created in the period that sales accepted or rejected (their latest verdict; won and lost "
        "count as accepted), by the grade Banter gave them at hand-off. For qualified, % accepted is the "
        "precision of the grade.",
        [
            ("grade", "Grade at hand-off"),
            ("verdicts", "With a verdict"),
            ("accepted", "Accepted"),
            ("rejected", "Rejected"),
            ("accepted_pct", "% accepted"),
        ],
    ),
    "rejections": (
        "Why sales rejected leads",
        "Leads created in the period whose verdict is a rejection, by the reason sales gave (the "
        "disqualification reasons; a note without a reason apart).",
        [("label", "Reason"), ("rejected", "Rejected")],
    ),
    "criteria_acceptance": (
        "Criteria and sales' verdicts",
        "Leads with a verdict by how each criterion stood at hand-off, and the share sales accepted.",
        [
            ("label", "Criterion"),
            ("met", "Met"),
            ("met_accepted_pct", "% accepted"),
            ("not_met", "Missed or partly met"),
            ("not_met_accepted_pct", "% accepted"),
            ("unknown", "Unknown"),
            ("unknown_accepted_pct", "% accepted"),
        ],
    ),
    "reps": (
        "Meetings per rep",
        "Meetings of the leads created in the period: booked (upcoming or held; of those, rescheduled), "
        "and cancelled.",
        [("rep", "Rep"), ("booked", "Booked"), ("rescheduled", "Rescheduled"), ("cancelled", "Cancelled")],
    ),
    "questions": (
        "Per question",
        "Conversations whose first message is in the period. Asked, answered, declined and stopped here "
        "count conversations; re-prompts and \u201cwhy do you ask?\u201d count times.",
        [
            ("label", "Question"),
            ("asked", "Asked"),
            ("answered", "Answered"),
            ("declined", "Declined"),
            ("stopped_here", "Stopped here"),
            ("reprompts", "Re-prompts"),
            ("why_asked", "\u201cWhy do you ask?\u201d"),
            ("median_time_to_answer", "Median time to answer"),
        ],
    ),
}
WIDE_TABLES = ("sources", "questions", "criteria_acceptance")


async def overview(request: web.Request) -> web.Response:
    """Funnel, reasons, sources, weekly conversion, requalification, meetings per rep, question health."""
    console = request.app[CONSOLE]
    start, end, start_text, end_text = _period(request)
    data = await overview_figures(
        console.sessions, console.tracker, console.playbook(), start, end, datetime.now(timezone.utc)
    )
    requal = data.pop("requalification")
    calibration = data.pop("calibration")
    wanted = request.query.get("csv")
    if wanted:
        if wanted == "requalification":
            return _csv("requalification", [requal])
        if wanted == "calibration":
            return _csv("calibration", [calibration])
        if wanted not in data:
            raise web.HTTPNotFound(text=f"no table {wanted!r}")
        return _csv(wanted, data[wanted])
    base = {"from": start_text, "to": end_text}
    tables = [
        {
            "name": name,
            "title": title,
            "note": note,
            "columns": columns,
            "rows": data[name],
            "csv": "/console/overview?" + urlencode({**base, "csv": name}),
            "chart": name in ("funnel", "reasons", "weekly"),
            "wide": name in WIDE_TABLES,
        }
        for name, (title, note, columns) in OVERVIEW_TABLES.items()
    ]
    charts = [
        {
            "name": "funnel",
            "type": "bar",
            "data": {
                "labels": [r["step"] for r in data["funnel"]],
                "datasets": [{"label": "count", "data": [r["count"] for r in data["funnel"]]}],
            },
        },
        {
            "name": "reasons",
            "type": "bar",
            "data": {
                "labels": [r["label"] for r in data["reasons"]],
                "datasets": [
                    {"label": "primary", "data": [r["primary"] for r in data["reasons"]]},
                    {"label": "all", "data": [r["all"] for r in data["reasons"]]},
                ],
            },
        },
        {
            "name": "weekly",
            "type": "line",
            "data": {
                "labels": [r["week"] for r in data["weekly"]],
                "datasets": [
                    {"label": key, "data": [r[key] for r in data["weekly"]]}
                    for key in ("qualified", "nurture", "disqualified")
                ],
            },
        },
    ]
    lead_total = sum(r["leads"] for r in data["weekly"])
    dq = sum(r["disqualified"] for r in data["weekly"])
    requal_view = {**requal, "rate_pct": "n/a" if requal["rate"] is None else f"{100 * requal['rate']:.1f}%"}
    return _render(
        request,
        "console/overview.html",
        title="Overview",
        tables=tables,
        charts_json=json.dumps(charts).replace("</", "<\\/"),
        start=start_text,
        end=end_text,
        lead_total=lead_total,
        dq_pct=round(100 * dq / lead_total, 1) if lead_total else 0.0,
        requal=requal_view,
        calibration=calibration,
    )


async def leads(request: web.Request) -> web.Response:
    """Leads with filters and search."""
    console = request.app[CONSOLE]
    f = {
        k: request.query.get(k) or None
        for k in ("q", "grade", "reason", "source", "rep", "track", "from", "to")
    }
    try:
        start = datetime.fromisoformat(f["from"]).replace(tzinfo=timezone.utc) if f["from"] else None
        end = (
            datetime.fromisoformat(f["to"]).replace(tzinfo=timezone.utc) + timedelta(days=1)
            if f["to"]
            else None
        )
        page = max(1, int(request.query.get("page") or 1))
    except ValueError:
        raise web.HTTPBadRequest(text="from/to must be dates like 2026-11-01, page a number") from None
    csv_wanted = request.query.get("csv") == "1"
    size = 10000 if csv_wanted else 50
    with console.sessions() as session:
        total, rows = queries.leads_page(
            session,
            grade=f["grade"],
            reason=f["reason"],
            source=f["source"],
            rep=f["rep"],
            track=f["track"],
            start=start,
            end=end,
            search=f["q"],
            page=page,
            size=size,
        )
    if csv_wanted:
        return _csv("leads", rows)
    query = {k: v for k, v in f.items() if v}
    return _render(
        request,
        "console/leads.html",
        title="Leads",
        rows=rows,
        total=total,
        f=f,
        grades=GRADES,
        reasons=REASONS,
        reason_words=reason_words,
        page=page,
        size=size,
        csv_url="/console/leads?" + urlencode({**query, "csv": "1"}),
        prev_url="/console/leads?" + urlencode({**query, "page": page - 1}),
        next_url="/console/leads?" + urlencode({**query, "page": page + 1}),
    )


def _lead_id(request: web.Request) -> int:
    try:
        return int(request.match_info["lead_id"])
    except ValueError:
        raise web.HTTPNotFound(text="no such lead") from None


async def lead(request: web.Request, notice: str | None = None) -> web.Response:
    """One lead: answers, score explanation, transcript, booking, nurture, consent, history."""
    console = request.app[CONSOLE]
    lead_id = _lead_id(request)
    with console.sessions() as session:
        row = session.get(Lead, lead_id)
        if row is None:
            raise web.HTTPNotFound(text="no such lead")
        data = lead_to_dict(session, row)
        enrolments = (
            session.execute(select(NurtureEnrollment).where(NurtureEnrollment.lead_id == lead_id))
            .scalars()
            .all()
        )
        panel = outcome_panel(session, lead_id, console.playbook())
    criteria = data["score_history"][-1]["criteria"] if data["score_history"] else []
    transcript = [line for c in data["conversations"] for line in console.transcripts(c["sender_id"])]
    return _render(
        request,
        "console/lead.html",
        title=f"Lead {lead_id}",
        lead=data,
        answers=lead_view.answer_rows(data["answers"], labels(console.playbook().question_registry())),
        reasons=lead_view.reasons_in_words(data["reasons"]),
        criteria=[{**c, "name": lead_view.criterion_name(str(c.get("name") or ""))} for c in criteria],
        events=[{"at": e["at"], **lead_view.event_row(e["kind"], e["detail"])} for e in data["events"]],
        enrolments=enrolments,
        transcript=transcript,
        grades=GRADES,
        notice=notice,
        outcome_panel=panel,
    )


async def lead_requalify(request: web.Request) -> web.Response:
    """Re-score one lead now against the current playbook."""
    console = request.app[CONSOLE]
    lead_id = _lead_id(request)
    playbook = console.playbook()
    with console.sessions() as session, session.begin():
        row = session.get(Lead, lead_id)
        if row is None:
            raise web.HTTPNotFound(text="no such lead")
        result = score_lead(stored_profile(session, lead_id), playbook)
        if row.grade != result.grade:
            record_event(
                session=session,
                lead_id=lead_id,
                conversation_id=None,
                kind="requalified" if result.grade == "qualified" and row.grade == "nurture" else "rescored",
                detail={"from": row.grade, "to": result.grade, "by": request["user"]["u"]},
            )
        old = row.grade
        record_score(session=session, lead=row, result=result)
    return await lead(request, notice=f"Re-scored: {old} -> {result.grade} ({result.score}).")


async def lead_grade(request: web.Request) -> web.Response:
    """Change the grade by hand; the note is required and recorded with who did it."""
    console = request.app[CONSOLE]
    lead_id = _lead_id(request)
    form = await request.post()
    grade, note = str(form.get("grade") or ""), str(form.get("note") or "").strip()
    if grade not in GRADES:
        raise web.HTTPBadRequest(text=f"grade must be one of {', '.join(GRADES)}")
    if len(note) < 3:
        raise web.HTTPBadRequest(text="a note saying why is required")
    with console.sessions() as session, session.begin():
        row = session.get(Lead, lead_id)
        if row is None:
            raise web.HTTPNotFound(text="no such lead")
        record_event(
            session=session,
            lead_id=lead_id,
            conversation_id=None,
            kind="grade_changed_by_hand",
            detail={"from": row.grade, "to": grade, "note": note[:1000], "by": request["user"]["u"]},
        )
        row.grade = grade
    return await lead(request, notice=f"Grade changed to {grade}.")


async def lead_export(request: web.Request) -> web.Response:
    """Everything about the lead's person, as JSON."""
    console = request.app[CONSOLE]
    with console.sessions() as session:
        row = session.get(Lead, _lead_id(request))
        if row is None:
            raise web.HTTPNotFound(text="no such lead")
        data = export_person(session, row.email, console.tracker) if row.email else lead_to_dict(session, row)
    return web.json_response(data, dumps=lambda d: json.dumps(d, default=str, indent=2))


async def lead_erase(request: web.Request) -> web.Response:
    """Erase the person (a receipt without personal data is kept)."""
    console = request.app[CONSOLE]
    with console.sessions() as session, session.begin():
        row = session.get(Lead, _lead_id(request))
        if row is None:
            raise web.HTTPNotFound(text="no such lead")
        if row.email:
            erase_person(session, row.email, console.tracker)
        else:
            session.delete(row)
    raise web.HTTPFound("/console/leads")


async def meetings(request: web.Request) -> web.Response:
    """Upcoming meetings in time order in the viewer's zone (`tz`), per-rep counts, failing calendars."""
    console = request.app[CONSOLE]
    now = datetime.now(timezone.utc)
    zone = meetings_view.viewer_zone(request.query.get("tz") or "UTC")
    if zone is None:
        raise web.HTTPBadRequest(text="tz must be a time zone like Europe/Berlin")
    start, end, start_text, end_text = _period(request)  # per rep: the overview's figure for the same days
    with console.sessions() as session:
        upcoming = queries.upcoming_meetings(session, now, rep=request.query.get("rep") or None)
        per_rep = queries.meetings_per_rep(session, start, end)
        failing = failing_calendars(session=session)
    wanted = request.query.get("csv")
    if wanted in ("upcoming", "per_rep"):
        return _csv(wanted, upcoming if wanted == "upcoming" else per_rep)
    playbook = console.playbook()
    return _render(
        request,
        "console/meetings.html",
        title="Meetings",
        upcoming=meetings_view.local_meetings(upcoming, playbook, zone),
        per_rep=[{**row, "rep": meetings_view.rep_name(playbook, row["rep"])} for row in per_rep],
        calendars=meetings_view.calendar_problems(failing, playbook, zone, now),
        per_rep_from=start_text,
        per_rep_to=end_text,
        tz=zone.key,
        tz_given=bool(request.query.get("tz")),
    )


def _history(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(select(PlaybookVersion).order_by(PlaybookVersion.id.desc()).limit(50)).scalars()
    return [
        {
            "version": h.version,
            "applied_by": h.applied_by,
            "applied_at": str(h.applied_at)[:16],
            "changed_grades": h.changed_grades,
        }
        for h in rows
    ]


async def playbook_page(request: web.Request) -> web.Response:
    """The current playbook, the history, and the what-if form."""
    console = request.app[CONSOLE]
    with console.sessions() as session:
        history = _history(session)
    return _render(
        request,
        "console/playbook.html",
        title="Playbook and what-if scoring",
        text=console.playbook_path.read_text(encoding="utf-8"),
        history=history,
        result=None,
        errors=None,
        notice=None,
    )


async def playbook_post(request: web.Request) -> web.Response:
    """Validate a draft (same errors as the CLI); preview its effect on stored leads, or apply it."""
    console = request.app[CONSOLE]
    form = await request.post()
    text, action = str(form.get("text") or ""), str(form.get("action") or "preview")
    try:
        draft = parse_playbook(text, source="draft")
    except PlaybookError as err:
        with console.sessions() as session:
            history = _history(session)
        return _render(
            request,
            "console/playbook.html",
            400,
            title="Playbook and what-if scoring",
            text=text,
            history=history,
            result=None,
            errors=str(err),
            notice=None,
        )
    notice: str | None = None
    if action == "apply":
        result = save_playbook(
            console.sessions,
            text=text,
            playbook=draft,
            path=console.playbook_path,
            applied_by=request["user"]["u"],
        )
        notice = f"Applied {draft.version}. The previous version is kept in the history."
    with console.sessions() as session:
        if action != "apply":
            result = what_if(session, draft, current=console.playbook())
            if action == "csv":
                return _csv(
                    "what-if",
                    [
                        {k: (" ".join(v) if isinstance(v, list) else v) for k, v in change.items()}
                        for change in result.to_dict(limit=100_000)["changes"]
                    ],
                )
        history = _history(session)
    return _render(
        request,
        "console/playbook.html",
        title="Playbook and what-if scoring",
        text=text,
        history=history,
        result=result.to_dict(limit=200),
        errors=None,
        notice=notice,
    )


def add_console(app: web.Application, console: Console) -> None:
    """Mount the console on the web app."""
    app[CONSOLE] = console
    app.middlewares.append(access)
    app.router.add_get("/console/login", login_page)
    app.router.add_post("/console/login", login)
    app.router.add_post("/console/logout", logout)
    app.router.add_get("/console/", home)
    app.router.add_get("/console", home)
    app.router.add_get("/console/overview", overview)
    app.router.add_get("/console/leads", leads)
    app.router.add_get("/console/leads/{lead_id}", lead)
    app.router.add_post("/console/leads/{lead_id}/requalify", lead_requalify)
    app.router.add_post("/console/leads/{lead_id}/grade", lead_grade)
    app.router.add_get("/console/leads/{lead_id}/export", lead_export)
    app.router.add_post("/console/leads/{lead_id}/erase", lead_erase)
    app.router.add_get("/console/meetings", meetings)
    app.router.add_get("/console/playbook", playbook_page)
    app.router.add_post("/console/playbook", playbook_post)
    # The question editor and the A/B page read this module's helpers: imported once it is loaded.
    from bot.web.console_questions import add_question_routes
    from bot.web.console_variants import add_variant_routes

    add_question_routes(app)
    add_variant_routes(app)
    from bot.web.console_outcomes import add_outcome_pages

    add_outcome_pages(app)
