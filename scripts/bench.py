"""Load benchmark: scripted conversations over REST against the real assistant.

Starts the Rasa server and the action server on free ports with throw-away SQLite
databases, then runs (1) one conversation at a time and (2) N concurrent
conversations, and prints throughput, p50/p95 latency per message and the Rasa
server's resident memory. Usage: scripts/bench.py [--concurrency 10] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.runner import start_servers, stop  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from scripts.assistant_client import GENEROUS_LIMITS, free_port  # noqa: E402

SCRIPT = [
    "hi",
    "We want to qualify leads on our website",
    "I'm the VP of Sales",
    "Acme Robotics",
    "about 200 people",
    "manufacturing",
    "Germany",
    "around 40k a year",
    "next month",
    "yes",
    "Jane Doe",
    "jane@acmerobotics.com",
]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


async def conversation(session: aiohttp.ClientSession, url: str, latencies: list[float]) -> None:
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    for message in SCRIPT:
        start = time.perf_counter()
        async with session.post(url, json={"sender": sender, "message": message}) as response:
            body = await response.json()
            if response.status != 200 or not isinstance(body, list):
                raise RuntimeError(f"bad response {response.status}: {body}")
        latencies.append(time.perf_counter() - start)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


async def scenario(url: str, concurrency: int, rounds: int) -> dict[str, float]:
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {os.environ['BANTER_REST_TOKEN']}"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120), headers=headers) as session:
        await conversation(session, url, [])  # warm-up
        start = time.perf_counter()
        for _ in range(rounds):
            await asyncio.gather(*(conversation(session, url, latencies) for _ in range(concurrency)))
        wall = time.perf_counter() - start
    return {
        "concurrency": concurrency,
        "messages": len(latencies),
        "throughput_msg_s": len(latencies) / wall,
        "p50_ms": pct(latencies, 0.50),
        "p95_ms": pct(latencies, 0.95),
        "max_ms": max(latencies) * 1000,
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="banter-bench-"))
    os.environ.update(
        DATABASE_URL=f"sqlite:///{tmp / 'leads.db'}",
        TRACKER_DB=str(tmp / "tracker.db"),
        RASA_PORT=str(free_port()),
        ACTIONS_PORT=str(free_port()),
        BANTER_REST_TOKEN=secrets.token_hex(24),
        **GENEROUS_LIMITS,  # every conversation comes from 127.0.0.1: counted, never refused
    )
    from bot.cli import main as banter

    banter(["migrate"])
    settings = load_settings()
    print(f"==> starting servers (logs in {tmp / 'log'})", flush=True)
    procs = start_servers(settings, log_dir=tmp / "log", web=False, worker=False)
    url = f"http://127.0.0.1:{settings.rasa_port}/webhooks/rest/webhook"
    try:
        results = []
        for concurrency, rounds in ((1, 3), (args.concurrency, args.rounds)):
            print(
                f"==> {concurrency} concurrent conversation(s) x {rounds} rounds of {len(SCRIPT)} messages",
                flush=True,
            )
            before = {name: cpu_seconds(p.pid) for name, p in zip(("actions", "rasa"), procs, strict=True)}
            result = asyncio.run(scenario(url, concurrency, rounds))
            result["cpu_ms_per_message"] = {
                name: round((cpu_seconds(p.pid) - before[name]) * 1000 / result["messages"], 1)
                for name, p in zip(("actions", "rasa"), procs, strict=True)
            }
            results.append(result)
        memory = rss_mb(procs[1].pid)
    finally:
        stop(procs)
    print(f"\n{'concurrency':>11} {'messages':>9} {'msg/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for r in results:
        print(
            f"{r['concurrency']:>11} {r['messages']:>9} {r['throughput_msg_s']:>8.1f} {r['p50_ms']:>8.0f} "
            f"{r['p95_ms']:>8.0f} {r['max_ms']:>8.0f}"
        )
    for r in results:
        print(
            f"CPU per message at concurrency {r['concurrency']}: "
            + ", ".join(f"{name} {ms} ms" for name, ms in r["cpu_ms_per_message"].items())
        )
    print(f"\nRasa server resident memory after the run: {memory:.0f} MB")
    out = ROOT / "results" / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"scenarios": results, "rasa_rss_mb": memory}, indent=2))
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
