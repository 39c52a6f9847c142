"""The console's pure pieces: per-question figures folded from tracker events, payloads and codes in words."""

from __future__ import annotations

from bot.console.conversations import Event, fold
from bot.console.lead_view import answer_rows, event_row, understood
from bot.describe import REASON_LABELS, reason_words
from bot.transcripts import as_said
from bot.vocab import REASONS


def events(sender: str, *steps: tuple[str, str | None, str | None, float]) -> list[Event]:
    return [Event(sender, kind, name, code, at) for kind, name, code, at in steps]


def ask(field: str, at: float) -> tuple[str, str | None, str | None, float]:
    return ("slot", "requested_slot", field, at)


def test_a_taken_back_answer_is_asked_again_as_a_re_prompt() -> None:
    # a free-mail address is accepted by extraction, then cleared by validation: the ask that follows re-prompts
    figures = fold(events("a", ("user", None, None, 0), ask("email", 1), ("user", None, None, 4),
                          ("slot", "email", "value", 4.1), ("slot", "email", "cleared", 4.2), ask("email", 4.2),
                          ("user", None, None, 9), ("slot", "email", "value", 9.1), ask("need", 9.2)),
                   idle_before=100)
    email = figures.questions["email"]
    assert (email.asked, email.answered, email.reprompts, email.stopped_here) == (1, 1, 1, 0)
    assert email.median_seconds() == 4.8  # from the latest ask to the answer that stuck
    assert figures.questions["need"].stopped_here == 1 and figures.engaged == 1


def test_volunteered_answers_are_not_asked_and_a_live_or_finished_conversation_did_not_stop() -> None:
    steps = events("b", ("user", None, None, 0), ("slot", "budget", "value", 0.1), ask("need", 0.2),
                   ("slot", "outcome", "saved", 5))
    live = events("c", ("user", None, None, 50), ask("role", 50.1))
    figures = fold([*steps, *live], idle_before=10)
    assert figures.questions["budget"].asked == 0 and figures.questions["budget"].answered == 0
    assert figures.questions["need"].stopped_here == 0  # b has its outcome
    assert figures.questions["role"].stopped_here == 0  # c spoke after idle_before: still going
    assert (figures.started, figures.engaged) == (2, 0)


def test_why_and_small_talk_re_asks_are_not_re_prompts_but_a_decline_counts() -> None:
    figures = fold(events("d", ask("budget", 0), ("action", "action_explain_why", None, 1), ask("budget", 1.1),
                          ("action", "action_digression", None, 2), ask("budget", 2.1),
                          ("user", None, None, 3), ("slot", "budget", "declined", 3.1)), idle_before=100)
    budget = figures.questions["budget"]
    assert (budget.reprompts, budget.why_asked, budget.declined, budget.answered) == (0, 1, 1, 0)
    assert budget.median_seconds() is None


def test_payloads_read_as_the_button_clicked_or_in_plain_words() -> None:
    offered = {'/choose_slot{"slot_choice": "dana|2026-11-30T15:00"}': "Mon 30 Nov, 10:00", "Yes": "Yes, that's fine"}
    assert as_said('/choose_slot{"slot_choice": "dana|2026-11-30T15:00"}', offered) == "Mon 30 Nov, 10:00"
    assert as_said("Yes", offered) == "Yes, that's fine"
    assert as_said("/affirm", offered) == "Yes" and as_said('/choose_slot{"slot_choice": "x"}', {}) == "(picked a time)"
    assert as_said("/unknown_intent", {}) == "(unknown intent)"
    assert as_said("we need /affirm here", {}) == "we need /affirm here"  # words typed stay as typed


def test_codes_and_values_in_words() -> None:
    assert set(REASON_LABELS) == set(REASONS)  # one mapping, for every reason code
    assert reason_words("icp_region") == "region we don't serve" and reason_words(None) == ""
    assert understood("knockout", {"normalized": {"kind": "job_seeker"}, "declined": False}) == "job seeker"
    rows = answer_rows({"budget": {"raw": "40k", "normalized": {"status": "no_budget"}, "declined": False,
                                   "answered_at": "2026-11-25T10:00:00+00:00"},
                        "need": {"raw": "", "normalized": None, "declined": True, "answered_at": None}},
                       {"need": "need", "budget": "budget"})
    assert [(r["question"], r["understood"]) for r in rows] == [("need", "declined"), ("budget", "no budget yet")]
    row = event_row("meeting_rescheduled", {"uid": "x@banter", "by": "visitor", "to": "2026-11-30T15:00:00+00:00"})
    assert row == {"what": "meeting rescheduled", "details": [
        {"key": "by", "value": "visitor", "time": False}, {"key": "to", "value": "2026-11-30T15:00:00+00:00", "time": True}]}
