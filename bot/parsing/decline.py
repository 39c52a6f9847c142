"""'I'd rather not say' and friends: the visitor declines to answer, in their own words.

Declines often name the field ("I'd rather keep our budget private", "not comfortable
sharing headcount"), so the object of the verb may be anything; what matters is the
refusal verb. Only checked against the open question, so "we'd rather not spend more
than 20k" (no refusal verb) stays a budget.
"""

from __future__ import annotations

import re

_SHARE = (
    r"(?:say|tell|share|sharing|answer|answering|disclose|disclosing|reveal|revealing|divulge|give out|give|"
    r"giving|put a number on|discuss|discussing|get into|go into|saying|telling|specify|name|naming|"
    r"hand over|handing over|provide|providing|type|typing|mention|mentioning)"
)
_OBJECT = r"(?:\s+(?:it|that|this|those|these|them|our|my|the|any|exact|specific|such|\w+)){0,4}"
# "we can't tell which leads are serious" describes a problem; "I can't tell you that" refuses.
_NOT_WHICH = r"(?!(?:\s+[\w'-]+){0,3}?\s+(?:which|who|whom|who'?s|whether|if|apart|the difference)\b)"
_DECLINE = re.compile(
    r"\b(?:"
    rf"(?:rather|prefer(?:red)?) not(?: to)? {_SHARE}|"
    r"(?:i'?d |we'?d |i would |we would )?rather not\s*[.!]?\s*$|"
    rf"(?:won'?t|will not|can'?t|cannot|can not|couldn'?t|am not able to|'m not able to|unable to|not able to|"
    rf"not allowed to|not permitted to|not going to|not gonna|don'?t want to|do not want to|"
    rf"wouldn'?t (?:want|like) to|not at liberty to|not in a position to) {_SHARE}(?![^.!?]{{0,20}}\byet\b){_NOT_WHICH}|"
    rf"not (?:comfortable|happy|keen|willing|ready) (?:to )?{_SHARE}|"
    rf"(?:uncomfortable|hesitant|reluctant) (?:to )?{_SHARE}|"
    rf"(?:rather|prefer to|like to|have to|need to|want to|'d|'ll|will) keep{_OBJECT} "
    r"(?:private|confidential|to (?:myself|ourselves)|internal|under wraps|quiet|secret|between us)|"
    r"not (?:sharing|disclosing|revealing|giving out|telling you) (?:that|this|it|our|my|those|the)\b|"
    r"not (?:at liberty|something (?:i|we) (?:can|could|want to) (?:share|disclose|say))|"
    r"not telling|none of your business|mind your own|that'?s (?:private|confidential|personal|sensitive)|"
    r"it'?s (?:private|confidential|sensitive)|(?:is|are) (?:private|confidential|under nda)|under nda|"
    r"(?:can|could) (?:we|i) skip(?: (?:this|that|it))?|^(?:please |let'?s |i'?ll |let me |i'?d like to )?skip(?: (?:this|that|it|question))?"
    r"(?: one| question| bit| part)?(?:,? (?:please|thanks|for now))?\W*$|^pass$|"
    r"no comment|decline to (?:say|answer|share)|confidential|need to know basis|pass on (?:this|that)|"
    r"next question"
    r")\b",
    re.IGNORECASE,
)


def is_decline(text: str) -> bool:
    """True when the message refuses to answer the question."""
    return bool(_DECLINE.search(text.strip()[:500]))
