"""Calibration: does Banter's "qualified" match what sales accepted? Figures, and a suggested draft.

Figures (the overview; definitions in docs/console_figures.md), over the leads created in the
period that sales gave a verdict (bot.outcomes.service.lead_verdicts: the latest accepted,
rejected, won or lost):

- per grade Banter gave at hand-off (the latest score before the lead's first meeting was
  booked, or before its first outcome without a meeting): leads, accepted, rejected, and the
  share accepted (for `qualified` this is the precision of the grade);
- the reasons sales rejected them (bot.vocab.REASONS; a note without a reason apart);
- per criterion, how often a lead that met it / missed or partly met it / left it unknown at
  hand-off was accepted;
- the no-show rate: of the period's booked meetings whose attendance is known, the share
  whose latest attendance outcome is a no-show.

`suggest` looks for playbook changes that would have matched sales' verdicts better on those
same leads (each lead re-scored with the real scorer as of its hand-off day): the minimum
budget, the qualifying score, a weight moved between two criteria, a criterion added to or
taken out of `must_not_miss`. Changes are taken greedily, best first, while each matches at
least MIN_GAIN more verdicts; each is explained in one sentence. The draft only ever opens in
the what-if preview: nothing is applied here.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.console.queries import in_period
from bot.describe import money, reason_words
from bot.outcomes import ATTENDANCE
from bot.outcomes.draft import DraftError, set_value
from bot.outcomes.followup import stored_profiles
from bot.outcomes.service import lead_verdicts
from bot.playbook import Playbook, PlaybookError, parse_playbook
from bot.scoring import ScoreResult, annual_budget, score_lead
from bot.store.meetings import utc
from bot.store.models import Lead, Meeting, SalesOutcome, ScoreSnapshot
from bot.vocab import CRITERIA, GRADES, REASONS

Rows = list[dict[str, Any]]

MIN_VERDICTS = 20  # fewer verdicts than this: no suggestion (noise, not a pattern)
MAX_CHANGES = 3
NOTE_ONLY = "(note only)"
CHUNK = 500


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class Case:
    """A lead sales gave a verdict, as Banter saw it at hand-off."""

    lead_id: int
    accepted: bool
    outcome: str
    reason: str | None
    handoff_at: datetime
    grade: str | None  # Banter's grade at hand-off
    criteria: tuple[dict[str, Any], ...] = ()


def _firsts(session: Session, column: Any, key: Any, ids: list[int]) -> dict[int, datetime]:
    found: dict[int, datetime] = {}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(key, func.min(column)).where(key.in_(ids[start : start + CHUNK])).group_by(key)
        )
        found.update({int(lead_id): utc(at) for lead_id, at in rows if at is not None})
    return found


def cases(session: Session, start: datetime, end: datetime) -> list[Case]:
    """The period's leads with a verdict, each with the grade and criteria Banter gave it at hand-off."""
    verdict = lead_verdicts()
    rows = session.execute(
        select(Lead.id, verdict.c.outcome, verdict.c.reason, verdict.c.accepted)
        .join(verdict, verdict.c.lead_id == Lead.id)
        .where(*in_period(start, end))
        .order_by(Lead.id)
    ).all()
    ids = [int(r[0]) for r in rows]
    meetings = _firsts(session, Meeting.created_at, Meeting.lead_id, ids)
    outcomes = _firsts(session, SalesOutcome.recorded_at, SalesOutcome.lead_id, ids)
    snapshots: dict[int, list[tuple[datetime, str, Any]]] = {}
    for first in range(0, len(ids), CHUNK):
        found = session.execute(
            select(
                ScoreSnapshot.lead_id, ScoreSnapshot.created_at, ScoreSnapshot.grade, ScoreSnapshot.criteria
            )
            .where(ScoreSnapshot.lead_id.in_(ids[first : first + CHUNK]))
            .order_by(ScoreSnapshot.lead_id, ScoreSnapshot.created_at, ScoreSnapshot.id)
        )
        for lead_id, group in groupby(found, key=itemgetter(0)):
            snapshots[int(lead_id)] = [(utc(at), grade, criteria) for _, at, grade, criteria in group]
    out = []
    for lead_id, outcome, reason, accepted in rows:
        handoff = meetings.get(lead_id) or outcomes[lead_id]
        scored = snapshots.get(lead_id, [])
        before = [s for s in scored if s[0] <= handoff] or scored[:1]
        grade, criteria = (before[-1][1], before[-1][2]) if before else (None, [])
        out.append(Case(int(lead_id), bool(accepted), outcome, reason, handoff, grade, tuple(criteria or ())))
    return out


