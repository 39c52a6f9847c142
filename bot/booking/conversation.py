"""The booking part of the conversation as a small state machine over plain data.

`BookingTurn.handle()` takes the booking state (a dict kept in a Rasa slot), what the
visitor just did (intent, text, a chosen slot or zone) and the lead's context, calls
the BookingService, and returns what to say plus the new state. No Rasa here: the
action is a thin adapter.

States: asking_zone -> offered <-> confirming -> booked; or declined / callback.
A lead who already has an upcoming meeting is offered to move it (state "moving": its
UID): the same states, and confirming moves that meeting instead of booking another.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.booking.display import button_label, when
from bot.booking.preferences import match_slots, parse_preference
from bot.booking.routing import LeadFacts
from bot.booking.service import (
    CALLBACK_STEP,
    AlreadyBooked,
    BookingError,
    BookingService,
    Offer,
    SlotTaken,
    slots_in,
)
from bot.booking.slots import Slot, spread
from bot.booking.zones import COMMON_ZONES, valid_zone, zone_for_country, zone_from_text
from bot.playbook import WEEKDAYS, parse_window

ACTIVE = ("asking_zone", "offered", "confirming")
_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
             "fifth": 4, "5th": 4, "last": -1}  # fmt: skip
_ORDINAL = re.compile(r"\b(" + "|".join(_ORDINALS) + r")\b", re.I)


@dataclass
class Message:
    """One assistant message: text and optional quick-reply buttons (title, payload)."""

    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Reply:
    """What to say and the new booking state (None: nothing to do with booking)."""

    messages: list[Message]
    state: dict[str, Any] | None


@dataclass(frozen=True)
class Context:
    """What the conversation knows about the lead."""

    next_step: str | None
    lead_id: int | None
    sender_id: str
    email: str | None
    name: str | None
    first_name: str | None
    facts: LeadFacts
    browser_zone: str | None = None
    asked_for_person: bool = (
        False  # the visitor asked for a person, sales or a demo (the rep's brief says so)
    )


def _choose(slot: Slot) -> str:
    return "/choose_slot" + json.dumps({"slot_choice": slot.key()})


OTHER_TIMES = ("Other times", "/other_times")
NO_CALL = ("Just send me information", "/decline_meeting")
CALLBACK = ("Please get in touch instead", "/request_callback")
KEEP = ("Keep my current time", "/deny")


def _no_email(state: dict[str, Any], text: str) -> Reply:
    """Nothing can be sent without an email we may keep: say so and wait for one."""
    return Reply([Message(text)], {**state, "stage": "declined", "reason": "no_email"})


class BookingTurn:
    """Decides the next booking message."""

    def __init__(self, service: BookingService) -> None:
        self.service = service

    # -- entry ----------------------------------------------------------------------
    def handle(
        self,
        state: dict[str, Any] | None,
        ctx: Context,
        *,
        intent: str | None,
        text: str = "",
        slot_choice: str | None = None,
        zone_choice: str | None = None,
    ) -> Reply:
        """One visitor turn (or the start right after the outcome was said)."""
        state = dict(state or {})
        stage = state.get("stage")
        if not stage:
            return self._start(ctx)
        if stage == "asking_zone":
            zone = valid_zone(zone_choice) or zone_from_text(text)
            if not zone:
                return self._ask_zone(state, again=True)
            state["zone"] = zone
            return self._offer(state, ctx)
        if stage == "booked":
            return Reply(
                [
                    Message(
                        f"You're booked for {when(datetime.fromisoformat(state['start']), state['zone'])} with "
                        f"{state['rep_name']}. To move or cancel it, use the links in the invite email."
                    )
                ],
                state,
            )
        if intent is None and stage in ("offered", "confirming"):
            return self._offer(state, ctx)  # back from a digression: show the times again
        if state.get("moving") and stage == "offered" and intent in ("deny", "decline_meeting"):
            return self._keep(state)
        if intent == "decline_meeting":
            return self._decline(state, ctx)
        if intent == "request_callback":
            return self._callback(state, ctx, text)
        if stage in ("declined", "callback") and intent not in (
            "choose_slot",
            "other_times",
            "suggest_time",
            "book_call",
        ):
            return Reply([], state)
        if intent == "other_times" or (intent == "deny" and stage == "confirming"):
            return self._offer(state, ctx, after=state.get("shown_until"))
        if intent == "confirm_slot" and stage == "offered" and text and not text.startswith("/"):
            return self._preference(state, ctx, text)  # "the second one": picks an offered slot to confirm
        if intent == "confirm_slot" or (intent == "affirm" and stage == "confirming"):
            return self._book(state, ctx)
        if intent == "choose_slot" and slot_choice:
            return self._confirm(state, ctx, slot_choice)
        return self._preference(state, ctx, text)

    # -- steps ----------------------------------------------------------------------
    def _start(self, ctx: Context) -> Reply:
        if ctx.next_step == CALLBACK_STEP:
            return self._callback_on_request(ctx)
        meeting_type = self.service.meeting_type_for(ctx.next_step or "")
        if meeting_type is None or ctx.lead_id is None:
            return Reply([], None)
        state: dict[str, Any] = {"stage": "offered", "meeting_type": meeting_type, "lead_id": ctx.lead_id}
        if not ctx.email:
            return _no_email(
                state,
                "To send you a calendar invite I need a work email we may keep. If you'd like to book a call, "
                "just type your email and say 'book a call'.",
            )
        zone = valid_zone(ctx.browser_zone) or zone_for_country(ctx.facts.country)
        if not zone:
            return self._ask_zone(state)
        state["zone"] = zone
        return self._offer(state, ctx)

    def _ask_zone(self, state: dict[str, Any], again: bool = False) -> Reply:
        text = ("Sorry, I didn't recognise that time zone. " if again else "") + (
            "Which time zone are you in, so I show times that work for you? Pick one or type a city."
        )
        buttons = [(label, "/set_timezone" + json.dumps({"time_zone": zone})) for label, zone in COMMON_ZONES]
        return Reply([Message(text, buttons)], {**state, "stage": "asking_zone"})

    def _offer(self, state: dict[str, Any], ctx: Context, after: str | None = None) -> Reply:
        offer = self.service.offer(state["meeting_type"], ctx.facts, lead_id=ctx.lead_id)
        zone = ZoneInfo(state["zone"])
        count = self.service.playbook.booking.offer_slots
        candidates = list(offer.slots)
        if after:
            later = [s for s in candidates if s.start > datetime.fromisoformat(after)]
            candidates = later or candidates  # wrap around to the start when the list ran out
        state = {**state, "stage": "offered", "route_reason": offer.route_reason}
        if offer.moving is not None:
            return self._offer_move(state, offer, candidates, after)
        state.pop("moving", None)
        if offer.empty:
            return Reply(
                [
                    Message(
                        "I'm sorry: nobody on our team has a free slot in the next two weeks. I can ask them to get in "
                        "touch by email to find a time, or send you some information instead.",
                        [CALLBACK, NO_CALL],
                    )
                ],
                {**state, "offered": []},
            )
        chosen = spread(candidates, count, zone)
        rep = self.service.playbook.booking.rep(chosen[0].rep_email)
        lead_in = ""
        if rep is not None and not after and _off_hours(rep.time_zone, rep.working_hours, self.service.now()):
            lead_in = "Our team is offline right now, so here are the earliest times they're free. "
        label = offer.label
        text = (
            f"{lead_in}Here are some times for a {label} with {rep.name if rep else 'our team'} "
            f"(times in {state['zone']}, {self.service.now().astimezone(zone):%Z}). "
            "Pick one, or tell me what suits you, like 'Tuesday afternoon'."
        )
        buttons = [(button_label(s.start, state["zone"]), _choose(s)) for s in chosen]
        return Reply(
            [Message(text, [*buttons, OTHER_TIMES, NO_CALL])],
            {
                **state,
                "offered": [s.key() for s in chosen],
                "shown_until": max(s.start for s in chosen).isoformat(),
            },
        )

    def _offer_move(
        self, state: dict[str, Any], offer: Offer, candidates: list[Slot], after: str | None
    ) -> Reply:
        """The lead already has a meeting: offer other times of its rep to move it to."""
        existing = offer.moving
        assert existing is not None
        zone = ZoneInfo(state["zone"])
        state = {**state, "moving": existing.uid, "meeting_type": offer.meeting_type}
        text = (
            f"You already have a {existing.meeting_label} with {existing.rep_name} on "
            f"{when(existing.start, state['zone'], existing.end)}. "
        )
        if not candidates:
            text += "I can't find another free time right now: use the links in your invite email to move or cancel it."
            return Reply(
                [Message(text)],
                {
                    **state,
                    "stage": "booked",
                    "uid": existing.uid,
                    "start": existing.start.isoformat(),
                    "rep_name": existing.rep_name,
                },
            )
        chosen = spread(candidates, self.service.playbook.booking.offer_slots, zone)
        text += (
            f"Would you like to move it? These times with {existing.rep_name} are free (in {state['zone']}):"
        )
        buttons = [(button_label(s.start, state["zone"]), _choose(s)) for s in chosen]
        return Reply(
            [Message(text, [*buttons, OTHER_TIMES, KEEP])],
            {
                **state,
                "offered": [s.key() for s in chosen],
                "shown_until": max(s.start for s in chosen).isoformat(),
            },
        )

    def _keep(self, state: dict[str, Any]) -> Reply:
        existing = self.service.active_meeting_for(int(state["lead_id"]))
        if existing is None:
            return Reply(
                [Message("Your meeting is no longer booked: say 'book a call' to pick a time.")],
                {**state, "stage": "declined", "moving": None},
            )
        text = (
            f"No change: your {existing.meeting_label} with {existing.rep_name} stays on "
            f"{when(existing.start, state['zone'], existing.end)}."
        )
        return Reply(
            [Message(text)],
            {
                **state,
                "stage": "booked",
                "uid": existing.uid,
                "start": existing.start.isoformat(),
                "rep_name": existing.rep_name,
            },
        )

    def _confirm(self, state: dict[str, Any], ctx: Context, key: str) -> Reply:
        try:
            slot = self.service.slot_from_key(state["meeting_type"], key)
        except BookingError:
            return self._offer(state, ctx)
        if not self.service.is_free(state["meeting_type"], slot, ignore_uid=state.get("moving")):
            reply = self._offer(state, ctx)
            reply.messages.insert(0, Message("Sorry, that time was just taken."))
            return reply
        rep = self.service.playbook.booking.rep(slot.rep_email)
        moment = f"{when(slot.start, state['zone'], slot.end)} with {rep.name if rep else slot.rep_email}"
        if state.get("moving"):
            text, yes = f"Move your meeting to {moment}?", ("Yes, move it", "/confirm_slot")
        else:
            text, yes = f"{moment}. Shall I book it?", ("Yes, book it", "/confirm_slot")
        return Reply(
            [Message(text, [yes, OTHER_TIMES])], {**state, "stage": "confirming", "chosen": slot.key()}
        )

    def _move(self, state: dict[str, Any], ctx: Context, key: str) -> Reply:
        try:
            moved = self.service.reschedule(str(state["moving"]), key)
        except (SlotTaken, BookingError):
            reply = self._offer({**state, "chosen": None}, ctx)
            reply.messages.insert(
                0, Message("Sorry, that time was just taken. Here are others that are still free.")
            )
            return reply
        text = (
            f"Moved: your {moved.meeting_label} with {moved.rep_name} is now "
            f"{when(moved.start, state['zone'], moved.end)}. The updated invite is on its way to {ctx.email}."
        )
        return Reply(
            [Message(text)],
            {
                **state,
                "stage": "booked",
                "uid": moved.uid,
                "start": moved.start.isoformat(),
                "rep_name": moved.rep_name,
                "moving": None,
            },
        )

    def _book(self, state: dict[str, Any], ctx: Context) -> Reply:
        key = state.get("chosen")
        if not key:
            return self._offer(state, ctx)
        if state.get("moving"):
            return self._move(state, ctx, key)
        try:
            booked = self.service.book(
                sender_id=ctx.sender_id,
                lead_id=int(state["lead_id"]),
                meeting_type=state["meeting_type"],
                slot_key=key,
                route_reason=state.get("route_reason") or "territory",
                visitor_zone=state["zone"],
                attendee_email=str(ctx.email),
                attendee_name=ctx.name,
                asked_for_sales=ctx.asked_for_person,
            )
        except AlreadyBooked:
            return self._offer({**state, "chosen": None}, ctx)  # booked meanwhile: offer to move that one
        except (SlotTaken, BookingError):
            reply = self._offer({**state, "chosen": None}, ctx)
            reply.messages.insert(
                0, Message("Sorry, that slot was just taken. Here are others that are still free.")
            )
            return reply
        text = (
            f"Booked: {booked.meeting_label} with {booked.rep_name}, "
            f"{when(booked.start, state['zone'], booked.end)}. The invite is on its way to {ctx.email}, "
            "with links to move or cancel it. Talk soon!"
        )
        return Reply(
            [Message(text)],
            {
                **state,
                "stage": "booked",
                "uid": booked.uid,
                "start": booked.start.isoformat(),
                "rep_name": booked.rep_name,
            },
        )

    def _decline(self, state: dict[str, Any], ctx: Context) -> Reply:
        self.service.decline(sender_id=ctx.sender_id, lead_id=int(state["lead_id"]))
        return Reply(
            [
                Message(
                    "No problem. We'll send you some useful material by email instead, and you can book a call "
                    "any time from there. Every email has a one-click unsubscribe."
                )
            ],
            {**state, "stage": "declined"},
        )

    def _callback_on_request(self, ctx: Context) -> Reply:
        """A visitor who asked for a person but gets no times: a callback request sales sees."""
        if ctx.lead_id is None:
            return Reply([], None)
        booking = self.service.playbook.booking
        kind = booking.on_request or next(iter(booking.meeting_types))
        state: dict[str, Any] = {"stage": "offered", "meeting_type": kind, "lead_id": ctx.lead_id}
        if not ctx.email:
            return _no_email(
                state,
                "I'll pass your request to our team, but they need a way to reach you: "
                "type a work email we may use and say 'please get in touch'.",
            )
        return self._callback(state, ctx, "asked to talk to a person in the chat")

    def _callback(self, state: dict[str, Any], ctx: Context, text: str) -> Reply:
        self.service.request_callback(
            sender_id=ctx.sender_id,
            lead_id=int(state["lead_id"]),
            meeting_type=state["meeting_type"],
            preference=text,
            visitor_zone=state.get("zone"),
        )
        return Reply(
            [
                Message(
                    f"Done: I've asked the team to email you at {ctx.email} to find a time that suits you."
                )
            ],
            {**state, "stage": "callback"},
        )

    def _preference(self, state: dict[str, Any], ctx: Context, text: str) -> Reply:
        offered = [k for k in state.get("offered") or []]
        ordinal = _ORDINAL.search(text or "")
        if ordinal and offered:
            index = _ORDINALS[ordinal.group(1).lower()]
            if -len(offered) <= index < len(offered):
                return self._confirm(state, ctx, offered[index])
        zone = ZoneInfo(state["zone"])
        preference = parse_preference(text or "", self.service.now(), zone)
        if not preference.understood:
            reply = self._offer(state, ctx)
            reply.messages[0].text = "Sorry, I didn't catch a time there. " + reply.messages[0].text
            return reply
        offer = self.service.offer(state["meeting_type"], ctx.facts, lead_id=ctx.lead_id)
        matches = match_slots(preference, slots_in(offer), zone)
        if not matches:
            reply = self._offer(state, ctx)
            reply.messages[0].text = "Nothing is free then, sorry. " + reply.messages[0].text
            reply.messages[0].buttons.insert(-1, CALLBACK)
            return reply
        if preference.at is not None:
            first = matches[0].start.astimezone(zone)
            if first.hour * 60 + first.minute == preference.at:
                return self._confirm(state, ctx, matches[0].key())
        count = self.service.playbook.booking.offer_slots
        picked = matches[:count] if preference.at is not None else spread(matches, count, zone)
        buttons = [(button_label(s.start, state["zone"]), _choose(s)) for s in picked]
        moving = {"moving": offer.moving.uid, "meeting_type": offer.meeting_type} if offer.moving else {}
        return Reply(
            [
                Message(
                    f"These times are free (in {state['zone']}):",
                    [*buttons, OTHER_TIMES, KEEP if offer.moving else NO_CALL],
                )
            ],
            {
                **state,
                **moving,
                "stage": "offered",
                "offered": [s.key() for s in picked],
                "route_reason": offer.route_reason,
            },
        )


def _off_hours(zone: str, hours: dict[str, list[str]], now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(zone))
    minutes = local.hour * 60 + local.minute
    windows = [parse_window(w) for w in hours.get(WEEKDAYS[local.weekday()], [])]
    return not any(start <= minutes < end for start, end in windows)


def is_active(state: dict[str, Any] | None) -> bool:
    """True while the visitor is picking a time (answers are not form answers then)."""
    return isinstance(state, dict) and state.get("stage") in ACTIVE


__all__ = ["BookingTurn", "Context", "Message", "Offer", "Reply", "is_active"]
