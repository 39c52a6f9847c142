"""What-if scoring: re-score every stored lead against a draft playbook before applying it.

Answers are read in one ordered pass (no per-lead queries) and scored in memory, so
100,000 leads take seconds. Applying keeps the previous playbook in the history (who and
when), writes the new file, and records new scores (with the version they used) for the
leads whose grade or score changed.

A draft that changes only wording (the questions, the greeting, the proactive-open
messages: nothing scoring reads) is not re-scored: the what-if says "no scoring change",
and applying it records the history and writes the file at once (a wording change reaches
the next message in about a second, however many leads are stored).
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.playbook import Playbook, PlaybookError, load_playbook
from bot.profile import UNSCORED_FIELDS, scoring_profile
from bot.scoring import score_lead
from bot.store.db import make_engine, session_factory
from bot.store.meetings import record_event
from bot.store.models import Answer, Lead, PlaybookVersion
from bot.store.repository import ScoreIn, lead_score_columns, score_snapshot

GRADE_ORDER = {"disqualified": 0, "nurture": 1, "qualified": 2}

#: Playbook sections that are only wording (scoring never reads them); also each proactive rule's message.
WORDING = frozenset({"version", "questions", "greeting"})


def _scored_part(playbook: Playbook) -> dict[str, Any]:
    data = playbook.dict(exclude=set(WORDING))
    data["website"]["proactive"] = [
        {k: v for k, v in rule.items() if k != "message"} for rule in data["website"]["proactive"]
    ]
    return data


def wording_only(current: Playbook, draft: Playbook) -> bool:
    """True when `draft` differs from `current` only in wording, so no stored lead's score can change."""
    return _scored_part(current) == _scored_part(draft)


def questions_turned_off(current: Playbook, draft: Playbook) -> list[str]:
    """Labels of the questions `draft` no longer asks (new leads will not have those answers)."""
    before, after = current.question_registry(), draft.question_registry()
    gone = set(before.order()) - set(after.order())
    return [after.label(key) for key in before.order() if key in gone]


@dataclass(frozen=True)
class Change:
    """One lead whose grade would change."""

    lead_id: int
    email: str | None
    old_grade: str | None
    new_grade: str
    old_score: int | None
    new_score: int
    new_reasons: tuple[str, ...]
    new_next_step: str


@dataclass
class WhatIf:
    """The effect of a draft playbook on the stored leads."""

    version: str
    leads: int = 0
    seconds: float = 0.0
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    changes: list[Change] = field(default_factory=list)
    score_changed: int = 0
    wording_only: bool = False  # nothing scoring reads changed: no lead was re-scored
    turned_off: list[str] = field(default_factory=list)  # questions no longer asked

    @property
    def upgraded(self) -> int:
        """Leads moving to a better grade."""
        return sum(
            n for (a, b), n in self.transitions.items() if GRADE_ORDER.get(b, 0) > GRADE_ORDER.get(a, 0)
        )

    @property
    def downgraded(self) -> int:
        """Leads moving to a worse grade."""
        return sum(
            n for (a, b), n in self.transitions.items() if GRADE_ORDER.get(b, 0) < GRADE_ORDER.get(a, 0)
        )

    def to_dict(self, limit: int = 200) -> dict[str, Any]:
        """JSON-ready summary with the first `limit` changed leads."""
        return {
            "version": self.version,
            "leads": self.leads,
            "seconds": round(self.seconds, 3),
            "changed": len(self.changes),
            "upgraded": self.upgraded,
            "downgraded": self.downgraded,
            "score_changed": self.score_changed,
            "wording_only": self.wording_only,
            "turned_off": list(self.turned_off),
            "transitions": [
                {"from": a, "to": b, "count": n} for (a, b), n in sorted(self.transitions.items())
            ],
            "changes": [c.__dict__ | {"new_reasons": list(c.new_reasons)} for c in self.changes[:limit]],
        }


