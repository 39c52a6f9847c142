"""The `banter` command: playbook checks, scoring, leads, migrations, running the assistant.

Exit codes: 0 success, 1 failure while working, 2 bad input (file, JSON, arguments).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from bot.logfilter import install as mask_visitor_text_in_logs
from bot.settings import PROJECT_ROOT, SettingsError, load_settings

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class BadInput(Exception):
    """The user gave something the command cannot use."""


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def cmd_playbook_check(args: argparse.Namespace) -> int:
    """Validate a playbook file; print its version or every problem."""
    from bot.playbook import PlaybookError, load_playbook

    path = Path(args.file or load_settings().playbook_path)
    try:
        playbook = load_playbook(path)
    except PlaybookError as err:
        print(str(err), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{path}: OK (version {playbook.version})")
    for warning in playbook.warnings():
        print(f"{path}: warning: {warning}")
    return EXIT_OK


def read_profile(source: str | None, use_cases: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """A JSON profile from a file or stdin; raw strings are parsed like chat answers."""
    from bot.profile_input import ProfileError, profile_from_json

    text = sys.stdin.read() if source in (None, "-") else _read(Path(str(source)))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise BadInput(f"profile is not valid JSON: {err}") from None
    try:
        return profile_from_json(data, today=date.today(), use_cases=use_cases)
    except ProfileError as err:
        raise BadInput(str(err)) from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise BadInput(f"cannot read {path}: {err.strerror}") from None


def cmd_score(args: argparse.Namespace) -> int:
    """Score a JSON profile and print the result with its explanation."""
    from bot.playbook import PlaybookError, load_playbook
    from bot.scoring import score_lead

    try:
        playbook = load_playbook(Path(args.playbook or load_settings().playbook_path))
    except PlaybookError as err:
        print(str(err), file=sys.stderr)
        return EXIT_BAD_INPUT
    profile = read_profile(args.file, playbook.use_case_keywords())
    result = score_lead(profile, playbook)
    _print_json({**result.to_dict(), "explanation": result.explain(), "profile": profile})
    return EXIT_OK


def _sessions():  # type: ignore[no-untyped-def]
    from bot.store.db import make_engine, session_factory

    return session_factory(make_engine(load_settings().database_url))


def cmd_leads_list(args: argparse.Namespace) -> int:
    """List the newest leads."""
    from bot.store.repository import list_leads

    with _sessions()() as session:
        rows = list_leads(session=session, grade=args.grade, limit=args.limit)
    if args.json:
        _print_json(rows)
        return EXIT_OK
    if not rows:
        print("no leads yet")
        return EXIT_OK
    print(f"{'id':>5}  {'grade':<12} {'score':>5}  {'reason':<15} {'next step':<15} {'email':<32} company")
    for row in rows:
        print(
            f"{row['id']:>5}  {row['grade'] or '':<12} {row['score'] if row['score'] is not None else '':>5}  "
            f"{row['primary_reason'] or '':<15} {row['next_step'] or '':<15} {row['email'] or '-':<32} "
            f"{row['company_name'] or ''}"
        )
    return EXIT_OK


def cmd_leads_show(args: argparse.Namespace) -> int:
    """Show one lead (by conversation or email) as JSON or text."""
    from bot.store.repository import get_lead_by_conversation, get_lead_by_email

    with _sessions()() as session:
        if args.conversation:
            lead = get_lead_by_conversation(session=session, sender_id=args.conversation)
        else:
            lead = get_lead_by_email(session=session, email=args.email)
    if lead is None:
        what = f"conversation {args.conversation}" if args.conversation else f"email {args.email}"
        print(f"no lead for {what}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        _print_json(lead)
        return EXIT_OK
    print(
        f"{lead.get('name') or '(no name)'} <{lead.get('email') or 'no email'}>  {lead.get('company_name') or ''}"
    )
    print(f"grade {lead['grade']}  score {lead['score']}  next step {lead['next_step']}")
    print(f"reasons: {', '.join(lead['reasons']) or '-'}   playbook {lead['playbook_version']}")
    for field, answer in lead["answers"].items():
        shown = "declined" if answer["declined"] else json.dumps(answer["normalized"], ensure_ascii=False)
        print(f"  {field:<15} {answer['raw']!r:<40} -> {shown}")
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    """Upgrade the lead database to the newest schema."""
    from alembic import command
    from alembic.config import Config

    settings = load_settings()  # the SQLite file and its folder are made private by make_engine
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["url"] = settings.database_url
    command.upgrade(config, "head")
    print(f"database at {settings.database_url.split('@')[-1]} is up to date")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Migrate, then start the action server and the Rasa server."""
    from bot.playbook import load_playbook
    from bot.runner import run_forever

    settings = load_settings()
    load_playbook(settings.playbook_path)  # refuse to start with an invalid playbook
    cmd_migrate(args)
    return run_forever(settings)


