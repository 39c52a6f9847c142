"""The form's questions, worded by the playbook's registry at run time (bot/questions.py).

Rasa's form asks a slot through `action_ask_<slot>`: one action per question, each
sending the text and buttons the current playbook gives (a saved change reaches the next
question without retraining), in the visitor's A/B variant and currency. Each message
carries `utter_action: utter_ask_<key>` in its metadata, as a domain response would, so
the conversation rules and the console's per-question figures read it the same way.
Also here: the need's clarification ("closest to one of these?") and the read-back.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import deps
from actions.answers import answers_from_tracker, first_message_metadata, latest_metadata, previous_reply
from bot.needs import SOMETHING_ELSE
from bot.playbook import Playbook
from bot.questions import Asked, country_for_time_zone
from bot.readback import READBACK_CHANGE, READBACK_YES, readback_sentence
from bot.vocab import FIELDS


def visitor_key(tracker: Tracker) -> str:
    """Who sees a sticky A/B variant: the widget's visitor id, else this conversation."""
    return str(first_message_metadata(tracker).get("visitor_id") or tracker.sender_id)


def _country(tracker: Tracker) -> str | None:
    """The visitor's country for their currency: their answer, else where their browser's time zone is."""
    value = (tracker.get_slot("country") or {}).get("value")
    if isinstance(value, Mapping) and value.get("country"):
        return str(value["country"])
    metadata = latest_metadata(tracker)  # the widget sends the time zone with every message
    return country_for_time_zone(metadata.get("timezone") or metadata.get("time_zone"))


def remember_variants(tracker: Tracker, shown: Mapping[str, str | None]) -> list[EventType]:
    """Record the A/B variants just shown in `question_variants` (stored with the answers and the lead)."""
    seen = dict(tracker.get_slot("question_variants") or {})
    new = {key: variant for key, variant in shown.items() if variant is not None and seen.get(key) != variant}
    return [SlotSet("question_variants", {**seen, **new})] if new else []


def send_question(dispatcher: CollectingDispatcher, tracker: Tracker, asked: Asked) -> list[EventType]:
    """Send a question; remember the variant the visitor saw (stored with the answer and the lead)."""
    metadata: dict[str, Any] = {"utter_action": f"utter_ask_{asked.key}", "question": asked.key}
    if asked.variant is not None:
        metadata["variant"] = asked.variant
    dispatcher.utter_message(text=asked.text, buttons=[b.to_dict() for b in asked.buttons], **metadata)
    return remember_variants(tracker, {asked.key: asked.variant})


def say_reprompt(dispatcher: CollectingDispatcher, playbook: Playbook, key: str) -> None:
    """The question's own re-prompt for an answer that could not be read (the playbook's words)."""
    text = playbook.question_registry().reprompt(key)
    if text is None:
        dispatcher.utter_message(response="utter_ask_rephrase")
        return
    dispatcher.utter_message(text=text, utter_action=f"utter_invalid_{key}", question=key)


def say_why(dispatcher: CollectingDispatcher, playbook: Playbook, key: str | None) -> None:
    """Why the open question is asked (the playbook's words; consent's and a general one in the domain)."""
    registry = playbook.question_registry()
    if key is not None and key in registry:
        dispatcher.utter_message(text=registry.why(key), utter_action=f"utter_why_{key}", question=key)
    else:
        dispatcher.utter_message(response="utter_why_consent" if key == "consent" else "utter_why_generic")


class AskQuestion(Action, metaclass=ABCMeta):
    """Ask one question of the registry (subclassed once per question below)."""

    key: str = ""

    def __init__(self, playbook: Callable[[], Playbook] = deps.playbook) -> None:
        self._playbook = playbook

    @abstractmethod
    def name(self) -> str:
        """Action name in the domain: action_ask_<key>."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The question's current wording and buttons."""
        registry = self._playbook().question_registry()
        asked = registry.ask(self.key, visitor=visitor_key(tracker), country=_country(tracker))
        return send_question(dispatcher, tracker, asked)


def _ask_action(key: str) -> type[AskQuestion]:
    def name(self: AskQuestion) -> str:
        return f"action_ask_{key}"

    name.__doc__ = f"Action name in the domain: action_ask_{key}."
    title = "".join(part.title() for part in key.split("_"))
    return type(
        f"ActionAsk{title}",
        (AskQuestion,),
        {"key": key, "name": name, "__doc__": f"Ask the {key} question.", "__module__": __name__},
    )


#: One ask action per question (the need has its own, below: it can ask to pick a use case).
ASK_ACTIONS: dict[str, type[AskQuestion]] = {key: _ask_action(key) for key in FIELDS if key != "need"}


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
        playbook = self._playbook()
        use_cases = playbook.use_cases
        candidates = [key for key in (pending or {}).get("candidates") or [] if key in use_cases]
        if not candidates:
            # Asked again right after the visitor told us something else: acknowledge, don't parrot.
            again = "utter_ask_need" in previous_reply(tracker)
            asked = playbook.question_registry().ask("need", visitor=visitor_key(tracker), again=again)
            return send_question(dispatcher, tracker, asked)
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
