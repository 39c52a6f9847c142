"""Free-text answers in context: person names, company names, needs and other deciders."""

from __future__ import annotations

import re
from typing import Any

from bot.parsing.role import find_role, is_title_only

_QUESTION = re.compile(r"\?\s*$|^(why|what|how|who|when|where|can|could|do|does|is|are|will|would)\b", re.I)
_NAME_PREFIX = re.compile(
    r"^(?:hi,?\s+)?(?:my name is|my name's|name is|name's|i'?m|i am|im|it'?s|this is|call me|"
    r"they call me|(?:you can|just|please) call me|people call me)\s+",
    re.I,
)
_NAME_EXPLICIT = re.compile(
    r"\b(?:my name is|my name's)\s+(?P<n>[A-Za-zÀ-ÿ'’-]+(?:\s+[A-Za-zÀ-ÿ'’-]+){0,3})", re.I
)
_COMPANY_PREFIX = re.compile(
    r"^(?:(?:it'?s|its|we'?re|we are|the company is|company is|company name is|our company is|i work (?:at|for)|"
    r"i'?m (?:at|with|from)|at|from|with|called|we'?re called|we are called|it is|the name is)\s+)+",
    re.I,
)
_COMPANY_NAME = r"(?P<c>[A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*){0,3})"
_COMPANY_EXPLICIT = re.compile(
    rf"\b(?i:i work (?:at|for)|i'?m (?:at|with|from)|i work (?:on|in) (?:the |a )?(?:[a-z-]+ ){{0,3}}?team (?:at|of)|"
    rf"i'?m (?:on|in) (?:the |a )?(?:[a-z-]+ ){{0,3}}?team (?:at|of)|i'?m an? [a-z]{{2,4}} (?:at|with))"
    rf"\s+{_COMPANY_NAME}"
)
# After a job title: "VP of Sales at Initech", "CEO of Acme". The title's own "of Operations"
# is part of the title (see bot.parsing.role), so "Head of Operations" names no company.
_COMPANY_AFTER_TITLE = re.compile(rf"\s*(?i:at|@|with|for|of)\s+{_COMPANY_NAME}")
_TRAILING = re.compile(
    r"(?:[\s,;:-]+(?:here|speaking|nice to meet you|pleased to meet you|good to meet you|thanks|thank you|cheers))*"
    r"[\s.!,;:]*$",
    re.I,
)
_DESCRIBED = re.compile(r"\s*(?:[,;:(]|\s[-–—]\s)\s*(?=(?:we|we'?re|we are|it'?s|its|they|a|an|the)\b)", re.I)
_STOP_WORDS = {"a", "an", "the", "yes", "no", "ok", "okay", "sure", "hi", "hello", "thanks", "nope", "yeah"}


def clean_free_text(text: str, limit: int = 300) -> str:
    """Whitespace-normalised, trimmed answer text."""
    return re.sub(r"\s+", " ", text).strip()[:limit]


def is_question(text: str) -> bool:
    """A question is never taken as an answer."""
    return bool(_QUESTION.search(text.strip()))


def has_words(text: str) -> bool:
    """At least one letter (emoji-only or symbol-only messages are not answers)."""
    return any(ch.isalpha() for ch in text)


#: Surname particles written in lower case when the visitor wrote them so ("Pieter van der Berg").
_PARTICLES = frozenset("van der den de da di du del della des le la von zu ten ter bin al el dos das".split())


def _cased(words: list[str]) -> str:
    """Each word with a capital first letter, except particles typed in lower case after the first name."""
    return " ".join(
        w if i and w in _PARTICLES and i < len(words) - 1 else w[:1].upper() + w[1:]
        for i, w in enumerate(words)
    )


def parse_name(text: str) -> dict[str, Any] | None:
    """A person's name given as an answer: "Jane Doe", "I'm Jane", "my name is Jane Doe"."""
    text = clean_free_text(text, 120)
    if not has_words(text) or is_question(text) or "@" in text or any(ch.isdigit() for ch in text):
        return None
    name = _TRAILING.sub("", _NAME_PREFIX.sub("", text))
    words = name.split()
    if not 1 <= len(words) <= 4 or any(not re.fullmatch(r"[A-Za-zÀ-ÿ'’.-]+", w) for w in words):
        return None
    if name.lower() in _STOP_WORDS:
        return None
    full = _cased(words)
    return {"full": full, "first": full.split()[0]}


def find_explicit_name(text: str) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """'my name is Jane Doe' anywhere in a message."""
    match = _NAME_EXPLICIT.search(text)
    if not match:
        return None
    words = [
        w
        for w in match.group("n").split()
        if w.lower() not in _STOP_WORDS and w.lower() not in ("and", "from")
    ]
    cut = []
    for word in words:
        if word.lower() in ("i", "we", "our", "and", "from", "at", "the"):
            break
        cut.append(word)
    if not cut:
        return None
    full = _cased(cut[:3])
    return {"full": full, "first": full.split()[0]}, match.span("n")


def parse_company_name(text: str) -> dict[str, Any] | None:
    """A company name given as an answer: "Acme Corp", "It's Acme Corp", "we're called Acme".

    A job title alone ("Head of Operations") is not a company name.
    """
    text = clean_free_text(text, 200)
    if not has_words(text) or is_question(text) or is_title_only(text):
        return None
    explicit = find_explicit_company(text)
    if explicit and explicit[1][0] > 0:
        return explicit[0]  # "I'm Head of Operations at Acme" -> Acme
    name = _TRAILING.sub("", _COMPANY_PREFIX.sub("", text))
    # "Quill Freight, we do logistics across Europe": the name, then a description of it
    name = _TRAILING.sub("", _DESCRIBED.split(name, maxsplit=1)[0])
    if not name or len(name.split()) > 8 or name.lower() in _STOP_WORDS:
        return None
    return {"name": name}


def company_description(text: str) -> str:
    """What follows a company name given as an answer: "Quill Freight, we do logistics" -> "we do logistics"."""
    parts = _DESCRIBED.split(clean_free_text(text, 500), maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def find_explicit_company(text: str) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """'I work at Acme', 'CFO at Acme Corp', 'VP of Sales at Initech' anywhere in a message."""
    match = _COMPANY_EXPLICIT.search(text)
    if not match:
        role = find_role(text, requested=True)
        match = _COMPANY_AFTER_TITLE.match(text, role[1][1]) if role else None
    if not match:
        return None
    name = _TRAILING.sub("", match.group("c"))
    if name.lower() in _STOP_WORDS or name.split()[0].lower() in ("i", "we", "our", "my"):
        return None
    return {"name": name}, match.span("c")


def parse_other_deciders(text: str) -> dict[str, Any] | None:
    """Who else decides, in the visitor's words."""
    text = clean_free_text(text)
    if not has_words(text) or is_question(text):
        return None
    return {"text": text}
