"""Present and future in one message: find the clauses that state a future head count.

"We're 4 of us today and plan to be 12 or so in two years" holds a present size (the
answer to the size question) and a growth plan (which is never a buying timeline).
Size, timeline and budget parsers read the message with the future clauses masked.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.parsing.numbers import words_to_digits

# Clause boundaries: sentence punctuation, dashes, commas, and joining words unless a
# number follows ("between 15 and 25k" stays one clause).
_BOUNDARY = re.compile(
    r"[.;!?\n]+(?:\s+|$)|\s[-–—]+\s|,\s*"
    r"|\s+(?:and|but|while|whilst|though|although|whereas|so(?=\s+(?:we|i|they|that|it)\b))\s+(?![$€£]?\d|a half\b)",
    re.I,
)
_FUTURE_CUE = re.compile(
    r"\b(?:(?:plan|plans|planning|planned|expect|expects|expecting|expected|hope|hoping|aim|aiming|intend|"
    r"intending|want|wanting|target|targeting|projected|project|forecast|forecasting|going|gonna|will|should|"
    r"could|might|would like)\s+(?:to\s+)?(?:be|have|reach|hit|get to|grow|double|triple|scale|hire|add|"
    r"employ|become|end up|more than)|(?:we|they|i)'ll\s+(?:be|have|reach|hit|grow|double|hire|need to hire)|"
    r"on (?:track|course|target|pace) (?:to|for)|grow(?:ing|s)? (?:to|into|past|beyond)|scal(?:e|ing) (?:up )?to|"
    r"expand(?:ing)? to|head(?:ed|ing) (?:to|for|towards)|doubl(?:e|ing)|tripl(?:e|ing)|"
    r"(?:aim|aiming|hope|hoping|shooting|gunning|headed) for|looking to (?:be|hit|reach|grow)|"
    r"(?:hire|hiring|recruit|recruiting|adding|onboarding|bringing on)\b)",
    re.I,
)
_NOW = re.compile(
    r"\b(?:now|today|currently|at the moment|right now|at present|presently|these days)\b", re.I
)
_HORIZON = re.compile(
    r"\b(?:in|within|by|over the next|inside)\s+(?:the\s+)?(?:next\s+)?(?:about\s+|around\s+|roughly\s+|~)?"
    r"(?:\d+|a|an|a couple of|a few)"
    r"(?:\s*(?:-|–|to|or)\s*\d+)?\s*(?:months?|mos?|years?|yrs?)\b|\bby\s+(?:the\s+end\s+of\s+)?(?:20\d\d|next year)|"
    r"\bnext year\b|\bin\s+20\d\d\b|\bby\s+(?:the\s+)?(?:end|start|middle|first half|second half|1st half|"
    r"2nd half|h[12])\s+(?:of\s+)?(?:20\d\d|next year)\b",
    re.I,
)
# A head count: a number that is not a duration, an amount, a share, a year or a quarter.
_HEADCOUNT = re.compile(
    r"(?<![\w$€£.,])(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?\s?k|\d+)(?!\d|st\b|nd\b|rd\b|th\b)(?P<plus>\s?\+)?"
    r"(?!\s*(?:(?:-|–|to|or)\s*\d+\s*)?(?:%|[$€£]|(?:percent|days?|weeks?|wks?|months?|mos?|mths?|mnths?|"
    r"years?|yrs?|quarters?|usd|eur|gbp|dollars?|euros?|pounds?|bucks|m|mm|bn|k|x|times)\b))",
    re.I,
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _BOUNDARY.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def headcounts(clause: str) -> list[str]:
    """Numbers in the clause that can be numbers of people ("12", "10+", "2k"), in order."""
    converted = words_to_digits(clause)
    return [match.group("n") for match in _HEADCOUNT.finditer(converted) if not _YEAR.match(match.group("n"))]


def has_headcount(clause: str) -> bool:
    """True when the clause holds a number of people, or says it will double or triple."""
    return bool(headcounts(clause)) or bool(re.search(r"\b(?:doubl|tripl)", clause, re.I))


@lru_cache(maxsize=1024)
def future_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Character spans of clauses that state a future head count (a growth plan)."""
    clauses = _clauses(text[:2000])
    future: list[tuple[int, int]] = []
    present_elsewhere = False
    for index, (start, end) in enumerate(clauses):
        clause = text[start:end]
        if not has_headcount(clause):
            continue
        cue = _FUTURE_CUE.search(clause)
        if cue:
            # "We're 4 today planning to be 12": the present part before the cue stays.
            begin = start + cue.start() if headcounts(clause[: cue.start()]) else start
            future.append((begin, end))
            # "plan to be 12, maybe 15, in two years": a bare horizon after it belongs to the plan.
            for later_start, later_end in clauses[index + 1 :]:
                later = text[later_start:later_end]
                if len(later.split()) > 4 or _NOW.search(later):
                    break
                if not (_HORIZON.search(words_to_digits(later)) or has_headcount(later)):
                    break
                future[-1] = (future[-1][0], later_end)
        elif (
            _HORIZON.search(words_to_digits(clause))
            and index > 0
            and (present_elsewhere or _NOW.search(text[:start]))
        ):
            future.append((start, end))  # "4 now, 12 in two years"
        else:
            present_elsewhere = True
    return tuple(future)


def mask(text: str, spans: tuple[tuple[int, int], ...] | list[tuple[int, int]]) -> str:
    """`text` with the spans blanked out (same length, so offsets still hold)."""
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def present_only(text: str) -> str:
    """`text` without its growth-plan clauses."""
    return mask(text, future_spans(text))
