"""Load run of the scaled deployment: one Rasa replica, then two, behind HAProxy (`make bench-scaled`).

Starts the scaled deployment (bot/scaled.py: PostgreSQL tracker and lead store, Redis lock
store, two Rasa replicas and two action servers behind HAProxy) on free loopback ports, with
a throw-away PostgreSQL database and the local Redis. Then, for one replica (the second Rasa
replica and action server put in maintenance through HAProxy's admin socket, so both
topologies go through the same proxy) and for two, it runs N concurrent conversations over
the REST channel (with its token) through the proxy, in two shapes:

- saturated: each conversation sends its next message as soon as the reply arrives: the
  throughput the deployment can deliver (messages/s) and the CPU it costs per message. Its
  latency is mostly queueing (Little's law: concurrency / throughput), not what a visitor sees.
- paced: each conversation waits a visitor's think time (uniform 0.5x-1.5x --think) before
  its next message, starts staggered over one think time: the latency a visitor sees at that load.

The goals are read from both: two replicas' saturated throughput >= 1.4x one's, p95 <= 1.5 s
in the paced phase on two replicas, and no message lost or duplicated in any phase. (A p95
of 1.5 s with 100 conversations that never pause would take about 100 messages/s, some 6
cores at ~60 ms of CPU per message: not a question two cores can answer.)

Every message must get its reply exactly once and be in the tracker store exactly once: after
each phase the conversations are read back from PostgreSQL's `events` table and compared with
what was sent and received: lost (no reply, or not stored), duplicated (stored twice, or its
replies stored twice), mismatched (stored replies differ from the ones received).

CPU seconds come from /proc: the Rasa and action-server processes (the figure per message),
and apart from it the proxy, the PostgreSQL backends of the throw-away database, the whole
Redis server and this load generator; the cores' busy share includes everyone on the machine.

The load generator is one asyncio loop with one aiohttp session (no cookies, so HAProxy's
cookie does not pin the REST calls). The chat's rate limits stay on, raised far above the
load (every conversation comes from 127.0.0.1), so their Redis round trips are measured too.

Usage: scripts/bench_scaled.py [--conversations 100] [--think 10] [--phases saturated,paced]
       [--max-seconds 600] [--out results/bench_scaled.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.scaled import Deployment, Layout, shared_state_from_env, start_scaled  # noqa: E402
from scripts.assistant_client import GENEROUS_LIMITS, free_port  # noqa: E402
from scripts.bench import SCRIPT  # noqa: E402

ADMIN_PG_URL = os.environ.get("BANTER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def script(n: int) -> list[str]:
    """One qualified visitor's messages: scripts/bench.py's script, with a unique email."""
    return [*SCRIPT[:-1], f"jane.doe{n}@acmerobotics.com"]


# --- the deployment on throw-away state -------------------------------------------------------


def _pg_admin() -> Any:
    from sqlalchemy import create_engine

    return create_engine(ADMIN_PG_URL, isolation_level="AUTOCOMMIT", future=True)


def drop_database(name: str) -> None:
    """Drop a throw-away database (its connections too: PostgreSQL 13+)."""
    from sqlalchemy import text

    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def throwaway_scaled(
    tmp: Path,
    *,
    replicas: int = 2,
    web: bool = False,
    worker: bool = False,
    env: Mapping[str, str] | None = None,
) -> Iterator[Deployment]:
    """The scaled deployment on free ports, a new PostgreSQL database (dropped after) and the local Redis.

    os.environ gets the settings for the run and is restored on exit.
    """
    name = f"banter_scaled_{uuid.uuid4().hex[:12]}"
    settings_env = {
        "DATABASE_URL": f"{ADMIN_PG_URL.rsplit('/', 1)[0]}/{name}",
        "TRACKER_DB": str(tmp / "unused-sqlite-tracker.db"),  # bot.runner.child_env makes it; nobody opens it
        "BANTER_MAIL_DIR": str(tmp / "mail"),
        "RASA_API_TOKEN": secrets.token_hex(24),
        "BANTER_REST_TOKEN": secrets.token_hex(24),
        "BANTER_SECRET_KEY": secrets.token_urlsafe(48),  # this run's signed ids and rate-limit keys
        "SMTP_PORT": str(free_port()),
        **GENEROUS_LIMITS,  # 100 conversations from one address would hit the per-address defaults
        **(env or {}),
    }
    layout = Layout(
        proxy_bind="127.0.0.1",
        proxy_port=free_port(),
        rasa_ports=tuple(free_port() for _ in range(replicas)),
        action_ports=tuple(free_port() for _ in range(replicas)),
        actions_port=free_port(),
        web_port=free_port(),
        smtp_port=int(settings_env["SMTP_PORT"]),
        run_dir=tmp / "run",
    )
    saved = {key: os.environ.get(key) for key in settings_env}
    os.environ.update(settings_env)
    try:
        deployment = start_scaled(
            layout, shared_state_from_env(os.environ), log_dir=tmp / "log", web=web, worker=worker
        )
        try:
            yield deployment
        finally:
            deployment.stop()
    finally:
        drop_database(name)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# --- measuring ---------------------------------------------------------------------------------


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants (Linux /proc)."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        for task in Path(f"/proc/{pid}/task").iterdir():
            children = (task / "children").read_text().split()
            total += sum(_cpu_of(int(child)) for child in children)
    except (OSError, IndexError, ValueError):
        pass
    return total


def _busy() -> tuple[float, float]:
    """(busy, total) CPU ticks of the whole machine so far (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return float(sum(values) - idle), float(sum(values))


def _pg_backends(database: str) -> list[int]:
    from sqlalchemy import text

    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            rows = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": database})
            return [int(pid) for (pid,) in rows]
    finally:
        admin.dispose()


def _redis_pid(deployment: Deployment) -> int | None:
    import redis

    shared = deployment.shared
    try:
        info = redis.Redis(host=shared.redis_host, port=shared.redis_port).info("server")
        return int(info["process_id"])
    except (redis.RedisError, KeyError, ValueError):
        return None


@dataclass
class CpuMeter:
    """CPU seconds used between `start()` and `stop()`, by group."""

    deployment: Deployment
    database: str
    before: dict[str, float] = field(default_factory=dict)
    pg_before: dict[int, float] = field(default_factory=dict)
    busy_before: tuple[float, float] = (0.0, 0.0)
    self_before: float = 0.0

    def _groups(self) -> dict[str, float]:
        groups: dict[str, float] = {"rasa": 0.0, "actions": 0.0, "proxy": 0.0, "redis": 0.0}
        for proc in self.deployment.procs:
            name = getattr(getattr(proc, "spec", None), "name", "")
            group = "rasa" if name.startswith("rasa") else "actions" if name.startswith("actions") else name
            if group in groups:
                groups[group] += _cpu_of(proc.pid)
        redis_pid = _redis_pid(self.deployment)
        if redis_pid:
            groups["redis"] = _cpu_of(redis_pid)
        return groups

    @staticmethod
    def _self() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def start(self) -> None:
        self.before = self._groups()
        self.pg_before = {pid: _cpu_of(pid) for pid in _pg_backends(self.database)}
        self.busy_before = _busy()
        self.self_before = self._self()

    def stop(self) -> dict[str, float]:
        after = self._groups()
        used = {name: after[name] - self.before.get(name, 0.0) for name in after}
        # backends that started during the phase count from zero; ones that ended are missed
        used["postgresql"] = sum(
            _cpu_of(pid) - self.pg_before.get(pid, 0.0) for pid in _pg_backends(self.database)
        )
        used["load_generator"] = self._self() - self.self_before
        busy, total = _busy()
        used["machine_busy_share"] = (busy - self.busy_before[0]) / max(1.0, total - self.busy_before[1])
        return {name: round(value, 3) for name, value in used.items()}


# --- the load ----------------------------------------------------------------------------------


@dataclass
class Sent:
    """One message of the load and what came back."""

    sender: str
    text: str
    status: int | None
    replies: list[str | None]
    latency: float
    error: str = ""


async def _conversation(
    session: aiohttp.ClientSession,
    url: str,
    sender: str,
    messages: list[str],
    *,
    think: float,
    first_delay: float,
    deadline: float,
    rng: random.Random,
    out: list[Sent],
) -> None:
    await asyncio.sleep(first_delay)
    for i, text in enumerate(messages):
        if i and think:
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
        if time.monotonic() > deadline:
            return  # the phase's time is up: the rest of this conversation is not sent
        start = time.perf_counter()
        status, replies, error = None, [], ""
        try:
            async with session.post(url, json={"sender": sender, "message": text}) as response:
                status = response.status
                body = await response.json(content_type=None)
            if status == 200 and isinstance(body, list):
                replies = [m.get("text") for m in body if isinstance(m, dict)]
            else:
                error = f"HTTP {status}: {str(body)[:120]}"
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as err:
            error = f"{type(err).__name__}: {err}"[:160]
        out.append(Sent(sender, text, status, replies, time.perf_counter() - start, error))


async def run_load(
    url: str,
    token: str,
    senders: list[str],
    *,
    think: float,
    max_seconds: float,
    request_timeout: float = 60.0,
    seed: int = 11,
) -> tuple[list[Sent], float]:
    """Drive one conversation per sender concurrently; every message sent and what came back, wall seconds."""
    rng = random.Random(seed)
    out: list[Sent] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=request_timeout),
        headers={"Authorization": f"Bearer {token}"},
    ) as session:
        start = time.monotonic()
        deadline = start + max_seconds
        await asyncio.gather(
            *(
                _conversation(
                    session,
                    url,
                    sender,
                    script(n),
                    think=think,
                    first_delay=rng.uniform(0, think) if think else 0.0,
                    deadline=deadline,
                    rng=rng,
                    out=out,
                )
                for n, sender in enumerate(senders)
            )
        )
        wall = time.monotonic() - start
    return out, wall


