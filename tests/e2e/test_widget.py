"""The widget in real Chromium (Debian's, driven by Playwright) on the demo site.

Screenshots of the key states are saved to results/screenshots/ (README, "Browser tests").
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import PROJECT_ROOT
from tests.e2e.conftest import Assistant

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = PROJECT_ROOT / "results" / "screenshots"

ANSWERS: dict[str, tuple[str, str]] = {
    "need": ("click", "Qualify leads"),
    "role": ("click", "VP / Director / Head of"),
    "company_name": ("type", "Widget Works"),
    "company_size": ("type", "about 200 people"),
    "industry": ("type", "software"),
    "country": ("type", "Germany"),
    "budget": ("type", "around 40k a year"),
    "timeline": ("type", "next month"),
    "other_deciders": ("type", "just me"),
    "consent": ("click", "Yes"),
    "name": ("type", "Wendy Widget"),
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs it (make test-e2e)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def session_id(page: Any) -> str:
    return json.loads(page.evaluate("localStorage.getItem('banter.session')") or "null") or ""


def bot_count(page: Any) -> int:
    return int(page.locator(".bw-bot").count())


def wait_until(page: Any, expression: str, timeout: float = 30000) -> None:
    """Poll `expression` from the test (the pages' Content-Security-Policy forbids the in-page
    eval that Playwright's wait_for_function uses)."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(100)


def wait_reply(page: Any, before: int) -> None:
    wait_until(page, f"document.querySelectorAll('.bw-bot').length > {before}")
    page.wait_for_timeout(400)  # the rest of a multi-message reply


def answer(page: Any, how: str, value: str, keyboard: bool = False) -> None:
    before = bot_count(page)
    if how == "click":
        button = page.locator(".bw-replies button:not([disabled]), .bw-slots button:not([disabled])").filter(
            has_text=value).first
        if keyboard:
            button.focus()
            page.keyboard.press("Enter")
        else:
            button.click()
    else:
        page.locator("#bw-input").fill(value)
        page.keyboard.press("Enter")
    wait_reply(page, before)


def qualify(page: Any, assistant: Assistant, email: str, keyboard: bool = False) -> str:
    """Answer every question through the widget; returns the conversation's sender id."""
    for _ in range(20):
        sender = session_id(page)
        slot = assistant.requested_slot(sender) if sender else None
        if slot is None and sender and assistant.lead(sender):
            return sender
        if slot is None:
            page.wait_for_timeout(300)
            continue
        how, value = ("type", email) if slot == "email" else ANSWERS[slot]
        answer(page, how, value, keyboard)
    raise AssertionError(page.locator(".bw-log").inner_text())


def open_widget(page: Any, url: str) -> None:
    page.goto(url)
    before = bot_count(page)
    page.locator(".bw-launch").click()
    wait_reply(page, before)


def test_qualify_and_book_in_the_widget_then_reload(assistant: Assistant, browser: Any) -> None:
    page = browser.new_page(timezone_id="Europe/Berlin")
    open_widget(page, assistant.web_url + "/?utm_source=newsletter&utm_campaign=winter")
    shot(page, "01-greeting")
    assert "Banter Demo Co" in page.locator(".bw-bot").first.inner_text()
    answer(page, "click", "Qualify leads")
    answer(page, "click", "VP / Director / Head of")
    # reload in the middle: the conversation and the open question are still there
    page.reload()
    page.wait_for_selector(".bw:not([hidden])", timeout=10000)
    assert "Qualify leads" in page.locator(".bw-log").inner_text()
    shot(page, "02-after-reload")
    sender = qualify(page, assistant, "wendy@widget-works.com")
    page.wait_for_selector(".bw-slots button", timeout=30000)
    shot(page, "03-slot-picker")
    assert "times in Europe/Berlin" in page.locator(".bw-log").inner_text()
    slot = page.locator(".bw-slots button:not(.bw-other)").nth(1)
    answer(page, "click", slot.inner_text())
    answer(page, "click", "Yes, book it")
    shot(page, "04-booked")
    assert "Booked:" in page.locator(".bw-bot").last.inner_text()
    lead = assistant.lead(sender)
    assert lead is not None and lead["grade"] == "qualified" and lead["meetings"][0]["status"] == "booked"
    assert lead["meetings"][0]["visitor_time_zone"] == "Europe/Berlin"
    assert lead["conversations"][0]["utm"] == {"utm_source": "newsletter", "utm_campaign": "winter"}
    page.close()


def test_pricing_page_visit_counts_in_the_stored_score(assistant: Assistant, browser: Any) -> None:
    page = browser.new_page()
    page.goto(assistant.web_url + "/pricing")
    page.goto(assistant.web_url + "/blog/qualifying-website-leads")
    open_widget(page, assistant.web_url + "/contact")
    sender = qualify(page, assistant, "pat@pricing-visitor.com")
    lead = assistant.lead(sender)
    assert lead is not None
    criteria = {c["name"]: c for c in lead["score_history"][-1]["criteria"]}
    assert criteria["signal:pricing_page"]["points"] == 10 and criteria["signal:blog"]["points"] == 2
    shot(page, "05-pricing-visitor")
    page.close()


def test_proactive_open_on_pricing_never_after_closing(assistant: Assistant, browser: Any) -> None:
    page = browser.new_page()
    page.clock.install()
    page.goto(assistant.web_url + "/pricing")
    page.wait_for_selector(".bw-launch")
    page.clock.run_for(21000)
    page.wait_for_selector(".bw:not([hidden])", timeout=10000)
    page.locator(".bw-head button[aria-label='Close chat']").click()
    page.goto(assistant.web_url + "/pricing")
    page.clock.run_for(25000)
    page.wait_for_timeout(500)
    assert page.locator(".bw").is_hidden()
    page.close()


def test_keyboard_only(assistant: Assistant, browser: Any) -> None:
    page = browser.new_page()
    page.goto(assistant.web_url + "/")
    page.wait_for_selector(".bw-launch")
    for _ in range(12):  # tab through the page to the launcher
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.className") == "bw-launch":
            break
    before = bot_count(page)
    page.keyboard.press("Enter")
    wait_reply(page, before)
    assert page.evaluate("document.activeElement.id") == "bw-input"
    assert page.locator(".bw-log").get_attribute("aria-live") == "polite"
    sender = qualify(page, assistant, "kim@keyboard-only.com", keyboard=True)
    assert assistant.lead(sender) is not None
    page.keyboard.press("Escape")
    assert page.locator(".bw").is_hidden() and page.evaluate("document.activeElement.className") == "bw-launch"
    shot(page, "06-keyboard-closed")
    page.close()


def test_mobile_viewport(assistant: Assistant, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    open_widget(page, assistant.web_url + "/")
    box = page.locator(".bw").bounding_box()
    assert box["width"] >= 389 and box["height"] >= 800  # full screen on a phone
    shot(page, "07-mobile")
    context.close()


def test_server_down_then_back_loses_nothing(assistant: Assistant, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    open_widget(page, assistant.web_url + "/")
    sender = session_id(page)
    context.set_offline(True)
    page.wait_for_selector(".bw-status:not([hidden])", timeout=30000)
    shot(page, "08-offline")
    page.locator("#bw-input").fill("We want to qualify leads on our website")
    page.keyboard.press("Enter")
    context.set_offline(False)
    page.wait_for_selector(".bw-status", state="hidden", timeout=60000)
    wait_until(page, "document.querySelectorAll('.bw-bot').length >= 3", timeout=60000)
    tracker = assistant.tracker(sender)
    assert tracker["slots"]["need"]["value"]["use_case"] == "lead_qualification"
    context.close()


def test_widget_is_small_and_served_without_third_parties(assistant: Assistant) -> None:
    import gzip

    with urllib.request.urlopen(assistant.web_url + "/widget.js", timeout=10) as response:
        body = response.read()
    size = len(gzip.compress(body))
    (SHOTS.parent / "widget-size.txt").write_text(f"widget.js {len(body)} bytes, {size} bytes gzipped\n")
    assert size <= 30 * 1024
    with urllib.request.urlopen(assistant.web_url + "/vendor/socket.io.min.js", timeout=10) as response:
        assert response.status == 200


def test_console_in_chromium_every_page(assistant: Assistant, browser: Any) -> None:
    """Log in as marketing, open each console page, save a screenshot of each."""
    from bot.console.auth import dev_credentials

    name, _, password = next(e.split(":", 2) for e in dev_credentials() if e.startswith("marketing:"))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(assistant.web_url + "/console/")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/overview")
    wait_until(page, "window.Chart !== undefined")
    shot(page, "10-console-overview")
    assert "Funnel" in page.content() and page.locator("canvas").count() >= 3
    page.goto(assistant.web_url + "/console/leads")
    shot(page, "11-console-leads")
    first = page.locator("table[aria-label=Leads] a").first
    if first.count():
        first.click()
        page.wait_for_selector("text=Score explanation")
        shot(page, "12-console-lead")
    page.goto(assistant.web_url + "/console/meetings")
    shot(page, "13-console-meetings")
    page.goto(assistant.web_url + "/console/playbook")
    page.click("button[value=preview]")
    page.wait_for_selector("text=stored leads re-scored")
    shot(page, "14-console-what-if")
    page.close()


def test_two_tabs_share_one_conversation(assistant: Assistant, browser: Any) -> None:
    context = browser.new_context()
    first = context.new_page()
    open_widget(first, assistant.web_url + "/")
    second = context.new_page()
    second.goto(assistant.web_url + "/contact")
    second.locator(".bw-launch").click()
    second.wait_for_selector(".bw-bot")  # the conversation so far is there
    assert session_id(second) == session_id(first)
    assert "Banter Demo Co" in second.locator(".bw-log").inner_text()
    before = bot_count(second)
    second.locator("#bw-input").fill("We want to qualify leads on our website")
    second.keyboard.press("Enter")
    wait_reply(second, before)
    wait_until(first, "document.querySelector('.bw-log').innerText.includes('qualify leads on our website')",
               timeout=10000)
    history = json.loads(first.evaluate("localStorage.getItem('banter.log')"))
    texts = [e.get("text") for e in history if e["kind"] == "bot"]
    assert len(texts) == len(set(texts)), texts  # each reply stored once, not once per tab
    context.close()
