"""Every console figure, each defined once (the definitions in words: docs/console_figures.md).

- Leads: the leads created in the period (a lead once, however many conversations it had),
  by their current grade (`in_period`).
- A lead's source: its first conversation's UTM source, campaign and referrer, "(direct)"
  without one (first touch, `lead_source`); every lead has exactly one.
- Meetings booked: meetings of those leads while booked, upcoming or held (`cohort_meetings`,
  `LIVE`); a reschedule keeps its row, so it counts once; cancelled ones are counted apart.
- Conversations (started, engaged, per question): Rasa's tracker store, in
  bot/console/conversations.py.

The funnel counts nothing of its own: it sums the weekly rows, the per-rep meetings and the
conversation figures, so it cannot disagree with them. Functions take a session and return
plain rows: lists of dicts with the same keys the tables, charts and CSV exports use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import case, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement, Subquery

from bot.console.conversations import ConversationFigures
from bot.describe import reason_words
from bot.nurture.requalify import requalification_rate
from bot.outcomes.service import lead_verdicts
from bot.playbook import Playbook
from bot.questions import labels
from bot.store.meetings import utc
from bot.store.models import Conversation, Lead, Meeting
from bot.vocab import FIELDS, REASONS

Rows = list[dict[str, Any]]

#: The status of a meeting that counts as booked: upcoming or held (cancelled ones are "cancelled").
LIVE = "booked"
DIRECT = "(direct)"  # a lead whose first conversation had no UTM source
NONE = "-"


def in_period(start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """The leads of a period: created in [start, end)."""
    return [Lead.created_at >= start, Lead.created_at < end]


@dataclass(frozen=True)
class LeadSource:
    """A lead's source: its first conversation's UTM source, campaign and referrer (first touch).

    Outer-join `origin` on `joined` onto a query over leads; every lead then has exactly one
    source, "(direct)" when its first conversation had no UTM source (or it has none).
    """

    origin: Any
    joined: ColumnElement[bool]
    source: ColumnElement[str]
    campaign: ColumnElement[str]
    referrer: ColumnElement[str]


def lead_source() -> LeadSource:
    """The one definition of a lead's source (per lead an index look-up: ix_conversations_lead_id)."""
    origin = aliased(Conversation, name="origin")
    first = select(func.min(Conversation.id)).where(Conversation.lead_id == Lead.id).scalar_subquery()
    return LeadSource(
        origin,
        origin.id == first,
        func.coalesce(origin.utm_source, literal(DIRECT)),
        func.coalesce(origin.utm_campaign, literal(NONE)),
        func.coalesce(origin.referrer, literal(NONE)),
    )


def cohort_meetings(start: datetime, end: datetime) -> Subquery:
    """One row per meeting of the period's leads (id, lead_id, rep_email, status, sequence)."""
    return (
        select(Meeting.id, Meeting.lead_id, Meeting.rep_email, Meeting.status, Meeting.sequence)
        .join(Lead, Lead.id == Meeting.lead_id)
        .where(*in_period(start, end))
        .subquery("cohort_meetings")
    )


def primary_reason_is(reason: str) -> list[ColumnElement[bool]]:
    """Leads whose primary disqualification / nurture reason is `reason` (qualified leads have none)."""
    return [Lead.grade != "qualified", Lead.reasons[0].as_string() == reason]


def _week(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.date_trunc("week", column), "YYYY-MM-DD")
    return func.date(column, "weekday 0", "-6 days")  # SQLite: the Monday of the week


