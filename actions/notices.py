"""action_validate_slot_mappings: say what action_extract_fields held back for this turn.

Rasa runs the slot-mapping action (action_extract_fields) after every message but keeps only
its SlotSet events: a message it sends is dropped. So the extractor keeps the messages this
turn must say (a specific re-prompt, the acknowledgement of a request for a person) in the
`notices` slot, and Rasa's slot-mapping validation hook, which runs right after it and whose
messages are sent, says them and clears the slot.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher


class ActionSayNotices(Action):
    """Say the extractor's held messages, once."""

    def name(self) -> str:
        """Rasa's slot-mapping validation hook."""
        return "action_validate_slot_mappings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Dispatch each held message and clear `notices`."""
        notices = tracker.get_slot("notices")
        if not isinstance(notices, list) or not notices:
            return []
        for message in notices[:5]:  # a turn holds one or two; never replay an unbounded list
            if isinstance(message, dict) and (message.get("text") or message.get("response")):
                dispatcher.messages.append(
                    {key: value for key, value in message.items() if value is not None}
                )
        return [SlotSet("notices", None)]
