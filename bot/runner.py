"""Start, supervise and stop Banter's processes together (`banter run`, `banter shell`).

One command starts the action server, the Rasa server (REST and socket.io), the web
app, the outbox worker and (unless SMTP_HOST is set) a local SMTP server writing mail
to a folder; waits until each answers, prints where to chat, restarts a process that
crashes (capped exponential backoff, bot/supervise.py; the others keep serving) and
stops everything cleanly on Ctrl-C or SIGTERM.

The Rasa and action servers start through `python -m bot.logfilter` (visitor text and
email addresses masked in every log record); their logs in var/log/ are 0600, and so
is the SQLite tracker store, created before Rasa opens it.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from bot.console.auth import dev_credentials
from bot.links import signing_key
from bot.settings import PROJECT_ROOT, Settings
from bot.store.db import private_sqlite_file
from bot.supervise import Child, ProcessSpec, Supervisor, describe_exit, private_log

__all__ = [
    "action_server_cmd", "api_token", "banter_cmd", "child_env", "private_log", "rasa_server_cmd",
    "run_forever", "run_shell", "start_servers", "stop", "wait_for", "wait_for_port",
]  # fmt: skip

BIN = Path(sys.executable).parent


def child_env(settings: Settings) -> dict[str, str]:
    """Environment for the Rasa and action servers (endpoints.yml reads these)."""
    env = dict(os.environ)
    private_sqlite_file(settings.tracker_db)  # the conversations: 0600 before Rasa creates it
    env.update(
        ACTION_ENDPOINT_URL=settings.action_endpoint,
        TRACKER_DB=str(settings.tracker_db),
        DATABASE_URL=settings.database_url,
        BANTER_PLAYBOOK=str(settings.playbook_path),
        BANTER_ALLOWED_ORIGINS=",".join(settings.allowed_origins),
        SANIC_HOST=settings.actions_interface,  # rasa-sdk's listening address (it has no flag for it)
        BANTER_ACTION_TIMEOUT=str(settings.action_timeout),  # Rasa gives up on an action call (channels/)
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    return env


def action_server_cmd(settings: Settings) -> list[str]:
    """Command line of the action server."""
    return [
        str(BIN / "python"),
        "-m",
        "bot.logfilter",  # masks visitor text in the logs, then runs rasa_sdk as its command would
        "rasa_sdk",
        "--actions",
        "actions",
        "--port",
        str(settings.actions_port),
    ]


def rasa_server_cmd(settings: Settings, model: Path) -> list[str]:
    """Command line of the Rasa server with the REST and socket.io channels."""
    return [
        # through bot.logfilter: visitor text masked in every log line, then `rasa run` as usual
        str(BIN / "python"), "-m", "bot.logfilter", "rasa",
        "run", "--model", str(model), "--port", str(settings.rasa_port),
        "--interface", settings.rasa_interface,
        "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
        # The HTTP API (trackers, events) only with the token: it can read and write any conversation.
        "--enable-api", f"--auth-token={api_token(settings)}", "--cors", *settings.allowed_origins,
    ]  # fmt: skip


def api_token(settings: Settings) -> str:
    """RASA_API_TOKEN, else a random token kept in var/rasa_api_token (0600) for local tools."""
    if settings.rasa_api_token:
        return settings.rasa_api_token
    path = PROJECT_ROOT / "var" / "rasa_api_token"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))  # hex: never starts with "-" (an option to argparse)
    return path.read_text().strip()


def banter_cmd(*args: str) -> list[str]:
    """Command line of a `banter` subcommand in this virtualenv."""
    return [str(BIN / "python"), "-m", "bot.cli", *args]


def _raise_if_exited(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is not None:
            if isinstance(proc, Child):  # say why, from its log (e.g. Rasa refusing to start)
                raise RuntimeError(
                    f"{proc.spec.name} exited with {describe_exit(proc.returncode)} while starting: "
                    f"{proc.exit_reason()} (log: {proc.spec.log})"
                )
            raise RuntimeError(f"{' '.join(map(str, proc.args))} exited with code {proc.returncode}")  # type: ignore[arg-type]


def wait_for_port(port: int, timeout: float, procs: Sequence[subprocess.Popen[bytes]]) -> None:
    """Wait until something listens on 127.0.0.1:`port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _raise_if_exited(procs)
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f} s")


def wait_for(url: str, timeout: float, procs: Sequence[subprocess.Popen[bytes]]) -> None:
    """Poll `url` until it answers 200; fail early when a process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _raise_if_exited(procs)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def stop(procs: Sequence[subprocess.Popen[bytes]], grace: float = 10.0) -> None:
    """SIGTERM every process, then SIGKILL what is still alive after `grace` seconds."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_servers(
    settings: Settings, *, log_dir: Path, web: bool = True, worker: bool = True
) -> list[subprocess.Popen[bytes]]:
    """Start every process (the web app and worker optional); return when each answers."""
    model = settings.model_dir / "banter.tar.gz"
    if not model.exists():
        raise RuntimeError(f"no trained model at {model}: run `make train` first")
    log_dir.mkdir(parents=True, exist_ok=True)
    signing_key(settings)  # created once here, before several processes want it
    env = child_env(settings)
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, cmd: list[str]) -> None:
        spec = ProcessSpec(name=name, cmd=cmd, env=env, cwd=PROJECT_ROOT, log=log_dir / f"{name}.log")
        procs.append(spec.spawn())  # a Child: the supervisor can start it again
        print(f"==> started {name} (pid {procs[-1].pid}), log: {spec.log}", flush=True)

    try:
        if worker and settings.local_smtp:
            start("mail", banter_cmd("mailserver"))
            wait_for_port(settings.smtp_port, 30, procs)
            print(
                f"==> local SMTP server on port {settings.smtp_port}, mail in {settings.mail_dir}/new",
                flush=True,
            )
        start("actions", action_server_cmd(settings))
        start("rasa", rasa_server_cmd(settings, model))
        if web:
            start("web", banter_cmd("web"))
            wait_for(f"http://127.0.0.1:{settings.web_port}/healthz", 60, procs)
            print(f"==> web app ready on port {settings.web_port}", flush=True)
        if worker:
            start("worker", banter_cmd("worker"))
        wait_for(f"http://127.0.0.1:{settings.actions_port}/health", 120, procs)
        print(f"==> action server ready on port {settings.actions_port}", flush=True)
        token = urllib.parse.urlencode({"token": api_token(settings)})
        wait_for(f"http://127.0.0.1:{settings.rasa_port}/status?{token}", 300, procs)
        print(f"==> Rasa server ready on port {settings.rasa_port}", flush=True)
    except BaseException:
        stop(procs)
        raise
    return procs


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def rest_line(base_url: str) -> str:
    """How to reach the REST channel, for the start-up banner (off without BANTER_REST_TOKEN)."""
    if not os.environ.get("BANTER_REST_TOKEN"):
        return "off (for server-side integrations: set BANTER_REST_TOKEN)"
    return (
        f'curl -s {base_url}/webhooks/rest/webhook -H "Authorization: Bearer $BANTER_REST_TOKEN" '
        """-d '{"sender": "me", "message": "hi"}'"""
    )


def console_login_line(settings: Settings) -> str:
    """Who can log in to the console, for the start-up banner (local logins in development)."""
    if os.environ.get("BANTER_CONSOLE_USERS") or settings.production:
        return "(users from BANTER_CONSOLE_USERS)"
    logins = [entry.split(":", 2) for entry in dev_credentials()]
    return "local logins: " + ", ".join(f"{name} / {password}" for name, _, password in logins)


def _banner(settings: Settings, log_dir: Path) -> str:
    port = settings.rasa_port
    mail = (
        f"{settings.mail_dir}/new (local SMTP server)" if settings.local_smtp else f"via {settings.smtp_host}"
    )
    rest = rest_line(f"localhost:{port}")
    console_login = console_login_line(settings)
    return f"""
Banter is running.
  Chat in the terminal:  make shell   (in another terminal)
  REST:                  {rest}
  socket.io:             http://localhost:{port}/socket.io  (for the website widget)
  Leads:                 .venv/bin/banter leads list
  Meetings:              .venv/bin/banter meetings list
  Mail sent:             {mail}
  Demo website:          {settings.public_url}/   (the widget is on every page)
  Console:               {settings.public_url}/console/   {console_login}
  Web app (links):       {settings.public_url}
  Logs:                  {log_dir}   (restarts: {log_dir / "supervisor.log"})
A process that crashes is restarted (after 1 s, 2 s, 4 s ... at most 30 s); the others keep serving.
Press Ctrl-C to stop."""


def run_forever(settings: Settings) -> int:
    """`banter run`: start everything, print how to chat, restart what crashes, stop on Ctrl-C."""
    log_dir = PROJECT_ROOT / "var" / "log"
    # Ctrl-C (SIGINT) and SIGTERM both stop everything, also during start-up and when
    # started from a script that left SIGINT ignored.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    try:
        procs = start_servers(settings, log_dir=log_dir)
    except KeyboardInterrupt:
        print("\n==> stopped while starting", flush=True)
        return 0
    try:  # from here on, every way out stops the processes
        print(_banner(settings, log_dir), flush=True)
        Supervisor(procs, log=log_dir / "supervisor.log").run()
        return 1  # not reached: run() returns only by an interrupt
    except KeyboardInterrupt:
        print("\n==> stopping", flush=True)
        return 0
    finally:
        stop(procs)


def run_shell(settings: Settings) -> int:
    """`banter shell`: the action server in the background, `rasa shell` in front."""
    log_dir = PROJECT_ROOT / "var" / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = child_env(settings)
    with os.fdopen(private_log(log_dir / "actions.log"), "ab") as log:
        actions = subprocess.Popen(
            action_server_cmd(settings), cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_for(f"http://127.0.0.1:{settings.actions_port}/health", 120, [actions])
        model = settings.model_dir / "banter.tar.gz"
        cmd = [str(BIN / "python"), "-m", "bot.logfilter", "rasa", "shell", "--model", str(model)]
        cmd += ["--endpoints", "endpoints.yml"]
        return subprocess.call(cmd, cwd=PROJECT_ROOT, env=env)
    finally:
        stop([actions])