def by_grade(found: Sequence[Case]) -> Rows:
    """Per grade at hand-off: leads with a verdict, accepted, rejected, % accepted (qualified: the precision)."""
    rows = []
    for grade in GRADES:
        mine = [c for c in found if c.grade == grade]
        accepted = sum(c.accepted for c in mine)
        rows.append(
            {
                "grade": grade,
                "verdicts": len(mine),
                "accepted": accepted,
                "rejected": len(mine) - accepted,
                "accepted_pct": _pct(accepted, len(mine)),
            }
        )
    return rows


def rejections(found: Sequence[Case]) -> Rows:
    """Per reason (bot.vocab.REASONS, then a note without a reason): leads whose verdict is a rejection for it."""
    counts = Counter(c.reason or NOTE_ONLY for c in found if c.outcome == "rejected")
    rows = [{"reason": r, "label": reason_words(r), "rejected": counts.get(r, 0)} for r in REASONS]
    rows.append(
        {
            "reason": NOTE_ONLY,
            "label": "no reason picked (see the note)",
            "rejected": counts.get(NOTE_ONLY, 0),
        }
    )
    return rows


def _standing(status: str | None) -> str:
    if status == "met":
        return "met"
    if status in ("partial", "missed"):
        return "not_met"
    return "unknown"


def by_criterion(found: Sequence[Case]) -> Rows:
    """Per criterion: leads that met it / missed or partly met it / left it unknown at hand-off, and % accepted."""
    rows = []
    for name in CRITERIA:
        tally: dict[str, list[int]] = {"met": [0, 0], "not_met": [0, 0], "unknown": [0, 0]}
        for c in found:
            status = next((x.get("status") for x in c.criteria if x.get("name") == name), None)
            seen = tally[_standing(status)]
            seen[0] += 1
            seen[1] += int(c.accepted)
        row: dict[str, Any] = {"criterion": name, "label": name.replace("icp_", "ICP ").replace("_", " ")}
        for key, (n, accepted) in tally.items():
            row[key] = n
            row[f"{key}_accepted_pct"] = _pct(accepted, n)
        rows.append(row)
    return rows


def attendance(session: Session, start: datetime, end: datetime, now: datetime) -> dict[str, Any]:
    """Booked meetings of the period's leads: attendance known, no-shows, the no-show rate, awaiting an outcome."""
    ranked = (
        select(
            SalesOutcome.meeting_id,
            SalesOutcome.outcome,
            func.row_number()
            .over(
                partition_by=SalesOutcome.meeting_id,
                order_by=(SalesOutcome.recorded_at.desc(), SalesOutcome.id.desc()),
            )
            .label("n"),
        )
        .where(SalesOutcome.outcome.in_(ATTENDANCE), SalesOutcome.meeting_id.is_not(None))
        .subquery("attendance_ranked")
    )
    latest = select(ranked.c.meeting_id, ranked.c.outcome).where(ranked.c.n == 1).subquery("attendance")
    known, no_shows, awaiting = session.execute(
        select(
            func.count(latest.c.meeting_id),
            func.sum(case((latest.c.outcome == "no_show", 1), else_=0)),
            func.sum(case(((latest.c.meeting_id.is_(None)) & (Meeting.end_at <= now), 1), else_=0)),
        )
        .select_from(Meeting)
        .join(Lead, Lead.id == Meeting.lead_id)
        .outerjoin(latest, latest.c.meeting_id == Meeting.id)
        .where(*in_period(start, end), Meeting.status == "booked")
    ).one()
    known, no_shows = int(known or 0), int(no_shows or 0)
    return {
        "meetings_known": known,
        "no_shows": no_shows,
        "no_show_pct": _pct(no_shows, known),
        "awaiting_outcome": int(awaiting or 0),
    }


def calibration_figures(session: Session, start: datetime, end: datetime, now: datetime) -> dict[str, Any]:
    """The overview's calibration tables and its summary line (`calibration`), for one period."""
    found = cases(session, start, end)
    grades = by_grade(found)
    qualified = next(r for r in grades if r["grade"] == "qualified")
    accepted = sum(c.accepted for c in found)
    return {
        "sales_verdicts": grades,
        "rejections": rejections(found),
        "criteria_acceptance": by_criterion(found),
        "calibration": {
            "verdicts": len(found),
            "accepted": accepted,
            "rejected": len(found) - accepted,
            "qualified_verdicts": qualified["verdicts"],
            "qualified_accepted": qualified["accepted"],
            "precision_pct": qualified["accepted_pct"],
            **attendance(session, start, end, now),
        },
    }


