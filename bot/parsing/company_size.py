"""Company size: "about 200 people", "1-10", "5k+ employees", "under 20 people", "just me".

The value always carries the bounds the visitor gave (`min`, `max`; `max` None = open-ended)
because ICP rules compare at their edges, plus `employees`, one representative number:
the exact count, the midpoint of a range (so "under 20" = 1..19 -> 10), or the lower
bound of an open range ("5k+" -> 5000).
"""

from __future__ import annotations

import re
from typing import Any

from bot.parsing.clauses import present_only
from bot.parsing.numbers import (
    MAX_PEOPLE,
    OUT_OF_RANGE,
    negative_before,
    plausible,
    to_number,
    words_to_digits,
)

# People nouns, with the common typos ("employes", "poeple", "ppl", "persn", "staf").
_NOUN = (
    r"(?:p(?:eo|oe|e)?p(?:le|el|l)s?|peeps|pe?rs(?:o|i)?ns?|emp\w{0,3}y\w{0,3}s?|staff?|staffers|folks|heads|headcount|"
    r"fte'?s?|full[- ]timers?|team members|members|workers|colleagues|personnel|engineers|developers|devs|"
    r"salespeople|sales reps|reps|agents|consultants|souls|bodies|of us)\b"
)
_PLAIN = r"\d{1,3}(?:,\d{3})+(?!\d)|\d+"
_N = rf"\d+(?:\.\d+)?\s?k\b|{_PLAIN}"
_APPROX = (
    r"(?:(?:about|around|roughly|approx\.?|approximately|circa|ca\.?|some|nearly|almost|close to|~|just)\s*)?"
)
_UNDER = r"(?P<under>under|below|less than|fewer than|lower than|not even|<)"
_UP_TO = r"(?P<upto>up to|at most|no more than|max(?:imum)?(?: of)?|tops)"
_OVER = r"(?P<over>over|more than|above|greater than|in excess of|north of|>)"
_AT_LEAST = r"(?P<least>at least|upwards of|min(?:imum)?(?: of)?|a minimum of)"
_TIME_OR_MONEY = r"(?!\s*(?:%|percent|days?|weeks?|months?|years?|yrs?|[$€£]|usd|eur|gbp|dollars?|euros?|pounds?|m\b|bn\b))"

