"""Budgets: amount, currency, period, annualised ("$50k", "5k per month", "between 20 and 30k")."""

from __future__ import annotations

import re
from typing import Any

from bot.parsing.clauses import present_only
from bot.parsing.numbers import (
    MAX_MONEY,
    OUT_OF_RANGE,
    negative_before,
    plausible,
    to_number,
    words_to_digits,
)

_CUR_SYMBOL = {"$": "USD", "€": "EUR", "£": "GBP", "c$": "CAD", "ca$": "CAD", "a$": "AUD", "au$": "AUD"}
_CUR_WORD = {
    "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD", "us$": "USD",
    "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "quid": "GBP", "sterling": "GBP",
    "chf": "CHF", "franc": "CHF", "francs": "CHF",
    "cad": "CAD", "aud": "AUD",
}  # fmt: skip
_PERIOD = [
    (r"per\s+month|a\s+month|/\s*mo(nth)?\b|monthly|(each|every)\s+month|pm\b|p/m", "month"),
    (r"per\s+quarter|a\s+quarter|quarterly|(each|every)\s+quarter|/\s*q(uarter|tr)?\b", "quarter"),
    (r"per\s+week|a\s+week|weekly|(each|every)\s+week|/\s*w(ee)?k\b", "week"),
    (
        r"per\s+(year|annum)|a\s+year|/\s*y(ea)?r\b|annually|yearly|annual|p\.?a\.?\b|each\s+year|per\s+yr|"
        r"(for|in|over)\s+(the|this|our|next)\s+(fiscal\s+|financial\s+|budget\s+)?year|\bfy\b|\bfy\d{2,4}\b",
        "year",
    ),
    # a single sum, not per period ("one-off", "in total"); stored as "one_off" ("total" in older leads)
    (r"one[-\s]?off|one[-\s]?time|in\s+total|total|lump\s+sum|for\s+the\s+(whole\s+)?project", "one_off"),
]
_PER_YEAR = {"year": 1, "month": 12, "quarter": 4, "week": 52, "one_off": 1, "total": 1, None: 1}
#: A period said just before the amount: "one-off 15k", "monthly 2k", "annual budget of 40k".
_PERIOD_BEFORE = re.compile(
    r"(?:\b(?P<period>one[-\s]?off|one[-\s]?time|lump[-\s]sum|monthly|annual|yearly|quarterly|weekly)\b)"
    r"(?:\s+(?:budget|spend|fee|payment|sum|of|is|around|about|roughly|max|maximum|up to|[-:]))*\s*[$€£]?\s*$",
    re.I,
)
_PERIOD_WORD = {
    "monthly": "month",
    "annual": "year",
    "yearly": "year",
    "quarterly": "quarter",
    "weekly": "week",
}

