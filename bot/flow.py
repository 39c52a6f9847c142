"""Which questions are still open, and what to do with an offered email: pure rules.

The Rasa form asks whatever `open_questions` returns, in that order, so the
conversation only asks what is still unknown and what matters for this visitor.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.parsing.handoff import asks_for_a_person
from bot.questions import default_specs
from bot.readback import needs_readback

#: field -> slot value ({"value", "declined", "error", …}) or None.
Answers = Mapping[str, Mapping[str, Any] | None]

#: Intents that are clearly not an answer: their text is never taken as a free-text
#: answer (a company name, a need …) unless the classifier is unsure.
NOT_AN_ANSWER = frozenset(
    {
        "ask_why",
        "decline",
        "start_over",
        "human_handoff",
        "bot_challenge",
        "chitchat",
        "out_of_scope",
        "greet",
        "goodbye",
        "thanks",
        "affirm",
        "deny",
        "faq_pricing",
        "faq_integrations",
        "faq_security",
        "faq_product",
        "faq_trial",
    }
)
SURE = 0.6

#: Requests that are never an answer, however short (a person, why, start over).
EXPLICIT = frozenset({"ask_why", "human_handoff", "start_over", "decline"})


#: Words without which a message is not really a yes or a no ("Eva Novak" once read as deny).
YES_NO_WORDS = re.compile(
    r"\b(yes|yeah|yep|yup|sure|ok|okay|fine|go ahead|of course|absolutely|definitely|please|correct|right|"
    r"no|nope|nah|not|don'?t|never|rather not|no thanks)\b",
    re.I,
)


#: Questions that are answered with a name: a short reply is the name, whatever it sounds like.
NAMED = ("company_name", "name")
_QUESTION_START = re.compile(
    r"^\s*(who|what|why|when|where|how|which|do|does|did|can|could|is|are|will|would|should)\b", re.I
)


def looks_like_a_name(text: str) -> bool:
    """A short reply that is not a question ("Pennine Tax", "Hannah Price", "BEST LINKS")."""
    words = text.split()
    return 0 < len(words) <= 5 and "?" not in text and not _QUESTION_START.match(text)


_YES = re.compile(
    r"^\W*(yes|yeah|yea|yep|yup|ya|ja|jawohl|oui|si|sí|sure|ok|okay|k|kk|fine|passt|alright|"
    r"go ahead|of course|please do|absolutely|definitely|certainly|correct|right|that's right|d'accord|claro|"
    r"vale|genau|certo|sì|tak|👍)\b",
    re.I,
)
_NO = re.compile(
    r"^\W*(no|nope|nah|nein|non|not really|rather not|i'?d rather not|don'?t|no thanks|👎)\b", re.I
)


def yes_or_no(text: str) -> bool | None:
    """True / False for a reply that starts with a yes or a no in common forms ("ja", "passt, yes"), else None."""
    if _NO.match(text):
        return False
    if _YES.match(text) or re.search(r"\b(yes|yeah|yep)\b", text, re.I):
        return True
    return None


def free_text_allowed(
    intent: str | None, confidence: float, text: str | None = None, requested: str | None = None
) -> bool:
    """Whether the message may be read as a free-text answer to the open question.

    A confident affirm / deny only counts as "not an answer" when the text has a yes/no
    word in it; otherwise the classifier was fooled by a name or a company. A short reply
    to a name question is the name ("Hannah Price" is not a pricing question).
    """
    if intent in ("affirm", "deny") and text is not None and not YES_NO_WORDS.search(text):
        return True
    if requested in NAMED and text is not None and looks_like_a_name(text):
        if intent not in EXPLICIT or (intent == "human_handoff" and not asks_for_a_person(text)):
            return True  # "Savanna Connect" is a company, not "connect me with someone"
    return intent not in NOT_AN_ANSWER or confidence < SURE


def _value(answers: Answers, field: str) -> Mapping[str, Any] | None:
    answer = answers.get(field)
    if not answer or answer.get("declined"):
        return None
    value = answer.get("value")
    return value if isinstance(value, Mapping) else None


def head_count(answers: Answers) -> int | None:
    """The company's head count today when the visitor gave one (growth plans build on it)."""
    size = _value(answers, "company_size")
    employees = size.get("employees") if size else None
    return int(employees) if isinstance(employees, (int, float)) and employees > 0 else None


