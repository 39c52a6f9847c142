"""The CRM's signed inbound webhook: verify the signature over the raw body, then read the outcome.

The CRM signs like Banter's own outgoing webhook (bot.notify.delivery.signature):
`X-Banter-Timestamp: <unix seconds>` and `X-Banter-Signature: sha256=<hex>`, HMAC-SHA256 with
BANTER_CRM_WEBHOOK_SECRET over `<timestamp>.<raw body>`. A timestamp more than
TOLERANCE_SECONDS away from now is refused, so a captured call cannot be replayed later;
within the window a repeat is harmless: an `id` is used once, and recording the same
outcome again changes nothing.

Body (JSON): {"id": "...", "meeting_uid": "..." or "lead_email": "...", "outcome": "...",
"reason": "...", "note": "...", "by": "..."}; `id`, `reason`, `note` and `by` are optional.
"""

from __future__ import annotations

import hmac
import json
from datetime import datetime
from typing import Any

from bot.notify.delivery import signature
from bot.outcomes.service import OutcomeIn

TOLERANCE_SECONDS = 300
FIELDS = ("id", "meeting_uid", "lead_email", "outcome", "reason", "note", "by")


class CrmError(ValueError):
    """A call that is refused; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def verify(secret: str, timestamp: str | None, signed: str | None, body: bytes, now: datetime) -> None:
    """Raise CrmError(401) unless the body is signed with `secret` at a time close to `now`."""
    if not timestamp or not signed:
        raise CrmError("X-Banter-Timestamp and X-Banter-Signature are required", 401)
    try:
        stamp = int(timestamp)
    except ValueError:
        raise CrmError("X-Banter-Timestamp must be Unix seconds", 401) from None
    if abs(now.timestamp() - stamp) > TOLERANCE_SECONDS:
        raise CrmError(f"the timestamp is more than {TOLERANCE_SECONDS} s away from now", 401)
    expected = "sha256=" + signature(secret, timestamp, body)
    if not hmac.compare_digest(expected, signed.strip()):
        raise CrmError("the signature does not match the body", 401)


def _text(data: dict[str, Any], key: str, limit: int) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise CrmError(f"{key} must be a string", 400)
    text = str(value).strip()
    if len(text) > limit:
        raise CrmError(f"{key} is longer than {limit} characters", 400)
    return text or None


def parse(body: bytes) -> OutcomeIn:
    """The outcome the CRM reports (CrmError 400 naming what is wrong)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise CrmError("the body is not JSON", 400) from None
    if not isinstance(data, dict):
        raise CrmError("the body must be a JSON object", 400)
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise CrmError(f"unknown field {unknown[0]!r} (known: {', '.join(FIELDS)})", 400)
    uid, email = _text(data, "meeting_uid", 100), _text(data, "lead_email", 320)
    if not uid and not email:
        raise CrmError("give meeting_uid or lead_email", 400)
    outcome = _text(data, "outcome", 20)
    if not outcome:
        raise CrmError("outcome is required", 400)
    event_id = _text(data, "id", 100)
    by = _text(data, "by", 200)
    return OutcomeIn(
        outcome=outcome,
        by=f"crm ({by})" if by else "crm",
        via="crm",
        meeting_uid=uid,
        lead_email=None if uid else email,
        reason=_text(data, "reason", 30),
        note=_text(data, "note", 2000),
        nonce=f"crm:{event_id}" if event_id else None,
    )