_NUM = r"\d{1,3}(?:[.,\s'’]\d{3})+(?![\d])|\d+(?:[.,]\d+)?"
_SUF = r"(?:k|m|mm|mio|bn|thousand|thou|million|grand)\b"
# Longest first: "C$40k" is Canadian, "A$20k" Australian, "US$" American.
_CUR_PRE = r"(?:us\$|ca\$|c\$|au\$|a\$|[$€£]|usd|eur|gbp|chf|cad|aud)"
_CUR_POST = r"(?:[$€£]|usd|eur|gbp|chf|cad|aud|dollars?|euros?|pounds?|bucks|quid|(?:swiss\s+)?francs?)"
_AMOUNT = rf"(?P<pre>{_CUR_PRE})?\s?(?P<num>{_NUM})\s?(?P<suf>{_SUF})?\s?(?P<post>{_CUR_POST})?(?![\w])"
AMOUNT_RE = re.compile(_AMOUNT, re.IGNORECASE)
RANGE_RE = re.compile(
    rf"(?:between\s+)?(?P<a>{_CUR_PRE}?\s?(?:{_NUM})\s?(?:{_SUF})?\s?{_CUR_POST}?)\s*(?:-|–|to|and)\s*"
    rf"(?P<b>{_CUR_PRE}?\s?(?:{_NUM})\s?(?:{_SUF})?\s?{_CUR_POST}?)(?![\w])",
    re.IGNORECASE,
)
BUDGET_WORDS = re.compile(
    r"\b(budget|budgeted|spend|spending|pay|paying|invest|investment|afford|allocate[d]?|price range|"
    r"cost|costs|up to|max(imum)?|around|about|roughly|approx(imately)?)\b",
    re.IGNORECASE,
)
NO_BUDGET_RE = re.compile(
    r"\b(no (real |actual |proper |set |dedicated |specific |formal )?budget|don'?t have (a |any )?(real )?budget|do not have (a |any )?budget|haven'?t (got |set )?(a )?budget|"
    r"zero budget|budget (is )?(not|isn'?t) (approved|set|allocated)|no money|nothing allocated|"
    r"not budgeted|without (a )?budget|nothing('?s| has| is)? (been |yet )?(allocated|set aside|budgeted|earmarked)|"
    r"budget('?s| is) (currently |basically |literally )?(zero|nil|nothing|0)\b|no (money|funds|cash) (set aside|allocated))\b",
    re.IGNORECASE,
)
#: As the answer to the budget question: "zero right now", "nothing yet", "nil".
_NOTHING = re.compile(
    r"^\W*(?:(?:honestly|tbh|to be honest|well|um+|erm+|currently|at the moment|right now|basically|literally|"
    r"sadly|unfortunately|realistically|truthfully)[\s,]+)*"
    r"(?:(?:zero|nothing|nil|none|nada|zilch)\b(?!\s*k\b)|[$€£]?0\b(?!\s*k\b|[,.]\d))",
    re.I,
)
#: A single sum said anywhere in the answer ("20,000 euros for the whole thing, one-off").
_ONE_OFF_ANYWHERE = re.compile(
    r"\b(?:one[-\s]?off|one[-\s]?time|lump[-\s]sum|for\s+the\s+whole\s+(?:thing|project|lot|rollout))\b", re.I
)
#: "calls with people who have no budget": someone else's budget, not the visitor's.
_OTHERS_BEFORE = re.compile(
    r"(?:\b(?:who|that|which)\s+(?:have|has|had|got)|\bwith|\b(?:people|leads|prospects|buyers|customers|visitors|"
    r"companies|firms|folks|ones|tyre[- ]kickers|tire[- ]kickers|students)(?:\s+(?:who|that)\s+(?:have|had))?)\s*$",
    re.I,
)
NOT_SURE_RE = re.compile(
    r"\b(not sure|unsure|no idea|don'?t know|do not know|dunno|tbd|to be (decided|determined)|"
    r"hard to say|depends|not decided|undecided|no clue|can'?t say yet|"
    r"can'?t (give|put) (you )?(a |an )?(number|figure|amount)( on it)? yet|"
    r"(haven'?t|have not|not yet) (landed on|settled on|decided on|agreed( on)?|worked out|got|fixed|set) "
    r"(a |any |the )?(figure|number|amount|budget)|no (figure|number|amount) yet|still working (it|that|this) out)\b",
    re.IGNORECASE,
)
# A number followed by these counts something else than money.
_NOT_MONEY_AFTER = re.compile(
    r"\s*\+?\s*(%|percent\b|people\b|employees?\b|staff\b|persons?\b|months?\b|years?\b|weeks?\b|"
    r"days?\b|x\b|of us\b|users?\b|seats?\b|leads?\b|visitors?\b)"
)
_UNDER = re.compile(r"\b(under|below|less than|<)\s*[$€£]?\s*$", re.IGNORECASE)
#: A ceiling the visitor can go to ("up to 20k", "no more than 3,000 euros"): that is the budget.
_CEILING = re.compile(
    r"\b(up to|max(imum)?|(no|not)\s+(\w+\s+){0,2}more than|at most|capped at|could go to|stretch to|tops)\s*[$€£]?\s*$",
    re.IGNORECASE,
)
_OVER = re.compile(r"\b(over|above|more than|at least|min(imum)?|upwards of|\+|>)\s*$", re.IGNORECASE)
#: A ceiling said after the amount: "£800 a month max", "5k tops", "20k at the most".
_CEILING_AFTER = re.compile(
    r"^\s*(?:(?:a|an|per|/|each|every)\s*(?:year|month|quarter|week|annum|yr|mo)\w*\s*)?,?\s*"
    r"(?:max(?:imum)?|tops|at (?:the )?most|absolute max(?:imum)?|and no more|no more)\b",
    re.IGNORECASE,
)


