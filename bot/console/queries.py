"""Every console figure as an SQL aggregation (indexes do the work, Python only formats).

Functions take a session (and the tracker store's engine where conversations that never
reached a lead are counted) and return plain rows: lists of dicts with the same keys the
tables, charts and CSV exports use.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, and_, bindparam, case, func, literal, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from bot.nurture.requalify import requalification_rate
from bot.playbook import Playbook
from bot.store.models import Answer, Conversation, Lead, Meeting
from bot.vocab import FIELDS, REASONS

Rows = list[dict[str, Any]]


def _week(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.date_trunc("week", column), "YYYY-MM-DD")
    return func.date(column, "weekday 0", "-6 days")  # SQLite: the Monday of the week


def funnel(session: Session, tracker: Engine | None, start: datetime, end: datetime) -> Rows:
    """Started -> engaged -> completed -> qualified -> booked, beside nurture and disqualified."""
    started = engaged = None
    if tracker is not None:
        try:
            with tracker.connect() as conn:
                row = conn.execute(
                    text(
                        "SELECT COUNT(*), SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END) FROM ("
                        " SELECT sender_id, COUNT(*) AS n FROM events WHERE type_name = 'user'"
                        " AND timestamp >= :a AND timestamp < :b GROUP BY sender_id) AS s"
                    ),
                    {"a": start.timestamp(), "b": end.timestamp()},
                ).one()
                started, engaged = int(row[0] or 0), int(row[1] or 0)
        except (OperationalError, ProgrammingError):
            pass
    in_period = and_(Conversation.started_at >= start, Conversation.started_at < end)
    leads = (
        select(Lead.id, Lead.grade)
        .join(Conversation, Conversation.lead_id == Lead.id)
        .where(in_period)
        .distinct()
        .subquery()
    )
    completed, qualified, nurture, disqualified = session.execute(
        select(
            func.count(),
            func.sum(case((leads.c.grade == "qualified", 1), else_=0)),
            func.sum(case((leads.c.grade == "nurture", 1), else_=0)),
            func.sum(case((leads.c.grade == "disqualified", 1), else_=0)),
        ).select_from(leads)
    ).one()
    booked = session.execute(
        select(func.count(func.distinct(Meeting.lead_id))).where(
            Meeting.created_at >= start, Meeting.created_at < end
        )
    ).scalar()
    return [
        {"step": "conversations started", "count": started},
        {"step": "engaged (answered a question)", "count": engaged},
        {"step": "completed qualification", "count": int(completed or 0)},
        {"step": "qualified", "count": int(qualified or 0)},
        {"step": "meeting booked", "count": int(booked or 0)},
        {"step": "nurture", "count": int(nurture or 0)},
        {"step": "disqualified", "count": int(disqualified or 0)},
    ]


def reasons(session: Session, start: datetime, end: datetime) -> Rows:
    """Per reason: leads where it is primary, and leads that have it at all.

    One pass over the JSON arrays; a reason appears at most once in a lead's list.
    """
    if session.get_bind().dialect.name == "postgresql":
        sql = (
            "SELECT r.value, SUM(CASE WHEN r.n = 1 THEN 1 ELSE 0 END), COUNT(*) FROM leads l"
            " CROSS JOIN LATERAL jsonb_array_elements_text(CAST(l.reasons AS jsonb)) WITH ORDINALITY AS r(value, n)"
            " WHERE l.created_at >= :a AND l.created_at < :b AND l.grade != 'qualified' GROUP BY r.value"
        )
    else:
        sql = (
            "SELECT r.value, SUM(CASE WHEN r.key = 0 THEN 1 ELSE 0 END), COUNT(*)"
            " FROM leads l, json_each(l.reasons) r"
            " WHERE l.created_at >= :a AND l.created_at < :b AND l.grade != 'qualified' GROUP BY r.value"
        )
    query = text(sql).bindparams(
        bindparam("a", type_=DateTime(timezone=True)), bindparam("b", type_=DateTime(timezone=True))
    )
    counts = {
        str(r): (int(p or 0), int(a or 0)) for r, p, a in session.execute(query, {"a": start, "b": end}).all()
    }
    return [
        {"reason": r, "primary": counts.get(r, (0, 0))[0], "all": counts.get(r, (0, 0))[1]} for r in REASONS
    ]


def disqualified_share(session: Session, start: datetime, end: datetime) -> Rows:
    """Per week: leads, disqualified, and the share disqualified."""
    week = _week(session, Lead.created_at)
    rows = session.execute(
        select(
            week.label("week"),
            func.count(),
            func.sum(case((Lead.grade == "disqualified", 1), else_=0)),
            func.sum(case((Lead.grade == "qualified", 1), else_=0)),
            func.sum(case((Lead.grade == "nurture", 1), else_=0)),
        )
        .where(Lead.created_at >= start, Lead.created_at < end)
        .group_by(week)
        .order_by(week)
    ).all()
    return [
        {
            "week": str(w),
            "leads": int(n),
            "disqualified": int(d or 0),
            "qualified": int(q or 0),
            "nurture": int(nu or 0),
            "disqualified_pct": round(100 * (d or 0) / n, 1) if n else 0.0,
        }
        for w, n, d, q, nu in rows
    ]


def sources(session: Session, playbook: Playbook, start: datetime, end: datetime) -> Rows:
    """Per source / campaign / referrer: leads, qualified rate, meetings, cost per qualified lead."""
    meetings = select(Meeting.lead_id, func.count().label("n")).group_by(Meeting.lead_id).subquery()
    source = func.coalesce(Conversation.utm_source, literal("(direct)"))
    campaign = func.coalesce(Conversation.utm_campaign, literal("-"))
    referrer = func.coalesce(Conversation.referrer, literal("-"))
    rows = session.execute(
        select(
            source,
            campaign,
            referrer,
            func.count(func.distinct(Lead.id)),
            func.count(func.distinct(case((Lead.grade == "qualified", Lead.id)))),
            func.coalesce(func.sum(meetings.c.n), 0),
        )
        .select_from(Conversation)
        .join(Lead, Lead.id == Conversation.lead_id)
        .outerjoin(meetings, meetings.c.lead_id == Lead.id)
        .where(Conversation.started_at >= start, Conversation.started_at < end)
        .group_by(source, campaign, referrer)
        .order_by(func.count(func.distinct(Lead.id)).desc())
        .limit(200)
    ).all()
    costs = playbook.source_costs
    out = []
    for src, camp, ref, leads, qualified, booked in rows:
        spend = None
        if camp in costs.per_campaign:
            spend = costs.per_campaign[camp]
        elif src in costs.per_lead:
            spend = costs.per_lead[src] * leads
        out.append(
            {
                "source": src,
                "campaign": camp,
                "referrer": ref,
                "leads": int(leads),
                "qualified": int(qualified),
                "qualified_rate_pct": round(100 * qualified / leads, 1) if leads else 0.0,
                "meetings": int(booked),
                "cost": spend,
                "cost_per_qualified": round(spend / qualified, 2)
                if spend is not None and qualified
                else None,
            }
        )
    return out


def meetings_per_rep(session: Session, start: datetime, end: datetime) -> Rows:
    """Per rep: booked, cancelled, rescheduled (sequence > 0 while booked)."""
    rows = session.execute(
        select(
            Meeting.rep_email,
            func.count(),
            func.sum(case((Meeting.status == "booked", 1), else_=0)),
            func.sum(case((Meeting.status == "cancelled", 1), else_=0)),
            func.sum(case((and_(Meeting.status == "booked", Meeting.sequence > 0), 1), else_=0)),
        )
        .where(Meeting.created_at >= start, Meeting.created_at < end)
        .group_by(Meeting.rep_email)
        .order_by(Meeting.rep_email)
    ).all()
    return [
        {
            "rep": r,
            "meetings": int(n),
            "booked": int(b or 0),
            "cancelled": int(c or 0),
            "rescheduled": int(m or 0),
        }
        for r, n, b, c, m in rows
    ]


def _utter(tracker: Engine, alias: str = "") -> str:
    column = f"{alias}data"
    if tracker.dialect.name == "postgresql":
        return f"(CAST({column} AS json) -> 'metadata' ->> 'utter_action')"
    return f"json_extract({column}, '$.metadata.utter_action')"


def _conversation_counts(
    tracker: Engine | None, start: datetime, end: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    """(utterance -> times said, question -> conversations that stopped there) from Rasa's tracker store."""
    if tracker is None:
        return {}, {}
    said_sql = text(
        f"SELECT u, COUNT(*) FROM (SELECT {_utter(tracker)} AS u FROM events WHERE type_name = 'bot'"
        " AND timestamp >= :a AND timestamp < :b) AS said"
        " WHERE u LIKE 'utter_ask_%' OR u LIKE 'utter_invalid_%' OR u LIKE 'utter_why_%' GROUP BY u"
    )
    stopped_sql = text(
        f"SELECT u, COUNT(*) FROM (SELECT {_utter(tracker, 'e.')} AS u FROM events e JOIN ("
        "  SELECT sender_id, MAX(id) AS last_ask FROM events WHERE type_name = 'bot'"
        "  AND data LIKE '%utter_ask_%' AND data NOT LIKE '%utter_ask_rephrase%'"
        "  AND timestamp >= :a AND timestamp < :b GROUP BY sender_id) l ON e.id = l.last_ask"
        " WHERE e.sender_id NOT IN (SELECT sender_id FROM events WHERE type_name = 'action'"
        "  AND action_name = 'action_decide_outcome')) AS stopped GROUP BY u"
    )
    params = {"a": start.timestamp(), "b": end.timestamp()}
    try:
        with tracker.connect() as conn:
            said = {str(u): int(n) for u, n in conn.execute(said_sql, params).all() if u}
            stopped = {str(u): int(n) for u, n in conn.execute(stopped_sql, params).all() if u}
    except (OperationalError, ProgrammingError):
        return {}, {}
    return said, stopped


