"""A request for a person, sales or a demo inside any message ("..., can I get a demo with someone?").

The intent classifier gives one intent per message: a long opening full of facts is `inform`
even when it ends with a request for a demo. A request for a person or a demo is always
honoured, so the extractor also looks for one in the visitor's own words.
"""

from __future__ import annotations

import re

_ASK = r"(?:can|could|may|would|will) (?:i|we|you) (?:please |just )?"
_WANT = r"(?:i'?d|we'?d|i would|we would) (?:like|love|prefer) to|i want to|we want to|i need to|we need to|let me|please"
_PERSON = (
    r"(?:someone|somebody|a person|a human|a real person|an actual person|a rep|a sales ?rep|your sales team|sales|"
    r"the sales team|an expert|a specialist|your team|the team|an account executive|an ae)"
)
_REQUEST = re.compile(
    rf"\b(?:{_ASK}(?:get|have|book|see|schedule|arrange|set up|grab|do) (?:a |an |the )?(?:quick |short |live |proper )?"
    r"(?:demo|demonstration|walkthrough|walk-through|call with (?:someone|sales|your team|a rep)|meeting with)\b|"
    rf"(?:{_ASK}|(?:{_WANT}) |i'?d rather )(?:talk|speak|chat) (?:to|with) {_PERSON}\b|"
    rf"(?:{_WANT}) (?:book|get|see|schedule|arrange|set up|have) (?:a |an )?(?:quick |short |live )?"
    r"(?:demo|demonstration|walkthrough|sales call|call with sales)\b|"
    rf"(?:put|get|connect|transfer|hand) me (?:through |over )?(?:to|with) {_PERSON}\b|"
    r"\bbook (?:me )?(?:a|in a) (?:demo|call with sales)\b|"
    # "book a call with one of your team", "get on a call with an account exec", "hook me up with sales"
    r"\b(?:book|get on|jump on|hop on|have|set up|arrange|schedule|grab)\s+(?:a |an )?(?:quick |short )?"
    r"(?:call|chat|meeting|conversation|zoom|video call)\s+with\s+(?:one of\s+)?(?:your |the |a |an )?"
    r"(?:team|sales|sales team|sales people|salespeople|sales folks|reps?|people|humans?|person|someone|somebody|"
    r"account exec(?:utive)?s?|aes?|sales ?reps?|experts?|specialists?)\b|"
    r"\b(?:hook|set|line) (?:me|us) up with (?:someone|somebody|sales|your sales team|a rep|your team|a person)\b|"
    rf"\b(?:pass|put|send) me (?:over |through )?to {_PERSON}\b|"
    # a callback: "can someone just ring me tomorrow", "have someone call me back"
    r"\b(?:can|could|would|will) (?:someone|somebody|you|a rep|your team|one of you|sales)(?: just| please)? "
    r"(?:ring|call|phone|email|contact|reach out to|get back to) me\b|"
    r"\b(?:ring|call|phone) me (?:back|tomorrow|later|today|instead|on)\b|"
    r"\b(?:get|have) (?:someone|somebody|a rep|sales) (?:to )?(?:call|ring|phone|email|contact) me\b|"
    r"\bcall ?back (?:please|would be|instead)\b|"
    r"\b(?:i'?d|we'?d) (?:like|prefer|rather have) a call ?back\b|"
    # the whole message is the request: "a human please", "real person", "agent!"
    # (a bare "Human" or "Agent" is left to the intent model: it may be a company's name)
    r"^\W*(?:(?:a|an|the|some)\s+(?:human|real person|actual person|live agent|agent|operator|person|representative|"
    r"live person)|(?:real|actual|live) (?:person|human|agent)|someone real|"
    r"(?:human|agent|operator|person|representative)\s+(?:please|pls|plz|now))(?:\s+(?:please|pls|plz|now))?\W*$)",
    re.I,
)


def asks_for_a_person(text: str) -> bool:
    """True when the message asks to talk to someone, to sales, or for a demo."""
    return bool(_REQUEST.search(text[:2000]))


__all__ = ["asks_for_a_person"]
