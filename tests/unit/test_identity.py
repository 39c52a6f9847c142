"""Signed session and visitor ids, the metadata a chat client may send, and the REST channel's token."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

from bot.channel_input import clean_metadata
from bot.identity import Identity
from channels.limits import REST_DENIED, REST_OFF, rest_refusal

IDS = Identity("k" * 40)


def test_issued_ids_verify_and_anything_else_does_not() -> None:
    session, visitor = IDS.new_session_id(), IDS.new_visitor_id()
    assert IDS.is_session_id(session) and IDS.visitor_id(visitor) == visitor
    assert session != IDS.new_session_id()  # unguessable: fresh randomness each time
    assert not IDS.is_session_id(visitor) and IDS.visitor_id(session) is None  # one salt per kind
    for forged in (
        "alice",
        "",
        session.split(".")[0],
        session[:-1] + ("A" if session[-1] != "A" else "B"),  # may differ only in spare bits
        session[:-1] + ("E" if session[-1] not in "EFGH" else "A"),
        session[:-5] + ("A" if session[-5] != "A" else "B") + session[-4:],
        session + "x" * 200,
        None,
        42,
        ["x"],
    ):
        assert not IDS.is_session_id(forged)
        assert IDS.visitor_id(forged) is None
    assert not Identity("another key" * 4).is_session_id(session)  # signed with this server's key only


def test_metadata_keeps_what_the_widget_sends_and_drops_the_rest() -> None:
    visitor = IDS.new_visitor_id()
    sent: dict[str, Any] = {
        "page_url": "https://example.com/pricing",
        "title": "Pricing",
        "visitor_id": visitor,
        "pages_viewed": ["/", "/pricing", 7],
        "marked_pages": {"pricing": 2, "careers": "lots", "demo": math.inf},
        "time_on_site_seconds": 95.4,
        "timezone": "Europe/London",
        "utm_source": "google",
        "lead_id": 17,  # not something a client may set
        "email": "someone@else.com",
        "referrer": "x" * 5000,
        "language": None,
    }
    clean, dropped = clean_metadata(sent, IDS)
    assert clean == {
        "page_url": "https://example.com/pricing",
        "title": "Pricing",
        "visitor_id": visitor,
        "pages_viewed": ["/", "/pricing"],
        "marked_pages": {"pricing": 2},
        "time_on_site_seconds": 95,
        "timezone": "Europe/London",
        "utm_source": "google",
    }
    assert sorted(dropped) == ["email", "lead_id", "referrer"]


def test_an_unsigned_visitor_id_and_bad_shapes_are_dropped() -> None:
    assert clean_metadata({"visitor_id": "v-42"}, IDS) == ({}, ["visitor_id"])
    assert clean_metadata(["not", "an", "object"], IDS) == ({}, ["(not an object)"])
    assert clean_metadata(None, IDS) == ({}, [])
    assert clean_metadata({"time_on_site_seconds": True, "marked_pages": {"p": -1}}, IDS) == (
        {"marked_pages": {}},
        ["time_on_site_seconds"],
    )


def _request(authorization: str | None) -> Any:
    return SimpleNamespace(headers={} if authorization is None else {"Authorization": authorization})


def test_the_rest_channel_is_off_without_a_token_and_checks_it_otherwise() -> None:
    assert rest_refusal(_request("Bearer anything"), None) == REST_OFF
    assert rest_refusal(_request(None), "s3cret") == REST_DENIED
    assert rest_refusal(_request("Bearer wrong"), "s3cret") == REST_DENIED
    assert rest_refusal(_request("Basic s3cret"), "s3cret") == REST_DENIED
    assert rest_refusal(_request("Bearer s3cret"), "s3cret") is None
    assert rest_refusal(_request("bearer  s3cret "), "s3cret") is None
