"""action_decide_outcome: score the answers, store the lead, tell the visitor what's next.

A failed write is never reported as a success: the visitor hears that something went
wrong, the answers stay in the tracker, and the next message retries the save.

A conversation's first lead counts against its address's lead limit (bot/chat_limits.py,
keyed on the channel's CLIENT_KEY stamp): over it, nothing is stored, the visitor is told
so honestly, staff find the conversation id in the log, and a later message stores the lead
once the window has room.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions import deps
from actions.answers import (
    UTM_KEYS,
    answers_from_tracker,
    first_message_metadata,
    latest_metadata,
)
from bot.channel_input import CLIENT_KEY
from bot.chat_limits import ChatLimiter, lead_not_stored
from bot.flow import consent_granted, email_decision
from bot.nurture.policy import segment_for
from bot.playbook import Playbook
from bot.profile import NOT_PROFILE
from bot.profile import scoring_profile as build_profile
from bot.scoring import ScoreResult, score_lead
from bot.store.repository import AnswerIn, ConsentIn, ContactIn, ScoreIn, SourceIn, save_qualification

logger = logging.getLogger(__name__)

_PERSONAL = ("name", "email")


def scoring_profile(
    answers: Mapping[str, Mapping[str, Any] | None], signals: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The scorer's input from the answer slots (bot.profile builds it, as for every re-score)."""
    return build_profile(
        (
            (field, None if answer.get("error") else answer.get("value"), bool(answer.get("declined")))
            for field, answer in answers.items()
            if answer
        ),
        signals,
    )


def website_signals(tracker: Tracker) -> dict[str, Any] | None:
    """The widget's counts of marked pages ({"pages": {signal: visits}}), or None."""
    marked = latest_metadata(tracker).get("marked_pages")
    if isinstance(marked, dict) and marked:
        return {"pages": {str(k): v for k, v in marked.items()}}
    return None


def stored_answer(
    field: str, answer: Mapping[str, Any], consent: bool, variant: str | None = None
) -> AnswerIn | None:
    """What is kept of one answer: all of it, or without consent what scoring needs of a personal one.

    `variant` is the A/B wording of the question the visitor saw (kept with the answer).

    Without consent the visitor's name and address are not kept; the kind of address (and
    a business domain, which names the company, not the person) is, because the score
    read it (disposable address, a competitor's domain) and a re-score must read it too.
    """
    value = answer.get("value")
    raw = str(answer.get("raw") or "")
    if not consent and field in _PERSONAL:
        if field != "email" or not isinstance(value, Mapping) or answer.get("declined"):
            return None
        kept = {"kind": value.get("kind")}
        if value.get("kind") == "business" and value.get("domain"):
            kept["domain"] = value["domain"]
        value, raw = kept, ""
    return AnswerIn(
        field=field,
        raw=raw,
        normalized=None if answer.get("error") else value,
        declined=bool(answer.get("declined")),
        answered_at=_at(answer),
        variant=variant,
    )


def seen_variants(tracker: Tracker) -> dict[str, str]:
    """The A/B variants this conversation saw ({question, "greeting" or "proactive:<path>": id})."""
    seen = tracker.get_slot("question_variants")
    return {str(k): str(v) for k, v in seen.items() if v} if isinstance(seen, Mapping) else {}


def _at(answer: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(answer["at"]))


