"""The console's live preview: a draft playbook's conversation, replayed from the visitor's messages.

Marketing types (or clicks) answers in a chat pane beside the question editor; each time
the draft or the messages change, the whole conversation is replayed here against the
draft: the greeting, then each question the form would ask next (bot/flow.py
`open_questions`, the draft's order and conditions), in the draft's words and buttons
(bot/questions.py, the same registry the ask actions use), each answer read by the same
extraction the chat runs (bot/extract.py), the draft's re-prompt for an answer that cannot
be read (kept in the visitor's words the second time, as the chat does), the draft's "why
we ask" for a "why?", and at the end the score the draft gives (bot/scoring.py).

Nothing here talks to Rasa or writes anything: a preview never reaches a visitor, a lead,
a calendar or the figures. What it does not reproduce is the intent classifier (DIET):
small talk, FAQs, requests for a person and corrections of earlier answers are the trained
assistant's, unchanged by a wording edit; the pane says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from bot.extract import MAX_CHARS, extract_fields
from bot.flow import email_decision, head_count, is_answered, open_questions, unparsed_answer, yes_or_no
from bot.openers import GREETING_KEY
from bot.parsing.names import is_question
from bot.playbook import Playbook
from bot.profile import scoring_profile
from bot.questions import Asked, Button, consent_ask
from bot.readback import READBACK_CHANGE, READBACK_YES, readback_sentence
from bot.scoring import score_lead
from bot.text import normalise_text

#: Messages replayed at most (a preview is a few conversations' worth, not a load test).
MAX_MESSAGES = 60
#: "Why do you ask?", "why do you need that": the draft's reason for the open question.
_WHY = re.compile(r"\bwhy\b", re.I)
#: What the chat says when a free-text answer could not be used (the domain's utter_ask_rephrase).
REPHRASE = "Sorry, I didn't quite get that. Could you rephrase it?"
YES_NO = ("growth_plan",)


@dataclass(frozen=True)
class Turn:
    """One line of the preview: the assistant, the visitor, or a note for staff."""

    who: Literal["bot", "visitor", "note"]
    text: str
    buttons: tuple[Button, ...] = ()
    question: str | None = None  # the question this line asks
    variant: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON for the console's pane (rendered there as text, never as HTML)."""
        return {
            "who": self.who,
            "text": self.text,
            "buttons": [b.to_dict() for b in self.buttons],
            "question": self.question,
            "variant": self.variant,
        }


def _country(answers: Mapping[str, Mapping[str, Any] | None]) -> str | None:
    value = (answers.get("country") or {}).get("value")
    return str(value.get("country")) if isinstance(value, Mapping) and value.get("country") else None


