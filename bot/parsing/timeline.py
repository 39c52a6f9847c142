"""Timelines to a date: "Q3", "next month", "in six months", "next year sometime", "no rush"."""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Any

import dateparser
from dateutil.relativedelta import relativedelta

from bot.parsing.numbers import words_to_digits

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTH_RE = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_UNIT = {"day": "days", "week": "weeks", "month": "months", "year": "years"}

NO_RUSH = re.compile(
    r"\b(no rush|no hurry|not in a hurry|whenever|no (fixed |set |specific |real )?(timeline|deadline|timeframe)|"
    r"not urgent|no urgency|someday|some day|eventually|at some point)\b",
    re.I,
)
ASAP = re.compile(
    r"\b(asap|a\.s\.a\.p|as soon as possible|right away|immediately|urgent(ly)?|right now|now|yesterday|"
    r"straight away|this week)\b",
    re.I,
)
NOT_SURE = re.compile(
    r"\b(not sure|unsure|no idea|don'?t know|dunno|tbd|undecided|hard to say|not decided)\b", re.I
)
_QUARTER = re.compile(
    r"\b(?:q([1-4])|(first|second|third|fourth|1st|2nd|3rd|4th) quarter)(?:\s*(?:of\s*)?((?:20)?\d\d))?\b",
    re.I,
)
_QWORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_RELATIVE = re.compile(
    r"\b(?:in|within|over|inside( of)?|next|the next|about|around|roughly)?\s*(?:the\s+)?(?:next\s+)?"
    r"(?P<a>\d+|a|an|one|a couple of|couple of|a few|few)\s*(?:(?:-|–|to|or)\s*(?P<b>\d+)\s*)?"
    r"(?P<unit>day|week|month|year)s?\b(?: from now| time)?",
    re.I,
)
_NEXT = re.compile(
    r"\b(next|this|end of (the )?|end of this|later this|early next|late next|mid[- ]?next|"
    r"beginning of next|start of next)\s*(week|month|quarter|year)\b",
    re.I,
)
_YEAR_END = re.compile(
    r"\b(end of (the )?year|year[- ]end|by the end of the year|before the year ends|eoy)\b", re.I
)
_MONTH_NAME = re.compile(
    rf"\b(?:by |in |before |end of |early |mid[- ]?|late )?(?P<m>{_MONTH_RE})\b\.?(?:\s+(?P<y>20\d\d))?", re.I
)
_ISO = re.compile(
    r"\b(20\d\d-\d\d-\d\d|\d{1,2}[./]\d{1,2}[./](?:20)?\d\d|\d{1,2}(?:st|nd|rd|th)? "
    rf"(?:{_MONTH_RE})\w*(?: 20\d\d)?)\b",
    re.I,
)
_LEADS = {"in", "within", "over", "inside", "next", "the", "about", "around", "roughly"}
_FEW = {"a": 1, "an": 1, "one": 1, "a couple of": 2, "couple of": 2, "a few": 3, "few": 3}


def _shape(when: date, today: date) -> dict[str, Any]:
    months = round((when - today).days / 30.44, 1)
    return {"status": "date", "date": when.isoformat(), "months": months}


def _quarter_end(quarter: int, year: int) -> date:
    month = quarter * 3
    return date(year, month, calendar.monthrange(year, month)[1])


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def find_timeline(
    text: str, today: date, *, requested: bool = False
) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """Timeline with its character span, relative to `today`."""
    converted = words_to_digits(text)
    match = NO_RUSH.search(converted)
    if match:
        return {"status": "no_rush", "date": None, "months": None}, match.span()

    match = _QUARTER.search(converted)
    if match:
        quarter = int(match.group(1)) if match.group(1) else _QWORD[match.group(2).lower()]
        year_text = match.group(3)
        if year_text:
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
            return _shape(_quarter_end(quarter, year), today), match.span()
        end = _quarter_end(quarter, today.year)
        if end < today:
            end = _quarter_end(quarter, today.year + 1)
        return _shape(end, today), match.span()

    match = _ISO.search(converted)
    if match:
        parsed = dateparser.parse(
            match.group(0), settings={"PREFER_DATES_FROM": "future", "RELATIVE_BASE": _dt(today)}
        )
        if parsed is not None:
            return _shape(parsed.date(), today), match.span()

    match = _YEAR_END.search(converted)
    if match:
        return _shape(date(today.year, 12, 31), today), match.span()

    match = _NEXT.search(converted)
    if match:
        which, unit = match.group(1).lower().strip(), match.group(3).lower()
        return _shape(_named_period(which, unit, today), today), match.span()

    match = _RELATIVE.search(converted)
    lead = match.group(0).strip().split()[0].lower() if match else ""
    money_before = bool(
        match
        and re.search(
            r"(\d\s*(k|m|mm)?|[$€£]|usd|eur|gbp|dollars?|euros?)\s*$", converted[: match.start()], re.I
        )
    )
    if (
        match
        and not money_before
        and (lead in _LEADS or requested or match.group("b") or "from now" in match.group(0))
    ):
        amount_text = match.group("b") or match.group("a")
        amount = _FEW.get(amount_text.lower()) if not amount_text.isdigit() else int(amount_text)
        unit = _UNIT[match.group("unit").lower()]
        if amount is not None and amount <= 120:
            return _shape(today + relativedelta(**{unit: amount}), today), match.span()

    match = _MONTH_NAME.search(converted)
    if match and (
        requested
        or re.search(
            r"\b(by|before|end of|early|mid|late|in)\s+" + re.escape(match.group("m")), converted, re.I
        )
    ):
        month = _MONTHS[match.group("m").lower().rstrip(".")]
        year = int(match.group("y")) if match.group("y") else today.year
        end = _month_end(year, month)
        if not match.group("y") and end < today:
            end = _month_end(year + 1, month)
        return _shape(end, today), match.span()

    match = ASAP.search(converted)
    if match:
        return _shape(today, today), match.span()

    if requested:
        match = NOT_SURE.search(converted)
        if match:
            return {"status": "not_sure", "date": None, "months": None}, match.span()
    return None


def _dt(day: date):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime(day.year, day.month, day.day)


def _named_period(which: str, unit: str, today: date) -> date:
    if unit == "week":
        return today + relativedelta(weeks=1 if which == "next" else 0, weekday=4)
    if unit == "month":
        if which == "next":
            return today + relativedelta(months=1)
        if which.startswith(("end of", "this", "later this")):
            return _month_end(today.year, today.month)
        return today + relativedelta(months=1)
    if unit == "quarter":
        current = (today.month - 1) // 3 + 1
        if which == "next":
            year, quarter = (today.year + 1, 1) if current == 4 else (today.year, current + 1)
            return _quarter_end(quarter, year)
        return _quarter_end(current, today.year)
    # year
    next_year = today.year + 1
    if which in ("this", "later this") or which.startswith("end of this") or which.startswith("end of the"):
        return date(today.year, 12, 31)
    if which.startswith(("early next", "beginning of next", "start of next")):
        return date(next_year, 3, 31)
    if which.startswith("late next") or which.startswith("end of"):
        return date(next_year, 12, 31)
    return date(next_year, 7, 1)  # "next year (sometime)", "mid next year"


def parse_timeline(text: str, today: date) -> dict[str, Any] | None:
    """Normalised timeline of an answer to the timeline question, or None."""
    found = find_timeline(text, today, requested=True)
    return found[0] if found else None