def cmd_shell(args: argparse.Namespace) -> int:
    """Chat with the assistant in the terminal."""
    from bot.playbook import load_playbook
    from bot.runner import run_shell

    settings = load_settings()
    load_playbook(settings.playbook_path)
    cmd_migrate(args)
    return run_shell(settings)


def cmd_run_scaled(args: argparse.Namespace) -> int:
    """Start the scaled deployment (PostgreSQL, Redis, Rasa replicas behind HAProxy)."""
    from bot.playbook import load_playbook
    from bot.scaled import run_scaled

    load_playbook(load_settings().playbook_path)  # refuse to start with an invalid playbook
    return run_scaled(args.replicas)


def _parse_day(text: str) -> Any:
    from datetime import datetime, timezone

    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"--from {text!r}: use a date like 2026-12-01") from None
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def cmd_meetings_list(args: argparse.Namespace) -> int:
    """Booked and cancelled meetings, soonest first."""
    from bot.booking.display import when
    from bot.playbook import load_playbook
    from bot.store.meetings import list_meetings, utc

    playbook = load_playbook(load_settings().playbook_path)
    start = _parse_day(args.start) if args.start else None
    with _sessions()() as session:
        meetings = list_meetings(session=session, rep_email=args.rep, start=start, limit=args.limit)
        rows = [
            {
                "uid": m.uid,
                "status": m.status,
                "type": m.meeting_type,
                "start": utc(m.start_at).isoformat(),
                "end": utc(m.end_at).isoformat(),
                "rep": m.rep_email,
                "attendee_email": m.attendee_email,
                "attendee_name": m.attendee_name,
                "visitor_time_zone": m.visitor_time_zone,
                "route_reason": m.route_reason,
                "sequence": m.sequence,
                "lead_id": m.lead_id,
            }
            for m in meetings
        ]
    if args.json:
        _print_json(rows)
        return EXIT_OK
    if not rows:
        print("no meetings")
    for row, meeting in zip(rows, meetings, strict=True):
        rep = playbook.booking.rep(row["rep"])
        zone = rep.time_zone if rep else "UTC"
        print(
            f"{row['status']:<9} {row['type']:<9} {when(utc(meeting.start_at), zone, utc(meeting.end_at))}  "
            f"{row['rep']}  <- {row['attendee_email']}"
        )
    return EXIT_OK


def cmd_outbox_status(args: argparse.Namespace) -> int:
    """Pending, sent and failed messages, and the latest errors."""
    from datetime import datetime, timezone

    from bot.store.outbox import status_counts

    with _sessions()() as session:
        status = status_counts(session=session, now=datetime.now(timezone.utc))
    if args.json:
        _print_json(status)
        return EXIT_OK
    if not status["counts"]:
        print("outbox is empty")
    for state, kinds in sorted(status["counts"].items()):
        print(f"{state:<8} " + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())))
    if status["oldest_pending_age_seconds"] is not None:
        print(f"oldest pending message: {status['oldest_pending_age_seconds']} s old")
    for error in status["recent_errors"]:
        print(
            f"  {error['status']:<8} {error['kind']:<8} {error['topic']:<20} "
            f"attempt {error['attempts']}: {error['error']}"
        )
    return EXIT_OK


