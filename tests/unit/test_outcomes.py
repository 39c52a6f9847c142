"""Outcomes without a database: the SLA's clock, the draft editor, the CRM signature, the one-click tokens."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from bot.links import LinkError, Links
from bot.notify.delivery import signature
from bot.outcomes import LINK_OUTCOMES
from bot.outcomes.crm import TOLERANCE_SECONDS, CrmError, parse, verify
from bot.outcomes.draft import set_value
from bot.outcomes.links import outcome_token, outcome_urls, read_outcome_token
from bot.outcomes.service import OutcomeError, OutcomeIn, checked
from bot.outcomes.sla import FollowUp, add_business_hours, deadline, per_rep
from bot.playbook import PlaybookError, load_playbook, parse_playbook
from bot.settings import PROJECT_ROOT

PLAYBOOK = load_playbook(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml")
GRETA = PLAYBOOK.booking.rep("greta@banter.example.com")  # Berlin, 09:00-12:30 and 13:30-18:00, Fri to 15:00
UTC = timezone.utc


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026 given in Berlin time (UTC+1)."""
    return datetime(2026, 11, day, hour - 1, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (berlin(25, 10), 2, berlin(25, 12)),  # Wednesday morning
        (berlin(25, 11), 4, berlin(25, 16)),  # over the lunch break 12:30-13:30
        (berlin(25, 16), 4, berlin(26, 11)),  # two hours today, two tomorrow morning
        (berlin(25, 20), 1, berlin(26, 10)),  # after hours: counts from the next opening
        (berlin(27, 14), 2, berlin(30, 10)),  # Friday ends at 15:00: Monday 10:00
        (berlin(28, 11), 4, berlin(30, 13, 30) + timedelta(minutes=30)),  # Saturday: Monday 09:00 + 4 h
    ],
)
def test_business_hours_follow_the_reps_working_hours(start: datetime, hours: float, due: datetime) -> None:
    assert add_business_hours(start, hours, GRETA) == due


def test_business_hours_keep_wall_clock_time_over_a_dst_change() -> None:
    # Berlin leaves summer time on Sunday 25 October 2026. Friday 14:00 CEST + 2 h: one hour on Friday
    # (hours end at 15:00), one from Monday 09:00 CET: Monday 10:00 CET, 09:00 UTC (not 08:00).
    friday = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)  # 14:00 CEST
    assert add_business_hours(friday, 2, GRETA) == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_deadlines_and_due_versus_overdue_per_rep() -> None:
    sla = PLAYBOOK.sla
    assert deadline("outcome", berlin(25, 10), sla, GRETA) == berlin(25, 10) + timedelta(days=sla.outcome_within_days)
    assert deadline("requalified", berlin(25, 10), sla, None) == berlin(25, 10) + timedelta(
        days=sla.requalified_contact_within_days
    )
    assert deadline("callback", berlin(25, 20), sla, None) == berlin(25, 20) + timedelta(hours=4)  # no rep: every hour
    now = berlin(26, 12)
    items = [
        FollowUp("outcome", 1, 1, "greta@x", berlin(20, 10), berlin(22, 10)),
        FollowUp("callback", 2, 2, "greta@x", berlin(26, 9), berlin(26, 13)),
        FollowUp("requalified", 3, 3, "sam@x", berlin(20, 10), berlin(23, 10)),
    ]
    assert [i.breach for i in items if i.overdue(now)] == ["outcome:1", "requalified:3"]
    rows = {r["rep"]: r for r in per_rep(items, now)}
    assert (rows["greta@x"]["due"], rows["greta@x"]["overdue"], rows["greta@x"]["outcome_overdue"]) == (1, 1, 1)
    assert (rows["sam@x"]["overdue"], rows["sam@x"]["requalified_overdue"]) == (1, 1)


