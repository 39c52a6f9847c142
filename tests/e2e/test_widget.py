"""The widget in real Chromium (Debian's, driven by Playwright) on the demo site.

Screenshots of the key states are saved to results/screenshots/ (README, "Browser tests");
those of the widget's states at 1280x800 and 390x844 are checked with axe-core and compared
with tests/e2e/baselines/ (tests/e2e/visual.py; `make update-screenshots` after an intended change).
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.settings import PROJECT_ROOT
from tests.e2e import visual
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


def teaser_after_rule(page: Any, url: str) -> None:
    """Open `url` (a page with a proactive rule) and let its 20 s pass: the teaser shows."""
    page.clock.install()
    page.goto(url)
    page.wait_for_selector(".bw-launch")
    page.clock.run_for(21000)
    page.wait_for_selector(".bw-teaser:not([hidden])", timeout=15000)


def test_proactive_teaser_on_pricing_never_after_dismissing(assistant: Assistant, browser: Any) -> None:
    page = browser.new_page()
    teaser_after_rule(page, assistant.web_url + "/pricing")
    assert page.locator(".bw").is_hidden()  # a teaser beside the launcher, not the panel
    # the playbook's proactive message (said by the assistant), shown in the teaser
    assert "Comparing plans?" in page.locator(".bw-teaser").inner_text()
    page.locator(".bw-teaser-x").click()
    assert page.locator(".bw-teaser").is_hidden() and page.locator(".bw").is_hidden()
    page.goto(assistant.web_url + "/pricing")
    page.clock.run_for(25000)
    page.wait_for_timeout(500)
    assert page.locator(".bw").is_hidden() and page.locator(".bw-teaser").is_hidden()
    page.close()


def test_proactive_on_mobile_is_a_teaser_and_the_panel_opens_on_a_tap(assistant: Assistant, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    teaser_after_rule(page, assistant.web_url + "/pricing")
    box = page.locator(".bw-teaser").bounding_box()
    assert page.locator(".bw").is_hidden()
    assert box["width"] <= 360 and box["height"] <= 220, box  # a bubble, never the whole screen
    launcher = page.locator(".bw-launch").bounding_box()
    assert box["y"] + box["height"] <= launcher["y"]  # beside (above) the launcher
    page.locator(".bw-teaser-open").tap()
    page.wait_for_selector(".bw:not([hidden])")
    assert "Comparing plans?" in page.locator(".bw-log").inner_text()
    assert page.locator(".bw-teaser").is_hidden()
    context.close()


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
    page.wait_for_selector("text=/stored leads re-scored|No scoring change/")  # an unchanged draft changes no score
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


# ---- polish, accessibility and mobile (issue 14) ----

DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}
SIZES = {"desktop": DESKTOP, "mobile": MOBILE}
START = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)  # timestamps read the same in every run


def new_context(browser: Any, size: str, **options: Any) -> Any:
    mobile = size == "mobile"
    return browser.new_context(viewport=SIZES[size], is_mobile=mobile, has_touch=mobile, locale="en-US",
                               timezone_id="Europe/Amsterdam", reduced_motion="reduce", **options)


def live_buttons(page: Any) -> Any:
    return page.locator(".bw-replies button:not([disabled]), .bw-slots button:not([disabled])")


def test_answered_quick_replies_are_marked_and_a_late_click_never_answers(
    assistant: Assistant, browser: Any
) -> None:
    context = new_context(browser, "desktop")
    page = context.new_page()
    open_widget(page, assistant.web_url + "/")
    sender = session_id(page)
    answer(page, "click", "Qualify leads")  # answered by a click: that button marked
    need = page.locator(".bw-replies").first
    assert need.locator("button:not([disabled])").count() == 0
    assert need.locator("button.bw-picked").inner_text().startswith("Qualify leads")
    assert "(answered)" in (need.get_attribute("aria-label") or "")
    answer(page, "type", "I'm the VP of Sales")  # answered by typing: the role buttons are retired too
    role = page.locator(".bw-replies").nth(1)
    assert role.locator("button:not([disabled])").count() == 0 and role.locator(".bw-picked").count() == 0
    assert assistant.requested_slot(sender) == "company_name"
    # a late click on an old button (even one made clickable again) is not an answer to the open question
    mine = page.locator(".bw-me").count()
    old = role.locator("button", has_text="Manager")
    old.evaluate("b => { b.disabled = false; }")
    old.click()
    page.wait_for_timeout(800)
    assert page.locator(".bw-me").count() == mine
    assert assistant.requested_slot(sender) == "company_name"
    # still marked after a reload
    page.reload()
    page.wait_for_selector(".bw:not([hidden])")
    assert page.locator(".bw-replies button.bw-picked").count() == 1
    assert live_buttons(page).count() == 0
    context.close()


def test_focus_stays_in_the_chat_after_a_quick_reply(assistant: Assistant, browser: Any) -> None:
    context = new_context(browser, "desktop")
    page = context.new_page()
    open_widget(page, assistant.web_url + "/")
    before = bot_count(page)
    live_buttons(page).filter(has_text="Qualify leads").focus()
    page.keyboard.press("Enter")
    wait_reply(page, before)
    assert page.evaluate("document.getElementById('banter-panel').contains(document.activeElement)")
    before = bot_count(page)
    live_buttons(page).filter(has_text="Manager").click()  # by mouse
    wait_reply(page, before)
    assert page.evaluate("document.activeElement.id") == "bw-input"
    page.keyboard.press("Escape")  # Esc still closes
    assert page.locator(".bw").is_hidden() and page.evaluate("document.activeElement.className") == "bw-launch"
    context.close()


def test_reload_on_mobile_shows_the_latest_message(assistant: Assistant, browser: Any) -> None:
    context = new_context(browser, "mobile")
    page = context.new_page()
    page.goto(assistant.web_url + "/")
    before = bot_count(page)
    page.locator(".bw-launch").tap()
    wait_reply(page, before)
    answer(page, "click", "Qualify leads")
    answer(page, "click", "VP / Director / Head of")
    answer(page, "type", "Widget Works")
    page.reload()
    page.wait_for_selector(".bw:not([hidden])")
    page.wait_for_timeout(300)
    at_end = "(l => l.scrollHeight - l.scrollTop - l.clientHeight < 4)(document.querySelector('.bw-log'))"
    assert page.evaluate("document.querySelector('.bw-log').scrollHeight > document.querySelector('.bw-log').clientHeight")
    assert page.evaluate(at_end)
    last = page.locator(".bw-bot").last.bounding_box()
    assert last["y"] + last["height"] <= page.locator(".bw-form").bounding_box()["y"] + 1  # the question is in view
    context.close()


def test_start_over_asks_first(assistant: Assistant, browser: Any) -> None:
    context = new_context(browser, "desktop")
    page = context.new_page()
    open_widget(page, assistant.web_url + "/")
    answer(page, "click", "Qualify leads")
    first = session_id(page)
    page.locator(".bw-head button[aria-label='Start over']").click()
    assert page.locator(".bw-confirm").is_visible() and page.evaluate("document.activeElement.textContent") == "Keep chatting"
    page.keyboard.press("Escape")  # cancels the question, keeps the chat open
    assert page.locator(".bw-confirm").is_hidden() and page.locator(".bw").is_visible()
    assert "Qualify leads" in page.locator(".bw-log").inner_text() and session_id(page) == first
    page.locator(".bw-head button[aria-label='Start over']").click()
    page.locator(".bw-confirm button", has_text="Keep chatting").click()
    assert "Qualify leads" in page.locator(".bw-log").inner_text()
    page.locator(".bw-head button[aria-label='Start over']").click()
    page.locator(".bw-confirm button", has_text="Start over").click()
    wait_until(page, "document.querySelectorAll('.bw-bot').length >= 1")
    wait_until(page, "JSON.parse(localStorage.getItem('banter.session') || 'null') !== null")
    assert page.locator(".bw-me").count() == 0 and session_id(page) != first
    context.close()


def test_touch_targets_text_box_and_contrast_on_mobile(assistant: Assistant, browser: Any) -> None:
    context = new_context(browser, "mobile")
    page = context.new_page()
    page.goto(assistant.web_url + "/")
    before = bot_count(page)
    page.locator(".bw-launch").tap()
    wait_reply(page, before)
    answer(page, "click", "Qualify leads")
    small = page.evaluate(
        """[...document.querySelectorAll('.bw-launch, .bw button, .bw textarea')]
             .filter(e => e.offsetParent !== null)
             .map(e => [e.getAttribute('aria-label') || e.textContent.trim(), e.getBoundingClientRect()])
             .filter(([, r]) => r.width < 44 || r.height < 44).map(([n, r]) => `${n}: ${r.width}x${r.height}`)"""
    )
    assert small == [], small
    assert page.evaluate("getComputedStyle(document.getElementById('bw-input')).fontSize") == "16px"
    ratio = page.evaluate(
        """(() => {
             const lum = c => { const [r, g, b] = c.match(/\\d+/g).slice(0, 3).map(v => v / 255)
               .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
               return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
             const t = document.querySelector('.bw-me .bw-time');
             const a = lum(getComputedStyle(t).color), b = lum(getComputedStyle(t.parentElement).backgroundColor);
             return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); })()"""
    )
    assert ratio >= 4.5, f"timestamps on the visitor's bubbles: {ratio:.2f}:1"
    context.close()


def test_who_is_there_reply_time_and_typing(assistant: Assistant, browser: Any) -> None:
    context = new_context(browser, "desktop")
    page = context.new_page()
    open_widget(page, assistant.web_url + "/")
    faces = page.locator(".bw-head .bw-faces")
    assert faces.locator(".bw-face").count() == 3  # the playbook's website.widget.team
    assert "Greta Lindqvist" in (faces.get_attribute("aria-label") or "")
    assert page.locator(".bw-eta").inner_text() == "Usually replies in a few seconds"
    # typing shows the moment a message is sent (the reply is on its way), gone when it arrives
    shown = page.evaluate(
        """(() => { const i = document.getElementById('bw-input'); i.value = 'We want to qualify leads';
             i.form.requestSubmit(); return !document.querySelector('.bw-typing').hidden; })()"""
    )
    assert shown
    wait_until(page, "document.querySelector('.bw-typing').hidden")
    page.evaluate("BanterWidget.typing(true, 'Greta')")  # the hook a human handoff can use
    assert page.locator(".bw-typing").inner_text() == "Greta is typing\u2026"
    page.evaluate("BanterWidget.typing(false)")
    assert page.locator(".bw-typing").is_hidden()
    context.close()


def test_time_zone_and_language_reach_the_assistant(assistant: Assistant, browser: Any) -> None:
    context = browser.new_context(timezone_id="Europe/Amsterdam", locale="nl-NL")
    page = context.new_page()
    open_widget(page, assistant.web_url + "/")
    events = [e for e in assistant.tracker(session_id(page))["events"] if e.get("event") == "user"]
    metadata = events[-1].get("metadata") or {}
    assert metadata.get("timezone") == "Europe/Amsterdam" and metadata.get("language") == "nl-NL", metadata
    context.close()


def test_links_in_answers_are_pages_of_the_demo_site(assistant: Assistant, browser: Any) -> None:
    from bot.playbook import load_playbook
    from bot.web.app import DEMO_PAGES

    page = browser.new_page()
    open_widget(page, assistant.web_url + "/")
    href = page.locator(".bw-bot a").first.get_attribute("href")
    assert href == assistant.web_url + "/privacy"  # the greeting's privacy notice
    playbook = load_playbook(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml")
    for path, title in playbook.linked_paths().items():  # each a page (its own, or one of the site's)
        with urllib.request.urlopen(assistant.web_url + path, timeout=10) as response:
            assert response.status == 200, path
            assert path in DEMO_PAGES or title in response.read().decode(), path
    page.goto(assistant.web_url + "/pricing")  # the plans the assistant quotes
    for plan in playbook.pricing.plans:
        assert plan.name in page.locator("main").inner_text()
    page.close()


def test_the_page_loads_nothing_from_third_parties(assistant: Assistant, browser: Any) -> None:
    context = new_context(browser, "mobile")
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("websocket", lambda socket: requests.append(socket.url))
    open_widget(page, assistant.web_url + "/pricing")
    answer(page, "click", "Qualify leads")
    page.goto(assistant.web_url + "/resources")
    page.wait_for_selector(".bw:not([hidden])")
    page.wait_for_timeout(500)
    hosts = {urllib.parse.urlsplit(url).hostname for url in requests}
    assert hosts == {"127.0.0.1"}, sorted(url for url in requests if "127.0.0.1" not in url)
    assert any("/socket.io/" in url for url in requests)
    context.close()


# What differs between runs is hidden (its place kept): the clock, and links holding the server's port.
UNSTABLE = ".bw-time, .bw-msg a { visibility: hidden !important; }"


def snapshot(page: Any, state: str, size: str) -> tuple[list[dict[str, Any]], visual.Comparison]:
    """axe on the widget, then a screenshot of it compared with the baseline of `state`-`size`."""
    name = f"{state}-{size}"
    page.mouse.move(0, 0)  # no hover effect in the picture
    page.wait_for_timeout(150)
    violations = visual.axe_violations(page)
    visual.record_axe(name, violations)
    boxes = [page.locator(s).bounding_box() for s in (".bw", ".bw-teaser", ".bw-launch")
             if page.locator(s).is_visible()]
    view = SIZES[size]
    left = max(0, min(b["x"] for b in boxes) - 8)
    top = max(0, min(b["y"] for b in boxes) - 8)
    right = min(view["width"], max(b["x"] + b["width"] for b in boxes) + 8)
    bottom = min(view["height"], max(b["y"] + b["height"] for b in boxes) + 8)
    png = page.screenshot(clip={"x": left, "y": top, "width": right - left, "height": bottom - top},
                          animations="disabled", caret="hide", style=UNSTABLE)
    return violations, visual.compare(name, png)


@pytest.mark.parametrize("size", ["desktop", "mobile"])
def test_widget_states_accessible_and_unchanged(assistant: Assistant, browser: Any, size: str) -> None:
    """axe-core (0 serious or critical) and a screenshot compared with its baseline, per key state."""
    results: dict[str, tuple[list[dict[str, Any]], visual.Comparison]] = {}
    context = new_context(browser, size)
    page = context.new_page()
    page.clock.install(time=START)
    open_widget(page, assistant.web_url + "/")
    results["greeting"] = snapshot(page, "greeting", size)
    answer(page, "click", "Qualify leads")
    results["buttons"] = snapshot(page, "buttons", size)
    answer(page, "type", "I'm the VP of Sales")
    results["answered"] = snapshot(page, "answered", size)
    page.evaluate("BanterWidget.typing(true)")
    results["typing"] = snapshot(page, "typing", size)
    page.evaluate("BanterWidget.typing(false)")
    page.locator(".bw-head button[aria-label='Start over']").click()
    results["start-over"] = snapshot(page, "start-over", size)
    context.close()
    context = new_context(browser, size)
    page = context.new_page()
    page.clock.install(time=START)
    page.goto(assistant.web_url + "/pricing")
    page.wait_for_selector(".bw-launch")
    page.clock.run_for(21000)
    page.wait_for_selector(".bw-teaser:not([hidden])", timeout=15000)
    page.wait_for_timeout(500)  # the rest of the greeting (the badge's count)
    results["teaser"] = snapshot(page, "teaser", size)
    context.close()
    problems = [
        f"{state}-{size}: axe {v['impact']} {v['id']} ({v['help']}) at {', '.join(v['nodes'][:3])}"
        for state, (violations, _) in results.items()
        for v in visual.serious(violations)
    ]
    problems += [comparison.message() for _, comparison in results.values() if comparison.failed]
    assert not problems, "\n".join(problems)