class ActionDecideOutcome(Action):
    """Score, store and announce the outcome of the qualification."""

    def __init__(
        self,
        playbook: Callable[[], Playbook] = deps.playbook,
        sessions: Callable[[], Callable[[], Session]] = deps.sessions,
        today: Callable[[], date] = deps.today,
        limits: Callable[[], ChatLimiter] = deps.chat_limiter,
    ) -> None:
        self._playbook = playbook
        self._sessions = sessions
        self._today = today
        self._limits = limits

    def name(self) -> str:
        """Action name in the domain."""
        return "action_decide_outcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Score the profile, save the lead and say the outcome (once per change)."""
        playbook = self._playbook()
        answers = answers_from_tracker(tracker)
        consent = consent_granted(answers)
        signals = website_signals(tracker)
        profile = scoring_profile(answers, signals)
        result = score_lead(profile, playbook, today=self._today())
        handoff = bool(tracker.get_slot("handoff"))
        fingerprint = hashlib.sha256(
            json.dumps(
                [profile, consent, result.playbook_version, handoff], sort_keys=True, default=str
            ).encode()
        ).hexdigest()[:16]
        previous = tracker.get_slot("outcome") or {}
        if previous.get("fingerprint") == fingerprint and previous.get("saved"):
            return []  # nothing changed since the outcome was said and stored
        if not previous.get("lead_id"):  # this conversation's first lead: within its address's limit?
            client = latest_metadata(tracker).get(CLIENT_KEY)
            refused = await self._limits().new_lead(str(client) if client else None)
            if refused is not None:
                logger.warning(
                    "lead limit (BANTER_LIMIT_LEADS_PER_IP) reached: conversation %s not stored as a lead; "
                    "its answers stay in the tracker, and a message after %s s stores it",
                    tracker.sender_id,
                    refused.seconds,
                )
                dispatcher.utter_message(text=lead_not_stored(refused.seconds))
                return [SlotSet("outcome", {"saved": False, "fingerprint": fingerprint, "limited": True})]

        try:
            lead_id = self._save(tracker, answers, result, consent, playbook, signals)
        except Exception:
            logger.exception("could not save the lead of conversation %s", tracker.sender_id)
            dispatcher.utter_message(response="utter_save_failed")
            return [SlotSet("outcome", {"saved": False, "fingerprint": fingerprint})]

        self._say(dispatcher, result, answers, consent, playbook, handoff)
        return [
            SlotSet(
                "outcome",
                {
                    "saved": True,
                    "fingerprint": fingerprint,
                    "lead_id": lead_id,
                    "grade": result.grade,
                    "score": result.score,
                    "reasons": list(result.reasons),
                    "next_step": result.next_step,
                    "handoff": handoff,
                },
            )
        ]

    def _save(
        self,
        tracker: Tracker,
        answers: Mapping[str, Mapping[str, Any] | None],
        result: ScoreResult,
        consent: bool,
        playbook: Playbook,
        signals: Mapping[str, Any] | None,
    ) -> int:
        variants = seen_variants(tracker)
        kept = (
            stored_answer(field, answer, consent, variants.get(field))
            for field, answer in answers.items()
            if answer
        )
        stored = [answer for answer in kept if answer is not None and answer.field not in NOT_PROFILE]
        consent_answer = answers.get("consent")
        consents = []
        if consent_answer and isinstance(consent_answer.get("value"), dict):
            consents.append(
                ConsentIn(
                    purpose="contact",
                    granted=bool(consent_answer["value"].get("granted")),
                    text_version=str(
                        consent_answer["value"].get("text_version") or playbook.consent.text_version
                    ),
                    channel=tracker.get_latest_input_channel() or "unknown",
                    recorded_at=_at(consent_answer),
                )
            )
        email_value = (answers.get("email") or {}).get("value")
        email = None
        email_flag = None
        if consent and email_decision(email_value, freemail_warned=True) == "accept":
            email = str(email_value["email"])  # type: ignore[index]
            email_flag = "free_mail" if email_value.get("kind") == "free" else None  # type: ignore[union-attr]
        name_value = (answers.get("name") or {}).get("value") or {}
        company_value = (answers.get("company_name") or {}).get("value") or {}
        metadata = dict(first_message_metadata(tracker))
        metadata.pop(CLIENT_KEY, None)  # the channel's stamp for the limits: not kept with the lead
        source = SourceIn(
            channel=tracker.get_latest_input_channel() or "unknown",
            page_url=metadata.pop("page_url", None) or metadata.pop("url", None),
            referrer=metadata.pop("referrer", None),
            utm={key: str(metadata.pop(key)) for key in UTM_KEYS if metadata.get(key)},
            metadata=metadata,
        )
        with self._sessions()() as session, session.begin():
            return save_qualification(
                session=session,
                sender_id=tracker.sender_id,
                source=source,
                contact=ContactIn(
                    email=email,
                    name=name_value.get("full") if consent else None,
                    company_name=company_value.get("name"),
                    email_flag=email_flag,
                ),
                answers=stored,
                score=ScoreIn.of(
                    result, segment=segment_for(result.grade, result.reasons, result.next_step, playbook)
                ),
                signals=signals,
                consents=consents,
                variants=variants,
            )

    @staticmethod
    def _say(
        dispatcher: CollectingDispatcher,
        result: ScoreResult,
        answers: Mapping[str, Mapping[str, Any] | None],
        consent: bool,
        playbook: Playbook,
        handoff: bool = False,
    ) -> None:
        links = playbook.links
        name = ((answers.get("name") or {}).get("value") or {}).get("first")
        first_name_suffix = f", {name}" if name and consent else ""
        if result.grade == "disqualified":
            primary = result.reasons[0] if result.reasons else ""
            if primary == "student":
                dispatcher.utter_message(
                    response="utter_outcome_student", student_resources_url=links.student_resources_url
                )
            elif primary == "job_seeker":
                dispatcher.utter_message(response="utter_outcome_job_seeker", careers_url=links.careers_url)
            elif primary == "invalid_contact":
                dispatcher.utter_message(response="utter_outcome_invalid_contact")
            else:
                dispatcher.utter_message(response="utter_outcome_not_a_buyer")
            return
        if result.next_step == "book_demo":
            dispatcher.utter_message(response="utter_outcome_qualified", first_name_suffix=first_name_suffix)
        elif result.next_step == "discovery_call":
            dispatcher.utter_message(
                response="utter_outcome_discovery",
                first_name_suffix=first_name_suffix,
                resources_url=links.resources_url,
            )
        elif handoff:
            # Asked for a person or a demo: never "too early for a call" (action_next_step offers times or a callback).
            dispatcher.utter_message(response="utter_outcome_handoff", first_name_suffix=first_name_suffix)
        else:
            followup = (
                " We'll follow up by email now and then, and every email has a one-click unsubscribe."
                if consent
                else " If you'd like us to follow up later, just leave your email here any time."
            )
            dispatcher.utter_message(
                response="utter_outcome_nurture",
                first_name_suffix=first_name_suffix,
                resources_url=links.resources_url,
                followup_sentence=followup,
            )