def _profiles(
    session: Session, signals: dict[int, Any], first: int | None = None, last: int | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(lead id, scoring profile) for every lead with answers, in one ordered pass.

    The profile is built by bot.profile.scoring_profile, as in the chat and every re-score.
    """
    query = select(Answer.lead_id, Answer.field, Answer.normalized, Answer.declined).where(
        Answer.field.not_in(UNSCORED_FIELDS)
    )
    if first is not None:
        query = query.where(Answer.lead_id >= first)
    if last is not None:
        query = query.where(Answer.lead_id < last)
    rows = session.execute(
        query.order_by(Answer.lead_id, Answer.answered_at, Answer.id).execution_options(yield_per=20000)
    )
    for lead_id, answers in groupby(rows, key=itemgetter(0)):
        yield lead_id, scoring_profile((row[1:] for row in answers), signals.get(lead_id))


def _rescored(
    session: Session, playbook: Playbook, today: date, first: int | None = None, last: int | None = None
) -> Iterator[tuple[int, tuple[Any, ...], Any]]:
    query = select(Lead.id, Lead.email, Lead.grade, Lead.score, Lead.signals)
    if first is not None:
        query = query.where(Lead.id >= first)
    if last is not None:
        query = query.where(Lead.id < last)
    current, signals = {}, {}
    for lead_id, email, grade, score, lead_signals in session.execute(query):
        current[lead_id] = (email, grade, score)
        if lead_signals:
            signals[lead_id] = lead_signals
    for lead_id, profile in _profiles(session, signals, first, last):
        yield lead_id, current.get(lead_id, (None, None, None)), score_lead(profile, playbook, today=today)


def _tally(
    result: WhatIf,
    session: Session,
    playbook: Playbook,
    today: date,
    apply_as: str | None,
    first: int | None = None,
    last: int | None = None,
) -> None:
    for lead_id, (email, old_grade, old_score), scored in _rescored(session, playbook, today, first, last):
        result.leads += 1
        changed_grade = scored.grade != old_grade
        if scored.score != old_score:
            result.score_changed += 1
        if changed_grade:
            result.transitions[(old_grade or "none", scored.grade)] += 1
            result.changes.append(
                Change(
                    lead_id,
                    email,
                    old_grade,
                    scored.grade,
                    old_score,
                    scored.score,
                    tuple(scored.reasons),
                    scored.next_step,
                )
            )
        if apply_as and (changed_grade or scored.score != old_score):
            score = ScoreIn.of(scored)
            session.add(score_snapshot(lead_id, score))
            session.execute(update(Lead).where(Lead.id == lead_id).values(**lead_score_columns(score)))
            if changed_grade:
                record_event(
                    session=session,
                    lead_id=lead_id,
                    conversation_id=None,
                    kind="grade_rescored",
                    detail={
                        "from": old_grade,
                        "to": scored.grade,
                        "playbook_version": playbook.version,
                        "by": apply_as,
                    },
                )


def _part(url: str, playbook: Playbook, today: date, first: int, last: int) -> WhatIf:
    """One worker process's share of a what-if (lead ids in [first, last))."""
    engine = make_engine(url)
    try:
        result = WhatIf(version=playbook.version)
        with session_factory(engine)() as session:
            _tally(result, session, playbook, today, None, first, last)
        return result
    finally:
        engine.dispose()


def what_if(
    session: Session,
    playbook: Playbook,
    *,
    today: date | None = None,
    apply_as: str | None = None,
    workers: int | None = None,
    parallel_from: int = 20000,
    current: Playbook | None = None,
) -> WhatIf:
    """Re-score every stored lead against `playbook`; with `apply_as`, record the changed scores.

    A preview of many leads is split by lead id over `workers` processes (default: the
    CPU count), each reading and scoring its share; applying runs in this transaction.
    Given the `current` playbook, a draft that changes only wording is not re-scored.
    """
    started = time.perf_counter()
    today = today or date.today()
    result = WhatIf(version=playbook.version)
    if current is not None:
        result.turned_off = questions_turned_off(current, playbook)
        if wording_only(current, playbook):
            result.wording_only = True
            result.leads = int(session.execute(select(func.count(Lead.id))).scalar_one())
            result.seconds = time.perf_counter() - started
            return result
    low, high = session.execute(select(func.min(Lead.id), func.max(Lead.id))).one()
    workers = workers or os.cpu_count() or 1
    url = session.get_bind().url
    if (
        apply_as
        or workers < 2
        or low is None
        or high - low < parallel_from
        or url.database in (None, "", ":memory:")
    ):
        _tally(result, session, playbook, today, apply_as)
    else:
        step = (high - low) // workers + 1
        bounds = [(low + i * step, min(low + (i + 1) * step, high + 1)) for i in range(workers)]
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn")
        ) as pool:
            parts = list(
                pool.map(
                    _part,
                    *zip(
                        *[
                            (url.render_as_string(hide_password=False), playbook, today, a, b)
                            for a, b in bounds
                        ],
                        strict=True,
                    ),
                )
            )
        for part in parts:
            result.leads += part.leads
            result.score_changed += part.score_changed
            result.transitions.update(part.transitions)
            result.changes.extend(part.changes)
    if apply_as:
        session.execute(update(Lead).values(playbook_version=playbook.version))
    result.seconds = time.perf_counter() - started
    return result


def apply_playbook(
    session: Session,
    *,
    text: str,
    playbook: Playbook,
    path: Path,
    applied_by: str,
    today: date | None = None,
    current: Playbook | None = None,
) -> WhatIf:
    """Keep the old playbook in the history, re-score and record the changes.

    The caller commits, then writes the file with `write_playbook`, so a failed commit never
    leaves a new playbook file behind. Given the `current` playbook, a wording-only draft is
    recorded without re-scoring (no score can change).
    """
    if session.execute(select(PlaybookVersion.id).limit(1)).first() is None and path.exists():
        session.add(
            PlaybookVersion(
                version="(before history)", text=path.read_text(encoding="utf-8"), applied_by="file"
            )
        )
    result = what_if(session, playbook, today=today, apply_as=applied_by, current=current)
    session.add(
        PlaybookVersion(
            version=playbook.version,
            text=text,
            applied_by=applied_by,
            changed_grades={f"{a}->{b}": n for (a, b), n in result.transitions.items()},
        )
    )
    session.flush()
    return result


def write_playbook(path: Path, text: str) -> None:
    """Replace the playbook file atomically (the action server re-reads it on change)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".playbook-", suffix=".yml")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def save_playbook(
    sessions: Callable[[], Session],
    *,
    text: str,
    playbook: Playbook,
    path: Path,
    applied_by: str,
    current: Playbook | None = None,
) -> WhatIf:
    """Apply `playbook` (validated from `text`): history and scores in one transaction, then the file.

    The one path every console editor saves through (the playbook editor, the question
    editor, "make this the wording"). `current` is the playbook on disk now (read from `path`
    when not given), so a wording-only change is recorded without re-scoring.
    """
    if current is None:
        try:
            current = load_playbook(path) if path.exists() else None
        except PlaybookError:  # the file on disk is broken: re-score everything, as without history
            current = None
    with sessions() as session, session.begin():
        result = apply_playbook(
            session, text=text, playbook=playbook, path=path, applied_by=applied_by, current=current
        )
    write_playbook(path, text)
    return result
