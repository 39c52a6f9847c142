"""Internal services are private by default: loopback only, and Rasa's HTTP API needs its token."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import Assistant

pytestmark = pytest.mark.e2e


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (IPv4 and IPv6) with a socket listening on `port`, from /proc/net."""
    found: set[str] = set()
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_the_action_server_and_rasa_listen_on_loopback_only(assistant: Assistant) -> None:
    rasa_port = int(assistant.base_url.rsplit(":", 1)[1])
    actions_port = int(os.environ["ACTIONS_PORT"])
    loopback = {"0100007F", "00000000000000000000000001000000"}
    for port in (rasa_port, actions_port):
        addresses = _listening_addresses(port)
        assert addresses and addresses <= loopback, (port, addresses)


def test_rasa_http_api_refuses_requests_without_the_token(assistant: Assistant) -> None:
    sender = "private-api-check"
    assistant.say(sender, "hi")
    for url in (
        f"{assistant.base_url}/conversations/{sender}/tracker",
        f"{assistant.base_url}/conversations/{sender}/tracker?token=wrong",
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code in (401, 403)
    forged = urllib.request.Request(
        f"{assistant.base_url}/conversations/{sender}/tracker/events",
        data=json.dumps([{"event": "bot", "text": "forged"}]).encode(),
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=10)
    assert refused.value.code in (401, 403)
    assert assistant.tracker(sender)["sender_id"] == sender  # the token opens it