# -- suggestions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """One change to the playbook, why, and how many verdicts the draft matches with it."""

    path: tuple[str, ...]
    old: Any
    new: Any
    sentence: str
    matched: int


@dataclass
class Suggested:
    """What `suggest` found: the verdicts, how many the playbook matches now, the changes and the draft text."""

    verdicts: int
    matched_now: int
    suggestions: list[Suggestion] = field(default_factory=list)
    text: str | None = None
    draft: Playbook | None = None  # `text`, parsed
    note: str = ""


@dataclass
class _Trial:
    playbook: Playbook
    path: tuple[str, ...]
    old: Any
    new: Any
    family: str
    cost: float  # smaller wins a tie: rounder numbers, smaller steps
    predictions: list[bool]
    explain: Callable[[int], str]  # gain -> the sentence


def _nice(amount: float) -> float:
    """Two significant digits: 24,870 -> 25,000."""
    return float(f"{amount:.2g}")


def _digits(amount: float) -> int:
    return len(str(int(round(amount))).rstrip("0")) or 1


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


class _Search:
    """Re-scores the verdict leads under candidate playbooks (only the leads a change can touch)."""

    def __init__(
        self, found: Sequence[Case], profiles: dict[int, dict[str, Any]], playbook: Playbook
    ) -> None:
        self.cases = [c for c in found if profiles.get(c.lead_id)]
        self.profiles = [profiles[c.lead_id] for c in self.cases]
        self.days = [c.handoff_at.date() for c in self.cases]
        self.accepted = [c.accepted for c in self.cases]
        self.amounts = [annual_budget(p, playbook) for p in self.profiles]
        self.base: list[ScoreResult] = [self.score(i, playbook) for i in range(len(self.cases))]

    def score(self, i: int, playbook: Playbook) -> ScoreResult:
        return score_lead(self.profiles[i], playbook, today=self.days[i])

    def predict(
        self, playbook: Playbook, only: Sequence[int] | None = None, base: list[bool] | None = None
    ) -> list[bool]:
        out = list(base) if base is not None else [False] * len(self.cases)
        for i in only if only is not None else range(len(self.cases)):
            out[i] = self.score(i, playbook).grade == "qualified"
        return out

    def matched(self, predictions: Sequence[bool]) -> int:
        return sum(p == a for p, a in zip(predictions, self.accepted, strict=True))

    def status(self, i: int, criterion: str) -> str:
        found = next(c for c in self.base[i].criteria if c.name == criterion)
        return _standing(found.status)

    def rate(self, indices: Sequence[int]) -> tuple[int, int]:
        return sum(self.accepted[i] for i in indices), len(indices)


def _budget_trials(s: _Search, pb: Playbook, current: list[bool]) -> list[_Trial]:
    old = pb.budget.min_annual
    seen = sorted({a for a in s.amounts if a is not None and a > 0})
    levels = sorted({_nice(a) for a in seen} | set(seen))
    if len(levels) > 120:  # many distinct amounts: the round numbers only
        levels = sorted({_nice(a) for a in seen})
    currency = pb.budget.currency

    def band(amount: float | None, minimum: float) -> int:
        return -1 if amount is None else (2 if amount >= minimum else 1 if amount >= minimum / 2 else 0)

    # With everything else fixed, a lead's grade depends on the minimum only through its budget's
    # band (at least the minimum, at least half of it, below): at most three scores per lead.
    by_band: dict[tuple[int, int], bool] = {}
    trials = []
    for level in levels:
        if level == old:
            continue
        draft = pb.copy(update={"budget": pb.budget.copy(update={"min_annual": level})})
        predictions = list(current)
        for i, amount in enumerate(s.amounts):
            now = band(amount, level)
            if now == band(amount, old):
                continue
            if (i, now) not in by_band:
                by_band[(i, now)] = s.score(i, draft).grade == "qualified"
            predictions[i] = by_band[(i, now)]
        below = [i for i, a in enumerate(s.amounts) if a is not None and a < level]
        above = [i for i, a in enumerate(s.amounts) if a is not None and a >= level]

        def explain(
            gain: int, level: float = level, below: list[int] = below, above: list[int] = above
        ) -> str:
            acc_below, n_below = s.rate(below)
            acc_above, n_above = s.rate(above)
            verb = "Raise" if level > old else "Lower"
            return (
                f"{verb} the minimum annual budget (budget.min_annual) from {money(old, currency)} to "
                f"{money(level, currency)}: sales rejected {n_below - acc_below} of the {n_below} leads with a "
                f"verdict below {money(level, currency)} ({_pct(n_below - acc_below, n_below)}%) and accepted "
                f"{acc_above} of the {n_above} at or above it ({_pct(acc_above, n_above)}%), so {gain} more of its "
                f"{len(s.cases)} verdicts would have matched."
            )

        cost = _digits(level) + abs(math.log(level / old)) / 100 if old > 0 else _digits(level)
        trials.append(
            _Trial(
                draft,
                ("budget", "min_annual"),
                _number(old),
                _number(level),
                "budget",
                cost,
                predictions,
                explain,
            )
        )
    return trials


