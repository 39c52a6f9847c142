"""Periodic work of the worker: due nurture steps, and the daily requalification run.

The daily run is claimed by inserting (job, date) into job_runs: the primary key lets
exactly one of several workers run it each day.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timezone

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.nurture.requalify import requalify
from bot.nurture.service import NurtureService
from bot.playbook import Playbook, parse_window
from bot.store.models import JobRun

logger = logging.getLogger(__name__)


def claim_daily(session: Session, job: str, day: date) -> bool:
    """True for the one caller that gets to run `job` on `day` (commit to keep the claim)."""
    try:
        with session.begin_nested():
            session.add(JobRun(job=job, run_date=day, result={}))
            session.flush()
    except IntegrityError:
        return False
    return True


def daily_requalify(
    sessions: Callable[[], Session], playbook: Playbook, now: Callable[[], datetime]
) -> Callable[[], int]:
    """A job: once a day after `nurture.requalify_daily_at` (UTC), re-score and apply upgrades."""
    at_minutes = parse_window(f"{playbook.nurture.requalify_daily_at}-23:59")[0]

    def job() -> int:
        moment = now().astimezone(timezone.utc)
        if moment.hour * 60 + moment.minute < at_minutes:
            return 0
        with sessions() as session, session.begin():
            if not claim_daily(session, "requalify", moment.date()):
                return 0
            upgrades = requalify(session, playbook, today=moment.date(), apply=True)
            run = session.get(JobRun, ("requalify", moment.date()))
            run.result = {
                "upgraded": [u.lead_id for u in upgrades],
                "at": time(moment.hour, moment.minute).isoformat(),
            }
        if upgrades:
            logger.info("daily requalification: %d lead(s) now qualified", len(upgrades))
        return len(upgrades)

    return job


def nurture_sends(service: NurtureService) -> Callable[[], int]:
    """A job: queue the nurture steps that are due now."""

    def job() -> int:
        done = service.send_due()
        return done.sent

    return job
