"""Marketing edits the budget question in the console (real Chromium), sees the draft in the live
preview before saving, saves, and a visitor on the demo site then gets the new wording from the
running assistant: no retraining, no restart. Its own assistant, on a copy of the tests' playbook
(the console writes the file). Screenshots in results/screenshots/ (README, "Browser tests")."""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.playbook import load_playbook
from bot.settings import PROJECT_ROOT
from scripts.assistant_client import AssistantClient, running_assistant
from tests.e2e.conftest import TODAY

pytestmark = pytest.mark.e2e
playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = PROJECT_ROOT / "results" / "screenshots"
PASSWORD = secrets.token_urlsafe(16)
WORDING = "Is there a yearly budget set aside for this? A rough figure is fine."
#: Typed answers up to the budget question (a decision maker of a 200-person company in Germany).
BEFORE_BUDGET = ["We want to qualify leads on our website", "I'm the VP of Sales", "Widget Works",
                 "about 200 people", "software", "Germany"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AssistantClient, str, Path]]:
    tmp = tmp_path_factory.mktemp("question-editor")
    playbook = tmp / "playbook.yml"
    playbook.write_text((PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text(encoding="utf-8"))
    env = {"BANTER_TODAY": TODAY, "BANTER_PLAYBOOK": str(playbook),
           "BANTER_CONSOLE_USERS": f"mia:marketing:{PASSWORD}"}
    with running_assistant(tmp, env, worker=False) as settings:
        client = AssistantClient(base_url=f"http://127.0.0.1:{settings.rasa_port}", database_url=settings.database_url)
        yield client, settings.public_url, playbook


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs it (make test-e2e)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


def wait_until(page: Any, expression: str, timeout: float = 30000) -> None:
    """Poll from the test (the pages' Content-Security-Policy forbids Playwright's in-page eval)."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(100)


def test_marketing_edits_the_budget_question_and_a_visitor_sees_it(served: Any, browser: Any) -> None:
    client, web_url, playbook = served
    console = browser.new_page(viewport={"width": 1280, "height": 900})
    console.goto(web_url + "/console/login")
    console.fill("input[name=username]", "mia")
    console.fill("input[name=password]", PASSWORD)
    console.click("button[type=submit]")
    console.goto(web_url + "/console/questions")
    budget = console.locator("#q-budget textarea[name^=ask-]")
    budget.fill(WORDING)

    # the live preview talks to the draft (nothing saved yet)
    for message in BEFORE_BUDGET:
        count = console.locator("#preview-log .pv").count()
        console.fill("#preview-input", message)
        console.press("#preview-input", "Enter")
        wait_until(console, f"document.querySelectorAll('#preview-log .pv').length > {count + 1}")
    wait_until(console, "[...document.querySelectorAll('#preview-log .pv-bot')].some("
                        f"e => e.textContent.includes({WORDING[:30]!r}))")
    console.screenshot(path=str(SHOTS / "10-question-editor-preview.png"))
    assert load_playbook(playbook).question_registry().spec("budget").ask != WORDING

    console.click("button[name=action][value=save]")
    console.wait_for_selector("p.ok[role=status]")
    assert "the assistant uses it from the next message" in console.locator("p.ok[role=status]").inner_text()
    assert "No scoring change" in console.locator("section[aria-label=What-if]").inner_text()
    assert load_playbook(playbook).question_registry().spec("budget").ask == WORDING
    console.close()

    visitor = browser.new_context().new_page()
    visitor.goto(web_url + "/")
    visitor.locator(".bw-launch").click()
    wait_until(visitor, "document.querySelectorAll('.bw-bot').length > 0")
    for message in BEFORE_BUDGET:
        count = visitor.locator(".bw-bot").count()
        visitor.fill("#bw-input", message)
        visitor.press("#bw-input", "Enter")
        wait_until(visitor, f"document.querySelectorAll('.bw-bot').length > {count}")
    wait_until(visitor, f"[...document.querySelectorAll('.bw-bot')].some(e => e.textContent.includes({WORDING[:30]!r}))")
    visitor.screenshot(path=str(SHOTS / "11-visitor-sees-the-new-wording.png"))
    assert WORDING in visitor.locator(".bw-bot").last.inner_text()
    visitor.close()
