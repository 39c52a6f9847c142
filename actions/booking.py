"""action_booking_turn: offer times, confirm, book, or record a decline / callback.

A thin adapter: reads the tracker into a `Context`, lets `BookingTurn` decide, sends
its messages with their buttons and keeps the state in the `booking` slot.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import deps
from actions.answers import answers_from_tracker
from actions.outcome import scoring_profile
from bot.booking.conversation import BookingTurn, Context
from bot.booking.routing import LeadFacts
from bot.booking.service import BookingService
from bot.flow import consent_granted

logger = logging.getLogger(__name__)

#: Intents that speak to the booking step; anything else only brings the times back.
BOOKING_INTENTS = {
    "choose_slot", "confirm_slot", "other_times", "decline_meeting", "request_callback", "suggest_time",
    "set_timezone", "affirm", "deny", "inform", "nlu_fallback",
}  # fmt: skip


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def _browser_zone(tracker: Tracker) -> str | None:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata") or {}
            zone = metadata.get("timezone") or metadata.get("time_zone")
            if zone:
                return str(zone)
    return None


class ActionBookingTurn(Action):
    """The booking step of the conversation (see bot/booking/conversation.py)."""

    def __init__(self, booking: Callable[[], BookingService] = deps.booking) -> None:
        self._booking = booking

    def name(self) -> str:
        """Action name in the domain."""
        return "action_booking_turn"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Decide and say the next booking message."""
        outcome = tracker.get_slot("outcome") or {}
        state = tracker.get_slot("booking")
        after_outcome = tracker.latest_action_name == "action_decide_outcome"
        if not outcome.get("saved"):
            # Nothing stored yet: a message that sounded like booking came before the
            # qualification was done (or its save failed); carry on with the questions.
            return [] if after_outcome else [FollowupAction("bant_form")]
        answers = answers_from_tracker(tracker)
        consent = consent_granted(answers)
        email_value = (answers.get("email") or {}).get("value") or {}
        name_value = (answers.get("name") or {}).get("value") or {}
        context = Context(
            next_step=outcome.get("next_step"),
            lead_id=outcome.get("lead_id"),
            sender_id=tracker.sender_id,
            email=email_value.get("email") if consent and email_value.get("kind") != "disposable" else None,
            name=name_value.get("full") if consent else None,
            first_name=name_value.get("first") if consent else None,
            facts=LeadFacts.from_profile(scoring_profile(answers)),
            browser_zone=_browser_zone(tracker),
        )
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        try:
            reply = BookingTurn(self._booking()).handle(
                state,
                context,
                intent=intent if intent in BOOKING_INTENTS else None,
                text=str(message.get("text") or ""),
                slot_choice=_entity(tracker, "slot_choice"),
                zone_choice=_entity(tracker, "time_zone"),
            )
        except Exception:
            logger.exception("booking step failed in conversation %s", tracker.sender_id)
            dispatcher.utter_message(response="utter_booking_failed")
            return []
        for item in reply.messages:
            buttons = [{"title": title, "payload": payload} for title, payload in item.buttons]
            dispatcher.utter_message(text=item.text, buttons=buttons or None)
        if not reply.messages and not after_outcome:
            dispatcher.utter_message(
                response="utter_anything_else"
            )  # a visitor's message always gets an answer
        return [SlotSet("booking", reply.state)] if reply.state != state else []