# A currency named once for the whole answer: "seven hundred a month in sterling", "40k, in euros".
_NAMED_CURRENCY = re.compile(
    r"\bin\s+(?:us\s+|canadian\s+|australian\s+|swiss\s+)?(sterling|pounds|gbp|euros?|eur|dollars|usd|cad|aud|"
    r"francs|chf)\b|\b(sterling)\b|(?<=[\dk])\s+(canadian|australian|aussie)\b",
    re.IGNORECASE,
)
_NAMED_COUNTRY = {"canadian": "CAD", "australian": "AUD", "swiss": "CHF", "us": "USD"}


def _named_currency(text: str) -> str | None:
    match = _NAMED_CURRENCY.search(text)
    if match is None:
        return None
    if match.group(3):
        return "CAD" if match.group(3).lower() == "canadian" else "AUD"
    qualifier = re.match(r"in\s+(us|canadian|australian|swiss)\s", match.group(0), re.I)
    if qualifier:
        return _NAMED_COUNTRY[qualifier.group(1).lower()]
    return _currency(None, (match.group(1) or match.group(2)).lower())


def _currency(pre: str | None, post: str | None) -> str | None:
    for token in (pre, post):
        if token:
            token = re.sub(r"^swiss\s+", "", token.strip().lower())  # "Swiss francs"
            if token in _CUR_SYMBOL:
                return _CUR_SYMBOL[token]
            if token in _CUR_WORD:
                return _CUR_WORD[token]
            if token.upper() in {"USD", "EUR", "GBP", "CHF", "CAD", "AUD"}:
                return token.upper()
    return None


def _period(text: str) -> str | None:
    for pattern, period in _PERIOD:
        if re.search(pattern, text, re.IGNORECASE):
            return period
    return None


def _parse_amount(fragment: str) -> tuple[float, str | None, bool] | None:
    match = AMOUNT_RE.search(fragment)
    if not match:
        return None
    value = to_number(match.group("num"), match.group("suf"))
    if value is None:
        return None
    marked = bool(match.group("pre") or match.group("post") or match.group("suf"))
    return value, _currency(match.group("pre"), match.group("post")), marked


def _shape(
    amount: float | None,
    amount_max: float | None,
    currency: str | None,
    period: str | None,
    annual_basis: float | None,
) -> dict[str, Any]:
    annual = None if annual_basis is None else round(annual_basis * _PER_YEAR[period], 2)
    return {
        "status": "amount",
        "amount": amount,
        "amount_max": amount_max,
        "currency": currency,
        "period": period,
        "annual_amount": annual,
    }


def _checked(value: dict[str, Any], span: tuple[int, int]) -> tuple[dict[str, Any], tuple[int, int]]:
    """The value, or out_of_range when annualising makes it absurd ("$5bn a week")."""
    if not plausible(value["annual_amount"], MAX_MONEY):
        return {"error": OUT_OF_RANGE}, span
    return value, span