def cmd_outbox_retry(args: argparse.Namespace) -> int:
    """Queue permanently failed messages again (after fixing the cause)."""
    from datetime import datetime, timezone

    from bot.store.outbox import retry_failed

    with _sessions()() as session, session.begin():
        count = retry_failed(session=session, now=datetime.now(timezone.utc))
    print(f"{count} message(s) queued again")
    return EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    """Deliver outbox messages (emails, webhooks) until stopped, or once."""
    import signal

    from bot.notify.worker import run
    from bot.nurture.jobs import daily_requalify, nurture_sends
    from bot.outcomes.escalation import sla_escalations
    from bot.playbook import load_playbook
    from bot.wiring import nurture_service, senders, utc_now

    settings = load_settings()
    logging.getLogger().setLevel(settings.log_level)
    mask_visitor_text_in_logs()
    playbook = load_playbook(settings.playbook_path)
    sessions = _sessions()
    jobs = [
        nurture_sends(nurture_service(settings, playbook, sessions)),
        daily_requalify(sessions, playbook, utc_now),
        sla_escalations(
            sessions, playbook, utc_now, mail_from=settings.mail_from, public_url=settings.public_url
        ),
    ]
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    if not args.once:
        print(f"==> worker delivering mail via {settings.smtp_host}:{settings.smtp_port}", flush=True)
    try:
        total = run(
            sessions,
            senders(settings, playbook, sessions),
            once=args.once,
            should_stop=lambda: bool(stopping),
            before_each_pass=jobs,
        )
    except KeyboardInterrupt:
        return EXIT_OK
    print(f"sent {total.sent}, to retry {total.retried}, failed {total.failed}")
    return EXIT_OK


def cmd_web(args: argparse.Namespace) -> int:
    """Serve the web app (signed meeting links, transcripts)."""
    # The console's question preview reads answers with spaCy's tokenizer, whose thinc would load
    # TensorFlow (about 350 MB) though nothing here uses it: the web app runs without it.
    sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]
    from aiohttp import web

    from bot.console.auth import (
        LocalRevocations,
        LoginThrottle,
        RedisRevocations,
        Sessions,
        load_users,
    )
    from bot.describe import money
    from bot.links import signing_key
    from bot.playbook import load_playbook
    from bot.ratelimit import storage_uri
    from bot.settings import behind_proxy, redis_url
    from bot.web.app import Site, create_app, site_pages, widget_presence
    from bot.web.console import Console, add_console
    from bot.wiring import booking_service, links, nurture_service, tracker_engine, transcripts

    settings = load_settings()
    logging.getLogger().setLevel(settings.log_level)
    mask_visitor_text_in_logs()
    playbook = load_playbook(settings.playbook_path)
    sessions = _sessions()
    app = create_app(
        booking_service(settings, playbook, sessions),
        links(settings),
        transcripts(settings),
        nurture_service(settings, playbook, sessions),
        Site(
            rasa_url=settings.rasa_public_url,
            allowed_origins=settings.allowed_origins,
            widget_config={
                "pages": {name: list(paths) for name, paths in playbook.website.pages.items()},
                # when to open; what the assistant then says is served by it (playbook `message`)
                "proactive": [
                    rule.dict(include={"path", "after_seconds"}) for rule in playbook.website.proactive
                ],
                "presence": widget_presence(playbook),
            },
            company=playbook.company.name,
            product=playbook.company.product,
            plans=tuple(
                {
                    "name": plan.name,
                    "summary": plan.summary,
                    "price_label": "Talk to us"
                    if plan.price is None
                    else f"{money(plan.price, playbook.budget.currency)} / {plan.period}",
                }
                for plan in playbook.pricing.plans
            ),
            linked=site_pages(playbook),
            privacy_path=playbook.links.privacy_url,
            consent_text=playbook.consent.text,
        ),
        dev_webhooks=settings.mail_dir.parent / "webhooks" if settings.dev_webhooks else None,
        crm_secret=settings.crm_webhook_secret,
    )
    # One machine: logouts and login throttling in this process (logouts kept in a file);
    # several web-app replicas: both in the Redis they share (README, "The console").
    shared = redis_url(os.environ)
    add_console(
        app,
        Console(
            sessions=sessions,
            tracker=tracker_engine(settings),
            playbook_path=settings.playbook_path,
            users=load_users(settings, dict(os.environ)),
            cookies=Sessions(
                signing_key(settings),
                RedisRevocations.from_url(shared)
                if shared
                else LocalRevocations(PROJECT_ROOT / "var" / "console_revoked.json"),
            ),
            transcripts=transcripts(settings),
            secure_cookies=settings.public_url.startswith("https://"),
            throttle=LoginThrottle(storage_uri(os.environ)),
            behind_proxy=behind_proxy(os.environ),
        ),
    )
    web.run_app(app, host=settings.web_interface, port=settings.web_port, print=None, access_log=None)
    return EXIT_OK


