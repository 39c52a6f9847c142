"""Security review fixes. The console over real HTTP: logout ends the session on the server, sales
cannot export a person, failed logins are throttled (in memory, and in the real Redis shared by
replicas), security headers on every answer. SQLite files are private to their owner."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from aiohttp.test_utils import TestClient, TestServer

from bot.booking.service import BookingService, Notify
from bot.console.auth import (
    SESSION_SECONDS,
    LocalRevocations,
    LoginThrottle,
    RedisRevocations,
    Sessions,
    parse_users,
    redis_url,
)
from bot.links import Links
from bot.nurture.service import NurtureService
from bot.playbook import load_playbook
from bot.settings import PROJECT_ROOT, SettingsError
from bot.store.db import session_factory
from bot.web.app import Site, create_app
from bot.web.console import Console, add_console
from tests.store.test_console import PASSWORD, lead

KEY = "k" * 40
REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def real_redis() -> Iterator[redis.Redis]:
    """Database 15 of the local Redis; the keys these tests made are removed afterwards."""
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
    except redis.RedisError as err:
        pytest.skip(f"Redis not reachable at {REDIS_TEST_URL}: {err}")
    yield client
    for pattern in (RedisRevocations.prefix + "*", "LIMITER/banter-console-login/*"):
        for key in client.scan_iter(match=pattern):
            client.delete(key)
    client.close()


Build = Callable[..., "Any"]


@pytest.fixture
async def make_console(engine, tmp_path: Path) -> AsyncIterator[Build]:  # type: ignore[no-untyped-def]
    """Start console apps on one lead store (several = replicas); returns (client, lead id)."""
    sessions = session_factory(engine)
    playbook_file = tmp_path / "playbook.yml"
    playbook_file.write_text((PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml").read_text())
    playbook = load_playbook(playbook_file)
    links = Links(KEY, 3600)
    lead_id = lead(sessions, "c1", "ada@acme.com", "qualified", [], "book_demo", {})
    clients: list[TestClient] = []

    async def build(**console_options: Any) -> tuple[TestClient, int]:
        app = create_app(
            BookingService(playbook, sessions, links, Notify(mail_from="b@x", public_url="http://x")),
            links,
            lambda sender: [],
            NurtureService(playbook, sessions, links, mail_from="b@x", public_url="http://x"),
            Site("http://r", ("http://127.0.0.1",), {"pages": {}, "proactive": []}, "Co", "P"),
        )
        options = {"cookies": Sessions(KEY), **console_options}
        add_console(app, Console(sessions=sessions, tracker=None, playbook_path=playbook_file,
                                 users=parse_users(f"mia:marketing:{PASSWORD},sal:sales:{PASSWORD}"),
                                 transcripts=lambda sender: [], **options))
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client, lead_id

    yield build
    for client in clients:
        await client.close()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


async def try_login(client: TestClient, user: str, password: str = PASSWORD, via: str | None = None) -> Any:
    token = csrf_of(await (await client.get("/console/login")).text())
    headers = {"X-Forwarded-For": via} if via else None
    return await client.post("/console/login", data={"csrf": token, "username": user, "password": password},
                             headers=headers, allow_redirects=False)


async def log_in(client: TestClient, user: str) -> tuple[str, str]:
    """Log in; the session cookie's value and the page's CSRF token."""
    assert (await try_login(client, user)).status == 302
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/console/"))[Sessions.cookie].value
    return cookie, csrf_of(await (await client.get("/console/leads")).text())


# 1. Logout ends the session on the server


async def test_a_copied_cookie_stops_working_after_logout(make_console: Build) -> None:
    client, _ = await make_console()
    old_cookie, csrf = await log_in(client, "mia")
    other_device, _ = await log_in(client, "mia")  # a second session of the same user
    assert old_cookie != other_device
    stolen = {"Cookie": f"{Sessions.cookie}={old_cookie}"}
    assert (await client.get("/console/leads", headers=stolen, allow_redirects=False)).status == 200
    client.session.cookie_jar.update_cookies({Sessions.cookie: old_cookie})
    out = await client.post("/console/logout", data={"csrf": csrf}, allow_redirects=False)
    assert out.status == 302 and out.headers["Location"] == "/console/login"
    client.session.cookie_jar.clear()
    again = await client.get("/console/leads", headers=stolen, allow_redirects=False)
    assert again.status == 302 and again.headers["Location"].startswith("/console/login")
    post = await client.post("/console/leads/1/grade", headers=stolen,
                             data={"grade": "nurture", "note": "still here?", "csrf": csrf})
    assert post.status == 403 and "log in first" in await post.text()
    # only that session ended: the one on the other device still works
    elsewhere = {"Cookie": f"{Sessions.cookie}={other_device}"}
    assert (await client.get("/console/leads", headers=elsewhere, allow_redirects=False)).status == 200


async def test_a_cookie_from_before_session_ids_is_refused() -> None:
    from itsdangerous import URLSafeTimedSerializer

    legacy = URLSafeTimedSerializer(KEY, salt="banter.console").dumps({"u": "mia", "r": "marketing", "c": "x"})
    assert Sessions(KEY).read(legacy) is None


def test_logouts_survive_a_restart_in_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "var" / "console_revoked.json"
    now = [1_000_000.0]
    first = LocalRevocations(path, clock=lambda: now[0])
    first.revoke("old", 60)
    first.revoke("new", SESSION_SECONDS)
    assert path.stat().st_mode & 0o777 == 0o600
    restarted = LocalRevocations(path, clock=lambda: now[0])
    assert restarted.is_revoked("new") and restarted.is_revoked("old") and not restarted.is_revoked("other")
    now[0] += 61  # "old"'s cookie has expired by now: it leaves the list at the next write
    restarted.revoke("newest", 60)
    assert not restarted.is_revoked("old") and set(json.loads(path.read_text())) == {"new", "newest"}
    first.revoke("from-the-first", 60)  # a second process on the machine sees the file change
    assert restarted.is_revoked("from-the-first")


def test_revocations_in_the_real_redis_expire_with_the_cookie(real_redis: redis.Redis) -> None:
    replica_a = Sessions(KEY, RedisRevocations.from_url(REDIS_TEST_URL))
    replica_b = Sessions(KEY, RedisRevocations.from_url(REDIS_TEST_URL))
    user = parse_users(f"mia:marketing:{PASSWORD}")["mia"]
    cookie = replica_a.issue(user)
    session = replica_b.read(cookie)
    assert session is not None
    replica_a.revoke(session)
    assert replica_b.read(cookie) is None and replica_a.read(cookie) is None
    ttl = real_redis.ttl(RedisRevocations.prefix + session["s"])
    assert SESSION_SECONDS - 5 <= ttl <= SESSION_SECONDS


def test_an_unreachable_redis_refuses_sessions() -> None:
    sessions = Sessions(KEY, RedisRevocations.from_url("redis://127.0.0.1:1/0"))
    cookie = sessions.issue(parse_users(f"mia:marketing:{PASSWORD}")["mia"])
    assert sessions.read(cookie) is None


def test_the_redis_setting() -> None:
    assert redis_url({}) is None
    assert redis_url({"REDIS_URL": "redis://cache:6380/2"}) == "redis://cache:6380/2"
    assert redis_url({"REDIS_HOST": "cache"}) == "redis://cache:6379/0"
    assert redis_url({"REDIS_HOST": "cache", "REDIS_PORT": "7000"}) == "redis://cache:7000/0"
    with pytest.raises(SettingsError, match="REDIS_URL must look like"):
        redis_url({"REDIS_URL": "cache:6379"})


# 2. Sales cannot download a person's full export


async def test_sales_cannot_download_a_leads_full_export(make_console: Build) -> None:
    client, lead_id = await make_console()
    await log_in(client, "sal")
    assert (await client.get(f"/console/leads/{lead_id}")).status == 200
    for path in (f"/console/leads/{lead_id}/export", f"/console/leads/{lead_id}/export/", "/console/leads/999/export"):
        denied = await client.get(path)
        assert denied.status == 403, path
        assert "the sales role cannot download a lead's full export" in await denied.text()
    client.session.cookie_jar.clear()
    await log_in(client, "mia")
    export = await client.get(f"/console/leads/{lead_id}/export")
    assert export.status == 200 and (await export.json())["email"] == "ada@acme.com"


async def test_sales_cannot_download_any_list_as_csv(make_console: Build) -> None:
    client, lead_id = await make_console()
    await log_in(client, "sal")
    page = await client.get("/console/leads")
    assert page.status == 200 and "Download CSV" not in await page.text()
    assert "Download CSV" not in await (await client.get("/console/meetings")).text()
    for path in ("/console/leads?csv=1", "/console/leads?grade=qualified&csv=1", "/console/meetings?csv=upcoming",
                 "/console/meetings?csv=per_rep"):
        denied = await client.get(path)
        assert denied.status == 403, path
        assert "cannot download lists as CSV" in await denied.text()
    client.session.cookie_jar.clear()
    await log_in(client, "mia")
    assert "Download CSV" in await (await client.get("/console/leads")).text()
    listing = await client.get("/console/leads?csv=1")
    assert listing.status == 200 and "ada@acme.com" in await listing.text()
    assert (await client.get("/console/meetings?csv=upcoming")).status == 200


# 6. Login throttling


async def test_the_sixth_bad_login_in_a_minute_gets_429_with_retry_after(make_console: Build) -> None:
    client, _ = await make_console()
    for _ in range(5):
        assert (await try_login(client, "mia", "wrong password")).status == 401
    sixth = await try_login(client, "mia")  # even the right password waits
    assert sixth.status == 429
    assert 1 <= int(sixth.headers["Retry-After"]) <= 62
    body = await sixth.text()
    assert "Too many failed logins" in body and f"Try again in {sixth.headers['Retry-After']} seconds" in body
    assert csrf_of(body)  # the form is shown again, ready for later
    # the address is throttled for every user name
    assert (await try_login(client, "sal")).status == 429


async def test_behind_haproxy_a_forged_forwarded_line_is_not_the_address(make_console: Build) -> None:
    # HAProxy adds its own X-Forwarded-For line after the client's: the last entry of all lines counts
    client, _ = await make_console(behind_proxy=True)
    for n in range(5):
        token = csrf_of(await (await client.get("/console/login")).text())
        headers = [("X-Forwarded-For", f"198.51.100.{n}"), ("X-Forwarded-For", "192.0.2.77")]
        response = await client.post("/console/login", data={"csrf": token, "username": f"x{n}", "password": "x"},
                                     headers=headers, allow_redirects=False)
        assert response.status == 401
    assert (await try_login(client, "sal", via="192.0.2.77")).status == 429  # one address, whatever it forged


async def test_throttling_per_user_name_across_addresses_and_per_address(make_console: Build) -> None:
    client, _ = await make_console(behind_proxy=True)
    for n in range(5):
        assert (await try_login(client, "mia", "wrong password", via=f"10.0.0.1, 198.51.100.{n}")).status == 401
    assert (await try_login(client, "mia", via="198.51.100.99")).status == 429  # the user name is spent
    assert (await try_login(client, "sal", via="198.51.100.99")).status == 302  # that address is not
    for _ in range(5):
        assert (await try_login(client, f"guess-{uuid.uuid4().hex[:6]}", "x", via="192.0.2.7")).status == 401
    assert (await try_login(client, "sal", via="192.0.2.7")).status == 429  # the address is spent


async def test_replicas_share_the_throttle_in_the_real_redis(make_console: Build, real_redis: redis.Redis) -> None:
    options = {"behind_proxy": True}
    replica_a, _ = await make_console(throttle=LoginThrottle(REDIS_TEST_URL), **options)
    replica_b, _ = await make_console(throttle=LoginThrottle(REDIS_TEST_URL), **options)
    address = f"203.0.113.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:8]}"  # unique: runs do not interfere
    for _ in range(5):
        assert (await try_login(replica_a, "mia", "wrong password", via=address)).status == 401
    blocked = await try_login(replica_b, "sal", via=address)
    assert blocked.status == 429 and 1 <= int(blocked.headers["Retry-After"]) <= 62
    keys = [k.decode() for k in real_redis.scan_iter(match="LIMITER/banter-console-login/*")]
    assert keys and not any(address in k or "mia" in k for k in keys)  # hashed keys only


async def test_an_unreachable_throttle_store_answers_503(make_console: Build) -> None:
    client, _ = await make_console(throttle=LoginThrottle("redis://127.0.0.1:1/0"))
    response = await try_login(client, "mia")
    assert response.status == 503 and "unavailable" in await response.text()


# 3. Security headers on every response


def assert_secure(response: Any, path: str) -> None:
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
    assert "default-src 'self'" in headers["Content-Security-Policy"], path
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"].split("style-src")[0], path  # no inline script
    assert headers["X-Frame-Options"] == "DENY", path
    assert headers["X-Content-Type-Options"] == "nosniff", path
    assert headers["Referrer-Policy"], path


async def test_console_pages_errors_and_assets_carry_the_security_headers(make_console: Build) -> None:
    client, lead_id = await make_console()
    anonymous = await client.get("/console/overview", allow_redirects=False)
    assert anonymous.status == 302
    assert_secure(anonymous, "redirect to login")
    login = await client.get("/console/login")
    assert_secure(login, "login")
    assert login.headers["Content-Security-Policy"] == (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'")
    assert login.headers["Referrer-Policy"] == "no-referrer" and login.headers["Cache-Control"] == "no-store"
    await log_in(client, "sal")
    denied = await client.get(f"/console/leads/{lead_id}/export")
    assert denied.status == 403
    assert_secure(denied, "403")
    client.session.cookie_jar.clear()
    await log_in(client, "mia")
    for path in ("/console/overview", "/console/leads", f"/console/leads/{lead_id}", "/console/meetings",
                 "/console/playbook", f"/console/leads/{lead_id}/export", "/console/leads?csv=1"):
        response = await client.get(path)
        assert response.status == 200, path
        assert_secure(response, path)
        html = await response.text()
        # nothing inline for the policy to block: styles and scripts are files
        assert "<style" not in html and "<script>" not in html and " onsubmit=" not in html, path
    for asset, kind in (("/assets/console.css", "text/css"), ("/assets/console.js", "javascript"),
                        ("/assets/pages.css", "text/css"), ("/assets/demo.css", "text/css")):
        response = await client.get(asset)
        assert response.status == 200 and kind in response.headers["Content-Type"], asset
        assert_secure(response, asset)
    missing = await client.get("/no/such/page")
    assert missing.status == 404
    assert_secure(missing, "404")


async def test_demo_pages_allow_the_widget_and_the_widget_stays_embeddable(make_console: Build) -> None:
    client, _ = await make_console()
    page = await client.get("/pricing")
    assert page.status == 200
    assert_secure(page, "demo")
    policy = page.headers["Content-Security-Policy"]
    # socket.io to the Rasa server (polling and WebSocket); the widget's own injected stylesheet
    assert "connect-src 'self' http://r ws://r;" in policy and "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src" not in policy  # scripts: default-src 'self' (widget.js, socket.io client)
    assert page.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    html = await page.text()
    assert '<script src="/widget.js"' in html and "<style" not in html
    widget = await client.get("/widget.js", headers={"Origin": "http://127.0.0.1"})
    assert widget.status == 200 and "javascript" in widget.headers["Content-Type"]
    assert widget.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1"
    assert "Cross-Origin-Resource-Policy" not in widget.headers  # other sites load it with a <script> tag
    assert widget.headers["X-Content-Type-Options"] == "nosniff"
    config = await client.get("/widget/config.json", headers={"Origin": "http://127.0.0.1"})
    assert config.status == 200 and config.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1"


def test_no_template_has_inline_script_style_or_event_handler() -> None:
    for template in (PROJECT_ROOT / "bot" / "web" / "templates").rglob("*.html"):
        html = template.read_text()
        assert "<style" not in html and " style=" not in html, template
        assert not re.search(r'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>', html), template
        assert not re.search(r"\son[a-z]+=", html), template


# 4. SQLite files are private


def test_sqlite_files_are_created_private(tmp_path: Path) -> None:
    from sqlalchemy import text

    from bot.store.db import make_engine

    folder = tmp_path / "var"
    engine = make_engine(f"sqlite:///{folder / 'banter.db'}")
    with engine.begin() as conn:  # a write: WAL mode makes the -wal and -shm files
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        conn.execute(text("INSERT INTO t VALUES ('ada@acme.com')"))
        files = {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir()}
    engine.dispose()
    assert files == {"banter.db": 0o600, "banter.db-wal": 0o600, "banter.db-shm": 0o600}
    assert folder.stat().st_mode & 0o777 == 0o700


def test_an_existing_readable_database_is_tightened(tmp_path: Path) -> None:
    from sqlalchemy import text

    from bot.store.db import make_engine

    shared = tmp_path / "srv"
    shared.mkdir()
    shared.chmod(0o755)
    path = shared / "old.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert conn.execute(text("select 1")).scalar() == 1
    engine.dispose()
    assert path.stat().st_mode & 0o777 == 0o600
    assert shared.stat().st_mode & 0o777 == 0o755  # an existing folder is the operator's: left alone


def test_which_urls_are_sqlite_files() -> None:
    from bot.store.db import sqlite_path

    assert sqlite_path("sqlite:////srv/banter/leads.db") == Path("/srv/banter/leads.db")
    assert sqlite_path("sqlite:///var/banter.db") == Path("var/banter.db")
    assert sqlite_path("sqlite+pysqlite:///var/x.db") == Path("var/x.db")
    for url in ("sqlite://", "sqlite:///:memory:", "postgresql://u@h/db", "postgres://u@h/db"):
        assert sqlite_path(url) is None, url