def find_budget(
    text: str, *, requested: bool = False, exclude: list[tuple[int, int]] | None = None
) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """The budget in `text` with its character span, or None.

    Outside the budget question an amount needs a currency, or a k/m suffix plus a
    budget word, so head counts, years and phone numbers are never read as money.
    A negative or absurd amount gives {"error": "out_of_range"}, never a value.
    """
    converted = words_to_digits(present_only(text))
    exclude = exclude or []
    out_of_range: tuple[dict[str, Any], tuple[int, int]] | None = None
    no_budget = NO_BUDGET_RE.search(converted) or (_NOTHING.match(converted) if requested else None)
    if no_budget and (requested or not _OTHERS_BEFORE.search(converted[: no_budget.start()])):
        span = no_budget.span()
        return {
            "status": "no_budget",
            "amount": None,
            "amount_max": None,
            "currency": None,
            "period": None,
            "annual_amount": None,
        }, span
    context = requested or bool(BUDGET_WORDS.search(converted))

    def period_after(end: int, start: int | None = None) -> str | None:
        found = _period(converted[end : end + 26])
        if found is None and start is not None:
            before = _PERIOD_BEFORE.search(converted[max(0, start - 30) : start])
            if before:
                word = before.group("period").lower()
                found = _PERIOD_WORD.get(word, "one_off")
        return found

    def free(span: tuple[int, int]) -> bool:
        return not any(span[0] < b and a < span[1] for a, b in exclude)

    for match in RANGE_RE.finditer(converted):
        if not free(match.span()):
            continue
        first, second = _parse_amount(match.group("a")), _parse_amount(match.group("b"))
        if not first or not second:
            continue
        (low, cur_a, marked_a), (high, cur_b, marked_b) = first, second
        if not (marked_a or marked_b or requested):
            continue
        if _NOT_MONEY_AFTER.match(converted[match.end() : match.end() + 14].lower()):
            continue  # "10-15 people", "2-3 months"
        if not (marked_a or marked_b) and high < 100:
            continue
        a_scaled = re.search(r"\d\s*(k|m|bn|thousand|million)\b", match.group("a"), re.I)
        if (
            not a_scaled
            and low < 1000
            and (
                re.search(r"\d\s*(k|thousand)\b", match.group("b"), re.I)
                or (high >= 1000 and low * 1000 <= high)
            )
        ):
            low *= 1000  # "between 20 and 30k", "fifteen to twenty-five thousand"
        if not (plausible(low, MAX_MONEY) and plausible(high, MAX_MONEY)) or negative_before(
            converted, match.start()
        ):
            out_of_range = out_of_range or ({"error": OUT_OF_RANGE}, match.span())
            continue
        suffixed = re.search(rf"\d\s*{_SUF}", match.group("b"), re.I)
        if high < low or (
            not (cur_a or cur_b) and not context and not (suffixed and period_after(match.end()))
        ):
            continue
        currency = cur_a or cur_b or _named_currency(converted)
        return _checked(
            _shape(low, high, currency, period_after(match.end(), match.start()), (low + high) / 2),
            match.span(),
        )

    for match in AMOUNT_RE.finditer(converted):
        if not free(match.span()):
            continue
        value = to_number(match.group("num"), match.group("suf"))
        if value is None:
            continue
        currency = _currency(match.group("pre"), match.group("post"))
        suffix = match.group("suf")
        if _NOT_MONEY_AFTER.match(converted[match.end() : match.end() + 14].lower()):
            continue
        plain_year = not currency and not suffix and re.fullmatch(r"(19|20)\d\d", match.group("num"))
        if plain_year:
            continue
        budget_named = re.search(r"\bbudget\b[^.?!]{0,20}$", converted[: match.start()], re.I)
        if not currency and not suffix and not requested and not budget_named:
            continue
        if not currency and not context and not (suffix and period_after(match.end())):
            continue
        if not currency and not suffix and value < 100:
            continue  # "2" or "5" is not a budget, even when asked
        if not plausible(value, MAX_MONEY) or negative_before(converted, match.start()):
            out_of_range = out_of_range or ({"error": OUT_OF_RANGE}, match.span())
            continue
        before = converted[: match.start()]
        period = period_after(match.end(), match.start())
        if period is None and _ONE_OFF_ANYWHERE.search(converted):
            period = "one_off"
        currency = currency or _named_currency(converted)
        if _UNDER.search(before[-20:]):
            return _checked(_shape(value / 2, value, currency, period, value / 2), match.span())
        if _CEILING.search(before[-24:]) or _CEILING_AFTER.match(converted[match.end() : match.end() + 30]):
            return _checked(_shape(value, value, currency, period, value), match.span())
        if _OVER.search(before[-20:]) or converted[match.end() : match.end() + 1] == "+":
            return _checked(_shape(value, None, currency, period, value), match.span())
        return _checked(_shape(value, None, currency, period, value), match.span())

    if (requested or re.search(r"\bbudget\b", converted, re.I)) and NOT_SURE_RE.search(converted):
        return {
            "status": "not_sure",
            "amount": None,
            "amount_max": None,
            "currency": None,
            "period": None,
            "annual_amount": None,
        }, NOT_SURE_RE.search(converted).span()  # type: ignore[union-attr]
    return out_of_range


def parse_budget(text: str) -> dict[str, Any] | None:
    """Normalised budget of an answer to the budget question, or None (also when impossible)."""
    found = find_budget(text, requested=True)
    return found[0] if found and "error" not in found[0] else None
