"""One-click outcome links for the rep's brief email, signed by the same rules as reschedule/cancel.

A token is bot.links.Links' signed, expiring payload for the purpose "outcome" (its own salt:
a reschedule or cancel token never opens it, nor the other way round) holding the meeting's
UID, the outcome, the rep it was sent to and a random nonce. Changing any of them breaks the
signature; the nonce is recorded when the link is used, so a link works once (a replayed
POST changes nothing). Opening a link only shows a page; the outcome is recorded by its
button (a POST), so mail scanners that open links record nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from bot.links import LinkError, Links
from bot.outcomes import LINK_OUTCOMES

PURPOSE = "outcome"


@dataclass(frozen=True)
class OutcomeLink:
    """What a valid outcome token says."""

    uid: str
    outcome: str
    rep_email: str
    nonce: str

    @property
    def nonce_key(self) -> str:
        """The key its use is recorded under (bot.store.models.UsedNonce)."""
        return f"link:{self.nonce}"


def outcome_token(links: Links, uid: str, outcome: str, rep_email: str) -> str:
    """A signed token recording `outcome` for meeting `uid`, usable once."""
    if outcome not in LINK_OUTCOMES:
        raise ValueError(f"no one-click link for {outcome!r}")
    return links.make(PURPOSE, {"m": uid, "o": outcome, "r": rep_email, "n": secrets.token_urlsafe(12)})


def outcome_urls(links: Links, public_url: str, uid: str, rep_email: str) -> dict[str, str]:
    """Outcome -> its one-click URL, for each outcome the brief offers."""
    return {
        outcome: f"{public_url}/outcomes/{outcome_token(links, uid, outcome, rep_email)}"
        for outcome in LINK_OUTCOMES
    }


def read_outcome_token(links: Links, token: str) -> OutcomeLink:
    """The link's content, or LinkError ("expired" | "invalid")."""
    data = links.read(PURPOSE, token)
    if not isinstance(data, dict):
        raise LinkError("invalid")
    values = [data.get(k) for k in ("m", "o", "r", "n")]
    if not all(isinstance(v, str) and v for v in values) or data["o"] not in LINK_OUTCOMES:
        raise LinkError("invalid")
    return OutcomeLink(data["m"], data["o"], data["r"], data["n"])
