"""Fault tests: a process dies or a store goes away mid-conversation, and nothing is lost.

The one-machine deployment runs as `make run` runs it (`banter run`, supervised, SQLite);
the scaled stores (PostgreSQL tracker and lead store, Redis lock store, endpoints.scaled.yml)
run on this machine's PostgreSQL and Redis, stopped and started with their service
commands (skipped where that is not possible). The visitor behaves as the widget does:
on a connection error or "please send that again" it sends the same message again after
a second. Each fault is counted: answers lost (an answer the visitor gave that the lead
does not hold, or a message that got no reply at all), duplicate leads, double bookings,
emails delivered twice, and the seconds until the conversation went on. The table is
printed and written to results/faults.json.
"""

from __future__ import annotations

import contextlib
import email
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.runner import action_server_cmd, banter_cmd, child_env, rasa_server_cmd, stop, wait_for
from bot.settings import PROJECT_ROOT, load_settings
from bot.supervise import ProcessSpec
from bot.transcripts import load_transcript
from scripts.assistant_client import GENEROUS_LIMITS, AssistantClient, free_port
from tests.e2e.test_conversations import BUYER

pytestmark = pytest.mark.e2e

SEND_AGAIN = "please send that again in a moment"
TODAY = "2026-11-24"
PG_ADMIN_URL = os.environ.get("BANTER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
RESULTS = PROJECT_ROOT / "results" / "faults.json"
FIELDS = ("need", "role", "company_name", "company_size", "industry", "country", "budget", "timeline", "email")
TABLE: dict[str, dict[str, Any]] = {}
# Rate limits are not what these tests are about: one test client makes every conversation.
NO_LIMITS = GENEROUS_LIMITS


# --- the visitor -------------------------------------------------------------------------


@dataclass
class Visitor:
    """A visitor who resends after an error or an apology, as the widget does; counts what happened."""

    chat: AssistantClient
    persona: dict[str, str]
    sender: str = field(default_factory=lambda: f"fault-{uuid.uuid4().hex[:10]}")
    apologies: int = 0
    transport_errors: int = 0
    silent: int = 0  # replies with no text at all: the visitor would not know to send again
    reasked_after_reply: int = 0  # an answer acknowledged with a normal reply, then asked again
    apology_seconds: list[float] = field(default_factory=list)
    last: list[dict[str, Any]] = field(default_factory=list)

    def send(self, message: str, *, give_up_after: float = 240) -> list[dict[str, Any]]:
        """Send until the assistant answers normally; return that answer."""
        deadline = time.monotonic() + give_up_after
        while True:
            assert time.monotonic() < deadline, f"no normal answer to {message!r} in {give_up_after} s"
            started = time.monotonic()
            try:
                replies = self.chat.messages(self.sender, message)
            except (urllib.error.URLError, ConnectionError, HTTPException, TimeoutError):
                self.transport_errors += 1
                time.sleep(1)
                continue
            texts = [r.get("text") or "" for r in replies]
            if any(SEND_AGAIN in t for t in texts):
                self.apologies += 1
                self.apology_seconds.append(time.monotonic() - started)
                time.sleep(1)
                continue
            if not any(texts) and not any(r.get("buttons") for r in replies):
                self.silent += 1
            self.last = replies
            return replies

    def api(self, call: Callable[[], Any], give_up_after: float = 240) -> Any:
        """Rasa's HTTP API, retried while Rasa restarts."""
        deadline = time.monotonic() + give_up_after
        while True:
            try:
                return call()
            except (urllib.error.URLError, ConnectionError, HTTPException, TimeoutError):
                assert time.monotonic() < deadline, "Rasa's HTTP API did not come back"
                time.sleep(1)

    def requested_slot(self) -> str | None:
        return self.api(lambda: self.chat.requested_slot(self.sender))  # type: ignore[no-any-return]

    def converse(self, fault_at: str | None = None, fault: Callable[[], None] | None = None) -> float | None:
        """Answer every question; run `fault` when `fault_at` is first asked. Seconds to recover."""
        self.send("hi")
        answered: set[str] = set()
        recovery = None
        for _ in range(40):
            slot = self.requested_slot()
            if slot is None:
                return recovery
            if slot in answered and slot != "readback":
                self.reasked_after_reply += 1
            answered.add(slot)
            if slot == fault_at and fault is not None and recovery is None:
                started = time.monotonic()
                fault()
                self.send(self.persona[slot])
                recovery = time.monotonic() - started
                continue
            assert slot in self.persona, f"unexpected question {slot!r}: {self.chat.transcripts[self.sender]}"
            self.send(self.persona[slot])
        raise AssertionError(f"conversation did not finish: {self.chat.transcripts[self.sender]}")

    def book(self) -> None:
        """Pick the first offered time and confirm it."""
        slots = [b for m in self.last for b in m.get("buttons") or [] if b["payload"].startswith("/choose_slot")]
        assert slots, f"no times offered: {self.chat.transcripts[self.sender]}"
        self.send(slots[0]["payload"])
        booked = self.send("/confirm_slot")
        assert booked[0]["text"].startswith("Booked:"), booked

    def answers_lost(self) -> int:
        lead = self.chat.lead(self.sender)
        held = set((lead or {}).get("answers", {})) | ({"email"} if lead and lead.get("email") else set())
        return len([f for f in FIELDS if f not in held]) + self.silent + self.reasked_after_reply


# --- counting ----------------------------------------------------------------------------


def store_counts(database_url: str, emails: list[str]) -> tuple[int, int]:
    """(duplicate leads of these visitors, double bookings) in the lead store."""
    engine = create_engine(database_url, future=True)
    try:
        with engine.connect() as c:
            duplicates = 0
            for address in emails:
                rows = c.execute(
                    text("SELECT count(*) FROM leads WHERE lower(email) = :e OR lower(candidate_email) = :e"),
                    {"e": address.lower()},
                ).scalar_one()
                duplicates += max(rows - 1, 0)
            same_time = c.execute(
                text(
                    "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM meetings WHERE status = 'booked' "
                    "GROUP BY rep_email, start_at) AS t"
                )
            ).scalar_one()
            per_lead = c.execute(
                text(
                    "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM meetings WHERE status = 'booked' "
                    "GROUP BY lead_id) AS t"
                )
            ).scalar_one()
        return duplicates, int(same_time) + int(per_lead)
    finally:
        engine.dispose()


def delivered(mail_dir: Path) -> Counter[str]:
    """Message-ID -> how many times the SMTP server received it."""
    folder = mail_dir / "new"
    ids: Counter[str] = Counter()
    for path in folder.glob("*") if folder.exists() else []:
        ids[email.message_from_bytes(path.read_bytes())["Message-ID"] or path.name] += 1
    return ids


def outbox_pending(database_url: str) -> int:
    engine = create_engine(database_url, future=True)
    try:
        with engine.connect() as c:
            return int(c.execute(text("SELECT count(*) FROM outbox WHERE kind = 'email' AND status != 'sent'")).scalar_one())
    finally:
        engine.dispose()


def record(
    fault: str,
    visitor: Visitor,
    database_url: str,
    recovery: float | None,
    emails_twice: int = 0,
    first_answer: float | None = None,
) -> dict[str, Any]:
    duplicates, double = store_counts(database_url, [visitor.persona["email"]])
    row = {
        "answers_lost": visitor.answers_lost(),
        "duplicate_leads": duplicates,
        "double_bookings": double,
        "emails_twice": emails_twice,
        "recovery_seconds": None if recovery is None else round(recovery, 1),
        "first_answer_seconds": None if first_answer is None else round(first_answer, 1),  # the apology, during the fault
        "apologies": visitor.apologies,
        "transport_errors": visitor.transport_errors,
    }
    TABLE[fault] = row
    return row


def assert_nothing_lost(row: dict[str, Any]) -> None:
    assert (row["answers_lost"], row["duplicate_leads"], row["double_bookings"], row["emails_twice"]) == (0, 0, 0, 0), row


@pytest.fixture(scope="module", autouse=True)
def fault_table(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if not TABLE:
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    rows = {**previous.get("faults", {}), **TABLE}
    RESULTS.write_text(json.dumps({"measured": time.strftime("%Y-%m-%d"), "faults": rows}, indent=2) + "\n")
    header = f"{'fault':<44} {'lost':>5} {'dup leads':>9} {'double bk':>9} {'emails 2x':>9} {'recovery s':>10}"
    lines = [header, "-" * len(header)]
    for fault, row in rows.items():
        recovery = "-" if row["recovery_seconds"] is None else f"{row['recovery_seconds']:.1f}"
        lines.append(
            f"{fault:<44} {row['answers_lost']:>5} {row['duplicate_leads']:>9} {row['double_bookings']:>9} "
            f"{row['emails_twice']:>9} {recovery:>10}"
        )
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print("\n" + "\n".join([*lines, f"(written to {RESULTS.relative_to(PROJECT_ROOT)})"]), flush=True)


# --- `banter run` on SQLite, supervised ------------------------------------------------------


@dataclass
class Running:
    """`banter run` in a subprocess, with its console output and an SMTP server the test controls."""

    proc: subprocess.Popen[bytes]
    console: Path
    env: dict[str, str]
    chat: AssistantClient
    mail_dir: Path
    smtp: subprocess.Popen[bytes] | None = None

    def pid(self, name: str) -> int:
        """The current pid of a supervised process, from the console (started / restarted lines)."""
        found = re.findall(rf"==> (?:started|restarted) {name} \(pid (\d+)\)", self.console.read_text())
        assert found, self.console.read_text()
        return int(found[-1])

    def wait_restarted(self, name: str, old_pid: int, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid(name) != old_pid:
                return self.pid(name)
            time.sleep(0.2)
        raise AssertionError(f"{name} was not restarted: {self.console.read_text()[-2000:]}")

    def start_smtp(self) -> None:
        self.smtp = subprocess.Popen(banter_cmd("mailserver"), cwd=PROJECT_ROOT, env=self.env, stdout=subprocess.DEVNULL)
        wait_for_port(int(self.env["SMTP_PORT"]), 30)

    def stop_smtp(self) -> None:
        if self.smtp is not None:
            stop([self.smtp])
            self.smtp = None


def wait_for_port(port: int, timeout: float) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    if not (PROJECT_ROOT / "models" / "banter.tar.gz").exists():
        pytest.fail("no trained model: run `make train`")
    tmp = tmp_path_factory.mktemp("faults")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'leads.db'}",
        "TRACKER_DB": str(tmp / "tracker.db"),
        "RASA_PORT": str(free_port()),
        "ACTIONS_PORT": str(free_port()),
        "WEB_PORT": str(free_port()),
        "SMTP_HOST": "127.0.0.1",  # an SMTP server this test starts and stops
        "SMTP_PORT": str(free_port()),
        "BANTER_MAIL_DIR": str(tmp / "mail"),
        "RASA_API_TOKEN": uuid.uuid4().hex,
        "BANTER_REST_TOKEN": uuid.uuid4().hex,
        "BANTER_PLAYBOOK": str(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml"),
        "BANTER_TODAY": TODAY,
        "PYTHONUNBUFFERED": "1",
        **NO_LIMITS,
    }
    env.pop("BANTER_ACTION_TIMEOUT", None)  # the default deadline, as `make run` has it
    subprocess.run(banter_cmd("migrate"), cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)
    console = tmp / "console.txt"
    with console.open("wb") as out:
        proc = subprocess.Popen(
            banter_cmd("run"), cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    chat = AssistantClient(
        base_url=f"http://127.0.0.1:{env['RASA_PORT']}", database_url=env["DATABASE_URL"],
        api_token=env["RASA_API_TOKEN"], rest_token=env["BANTER_REST_TOKEN"],
    )  # fmt: skip
    state = Running(proc=proc, console=console, env=env, chat=chat, mail_dir=tmp / "mail")
    try:
        state.start_smtp()
        deadline = time.monotonic() + 420
        while "Banter is running." not in console.read_text():
            assert proc.poll() is None, console.read_text()
            assert time.monotonic() < deadline, console.read_text()
            time.sleep(1)
        yield state
    finally:
        state.stop_smtp()
        proc.send_signal(signal.SIGTERM)  # as Ctrl-C: banter run stops every process
        try:
            proc.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def persona(name: str) -> dict[str, str]:
    return {**BUYER, "name": f"{name.title()} Fault", "email": f"{name}-{uuid.uuid4().hex[:6]}@acmerobotics.com"}


def test_a_hung_action_server_gets_the_visitor_a_prompt_answer_and_keeps_the_message(running: Running) -> None:
    visitor = Visitor(running.chat, persona("hung"))
    actions = running.pid("actions")
    box: dict[str, float] = {}

    def hang() -> None:
        os.kill(actions, signal.SIGSTOP)  # still accepts connections (the kernel does), never answers
        box["stopped"] = time.monotonic()
        try:
            started = time.monotonic()
            replies = running.chat.messages(visitor.sender, visitor.persona["company_size"])
            box["answered_in"] = time.monotonic() - started
            box["texts"] = [r.get("text") or "" for r in replies]  # type: ignore[assignment]
        finally:
            os.kill(actions, signal.SIGCONT)

    recovery = visitor.converse(fault_at="company_size", fault=hang)
    assert box["texts"] == ["Sorry, that took too long on my side; please send that again in a moment."], box  # type: ignore[comparison-overlap]
    assert box["answered_in"] <= 8 + 4, box  # the 8 s deadline, plus this shared machine's slack
    # The message stays in the tracker and the console's transcript, with the apology after it.
    settings = load_settings(running.env)
    lines = [(line.who, line.text) for line in load_transcript(create_engine(settings.tracker_url), visitor.sender)]
    at = lines.index(("visitor", visitor.persona["company_size"]))
    assert lines[at + 1] == ("assistant", box["texts"][0])  # type: ignore[index]
    # as sent, and as sent again after each apology
    assert lines.count(("visitor", visitor.persona["company_size"])) == 2 + visitor.apologies, lines
    visitor.book()
    visitor.apologies += 1  # the one answered during the hang
    row = record("action server hung (SIGSTOP)", visitor, running.env["DATABASE_URL"], recovery, first_answer=box["answered_in"])
    assert_nothing_lost(row)
    assert running.pid("actions") == actions  # hung is not dead: nothing was restarted


def test_the_action_server_killed_mid_conversation_is_restarted(running: Running) -> None:
    visitor = Visitor(running.chat, persona("actions"))
    old = running.pid("actions")

    def kill() -> None:
        os.kill(old, signal.SIGKILL)

    recovery = visitor.converse(fault_at="industry", fault=kill)
    new = running.wait_restarted("actions", old)
    assert new != old
    restart_line = rf"actions \(pid {old}\) exited with signal 9 \(SIGKILL\); restarting in \d+ s"
    assert re.search(restart_line, running.console.read_text())  # on the console
    assert re.search(restart_line, (PROJECT_ROOT / "var" / "log" / "supervisor.log").read_text())  # and in var/log
    visitor.book()
    row = record("action server killed (kill -9)", visitor, running.env["DATABASE_URL"], recovery)
    assert_nothing_lost(row)
    assert visitor.apologies >= 1  # the visitor was told, not left waiting


def test_rasa_killed_mid_conversation_is_restarted_and_the_conversation_goes_on(running: Running) -> None:
    visitor = Visitor(running.chat, persona("rasa"))
    old = running.pid("rasa")
    others = {name: running.pid(name) for name in ("actions", "web", "worker")}

    def kill() -> None:
        os.kill(old, signal.SIGKILL)

    recovery = visitor.converse(fault_at="budget", fault=kill)
    assert running.pid("rasa") != old
    assert {name: running.pid(name) for name in others} == others  # the others kept serving
    visitor.book()
    row = record("Rasa killed (kill -9)", visitor, running.env["DATABASE_URL"], recovery)
    assert_nothing_lost(row)


def test_the_worker_killed_with_mail_due_delivers_each_email_once(running: Running) -> None:
    visitor = Visitor(running.chat, persona("worker"))
    visitor.converse()
    wait_until(lambda: not outbox_pending(running.env["DATABASE_URL"]), 60, "earlier mail")
    worker = running.pid("worker")
    os.kill(worker, signal.SIGSTOP)  # mail becomes due while the worker cannot send it
    try:
        visitor.book()
    finally:
        started = time.monotonic()
        os.kill(worker, signal.SIGKILL)
        os.kill(worker, signal.SIGCONT)
    running.wait_restarted("worker", worker)
    deadline = time.monotonic() + 90
    while outbox_pending(running.env["DATABASE_URL"]):
        assert time.monotonic() < deadline, "the restarted worker did not deliver the mail"
        time.sleep(0.5)
    recovery = time.monotonic() - started
    twice = sum(n - 1 for n in delivered(running.mail_dir).values())
    row = record("worker killed (kill -9) with mail due", visitor, running.env["DATABASE_URL"], recovery, twice)
    assert_nothing_lost(row)
    assert sum(1 for _ in (running.mail_dir / "new").glob("*")) >= 2


def test_smtp_down_while_mail_is_due_delivers_each_email_once_when_back(running: Running) -> None:
    visitor = Visitor(running.chat, persona("smtp"))
    visitor.converse()
    before = sum(delivered(running.mail_dir).values())
    running.stop_smtp()
    try:
        visitor.book()
        started = time.monotonic()
        time.sleep(12)  # the worker tries, fails and backs off (10 s, 20 s ...)
        assert outbox_pending(running.env["DATABASE_URL"]) >= 2, "nothing was waiting for SMTP"
    finally:
        running.start_smtp()
    deadline = time.monotonic() + 90
    while outbox_pending(running.env["DATABASE_URL"]):
        assert time.monotonic() < deadline, "the outbox did not deliver after SMTP came back"
        time.sleep(0.5)
    recovery = time.monotonic() - started
    counts = delivered(running.mail_dir)
    assert sum(counts.values()) >= before + 2
    twice = sum(n - 1 for n in counts.values())
    row = record("SMTP down while mail is due", visitor, running.env["DATABASE_URL"], recovery, twice)
    assert_nothing_lost(row)


def test_ctrl_c_still_stops_every_process(running: Running) -> None:
    """Last on this deployment: SIGTERM to `banter run` stops all five processes."""
    pids = [running.pid(name) for name in ("actions", "rasa", "web", "worker")]
    running.proc.send_signal(signal.SIGTERM)
    running.proc.wait(90)
    assert running.proc.returncode == 0
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    assert "==> stopping" in running.console.read_text()


# --- the scaled stores: PostgreSQL and Redis ------------------------------------------------


def service(*cmd: str) -> bool:
    """Run a service command as root; False when it is not possible here."""
    if os.geteuid() != 0 or not shutil.which(cmd[0]):
        return False
    return subprocess.run(cmd, capture_output=True, timeout=120).returncode == 0


def pg_cluster() -> tuple[str, str] | None:
    """(version, name) of the local cluster on port 5432, from pg_lsclusters."""
    if not shutil.which("pg_lsclusters"):
        return None
    for line in subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout.splitlines():
        version, name, port, *_ = line.split()
        if port == "5432":
            return version, name
    return None


class RedisServer:
    """The local Redis on 6379, stopped (SHUTDOWN NOSAVE) and started again with the settings it ran with."""

    SETTINGS = ("bind", "dir", "save", "appendonly", "pidfile", "logfile", "daemonize", "protected-mode")

    def __init__(self) -> None:
        import redis

        client = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=5)
        running = {key: str(client.config_get(key).get(key, "")) for key in self.SETTINGS}
        self.args = ["--port", "6379"]
        for key, value in running.items():
            if key == "bind":
                self.args += ["--bind", *value.split()]
            elif key == "daemonize":
                self.args += ["--daemonize", "yes"]  # started by this test, it must outlive it
            elif value or key == "save":
                self.args += [f"--{key}", value]

    @staticmethod
    def possible() -> bool:
        return os.geteuid() == 0 and bool(shutil.which("redis-server")) and bool(shutil.which("redis-cli"))

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True, timeout=30)
        wait_until(lambda: not redis_up(), 30, "Redis stopping")

    def start(self) -> None:
        if not redis_up():
            subprocess.run([shutil.which("redis-server") or "redis-server", *self.args], capture_output=True, timeout=30)
        wait_until(redis_up, 60, "Redis")


def redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False


def pg_up() -> bool:
    engine = create_engine(PG_ADMIN_URL, future=True)
    try:
        with engine.connect() as c:
            c.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001
        return False
    finally:
        engine.dispose()


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} did not come back"
        time.sleep(0.5)