def cmd_mailserver(args: argparse.Namespace) -> int:
    """A local SMTP server that writes every message to a Maildir (development stand-in)."""
    import signal
    import time

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    settings = load_settings()
    mask_visitor_text_in_logs()
    settings.mail_dir.parent.mkdir(parents=True, exist_ok=True)
    controller = Controller(Mailbox(settings.mail_dir), hostname="127.0.0.1", port=settings.smtp_port)
    controller.start()
    print(
        f"==> local SMTP server on 127.0.0.1:{settings.smtp_port}, mail in {settings.mail_dir}/new",
        flush=True,
    )
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        while not stopping:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return EXIT_OK


def cmd_requalify(args: argparse.Namespace) -> int:
    """Re-score nurtured leads against the current playbook and list the upgrades."""
    from bot.nurture.requalify import requalify
    from bot.playbook import load_playbook

    playbook = load_playbook(args.playbook or load_settings().playbook_path)
    today = date.fromisoformat(args.today) if args.today else date.today()
    with _sessions()() as session:
        upgrades = requalify(session, playbook, today=today, apply=not args.dry_run)
        session.commit()
    if args.json:
        _print_json([u.__dict__ for u in upgrades])
        return EXIT_OK
    verb = "would move" if args.dry_run else "moved"
    print(f"{len(upgrades)} nurtured lead(s) {verb} to qualified (playbook {playbook.version})")
    for u in upgrades:
        print(
            f"  lead {u.lead_id:<6} {u.email or '(no email)':<35} {u.old_score} -> {u.new_score}  "
            f"was: {', '.join(u.old_reasons) or '-'}"
        )
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Everything held about a person, as JSON."""
    from bot.privacy import export_person
    from bot.wiring import tracker_engine

    with _sessions()() as session:
        data = export_person(session, args.email, tracker_engine(load_settings()))
    if data is None:
        print(f"banter: nothing is held about {args.email}", file=sys.stderr)
        return EXIT_FAILED
    _print_json(data)
    return EXIT_OK


def cmd_erase(args: argparse.Namespace) -> int:
    """Delete everything held about a person; keep a receipt without personal data."""
    from bot.privacy import erase_person
    from bot.wiring import tracker_engine

    with _sessions()() as session, session.begin():
        counts = erase_person(session, args.email, tracker_engine(load_settings()))
    if counts is None:
        print(f"banter: nothing is held about {args.email}", file=sys.stderr)
        return EXIT_FAILED
    print("erased: " + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items()))
    return EXIT_OK


def cmd_nurture_status(args: argparse.Namespace) -> int:
    """Enrolments by track and status, sends, and the requalification rate over a period."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import func, select

    from bot.nurture.requalify import requalification_rate
    from bot.store.models import NurtureEnrollment, NurtureSend

    end = datetime.now(timezone.utc)
    start = end - timedelta(days=args.days)
    with _sessions()() as session:
        enrolments = session.execute(
            select(NurtureEnrollment.track, NurtureEnrollment.status, func.count())
            .group_by(NurtureEnrollment.track, NurtureEnrollment.status)
            .order_by(NurtureEnrollment.track)
        ).all()
        sends = dict(
            session.execute(select(NurtureSend.status, func.count()).group_by(NurtureSend.status)).all()
        )
        rate = requalification_rate(session, start, end)
    send_counts = {str(k): int(v) for k, v in sends.items()}
    data: dict[str, Any] = {
        "enrolments": [{"track": t, "status": s, "count": int(n)} for t, s, n in enrolments],
        "sends": send_counts,
        "requalification": {**rate, "days": args.days},
    }
    if args.json:
        _print_json(data)
        return EXIT_OK
    if not enrolments:
        print("no enrolments yet")
    for row in data["enrolments"]:
        print(f"{row['track']:<22} {row['status']:<22} {row['count']}")
    print("sends: " + (", ".join(f"{n} {s}" for s, n in sorted(send_counts.items())) or "none"))
    shown = "n/a" if rate["rate"] is None else f"{rate['rate']:.1%}"
    print(
        f"requalification rate, last {args.days} days: {shown} ({rate['requalified']} of {rate['nurtured']} nurtured)"
    )
    return EXIT_OK


