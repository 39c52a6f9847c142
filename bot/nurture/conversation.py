"""The follow-up step of the conversation: consent to nurture email, enrolment, a referral ask.

States: asking_consent -> (asking_referral) -> done. Plain data in, a `Reply` out; the
action adapts it to Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from bot.booking.conversation import Message, Reply
from bot.nurture.policy import track_for
from bot.nurture.service import NurtureService
from bot.parsing.email import find_email
from bot.parsing.names import parse_name
from bot.store.meetings import record_event
from bot.store.models import Consent, Lead
from bot.store.repository import normalise_email

YES_NO = [("Yes, please", "/affirm"), ("No, thanks", "/deny")]
ACTIVE = ("asking_consent", "asking_referral")


@dataclass(frozen=True)
class FollowupContext:
    """What the follow-up step needs to know about the lead."""

    lead_id: int | None
    grade: str | None
    reasons: tuple[str, ...]
    next_step: str | None
    email: str | None
    time_zone: str | None
    timeline_date: date | None
    channel: str


def is_active(state: dict[str, Any] | None) -> bool:
    """True while a follow-up question waits for its answer."""
    return isinstance(state, dict) and state.get("stage") in ACTIVE


class FollowupTurn:
    """Asks for consent, enrols, asks authority leads for an introduction (once)."""

    def __init__(self, service: NurtureService) -> None:
        self.service = service

    def handle(
        self, state: dict[str, Any] | None, ctx: FollowupContext, *, intent: str | None, text: str
    ) -> Reply:
        """One visitor turn (or the start, right after the outcome or a declined meeting)."""
        state = dict(state or {})
        stage = state.get("stage")
        if not stage:
            return self._start(ctx)
        if stage == "asking_consent":
            if intent == "affirm":
                return self._enrol(state, ctx, text)
            if intent in ("deny", "decline"):
                return self._refuse(state, ctx, text)
            return Reply([Message("Sorry, was that a yes or a no to the occasional email?", YES_NO)], state)
        if stage == "asking_referral":
            return self._referral(state, ctx, intent, text)
        return Reply([], state)

    def _start(self, ctx: FollowupContext) -> Reply:
        playbook = self.service.playbook
        track = track_for(ctx.grade, ctx.reasons, ctx.next_step, playbook)
        if track is None or ctx.lead_id is None or not ctx.email:
            return Reply([], None)
        topic = playbook.nurture.tracks[track].topic
        text = playbook.nurture.consent.text.replace("{topic}", topic)
        return Reply([Message(text, YES_NO)], {"stage": "asking_consent", "track": track})

    def _consent(self, ctx: FollowupContext, granted: bool) -> None:
        nurture = self.service.playbook.nurture
        with self.service.sessions() as session, session.begin():
            session.add(
                Consent(
                    lead_id=ctx.lead_id,
                    purpose="followup_email",
                    granted=granted,
                    text_version=nurture.consent.text_version,
                    channel=ctx.channel,
                    recorded_at=self.service.now(),
                )
            )
            if granted:
                self.service.enroll(
                    session,
                    lead_id=int(ctx.lead_id or 0),
                    track=self._track(ctx),
                    reason=ctx.reasons[0] if ctx.reasons else None,
                    anchor=ctx.timeline_date,
                    time_zone=ctx.time_zone,
                )

    def _track(self, ctx: FollowupContext) -> str:
        return str(track_for(ctx.grade, ctx.reasons, ctx.next_step, self.service.playbook))

    def _enrol(self, state: dict[str, Any], ctx: FollowupContext, text: str) -> Reply:
        self._consent(ctx, True)
        nurture = self.service.playbook.nurture
        track = nurture.tracks[state["track"]]
        count = len(track.steps)
        said = (
            f"Great. You'll get {count} email{'s' if count != 1 else ''} about {track.topic}, at most one every "
            f"{nurture.frequency_cap_days:g} days, and every email has a one-click unsubscribe link."
        )
        if nurture.double_opt_in:
            said += f" First, please confirm with the link we just sent to {ctx.email}."
        return self._maybe_referral(state, ctx, [Message(said)])

    def _refuse(self, state: dict[str, Any], ctx: FollowupContext, text: str) -> Reply:
        self._consent(ctx, False)
        return self._maybe_referral(
            state, ctx, [Message("No problem, we won't email you. Thanks for the chat!")]
        )

    def _maybe_referral(self, state: dict[str, Any], ctx: FollowupContext, messages: list[Message]) -> Reply:
        if ctx.reasons and ctx.reasons[0] == "authority" and not state.get("referral_asked"):
            messages.append(
                Message(
                    "One more thing, only if you like: would you introduce us to whoever decides on this? "
                    "Share their name and work email and we'll reach out, mentioning you.",
                    [("Skip", "/deny")],
                )
            )
            return Reply(messages, {**state, "stage": "asking_referral", "referral_asked": True})
        return Reply(messages, {**state, "stage": "done"})

    def _referral(self, state: dict[str, Any], ctx: FollowupContext, intent: str | None, text: str) -> Reply:
        found = find_email(text)
        email = found[0] if found else None
        if intent in ("deny", "decline") or not email or email.get("kind") in ("invalid", "disposable"):
            if intent not in ("deny", "decline") and text.strip():
                return Reply(
                    [
                        Message(
                            "I couldn't find a work email there. Type their name and email, or skip.",
                            [("Skip", "/deny")],
                        )
                    ],
                    state,
                )
            return Reply([Message("No problem. Thanks for the chat!")], {**state, "stage": "done"})
        start, end = found[1] if found else (0, 0)
        name = parse_name((text[:start] + " " + text[end:]).strip(" ,.;:-")) or {}
        with self.service.sessions() as session, session.begin():
            address = normalise_email(email["email"])
            existing = session.execute(select(Lead.id).where(Lead.email == address)).scalar()
            if existing is None:
                referred = Lead(
                    email=address,
                    name=name.get("full"),
                    reasons=[],
                    referred_by_id=ctx.lead_id,
                    next_step="nurture",
                )
                session.add(referred)
                session.flush()
                record_event(
                    session=session,
                    lead_id=referred.id,
                    conversation_id=None,
                    kind="referred",
                    detail={"by_lead": ctx.lead_id},
                )
            record_event(
                session=session,
                lead_id=int(ctx.lead_id or 0),
                conversation_id=None,
                kind="referral_given",
                detail={"new_lead": existing is None},
            )
        who = name.get("first") or "them"
        return Reply(
            [Message(f"Thank you! We'll reach out to {who} and mention you sent us.")],
            {**state, "stage": "done"},
        )
