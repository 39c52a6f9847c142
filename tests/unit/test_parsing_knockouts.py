"""Knock-outs and declines in the visitor's own words, without knocking out buyers."""

from __future__ import annotations

from datetime import date

import pytest

from bot.extract import extract_fields
from bot.parsing import detect_knockout, is_decline

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # students, British and American
        ("doing my master's", "student"),
        ("I'm doing my masters in marketing", "student"),
        ("final year at uni, writing about chatbots", "student"),
        ("I'm in my final year at university", "student"),
        ("it's for a class project", "student"),
        ("for a uni assignment", "student"),
        ("this is for my dissertation research", "student"),
        ("my thesis is on lead scoring", "student"),
        ("im a college student", "student"),
        # job seekers
        ("between jobs right now", "job_seeker"),
        ("looking for my next role in sales", "job_seeker"),
        ("do you have openings?", "job_seeker"),
        ("do you have any job openings", "job_seeker"),
        ("is there a vacancy?", "job_seeker"),
        ("any vacancies in sales?", "job_seeker"),
        ("Are you guys recruiting?", "job_seeker"),
        ("I was laid off and I'm looking for work", "job_seeker"),
        ("can I send you my CV", "job_seeker"),
        # vendors pitching
        ("we offer lead-gen services", "vendor_pitch"),
        ("We provide affordable SEO and link building", "vendor_pitch"),
        ("we could help you get more traffic", "vendor_pitch"),
        ("our agency can double your leads", "vendor_pitch"),
        ("I run an SEO agency and we'd love to help you rank higher", "vendor_pitch"),
        ("would you be interested in our services?", "vendor_pitch"),
        ("your website isn't mobile friendly, we can fix it", "vendor_pitch"),
    ],
)
def test_knockouts_in_their_own_words(text: str, kind: str) -> None:
    assert detect_knockout(text) == {"kind": kind}


@pytest.mark.parametrize(
    "text",
    [
        "we're a student recruitment company looking to qualify inbound leads",
        "our customers are university students",
        "we sell to students and schools",
        "I'm a recruiter and want this for my agency",
        "we're a recruitment agency, we place candidates into roles",
        "we're hiring a lot and need to route applicants faster",
        "looking for a job board integration",
        "we're looking for a role-based routing tool",
        "looking for work management software",
        "I'm looking for opportunities to automate our pipeline",
        "do you have any openings next week for a demo?",
        "we offer consulting services and need lead scoring",
        "can you help us get more traffic?",
        "I'd like to get a demo",
    ],
)
def test_buyers_are_not_knocked_out(text: str) -> None:
    assert detect_knockout(text) is None


@pytest.mark.parametrize(
    ("requested", "text"),
    [
        ("budget", "I'd rather keep our budget private"),
        ("budget", "Rather not disclose the budget"),
        ("budget", "I'm not comfortable sharing our budget at this stage"),
        ("company_size", "not comfortable sharing headcount"),
        ("company_size", "I don't want to share our headcount"),
        ("budget", "can't disclose that"),
        ("budget", "we'd prefer to keep that confidential"),
        ("timeline", "not at liberty to say"),
        ("role", "that's not something I can share"),
        ("name", "I'd rather keep it to myself"),
        ("budget", "I would rather not"),
        ("budget", "not sharing that, sorry"),
    ],
)
def test_declines_that_name_the_field(requested: str, text: str) -> None:
    assert is_decline(text)
    found = extract_fields(text, today=TODAY, requested=requested)
    assert found[requested].declined


@pytest.mark.parametrize(
    "text",
    [
        "we'd rather not spend more than 20k",
        "we keep our data private and need GDPR compliance",
        "we can't give you a number yet",
        "40k",
        "passion project",
    ],
)
def test_not_a_decline(text: str) -> None:
    assert not is_decline(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "We're a software agency offering dedicated teams from $25/hr. Could I get 15 mins with your CTO?",
            "vendor_pitch",
        ),
        ("we want to offer you our development team", "vendor_pitch"),
        ("CHEAP SEO BACKLINKS!!! 1000 high DA links for $5 >>> bit.ly/xx99links", "spam"),
    ],
)
def test_pitches_and_link_spam_even_with_an_amount_in_them(text: str, kind: str) -> None:

    found = extract_fields(text, today=date(2026, 11, 24), requested="need")
    assert found["knockout"].value == {"kind": kind}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("saw on linkedin you might be growing the sales team. any SDR openings?", "job_seeker"),
        ("currently between roles, was an SDR", "job_seeker"),
        (
            "we've got 2M verified B2B contacts and thought your sales team could put them to use",
            "vendor_pitch",
        ),
        ("EARN $5000/WEEK FROM HOME!!! no experience needed, visit cashflow-now.biz today", "spam"),
    ],
)
def test_more_non_buyers_in_their_own_words(text: str, kind: str) -> None:
    assert detect_knockout(text) == {"kind": kind}


@pytest.mark.parametrize(
    "text", ["any sales roles we should target?", "our sales team could use better leads"]
)
def test_buyers_talking_about_roles_and_teams_are_not_knocked_out(text: str) -> None:
    assert detect_knockout(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "honestly we can't tell which enquiries are worth a call",
        "the team can't say who is a real buyer",
        "we cannot tell serious people apart from browsers",
    ],
)
def test_cannot_tell_which_describes_a_problem_not_a_refusal(text: str) -> None:
    from bot.parsing.decline import is_decline

    assert not is_decline(text)
    assert is_decline("sorry, I can't tell you that")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("final year of my engineering degree so just curious", "student"),
        ("got any positions open in marketing? I'd love to work for you", "job_seeker"),
        (
            "would your team be interested in offshoring QA? we do it at a fraction of the cost",
            "vendor_pitch",
        ),
    ],
)
def test_knockouts_in_more_words(text: str, kind: str) -> None:
    from datetime import date

    from bot.extract import extract_fields

    assert extract_fields(text, today=date(2026, 11, 25))["knockout"].value == {"kind": kind}
