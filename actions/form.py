"""validate_bant_form: which questions to ask, and specific re-prompts for bad values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import deps
from actions.answers import answers_from_tracker
from bot.describe import FIELD_LABELS, describe
from bot.flow import email_decision, open_questions
from bot.playbook import Playbook

#: Fields whose unreadable answers get a specific re-prompt (utter_invalid_<field>).
PARSED_FIELDS = ("budget", "company_size", "timeline", "country", "industry", "role")


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
        return open_questions(
            answers,
            authority_map=playbook.authority_map(),
            min_company_size=playbook.icp.company_size.min,
        )

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Confirm corrections of earlier answers, then validate as usual."""
        for field, value in tracker.slots_to_validate().items():
            if isinstance(value, dict) and value.get("corrected_from") is not None and value.get("value"):
                dispatcher.utter_message(
                    response="utter_updated_value",
                    field_label=FIELD_LABELS.get(field, field),
                    value_label=describe(field, value["value"]),
                )
        return await super().run(dispatcher, tracker, domain)

    def _check_parsed(self, field: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
        if isinstance(value, dict) and value.get("error") and not value.get("declined"):
            dispatcher.utter_message(response=f"utter_invalid_{field}")
            return {field: None}
        return {field: value}

    async def validate_budget(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Re-prompt when no amount could be read."""
        return self._check_parsed("budget", value, dispatcher)

    async def validate_company_size(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Re-prompt when no head count could be read."""
        return self._check_parsed("company_size", value, dispatcher)

    async def validate_timeline(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Re-prompt when no time could be read."""
        return self._check_parsed("timeline", value, dispatcher)

    async def validate_country(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Re-prompt when no place could be read."""
        return self._check_parsed("country", value, dispatcher)

    async def validate_industry(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Re-prompt when no industry could be recognised."""
        return self._check_parsed("industry", value, dispatcher)

    async def validate_role(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Re-prompt when no role could be read."""
        return self._check_parsed("role", value, dispatcher)

    async def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Malformed: re-prompt; free-mail: ask once for a work email; disposable: refuse."""
        if not isinstance(value, dict) or value.get("declined"):
            return {"email": value}
        decision = email_decision(
            value.get("value"), freemail_warned=bool(tracker.get_slot("freemail_warned"))
        )
        if decision == "accept":
            return {"email": value}
        if decision == "ask_work_email":
            dispatcher.utter_message(response="utter_freemail_email")
            return {"email": None, "freemail_warned": True}
        if decision == "refuse_disposable":
            dispatcher.utter_message(response="utter_disposable_email")
            return {"email": None}
        dispatcher.utter_message(response="utter_invalid_email")
        return {"email": None}