_PATTERNS = [
    # "a 200-person company" names the company's size even beside "our sales team is 20 people"
    re.compile(
        rf"(?:(?:{_OVER}|{_AT_LEAST})\s+{_APPROX})?(?P<n>{_N})[-\s](?:pe?rs(?:o|i)?n|people|employee|staff|strong)\s+"
        rf"(?:(?!(?:but|and|while|whereas|though|although|yet)\b)[\w-]+\s+){{0,2}}?(?:company|firm|business|"
        r"organi[sz]ation|org|startup|agency|group|corporation|manufacturer|retailer|practice|consultancy|bank|insurer)\b",
        re.I,
    ),
    # "the team is 8 but the whole company is about 350": the company, stated as such
    re.compile(
        rf"\b(?:(?:whole|entire|overall|wider)\s+|(?<=but the )|(?<=the ))(?:company|business|organi[sz]ation|firm|group|org)"
        rf"\s+(?:is|has|employs|"
        rf"totals?|counts?)\s+{_APPROX}(?P<n>{_N})(?P<plus>\s?\+)?{_TIME_OR_MONEY}",
        re.I,
    ),
    # "400 globally, about 60 of them in the UK": the whole company ("over 300 staff in total": more than 300)
    re.compile(
        rf"(?:(?:{_OVER}|{_AT_LEAST})\s+{_APPROX})?(?P<n>{_N})\s*(?:{_NOUN}\s*)?(?:globally|worldwide|in total|overall|all in|"
        r"all told|group[- ]wide|company[- ]wide|across the (?:group|company|business|board))\b",
        re.I,
    ),
    re.compile(rf"(?:between\s+)?(?P<a>{_N})\s*(?:-|–|to|and)\s*(?P<b>{_N})\s*{_NOUN}", re.I),
    re.compile(rf"(?:{_UNDER}|{_UP_TO})\s+{_APPROX}(?P<n>{_N})\s*{_NOUN}", re.I),
    re.compile(rf"(?:{_OVER}|{_AT_LEAST})\s+{_APPROX}(?P<n>{_N})\s*{_NOUN}", re.I),
    re.compile(rf"(?P<a>{_N})\s*\+\s*{_NOUN}", re.I),
    re.compile(rf"(?P<n>{_N})[-\s](?:pe?rs(?:o|i)?n|people|employee|staff|man|woman|strong|member)\b", re.I),
    re.compile(rf"(?P<n>{_N})\s*{_NOUN}", re.I),
    re.compile(
        rf"\b(?:team|company|agency|firm|business|startup|practice|studio|outfit|consultancy|shop) of {_APPROX}"
        rf"(?P<n>{_N})(?!\d)(?P<plus>\s?\+)?{_TIME_OR_MONEY}(?!\s*(?:clients|customers|brands|stores|shops|sites|locations))",
        re.I,
    ),
    re.compile(rf"\bheadcount (?:of |is |at |around |about |=\s*)*(?P<n>{_N})(?P<plus>\s?\+)?", re.I),
    re.compile(rf"\b(?P<n>{_N}) of us\b", re.I),
    re.compile(
        rf"\bwe(?:'re| are) {_APPROX}(?P<n>{_PLAIN})(?P<plus>\s?\+)?(?!\s?(?:%|k\b|m\b|months?|years?|days?|weeks?))\b",
        re.I,
    ),
]
_SOLO = re.compile(
    r"\b(just me|only me|it'?s me|it'?s just me|solo( founder)?|one[- ]person|one[- ]man|one[- ]woman|"
    r"myself|1[- ]person|by myself|on my own|sole (trader|founder|proprietor)|solopreneur|freelancer)\b",
    re.I,
)
# Said out of turn, only unmistakable solo statements count ("it's just me", "consultant here, just me, in Leeds").
_SOLO_STATED = re.compile(
    r"\b(?:it'?s|its|it is|there'?s) (?:just|only) me\b|\bjust me here\b|(?:[,;:(]\s*|\s[-–—]\s*)(?:just|only) me"
    r"(?:\s*(?:[,;.!)]|\s[-–—]|$)|\s+(?:for now|at the moment|right now|so far)\b)",
    re.I,
)
_ME_AND = re.compile(
    r"\b(?:just |only )?me and (?:my )?(?P<n>\d{1,2}) (?:others?|other people|part[- ]?timers?|employees|people|"
    r"colleagues|staff|devs|developers|freelancers|contractors)\b",
    re.I,
)
# "just me and my cofounder": the visitor and one other person.
_ME_AND_ONE = re.compile(
    r"\b(?:just |only )?(?:me and|myself and) (?:my |a |one )?(?:co-?founder|business partner|partner|wife|husband|"
    r"brother|sister|dad|father|mum|mom|mother|son|daughter|friend|colleague|assistant|one other|one employee)\b",
    re.I,
)
# Head counts spread over places, when the size was asked: "150 in the UK and another 50 in Spain" = 200,
# "around 60 across three offices" = 60.
_PER_PLACE = re.compile(
    rf"(?P<n>{_N})\s*(?:{_NOUN}\s*)?(?:in|at|based in)\s+(?:the\s+)?[A-Za-z][\w .'-]{{0,30}}?"
    rf"\s*(?:,|and|plus|\+|&)\s*(?:another|a further|an extra|an additional|then)?\s*~?(?P<m>{_N})\s*(?:{_NOUN}\s*)?"
    r"(?:in|at|based in|over in|out in)\b",
    re.I,
)
_ACROSS = re.compile(
    rf"^\D*?(?P<n>{_N})\s*(?:{_NOUN}\s*)?(?:across|over|spread over|split across|between|in)\s+(?:\d+|a few|several|"
    r"multiple|many)\s+(?:offices|sites|locations|countries|cities|branches|stores|shops|clinics|hubs|teams)\b",
    re.I,
)
# Answers to the size question may leave out the noun: "1-10", "500+", "fewer than 100", "200".
_RANGE_ONLY = re.compile(rf"^\D*?(?P<a>{_N})\s*(?:-|–|to|and)\s*(?P<b>{_N})\D*$", re.I)
_BOUND_ONLY = re.compile(
    rf"^\D*?(?:{_UNDER}|{_UP_TO}|{_OVER}|{_AT_LEAST})\s+{_APPROX}(?P<n>{_N})(?P<plus>\s?\+)?\D*$", re.I
)
_PLUS_ONLY = re.compile(rf"^\D*?(?P<a>{_N})\s*\+\D*$", re.I)
_BARE = re.compile(rf"^\D*?(?P<n>{_N})\D*$", re.I)


