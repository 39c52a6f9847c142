"""Numbers as visitors write them: digits with separators, k/m suffixes, number words."""

from __future__ import annotations

import math
import re
from functools import lru_cache

from text_to_num import alpha2digit

MAX_TEXT = 2000

#: Largest plausible values: anything above is a typo or a joke, never a value to store.
MAX_PEOPLE = 10_000_000
MAX_MONEY = 10_000_000_000
#: Error code for a number that was read but cannot be true (the form re-prompts).
OUT_OF_RANGE = "out_of_range"

_SUFFIX = {
    "k": 1e3,
    "thousand": 1e3,
    "thou": 1e3,
    "grand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mio": 1e6,
    "mil": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "bn": 1e9,
    "billion": 1e9,
}

# alpha2digit reads "30 thousand" as "30 1000" and leaves "half a million" alone, so these
# multiplier phrases become k/m/bn suffixes first (the budget and size parsers read suffixes).
_MULTIPLIER_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bhalf an? (?:million|mil|mn)\b", re.I), "500k"),
    (re.compile(r"\ba quarter (?:of )?an? (?:million|mil|mn)\b", re.I), "250k"),
    (re.compile(r"\b(?:an?|one) (?:million|mil|mn)\b", re.I), "1m"),
    (re.compile(r"\b(?:an?|one) (?:thousand|grand)\b", re.I), "1k"),
    (re.compile(r"\b(?:an?|one) hundred\b", re.I), "100"),
    (re.compile(r"\b(?:a )?couple (?:of )?(?:thousand|grand|k)\b", re.I), "2k"),
    (re.compile(r"\b(?:a )?couple (?:of )?hundred\b", re.I), "200"),
    (re.compile(r"\ba few (?:thousand|grand|k)\b", re.I), "3k"),
    (re.compile(r"\ba few hundred\b", re.I), "300"),
    (re.compile(r"\bhalf a dozen\b", re.I), "6"),
    (re.compile(r"\ba dozen\b", re.I), "12"),
    (re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*(?:thousand|grand)\b", re.I), r"\1k"),
    (re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*(?:million|mil|mln)\b", re.I), r"\1m"),
    (re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*billion\b", re.I), r"\1bn"),
]
_LONG_NUMBER = re.compile(r"\d{16,}")
_AND_A_HALF = re.compile(r"\b(\d+) and a half\b", re.I)  # "2 and a half years" -> "2.5 years"
_HALF_MULTIPLIER = re.compile(r"\b(\d+\.5) (1000|1000000)\b")  # "two and a half thousand"
_UNIT_AND_A_HALF = re.compile(r"\b(?:an?|1) (year|month|week|day)s? and a half\b", re.I)
# A minus sign touches its number ("-5000", "-$20k"); a dash with a space after it is punctuation
# ("Brighton, UK - five of us").
_NEGATIVE_BEFORE = re.compile(
    r"(?:(?<![\w.,)])[-−–]\s*[$€£]\s*|(?<![\w.,)])[-−–]|\b(?:minus|negative)\s*[$€£]?\s*)$", re.I
)
_RANGE_BEFORE = re.compile(
    r"\d\s*(?:k|m|mm|bn|thousand|million|%|[$€£]|usd|eur|gbp)?\s*[-−–]\s*[$€£]?\s*$", re.I
)


# "30ish", "40k-ish", "thirty-ish thousand": about that number.
_ISH = re.compile(
    r"(?<=\d)\s?-?ish\b|(?<=k)-ish\b|(?:(?<=ty)|(?<=teen)|(?<=ten)|(?<=red)|(?<=sand))-ish\b", re.I
)


@lru_cache(maxsize=2048)
def words_to_digits(text: str) -> str:
    """'fifty thousand dollars' -> '50000 dollars', 'two years' -> '2 years', '30 thousand' -> '30k'."""
    text = _ISH.sub("", text[:MAX_TEXT])  # "thirty-ish thousand", "30ish k": about that number
    for pattern, replacement in _MULTIPLIER_PHRASES:
        text = pattern.sub(replacement, text)
    try:
        # threshold=0: small numbers too ("in two years", "plan to be twelve").
        text = str(alpha2digit(text, "en", threshold=0))
    except Exception:  # noqa: BLE001 - the library is defensive, but input is arbitrary
        pass
    # A 300-digit "number" is a joke, not an amount; a bounded stand-in keeps it out of range
    # and keeps the parsers' regular expressions linear.
    text = _LONG_NUMBER.sub("9" * 16, text)
    text = _AND_A_HALF.sub(r"\1.5", text)
    text = _HALF_MULTIPLIER.sub(lambda m: m.group(1) + ("k" if m.group(2) == "1000" else "m"), text)
    return _UNIT_AND_A_HALF.sub(r"1.5 \1s", text)


def to_number(digits: str, suffix: str | None = None) -> float | None:
    """'100.000' / '100,000' / '100 000' / '1.5' (+ 'k', 'm', 'thousand') -> float (may be inf)."""
    raw = digits.strip().replace("\u00a0", " ").replace("'", " ").replace("’", " ")  # Swiss 30'000
    if not raw or not any(ch.isdigit() for ch in raw) or not raw.isascii():
        return None
    # Groups of exactly three digits after a separator are thousands: 100.000, 1,250,000, 100 000.
    if re.fullmatch(r"\d{1,3}([.,\s]\d{3})+", raw) and not (
        suffix and re.fullmatch(r"\d{1,3}[.,]\d{3}", raw) and raw.count(".") == 1 and "," not in raw
    ):
        value = float(re.sub(r"[.,\s]", "", raw))
    else:
        try:
            value = float(raw.replace(",", ".").replace(" ", ""))
        except (ValueError, OverflowError):
            return None
    if suffix:
        value *= _SUFFIX.get(suffix.lower().strip(), 1.0)
    return value


def plausible(value: float | None, limit: float) -> bool:
    """True for a finite, positive number not above `limit` (no Infinity, no 300-digit budgets)."""
    return value is not None and math.isfinite(value) and 0 < value <= limit


def negative_before(text: str, start: int) -> bool:
    """True when the number starting at `start` is written as negative ("-5000", "minus 20")."""
    before = text[max(0, start - 24) : start]
    return bool(_NEGATIVE_BEFORE.search(before)) and not _RANGE_BEFORE.search(before)