def test_the_sla_section_is_validated() -> None:
    text = (PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text()
    assert PLAYBOOK.sla.escalate_to is not None and PLAYBOOK.sla.escalate_to.via == ["email", "slack"]
    with pytest.raises(PlaybookError) as err:
        parse_playbook(text.replace("outcome_within_days: 2", "outcome_within_days: 0"))
    assert "sla: outcome_within_days must be positive" in str(err.value)
    with pytest.raises(PlaybookError) as err:
        parse_playbook(text.replace("via: [email, slack]", "via: [pager]"))
    assert "sla.escalate_to.via" in str(err.value)
    no_email = text.replace("    email: morgan@banter.example.com\n", "")
    with pytest.raises(PlaybookError) as err:
        parse_playbook(no_email)
    assert "email is required when via includes email" in str(err.value)


def test_a_suggested_value_is_written_in_place_keeping_comments() -> None:
    text = (PROJECT_ROOT / "playbook.yml").read_text()
    changed = set_value(text, ("budget", "min_annual"), 30000.0)
    assert "  min_annual: 30000\n" in changed
    assert changed.count("\n") == text.count("\n")
    before, after = yaml.safe_load(text), yaml.safe_load(changed)
    before["budget"]["min_annual"] = 30000
    assert before == after
    weights = set_value(set_value(text, ("weights", "budget"), 25), ("weights", "icp_region"), 2)
    assert yaml.safe_load(weights)["weights"]["budget"] == 25 and "# Points per criterion" in weights
    must = set_value(text, ("thresholds", "must_not_miss"), ("budget", "authority"))
    assert yaml.safe_load(must)["thresholds"]["must_not_miss"] == ["budget", "authority"]
    # never a key of the same name deeper down: `budget` under weights is not the budget section
    block = "weights:\n  budget: 20\nbudget:\n  min_annual: 10  # x\n"
    assert set_value(block, ("budget", "min_annual"), 50) == "weights:\n  budget: 20\nbudget:\n  min_annual: 50  # x\n"
    flow = "budget: {min_annual: 10, currency: USD}\n"
    assert yaml.safe_load(set_value(flow, ("budget", "min_annual"), 50)) == {"budget": {"min_annual": 50, "currency": "USD"}}


def test_outcomes_are_checked_against_the_vocabulary() -> None:
    base = OutcomeIn(outcome="rejected", by="sal", via="console", lead_id=1)
    with pytest.raises(OutcomeError, match="reason or a note"):
        checked(base)
    with pytest.raises(OutcomeError, match="reason must be one of"):
        checked(OutcomeIn(**{**base.__dict__, "reason": "too_small"}))
    with pytest.raises(OutcomeError, match="outcome must be one of"):
        checked(OutcomeIn(**{**base.__dict__, "outcome": "maybe"}))
    with pytest.raises(OutcomeError, match="a reason goes with"):
        checked(OutcomeIn(**{**base.__dict__, "outcome": "held", "reason": "budget"}))
    ok = checked(OutcomeIn(**{**base.__dict__, "note": "  they  want\n a plugin  "}))
    assert ok.note == "they want a plugin" and ok.reason is None


def test_outcome_tokens_are_signed_purpose_bound_and_expire() -> None:
    links = Links("k" * 40, 3600)
    token = outcome_token(links, "m1@banter", "accepted", "greta@banter.example.com")
    read = read_outcome_token(links, token)
    assert (read.uid, read.outcome, read.rep_email) == ("m1@banter", "accepted", "greta@banter.example.com")
    assert read_outcome_token(links, outcome_token(links, "m1@banter", "accepted", "g@x")).nonce != read.nonce
    payload, stamp, sig = token.rsplit(".", 2)
    other = outcome_token(links, "m1@banter", "rejected", "greta@banter.example.com")
    for bad in (other.rsplit(".", 2)[0] + f".{stamp}.{sig}", token[:-2], "x" + token[1:]):
        with pytest.raises(LinkError):
            read_outcome_token(links, bad)
    with pytest.raises(LinkError) as err:
        read_outcome_token(links, links.make("meeting", "m1@banter"))  # a reschedule/cancel token
    assert err.value.reason == "invalid"
    with pytest.raises(LinkError) as err:
        read_outcome_token(Links("k" * 40, -1), token)
    assert err.value.reason == "expired"
    with pytest.raises(LinkError):
        read_outcome_token(Links("z" * 40, 3600), token)
    urls = outcome_urls(links, "https://banter.example.com", "m1@banter", "g@x")
    assert list(urls) == list(LINK_OUTCOMES) and all(u.startswith("https://banter.example.com/outcomes/") for u in urls.values())


def test_the_crm_signature_and_timestamp_are_checked() -> None:
    secret, now = "crm-secret-0123456789", datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    body = json.dumps({"meeting_uid": "m1@banter", "outcome": "won", "id": "evt-1"}).encode()
    stamp = str(int(now.timestamp()))
    verify(secret, stamp, "sha256=" + signature(secret, stamp, body), body, now)
    for args in [
        (stamp, "sha256=" + signature("other-secret-0123456", stamp, body), body),
        (stamp, "sha256=" + signature(secret, stamp, body), body + b" "),
        (str(int(now.timestamp()) - TOLERANCE_SECONDS - 1),
         "sha256=" + signature(secret, str(int(now.timestamp()) - TOLERANCE_SECONDS - 1), body), body),
        (None, None, body),
        ("soon", "sha256=x", body),
    ]:
        with pytest.raises(CrmError) as err:
            verify(secret, args[0], args[1], args[2], now)
        assert err.value.status == 401
    item = parse(body)
    assert (item.meeting_uid, item.outcome, item.nonce, item.via, item.by) == ("m1@banter", "won", "crm:evt-1", "crm", "crm")
    for bad, why in [(b"[1]", "JSON object"), (b"{", "not JSON"), (b'{"outcome": "won"}', "meeting_uid or lead_email"),
                     (b'{"lead_email": "a@b.c", "outcome": "won", "x": 1}', "unknown field")]:
        with pytest.raises(CrmError, match=why):
            parse(bad)