# --- checking every message against the tracker store -------------------------------------------


def tracker_events(database_url: str, senders: list[str]) -> dict[str, list[tuple[str, str | None]]]:
    """(type, text) of every user and bot event of each conversation, in order, from PostgreSQL."""
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(database_url, future=True)
    events: dict[str, list[tuple[str, str | None]]] = {sender: [] for sender in senders}
    query = text(
        "SELECT sender_id, type_name, data FROM events WHERE sender_id IN :senders "
        "AND type_name IN ('user', 'bot') ORDER BY id"
    ).bindparams(bindparam("senders", expanding=True))
    try:
        with engine.connect() as conn:
            for sender, kind, data in conn.execute(query, {"senders": senders}):
                events[sender].append((kind, json.loads(data).get("text")))
    finally:
        engine.dispose()
    return events


def check_messages(sent: list[Sent], events: dict[str, list[tuple[str, str | None]]]) -> dict[str, Any]:
    """Lost, duplicated and mismatched messages: each must be answered and stored exactly once."""
    lost: list[str] = []
    duplicated: list[str] = []
    mismatched: list[str] = []
    by_sender: dict[str, list[Sent]] = {}
    for message in sent:
        by_sender.setdefault(message.sender, []).append(message)
    for sender, messages in by_sender.items():
        # the bot events after each user event (the first turn also gets those before it: session start)
        turns: list[tuple[str | None, list[str | None]]] = []
        before: list[str | None] = []
        for kind, text in events.get(sender, []):
            if kind == "user":
                turns.append((text, before if not turns else []))
                before = []
            elif turns:
                turns[-1][1].append(text)
            else:
                before.append(text)
        stored = [text for text, _ in turns]
        for message in messages:
            where = f"{sender}: {message.text!r}"
            count = stored.count(message.text)
            if message.error or not message.replies:
                lost.append(f"{where}: {message.error or 'no reply'}")
            elif count == 0:
                lost.append(f"{where}: answered but not in the tracker store")
            if count > 1:
                duplicated.append(f"{where}: stored {count} times")
            if count == 1 and message.replies and not message.error:
                kept = turns[stored.index(message.text)][1]
                if kept == message.replies + message.replies:
                    duplicated.append(f"{where}: its replies stored twice")
                elif kept != message.replies:
                    mismatched.append(f"{where}: replied {message.replies!r}, stored {kept!r}")
        extra = len(stored) - len(messages)
        if extra > 0 and not duplicated:
            duplicated.append(f"{sender}: {extra} stored message(s) that were never sent")
    return {
        "lost": len(lost),
        "duplicated": len(duplicated),
        "mismatched": len(mismatched),
        "examples": (lost + duplicated + mismatched)[:10],
    }


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def _served(deployment: Deployment) -> dict[str, int]:
    return {
        row["svname"]: int(row["hrsp_2xx"] or 0)
        for row in deployment.stats()
        if row["pxname"] == "rasa_rest" and row["svname"] not in {"FRONTEND", "BACKEND"}
    }