def _mondays(start: datetime, end: datetime) -> list[str]:
    first: date = start.date() - timedelta(days=start.weekday())
    return [
        (first + timedelta(weeks=n)).isoformat()
        for n in range(((end - timedelta(microseconds=1)).date() - first).days // 7 + 1)
    ]


def weekly(session: Session, start: datetime, end: datetime) -> Rows:
    """Per week (its Monday) of the period: leads created, and how many are qualified, nurture, disqualified now.

    Weeks without leads are rows of zeros, so the chart's time axis has no gaps.
    """
    week = _week(session, Lead.created_at)
    rows = session.execute(
        select(
            week.label("week"),
            func.count(),
            func.sum(case((Lead.grade == "qualified", 1), else_=0)),
            func.sum(case((Lead.grade == "nurture", 1), else_=0)),
            func.sum(case((Lead.grade == "disqualified", 1), else_=0)),
        )
        .where(*in_period(start, end))
        .group_by(week)
    ).all()
    counts = {str(w): (int(n), int(q or 0), int(nu or 0), int(d or 0)) for w, n, q, nu, d in rows}
    for monday in _mondays(start, end):
        counts.setdefault(monday, (0, 0, 0, 0))
    return [
        {
            "week": w,
            "leads": n,
            "qualified": q,
            "nurture": nu,
            "disqualified": d,
            "disqualified_pct": round(100 * d / n, 1) if n else 0.0,
        }
        for w, (n, q, nu, d) in sorted(counts.items())
    ]


def funnel(weekly_rows: Rows, rep_rows: Rows, conversations: ConversationFigures | None) -> Rows:
    """Started -> engaged -> completed -> qualified -> meetings booked, beside nurture and disqualified.

    Sums of the weekly rows (leads by grade), the per-rep rows (meetings booked) and the
    conversation figures; started and engaged are None without the tracker store.
    """

    def total(rows: Rows, key: str) -> int:
        return sum(int(r[key]) for r in rows)

    return [
        {"step": "conversations started", "count": conversations.started if conversations else None},
        {"step": "engaged (answered a question)", "count": conversations.engaged if conversations else None},
        {"step": "completed qualification", "count": total(weekly_rows, "leads")},
        {"step": "qualified", "count": total(weekly_rows, "qualified")},
        {"step": "meeting booked", "count": total(rep_rows, "booked")},
        {"step": "nurture", "count": total(weekly_rows, "nurture")},
        {"step": "disqualified", "count": total(weekly_rows, "disqualified")},
    ]


def reasons(session: Session, start: datetime, end: datetime) -> Rows:
    """Per reason: the period's nurture and disqualified leads where it is primary, and where it is listed at all.

    One pass over the JSON arrays; a reason appears at most once in a lead's list.
    """
    if session.get_bind().dialect.name == "postgresql":
        items: Any = (
            func.jsonb_array_elements_text(Lead.reasons.cast(JSONB))
            .table_valued("value", with_ordinality="n")
            .render_derived(name="r")  # AS r(value, n)
            .lateral()
        )
        primary = items.c.n == 1
    else:
        items = func.json_each(Lead.reasons).table_valued("key", "value").alias("r")
        primary = items.c.key == 0
    counted = session.execute(
        select(items.c.value, func.sum(case((primary, 1), else_=0)), func.count())
        .select_from(Lead)
        .join(items, true())
        .where(*in_period(start, end), Lead.grade != "qualified")
        .group_by(items.c.value)
    ).all()
    counts = {str(r): (int(p or 0), int(a or 0)) for r, p, a in counted}
    return [
        {
            "reason": r,
            "label": reason_words(r),
            "primary": counts.get(r, (0, 0))[0],
            "all": counts.get(r, (0, 0))[1],
        }
        for r in REASONS
    ]


def sources(session: Session, playbook: Playbook, start: datetime, end: datetime) -> Rows:
    """Per source / campaign / referrer (first touch): leads, qualified, meetings booked, cost per qualified lead.

    Also the leads sales accepted (their verdict: bot.outcomes.service.lead_verdicts) and the cost per accepted lead.
    """
    source = lead_source()
    verdict = lead_verdicts()
    meetings = cohort_meetings(start, end)
    booked = (
        select(meetings.c.lead_id, func.count().label("n"))
        .where(meetings.c.status == LIVE)
        .group_by(meetings.c.lead_id)
        .subquery("booked")
    )
    leads = func.count()
    rows = session.execute(
        select(
            source.source,
            source.campaign,
            source.referrer,
            leads,
            func.sum(case((Lead.grade == "qualified", 1), else_=0)),
            func.coalesce(func.sum(booked.c.n), 0),
            func.coalesce(func.sum(verdict.c.accepted), 0),
        )
        .select_from(Lead)
        .outerjoin(source.origin, source.joined)
        .outerjoin(booked, booked.c.lead_id == Lead.id)
        .outerjoin(verdict, verdict.c.lead_id == Lead.id)
        .where(*in_period(start, end))
        .group_by(source.source, source.campaign, source.referrer)
        .order_by(leads.desc(), source.source, source.campaign, source.referrer)
        .limit(200)
    ).all()
    costs = playbook.source_costs
    out = []
    for src, camp, ref, n, qualified, n_booked, accepted in rows:
        qualified, accepted = int(qualified or 0), int(accepted or 0)
        spend = None
        if camp in costs.per_campaign:
            spend = costs.per_campaign[camp]
        elif src in costs.per_lead:
            spend = costs.per_lead[src] * n
        out.append(
            {
                "source": src,
                "campaign": camp,
                "referrer": ref,
                "leads": int(n),
                "qualified": qualified,
                "qualified_rate_pct": round(100 * qualified / n, 1) if n else 0.0,
                "meetings": int(n_booked or 0),
                "cost": spend,
                "cost_per_qualified": round(spend / qualified, 2)
                if spend is not None and qualified
                else None,
                "accepted": accepted,
                "cost_per_accepted": round(spend / accepted, 2) if spend is not None and accepted else None,
            }
        )
    return out


def meetings_per_rep(session: Session, start: datetime, end: datetime) -> Rows:
    """Per rep, the meetings of the period's leads: booked (upcoming or held), of those rescheduled, and cancelled."""
    meetings = cohort_meetings(start, end)
    live = meetings.c.status == LIVE
    rows = session.execute(
        select(
            meetings.c.rep_email,
            func.sum(case((live, 1), else_=0)),
            func.sum(case((live & (meetings.c.sequence > 0), 1), else_=0)),
            func.sum(case((meetings.c.status == "cancelled", 1), else_=0)),
        )
        .group_by(meetings.c.rep_email)
        .order_by(meetings.c.rep_email)
    ).all()
    return [
        {"rep": r, "booked": int(b or 0), "rescheduled": int(m or 0), "cancelled": int(c or 0)}
        for r, b, m, c in rows
    ]


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def question_health(
    conversations: ConversationFigures | None, names: Mapping[str, str] | None = None
) -> Rows:
    """Per question (bot.vocab.FIELDS, in asking order): asked, answered, declined, stopped here and more.

    Also re-prompts, "why do you ask?" and the median time to answer; None without the tracker store.
    `names` labels the questions (bot.questions.labels of the playbook's registry; the defaults without).
    """
    names = names if names is not None else labels()
    out = []
    for name in FIELDS:
        q = conversations.questions[name] if conversations else None
        median = q.median_seconds() if q else None
        out.append(
            {
                "question": name,
                "label": names.get(name, name.replace("_", " ")),
                "asked": q.asked if q else None,
                "answered": q.answered if q else None,
                "declined": q.declined if q else None,
                "stopped_here": q.stopped_here if q else None,
                "reprompts": q.reprompts if q else None,
                "why_asked": q.why_asked if q else None,
                "median_seconds_to_answer": median,
                "median_time_to_answer": _duration(median),
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
        filters.extend(primary_reason_is(reason))
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
        origin = lead_source()
        query = query.outerjoin(origin.origin, origin.joined)
        filters.append(origin.source == source)
    if rep:
        filters.append(
            Lead.id.in_(select(Meeting.lead_id).where(Meeting.rep_email == rep, Meeting.status == LIVE))
        )
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
            "primary_reason": None if r.grade == "qualified" else (r.reasons or [None])[0],
            "next_step": r.next_step,
            "track": r.nurture_track,
            "created_at": utc(r.created_at).isoformat(timespec="minutes") if r.created_at else "",
        }
        for r in rows
    ]


def upcoming_meetings(session: Session, now: datetime, rep: str | None = None, days: int = 14) -> Rows:
    """Meetings from now on, in time order, with the time since booking and repeat bookings flagged."""
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
    found = session.execute(query.order_by(Meeting.start_at, Meeting.rep_email, Meeting.id)).all()
    repeats = repeat_bookings(session, [meeting for meeting, *_ in found])
    for meeting, email, name, company, score in found:
        created = (
            meeting.created_at if meeting.created_at.tzinfo else meeting.created_at.replace(tzinfo=now.tzinfo)
        )
        out.append(
            {
                "rep": meeting.rep_email,
                "start": _utc(meeting.start_at).isoformat()[:16],
                "type": meeting.meeting_type,
                "lead_id": meeting.lead_id,
                "email": email,
                "name": name,
                "company": company,
                "score": score,
                "booked_hours_ago": round((now - created).total_seconds() / 3600, 1),
                "rescheduled": meeting.sequence > 0,
                "repeat": repeats.get(meeting.id, ""),
            }
        )
    return out


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _company_key(name: str | None) -> str | None:
    key = " ".join((name or "").lower().split())
    return key or None


def repeat_bookings(session: Session, meetings: list[Meeting]) -> dict[int, str]:
    """Meeting id -> why it repeats: the same person booked before, or others at the same company did.

    A company is its name (case and spaces aside) or its email domain (not a free-mail one).
    Cancelled and past meetings count: three bookings in a month are worth a look either way.
    """
    if not meetings:
        return {}
    leads = {
        row.id: row
        for row in session.execute(
            select(Lead.id, Lead.email, Lead.company_name, Lead.email_flag).where(
                Lead.id.in_({m.lead_id for m in meetings})
            )
        )
    }
    names = {key for row in leads.values() if (key := _company_key(row.company_name))}
    domains = {
        row.email.rsplit("@", 1)[1].lower()
        for row in leads.values()
        if row.email and "@" in row.email and row.email_flag != "free_mail"
    }
    related = or_(
        Meeting.lead_id.in_(set(leads)),
        func.lower(func.trim(Lead.company_name)).in_(names) if names else literal(False),
        *[func.lower(Lead.email).like(f"%@{domain}") for domain in sorted(domains)],
    )
    others = session.execute(
        select(Meeting.id, Meeting.lead_id, Lead.email, Lead.company_name, Lead.email_flag)
        .join(Lead, Lead.id == Meeting.lead_id)
        .where(related)
    ).all()

    def company_of(email: str | None, name: str | None, flag: str | None) -> set[str]:
        keys = {f"name:{key}"} if (key := _company_key(name)) else set()
        if email and "@" in email and flag != "free_mail":
            keys.add(f"domain:{email.rsplit('@', 1)[1].lower()}")
        return keys

    out: dict[int, str] = {}
    for meeting in meetings:
        lead = leads[meeting.lead_id]
        mine = company_of(lead.email, lead.company_name, lead.email_flag)
        same_person = sum(1 for o in others if o.lead_id == meeting.lead_id and o.id != meeting.id)
        same_company = {
            o.lead_id
            for o in others
            if o.lead_id != meeting.lead_id and mine & company_of(o.email, o.company_name, o.email_flag)
        }
        notes = []
        if same_person:
            notes.append(f"booked {same_person + 1} times by this person")
        if same_company:
            count = len(same_company)
            notes.append(f"{count} other {'person' if count == 1 else 'people'} from this company booked")
        if notes:
            out[meeting.id] = "; ".join(notes)
    return out
