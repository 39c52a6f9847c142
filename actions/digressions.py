"""Greeting, "why do you ask?", start over, rephrase, and the dynamic questions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions import deps
from actions.answers import handoff_request, latest_metadata, previous_reply, yes_no_slot
from actions.asking import remember_variants, say_why, visitor_key
from bot.booking.conversation import is_active
from bot.flow import NAMED, free_text_allowed, unparsed_answer
from bot.nurture.conversation import is_active as followup_active
from bot.openers import GREETING_KEY, Said, proactive_key
from bot.parsing.handoff import asks_for_a_person
from bot.playbook import Playbook
from bot.questions import consent_ask
from bot.returning import Returning, recognise
from bot.vocab import FIELDS

logger = logging.getLogger(__name__)


class _UsesPlaybook:
    """Mixin (not an Action, so the action server does not register it) giving actions the playbook."""

    def __init__(self, playbook: Callable[[], Playbook] = deps.playbook) -> None:
        self._playbook = playbook


def _say(dispatcher: CollectingDispatcher, said: Said, utter_action: str) -> None:
    """Send a playbook message; its metadata names it as a domain response would, and its variant."""
    extra = {"variant": said.variant} if said.variant is not None else {}
    dispatcher.utter_message(text=said.text, utter_action=utter_action, **extra)


class ActionGreet(Action):
    """Say what the assistant is for and that answers are stored; welcome returning visitors back.

    The greeting is the playbook's (`greeting`, in the visitor's A/B variant); when the widget
    opened by itself under a proactive rule with a message, that message comes first.
    """

    def __init__(
        self,
        playbook: Callable[[], Playbook] = deps.playbook,
        sessions: Callable[[], Callable[[], Session]] = deps.sessions,
    ) -> None:
        self._playbook = playbook
        self._sessions = sessions

    def name(self) -> str:
        """Action name in the domain."""
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Greet with the company's name and privacy notice; carry a returning visitor's answers over."""
        playbook = self._playbook()
        visitor = visitor_key(tracker)
        values = {"company": playbook.company.name, "privacy_url": playbook.links.privacy_url}
        shown: dict[str, str | None] = {}
        rule = playbook.proactive_rule(latest_metadata(tracker).get("proactive"))
        if rule is not None and rule.message is not None:
            key = proactive_key(rule.path)
            said = rule.message.say(key, visitor, values)
            _say(dispatcher, said, "utter_proactive")
            shown[key] = said.variant
        returning = self._recognise(tracker)
        if returning is None:
            said = playbook.greeting.say(GREETING_KEY, visitor, values)
            _say(dispatcher, said, "utter_greet")
            shown[GREETING_KEY] = said.variant
            return remember_variants(tracker, shown)
        dispatcher.utter_message(
            response="utter_welcome_back",
            first_name_suffix=f", {returning.first_name}" if returning.first_name else "",
            company=playbook.company.name,
            privacy_url=playbook.links.privacy_url,
        )
        events: list[EventType] = [
            SlotSet(field, value) for field, value in returning.answers.items() if not tracker.get_slot(field)
        ]
        return [
            *events,
            SlotSet("returning", {"lead_id": returning.lead_id, "grade": returning.grade}),
            *remember_variants(tracker, shown),
        ]

    def _recognise(self, tracker: Tracker) -> Returning | None:
        """The lead of this browser's visitor id (signed by the server, checked at the channel).

        An email typed in the chat never recognises anyone: whoever types an address is not
        yet known to own it (see bot/returning.py).
        """
        metadata: dict[str, Any] = {}
        for event in reversed(tracker.events):
            if event.get("event") == "user":
                metadata = event.get("metadata") or {}
                break
        visitor_id = metadata.get("visitor_id")
        if not visitor_id:
            return None
        try:
            with self._sessions()() as session:
                return recognise(
                    session,
                    visitor_id=str(visitor_id),
                    ask_again=self._playbook().question_registry().asked_again_on_return(),
                )
        except Exception:  # the greeting never fails because the lead store is down
            logger.exception("could not look up a returning visitor")
            return None


class ActionExplainWhy(_UsesPlaybook, Action):
    """A short, honest reason for the open question; the form asks it again after."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_explain_why"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Explain the requested slot."""
        requested = tracker.get_slot("requested_slot")
        say_why(dispatcher, self._playbook(), str(requested) if requested else None)
        return []


class ActionStartOver(Action):
    """Forget the answers of this conversation and begin again."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_start_over"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Reset every slot; the form starts from the first question."""
        dispatcher.utter_message(response="utter_start_over")
        return [AllSlotsReset()]


def _answered_by_latest_message(tracker: Tracker) -> bool:
    """True when the latest message filled the open question (so it was an answer, not a digression)."""
    return _set_since_latest_message(tracker, tracker.get_slot("requested_slot"), "need_pending")


