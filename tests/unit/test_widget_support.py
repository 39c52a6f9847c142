"""What the server gives the chat widget: metadata checks, the country from a time zone, the
playbook's links as demo-site pages, and who the header shows."""

from __future__ import annotations

import pytest

from bot.channel_input import FIELDS, clean_metadata
from bot.identity import Identity
from bot.playbook import PlaybookError, parse_playbook
from bot.questions import country_for_time_zone, visitor_currency
from bot.settings import PROJECT_ROOT
from bot.web.app import DEMO_PAGES, FACE_COLOURS, site_pages, widget_presence

DEFAULT = (PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text()
IDS = Identity("k" * 40)


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("Europe/Amsterdam", "NL"),
        ("Europe/London", "GB"),
        ("America/Toronto", "CA"),
        ("America/Argentina/Buenos_Aires", "AR"),
        ("Asia/Calcutta", "IN"),  # an old name browsers still report
        ("Europe/Kiev", "UA"),
        ("UTC", None),
        ("Etc/GMT+2", None),
        ("Mars/Olympus_Mons", None),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_country_from_the_browsers_time_zone(zone: object, country: str | None) -> None:
    assert country_for_time_zone(zone) == country


def test_a_visitor_in_amsterdam_gets_euros_and_one_in_utc_the_playbooks_currency() -> None:
    playbook = parse_playbook(DEFAULT)
    assert visitor_currency(country_for_time_zone("Europe/Amsterdam"), playbook) == "EUR"
    assert visitor_currency(country_for_time_zone("UTC"), playbook) == playbook.budget.currency


def test_time_zone_and_language_metadata_are_bounded_and_shaped() -> None:
    sent = {"timezone": "Europe/Amsterdam", "time_zone": "America/Argentina/Buenos_Aires", "language": "nl-NL"}
    assert clean_metadata(sent, IDS) == (sent, [])
    for bad in ("<script>alert(1)</script>", "Europe/" + "x" * 70, "../../etc/passwd", "", 7, ["Europe/Paris"]):
        assert clean_metadata({"timezone": bad}, IDS) == ({}, ["timezone"]), bad
    for bad in ("english please", "x", "en-" + "a" * 40, {"lang": "en"}):
        assert clean_metadata({"language": bad}, IDS) == ({}, ["language"]), bad
    assert FIELDS["language"]("zh-Hant-TW") == "zh-Hant-TW"


def test_links_may_be_demo_site_paths_made_absolute_for_answers_and_emails() -> None:
    playbook = parse_playbook(DEFAULT)
    assert playbook.links.privacy_url == "/privacy"
    absolute = playbook.on_site("http://127.0.0.1:8000/")
    assert absolute.links.privacy_url == "http://127.0.0.1:8000/privacy"
    urls = [link.url for track in absolute.nurture.tracks.values() for step in track.steps for link in step.links]
    assert urls and all(url.startswith("http://127.0.0.1:8000/") for url in urls)
    assert playbook.links.privacy_url == "/privacy"  # the loaded playbook is unchanged
    full = parse_playbook(DEFAULT.replace("privacy_url: /privacy", "privacy_url: https://www.example.org/privacy"))
    assert full.on_site("http://x").links.privacy_url == "https://www.example.org/privacy"


@pytest.mark.parametrize("bad", ["privacy", "//evil.example/privacy", "javascript:alert(1)"])
def test_a_link_is_a_url_or_a_path(bad: str) -> None:
    with pytest.raises(PlaybookError, match="links.privacy_url"):
        parse_playbook(DEFAULT.replace("privacy_url: /privacy", f"privacy_url: {bad!r}"))


def test_the_demo_site_has_a_page_for_every_path_the_playbook_links() -> None:
    playbook = parse_playbook(DEFAULT)
    linked = playbook.linked_paths()
    served = dict(site_pages(playbook))
    assert {"/privacy", "/resources/roi-guide", "/learn", "/careers", "/pricing", "/demo"} <= set(linked)
    assert all(path in served or path in DEMO_PAGES for path in linked)
    assert served["/privacy"] == "Privacy notice" and served["/resources/roi-guide"] == "ROI guide"


def test_the_widget_header_shows_the_playbooks_team_and_reply_time() -> None:
    presence = widget_presence(parse_playbook(DEFAULT))
    assert presence["company"] == "Banter Demo Co" and presence["avatar"] is None
    assert [p["initials"] for p in presence["team"]] == ["GL", "DW", "SO"]
    assert all(p["colour"] in FACE_COLOURS and p["photo"] is None for p in presence["team"])
    assert presence["reply_time"] == "Usually replies in a few seconds"


def test_the_team_are_reps_and_the_reply_time_is_short() -> None:
    with pytest.raises(PlaybookError, match="Nobody Here"):
        parse_playbook(DEFAULT.replace("team: [Greta Lindqvist,", "team: [Nobody Here,"))
    with pytest.raises(PlaybookError, match="reply_time"):
        parse_playbook(DEFAULT.replace('reply_time: "Usually replies in a few seconds"', f'reply_time: "{"x" * 81}"'))