def cmd_rescore(args: argparse.Namespace) -> int:
    """What-if: re-score every stored lead against a draft playbook (and apply it with --apply)."""
    from bot.playbook import PlaybookError, parse_playbook
    from bot.whatif import apply_playbook, what_if, write_playbook

    settings = load_settings()
    path = Path(args.playbook)
    text = _read(path)
    try:
        draft = parse_playbook(text, source=path.name)
    except PlaybookError as err:
        print(str(err), file=sys.stderr)
        return EXIT_BAD_INPUT
    with _sessions()() as session:
        if args.apply:
            with session.begin():
                result = apply_playbook(
                    session, text=text, playbook=draft, path=settings.playbook_path, applied_by=args.by
                )
            write_playbook(settings.playbook_path, text)
        else:
            result = what_if(session, draft)
    if args.json:
        _print_json(result.to_dict(limit=args.limit))
        return EXIT_OK
    verb = "changed" if args.apply else "would change"
    print(
        f"{result.leads} leads re-scored in {result.seconds:.2f} s against {draft.version}: "
        f"{len(result.changes)} {verb} grade ({result.upgraded} up, {result.downgraded} down), "
        f"{result.score_changed} changed score"
    )
    for item in result.to_dict()["transitions"]:
        print(f"  {item['from']:>12} -> {item['to']:<12} {item['count']}")
    for change in result.changes[: args.limit]:
        print(
            f"  lead {change.lead_id:<7} {change.email or '-':<35} {change.old_grade} ({change.old_score}) -> "
            f"{change.new_grade} ({change.new_score})"
        )
    if args.apply:
        print(
            f"applied: {settings.playbook_path} is now {draft.version}; the previous version is kept in the history"
        )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `banter`."""
    parser = argparse.ArgumentParser(prog="banter", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    playbook = sub.add_parser("playbook", help="playbook commands").add_subparsers(dest="sub", required=True)
    check = playbook.add_parser(
        "check", help="validate a playbook (default: BANTER_PLAYBOOK or playbook.yml)"
    )
    check.add_argument("file", nargs="?")
    check.set_defaults(func=cmd_playbook_check)

    score = sub.add_parser("score", help="score a JSON profile (file or stdin) and explain it")
    score.add_argument("file", nargs="?", help="JSON file; '-' or nothing reads stdin")
    score.add_argument("--playbook", help="playbook file (default: BANTER_PLAYBOOK or playbook.yml)")
    score.set_defaults(func=cmd_score)

    leads = sub.add_parser("leads", help="stored leads").add_subparsers(dest="sub", required=True)
    lst = leads.add_parser("list", help="newest leads first")
    lst.add_argument("--grade", choices=["qualified", "nurture", "disqualified"])
    lst.add_argument("--limit", type=int, default=50)
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_leads_list)
    show = leads.add_parser("show", help="one lead with answers, scores and consents")
    who = show.add_mutually_exclusive_group(required=True)
    who.add_argument("--conversation", metavar="SENDER_ID")
    who.add_argument("--email")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_leads_show)

    meetings = sub.add_parser("meetings", help="booked meetings").add_subparsers(dest="sub", required=True)
    mlist = meetings.add_parser("list", help="meetings soonest first")
    mlist.add_argument("--rep", metavar="EMAIL")
    mlist.add_argument("--from", dest="start", metavar="DATE", help="from this day on (YYYY-MM-DD, UTC)")
    mlist.add_argument("--limit", type=int, default=200)
    mlist.add_argument("--json", action="store_true")
    mlist.set_defaults(func=cmd_meetings_list)

    outbox = sub.add_parser("outbox", help="emails and webhooks waiting to be delivered").add_subparsers(
        dest="sub", required=True
    )
    ostatus = outbox.add_parser("status", help="counts by state and the latest errors")
    ostatus.add_argument("--json", action="store_true")
    ostatus.set_defaults(func=cmd_outbox_status)
    outbox.add_parser("retry", help="queue failed messages again").set_defaults(func=cmd_outbox_retry)

    worker = sub.add_parser("worker", help="deliver emails and webhooks from the outbox")
    worker.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    worker.set_defaults(func=cmd_worker)
    sub.add_parser("web", help="serve the web app (meeting links, transcripts)").set_defaults(func=cmd_web)
    sub.add_parser("mailserver", help="local SMTP server writing to BANTER_MAIL_DIR").set_defaults(
        func=cmd_mailserver
    )

    requal = sub.add_parser("requalify", help="re-score nurtured leads; list (and apply) upgrades")
    requal.add_argument("--dry-run", action="store_true", help="list the upgrades, change nothing")
    requal.add_argument("--playbook", help="playbook file (default: BANTER_PLAYBOOK or playbook.yml)")
    requal.add_argument("--today", metavar="DATE", help="reference day for timelines (default: today)")
    requal.add_argument("--json", action="store_true")
    requal.set_defaults(func=cmd_requalify)
    nurture = sub.add_parser("nurture", help="nurture programme").add_subparsers(dest="sub", required=True)
    nstatus = nurture.add_parser("status", help="enrolments, sends and the requalification rate")
    nstatus.add_argument("--days", type=int, default=90, help="period for the requalification rate")
    nstatus.add_argument("--json", action="store_true")
    nstatus.set_defaults(func=cmd_nurture_status)
    rescore = sub.add_parser("rescore", help="what-if: re-score stored leads against a draft playbook")
    rescore.add_argument("--playbook", required=True, metavar="DRAFT.yml")
    rescore.add_argument(
        "--apply", action="store_true", help="apply the draft (keeps the previous in the history)"
    )
    rescore.add_argument("--by", default=os.environ.get("USER", "cli"), help="who applies it (history)")
    rescore.add_argument("--limit", type=int, default=20, help="changed leads to list")
    rescore.add_argument("--json", action="store_true")
    rescore.set_defaults(func=cmd_rescore)
    export = sub.add_parser("export", help="everything held about a person, as JSON")
    export.add_argument("--email", required=True)
    export.set_defaults(func=cmd_export)
    erase = sub.add_parser("erase", help="delete everything held about a person")
    erase.add_argument("--email", required=True)
    erase.set_defaults(func=cmd_erase)

    sub.add_parser("migrate", help="create or upgrade the lead database").set_defaults(func=cmd_migrate)
    sub.add_parser("run", help="start everything (Rasa, actions, web app, worker, local mail)").set_defaults(
        func=cmd_run
    )
    scaled = sub.add_parser(
        "run-scaled", help="PostgreSQL + Redis, Rasa replicas and action servers behind HAProxy"
    )
    scaled.add_argument(
        "--replicas", type=int, help="Rasa replicas and action servers (default: BANTER_REPLICAS or 2)"
    )
    scaled.set_defaults(func=cmd_run_scaled)
    sub.add_parser("shell", help="chat in the terminal").set_defaults(func=cmd_shell)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `banter` console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (BadInput, SettingsError) as err:
        print(f"banter: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as err:  # noqa: BLE001 - one clear line instead of a stack trace
        text = str(err)
        if "no such table" in text or "does not exist" in text and "relation" in text:
            print(
                "banter: the database is not set up or not up to date: run `banter migrate`", file=sys.stderr
            )
            return EXIT_FAILED
        print(f"banter: {type(err).__name__}: {text.splitlines()[0] if text else ''}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
