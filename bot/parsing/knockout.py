"""Knock-outs: students, job seekers, vendor pitches and spam are not buyers."""

from __future__ import annotations

import re
from typing import Any

_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "job_seeker",
        re.compile(
            r"\b(looking for (a |an )?(job|position|role|work|internship|opportunit)|are you (guys )?hiring|"
            r"any (open )?(positions|vacancies|openings|jobs)|job (opening|opportunit|application)|career opportunit|"
            r"apply(ing)? for (a |the )?(job|position|role)|my (cv|resume|résumé)|open positions|want to work (for|at|with) you|"
            r"looking for an internship|internship (opportunit|position)|seeking employment)",
            re.I,
        ),
    ),
    (
        "student",
        re.compile(
            r"\b((i'?m|i am|im) (a |an )?(student|undergrad|grad student|phd student|master'?s student)|"
            r"for my (thesis|class|homework|assignment|dissertation|course|school project|university project|studies)|"
            r"school project|university assignment|(i'?m|i am) studying)",
            re.I,
        ),
    ),
    (
        "vendor_pitch",
        re.compile(
            r"\b(we (offer|provide|sell) [\w\s,&-]{0,40}(services|solutions|development|marketing)|"
            r"(seo|link building|lead gen(eration)?|outsourcing|web design|app development|backlink|"
            r"guest post(ing)?|offshore development|data entry|content writing) services|"
            r"partnership (proposal|opportunity)|(i'?d|i would|we'?d|we would) like to (pitch|offer|sell|introduce (you to )?our)|"
            r"guest post|can i (pitch|sell)|our agency can|white[- ]label)",
            re.I,
        ),
    ),
    (
        "spam",
        re.compile(
            r"(viagra|cialis|casino|betting tips|crypto (giveaway|investment)|bitcoin doubler|forex signals|"
            r"loan offer|click here|earn \$?\d+ (a|per) (day|week)|make money fast|free money|porn|"
            r"whatsapp me|telegram me)",
            re.I,
        ),
    ),
]
_URL = re.compile(r"https?://|www\.", re.I)


def detect_knockout(text: str) -> dict[str, Any] | None:
    """{"kind": ...} when the message shows a non-buyer, else None."""
    text = text[:2000]
    for kind, pattern in _RULES:
        if pattern.search(text):
            return {"kind": kind}
    if len(_URL.findall(text)) >= 2:
        return {"kind": "spam"}
    return None
