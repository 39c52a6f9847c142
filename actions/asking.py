"""Questions whose wording depends on the conversation: the need (or its clarification) and the read-back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import deps
from actions.answers import answers_from_tracker, previous_reply
from bot.needs import SOMETHING_ELSE
from bot.playbook import Playbook
from bot.readback import READBACK_CHANGE, READBACK_YES, readback_sentence


class ActionAskNeed(Action):
    """The need question; after an unsure answer, "is it closest to one of these?" with buttons."""

    def __init__(self, playbook: Callable[[], Playbook] = deps.playbook) -> None:
        self._playbook = playbook

    def name(self) -> str:
        """Action name in the domain."""
        return "action_ask_need"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Ask for the need, or for the closest use case to what the visitor said."""
        pending = tracker.get_slot("need_pending")
        use_cases = self._playbook().use_cases
        candidates = [key for key in (pending or {}).get("candidates") or [] if key in use_cases]
        if not candidates:
            # Asked again right after the visitor told us something else: acknowledge, don't parrot.
            again = "utter_ask_need" in previous_reply(tracker)
            dispatcher.utter_message(response="utter_ask_need_again" if again else "utter_ask_need")
            return []
        buttons = [{"title": use_cases[key].label, "payload": use_cases[key].label} for key in candidates]
        buttons.append({"title": SOMETHING_ELSE, "payload": SOMETHING_ELSE})
        dispatcher.utter_message(response="utter_need_clarify", buttons=buttons)
        return []


class ActionAskReadback(Action):
    """Read back what was understood from a long or unsure answer; or ask what to change."""

    def __init__(self, playbook: Callable[[], Playbook] = deps.playbook) -> None:
        self._playbook = playbook

    def name(self) -> str:
        """Action name in the domain."""
        return "action_ask_readback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """'So: VP of Sales, 800 people, … Did I get that right?' with Looks right / Change something."""
        if (tracker.get_slot("misses") or {}).get("readback"):
            dispatcher.utter_message(response="utter_readback_change")
            return []
        labels = {key: case.label for key, case in self._playbook().use_cases.items()}
        dispatcher.utter_message(
            text=readback_sentence(answers_from_tracker(tracker), labels),
            buttons=[
                {"title": READBACK_YES, "payload": READBACK_YES},
                {"title": READBACK_CHANGE, "payload": READBACK_CHANGE},
            ],
        )
        return []