def _set_since_latest_message(tracker: Tracker, *slots: Any) -> bool:
    """True when one of `slots` was set to a value after the visitor's latest message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") in slots and event.get("value"):
            return True
    return False


#: Replies to a message we could not use, and their way-out variants (skip / talk to a person).
_AGAIN = {
    "utter_ask_rephrase": "utter_ask_rephrase_again",
    "utter_out_of_scope": "utter_out_of_scope_again",
    "utter_chitchat": "utter_chitchat_again",
}
ESCALATING = frozenset([*_AGAIN, *_AGAIN.values()])


def _reply_to_miss(dispatcher: CollectingDispatcher, tracker: Tracker, response: str) -> list[EventType]:
    """First miss: `response`; second in a row: offer skip / a person; third: keep the words and move on.

    The same fallback text is never sent twice in a row.
    """
    previous = set(previous_reply(tracker)) & ESCALATING
    if not previous:
        dispatcher.utter_message(response=response)
        return []
    if not previous & set(_AGAIN.values()):
        dispatcher.utter_message(response=_AGAIN[response])
        return []
    requested = tracker.get_slot("requested_slot")
    if requested in FIELDS:
        text = str((tracker.latest_message or {}).get("text") or "")
        dispatcher.utter_message(response="utter_noted_as_said")
        slot = yes_no_slot(str(requested), text[:2000], unparsed_answer(str(requested)))
        return [SlotSet(str(requested), slot)]
    dispatcher.utter_message(response="utter_anything_else")
    return []


class ActionRephrase(Action):
    """Low-confidence understanding: ask to rephrase once; then offer to skip or talk to a person."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_rephrase"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Ask to rephrase (never with the same words twice); the form repeats its question afterwards.

        While the visitor is picking a meeting time, action_next_step answers instead; when the
        message was taken as the answer to the open question, the form speaks next.
        """
        if is_active(tracker.get_slot("booking")) or followup_active(tracker.get_slot("followup")):
            return []
        if _answered_by_latest_message(tracker):
            return []
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        confidence = float((message.get("intent") or {}).get("confidence") or 0.0)
        if intent in ("affirm", "deny") and free_text_allowed(
            intent, confidence, str(message.get("text") or "")
        ):
            return []  # not really a yes/no: it was read as the answer, the form moves on
        if intent == "decline" and tracker.get_slot("requested_slot"):
            return []  # "skip": recorded as declined by the extractor, the form moves on
        return _reply_to_miss(dispatcher, tracker, "utter_ask_rephrase")


#: What a digression gets while qualifying (questions, small talk): a response per intent.
DIGRESSIONS = {
    "bot_challenge": "utter_iamabot",
    "faq_integrations": "utter_faq_integrations",
    "faq_security": "utter_faq_security",
    "faq_product": "utter_faq_product",
    "faq_trial": "utter_faq_trial",
    "thanks": "utter_welcome",
    "goodbye": "utter_goodbye",
    "chitchat": "utter_chitchat",
    "out_of_scope": "utter_out_of_scope",
}


class ActionDefaultFallback(Action):
    """Rasa's fallback when no rule fits: never drops the message, never the same words twice.

    Rasa's own version reverts the visitor's message (it is lost for the conversation) and
    always says the same sentence. Here the message stays, the reply escalates (rephrase,
    then skip / talk to a person, then the words are kept as the answer), and an open
    question is asked again.
    """

    def name(self) -> str:
        """Overrides Rasa's default action of this name."""
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Reply to a message nothing else could handle, then carry on with the form."""
        if tracker.active_loop_name != "bant_form":
            if not (tracker.get_slot("outcome") or {}).get("saved"):
                # Not qualified yet (e.g. a first message in another language): start the questions.
                return [
                    *_reply_to_miss(dispatcher, tracker, "utter_ask_rephrase"),
                    FollowupAction("bant_form"),
                ]
            said_before = "utter_anything_else" in previous_reply(tracker)
            dispatcher.utter_message(response="utter_default" if said_before else "utter_anything_else")
            # Rasa's own fallback reverts the message to end the turn; here the message stays, so
            # the turn ends explicitly (otherwise the policy predicts the fallback again).
            return [FollowupAction("action_listen")]
        events = (
            []
            if _answered_by_latest_message(tracker)
            else _reply_to_miss(dispatcher, tracker, "utter_ask_rephrase")
        )
        return [*events, FollowupAction("bant_form")]


class ActionDigression(_UsesPlaybook, Action):
    """Questions and small talk: a short answer, unless the message was really the answer to the question.

    "Pennine Tax" (a company) may read as out of scope, "Hannah Price" as a pricing question:
    when the extractor took the message as the answer, nothing is said and the form moves on.
    Small talk and out-of-scope requests never get the same reply twice in a row.
    """

    def name(self) -> str:
        """Action name in the domain."""
        return "action_digression"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Answer the digression unless the message answered the open question."""
        if tracker.active_loop_name and _answered_by_latest_message(tracker):
            return []
        intent = str(((tracker.latest_message or {}).get("intent") or {}).get("name"))
        if intent == "faq_pricing":
            dispatcher.utter_message(text=self._playbook().pricing_answer())
            return []
        response = DIGRESSIONS.get(intent, "utter_out_of_scope")
        if response in _AGAIN:
            return _reply_to_miss(dispatcher, tracker, response)
        dispatcher.utter_message(response=response)
        return []


class ActionHandoff(Action):
    """A request for a person, sales or a demo: acknowledged now, always honoured at the outcome."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Record the request; the outcome offers times or a callback (actions/outcome.py, next_step.py)."""
        outcome = tracker.get_slot("outcome") or {}
        already = tracker.get_slot("handoff")
        text = str((tracker.latest_message or {}).get("text") or "")
        named = tracker.get_slot("requested_slot") in NAMED
        if named and _answered_by_latest_message(tracker) and not asks_for_a_person(text):
            return []  # "Savanna Connect" answered the company question: not a request for a person
        if _set_since_latest_message(tracker, "handoff"):
            return []  # action_extract_fields recorded and acknowledged this very request
        events: list[EventType] = [] if already else [SlotSet("handoff", handoff_request(text))]
        if outcome.get("saved"):
            return events  # the outcome is said again with the request, and the next step honours it
        dispatcher.utter_message(response="utter_handoff_noted" if already else "utter_human_handoff")
        return events


class ActionAskConsent(_UsesPlaybook, Action):
    """The consent question, worded by the playbook, with the privacy link."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_ask_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Ask for consent to store contact details."""
        asked = consent_ask(self._playbook())
        dispatcher.utter_message(text=asked.text, buttons=[b.to_dict() for b in asked.buttons])
        return []
