"""action_next_step: what happens after the outcome is said.

Qualified and gray-area leads book a call (bot/booking/conversation.py); leads headed
for nurture, and qualified visitors who would rather get information, are asked for
consent to follow-up email and enrolled (bot/nurture/conversation.py). This action only
reads the tracker, lets those state machines decide, and sends their messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import deps
from actions.answers import answers_from_tracker
from actions.outcome import scoring_profile
from bot.booking.conversation import BookingTurn, Context, Message
from bot.booking.routing import LeadFacts
from bot.booking.service import BookingService
from bot.flow import consent_granted
from bot.nurture.conversation import FollowupContext, FollowupTurn
from bot.nurture.conversation import is_active as followup_active
from bot.nurture.service import NurtureService

logger = logging.getLogger(__name__)

#: Intents that speak to the next step; anything else only brings the open question back.
NEXT_STEP_INTENTS = {
    "choose_slot", "confirm_slot", "other_times", "decline_meeting", "request_callback", "suggest_time",
    "set_timezone", "affirm", "deny", "decline", "inform", "nlu_fallback",
}  # fmt: skip


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def _browser_zone(tracker: Tracker) -> str | None:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            zone = (event.get("metadata") or {}).get("timezone") or (event.get("metadata") or {}).get(
                "time_zone"
            )
            if zone:
                return str(zone)
    return None


def _answered_since_last_message(tracker: Tracker) -> bool:
    """True when the assistant already said something after the visitor's latest message."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return True
        if event.get("event") == "user":
            return False
    return False


class ActionNextStep(Action):
    """Booking, or consent-based follow-up, after the outcome."""

    def __init__(
        self,
        booking: Callable[[], BookingService] = deps.booking,
        nurture: Callable[[], NurtureService] = deps.nurture,
    ) -> None:
        self._booking = booking
        self._nurture = nurture

    def name(self) -> str:
        """Action name in the domain."""
        return "action_next_step"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Decide and say the next message of the booking or follow-up step."""
        outcome = tracker.get_slot("outcome") or {}
        after_outcome = tracker.latest_action_name == "action_decide_outcome"
        if not outcome.get("saved"):
            # Nothing stored yet: a message that sounded like booking came before the
            # qualification was done (or its save failed); carry on with the questions.
            return [] if after_outcome else [FollowupAction("bant_form")]
        booking_state = tracker.get_slot("booking")
        followup_state = tracker.get_slot("followup")
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        wants_person = bool(outcome.get("handoff")) and (after_outcome or intent == "human_handoff")
        intent = intent if intent in NEXT_STEP_INTENTS else None
        next_step = outcome.get("next_step")
        if wants_person:
            # A request for a person or a demo always wins over "not yet" (bot/booking/conversation.py).
            next_step, intent = self._booking().next_step_on_request(outcome.get("grade"), next_step), None
            if not isinstance(booking_state, dict) or booking_state.get("stage") in ("declined",):
                booking_state, followup_state = None, None
        text = str(message.get("text") or "")
        answers = answers_from_tracker(tracker)
        consent = consent_granted(answers)
        email_value = (answers.get("email") or {}).get("value") or {}
        email = email_value.get("email") if consent and email_value.get("kind") != "disposable" else None
        name_value = (answers.get("name") or {}).get("value") or {}
        events: list[EventType] = []
        messages: list[Message] = []
        try:
            if not followup_active(followup_state):
                booking = BookingTurn(self._booking()).handle(
                    booking_state,
                    Context(
                        next_step=next_step,
                        lead_id=outcome.get("lead_id"),
                        sender_id=tracker.sender_id,
                        email=email,
                        name=name_value.get("full") if consent else None,
                        first_name=name_value.get("first") if consent else None,
                        facts=LeadFacts.from_profile(scoring_profile(answers)),
                        browser_zone=_browser_zone(tracker),
                        asked_for_person=bool(outcome.get("handoff")),
                    ),
                    intent=intent,
                    text=text,
                    slot_choice=_entity(tracker, "slot_choice"),
                    zone_choice=_entity(tracker, "time_zone"),
                )
                messages += booking.messages
                if booking.state != booking_state:
                    events.append(SlotSet("booking", booking.state))
                booking_state = booking.state
            declined = isinstance(booking_state, dict) and booking_state.get("stage") == "declined"
            if followup_active(followup_state) or (
                followup_state is None and (booking_state is None or declined)
            ):
                followup = FollowupTurn(self._nurture()).handle(
                    followup_state,
                    self._followup_context(tracker, outcome, answers, email, declined, booking_state),
                    intent=intent,
                    text=text,
                )
                messages += followup.messages
                if followup.state != followup_state:
                    events.append(SlotSet("followup", followup.state))
        except Exception:
            logger.exception("next step failed in conversation %s", tracker.sender_id)
            dispatcher.utter_message(response="utter_booking_failed")
            return events
        for item in messages:
            buttons = [{"title": title, "payload": payload} for title, payload in item.buttons]
            dispatcher.utter_message(text=item.text, buttons=buttons or None)
        if not messages and not _answered_since_last_message(tracker):
            # a visitor's message always gets an answer
            dispatcher.utter_message(response="utter_anything_else")
        return events

    @staticmethod
    def _followup_context(
        tracker: Tracker,
        outcome: dict[str, Any],
        answers: dict[str, Any],
        email: str | None,
        declined: bool,
        booking_state: Any,
    ) -> FollowupContext:
        timeline = ((answers.get("timeline") or {}).get("value") or {}).get("date")
        zone = (booking_state or {}).get("zone") if isinstance(booking_state, dict) else None
        return FollowupContext(
            lead_id=outcome.get("lead_id"),
            grade=outcome.get("grade"),
            reasons=tuple(outcome.get("reasons") or ()),
            next_step="nurture" if declined else outcome.get("next_step"),
            email=email,
            time_zone=zone or _browser_zone(tracker),
            timeline_date=date.fromisoformat(timeline) if timeline else None,
            channel=tracker.get_latest_input_channel() or "unknown",
        )