class _OutOfRange(Exception):
    """A head count that cannot be true (negative, zero, beyond MAX_PEOPLE)."""


def _int(text: str) -> int:
    raw = text.replace(",", "").strip()
    suffix = "k" if raw.lower().endswith("k") else None
    value = to_number(raw.rstrip("kK").strip(), suffix)
    if value is None or not plausible(value, MAX_PEOPLE) or value < 1:
        raise _OutOfRange
    return int(value)


def _midpoint(low: int, high: int) -> int:
    return int((low + high) / 2 + 0.5)


def exact(count: int) -> dict[str, Any]:
    """An exact head count."""
    return {"employees": count, "min": count, "max": count}


def between(low: int, high: int) -> dict[str, Any]:
    """A closed range; `employees` is its midpoint."""
    if low == high:
        return exact(low)
    return {"employees": _midpoint(low, high), "min": low, "max": high}


def at_least(low: int) -> dict[str, Any]:
    """An open range ("500+"); `employees` is its lower bound."""
    return {"employees": low, "min": low, "max": None}


def _from_groups(groups: dict[str, Any]) -> dict[str, Any] | None:
    if groups.get("b"):
        low, high = _int(groups["a"]), _int(groups["b"])
        if (
            re.search(r"k\s*$", groups["b"], re.I)
            and not re.search(r"k\s*$", groups["a"], re.I)
            and low < 1000
        ):
            low *= 1000  # "1-5k employees"
        return between(low, high) if high >= low else None
    if groups.get("a"):
        return at_least(_int(groups["a"]))
    count = _int(groups["n"])
    if groups.get("under"):
        return between(1, count - 1) if count > 1 else None
    if groups.get("upto"):
        return between(1, count)
    if groups.get("over"):
        return at_least(count + 1)
    if groups.get("least") or (groups.get("plus") or "").strip():
        return at_least(count)
    return exact(count)


def _read(pattern: re.Pattern[str], text: str) -> tuple[dict[str, Any], tuple[int, int]] | None:
    for match in pattern.finditer(text):
        if negative_before(text, match.start()):
            return {"error": OUT_OF_RANGE}, match.span()
        try:
            value = _from_groups(match.groupdict())
        except _OutOfRange:
            return {"error": OUT_OF_RANGE}, match.span()
        if value:
            return value, match.span()
    return None


def find_company_size(
    text: str, *, requested: bool = False, include_future: bool = False
) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """Company size with its character span; bare numbers and "just me" only when asked.

    A future head count ("12 in two years") is a growth plan, not the size, unless
    `include_future`. An impossible count gives {"error": "out_of_range"}.
    """
    converted = words_to_digits(text if include_future else present_only(text))
    team = _ME_AND.search(converted)
    if team:
        # "it's me and 2 part-timers": the visitor plus the others they name.
        return exact(1 + int(team.group("n"))), team.span()
    pair = _ME_AND_ONE.search(converted)
    if pair:
        return exact(2), pair.span()
    if requested:
        places = _PER_PLACE.search(converted)
        if places:
            try:
                return exact(_int(places.group("n")) + _int(places.group("m"))), places.span()
            except _OutOfRange:
                return {"error": OUT_OF_RANGE}, places.span()
        across = _ACROSS.search(converted)
        if across:
            try:
                return exact(_int(across.group("n"))), across.span()
            except _OutOfRange:
                return {"error": OUT_OF_RANGE}, across.span()
    for pattern in _PATTERNS:
        found = _read(pattern, converted)
        if found:
            return found
    volunteered_solo = _SOLO_STATED.search(converted)
    if volunteered_solo:
        return exact(1), volunteered_solo.span()
    if requested:
        solo = _SOLO.search(converted)
        if solo:
            return exact(1), solo.span()
        for pattern in (_RANGE_ONLY, _BOUND_ONLY, _PLUS_ONLY, _BARE):
            found = _read(pattern, converted)
            if found:
                return found
    return None


def parse_company_size(text: str) -> dict[str, Any] | None:
    """Normalised size of an answer to the company-size question, or None (also when impossible)."""
    found = find_company_size(text, requested=True)
    return found[0] if found and "error" not in found[0] else None
