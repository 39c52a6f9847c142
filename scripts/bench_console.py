"""Console benchmark: 100,000 leads and 1,000,000 answers, on SQLite and on PostgreSQL.

Seeds a fresh database with scripts/seed_console.py, then measures re-scoring every lead
against a draft playbook (target <= 10 s) and each console page through real HTTP with a
logged-in session (target <= 500 ms; the median of three requests is reported).
Usage: scripts/bench_console.py [--leads 100000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bot.booking.service import BookingService, Notify  # noqa: E402
from bot.console.auth import Sessions, parse_users  # noqa: E402
from bot.links import Links  # noqa: E402
from bot.nurture.service import NurtureService  # noqa: E402
from bot.playbook import load_playbook, parse_playbook  # noqa: E402
from bot.store.db import make_engine, session_factory  # noqa: E402
from bot.web.app import Site, create_app  # noqa: E402
from bot.web.console import Console, add_console  # noqa: E402
from bot.whatif import what_if  # noqa: E402
from scripts.seed_console import seed  # noqa: E402

PG_ADMIN = os.environ.get("BANTER_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
PAGES = [
    "/console/overview",
    "/console/overview?csv=sources",
    "/console/leads",
    "/console/leads?grade=nurture&reason=budget",
    "/console/leads?q=person99&source=google",
    "/console/leads/4242",
    "/console/meetings",
    "/console/followup",
    "/console/playbook",
]


def migrate(url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["url"] = url
    command.upgrade(config, "head")


async def time_pages(url: str) -> dict[str, float]:
    sessions = session_factory(make_engine(url))
    playbook_path = ROOT / "playbook.yml"
    playbook = load_playbook(playbook_path)
    links = Links("b" * 40, 3600)
    app = create_app(
        BookingService(playbook, sessions, links, Notify(mail_from="b@x", public_url="http://x")),
        links,
        lambda sender: [],
        NurtureService(playbook, sessions, links, mail_from="b@x", public_url="http://x"),
        Site("http://r", (), {"pages": {}, "proactive": []}, "Co", "P"),
    )
    add_console(
        app,
        Console(
            sessions=sessions,
            tracker=None,
            playbook_path=playbook_path,
            users=parse_users("bench:marketing:benchmark-password"),
            cookies=Sessions("b" * 40),
            transcripts=lambda sender: [],
        ),
    )
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        page = await client.get("/console/login")
        token = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)  # type: ignore[union-attr]
        await client.post(
            "/console/login", data={"csrf": token, "username": "bench", "password": "benchmark-password"}
        )
        timings = {}
        for path in PAGES:
            samples = []
            for _ in range(3):
                started = time.perf_counter()
                response = await client.get(path)
                await response.read()
                assert response.status == 200, (path, response.status)
                samples.append((time.perf_counter() - started) * 1000)
            timings[path] = statistics.median(samples)
        return timings
    finally:
        await client.close()


def bench(backend: str, leads: int) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="banter-console-bench-"))
    admin = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'console.db'}"
    else:
        admin = create_engine(PG_ADMIN, future=True, isolation_level="AUTOCOMMIT")
        name = f"banter_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        print(f"==> {backend}: migrating and seeding {leads:,} leads", flush=True)
        migrate(url)
        seed(url, leads)
        draft_text = (ROOT / "playbook.yml").read_text().replace("min_annual: 10000", "min_annual: 5000")
        draft = parse_playbook(draft_text, source="draft")
        with session_factory(make_engine(url))() as session:
            result = what_if(session, draft)
        print(
            f"    re-scored {result.leads:,} leads in {result.seconds:.2f} s "
            f"({len(result.changes):,} would change grade)",
            flush=True,
        )
        timings = asyncio.run(time_pages(url))
        for path, ms in timings.items():
            print(f"    {ms:7.0f} ms  {path}", flush=True)
        return {
            "backend": backend,
            "leads": leads,
            "rescore_seconds": round(result.seconds, 2),
            "pages_ms": {k: round(v) for k, v in timings.items()},
            "slowest_page_ms": round(max(timings.values())),
        }
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(
                    text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()


def main() -> None:
    """Run the benchmark and save results/bench_console.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    results = [bench(b.strip(), args.leads) for b in args.backends.split(",") if b.strip()]
    out = ROOT / "results" / "bench_console.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"saved {out}")


if __name__ == "__main__":
    main()