def _flips(s: _Search, before: Sequence[bool], after: Sequence[bool]) -> str:
    up = [i for i in range(len(before)) if after[i] and not before[i]]
    down = [i for i in range(len(before)) if before[i] and not after[i]]
    parts = []
    if up:
        acc, n = s.rate(up)
        parts.append(f"it qualifies {n} more lead{'s' if n != 1 else ''}, {acc} of which sales accepted")
    if down:
        acc, n = s.rate(down)
        parts.append(f"it stops qualifying {n}, {n - acc} of which sales rejected")
    return " and ".join(parts) or "no lead changes grade"


def _threshold_trials(s: _Search, pb: Playbook, current: list[bool]) -> list[_Trial]:
    old = pb.thresholds.qualified
    trials = []
    for step in (-10, -5, 5, 10):
        new = old + step
        if not 1 <= new <= 100:
            continue
        draft = pb.copy(update={"thresholds": pb.thresholds.copy(update={"qualified": new})})
        predictions = s.predict(draft)

        def explain(gain: int, new: int = new, predictions: list[bool] = predictions) -> str:
            verb = "Raise" if new > old else "Lower"
            return (
                f"{verb} the qualifying score (thresholds.qualified) from {old} to {new}: "
                f"{_flips(s, current, predictions)}, so {gain} more of its {len(s.cases)} verdicts would have matched."
            )

        trials.append(
            _Trial(draft, ("thresholds", "qualified"), old, new, "threshold", abs(step), predictions, explain)
        )
    return trials


def _criterion_words(name: str) -> str:
    return name.replace("icp_", "ICP ").replace("_", " ")


def _must_trials(s: _Search, pb: Playbook, current: list[bool]) -> list[_Trial]:
    old = list(pb.thresholds.must_not_miss)
    trials = []
    for name in CRITERIA:
        new = [c for c in old if c != name] if name in old else [c for c in CRITERIA if c in old or c == name]
        draft = pb.copy(update={"thresholds": pb.thresholds.copy(update={"must_not_miss": new})})
        predictions = s.predict(draft)
        missing = [i for i in range(len(s.cases)) if s.status(i, name) == "not_met"]

        def explain(gain: int, name: str = name, missing: list[int] = missing) -> str:
            acc, n = s.rate(missing)
            if name in old:
                return (
                    f"Stop requiring {_criterion_words(name)} (take {name} out of thresholds.must_not_miss): sales "
                    f"accepted {acc} of the {n} leads that missed or only partly met it ({_pct(acc, n)}%), so {gain} "
                    f"more of its {len(s.cases)} verdicts would have matched."
                )
            return (
                f"Require {_criterion_words(name)} (add {name} to thresholds.must_not_miss): sales rejected "
                f"{n - acc} of the {n} leads that missed or only partly met it ({_pct(n - acc, n)}%), so {gain} "
                f"more of its {len(s.cases)} verdicts would have matched."
            )

        trials.append(
            _Trial(draft, ("thresholds", "must_not_miss"), old, new, "must_not_miss", 1, predictions, explain)
        )
    return trials


def _lifts(s: _Search) -> dict[str, tuple[float, int, int, int, int]]:
    """Criterion -> (acceptance when met minus when not met, accepted met, met, accepted not met, not met)."""
    out = {}
    for name in CRITERIA:
        met = [i for i in range(len(s.cases)) if s.status(i, name) == "met"]
        not_met = [i for i in range(len(s.cases)) if s.status(i, name) == "not_met"]
        (am, nm), (an, nn) = s.rate(met), s.rate(not_met)
        if nm >= 5 and nn >= 5:
            out[name] = (am / nm - an / nn, am, nm, an, nn)
    return out