@dataclass
class Scaled:
    chat: AssistantClient
    database_url: str
    env: dict[str, str]


def scaled_env(tmp: Path, database: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{database}",
        "TRACKER_DB": str(tmp / "unused-tracker.db"),
        "TRACKER_DB_HOST": "127.0.0.1",
        "TRACKER_DB_PORT": "5432",
        "TRACKER_DB_NAME": database,
        "TRACKER_DB_USER": PG_ADMIN_URL.split("//", 1)[1].split("@", 1)[0].split(":")[0],
        "TRACKER_DB_PASSWORD": "",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379",
        "RASA_PORT": str(free_port()),
        "ACTIONS_PORT": str(free_port()),
        "RASA_API_TOKEN": uuid.uuid4().hex,
        "BANTER_REST_TOKEN": uuid.uuid4().hex,
        "BANTER_PLAYBOOK": str(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml"),
        "BANTER_TODAY": TODAY,
        "BANTER_DEV_WEBHOOKS": "off",
        **NO_LIMITS,
    }


def children_env(env: dict[str, str]) -> dict[str, str]:
    """bot.runner.child_env as `banter run` computes it in an environment `env`."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        return child_env(load_settings(env))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def scaled_rasa_cmd(cmd: list[str]) -> list[str]:
    return [("endpoints.scaled.yml" if arg == "endpoints.yml" else arg) for arg in cmd]


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scaled]:
    if not pg_up():
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    if not redis_up():
        pytest.skip("Redis not reachable at 127.0.0.1:6379")
    tmp = tmp_path_factory.mktemp("scaled-faults")
    database = f"banter_faults_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{database}"'))
    env = scaled_env(tmp, database)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run(banter_cmd("migrate"), cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)
        settings = load_settings(env)
        children = children_env(env)
        for name, cmd in (
            ("actions", action_server_cmd(settings)),
            ("rasa", scaled_rasa_cmd(rasa_server_cmd(settings, PROJECT_ROOT / "models" / "banter.tar.gz"))),
        ):
            procs.append(ProcessSpec(name=name, cmd=cmd, env=children, cwd=PROJECT_ROOT, log=tmp / f"{name}.log").spawn())
        wait_for(f"http://127.0.0.1:{settings.actions_port}/health", 180, procs)
        wait_for(f"http://127.0.0.1:{settings.rasa_port}/status?token={env['RASA_API_TOKEN']}", 420, procs)
        yield Scaled(
            chat=AssistantClient(
                base_url=f"http://127.0.0.1:{settings.rasa_port}", database_url=env["DATABASE_URL"],
                api_token=env["RASA_API_TOKEN"], rest_token=env["BANTER_REST_TOKEN"],
            ),  # fmt: skip
            database_url=env["DATABASE_URL"],
            env=env,
        )
    finally:
        stop(procs)
        wait_until(pg_up, 60, "PostgreSQL")
        with admin.connect() as c:
            c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"))
            c.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
        admin.dispose()


def test_postgresql_down_mid_conversation_loses_nothing(scaled: Scaled) -> None:
    cluster = pg_cluster()
    if cluster is None or os.geteuid() != 0:
        pytest.skip("cannot stop and start PostgreSQL here (needs root and pg_ctlcluster)")
    visitor = Visitor(scaled.chat, persona("postgres"))
    box: dict[str, Any] = {}

    def outage() -> None:
        assert service("pg_ctlcluster", *cluster, "stop", "-m", "fast"), "could not stop PostgreSQL"
        try:
            started = time.monotonic()
            box["texts"] = [r.get("text") for r in scaled.chat.messages(visitor.sender, visitor.persona["role"])]
            box["answered_in"] = time.monotonic() - started
        finally:
            assert service("pg_ctlcluster", *cluster, "start"), "could not start PostgreSQL again"
            wait_until(pg_up, 60, "PostgreSQL")

    try:
        recovery = visitor.converse(fault_at="role", fault=outage)
    finally:
        if not pg_up():
            service("pg_ctlcluster", *cluster, "start")
    assert box["texts"] == ["Sorry, something went wrong on my side; please send that again in a moment."], box
    assert box["answered_in"] < 10, box
    visitor.apologies += 1
    row = record("PostgreSQL stopped and started (scaled)", visitor, scaled.database_url, recovery, first_answer=box["answered_in"])
    assert_nothing_lost(row)


def test_redis_down_mid_conversation_loses_nothing(scaled: Scaled) -> None:
    if not RedisServer.possible():
        pytest.skip("cannot stop and start Redis here (needs root, redis-server and redis-cli)")
    server = RedisServer()
    visitor = Visitor(scaled.chat, persona("redis"))
    box: dict[str, Any] = {}

    def outage() -> None:
        server.stop()
        try:
            started = time.monotonic()
            box["texts"] = [r.get("text") for r in scaled.chat.messages(visitor.sender, visitor.persona["country"])]
            box["answered_in"] = time.monotonic() - started
        finally:
            server.start()

    try:
        recovery = visitor.converse(fault_at="country", fault=outage)
    finally:
        server.start()  # Redis is running again when this test ends, whatever happened
    assert box["texts"] == ["Sorry, something went wrong on my side; please send that again in a moment."], box
    visitor.apologies += 1
    row = record("Redis stopped and started (scaled)", visitor, scaled.database_url, recovery, first_answer=box["answered_in"])
    assert_nothing_lost(row)


def test_rasa_refuses_to_start_when_its_tracker_database_is_unreachable(tmp_path: Path) -> None:
    closed = free_port()
    env = {**scaled_env(tmp_path, "conversations"), "TRACKER_DB_PORT": str(closed), "TRACKER_DB_PASSWORD": "s3cret"}
    settings = load_settings(env)
    children = children_env(env)
    cmd = scaled_rasa_cmd(rasa_server_cmd(settings, PROJECT_ROOT / "models" / "banter.tar.gz"))
    proc = ProcessSpec(name="rasa", cmd=cmd, env=children, cwd=PROJECT_ROOT, log=tmp_path / "rasa.log").spawn()
    try:
        assert proc.wait(180) != 0
    finally:
        stop([proc])
    log = (tmp_path / "rasa.log").read_text()
    assert (
        f"Refusing to start: the tracker store (SQLTrackerStore at postgresql://postgres:***@127.0.0.1:{closed}/conversations) "
        "cannot be reached: connection to server at \"127.0.0.1\", port " in log
    ), log[-3000:]
    assert "s3cret" not in log
    assert "Rasa server is up and running" not in log


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-m", "e2e"]))
