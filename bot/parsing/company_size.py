"""Company size: "about 200 people", "a team of 12", "1-10", "500+ employees", "just me"."""

from __future__ import annotations

import re
from typing import Any

from bot.parsing.numbers import to_number, words_to_digits

_NOUN = r"(?:people|persons?|employees?|staff|folks|heads|headcount|fte'?s?|team members|members|workers|engineers)"
_N = r"\d{1,3}(?:,\d{3})+|\d+"
_PATTERNS = [
    re.compile(rf"(?P<a>{_N})\s*(?:-|–|to)\s*(?P<b>{_N})\s*{_NOUN}", re.I),
    re.compile(rf"(?P<a>{_N})\s*\+\s*{_NOUN}?", re.I),
    re.compile(rf"(?:over|more than|above)\s+(?P<a>{_N})\s*{_NOUN}", re.I),
    re.compile(rf"(?P<n>{_N})[-\s](?:person|people|employee|man|strong)\b", re.I),
    re.compile(rf"(?P<n>{_N})\s*{_NOUN}", re.I),
    re.compile(rf"\bteam of (?:about |around |roughly |approx\.? )?(?P<n>{_N})\b", re.I),
    re.compile(rf"\bheadcount (?:of |is |at )?(?:about |around )?(?P<n>{_N})\b", re.I),
    re.compile(rf"\b(?P<n>{_N}) of us\b", re.I),
    re.compile(
        rf"\bwe(?:'re| are) (?:about |around |roughly )?(?P<n>{_N})(?! ?(?:%|k\b|m\b|months?|years?))\b", re.I
    ),
]
_SOLO = re.compile(
    r"\b(just me|only me|it'?s me|solo( founder)?|one[- ]person|myself|1[- ]person|by myself|sole (trader|founder))\b",
    re.I,
)
_RANGE_ONLY = re.compile(rf"^\D*?(?P<a>{_N})\s*(?:-|–|to)\s*(?P<b>{_N})\D*$")
_PLUS_ONLY = re.compile(rf"^\D*?(?P<a>{_N})\s*\+\D*$")
_BARE = re.compile(rf"^\D*?(?P<n>{_N})\D*$")


def _int(text: str) -> int | None:
    value = to_number(text.replace(",", ""))
    return int(value) if value is not None and 0 < value < 10_000_000 else None


def _shape(low: int, high: int | None, employees: int | None = None) -> dict[str, Any]:
    if high is None:
        return {"employees": employees or low, "min": low, "max": None}
    return {"employees": employees or int((low + high) / 2 + 0.5), "min": low, "max": high}


def find_company_size(text: str, *, requested: bool = False) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """Company size with its character span; bare numbers and "just me" only when asked."""
    converted = words_to_digits(text)
    for pattern in _PATTERNS:
        match = pattern.search(converted)
        if not match:
            continue
        groups = match.groupdict()
        if groups.get("b"):
            low, high = _int(groups["a"]), _int(groups["b"])
            if low and high and high >= low:
                return _shape(low, high), match.span()
            continue
        if groups.get("a"):
            low = _int(groups["a"])
            if low:
                return _shape(low, None), match.span()
            continue
        count = _int(groups["n"])
        if count:
            return _shape(count, count), match.span()
    if requested:
        solo = _SOLO.search(converted)
        if solo:
            return _shape(1, 1), solo.span()
        for pattern in (_RANGE_ONLY, _PLUS_ONLY, _BARE):
            match = pattern.search(converted)
            if not match:
                continue
            groups = match.groupdict()
            if groups.get("b"):
                low, high = _int(groups["a"]), _int(groups["b"])
                if low and high and high >= low:
                    return _shape(low, high), match.span()
            elif pattern is _PLUS_ONLY:
                low = _int(groups["a"])
                if low:
                    return _shape(low, None), match.span()
            else:
                count = _int(groups["n"])
                if count:
                    return _shape(count, count), match.span()
    return None


def parse_company_size(text: str) -> dict[str, Any] | None:
    """Normalised size of an answer to the company-size question, or None."""
    found = find_company_size(text, requested=True)
    return found[0] if found else None
