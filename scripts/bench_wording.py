"""Benchmark: from saving a wording change in the console to the next reply that uses it.

Starts the real assistant (Rasa server, action server, web app with the console) on throw-away
databases and a copy of the tests' playbook, logs in to the console as marketing, and then,
`--rounds` times: a visitor's conversation is brought to the question before the budget
question; marketing saves a new wording of the budget question through the console's question
editor (the real form POST: validation, what-if, history, file write); the visitor answers and
the assistant's reply asks the budget question. Measured: from the start of the save to the
reply that carries the new wording (the save's own duration shown apart). A reply with the old
wording would be retried on a fresh conversation until the new one shows (it never was).

Usage: scripts/bench_wording.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import html
import http.cookiejar
import re
import secrets
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.assistant_client import AssistantClient, running_assistant  # noqa: E402

#: A decision maker of a 200-person company, up to the question before the budget (country).
BEFORE_BUDGET = [
    "hi",
    "We want to qualify leads on our website",
    "I'm the VP of Sales",
    "Acme Robotics",
    "about 200 people",
    "manufacturing",
]
LAST_ANSWER = "Germany"  # answers the country question: the reply asks the budget


class Console:
    """The console as a browser uses it: a cookie jar, the login form, the question editor's form."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def _open(self, path: str, data: dict[str, str] | None = None) -> str:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        with self.opener.open(self.base_url + path, data=body, timeout=120) as response:
            return str(response.read().decode("utf-8"))

    def log_in(self, user: str, password: str) -> None:
        page = self._open("/console/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token, "no login form"
        self._open("/console/login", {"csrf": token.group(1), "username": user, "password": password})

    def questions_form(self) -> dict[str, str]:
        """The question editor's fields, as the browser would send them."""
        page = self._open("/console/questions")
        form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
        form |= dict(re.findall(r'<input type="number" name="([^"]+)" value="([^"]*)"', page))
        form |= {
            name: "1" for name in re.findall(r'<input type="checkbox" name="([^"]+)" value="1" checked', page)
        }
        form |= {
            name: html.unescape(value)
            for name, value in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S)
        }
        return form

    def save_wording(self, form: dict[str, str], key: str, wording: str) -> str:
        """Set `key`'s wording in the editor's `form` and press Save; the page's notice."""
        index = next(
            name.split("-", 1)[1] for name, value in form.items() if name.startswith("key-") and value == key
        )
        page = self._open("/console/questions", {**form, f"ask-{index}": wording, "action": "save"})
        assert "the assistant uses it from the next message" in page, "the save was refused"
        return page


def at_the_question_before_budget(client: AssistantClient) -> str:
    sender = f"bench-wording-{uuid.uuid4().hex[:10]}"
    for message in BEFORE_BUDGET:
        client.say(sender, message)
    assert client.requested_slot(sender) == "country", client.transcripts[sender]
    return sender


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    password = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="banter-wording-") as tmp:
        playbook = Path(tmp) / "playbook.yml"
        playbook.write_text(
            (ROOT / "tests" / "fixtures" / "playbook.yml").read_text(encoding="utf-8"), encoding="utf-8"
        )
        env = {"BANTER_PLAYBOOK": str(playbook), "BANTER_CONSOLE_USERS": f"mia:marketing:{password}"}
        with running_assistant(Path(tmp), env, worker=False) as settings:
            client = AssistantClient(
                base_url=f"http://127.0.0.1:{settings.rasa_port}", database_url=settings.database_url
            )
            console = Console(f"http://127.0.0.1:{settings.web_port}")
            console.log_in("mia", password)
            totals, saves, retries = [], [], 0
            for round_ in range(1, args.rounds + 1):
                wording = f"Round {round_}: what yearly budget do you have in mind for this?"
                sender = at_the_question_before_budget(client)
                form = console.questions_form()  # marketing has the editor open
                started = time.perf_counter()
                console.save_wording(form, "budget", wording)
                saved = time.perf_counter()
                while True:
                    replies = client.say(sender, LAST_ANSWER)
                    if any(wording in reply for reply in replies):
                        break
                    retries += 1  # the old wording: try again on a fresh conversation
                    sender = at_the_question_before_budget(client)
                done = time.perf_counter()
                totals.append(done - started)
                saves.append(saved - started)
                print(
                    f"round {round_}: save {1000 * (saved - started):.0f} ms, "
                    f"save -> reply with the new wording {1000 * (done - started):.0f} ms",
                    flush=True,
                )
    print(
        f"\nsaving a wording change -> the next reply using it, {args.rounds} rounds: "
        f"median {1000 * statistics.median(totals):.0f} ms, max {1000 * max(totals):.0f} ms "
        f"(the console's save alone: median {1000 * statistics.median(saves):.0f} ms); "
        f"replies still in the old wording: {retries}"
    )
    return 0 if max(totals) <= 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
