"""Roles and titles to seniority: "CFO" -> c_level, "VP of Sales" -> vp, "marketing manager" -> manager."""

from __future__ import annotations

import re
from typing import Any

_DEPT = r"(?:\s+(?:of|for)\s+(?:the\s+)?[A-Za-z&]+(?:\s+(?:and|&)\s+[A-Za-z]+|\s+[A-Z][a-z]+)?)?"
_PRE = r"(?:(?:[A-Za-z]+\s+){0,2})"
# (seniority, pattern); earlier entries win when several match.
_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "founder",
        re.compile(r"\b(?:co[- ]?)?founder\b(?:\s+and\s+(?:ceo|cto|coo))?|\bfounder\s*/\s*c-level\b", re.I),
    ),
    (
        "c_level",
        re.compile(
            r"\b(?:ceo|cfo|cto|coo|cmo|cro|cio|ciso|cpo|cdo|chief\s+[a-z]+(?:\s+[a-z]+)?\s+officer|"
            r"president|managing director|general manager|c-level|c-suite|executive director)\b",
            re.I,
        ),
    ),
    (
        "owner",
        re.compile(r"\b(?:business\s+)?owner\b|\bproprietor\b|\bpartner at\b|\bmanaging partner\b", re.I),
    ),
    ("vp", re.compile(rf"\b(?:svp|evp|avp|vp|vice[- ]president){_DEPT}|\bvp\s*/\s*director", re.I)),
    ("head", re.compile(r"\bhead\s+of\s+[A-Za-z&]+(?:\s+(?:and|&)\s+[A-Za-z]+)?|\bhead\s+of\b", re.I)),
    ("director", re.compile(rf"{_PRE}\bdirector\b{_DEPT}", re.I)),
    ("manager", re.compile(rf"{_PRE}\b(?:manager|team lead|team leader|supervisor)\b{_DEPT}", re.I)),
    ("consultant", re.compile(r"\b(?:consultant|advisor|adviser|freelancer|contractor)\b", re.I)),
    ("intern", re.compile(r"\b(?:intern|internship|trainee|apprentice|working student)\b", re.I)),
    (
        "student",
        re.compile(r"\b(?:student|undergrad(?:uate)?|phd candidate|master'?s student|studying)\b", re.I),
    ),
    (
        "individual_contributor",
        re.compile(
            rf"{_PRE}\b(?:engineer|developer|dev|analyst|designer|specialist|associate|coordinator|representative|"
            rf"rep|sdr|bdr|account executive|marketer|recruiter|accountant|administrator|admin|assistant|"
            rf"individual contributor|ic|researcher|scientist|programmer|writer|salesperson){_DEPT}\b",
            re.I,
        ),
    ),
]
_STRIP = re.compile(
    r"^(?:i'?m|i am|im|my role is|my title is|as|the|a|an|our|just|currently|work as|working as|"
    r"i work as|it'?s|its|role:?|title:?)\s+",
    re.I,
)
_STOP_TAIL = re.compile(r"\s+(?:at|of a|of an|in|from|for a|for an|and|,).*$", re.I)


def _title(text: str, span: tuple[int, int], seniority: str) -> str:
    title = text[span[0] : span[1]].strip(" ,.;:!")
    previous = None
    while previous != title:
        previous = title
        title = _STRIP.sub("", title)
    title = _STOP_TAIL.sub("", title) if seniority not in ("vp", "head", "director") else title
    words = title.split()
    if len(words) <= 2 and all(len(w) <= 4 for w in words) and title.isalpha() and len(title) <= 4:
        return title.upper()
    return title[:1].upper() + title[1:] if title else seniority


def find_role(text: str) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """The visitor's role (title and seniority) with its span, or None."""
    best: tuple[int, str, re.Match[str]] | None = None
    for rank, (seniority, pattern) in enumerate(_RULES):
        match = pattern.search(text)
        if match and best is None:
            best = (rank, seniority, match)
    if best is None:
        return None
    _, seniority, match = best
    return {"title": _title(text, match.span(), seniority), "seniority": seniority}, match.span()


def parse_role(text: str) -> dict[str, Any] | None:
    """Normalised role of an answer to the role question, or None."""
    found = find_role(text[:500])
    return found[0] if found else None
