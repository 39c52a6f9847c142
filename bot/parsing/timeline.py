"""Timelines to a date: "Q3", "in 1-3 months", "early 2027", "once summer is over", "no rush".

The stored date is the END of the named period ("next year" -> Dec 31 of next year,
"early 2027" -> 2027-03-31), a relative span counts from the reference day to its upper
bound ("in 3-6 months" -> today + 6 months), "after X" is the end of the month after X,
"before X" the day before X starts. Seasons are the northern hemisphere's meteorological
seasons; a period already over this year means its next occurrence.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from typing import Any

import dateparser
from dateutil.easter import easter
from dateutil.relativedelta import FR, TH, relativedelta

from bot.parsing.clauses import present_only
from bot.parsing.numbers import OUT_OF_RANGE, words_to_digits

DAYS_PER_MONTH = 30.44
#: Further than this is not a plan (and would overflow date arithmetic).
MAX_MONTHS = 600

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTHS["sept"] = 9
_MONTH_RE = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}  # first month

NO_RUSH = re.compile(
    r"\b(no rush|no hurry|not in a (rush|hurry)|in no (rush|hurry)|whenever|no (fixed |set |specific |real )?"
    r"(timeline|deadline|timeframe|time frame)|no (real|big|great|particular|massive) (rush|hurry)|not urgent|no urgency|someday|some day|eventually|at some point|"
    r"not a priority( right now)?|no time pressure|not time[- ]sensitive|not anytime soon|nothing planned|"
    r"not (right )?now|not yet|just (having a |taking a )?look(ing)? around|just browsing|just researching|"
    r"only researching|just exploring)\b",
    re.I,
)
ASAP = re.compile(
    r"\b(asap|a\.s\.a\.p|as soon as (possible|we can|you can)|right away|straight away|immediately|urgent(ly)?|"
    r"yesterday|tomorrow|(need|want) (it|this|one) now|starting now|now-ish|immediate)\b",
    re.I,
)
# Only as a short answer to the timeline question ("4 now, 12 later" is a head count).
_WEAK_ASAP = re.compile(r"(?<!\d )\b(now|right now|soon as|at once)\b", re.I)
NOT_SURE = re.compile(
    r"\b(not sure|unsure|no idea|don'?t know|do not know|dunno|tbd|to be (decided|determined)|undecided|"
    r"hard to say|not decided|depends|no clue|can'?t say)\b",
    re.I,
)

# ---- named periods: [operator] [part] [relative] anchor [year] [is over] --------------------
_OP = (
    r"(?P<op>(?:right|just|soon|shortly|straight|immediately|directly|sometime|some time)\s+after|after|once|"
    r"post|following|ahead of|prior to|before|by|until|till|til|through|throughout|no later than|"
    r"sometime in|some time in|sometime during|at some point in|sometime|some time|in|during|within|around|"
    r"for|over|from|starting(?: in)?|beginning in|come)"
)
_PART = (
    r"(?P<part>(?:the\s+)?(?:very\s+)?(?:end|start|beginning|middle|first part|latter part|back end|tail end)\s+of"
    r"|mid|middle|early|late|later|end)"
)
_REL = r"(?P<rel>this coming|the coming|the upcoming|the following|this|next|nxt|coming|upcoming|the)"
_YEARQ = r"(?:\s*,?\s+(?:of\s+)?(?P<y>20\d\d|next year|nxt year|this year))?"
_ANCHOR = (
    r"(?:(?P<holiday>easter|christmas|xmas|x-mas|new year'?s?(?:\s+(?:day|eve))?|the new year|thanksgiving|"
    r"black friday|the holidays|the holiday season|the festive season)"
    r"|(?P<season>spring|summer|autumn|fall|winter)"
    r"|(?P<half>first|second|1st|2nd|latter|back|front)\s+half(?:\s+of)?(?:\s+the\s+year)?"
    r"|h(?P<h>[12])"
    r"|q(?P<q>[1-4])|(?P<qword>first|second|third|fourth|1st|2nd|3rd|4th|last|final)\s+quarter"
    r"|(?P<unit>week|wk|month|mnth|quarter|year|yr)"
    r"|(?P<year>20\d\d)"
    rf"|(?P<month>{_MONTH_RE})\.?)"
)
_PERIOD = re.compile(
    rf"\b(?:{_OP}\s+)?(?:{_PART}(?:\s+in)?[\s-]+)?(?:{_REL}\s+)?{_ANCHOR}\b{_YEARQ}"
    r"(?P<over>\s+(?:is|are|has|have)\s+(?:over|done|finished|ended|passed|behind us|out of the way)"
    r"|\s+(?:ends|wraps up|is through))?",
    re.I,
)
_QWORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_QWORD.update({"last": 4, "final": 4})
_AFTER = ("after", "once", "post", "following")
_BEFORE = ("before", "ahead of", "prior to")

# ---- relative spans: "in 1-3 months", "within a month", "a year or two" -------------------------
_UNIT = r"(?P<unit>days?|weeks?|wks?|fortnights?|months?|mos?|mths?|mnths?|years?|yrs?)"
_AMOUNT = (
    r"(?P<a>\d+(?:\.\d+)?|an?|one|a couple of|a couple|couple of|a few|few|several|the next few|a handful of)"
)
_RELATIVE = re.compile(
    r"\b(?P<lead>in|within|over|inside(?: of)?|under|next|the next|about|around|roughly|approx(?:imately)?|"
    r"no more than|less than|max(?:imum)?|up to)?\s*(?:the\s+)?(?:next\s+|coming\s+)?"
    rf"{_AMOUNT}\s*(?:(?:-|–|to|or)\s*(?P<b>\d+(?:\.\d+)?)\s*)?{_UNIT}\b"
    r"(?:\s+or\s+(?P<c>\d+|so))?(?P<tail> from now|'?s? time| out)?",
    re.I,
)
_HALF_YEAR = re.compile(r"\b(?:in|within|over|the next)?\s*(?:half a year|a half year|6 months)\b", re.I)
_COMING = re.compile(
    r"\b(?:(?:in|over|during|within)\s+)?the\s+(?:coming|next few|upcoming)\s+(?P<unit>weeks|months)\b", re.I
)
_THIS_TIME_NEXT_YEAR = re.compile(r"\bthis time next year\b", re.I)
# "over the next year" is twelve months from today; "next year" alone is the calendar year.
_THE_NEXT_UNIT = re.compile(
    r"\b(?:in|over|within|inside)\s+the\s+(?:next|coming)\s+(?P<unit>month|week)\b", re.I
)
_THE_FORTNIGHT = re.compile(r"\b(?:in|within|over|inside)\s+(?:the\s+)?(?:next\s+)?fortnight\b", re.I)
_THE_NEXT_YEAR = re.compile(
    r"\b(?:(?:in|over|during|within)\s+)?the\s+(?:next|coming|following)\s+year\b", re.I
)
_YEAR_END = re.compile(r"\b(?:(?:by|before|at|for)\s+)?(?:(?:the\s+)?end of year|year[- ]end|eoy)\b", re.I)
_LEADS = {
    "in",
    "within",
    "over",
    "inside",
    "inside of",
    "under",
    "next",
    "the next",
    "no more than",
    "less than",
}
_FEW = {"a": 1, "an": 1, "one": 1, "a couple of": 2, "a couple": 2, "couple of": 2, "a few": 3, "few": 3}
_FEW.update({"several": 4, "the next few": 3, "a handful of": 3})
_UNIT_MONTHS = {"day": 1 / DAYS_PER_MONTH, "week": 7 / DAYS_PER_MONTH, "fortnight": 14 / DAYS_PER_MONTH}
_UNIT_MONTHS.update({"month": 1.0, "year": 12.0})

# Whole month names only: "2 junior devs" and "10 decisions" are not dates.
_ISO = re.compile(
    r"\b(20\d\d-\d\d-\d\d|\d{1,2}[./]\d{1,2}[./](?:20)?\d\d|\d{1,2}(?:st|nd|rd|th)? (?:of )?"
    rf"(?:{_MONTH_RE})\b\.?(?:,? 20\d\d)?|(?:{_MONTH_RE})\.? \d{{1,2}}(?:st|nd|rd|th)?\b(?:,? 20\d\d)?)(?!\w)",
    re.I,
)
_MONEY_BEFORE = re.compile(r"(\d\s*(k|m|mm)?|[$€£]|usd|eur|gbp|dollars?|euros?)\s*$", re.I)
_RATE_BEFORE = re.compile(
    r"(?:\b(?:per|every|each|once|twice|times)|\d[\w,.]*\s+\w+s|[$€£]\s*\d[\w,.]*)\s*$", re.I
)
_NEGATED = re.compile(r"\b(?:not|isn'?t|won'?t be|never)\s*$", re.I)
_VERB_MONTHS = {"may", "march"}  # also verbs: "we may need it"


def _shape(when: date, today: date) -> dict[str, Any]:
    months = round((when - today).days / DAYS_PER_MONTH, 1)
    return {"status": "date", "date": when.isoformat(), "months": months}


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    return day + relativedelta(months=months)


def _unit_of(token: str) -> str:
    token = token.lower()
    for unit, prefixes in (
        ("fortnight", ("fortnight",)),
        ("week", ("week", "wk")),
        ("month", ("month", "mo", "mth", "mnth")),
        ("year", ("year", "yr")),
        ("day", ("day",)),
    ):
        if token.startswith(prefixes):
            return unit
    return "month"


# ---- named periods ----------------------------------------------------------------------------


def _year_of(qualifier: str | None, today: date) -> int | None:
    if not qualifier:
        return None
    text = qualifier.lower()
    if text.isdigit():
        return int(text)
    return today.year + 1 if text.startswith(("next", "nxt")) else today.year


def _season(first_month: int, year: int) -> tuple[date, date]:
    start = date(year, first_month, 1)
    end_month = _add_months(start, 2)
    return start, _month_end(end_month.year, end_month.month)


def _holiday(name: str, year: int) -> date:
    name = name.lower()
    if name == "easter":
        return easter(year)
    if name.startswith(("christmas", "xmas", "x-mas")):
        return date(year, 12, 25)
    if name.startswith(("new year", "the new year")):
        return date(year, 1, 1)
    if name == "thanksgiving":
        return date(year, 11, 1) + relativedelta(weekday=TH(4))
    if name == "black friday":
        return date(year, 11, 1) + relativedelta(weekday=TH(4)) + timedelta(days=1)
    return date(year, 12, 24)  # the holidays / the festive season


def _next_occurrence(make: Any, today: date, year: int | None, *, future_start: bool) -> tuple[date, date]:
    """The period `make(year)` -> (start, end) of the given year, else the next one not over."""
    if year is not None:
        return make(year)
    for candidate in (today.year - 1, today.year, today.year + 1, today.year + 2):
        start, end = make(candidate)
        if (start > today) if future_start else (end >= today):
            return start, end
    return make(today.year + 1)


def _period(match: re.Match[str], today: date) -> tuple[date, date, str] | None:
    """(start, end, kind) of the named period; kind is year / span / month / day."""
    groups = match.groupdict()
    rel = (groups.get("rel") or "").lower()
    op = (groups.get("op") or "").lower()
    year = _year_of(groups.get("y"), today)
    upcoming = rel.startswith(("next", "nxt"))
    future_start = upcoming or op in _BEFORE
    if groups.get("holiday"):
        name = groups["holiday"]

        def day_of(y: int) -> tuple[date, date]:
            when = _holiday(name, y)
            return when, (date(y, 12, 31) if name.lower().startswith("the ho") else when)

        start, end = _next_occurrence(day_of, today, year, future_start=future_start)
        return start, end, "day"
    if groups.get("season"):
        first = _SEASONS[groups["season"].lower()]
        start, end = _next_occurrence(lambda y: _season(first, y), today, year, future_start=future_start)
        return start, end, "span"
    if groups.get("half") or groups.get("h"):
        second = (groups.get("h") == "2") or (groups.get("half") or "").lower() in (
            "second",
            "2nd",
            "latter",
            "back",
        )

        def half(y: int) -> tuple[date, date]:
            return (date(y, 7, 1), date(y, 12, 31)) if second else (date(y, 1, 1), date(y, 6, 30))

        if year is None and rel == "this":
            year = today.year
        start, end = _next_occurrence(half, today, year, future_start=upcoming)
        return start, end, "span"
    if groups.get("q") or groups.get("qword"):
        quarter = int(groups["q"]) if groups.get("q") else _QWORD[groups["qword"].lower()]

        def of_quarter(y: int) -> tuple[date, date]:
            return date(y, quarter * 3 - 2, 1), _month_end(y, quarter * 3)

        start, end = _next_occurrence(of_quarter, today, year, future_start=False)
        return start, end, "span"
    if groups.get("unit"):
        return _unit_period(groups["unit"].lower(), rel, today)
    if groups.get("year"):
        number = int(groups["year"])
        return date(number, 1, 1), date(number, 12, 31), "year"
    if groups.get("month"):
        month = _MONTHS[groups["month"].lower().rstrip(".")]
        start, end = _next_occurrence(
            lambda y: (date(y, month, 1), _month_end(y, month)), today, year, future_start=upcoming
        )
        return start, end, "month"
    return None


def _unit_period(unit: str, rel: str, today: date) -> tuple[date, date, str] | None:
    if not rel:
        return None  # "a year" is a span (see _RELATIVE), "the year" / "next year" a period
    upcoming = (
        "next",
        "nxt",
        "coming",
        "upcoming",
        "the coming",
        "this coming",
        "the upcoming",
        "the following",
    )
    if rel in ("the coming", "the following", "the upcoming") and unit != "quarter":
        return None  # "over the coming year / month" counts from today (_THE_NEXT_YEAR, _THE_NEXT_UNIT)
    ahead = 1 if rel.startswith(upcoming) else 0
    if unit in ("week", "wk"):
        start = today - timedelta(days=today.weekday()) + timedelta(weeks=ahead)
        return start, start + relativedelta(weekday=FR), "day"
    if unit in ("month", "mnth"):
        first = _add_months(date(today.year, today.month, 1), ahead)
        return first, _month_end(first.year, first.month), "month"
    if unit == "quarter":
        current = (today.month - 1) // 3
        first = _add_months(date(today.year, current * 3 + 1, 1), 3 * ahead)
        last = _add_months(first, 2)
        return first, _month_end(last.year, last.month), "span"
    year = today.year + ahead
    return date(year, 1, 1), date(year, 12, 31), "year"


def _part_date(part: str, start: date, end: date, kind: str) -> date:
    """'early' / 'mid' / 'late' of a period (the end of that part)."""
    part = re.sub(r"^(the\s+)?(very\s+)?", "", part.lower())
    if part.startswith(("end", "late", "latter", "back end", "tail end")) or kind in ("day", "month"):
        return end
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    early = part.startswith(("early", "start", "beginning", "first part"))
    if kind == "year":
        month = 3 if early else 6  # early 2027 = Q1, mid 2027 = the middle of the year
    else:
        third = max(1, -(-months // 3))
        month_index = third if early else min(months, 2 * third)
        month = _add_months(start, month_index - 1).month
    target = _add_months(date(start.year, start.month, 1), (month - start.month) % 12)
    return _month_end(target.year, target.month)


def _resolve(match: re.Match[str], today: date) -> date | None:
    found = _period(match, today)
    if found is None:
        return None
    start, end, kind = found
    op = (match.group("op") or "").lower()
    part = (match.group("part") or "").lower()
    holiday = (match.group("holiday") or "").lower()
    rel = (match.group("rel") or "").lower()
    new_year = holiday == "the new year" or (holiday.startswith("new year") and rel == "the")
    if new_year and op in ("", "in", "during", "sometime in", "some time in", "early"):
        return date(start.year, 3, 31)  # "in the new year" = early next year
    when = _part_date(part, start, end, kind) if part and part not in ("later",) else end
    if op.endswith(_AFTER) or match.group("over"):
        day_after = when + timedelta(days=1)
        return _month_end(day_after.year, day_after.month)
    if op in _BEFORE and not part.endswith(("end of", "end of the", "end")):
        return start - timedelta(days=1)
    return when


def _named(converted: str, today: date, requested: bool) -> tuple[date, tuple[int, int]] | None:
    for match in _PERIOD.finditer(converted):
        if _NEGATED.search(converted[: match.start()]):
            continue  # "not this year"
        groups = match.groupdict()
        framed = bool(groups.get("op") or groups.get("part") or groups.get("rel") or groups.get("over"))
        anchor = match.group(0).lower()
        if groups.get("unit") and not groups.get("rel"):
            continue
        if groups.get("month"):
            word = groups["month"].lower().rstrip(".")
            if word in _VERB_MONTHS and not (groups.get("op") or groups.get("part") or groups.get("y")):
                if not (requested and len(converted.split()) <= 2):
                    continue  # "we may need it", "march on"
            if not (framed or requested or groups.get("y")):
                continue
        elif groups.get("season") or groups.get("holiday") or groups.get("year") or groups.get("half"):
            if not (framed or requested or groups.get("y")):
                continue
            if groups.get("season") and re.match(
                r"\s*(boot|framework|cleaning|sale|collection|intern)", converted[match.end() :], re.I
            ):
                continue
            if groups.get("year") and int(groups["year"]) < today.year:
                continue  # "since 2019": the past is not a timeline
        if groups.get("season") and anchor.endswith("fall") and not framed:
            continue
        try:
            when = _resolve(match, today)
        except (ValueError, OverflowError):
            continue
        if when is not None and when >= today - timedelta(days=1):
            return when, match.span()
    return None


# ---- relative spans ---------------------------------------------------------------------------


def _span_of(match: re.Match[str]) -> tuple[float, str] | None:
    """(months, unit) of a relative span; a range counts to its upper bound."""
    upper = match.group("c") if match.group("c") and match.group("c") != "so" else None
    amount_text = upper or match.group("b") or match.group("a")
    amount = float(amount_text) if amount_text[0].isdigit() else _FEW.get(amount_text.lower())
    if amount is None:
        return None
    unit = _unit_of(match.group("unit"))
    return amount * _UNIT_MONTHS[unit], unit


def _fixed_span(converted: str) -> tuple[float, str, tuple[int, int]] | None:
    match = _HALF_YEAR.search(converted)
    if match:
        return 6.0, "month", match.span()
    match = _THE_NEXT_YEAR.search(converted)
    if match:
        return 12.0, "month", match.span()
    match = _THE_NEXT_UNIT.search(converted)
    if match:  # "within the next month" = within a month, not the calendar month after this one
        return (
            (1.0, "month", match.span())
            if match.group("unit").lower() == "month"
            else (
                _UNIT_MONTHS["week"],
                "week",
                match.span(),
            )
        )
    match = _THE_FORTNIGHT.search(converted)
    if match:
        return 2 * _UNIT_MONTHS["week"], "week", match.span()
    match = _COMING.search(converted)
    if match:
        weeks = match.group("unit").lower() == "weeks"
        return (3 * _UNIT_MONTHS["week"], "week", match.span()) if weeks else (3.0, "month", match.span())
    return None


def _after(today: date, months: float, unit: str) -> date:
    if unit in ("month", "year") and months.is_integer():
        return _add_months(today, int(months))  # calendar months: "in 3 months" from Nov 24 is Feb 24
    return today + timedelta(days=round(months * DAYS_PER_MONTH))


def find_span_months(text: str) -> tuple[float, tuple[int, int]] | None:
    """A relative span in months, upper bound of a range ("18-24 months" -> 24.0), with its span."""
    converted = words_to_digits(text)
    fixed = _fixed_span(converted)
    if fixed:
        return fixed[0], fixed[2]
    match = _RELATIVE.search(converted)
    span = _span_of(match) if match else None
    return (span[0], match.span()) if span and match else None


def _relative(converted: str, today: date, requested: bool) -> tuple[date | str, tuple[int, int]] | None:
    match = _THIS_TIME_NEXT_YEAR.search(converted)
    if match:
        return today + relativedelta(years=1), match.span()
    fixed = _fixed_span(converted)
    if fixed:
        return _after(today, fixed[0], fixed[1]), fixed[2]
    for match in _RELATIVE.finditer(converted):
        lead = (match.group("lead") or "").lower()
        if _NEGATED.search(converted[: match.start()]):
            continue
        if _MONEY_BEFORE.search(converted[: match.start()]) and not lead:
            continue
        if not (lead in _LEADS or requested or match.group("b") or match.group("c") or match.group("tail")):
            continue
        if (
            not lead
            and match.group("a").lower() in ("a", "an")
            and _RATE_BEFORE.search(converted[: match.start()])
        ):
            continue  # "10 decisions a day", "twice a month": a rate, not a span
        span = _span_of(match)
        if span is None:
            continue
        if span[0] > MAX_MONTHS:
            return OUT_OF_RANGE, match.span()
        return _after(today, *span), match.span()
    return None


# ---- the parser -------------------------------------------------------------------------------


def _explicit(converted: str, today: date) -> tuple[date, tuple[int, int]] | None:
    match = _ISO.search(converted)
    if not match:
        return None
    try:
        parsed = dateparser.parse(
            match.group(0), settings={"PREFER_DATES_FROM": "future", "RELATIVE_BASE": _dt(today)}
        )
    except Exception:  # noqa: BLE001 - dateparser on arbitrary text
        return None
    return (parsed.date(), match.span()) if parsed is not None else None


def find_timeline(
    text: str, today: date, *, requested: bool = False
) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """Timeline with its character span, relative to `today`.

    A growth plan's horizon ("12 people in two years") is never a buying timeline, so
    future head-count clauses are left out. An impossible date gives {"error": "out_of_range"}.
    """
    present = present_only(text)
    not_before = _NOT_BEFORE.search(present)
    if not_before and int(not_before.group(1)) >= today.year:
        # "not before 2028": that year at the earliest; its end, as for any named year.
        return _shape(date(int(not_before.group(1)), 12, 31), today), not_before.span()
    earliest = _NOT_BEFORE_PERIOD.search(present)
    if earliest:
        # "not before the second half of next year", "not until next summer": the named
        # period at the earliest, stored as its end like any named period.
        found = find_date(present[earliest.end() :], today, requested=True)
        if found is not None and "error" not in found[0]:
            return found[0], (earliest.start(), earliest.end() + found[1][1])
    return find_date(present, today, requested=requested)


_NOT_BEFORE_PERIOD = re.compile(r"\bnot (?:before|until|till|prior to|earlier than)\s+(?:the\s+)?", re.I)
_NOT_BEFORE = re.compile(
    r"\bnot (?:before|until|till|prior to|earlier than)\s+(?:the\s+)?(?:start of\s+)?(20\d\d)\b", re.I
)


def find_date(
    text: str, today: date, *, requested: bool = False
) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """Like find_timeline, for any clause (growth plans read their horizon with it)."""
    converted = words_to_digits(text)
    candidates: list[tuple[int, date | str, tuple[int, int]]] = []
    for finder in (_explicit,):
        found = finder(converted, today)
        if found:
            candidates.append((found[1][0], found[0], found[1]))
    for finder2 in (_named, _relative):
        found2 = finder2(converted, today, requested)
        if found2:
            candidates.append((found2[1][0], found2[0], found2[1]))
    match = _YEAR_END.search(converted)
    if match:
        candidates.append((match.start(), date(today.year, 12, 31), match.span()))
    exact = _explicit(converted, today)
    if exact:
        # "by January 15th": the day named beats the month around it.
        a, b = exact[1]
        candidates = [c for c in candidates if c[2] == exact[1] or not (c[2][0] < b and a < c[2][1])]
    if candidates:
        # The first time expression the visitor wrote is their answer.
        _, when, span = min(candidates, key=lambda c: c[0])
        if isinstance(when, str):
            return {"error": when}, span
        return _shape(max(when, today), today), span
    match = NO_RUSH.search(converted)
    if match:
        return {"status": "no_rush", "date": None, "months": None}, match.span()
    short = len(converted.split()) <= 4
    match = ASAP.search(converted) or (_WEAK_ASAP.search(converted) if requested and short else None)
    if match:
        return _shape(today, today), match.span()
    if requested:
        year = re.search(r"\b(\d{4,})\b", converted)
        if year and int(year.group(1)) > today.year + MAX_MONTHS // 12:
            return {"error": OUT_OF_RANGE}, year.span()
        match = NOT_SURE.search(converted)
        if match:
            return {"status": "not_sure", "date": None, "months": None}, match.span()
    return None


def _dt(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def parse_timeline(text: str, today: date) -> dict[str, Any] | None:
    """Normalised timeline of an answer to the timeline question, or None (also when impossible)."""
    found = find_timeline(text, today, requested=True)
    return found[0] if found and "error" not in found[0] else None