def _weight_trials(s: _Search, pb: Playbook, current: list[bool]) -> list[_Trial]:
    lifts = _lifts(s)
    if len(lifts) < 2:
        return []
    ranked = sorted(lifts, key=lambda c: lifts[c][0])
    trials = []
    for giver in ranked[:2]:
        for taker in ranked[-2:]:
            if giver == taker or lifts[taker][0] <= lifts[giver][0]:
                continue
            for step in (5, 10):
                if pb.weights[giver] < step:
                    continue
                weights = {**pb.weights, giver: pb.weights[giver] - step, taker: pb.weights[taker] + step}
                draft = pb.copy(update={"weights": weights})
                predictions = s.predict(draft)

                def explain(gain: int, giver: str = giver, taker: str = taker, step: int = step) -> str:
                    _, am, nm, an, nn = lifts[taker]
                    _, gm, gn, gx, gy = lifts[giver]
                    return (
                        f"Move {step} points of weight from {_criterion_words(giver)} to {_criterion_words(taker)} "
                        f"(weights.{giver} {_number(pb.weights[giver])} -> {_number(pb.weights[giver] - step)}, "
                        f"weights.{taker} {_number(pb.weights[taker])} -> {_number(pb.weights[taker] + step)}): sales "
                        f"accepted {_pct(am, nm)}% of leads that met {_criterion_words(taker)} against {_pct(an, nn)}% "
                        f"of those that did not, while {_criterion_words(giver)} made less difference "
                        f"({_pct(gm, gn)}% against {_pct(gx, gy)}%), so {gain} more of its {len(s.cases)} verdicts "
                        f"would have matched."
                    )

                trials.append(
                    _Trial(
                        draft, ("weights",), dict(pb.weights), weights, "weights", step, predictions, explain
                    )
                )
    return trials


FAMILIES = (_budget_trials, _threshold_trials, _must_trials, _weight_trials)


def min_gain(verdicts: int) -> int:
    """The fewest extra matched verdicts a change must bring to be suggested (1% of them, at least 2)."""
    return max(2, math.ceil(verdicts / 100))


def _write(text: str, trial: _Trial) -> str:
    if trial.path == ("weights",):
        for name, weight in trial.new.items():
            if weight != trial.old.get(name):
                text = set_value(text, ("weights", name), _number(weight))
        return text
    return set_value(text, trial.path, trial.new)


def suggest(
    session: Session, playbook: Playbook, text: str, start: datetime, end: datetime, *, source: str = "draft"
) -> Suggested:
    """Changes that would have matched sales' verdicts better on the period's leads, and the draft text."""
    found = cases(session, start, end)
    search = _Search(found, stored_profiles(session, [c.lead_id for c in found]), playbook)
    verdicts = len(search.cases)
    current = [r.grade == "qualified" for r in search.base]
    matched = search.matched(current)
    result = Suggested(verdicts=verdicts, matched_now=matched)
    if verdicts < MIN_VERDICTS:
        result.note = f"Only {verdicts} leads with a verdict from sales in this period: at least {MIN_VERDICTS} are needed."
        return result
    pb, used, draft = playbook, set(), text
    for _ in range(MAX_CHANGES):
        trials = [t for family in FAMILIES for t in family(search, pb, current) if t.family not in used]
        if not trials:
            break
        best = max(trials, key=lambda t: (search.matched(t.predictions), -t.cost))
        gain = search.matched(best.predictions) - matched
        if gain < min_gain(verdicts):
            break
        try:
            written = _write(draft, best)
        except DraftError:
            used.add(best.family)
            continue
        draft, pb, current, matched = written, best.playbook, best.predictions, matched + gain
        used.add(best.family)
        result.suggestions.append(Suggestion(best.path, best.old, best.new, best.explain(gain), matched))
    if not result.suggestions:
        result.note = (
            f"No change to the minimum budget, the qualifying score, a weight or must_not_miss would have matched at "
            f"least {min_gain(verdicts)} more of the {verdicts} verdicts ({matched} match now)."
        )
        return result
    try:
        result.draft = parse_playbook(draft, source=source)
    except PlaybookError as err:  # never hand marketing a draft that does not load
        result.note = f"The suggested draft does not validate: {err}"
        result.suggestions = []
        return result
    result.text = draft
    result.note = (
        f"{len(result.suggestions)} change{'s' if len(result.suggestions) > 1 else ''} suggested from the {verdicts} "
        f"leads sales gave a verdict: the draft matches {matched} of their verdicts, the current playbook "
        f"{result.matched_now}."
    )
    return result
