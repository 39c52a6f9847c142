"""Score a visitor profile against the playbook: explainable, pure, deterministic.

Each criterion of bot.vocab.CRITERIA earns a share of its playbook weight:

- met: full points; partial: a share (see below) and usually a reason code;
  missed: no points and a reason code; unknown or declined: `unknown_credit` of the
  weight, never the worst case, and no reason code.
- A criterion in thresholds.must_not_miss with a reason code blocks qualification.
- budget: annual amount in the playbook currency >= min_annual met; >= half of it
  partial (1/2, reason budget); below, or "no budget yet", missed (budget).
- authority: the role's seniority mapped by the playbook: decision_maker met,
  influencer partial (1/2, authority), none missed (authority).
- need: a playbook use case matched met; "just researching" partial (1/2, need);
  a need we do not serve partial (1/4, need).
- timeline: within qualified_within_months met; within nurture_within_months partial
  (1/2, timeline); later or "no rush" missed (timeline).
- icp_size: inside the ideal band met; at least the minimum partial (3/4, no reason);
  below the minimum missed (icp_size).
- icp_industry / icp_region: in the ICP met, else missed (icp_industry / icp_region).

Grades: a knock-out (student, job seeker, competitor, vendor pitch, spam) or an
invalid contact only disqualifies (next step close). A lead with a total of at least
thresholds.qualified and none of thresholds.must_not_miss missed is qualified (next step
book_demo). Gray area: below the minimum size, a decision maker and a growth plan that
reaches the minimum within gray_area.growth_horizon_months is nurture with next step
discovery_call. Everything else is nurture; its reasons are ordered by points lost,
heaviest first (the primary reason), and a nurture lead without any reason gets
low_engagement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dateutil.relativedelta import relativedelta

from bot.describe import describe, money
from bot.playbook import Playbook
from bot.questions import visitor_currency
from bot.vocab import CRITERIA, DECLINED

_SOURCE_FIELD = {
    "budget": "budget",
    "authority": "role",
    "need": "need",
    "timeline": "timeline",
    "icp_size": "company_size",
    "icp_industry": "industry",
    "icp_region": "country",
}


@dataclass(frozen=True)
class CriterionResult:
    """Points of one criterion with a one-line reason."""

    name: str
    status: str  # met | partial | missed | unknown | declined
    points: float
    max_points: float
    reason: str
    reason_code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class ScoreResult:
    """Total, grade, per-criterion explanation, reasons (primary first) and next step."""

    score: int
    grade: str
    criteria: list[CriterionResult]
    reasons: list[str]
    next_step: str
    nurture_track: str | None
    gray_area: bool
    playbook_version: str
    notes: list[str] = field(default_factory=list)
    signals: list[dict[str, Any]] = field(default_factory=list)  # website behaviour that counted

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        data = asdict(self)
        data["criteria"] = [c.to_dict() for c in self.criteria]
        return data

    def explain(self) -> list[str]:
        """Human lines: one per criterion, then the notes (knock-outs, gray area)."""
        lines = [f"{c.name}: {c.points:g}/{c.max_points:g} ({c.status}) - {c.reason}" for c in self.criteria]
        lines += [f"signal {s['name']}: {s['points']:+g} - {s['reason']}" for s in self.signals]
        return lines + self.notes


def _months_after(today: date, months: float) -> date:
    """The day `months` calendar months after `today` (fractions of a month as days)."""
    whole = int(months)
    return today + relativedelta(months=whole) + timedelta(days=round((months - whole) * 30.44))


def _round(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _value(profile: Mapping[str, Any], field_name: str) -> Any:
    value = profile.get(field_name)
    return value if value == DECLINED or isinstance(value, Mapping) else None


def _budget_conversion(
    value: Mapping[str, Any], profile: Mapping[str, Any], playbook: Playbook
) -> tuple[float | None, str]:
    """(annual amount in the playbook currency, None without a rate; a note when the currency was assumed)."""
    currency = value.get("currency")
    assumed = ""
    if not currency:
        # "40k" from a visitor in Manchester means pounds: the local currency when the playbook has its rate
        place = _value(profile, "country")
        local = visitor_currency(place.get("country") if isinstance(place, Mapping) else None, playbook)
        if local != playbook.budget.currency:
            currency, assumed = local, f" (taken as {local}, the currency where they are)"
    return playbook.to_usd_like(float(value["annual_amount"]), currency), assumed


def annual_budget(profile: Mapping[str, Any], playbook: Playbook) -> float | None:
    """The budget a profile gives, per year in the playbook currency, as the budget criterion reads it.

    None when there is no amount (not given, declined, not sure, no budget) or no exchange rate.
    """
    value = _value(profile, "budget")
    if (
        not isinstance(value, Mapping)
        or value.get("status") != "amount"
        or value.get("annual_amount") is None
    ):
        return None
    return _budget_conversion(value, profile, playbook)[0]


def _criterion(name: str, profile: Mapping[str, Any], playbook: Playbook, today: date) -> CriterionResult:
    weight = float(playbook.weights[name])
    value = _value(profile, _SOURCE_FIELD[name])

    def result(status: str, share: float, reason: str, code: str | None = None) -> CriterionResult:
        return CriterionResult(name, status, round(weight * share, 2), weight, reason, code)

    unknown_share = playbook.unknown_credit
    label = name.replace("icp_", "").replace("_", " ")
    if value == DECLINED:
        return result("declined", unknown_share, f"{label.capitalize()} declined: scored as unknown")
    if value is None:
        return result("unknown", unknown_share, f"{label.capitalize()} not given: scored as unknown")
    if value.get("status") == "not_understood":
        return result("unknown", unknown_share, f"{label.capitalize()} not understood: scored as unknown")

    if name == "budget":
        minimum = money(playbook.budget.min_annual, playbook.budget.currency)
        if value.get("status") == "no_budget":
            return result("missed", 0, "No budget yet", "budget")
        annual = value.get("annual_amount")
        if value.get("status") != "amount" or annual is None:
            return result("unknown", unknown_share, "Budget not sure yet: scored as unknown")
        converted, assumed = _budget_conversion(value, profile, playbook)
        if converted is None:
            return result(
                "unknown", unknown_share, f"Budget in {value.get('currency')}: no exchange rate, unknown"
            )
        said = money(converted, playbook.budget.currency)
        if converted >= playbook.budget.min_annual:
            return result("met", 1, f"Budget {said}/yr{assumed} meets the {minimum} minimum")
        if converted >= playbook.budget.min_annual / 2:
            return result(
                "partial", 0.5, f"Budget {said}/yr{assumed} is below the {minimum} minimum", "budget"
            )
        return result("missed", 0, f"Budget {said}/yr{assumed} is well below the {minimum} minimum", "budget")

    if name == "authority":
        seniority = str(value.get("seniority"))
        authority = playbook.authority.get(seniority)
        title = value.get("title") or seniority
        if authority == "decision_maker":
            return result("met", 1, f"{title}: decision maker")
        if authority == "influencer":
            return result("partial", 0.5, f"{title}: influences the decision", "authority")
        if authority == "none":
            return result("missed", 0, f"{title}: no buying authority", "authority")
        return result("unknown", unknown_share, f"{title}: authority unknown")

    if name == "need":
        status = value.get("status")
        if status == "matched" and value.get("use_case") in playbook.use_cases:
            return result("met", 1, f"Needs {playbook.use_cases[value['use_case']].label.lower()}")
        if status == "researching":
            return result("partial", 0.5, "Just researching for now", "need")
        return result("partial", 0.25, "Need does not match our use cases", "need")

    if name == "timeline":
        if value.get("status") == "no_rush":
            return result("missed", 0, "No rush to go live", "timeline")
        if value.get("status") != "date" or not value.get("date"):
            return result("unknown", unknown_share, "Timeline not sure yet: scored as unknown")
        live = date.fromisoformat(str(value["date"]))
        when = describe("timeline", value)
        # Calendar months, not days / 30.44: "in 1-3 months" (today + 3 months) is within 3 months.
        if live <= _months_after(today, playbook.timeline.qualified_within_months):
            return result(
                "met", 1, f"Live {when}, within {playbook.timeline.qualified_within_months:g} months"
            )
        if live <= _months_after(today, playbook.timeline.nurture_within_months):
            return result(
                "partial",
                0.5,
                f"Live {when}: later than {playbook.timeline.qualified_within_months:g} months",
                "timeline",
            )
        return result(
            "missed",
            0,
            f"Live {when}: more than {playbook.timeline.nurture_within_months:g} months away",
            "timeline",
        )

    if name == "icp_size":
        size = playbook.icp.company_size
        employees = int(value.get("employees") or 0)
        if size.ideal_min <= employees <= size.ideal_max:
            return result(
                "met", 1, f"{employees} people: in the ideal band {size.ideal_min}-{size.ideal_max}"
            )
        if employees >= size.min:
            return result("partial", 0.75, f"{employees} people: in the ICP, outside the ideal band")
        return result("missed", 0, f"{employees} people: below the minimum of {size.min}", "icp_size")

    if name == "icp_industry":
        industry = value.get("industry")
        if industry in playbook.icp.industries:
            return result("met", 1, f"{str(industry).replace('_', ' ').capitalize()} is an ICP industry")
        return result(
            "missed",
            0,
            f"{str(industry).replace('_', ' ').capitalize()} is not an ICP industry",
            "icp_industry",
        )

    # icp_region
    country, region = value.get("country"), value.get("region")
    where = country or str(region or "unknown").replace("_", " ")
    if region in playbook.icp.regions and country not in playbook.icp.countries_excluded:
        return result("met", 1, f"{where} is in a served region")
    return result("missed", 0, f"{where} is outside the regions we serve", "icp_region")


def _knockouts(profile: Mapping[str, Any], playbook: Playbook) -> list[str]:
    found: list[str] = []
    rules = playbook.knockouts
    knockout = _value(profile, "knockout")
    kind = knockout.get("kind") if isinstance(knockout, Mapping) else None
    role = _value(profile, "role")
    if rules.student and (
        kind == "student" or (isinstance(role, Mapping) and role.get("seniority") == "student")
    ):
        found.append("student")
    for code in ("job_seeker", "vendor_pitch", "spam"):
        if kind == code and getattr(rules, code):
            found.append(code)
    company = _value(profile, "company_name")
    email = _value(profile, "email")
    name = str(company.get("name", "")).strip().lower() if isinstance(company, Mapping) else ""
    domain = str(email.get("domain", "")).lower() if isinstance(email, Mapping) else ""
    for competitor in rules.competitors:
        if (name and name == competitor.name.lower()) or (
            domain and domain in [d.lower() for d in competitor.domains]
        ):
            found.append("competitor")
            break
    return found


def _invalid_contact(profile: Mapping[str, Any]) -> bool:
    email = _value(profile, "email")
    return isinstance(email, Mapping) and email.get("kind") in ("invalid", "disposable")


def _gray_area(profile: Mapping[str, Any], playbook: Playbook, criteria: dict[str, CriterionResult]) -> bool:
    if not playbook.gray_area.enabled or criteria["icp_size"].status != "missed":
        return False
    if criteria["authority"].status != "met":
        return False
    tolerated = {"icp_size", "authority", *playbook.gray_area.tolerates}
    if any(c.reason_code for name, c in criteria.items() if name not in tolerated):
        return False
    plan = _value(profile, "growth_plan")
    if not isinstance(plan, Mapping) or not plan.get("growing"):
        return False
    expected = plan.get("expected_employees")
    within = plan.get("within_months")
    reaches = expected is None or int(expected) >= playbook.icp.company_size.min
    in_time = within is None or float(within) <= playbook.gray_area.growth_horizon_months
    return reaches and in_time


def score_signals(visits: Any, playbook: Playbook) -> list[dict[str, Any]]:
    """Points for website behaviour: {"pages": {signal: visits}} -> one entry per signal that counted.

    Each signal gives `points` per visit up to its `max` (negative signals down to it);
    score_lead keeps their sum within +-`signal_cap`.
    """
    pages = (visits or {}).get("pages") if isinstance(visits, Mapping) else None
    if not isinstance(pages, Mapping):
        return []
    counted: list[dict[str, Any]] = []
    for name, rule in playbook.signals.items():
        try:
            count = int(pages.get(name) or 0)
        except (TypeError, ValueError):
            continue
        if count <= 0:
            continue
        raw = rule.points * count
        points = min(raw, rule.max) if rule.points >= 0 else max(raw, rule.max)
        if points == 0:
            continue
        label = name.replace("_", " ")
        counted.append(
            {
                "name": name,
                "points": points,
                "max_points": rule.max,
                "visits": count,
                "hint": rule.hint,
                "reason": f"visited the {label} {count}x" if "page" in name else f"{label} x{count}",
            }
        )
    return counted


def score_lead(profile: Mapping[str, Any], playbook: Playbook, *, today: date | None = None) -> ScoreResult:
    """Score `profile` (field -> normalised value | "declined") against `playbook`."""
    today = today or date.today()
    criteria = {name: _criterion(name, profile, playbook, today) for name in CRITERIA}
    signals = score_signals(profile.get("signals"), playbook)
    cap = playbook.signal_cap
    signal_points = max(-cap, min(cap, sum(s["points"] for s in signals)))
    total = max(0, min(100, _round(sum(c.points for c in criteria.values()) + signal_points)))
    ordered = list(criteria.values())
    hints = [s["hint"] for s in signals if s.get("hint")]

    def finish(
        grade: str, reasons: list[str], next_step: str, track: str | None, gray: bool, notes: list[str]
    ) -> ScoreResult:
        notes = notes + [f"Website behaviour hints at: {h.replace('_', ' ')} (not decisive)" for h in hints]
        return ScoreResult(
            total, grade, ordered, reasons, next_step, track, gray, playbook.version, notes, signals
        )

    scored_reasons = [
        c.reason_code
        for c in sorted(
            (c for c in ordered if c.reason_code),
            key=lambda c: (-(c.max_points - c.points), CRITERIA.index(c.name)),
        )
        if c.reason_code
    ]
    knockouts = _knockouts(profile, playbook)
    if knockouts:
        notes = [f"Knock-out: {', '.join(k.replace('_', ' ') for k in knockouts)}"]
        return finish(
            "disqualified",
            knockouts + [r for r in scored_reasons if r not in knockouts],
            "close",
            None,
            False,
            notes,
        )
    if _invalid_contact(profile):
        return finish(
            "disqualified",
            ["invalid_contact", *scored_reasons],
            "close",
            None,
            False,
            ["Only an invalid or temporary email address was given"],
        )

    # A must-have criterion with a reason code (missed, or only partly met) blocks qualification.
    missed = {c.name for c in ordered if c.reason_code}
    # Website behaviour adds points but never makes up for unanswered must-have questions.
    answers_only = _round(sum(c.points for c in ordered))
    must_all_met = all(criteria[name].status == "met" for name in playbook.thresholds.must_not_miss)
    by_answers = answers_only >= playbook.thresholds.qualified or must_all_met
    if (
        total >= playbook.thresholds.qualified
        and not missed & set(playbook.thresholds.must_not_miss)
        and by_answers
    ):
        return finish(
            "qualified", [], "book_demo", None, False, [f"Score {total} >= {playbook.thresholds.qualified}"]
        )

    if _gray_area(profile, playbook, criteria):
        reasons = ["icp_size", *[r for r in scored_reasons if r != "icp_size"]]
        return finish(
            "nurture",
            reasons,
            "discovery_call",
            playbook.nurture_tracks.get("icp_size"),
            True,
            ["Gray area: small today, decision maker, growing: discovery call"],
        )

    reasons = scored_reasons or ["low_engagement"]
    primary = reasons[0]
    notes = [
        f"Score {total} below {playbook.thresholds.qualified}"
        if total < playbook.thresholds.qualified
        else f"Missed a must-have: {', '.join(sorted(missed & set(playbook.thresholds.must_not_miss)))}"
    ]
    return finish(
        "nurture",
        reasons,
        playbook.next_steps.get(primary, "nurture"),
        playbook.nurture_tracks.get(primary),
        False,
        notes,
    )
