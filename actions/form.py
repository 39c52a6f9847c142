"""validate_bant_form: which questions to ask, and specific re-prompts for bad values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import deps
from actions.answers import answers_from_tracker, times_asked
from actions.asking import say_reprompt
from bot.describe import describe
from bot.flow import consent_granted, email_decision, open_questions, unparsed_answer
from bot.playbook import Playbook


class ValidateBantForm(FormValidationAction):
    """Decide the open questions and check each answer the extractor filled."""

    def __init__(self, playbook: Callable[[], Playbook] = deps.playbook) -> None:
        self._playbook = playbook

    def name(self) -> str:
        """Action name in the domain."""
        return "validate_bant_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Only what is still unknown and relevant for this visitor, in asking order."""
        playbook = self._playbook()
        answers = answers_from_tracker(tracker)
        registry = playbook.question_registry()
        return open_questions(
            answers,
            authority_map=playbook.authority_map(),
            min_company_size=playbook.icp.company_size.min,
            questions=[(key, registry.when(key)) for key in registry.order()],
        )

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Confirm corrections of earlier answers, ask once for a work email, then validate as usual."""
        for field, value in tracker.slots_to_validate().items():
            if isinstance(value, dict) and value.get("corrected_from") is not None and value.get("value"):
                dispatcher.utter_message(
                    response="utter_updated_value",
                    field_label=self._playbook().question_registry().label(field),
                    value_label=describe(field, value["value"]),
                )
        events = await super().run(dispatcher, tracker, domain)
        # Rasa only runs validate_email while email is a required (still open) slot, and an
        # address in the message that answers it, or volunteered earlier, is already filled by
        # then: a free-mail address still gets its one request for a work email.
        already = any(isinstance(e, dict) and e.get("name") in ("email", "freemail_warned") for e in events)
        email = tracker.get_slot("email")
        if (
            not already
            and isinstance(email, dict)
            and not tracker.get_slot("freemail_warned")
            and consent_granted(answers_from_tracker(tracker))
            and email_decision(email.get("value"), freemail_warned=False) == "ask_work_email"
        ):
            dispatcher.utter_message(response="utter_freemail_email")
            events += [SlotSet("email", None), SlotSet("freemail_warned", True)]
        return events

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Validate every answer set in this turn, not only the questions still open.

        rasa-sdk validates only slots in `required_slots`, and ours lists what is still
        unknown: an email that answered its question ("jane@gmail.com") is filled by then,
        so its free-mail check and a malformed address's re-prompt would never run.
        """
        slots = dict(tracker.slots_to_validate())
        for name, value in list(slots.items()):
            method = getattr(self, f"validate_{name}", None)
            if method is None:
                continue
            output = await method(value, dispatcher, tracker, domain)
            slots.update(output)
            tracker.slots.update(output)
        return [SlotSet(name, value) for name, value in slots.items()]

    def _check_parsed(
        self, field: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """One specific re-prompt for an unreadable answer; the second time, keep the visitor's words."""
        if not (isinstance(value, dict) and value.get("error") and not value.get("declined")):
            return {field: value}
        misses = dict(tracker.get_slot("misses") or {})
        if misses.get(field) or times_asked(tracker, field) >= 2:
            dispatcher.utter_message(response="utter_noted_as_said")
            misses.pop(field, None)
            return {field: {**value, "value": unparsed_answer(field), "error": None}, "misses": misses}
        misses[field] = 1
        say_reprompt(dispatcher, self._playbook(), field)
        return {field: None, "misses": misses}

    async def validate_need(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A need we are not sure about: ask the visitor to pick the closest use case (once)."""
        need = value.get("value") if isinstance(value, dict) else None
        if (
            isinstance(need, dict)
            and need.get("status") in ("unsure", "unmatched")
            and not need.get("chosen")
            and need.get("candidates")
        ):
            pending = {"raw": value.get("raw"), "candidates": need["candidates"], "at": value.get("at")}
            return {"need": None, "need_pending": pending}
        return {"need": value}

    async def validate_readback(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """After "Change something", ask what (action_ask_readback), then take the change as said."""
        confirmed = value.get("value") if isinstance(value, dict) else None
        if isinstance(confirmed, dict) and confirmed.get("stage") == "changing":
            misses = dict(tracker.get_slot("misses") or {})
            if not misses.get("readback"):
                misses["readback"] = 1
                return {"readback": None, "misses": misses}
            return {"readback": {**value, "value": {"confirmed": "changed"}}}
        return {"readback": value}

    async def validate_budget(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Re-prompt when no amount could be read."""
        return self._check_parsed("budget", value, dispatcher, tracker)

    async def validate_company_size(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Re-prompt when no head count could be read."""
        return self._check_parsed("company_size", value, dispatcher, tracker)

    async def validate_timeline(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Re-prompt when no time could be read."""
        return self._check_parsed("timeline", value, dispatcher, tracker)

    async def validate_country(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Re-prompt when no place could be read."""
        return self._check_parsed("country", value, dispatcher, tracker)

    async def validate_industry(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Re-prompt when no industry could be recognised."""
        return self._check_parsed("industry", value, dispatcher, tracker)

    async def validate_role(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Re-prompt when no role could be read."""
        return self._check_parsed("role", value, dispatcher, tracker)

    async def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Malformed: re-prompt; free-mail: ask once for a work email; disposable: refuse."""
        if not isinstance(value, dict) or value.get("declined"):
            return {"email": value}
        decision = email_decision(
            value.get("value"), freemail_warned=bool(tracker.get_slot("freemail_warned"))
        )
        if decision == "accept" or times_asked(tracker, "email") >= 2:
            return {"email": value}  # never a third ask: an unusable address grades as invalid contact
        if decision == "ask_work_email":
            dispatcher.utter_message(response="utter_freemail_email")
            return {"email": None, "freemail_warned": True}
        if decision == "refuse_disposable":
            dispatcher.utter_message(response="utter_disposable_email")
            return {"email": None}
        say_reprompt(dispatcher, self._playbook(), "email")
        return {"email": None}