def is_answered(answer: Mapping[str, Any] | None) -> bool:
    """An answer counts when it has a usable value or was declined."""
    if not answer:
        return False
    value = answer.get("value")
    if isinstance(value, Mapping) and value.get("status") == "unsure" and not value.get("chosen"):
        return False  # a need we were not sure about: the visitor picks the closest use case first
    return bool(answer.get("declined")) or (value is not None and not answer.get("error"))


def authority_of(answers: Answers, authority_map: Mapping[str, str]) -> str | None:
    """decision_maker / influencer / none from the role answer, or None when unknown."""
    role = _value(answers, "role")
    if role is None:
        return None
    return authority_map.get(str(role.get("seniority")))


def is_knocked_out(answers: Answers) -> bool:
    """Student, job seeker, vendor pitch or spam: stop asking sales questions."""
    if _value(answers, "knockout") is not None:
        return True
    role = _value(answers, "role")
    return role is not None and role.get("seniority") == "student"


def open_questions(
    answers: Answers,
    *,
    authority_map: Mapping[str, str],
    min_company_size: int,
    questions: Sequence[tuple[str, str]] | None = None,
) -> list[str]:
    """The fields still to ask, in asking order.

    `answers` maps field (and "consent") to its slot value: {"value", "declined", "error", …}.
    `questions` is (key, condition) per enabled question in the playbook's order (the
    registry, bot/questions.py; the product's defaults when not given). Before the first
    contact question come the read-back (when needed) and the consent question.
    """
    if is_knocked_out(answers):
        return []
    if questions is None:
        questions = [(spec.key, spec.when) for spec in default_specs() if spec.enabled]
    authority = authority_of(answers, authority_map)
    size = _value(answers, "company_size")
    small = size is not None and int(size.get("employees") or 0) < min_company_size
    holds = {
        "always": True,
        "not_decision_maker": authority not in (None, "decision_maker"),
        "small_company_decision_maker": small and authority == "decision_maker",
        "consent_given": consent_granted(answers),
    }
    wanted: list[str] = []
    for field, condition in questions:
        if condition == "consent_given" and "consent" not in wanted:
            wanted += ["readback", "consent"] if needs_readback(answers) else ["consent"]
        if holds.get(condition, False):
            wanted.append(field)
    if "consent" not in wanted and needs_readback(answers):
        wanted.append("readback")  # no contact questions: still read back a long or unsure answer
    return [field for field in wanted if not is_answered(answers.get(field))]


def unparsed_answer(field: str) -> dict[str, Any]:
    """The value kept when an answer was not understood after one re-prompt.

    The visitor's words stay in the answer's `raw`; scoring treats the value as unknown,
    except industry, which becomes `other` (an industry we have no name for).
    """
    if field == "industry":
        return {"industry": "other", "status": "not_understood"}
    return {"status": "not_understood"}


def consent_granted(answers: Answers) -> bool:
    """True when the visitor agreed to be contacted."""
    value = _value(answers, "consent")
    return bool(value and value.get("granted"))


def email_decision(value: Mapping[str, Any] | None, *, freemail_warned: bool) -> str:
    """What to do with an offered email: accept, or which re-prompt to give.

    Returns one of: "accept", "invalid", "ask_work_email" (free-mail, first time),
    "refuse_disposable".
    """
    if not value or value.get("kind") in (None, "invalid"):
        return "invalid"
    if value["kind"] == "disposable":
        return "refuse_disposable"
    if value["kind"] == "free" and not freemail_warned:
        return "ask_work_email"
    return "accept"


__all__ = [
    "NOT_AN_ANSWER",
    "free_text_allowed",
    "authority_of",
    "consent_granted",
    "email_decision",
    "is_answered",
    "is_knocked_out",
    "open_questions",
    "unparsed_answer",
    "yes_or_no",
]