def question_health(session: Session, start: datetime, end: datetime, tracker: Engine | None = None) -> Rows:
    """Per question: asked, where visitors stopped (drop-off), re-prompts, "why do you ask", answers, declines."""
    answered = {
        f: (int(n), int(d or 0))
        for f, n, d in session.execute(
            select(Answer.field, func.count(), func.sum(case((Answer.declined, 1), else_=0)))
            .where(Answer.answered_at >= start, Answer.answered_at < end)
            .group_by(Answer.field)
        ).all()
    }
    said, stopped = _conversation_counts(tracker, start, end)
    out = []
    for field_name in FIELDS:
        given, declined = answered.get(field_name, (0, 0))
        asked = said.get(f"utter_ask_{field_name}", 0)
        out.append(
            {
                "question": field_name,
                "asked": asked if tracker is not None else None,
                "dropped_off_here": stopped.get(f"utter_ask_{field_name}", 0)
                if tracker is not None
                else None,
                "reprompts": said.get(f"utter_invalid_{field_name}", 0) if tracker is not None else None,
                "why_asked": said.get(f"utter_why_{field_name}", 0) if tracker is not None else None,
                "answered": given,
                "declined": declined,
                "declined_pct": round(100 * declined / given, 1) if given else 0.0,
            }
        )
    return out


