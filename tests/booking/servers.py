"""Real local stand-ins for reps' calendars: a Radicale CalDAV server and an .ics feed over HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import caldav

PASSWORD = "radicale-test-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def closed_url() -> str:
    """An address nothing listens on (the port was free a moment ago)."""
    return f"http://127.0.0.1:{free_port()}/nobody/cal/"


@contextmanager
def radicale(folder: Path, users: tuple[str, ...] = ("dana", "greta")) -> Iterator[str]:
    """Radicale on 127.0.0.1 (a free port, storage in `folder`, htpasswd with plain passwords)."""
    folder.mkdir(parents=True, exist_ok=True)
    htpasswd = folder / "users"
    htpasswd.write_text("".join(f"{user}:{PASSWORD}\n" for user in users))
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}",
         "--storage-filesystem-folder", str(folder / "collections"),
         "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(htpasswd),
         "--auth-htpasswd-encryption", "plain", "--auth-delay", "0",
         "--rights-type", "owner_only", "--logging-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(
                    f"radicale did not start: {process.stderr.read().decode() if process.stderr else ''}"
                ) from None
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def new_calendar(base: str, user: str) -> Any:
    """A fresh, empty calendar collection of `user` on the Radicale at `base` (caldav Calendar)."""
    client = caldav.DAVClient(f"{base}/{user}/", username=user, password=PASSWORD, timeout=10)
    return client.principal().make_calendar(name="Work", cal_id=f"work-{uuid.uuid4().hex[:8]}")


class Feed:
    """An .ics feed served over HTTP; `body`, `status` and `delay` can change between requests."""

    def __init__(self) -> None:
        self.body = b""
        self.status = 200
        self.delay = 0.0
        self.requests = 0
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                feed.requests += 1
                if feed.delay:
                    time.sleep(feed.delay)
                self.send_response(feed.status)
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                self.send_header("Content-Length", str(len(feed.body)))
                try:
                    self.end_headers()
                    self.wfile.write(feed.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (the timeout tests): expected

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/secret-address/basic.ics"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Feed:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def vcalendar(*events: str) -> bytes:
    """A VCALENDAR around VEVENT texts (CRLF line ends, as feeds send them)."""
    body = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Banter tests//EN\n" + "".join(events) + "END:VCALENDAR\n"
    return body.replace("\n", "\r\n").encode()


def vevent(uid: str, start: str, end: str | None = None, props: tuple[str, ...] = ()) -> str:
    """A VEVENT; `start`/`end` are property texts after the name (';TZID=America/New_York:20270301T100000'),
    `props` whole property lines ('STATUS:CANCELLED')."""
    lines = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20270101T000000Z", f"DTSTART{start}"]
    if end is not None:
        lines.append(f"DTEND{end}")
    lines += [*props, "END:VEVENT"]
    return "\n".join(lines) + "\n"