class _Replay:
    """One replay of the messages against the draft."""

    def __init__(self, playbook: Playbook, today: date, variant: str | None, visitor: str) -> None:
        self.playbook, self.today, self.variant, self.visitor = playbook, today, variant, visitor
        self.registry = playbook.question_registry()
        self.answers: dict[str, dict[str, Any]] = {}
        self.misses: dict[str, int] = {}
        self.turns: list[Turn] = []
        self.asked: set[str] = set()

    def next_question(self) -> str | None:
        wanted = open_questions(
            self.answers,
            authority_map=self.playbook.authority_map(),
            min_company_size=self.playbook.icp.company_size.min,
            questions=[(key, self.registry.when(key)) for key in self.registry.order()],
        )
        return wanted[0] if wanted else None

    def greet(self) -> None:
        values = {"company": self.playbook.company.name, "privacy_url": self.playbook.links.privacy_url}
        greeting = self.playbook.greeting
        forced = self.variant if self.variant in {v.id for v in greeting.variants} else None
        said = greeting.say(GREETING_KEY, self.visitor, values)
        if forced is not None:
            said = type(said)(
                next(v.text for v in greeting.variants if v.id == forced).format(**values), forced
            )
        self.turns.append(Turn("bot", said.text, question=GREETING_KEY, variant=said.variant))

    def ask(self, key: str) -> None:
        if key == "consent":
            asked = consent_ask(self.playbook)
        elif key == "readback":
            labels = {k: case.label for k, case in self.playbook.use_cases.items()}
            text = readback_sentence(self.answers, labels)
            asked = Asked(
                "readback",
                text,
                (Button(READBACK_YES, READBACK_YES), Button(READBACK_CHANGE, READBACK_CHANGE)),
            )
        else:
            again = key == "need" and key in self.asked
            asked = self.registry.ask(
                key, visitor=self.visitor, again=again, country=_country(self.answers), variant=self.variant
            )
        self.asked.add(key)
        self.turns.append(Turn("bot", asked.text, asked.buttons, key, asked.variant))

    def why(self, key: str) -> None:
        reason = self.registry.why(key) if key in self.registry else None
        if reason is None:
            self.turns.append(
                Turn(
                    "note", f"(the assistant's own reason for the {key} question: not part of the questions)"
                )
            )
        else:
            self.turns.append(Turn("bot", reason, question=key))

    def take(self, key: str, text: str) -> None:
        """Read `text` as the answer to `key` (and whatever else it says), as the chat does."""
        if key == "consent" or key in YES_NO:
            said = yes_or_no(text)
            if said is None and self.misses.get(key, 0) < 1:
                self.misses[key] = 1
                return
            if key == "consent":
                granted = bool(said)
                value = {"granted": granted, "text_version": self.playbook.consent.text_version}
            else:
                months = self.playbook.gray_area.growth_horizon_months
                value = {"growing": bool(said), "expected_employees": self.playbook.icp.company_size.min if said else None,
                         "within_months": months if said else None}  # fmt: skip
            self.answers[key] = {"value": value, "declined": False, "raw": text}
            return
        if key == "readback":
            self.answers[key] = {"value": {"confirmed": True}, "declined": False, "raw": text}
            return
        found = extract_fields(
            text,
            today=self.today,
            use_cases=self.playbook.use_case_keywords(),
            requested=key,
            free_text=True,
            needs=self.playbook.need_classifier(),
            current_size=head_count(self.answers),
        )
        for field, extracted in found.items():
            if extracted.value is None and not extracted.declined and field != key:
                continue
            slot = {"value": extracted.value, "declined": extracted.declined, "error": extracted.error}
            if (
                isinstance(extracted.value, dict)
                and field == "need"
                and extracted.value.get("status") == "unsure"
            ):
                slot["value"] = {
                    **extracted.value,
                    "chosen": True,
                }  # the chat would offer the closest use cases
            self.answers[field] = {**slot, "raw": extracted.raw}
        answer = self.answers.get(key)
        usable = is_answered(answer)
        if usable and key == "email" and answer and not answer.get("declined"):
            usable = email_decision(answer.get("value"), freemail_warned=True) == "accept"
        if usable:
            return
        self.misses[key] = self.misses.get(key, 0) + 1
        if self.misses[key] >= 2:  # never the same question a third time: kept in the visitor's words
            self.answers[key] = {"value": unparsed_answer(key), "declined": False, "raw": text}
            self.turns.append(Turn("note", "(asked twice: the answer is kept in the visitor's words)"))
            return
        self.answers.pop(key, None)
        self.turns.append(Turn("bot", self.registry.reprompt(key) or REPHRASE, question=key))

    def outcome(self) -> None:
        triples = [
            (f, a.get("value"), bool(a.get("declined")))
            for f, a in self.answers.items()
            if not a.get("error")
        ]
        result = score_lead(scoring_profile(triples), self.playbook, today=self.today)
        reasons = f", reasons: {', '.join(result.reasons)}" if result.reasons else ""
        self.turns.append(
            Turn(
                "note",
                f"(end of the questions: with this draft the score is {result.score}, {result.grade}{reasons}; "
                f"next step {result.next_step.replace('_', ' ')}. The assistant would now say so; nothing is stored.)",
            )
        )


def replay(
    playbook: Playbook,
    messages: Sequence[str],
    *,
    today: date,
    variant: str | None = None,
    visitor: str = "preview",
) -> list[Turn]:
    """The conversation `messages` would have with `playbook` (a draft), turn by turn.

    `variant` shows that A/B variant wherever a wording has it (else the preview visitor's own).
    """
    run = _Replay(playbook, today, variant, visitor)
    run.greet()
    current = run.next_question()
    if current is None:
        run.outcome()
    else:
        run.ask(current)
    for message in messages[:MAX_MESSAGES]:
        text = normalise_text(str(message), MAX_CHARS).strip()
        if not text:
            continue
        run.turns.append(Turn("visitor", text))
        if current is None:
            run.turns.append(Turn("note", "(the questions are over: press Start over to try again)"))
            continue
        if _WHY.search(text) and is_question(text):
            run.why(current)
            run.ask(current)
            continue
        asked_before = len(run.turns)
        run.take(current, text)
        following = run.next_question()
        if following is None:
            current = None
            run.outcome()
        elif following != current or len(run.turns) == asked_before:
            current = following
            run.ask(current)
        # else: the re-prompt was said; the same question stays open
    return run.turns


__all__ = ["MAX_MESSAGES", "Turn", "replay"]