def requalification(session: Session, start: datetime, end: datetime) -> Rows:
    """The requalification rate over the period, as one row."""
    return [requalification_rate(session, start, end)]


def leads_page(
    session: Session,
    *,
    grade: str | None = None,
    reason: str | None = None,
    source: str | None = None,
    rep: str | None = None,
    track: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    search: str | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[int, Rows]:
    """Filtered, searched leads, newest first; (total, rows of this page)."""
    query = select(
        Lead.id,
        Lead.email,
        Lead.name,
        Lead.company_name,
        Lead.grade,
        Lead.score,
        Lead.reasons,
        Lead.next_step,
        Lead.nurture_track,
        Lead.created_at,
    )
    filters = []
    if grade:
        filters.append(Lead.grade == grade)
    if reason:
        filters.append(Lead.reasons[0].as_string() == reason)
    if track:
        filters.append(Lead.nurture_track == track)
    if start:
        filters.append(Lead.created_at >= start)
    if end:
        filters.append(Lead.created_at < end)
    if search:
        like = f"%{search.lower()}%"
        filters.append(
            or_(
                func.lower(Lead.email).like(like),
                func.lower(Lead.name).like(like),
                func.lower(Lead.company_name).like(like),
            )
        )
    if source:
        filters.append(Lead.id.in_(select(Conversation.lead_id).where(Conversation.utm_source == source)))
    if rep:
        filters.append(Lead.id.in_(select(Meeting.lead_id).where(Meeting.rep_email == rep)))
    query = query.where(*filters)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar() or 0
    rows = session.execute(
        query.order_by(Lead.created_at.desc(), Lead.id.desc()).limit(size).offset((max(page, 1) - 1) * size)
    ).all()
    return int(total), [
        {
            "id": r.id,
            "email": r.email,
            "name": r.name,
            "company": r.company_name,
            "grade": r.grade,
            "score": r.score,
            "primary_reason": (r.reasons or [None])[0],
            "next_step": r.next_step,
            "track": r.nurture_track,
            "created_at": r.created_at.isoformat()[:16] if r.created_at else "",
        }
        for r in rows
    ]


def upcoming_meetings(session: Session, now: datetime, rep: str | None = None, days: int = 14) -> Rows:
    """Meetings from now on, per rep, with the time since booking."""
    query = (
        select(Meeting, Lead.email, Lead.name, Lead.company_name, Lead.score)
        .join(Lead, Lead.id == Meeting.lead_id)
        .where(
            Meeting.start_at >= now, Meeting.start_at < now + timedelta(days=days), Meeting.status == "booked"
        )
    )
    if rep:
        query = query.where(Meeting.rep_email == rep)
    out = []
    for meeting, email, name, company, score in session.execute(
        query.order_by(Meeting.rep_email, Meeting.start_at)
    ):
        created = (
            meeting.created_at if meeting.created_at.tzinfo else meeting.created_at.replace(tzinfo=now.tzinfo)
        )
        out.append(
            {
                "rep": meeting.rep_email,
                "start": meeting.start_at.isoformat()[:16],
                "type": meeting.meeting_type,
                "lead_id": meeting.lead_id,
                "email": email,
                "name": name,
                "company": company,
                "score": score,
                "booked_hours_ago": round((now - created).total_seconds() / 3600, 1),
                "rescheduled": meeting.sequence > 0,
            }
        )
    return out
