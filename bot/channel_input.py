"""The shape of what a chat client may send with a message (its metadata), checked at the channel.

Metadata reaches the lead store, the scoring (marked pages) and the greeting (visitor id),
so a client that sends a 1 MB title, a budget-sized "page count" or someone else's visitor
id must not get any of it through. Each known key has a type and a bound; unknown keys and
values of the wrong type are dropped (the message itself is always processed); the visitor
id is kept only when this server signed it (bot/identity.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from bot.identity import Identity
from bot.text import normalise_text

Check = Callable[[Any], Any]
_DROP = object()

#: Stamped by the channel after `clean_metadata` (never taken from the visitor, whose key of this
#: name is dropped like any unknown one): a keyed hash of the client's network, which the
#: outcome action counts new leads on (bot/chat_limits.py). Not stored with the lead.
CLIENT_KEY = "client_key"


def _text(limit: int) -> Check:
    def check(value: Any) -> Any:
        if not isinstance(value, str) or len(value) > limit:
            return _DROP
        return normalise_text(value)

    return check


def _count(limit: int) -> Check:
    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _DROP
        if not math.isfinite(value) or not 0 <= value <= limit:
            return _DROP
        return int(value)

    return check


def _texts(item_limit: int, items: int) -> Check:
    item = _text(item_limit)

    def check(value: Any) -> Any:
        if not isinstance(value, list) or len(value) > items:
            return _DROP
        kept = [item(v) for v in value]
        return [v for v in kept if v is not _DROP]

    return check


def _counts(key_limit: int, count_limit: int, items: int) -> Check:
    count = _count(count_limit)

    def check(value: Any) -> Any:
        if not isinstance(value, Mapping) or len(value) > items:
            return _DROP
        kept = {str(k)[:key_limit]: count(v) for k, v in value.items() if isinstance(k, str)}
        return {k: v for k, v in kept.items() if v is not _DROP}

    return check


def _pattern(limit: int, shape: str) -> Check:
    text, pattern = _text(limit), re.compile(shape)

    def check(value: Any) -> Any:
        kept = text(value)
        return kept if kept is not _DROP and pattern.fullmatch(kept) else _DROP

    return check


URL = _text(2000)
#: The browser's IANA time zone ("Europe/Amsterdam"): the booking's zone, and the country (so the
#: currency) of a visitor who has not said where they are.
TIME_ZONE = _pattern(64, r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}")
#: The browser's language, a BCP 47 tag ("nl-NL", "en", "zh-Hant-TW").
LANGUAGE = _pattern(35, r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,4}")
FIELDS: dict[str, Check] = {
    "page_url": URL,
    "url": URL,
    "referrer": URL,
    "title": _text(300),
    "pages_viewed": _texts(300, 50),
    "marked_pages": _counts(60, 10_000, 50),
    "time_on_site_seconds": _count(10_000_000),
    "timezone": TIME_ZONE,
    "time_zone": TIME_ZONE,
    "language": LANGUAGE,
    "proactive": _text(300),  # the proactive-open rule's path, when the widget opened by itself
    **{key: _text(200) for key in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")},
}


def clean_metadata(metadata: Any, identity: Identity) -> tuple[dict[str, Any], list[str]]:
    """The metadata keys that pass their check, and the names of the keys dropped."""
    if not isinstance(metadata, Mapping):
        return {}, ([] if metadata is None else ["(not an object)"])
    clean: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in metadata.items():
        name = str(key)[:60]
        if value is None:
            continue
        if name == "visitor_id":
            verified = identity.visitor_id(value)
            if verified is None:
                dropped.append(name)
            else:
                clean[name] = verified
            continue
        check = FIELDS.get(name)
        kept = check(value) if check is not None else _DROP
        if kept is _DROP:
            dropped.append(name)
        else:
            clean[name] = kept
    return clean, dropped


__all__ = ["CLIENT_KEY", "FIELDS", "clean_metadata"]