def set_replicas(deployment: Deployment, count: int) -> None:
    """Keep the first `count` Rasa replicas and action servers in rotation, the others in maintenance."""
    for i in range(len(deployment.layout.rasa_ports)):
        state = "ready" if i < count else "maint"
        deployment.set_server_state("rasa_socketio", f"rasa{i + 1}", state)
        deployment.set_server_state("actions", f"actions{i + 1}", state)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        states = {
            (row["pxname"], row["svname"]): row["status"]
            for row in deployment.stats()
            if row["pxname"] in {"rasa_rest", "actions"} and row["svname"] not in {"FRONTEND", "BACKEND"}
        }
        up = [key for key, status in states.items() if status.startswith("UP")]
        if len(up) == 2 * count:
            return
        time.sleep(0.2)
    raise RuntimeError(f"HAProxy did not switch to {count} replica(s): {states}")


def phase(
    deployment: Deployment,
    *,
    replicas: int,
    shape: str,
    conversations: int,
    think: float,
    max_seconds: float,
) -> dict[str, Any]:
    """One measured phase: the load, then every message checked against the tracker store."""
    from sqlalchemy.engine import make_url

    set_replicas(deployment, replicas)
    url = f"{deployment.layout.proxy_url}/webhooks/rest/webhook"
    tag = f"bench-{replicas}r-{shape[:3]}-{uuid.uuid4().hex[:6]}"
    senders = [f"{tag}-{n:03d}" for n in range(conversations)]
    database = make_url(deployment.shared.database_url).database or ""
    meter = CpuMeter(deployment, database)
    served_before = _served(deployment)
    meter.start()
    sent, wall = asyncio.run(
        run_load(
            url,
            os.environ["BANTER_REST_TOKEN"],
            senders,
            think=think if shape == "paced" else 0.0,
            max_seconds=max_seconds,
        )
    )
    cpu = meter.stop()
    served_after = _served(deployment)
    checks = check_messages(sent, tracker_events(deployment.shared.database_url, senders))
    answered = [m for m in sent if not m.error and m.replies]
    latencies = [m.latency for m in answered]
    planned = conversations * len(script(0))
    return {
        "replicas": replicas,
        "shape": shape,
        "conversations": conversations,
        "think_s": think if shape == "paced" else 0.0,
        "messages_planned": planned,
        "messages_sent": len(sent),
        "messages_answered": len(answered),
        "not_sent_time_up": planned - len(sent),
        "wall_s": round(wall, 2),
        "throughput_msg_s": round(len(answered) / wall, 2) if wall else 0.0,
        "p50_ms": round(_pct(latencies, 0.50)),
        "p95_ms": round(_pct(latencies, 0.95)),
        "p99_ms": round(_pct(latencies, 0.99)),
        "max_ms": round(max(latencies) * 1000) if latencies else None,
        **{k: checks[k] for k in ("lost", "duplicated", "mismatched")},
        "problems": checks["examples"],
        "cpu_s": cpu,
        "cpu_ms_per_message": round(1000 * (cpu["rasa"] + cpu["actions"]) / max(1, len(answered)), 1),
        "served_by": {name: served_after.get(name, 0) - served_before.get(name, 0) for name in served_after},
    }


