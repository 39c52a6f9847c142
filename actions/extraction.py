"""action_extract_fields: read every field a visitor volunteers, from any message.

Runs after every user message (it is the custom mapping of all answer slots), so
"I'm the CFO of a 200-person fintech in Berlin" fills role, size, industry and
location at once, in or out of the form, and a later correction replaces the value.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import deps
from actions.answers import answer_slot, handoff_request, times_asked, yes_no_slot
from actions.asking import say_reprompt
from bot.booking.conversation import is_active
from bot.extract import MAX_CHARS, extract_fields, speaks_of_buying
from bot.flow import NAMED, SURE, free_text_allowed, head_count, unparsed_answer, yes_or_no
from bot.needs import resolve_need_choice
from bot.nurture.conversation import is_active as followup_active
from bot.parsing.handoff import asks_for_a_person
from bot.parsing.names import is_question
from bot.playbook import Playbook
from bot.questions import PARSED
from bot.readback import MULTI_FACT, READBACK_CHANGE, READBACK_YES
from bot.text import normalise_text
from bot.vocab import FIELDS

logger = logging.getLogger(__name__)

#: Closed yes/no questions answered through the affirm / deny intents.
YES_NO = ("consent", "growth_plan", "readback")

#: An answered field is only replaced from an answer to another question when the visitor says
#: it is a correction ("actually our budget is closer to 80k", "sorry, we're 300 not 30").
CORRECTION_CUE = re.compile(
    r"\b(?:actually|sorry|correction|i meant|meant to say|make that|typo|rather|update|changed|instead|oops|"
    r"my bad|scratch that|wait|not \S+ but|no longer|now)\b",
    re.I,
)
NEEDS_A_CUE = ("role", "company_size", "industry", "country", "budget", "timeline", "company_name", "need")

#: Messages that ask for something rather than answer: never kept as the answer to a question.
EXPLICIT_REQUESTS = ("ask_why", "human_handoff", "start_over", "bot_challenge", "request_callback")
#: Intents that ask for a person or a call (suggest_time is left out: "in December please" answers
#: the timeline question; a time to meet said in words is caught by asks_for_a_person).
HANDOFF_INTENTS = ("human_handoff", "request_callback")

#: Intents whose text still describes a need when the need question is open
#: ("we need payroll software" sounds out of scope, but it is the visitor's answer).
NEED_ANYWAY = ("out_of_scope", "chitchat", "nlu_fallback", "deny", "affirm")


class ActionExtractFields(Action):
    """Fill answer slots from the latest visitor message."""

    def __init__(
        self,
        playbook: Callable[[], Playbook] = deps.playbook,
        today: Callable[[], date] = deps.today,
    ) -> None:
        self._playbook = playbook
        self._today = today

    def name(self) -> str:
        """Action name in the domain."""
        return "action_extract_fields"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Extract fields from the latest message and set their slots."""
        message = tracker.latest_message or {}
        text = normalise_text(str(message.get("text") or ""), MAX_CHARS)
        intent = message.get("intent") or {}
        requested = tracker.get_slot("requested_slot") if tracker.active_loop_name == "bant_form" else None
        if text.startswith("/decline") and requested in FIELDS:
            # The "Skip this question" button: recorded as declined, the form moves on.
            return [SlotSet(str(requested), yes_no_slot(str(requested), "skipped", None, declined=True))]
        if not text.strip() or text.startswith("/"):
            return []
        if is_active(tracker.get_slot("booking")) or followup_active(tracker.get_slot("followup")):
            return []  # "next Tuesday" while picking a meeting time is not a new timeline
        playbook = self._playbook()
        # Rasa drops messages sent by a slot-mapping action: what this turn must say is held in
        # the `notices` slot and said by action_validate_slot_mappings (actions/notices.py).
        held = CollectingDispatcher()

        events: list[EventType] = []
        yes_no = None
        if requested in YES_NO:
            yes_no = self._yes_no(str(requested), str(intent.get("name")), text, playbook)
            if yes_no is not None:
                events.append(SlotSet(str(requested), yes_no))
            elif requested == "readback":
                # Anything but yes/no after a read-back is the change itself: parsed below as usual.
                events.append(SlotSet("readback", yes_no_slot("readback", text, {"confirmed": "changed"})))
            elif times_asked(tracker, str(requested)) >= 2 and not is_question(text):
                # Asked twice and still no yes or no: never a third time. No consent is the safe reading.
                unclear: dict[str, Any] | None = {
                    "granted": False,
                    "text_version": playbook.consent.text_version,
                }
                if requested == "growth_plan":
                    unclear = None
                events.append(
                    SlotSet(
                        str(requested), yes_no_slot(str(requested), text, unclear, declined=unclear is None)
                    )
                )

        pending = tracker.get_slot("need_pending") if requested == "need" else None
        if isinstance(pending, dict):
            chosen = resolve_need_choice(text, pending, playbook.need_classifier(), self._labels(playbook))
            events += [SlotSet("need", chosen), SlotSet("need_pending", None)]

        intent_name = str(intent.get("name"))
        allowed = free_text_allowed(
            intent_name, float(intent.get("confidence") or 0.0), text, requested=str(requested or "")
        )
        if requested == "need" and intent_name in NEED_ANYWAY:
            allowed = True
        found = extract_fields(
            text,
            today=self._today(),
            use_cases=playbook.use_case_keywords(),
            requested=requested if requested in FIELDS else None,
            free_text=allowed,
            needs=playbook.need_classifier(),
            current_size=head_count({"company_size": tracker.get_slot("company_size")}),
        )
        if isinstance(pending, dict):
            found.pop("need", None)
        previous_need = tracker.get_slot("need")
        if requested != "need" and isinstance(previous_need, dict) and previous_need.get("value"):
            found.pop("need", None)  # "we're mid-migration to a new CRM" is not a new need
        if (
            requested in FIELDS
            and requested not in found
            and not isinstance(pending, dict)
            and yes_no is None
        ):
            kept = self._unanswered(
                str(requested), text, intent_name, float(intent.get("confidence") or 0.0), tracker
            )
            if kept is not None:
                events.append(SlotSet(str(requested), kept))
            elif (
                requested in PARSED
                and allowed
                and not any(tracker.get_slot(field) for field in found)
                and not is_question(text)
                and text.strip()
            ):
                # Never the same question again without a word: say what we could not read
                # (a correction of an earlier answer is acknowledged as such instead).
                say_reprompt(held, playbook, str(requested))
        confident = float(intent.get("confidence") or 0.0) >= SURE
        asked_for_a_person = asks_for_a_person(text)
        kept_as_name = requested in NAMED and str(requested) in found and not asked_for_a_person
        if (
            not tracker.get_slot("handoff")
            and not kept_as_name
            and ((intent_name in HANDOFF_INTENTS and confident) or asked_for_a_person)
        ):
            # A request for a person, a callback or a meeting time is recorded here, whatever else the
            # message says: when it also answers a question the form takes the answer and the rules
            # for the intent never run ("can someone ring me tomorrow?" must not be lost).
            events.append(SlotSet("handoff", handoff_request(text)))
            held.utter_message(response="utter_human_handoff")
            if not speaks_of_buying(text):
                found.pop("timeline", None)  # "ring me tomorrow" is when to call, not when to buy
        # Several facts from one message are read back before the outcome (bot/readback.py).
        multi = len(set(found) - {"knockout", "email", "name"}) >= MULTI_FACT
        for field, extracted in found.items():
            if yes_no is not None and field == requested and extracted.value is None:
                continue  # "yes" / "no" already answered it; the parser found nothing better
            slot = answer_slot(extracted)
            if multi:
                slot["multi"] = True
            previous = tracker.get_slot(field)
            if (
                field != requested
                and isinstance(previous, dict)
                and previous.get("value")
                and extracted.value
                and previous.get("value") != extracted.value
            ):
                if field in NEEDS_A_CUE and not CORRECTION_CUE.search(text):
                    continue  # "…hotels ask for price lists" while describing the need is not a new industry
                # A correction. Rasa drops messages sent from slot-mapping actions, so the
                # form's validation action announces it (see actions/form.py).
                slot["corrected_from"] = previous.get("value")
            events.append(SlotSet(field, slot))
        if held.messages:
            events.append(SlotSet("notices", held.messages))
        return events

    @staticmethod
    def _unanswered(
        requested: str, text: str, intent: str, confidence: float, tracker: Tracker
    ) -> dict[str, Any] | None:
        """A message that did not answer the open question: a decline, or (asked twice) the visitor's words.

        "I'd rather not commit to that" read as `decline` is a decline even when no decline phrase
        matched; and no question is asked a third time: the second answer is kept as said.
        """
        if intent == "decline" and confidence >= SURE:
            return yes_no_slot(requested, text[:2000], None, declined=True)
        if times_asked(tracker, requested) < 2 or confidence >= SURE and intent in EXPLICIT_REQUESTS:
            return None
        if is_question(text) or not text.strip():
            return None
        return yes_no_slot(requested, text[:2000], unparsed_answer(requested))

    @staticmethod
    def _labels(playbook: Playbook) -> dict[str, str]:
        return {key: case.label for key, case in playbook.use_cases.items()}

    @staticmethod
    def _yes_no(requested: str, intent: str, text: str, playbook: Playbook) -> dict[str, Any] | None:
        """Answer to the consent or growth question from affirm / deny / decline."""
        if requested == "readback":
            said = text.strip().lower()
            said_yes = yes_or_no(text) if intent not in ("affirm", "deny", "decline") else None
            if intent == "affirm" or said == READBACK_YES.lower() or said_yes:
                return yes_no_slot("readback", text, {"confirmed": True})
            if intent in ("deny", "decline") or said == READBACK_CHANGE.lower() or said_yes is False:
                return yes_no_slot("readback", text, {"confirmed": False, "stage": "changing"})
            return None
        if intent not in ("affirm", "deny", "decline"):
            said_yes = yes_or_no(text)  # "ja", "passt, yes": the classifier may not know them
            if said_yes is None:
                return None
            intent = "affirm" if said_yes else "deny"
        yes = intent == "affirm"
        if requested == "consent":
            return yes_no_slot(
                "consent",
                text,
                {"granted": yes, "text_version": playbook.consent.text_version},
                declined=False,
            )
        if intent == "decline":
            return yes_no_slot("growth_plan", text, None, declined=True)
        return yes_no_slot(
            "growth_plan",
            text,
            {
                "growing": yes,
                "expected_employees": playbook.icp.company_size.min if yes else None,
                "within_months": playbook.gray_area.growth_horizon_months if yes else None,
            },
        )
