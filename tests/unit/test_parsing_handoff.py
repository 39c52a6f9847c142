"""A request for a person or a demo in the visitor's own words, anywhere in a message."""

from __future__ import annotations

import pytest

from bot.parsing.handoff import asks_for_a_person


@pytest.mark.parametrize(
    "text",
    [
        "Head of Ops at a 200-person logistics firm - could I book a demo?",
        "we'd like to talk to sales about a rollout",
        "can you connect me with a rep",
        "I'd rather speak to a real person",
        "may we schedule a walkthrough for Thursday",
    ],
)
def test_requests_for_a_person_or_a_demo(text: str) -> None:
    assert asks_for_a_person(text)


@pytest.mark.parametrize(
    "text",
    [
        "we need our reps to talk to the right leads",
        "our demo requests pile up in a spreadsheet",
        "customers want to speak to someone at 2am and nobody is there",
        "please send me the pricing",
    ],
)
def test_needs_that_mention_people_or_demos_are_not_requests(text: str) -> None:
    assert not asks_for_a_person(text)