def warm_up(deployment: Deployment) -> None:
    """A few whole conversations on every replica first (TensorFlow's first calls, connection pools)."""
    set_replicas(deployment, len(deployment.layout.rasa_ports))
    url = f"{deployment.layout.proxy_url}/webhooks/rest/webhook"
    sent: list[Sent] = []
    # one conversation alone first (the action servers load the playbook on their first call), then a few
    for count in (1, 2 * len(deployment.layout.rasa_ports)):
        senders = [f"warmup-{uuid.uuid4().hex[:8]}" for _ in range(count)]
        sent += asyncio.run(
            run_load(url, os.environ["BANTER_REST_TOKEN"], senders, think=0.0, max_seconds=300)
        )[0]
    failed = [m for m in sent if m.error or not m.replies]
    if failed:
        raise RuntimeError(f"warm-up failed: {failed[0].error or 'no reply'} ({len(failed)} of {len(sent)})")


# --- report ------------------------------------------------------------------------------------


def verdict(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The issue's goals, each with its figure: 2 replicas >= 1.4x one, p95 <= 1.5 s, nothing lost or doubled."""

    def find(replicas: int, shape: str) -> dict[str, Any] | None:
        return next((r for r in results if r["replicas"] == replicas and r["shape"] == shape), None)

    goals: dict[str, Any] = {}
    one, two = find(1, "saturated"), find(2, "saturated")
    if one and two and one["throughput_msg_s"]:
        ratio = two["throughput_msg_s"] / one["throughput_msg_s"]
        goals["throughput_ratio"] = {"value": round(ratio, 2), "goal": ">= 1.4", "met": ratio >= 1.4}
    paced = find(2, "paced") or two
    if paced:
        goals["p95_ms_two_replicas"] = {
            "value": paced["p95_ms"],
            "shape": paced["shape"],
            "goal": "<= 1500",
            "met": paced["p95_ms"] <= 1500,
        }
    bad = sum(r["lost"] + r["duplicated"] + r["mismatched"] for r in results)
    goals["lost_duplicated_mismatched"] = {"value": bad, "goal": "0", "met": bad == 0}
    return goals


def print_table(results: list[dict[str, Any]], goals: dict[str, Any]) -> None:
    header = (
        f"{'replicas':>8} {'shape':<10} {'conv':>5} {'sent':>5} {'msg/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'max ms':>7} {'lost':>5} {'dup':>4} {'mism':>5} {'CPU ms/msg':>10} {'busy':>5}  served by"
    )
    print("\n" + header)
    for r in results:
        served = " ".join(f"{name}:{count}" for name, count in r["served_by"].items() if count)
        print(
            f"{r['replicas']:>8} {r['shape']:<10} {r['conversations']:>5} {r['messages_sent']:>5} "
            f"{r['throughput_msg_s']:>7.1f} {r['p50_ms']:>7} {r['p95_ms']:>7} {r['max_ms'] or 0:>7} "
            f"{r['lost']:>5} {r['duplicated']:>4} {r['mismatched']:>5} {r['cpu_ms_per_message']:>10} "
            f"{100 * r['cpu_s']['machine_busy_share']:>4.0f}%  {served}"
        )
    print(
        "\nCPU seconds per phase (Rasa, actions | proxy, PostgreSQL backends, Redis server, load generator):"
    )
    for r in results:
        c = r["cpu_s"]
        print(
            f"  {r['replicas']} replica(s) {r['shape']:<10} {c['rasa']:7.1f} {c['actions']:7.1f} | "
            f"{c['proxy']:6.1f} {c['postgresql']:6.1f} {c['redis']:6.1f} {c['load_generator']:6.1f}"
        )
    print("\nGoals:")
    for name, goal in goals.items():
        extra = f" ({goal['shape']})" if "shape" in goal else ""
        print(
            f"  {name:<28} {goal['value']}{extra}  goal {goal['goal']}: {'met' if goal['met'] else 'NOT met'}"
        )
    for r in results:
        for problem in r["problems"][:3]:
            print(f"  problem ({r['replicas']} replica(s), {r['shape']}): {problem}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--conversations", type=int, default=100, help="concurrent conversations (default 100)"
    )
    parser.add_argument("--think", type=float, default=10.0, help="paced: mean seconds between messages (10)")
    parser.add_argument("--phases", default="saturated,paced", help="saturated, paced or both (default)")
    parser.add_argument("--replicas", default="1,2", help="topologies to measure (default 1,2)")
    parser.add_argument("--max-seconds", type=float, default=600, help="bound on each phase (default 600)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "bench_scaled.json")
    args = parser.parse_args()
    shapes = [s.strip() for s in args.phases.split(",") if s.strip()]
    if not shapes or set(shapes) - {"saturated", "paced"}:
        parser.error("--phases: saturated, paced or saturated,paced")
    topologies = [int(n) for n in args.replicas.split(",")]
    if not topologies or not set(topologies) <= {1, 2}:
        parser.error("--replicas: 1, 2 or 1,2")
    tmp = Path(tempfile.mkdtemp(prefix="banter-bench-scaled-"))
    print(f"==> starting the scaled deployment (logs in {tmp / 'log'})", flush=True)
    results: list[dict[str, Any]] = []
    with throwaway_scaled(tmp, replicas=2) as deployment:
        print("==> warming up both replicas", flush=True)
        warm_up(deployment)
        for replicas in topologies:
            for shape in shapes:
                pace = f", think {args.think:g} s" if shape == "paced" else ""
                print(
                    f"==> {replicas} replica(s), {shape}: {args.conversations} concurrent conversations "
                    f"of {len(script(0))} messages{pace}",
                    flush=True,
                )
                results.append(
                    phase(
                        deployment,
                        replicas=replicas,
                        shape=shape,
                        conversations=args.conversations,
                        think=args.think,
                        max_seconds=args.max_seconds,
                    )
                )
                r = results[-1]
                print(
                    f"    {r['messages_answered']} answered in {r['wall_s']} s: {r['throughput_msg_s']} msg/s, "
                    f"p95 {r['p95_ms']} ms, lost {r['lost']}, duplicated {r['duplicated']}",
                    flush=True,
                )
    goals = verdict(results)
    print_table(results, goals)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "machine": {"cores": os.cpu_count(), "load_average_at_end": os.getloadavg()},
                "settings": {
                    "conversations": args.conversations,
                    "think_s": args.think,
                    "messages_per_conversation": len(script(0)),
                    "max_seconds_per_phase": args.max_seconds,
                    "tf_threads_per_replica": 1,
                    "channel": "REST through HAProxy (round robin), token",
                },
                "phases": results,
                "goals": goals,
            },
            indent=2,
        )
    )
    print(f"\nsaved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
