"""Budget buttons in the visitor's currency: their country answer, else their browser's time zone."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.asking import ASK_ACTIONS
from bot.playbook import Playbook
from tests.actions.conftest import answer, fixed, make_tracker

DOMAIN: dict[str, Any] = {"slots": {}, "forms": {"bant_form": {"required_slots": []}}}


async def budget_titles(playbook: Playbook, **tracker: Any) -> list[str]:
    dispatcher = CollectingDispatcher()
    await ASK_ACTIONS["budget"](playbook=fixed(playbook)).run(dispatcher, make_tracker(requested="budget", **tracker), DOMAIN)
    return [button["title"] for button in dispatcher.messages[0]["buttons"]]


@pytest.mark.parametrize(
    ("metadata", "slots", "symbol"),
    [
        ({}, {}, "$"),
        ({"timezone": "Europe/Amsterdam"}, {}, "€"),  # no country answer: where the browser is
        ({"time_zone": "Europe/London"}, {}, "£"),
        ({"timezone": "UTC"}, {}, "$"),  # a zone of no country: the playbook's currency
        # the visitor's answer wins over the browser's zone
        ({"timezone": "Europe/Amsterdam"}, {"country": answer("country", "UK", {"country": "GB"})}, "£"),
        # a region without a country: the zone still tells
        ({"timezone": "Europe/Amsterdam"}, {"country": answer("country", "Europe", {"region": "europe"})}, "€"),
    ],
)
async def test_budget_buttons_in_the_visitors_currency(
    playbook: Playbook, metadata: dict[str, Any], slots: dict[str, Any], symbol: str
) -> None:
    titles = await budget_titles(playbook, metadata=metadata, slots=slots)
    assert all(symbol in title for title in titles if title != "Not sure yet"), titles
