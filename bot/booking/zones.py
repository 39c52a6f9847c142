"""The visitor's time zone: from the browser, else from the country, else asked."""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pytz

#: Offered as buttons when the zone is unknown: (label, IANA zone).
COMMON_ZONES: tuple[tuple[str, str], ...] = (
    ("US Eastern", "America/New_York"),
    ("US Central", "America/Chicago"),
    ("US Pacific", "America/Los_Angeles"),
    ("UK", "Europe/London"),
    ("Central Europe", "Europe/Berlin"),
    ("India", "Asia/Kolkata"),
)

_ALIASES = {
    "eastern": "America/New_York", "et": "America/New_York", "est": "America/New_York", "edt": "America/New_York",
    "central": "America/Chicago", "ct": "America/Chicago", "cst": "America/Chicago", "cdt": "America/Chicago",
    "mountain": "America/Denver", "mt": "America/Denver", "mst": "America/Denver", "mdt": "America/Denver",
    "pacific": "America/Los_Angeles", "pt": "America/Los_Angeles", "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles", "gmt": "Europe/London", "bst": "Europe/London", "uk": "Europe/London",
    "cet": "Europe/Berlin", "cest": "Europe/Berlin", "central european": "Europe/Berlin",
    "ist": "Asia/Kolkata", "india": "Asia/Kolkata", "aest": "Australia/Sydney", "utc": "UTC",
}  # fmt: skip


def valid_zone(name: str | None) -> str | None:
    """`name` if it is an IANA zone zoneinfo knows, else None."""
    if not name or not isinstance(name, str) or len(name) > 64:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def zone_for_country(country: str | None) -> str | None:
    """The main zone of a country (the first IANA lists: America/New_York for US)."""
    if not country:
        return None
    zones = pytz.country_timezones.get(country.upper())
    return valid_zone(zones[0]) if zones else None


_FILLER = {
    "i'm",
    "im",
    "i",
    "am",
    "we're",
    "we",
    "are",
    "on",
    "in",
    "the",
    "my",
    "our",
    "time",
    "zone",
    "timezone",
    "is",
    "it's",
    "its",
    "based",
    "here",
}


@functools.lru_cache(maxsize=1)
def _cities() -> dict[str, str]:
    cities: dict[str, str] = {}
    for name in sorted(available_timezones()):
        city = name.rsplit("/", 1)[-1].replace("_", " ").lower()
        cities.setdefault(city, name)
    return cities


def zone_from_text(text: str) -> str | None:
    """'Pacific time', 'CET', 'Europe/Paris', 'I'm in Chicago' -> an IANA zone, or None."""
    cleaned = text.strip().strip(".!?").lower()
    direct = valid_zone(text.strip())
    if direct:
        return direct
    words = [w for w in cleaned.replace(",", " ").split() if w not in _FILLER]
    cleaned = " ".join(words)
    if cleaned in _ALIASES:
        return _ALIASES[cleaned]
    return _cities().get(cleaned)
