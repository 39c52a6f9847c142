"""Find every field a visitor volunteers in one message, and read answers in context.

Runs on every message. Values with a recognisable form (money, head counts, dates,
titles, places, industries, emails, use cases) are taken from anywhere in the message;
free-text answers (a need in the visitor's words, a company or person name) only as
the answer to the question being asked. Never raises; long input is capped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.needs import NeedClassifier
from bot.parsing.budget import find_budget
from bot.parsing.company_size import find_company_size
from bot.parsing.decline import is_decline
from bot.parsing.email import find_email
from bot.parsing.geo import find_country
from bot.parsing.growth import find_growth_plan, parse_growth_plan
from bot.parsing.knockout import SURE_SPAM, detect_knockout
from bot.parsing.lexicon import find_industry, find_use_case, nlp
from bot.parsing.names import (
    clean_free_text,
    company_description,
    find_explicit_company,
    find_explicit_name,
    has_words,
    is_question,
    parse_company_name,
    parse_name,
    parse_other_deciders,
)
from bot.parsing.role import find_role, is_title_only
from bot.questions import PARSED
from bot.text import normalise_text

MAX_CHARS = 2000

_RESEARCHING = (
    "just researching", "just looking", "researching", "research", "browsing", "just browsing", "exploring",
    "looking around", "curious", "just curious", "not sure yet what", "checking options", "comparing tools",
    "having a look", "having a nose", "nose around", "poke around", "poking around", "see what's out there",
    "no specific project", "just looking around", "window shopping", "gathering info", "gathering information",
    "what's out there", "compare a few options", "comparing options", "nothing decided", "for later on",
)  # fmt: skip

#: A visitor correcting themselves inside one answer: "60... actually no, 600", "Q1, sorry I mean Q2".
_CORRECTION = re.compile(
    r"(?:\.\.\.|[,;:–—-])?\s*\b(?:actually(?:,?\s*no)?|no,?\s*wait|wait,?\s*no|sorry,?\s*i mean|i mean|"
    r"correction|scratch that|make that|or rather)\b[,:.]?\s+",
    re.I,
)


def _last_correction(text: str) -> int | None:
    """Where the corrected answer starts, when something came before the correction."""
    last = None
    for match in _CORRECTION.finditer(text):
        if text[: match.start()].strip():
            last = match.end()
    return last if last is not None and text[last:].strip() else None


#: The visitor says they themselves are only looking ("just browsing", "I'm researching options").
_SELF_RESEARCHING = re.compile(
    r"^\W*(?:just|only|simply)\b|\b(?:i'?m|i am|we'?re|we are|im)\s+(?:just |only |simply )?"
    r"(?:researching|browsing|looking|exploring|curious|having a|poking|comparing|gathering|window)",
    re.I,
)

#: A year named right after "for"/"in"/"per" in a budget sentence is the budget's year, not a go-live date.
_BUDGET_PERIOD = re.compile(
    r"\b(?:for|in|per|over)\s+(?:the\s+)?(?:this|next|the)\s+(?:fiscal\s+|financial\s+)?year\s*$", re.I
)

#: A time said about something other than buying ("we're hiring fast this year", "we raised in
#: March", "founded in 2019"), unless the same clause also speaks of going live or buying.
_BUYING = (
    r"\b(?:live|launch(?:ing)? (?:it|this|the tool)|roll(?:ing)? (?:it |this )?out|up and running|in place|"
    r"implement|start using|switch|buy|purchas|sign|decid|need (?:it|this|something)|deploy)"
)
_OTHER_EVENT = re.compile(
    rf"^(?!.*{_BUYING}).*"
    r"\b(?:hiring|recruiting|hired|grew|growing|expanding|expanded|raised|raising|founded|launched|started the company|"
    r"opened|moved|relocat|fundrais)",
    re.I,
)
_CLAUSE_END = re.compile(r"[.;!?\n]|,\s+|\s+(?:and|but|so|while|whereas)\s+", re.I)


def speaks_of_buying(text: str) -> bool:
    """True when the message says when they want to go live or buy ("live by March", "in place by Q1")."""
    return bool(re.search(_BUYING, text, re.I))


def _clause_span(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """The clause of `text` around `span` (between punctuation or joining words)."""
    starts = [m.end() for m in _CLAUSE_END.finditer(text[: span[0]])]
    end = _CLAUSE_END.search(text, span[1])
    return starts[-1] if starts else 0, end.start() if end else len(text)


def _buying_time(
    text: str, found: tuple[dict[str, Any], tuple[int, int]], today: date
) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """The timeline, skipping times said about something else ("hiring fast this year")."""
    for _ in range(3):
        start, end = _clause_span(text, found[1])
        if not _OTHER_EVENT.search(text[start:end]):
            return found
        text = text[:start] + " " * (end - start) + text[end:]  # look past that clause once more
        again = find_timeline_safe(text, today, False)
        if again is None:
            return None
        found = again
    return None


#: A greeting or thanks and nothing else: never a need said out of turn.
_PLEASANTRY = re.compile(
    r"^\W*(?:(?:good|gd)\s*(?:morning|afternoon|evening|day)|morning|afternoon|evening|hi+|hello+|hey+|hiya|howdy|"
    r"greetings|g'?day|thanks?(?: you)?(?: so much| a lot)?|cheers|ta|bye|goodbye)"
    r"(?:[\s,!.]+(?:all|there|team|folks|everyone|to you|mate|guys))?[\s!.,:)]*$",
    re.I,
)

#: Words that say a need is being stated, not just facts about the company.
_NEED_VERB = re.compile(
    r"\b(?:need|want|looking for|help with|after|sort out|struggl\w*|problem|issue)\b", re.I
)


@dataclass(frozen=True)
class Extracted:
    """One field found in a message: the span it came from and its normalised value."""

    field: str
    raw: str
    value: dict[str, Any] | None
    declined: bool = False
    error: str | None = None


def _need(
    text: str,
    doc: Any,
    use_cases: Mapping[str, Sequence[str]],
    requested: bool,
    needs: NeedClassifier | None,
) -> Extracted | None:
    found = find_use_case(doc, use_cases)
    if found:
        value = {"use_case": found[0], "status": "matched", "confidence": 1.0}
        return Extracted("need", clean_free_text(text, MAX_CHARS), value)
    lowered = text.lower()
    if any(phrase in lowered for phrase in _RESEARCHING) and (requested or "just" in lowered):
        # "we want to talk to people while they're browsing" is a need about others who browse;
        # "just browsing" about the visitor: a clear use case wins over the researching words.
        verdict = needs.classify_message(text, requested=requested) if needs is not None else None
        if verdict is not None and verdict.status == "matched" and not _SELF_RESEARCHING.search(text):
            return Extracted("need", clean_free_text(text, MAX_CHARS), verdict.value())
        return Extracted("need", clean_free_text(text), {"use_case": None, "status": "researching"})
    if not has_words(text):
        return None
    if not requested and _PLEASANTRY.match(text):
        return None  # "good morning" is a greeting, however close to "our reps spend their mornings..."
    if is_question(text):
        # "our SDRs lose hours on sign-ups that go nowhere. is that something you do?": the
        # statement before the question may still state the need.
        statements = [
            part for part in re.split(r"(?<=[.!])\s+|\?", text) if part.strip() and not is_question(part)
        ]
        if needs is None or not statements or len(statements) == 1 and statements[0].strip() == text.strip():
            return None
        verdict = needs.classify_message(" ".join(statements), requested=False)
        said = clean_free_text(text, MAX_CHARS)
        return Extracted("need", said, verdict.value()) if verdict.status == "matched" else None
    if needs is not None:
        verdict = needs.classify_message(text, requested=requested)
        if verdict.status == "matched" or requested:
            return Extracted("need", clean_free_text(text, MAX_CHARS), verdict.value())
        return None
    if requested:
        return Extracted("need", clean_free_text(text), {"use_case": None, "status": "unmatched"})
    return None


def extract_fields(
    text: str,
    *,
    today: date,
    use_cases: Mapping[str, Sequence[str]] | None = None,
    requested: str | None = None,
    free_text: bool = True,
    needs: NeedClassifier | None = None,
    current_size: int | None = None,
) -> dict[str, Extracted]:
    """Every field found in `text`; `requested` is the open question (if any).

    `needs` maps a need in the visitor's words to a use case (bot.needs); without it only
    the playbook's exact keyword phrases are recognised. `current_size` is the head count
    already known, so "we'll double" or "hiring ten more" says how many they will be.
    """
    text = normalise_text(text, MAX_CHARS)
    if not text.strip():
        return {}
    correction = _last_correction(text) if requested else None
    if correction is not None:
        # "about 60... actually no, closer to 600": the answer is what follows the correction.
        def part(piece: str) -> dict[str, Extracted]:
            return extract_fields(
                piece,
                today=today,
                use_cases=use_cases,
                requested=requested,
                free_text=free_text,
                needs=needs,
                current_size=current_size,
            )

        after = part(text[correction:])
        if after.get(str(requested)) is not None and after[str(requested)].value is not None:
            before = part(text[:correction])
            said = clean_free_text(text, MAX_CHARS)
            merged = {**{k: v for k, v in before.items() if k != requested}, **after}
            return {k: replace(v, raw=said) for k, v in merged.items()}
    use_cases = use_cases or {}
    if requested and is_decline(text):
        return {requested: Extracted(requested, clean_free_text(text), None, declined=True)}
    said = clean_free_text(text, MAX_CHARS)  # every field keeps the message as the visitor said it
    found: dict[str, Extracted] = {}
    taken: list[tuple[int, int]] = []
    doc = nlp().make_doc(text)

    email = find_email(text)
    if email:
        found["email"] = Extracted("email", said, email[0])
        taken.append(email[1])
    # "4 of us today and plan to be 12 in two years": the future clause is a growth plan; the
    # size, timeline and budget parsers leave it out (a growth horizon is never a timeline).
    growth = find_growth_plan(text, today, current_size=current_size)
    if growth:
        found["growth_plan"] = Extracted("growth_plan", said, growth[0])
    size = find_company_size(text, requested=requested == "company_size")
    if size and (requested != "growth_plan" or growth):
        _put(found, "company_size", said, size[0], requested)
        taken.append(size[1])
    timeline = (
        None if requested == "growth_plan" else find_timeline_safe(text, today, requested == "timeline")
    )
    if timeline and requested != "timeline":
        timeline = _buying_time(text, timeline, today)
    if timeline:
        _put(found, "timeline", said, timeline[0], requested)
        taken.append(timeline[1])
    budget = find_budget(text, requested=requested == "budget", exclude=taken)
    if budget:
        _put(found, "budget", said, budget[0], requested)
        if timeline and requested != "timeline" and _BUDGET_PERIOD.search(text[: timeline[1][1]]):
            # "70k for this year": the year the money is for, not when they want to be live.
            found.pop("timeline", None)
    # A company or person name is answered in its own words: "Acme Robotics" names a company,
    # it does not say the industry; "Berlin Bakery" does not say the country.
    naming = requested in ("company_name", "name") and free_text
    role = find_role(text, requested=requested == "role")
    if naming and role and not is_title_only(text):
        role = None  # only a bare title ("Head of Operations") given as a name is read as the role
    if requested == "other_deciders":
        role = None  # "my boss, the VP of Sales": titles in this answer are other people's
    if role:
        found["role"] = Extracted("role", said, role[0])
    # "Quill Freight, we do logistics across Europe": the description after the name still says things
    described = nlp().make_doc(company_description(text)) if naming else doc
    place = find_country(described, requested=requested == "country") if len(described) else None
    if place and role and role[1][0] <= place[1][0] and place[1][1] <= role[1][1]:
        place = None  # "Head of EMEA Partnerships" is a title, not where the company is
    if place:
        found["country"] = Extracted("country", said, place[0])
    industry = find_industry(described, requested=requested == "industry") if len(described) else None
    if industry:
        found["industry"] = Extracted("industry", said, industry[0])
    need = None if naming else _need(text, doc, use_cases, requested == "need" and free_text, needs)
    status = (need.value or {}).get("status") if need else None
    # "we need to sort out payroll for 40 staff"; "payroll for our 400 employees" when the need was asked
    stated = status == "not_served" and (
        _NEED_VERB.search(text) or (requested == "need" and not set(found) - {"company_size", "industry"})
    )
    if need and status not in ("matched", "researching") and not stated and set(found) - {"industry"}:
        need = None  # the message answered other questions; it is not a description of the need
    if need:
        found["need"] = need
    name = find_explicit_name(text)
    if name:
        found["name"] = Extracted("name", said, name[0])
    company = find_explicit_company(text)
    if company:
        found["company_name"] = Extracted("company_name", said, company[0])
    knockout = detect_knockout(text)
    if knockout and (knockout["kind"] != "spam" or not found or SURE_SPAM.search(text)):
        found["knockout"] = Extracted("knockout", clean_free_text(text), knockout)

    if requested and requested not in found:
        answer = _answer_in_context(text, requested, today, free_text, current_size)
        # A message that volunteered or corrected something else is not a bad answer to this question.
        if answer is not None and not (
            found and (answer.error or (answer.value or {}).get("kind") == "invalid")
        ):
            found[requested] = answer
    return found


def _put(
    found: dict[str, Extracted], field: str, said: str, value: dict[str, Any], requested: str | None
) -> None:
    """Store a parsed value; an impossible one ("out_of_range") only re-prompts its own question."""
    if "error" in value:
        if requested == field:
            found[field] = Extracted(field, said, None, error=str(value["error"]))
        return
    found[field] = Extracted(field, said, value)


def find_timeline_safe(
    text: str, today: date, requested: bool
) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """find_timeline, imported lazily so dateparser loads once and never breaks extraction."""
    from bot.parsing.timeline import find_timeline

    return find_timeline(text, today, requested=requested)


def _answer_in_context(
    text: str, requested: str, today: date, free_text: bool, current_size: int | None = None
) -> Extracted | None:
    """The whole message read as the answer to the open question."""
    raw = clean_free_text(text)
    if requested == "email":
        if is_question(text):
            return None  # "what do you need my email for?" is a question, not a broken address
        return Extracted(
            "email", raw, {"email": None, "domain": None, "kind": "invalid", "error": "no_email"}
        )
    if requested in PARSED:
        if not has_words(text) and not any(ch.isdigit() for ch in text):
            return Extracted(requested, raw, None, error="not_understood")
        if is_question(text) or not free_text:
            return None
        return Extracted(requested, raw, None, error="not_understood")
    if not free_text:
        return None
    parsers = {
        "company_name": parse_company_name,
        "name": parse_name,
        "other_deciders": parse_other_deciders,
    }
    if requested in parsers:
        value = parsers[requested](text)
        return Extracted(requested, raw, value) if value else None
    if requested == "growth_plan":
        value = parse_growth_plan(text, today, current_size=current_size)
        return Extracted("growth_plan", raw, value) if value else None
    return None
