"""'I'd rather not say' and friends: the visitor declines to answer."""

from __future__ import annotations

import re

_DECLINE = re.compile(
    r"\b(rather not (say|tell|share|answer|disclose)|prefer not to (say|tell|share|answer|disclose)|"
    r"(won'?t|will not|can'?t|cannot|not going to) (say|tell|share|disclose)|not telling|"
    r"none of your business|that'?s (private|confidential|personal)|it'?s (private|confidential)|"
    r"(can|could) (we|i) skip( (this|that|it))?|^skip( (this|that|it|question))?$|^pass$|no comment|"
    r"decline to (say|answer)|confidential)\b",
    re.IGNORECASE,
)


def is_decline(text: str) -> bool:
    """True when the message refuses to answer the question."""
    return bool(_DECLINE.search(text.strip()[:500]))
