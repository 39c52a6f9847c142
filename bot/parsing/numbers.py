"""Numbers as visitors write them: digits with separators, k/m suffixes, number words."""

from __future__ import annotations

import re
from functools import lru_cache

from text_to_num import alpha2digit

MAX_TEXT = 2000

_SUFFIX = {
    "k": 1e3,
    "thousand": 1e3,
    "grand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mio": 1e6,
    "million": 1e6,
    "bn": 1e9,
}


@lru_cache(maxsize=2048)
def words_to_digits(text: str) -> str:
    """'fifty thousand dollars' -> '50000 dollars'; never raises."""
    text = text[:MAX_TEXT]
    try:
        return str(alpha2digit(text, "en"))
    except Exception:  # noqa: BLE001 - the library is defensive, but input is arbitrary
        return text


def to_number(digits: str, suffix: str | None = None) -> float | None:
    """'100.000' / '100,000' / '100 000' / '1.5' (+ 'k', 'm', 'thousand') -> float."""
    raw = digits.strip().replace("\u00a0", " ")
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
        except ValueError:
            return None
    if suffix:
        value *= _SUFFIX.get(suffix.lower(), 1.0)
    return value
