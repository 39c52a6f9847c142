"""The scaled deployment on one machine (`banter run-scaled`, `make run-scaled`).

What outgrows SQLite, built from Rasa's, PostgreSQL's and HAProxy's own mechanisms
(DESIGN.md, "Scaling out"; docs/deployment.md for several machines):

- PostgreSQL holds the leads and Rasa's tracker store (one database, default
  `banter_scaled` on 127.0.0.1:5432, created when missing; DATABASE_URL overrides it);
- Redis holds Rasa's conversation locks (endpoints.scaled.yml), the chat's rate limits and
  the console's logouts and login throttle (REDIS_HOST/REDIS_PORT or REDIS_URL, default
  127.0.0.1:6379);
- N Rasa replicas (BANTER_REPLICAS, default 2, on RASA_PORT, RASA_PORT+1, ...) and N action
  servers (ACTIONS_PORT+1, ...) run behind HAProxy: one public port
  (BANTER_PROXY_BIND:BANTER_PROXY_PORT, default 127.0.0.1:8080) for socket.io (sticky), the
  REST channel and the web app, and a private listener on ACTIONS_PORT that spreads the
  replicas' action calls over the action servers (deploy/haproxy.cfg.template);
- the web app, the outbox worker and (without SMTP_HOST) the local SMTP server run once.

Every process except the proxy's public port listens on 127.0.0.1. The processes are
started with bot/runner.py's command lines and environment; this module only adds the
replicas, the shared state and the proxy.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from string import Template

from bot.runner import (
    action_server_cmd,
    api_token,
    banter_cmd,
    child_env,
    console_login_line,
    rasa_server_cmd,
    rest_line,
    stop,
    wait_for,
)
from bot.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
from bot.supervise import Child, ProcessSpec, Supervisor

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/banter_scaled"
PROXY_TEMPLATE = PROJECT_ROOT / "deploy" / "haproxy.cfg.template"
ENDPOINTS = "endpoints.scaled.yml"  # PostgreSQL tracker store + Redis lock store
MAX_REPLICAS = 8


@dataclass(frozen=True)
class Layout:
    """Where each process of the scaled deployment listens (all on 127.0.0.1 but the proxy)."""

    proxy_bind: str
    proxy_port: int
    rasa_ports: tuple[int, ...]
    action_ports: tuple[int, ...]
    actions_port: int  # the private action-server balancer the replicas call
    web_port: int
    smtp_port: int
    run_dir: Path  # the generated proxy configuration and its admin socket

    @property
    def proxy_url(self) -> str:
        """The proxy's public address as a URL (a wildcard bind is reached on loopback)."""
        host = "127.0.0.1" if self.proxy_bind in {"0.0.0.0", "::", "*", ""} else self.proxy_bind
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.proxy_port}"

    @property
    def stats_socket(self) -> Path:
        """HAProxy's admin socket (0600): `show stat`, `set server ... state maint`."""
        return self.run_dir / "haproxy.sock"


@dataclass(frozen=True)
class SharedState:
    """The state every replica shares: PostgreSQL (leads, trackers) and Redis (locks, console)."""

    database_url: str
    redis_host: str
    redis_port: int


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, str(default))
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise SettingsError(f"{name}={raw!r}: must be a whole number from {low} to {high}")
    return int(raw)


def layout_from_env(env: Mapping[str, str], replicas: int | None = None) -> Layout:
    """The default layout, from RASA_PORT, ACTIONS_PORT, WEB_PORT, BANTER_PROXY_* and BANTER_REPLICAS."""
    count = replicas if replicas is not None else _int(env, "BANTER_REPLICAS", 2, 1, MAX_REPLICAS)
    if not 1 <= count <= MAX_REPLICAS:
        raise SettingsError(f"replicas: must be from 1 to {MAX_REPLICAS}")
    rasa = _int(env, "RASA_PORT", 5005, 1, 65535)
    actions = _int(env, "ACTIONS_PORT", 5055, 1, 65535)
    return Layout(
        proxy_bind=env.get("BANTER_PROXY_BIND", "127.0.0.1"),
        proxy_port=_int(env, "BANTER_PROXY_PORT", 8080, 1, 65535),
        rasa_ports=tuple(rasa + i for i in range(count)),
        action_ports=tuple(actions + 1 + i for i in range(count)),
        actions_port=actions,
        web_port=_int(env, "WEB_PORT", 8000, 1, 65535),
        smtp_port=_int(env, "SMTP_PORT", 8025, 1, 65535),
        run_dir=PROJECT_ROOT / "var" / "scaled",
    )


def shared_state_from_env(env: Mapping[str, str]) -> SharedState:
    """Where the shared state is.

    DATABASE_URL when it is PostgreSQL, else `banter_scaled` on the local server; REDIS_HOST and
    REDIS_PORT, else REDIS_URL's host and port, else 127.0.0.1:6379.
    """
    url = env.get("DATABASE_URL", "")
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if not url.startswith(("postgresql://", "postgresql+psycopg2://")):
        url = DEFAULT_DATABASE_URL
    redis_env = dict(env)
    if not env.get("REDIS_HOST") and env.get("REDIS_URL"):
        parsed = urllib.parse.urlsplit(env["REDIS_URL"])
        redis_env.update(REDIS_HOST=parsed.hostname or "127.0.0.1", REDIS_PORT=str(parsed.port or 6379))
    return SharedState(
        database_url=url,
        redis_host=redis_env.get("REDIS_HOST") or "127.0.0.1",
        redis_port=_int(redis_env, "REDIS_PORT", 6379, 1, 65535),
    )


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in `url` when it does not exist yet."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    target = make_url(url)
    name = target.database or ""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", name):
        raise SettingsError(f"DATABASE_URL: database name {name!r} must be letters, digits and _")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                return
            conn.execute(text(f'CREATE DATABASE "{name}"'))  # a checked identifier: no injection
    except OperationalError as err:
        where = f"{target.host}:{target.port or 5432}"
        raise RuntimeError(f"PostgreSQL is not reachable at {where}: {str(err.orig).strip()}") from None
    finally:
        admin.dispose()


def check_redis(host: str, port: int) -> None:
    """Fail with a clear message when Redis does not answer (Rasa would refuse its lock store)."""
    import redis

    try:
        redis.Redis(host=host, port=port, socket_timeout=3, socket_connect_timeout=3).ping()
    except redis.RedisError as err:
        raise RuntimeError(f"Redis is not reachable at {host}:{port}: {err}") from None


def haproxy_binary() -> str:
    """The HAProxy executable (`make run-scaled` installs Debian's package)."""
    found = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if os.access(p, os.X_OK)), None
    )
    if not found:
        raise RuntimeError(
            "HAProxy is not installed: `make run-scaled` installs it (apt-get install haproxy)"
        )
    return found


def proxy_config(layout: Layout, *, web: bool = True, template: Path | None = None) -> str:
    """deploy/haproxy.cfg.template filled in for `layout` (without the web app: no server for it)."""
    rasa = [f"rasa{i + 1}" for i in range(len(layout.rasa_ports))]
    return Template((template or PROXY_TEMPLATE).read_text()).substitute(
        proxy_bind=layout.proxy_bind,
        proxy_port=layout.proxy_port,
        stats_socket=layout.stats_socket,
        actions_port=layout.actions_port,
        rasa_socketio_servers="\n".join(
            f"    server {name} 127.0.0.1:{port} check cookie {name}"
            for name, port in zip(rasa, layout.rasa_ports, strict=True)
        ),
        # the same processes: they follow the health checks above instead of checking twice
        rasa_rest_servers="\n".join(
            f"    server {name} 127.0.0.1:{port} track rasa_socketio/{name}"
            for name, port in zip(rasa, layout.rasa_ports, strict=True)
        ),
        web_servers=f"    server web1 127.0.0.1:{layout.web_port} check inter 5s" if web else "",
        action_servers="\n".join(
            f"    server actions{i + 1} 127.0.0.1:{port} check" for i, port in enumerate(layout.action_ports)
        ),
    )


def proxy_command(sock: Path, command: str) -> str:
    """Send one command to HAProxy's admin socket; its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        conn.connect(str(sock))
        conn.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def proxy_stats(sock: Path) -> list[dict[str, str]]:
    """`show stat` as rows (pxname, svname, status, hrsp_2xx, ...), one per frontend, server and backend."""
    text = proxy_command(sock, "show stat").lstrip("# ")
    return list(csv.DictReader(io.StringIO(text)))


@dataclass
class Deployment:
    """A running scaled deployment: its layout, shared state and processes."""

    layout: Layout
    shared: SharedState
    settings: Settings
    env: dict[str, str]
    log_dir: Path
    # Child processes (bot/supervise.py): the supervisor replaces a restarted one in place.
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def process(self, name: str) -> Child:
        """The process called `name` (rasa1, actions2, proxy, web ...)."""
        for proc in self.procs:
            if isinstance(proc, Child) and proc.spec.name == name:
                return proc
        raise KeyError(name)

    def has(self, name: str) -> bool:
        """Whether a process called `name` was started."""
        return any(isinstance(p, Child) and p.spec.name == name for p in self.procs)

    def stats(self) -> list[dict[str, str]]:
        """The proxy's counters and server states."""
        return proxy_stats(self.layout.stats_socket)

    def set_server_state(self, backend: str, server: str, state: str) -> None:
        """Put a server in `ready`, `drain` or `maint` (the benchmark runs one replica this way)."""
        answer = proxy_command(self.layout.stats_socket, f"set server {backend}/{server} state {state}")
        if answer.strip():
            raise RuntimeError(
                f"HAProxy refused 'set server {backend}/{server} state {state}': {answer.strip()}"
            )

    def stop(self) -> None:
        """Stop the proxy first (no new traffic), then everything else."""
        stop([p for p in self.procs if isinstance(p, Child) and p.spec.name == "proxy"])
        stop(self.procs)


def _scaled_environment(layout: Layout, shared: SharedState) -> tuple[Settings, dict[str, str]]:
    """Settings and the environment every process of the deployment gets."""
    from sqlalchemy.engine import make_url

    db = make_url(shared.database_url)
    public = os.environ.get("BANTER_PUBLIC_URL") or layout.proxy_url
    overrides = {
        "DATABASE_URL": shared.database_url,
        "TRACKER_URL": shared.database_url,  # transcripts: the web app and actions read Rasa's events
        # endpoints.scaled.yml: Rasa's SQL tracker store on the same PostgreSQL database
        "TRACKER_DB_HOST": db.host or "127.0.0.1",
        "TRACKER_DB_PORT": str(db.port or 5432),
        "TRACKER_DB_NAME": db.database or "",
        "TRACKER_DB_USER": db.username or "",
        "TRACKER_DB_PASSWORD": db.password or "",
        # Rasa's lock store; the chat's rate limits and the console's logouts share the same Redis
        "REDIS_HOST": shared.redis_host,
        "REDIS_PORT": str(shared.redis_port),
        "RASA_PORT": str(layout.rasa_ports[0]),
        "ACTIONS_PORT": str(layout.actions_port),  # the replicas call the balancer, not one server
        "WEB_PORT": str(layout.web_port),
        "SMTP_PORT": str(layout.smtp_port),
        "BANTER_PUBLIC_URL": public,
        "BANTER_RASA_URL": os.environ.get("BANTER_RASA_URL") or public,  # the widget's socket.io: the proxy
        # rate limits and login throttling count the address in the proxy's X-Forwarded-For entry
        "BANTER_BEHIND_PROXY": "1",
        # One replica per core: TensorFlow's thread pools would only make the replicas fight.
        "TF_INTRA_OP_PARALLELISM_THREADS": "1",
        "TF_INTER_OP_PARALLELISM_THREADS": "1",
    }
    if not os.environ.get("BANTER_ALLOWED_ORIGINS"):
        origins = [public]
        if layout.proxy_url != public:
            origins.append(layout.proxy_url)
        overrides["BANTER_ALLOWED_ORIGINS"] = ",".join(origins)
    settings = load_settings({**os.environ, **overrides})
    env = child_env(settings)
    env.update(overrides)
    env["RASA_API_TOKEN"] = api_token(settings)  # one token for every replica's HTTP API
    return settings, env


def _rasa_cmd(settings: Settings, port: int, model: Path) -> list[str]:
    """bot/runner.py's Rasa command line for one replica, on the scaled endpoints."""
    cmd = rasa_server_cmd(replace(settings, rasa_port=port), model)
    for i, arg in enumerate(cmd):
        if arg == "--endpoints":
            cmd[i + 1] = ENDPOINTS
            return cmd
        if arg.startswith("--endpoints="):
            cmd[i] = f"--endpoints={ENDPOINTS}"
            return cmd
    return [*cmd, "--endpoints", ENDPOINTS]


def _wait_all_up(deployment: Deployment, timeout: float) -> None:
    """Wait until the proxy sees every server up (its health checks)."""
    deadline = time.monotonic() + timeout
    down: list[str] = []
    while time.monotonic() < deadline:
        proxy = deployment.process("proxy")
        if proxy.poll() is not None:
            raise RuntimeError(f"HAProxy exited with code {proxy.returncode}:\n{proxy.log_tail()}")
        try:
            rows = deployment.stats()
        except OSError:
            rows = []
        servers = [r for r in rows if r["svname"] not in {"FRONTEND", "BACKEND"}]
        # up, and (unless it follows another server's checks) checked once: HAProxy starts
        # every server as up before its first check
        down = [
            f"{r['pxname']}/{r['svname']} {r['status']} {r['check_status']}"
            for r in servers
            if not r["status"].startswith("UP") or r["check_status"].strip("* ") not in {"", "L7OK", "L4OK"}
        ]
        if servers and not down:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the proxy does not see every server up after {timeout:.0f} s: {', '.join(down)}")


def start_scaled(
    layout: Layout,
    shared: SharedState,
    *,
    log_dir: Path,
    web: bool = True,
    worker: bool = True,
) -> Deployment:
    """Create the database when missing, migrate it, start every process; return when all answer."""
    from bot.links import signing_key

    haproxy = haproxy_binary()
    settings, env = _scaled_environment(layout, shared)
    model = settings.model_dir / "banter.tar.gz"
    if not model.exists():
        raise RuntimeError(f"no trained model at {model}: run `make train` first")
    ensure_database(shared.database_url)
    check_redis(shared.redis_host, shared.redis_port)
    log_dir.mkdir(parents=True, exist_ok=True)
    layout.run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    signing_key(settings)  # one key (signed session ids, links) for every replica, created once here
    config = layout.run_dir / "haproxy.cfg"
    config.write_text(proxy_config(layout, web=web))
    checked = subprocess.run([haproxy, "-c", "-q", "-f", str(config)], capture_output=True, text=True)
    if checked.returncode != 0:
        raise RuntimeError(f"{config} is not valid: {(checked.stderr or checked.stdout).strip()}")
    migrate = subprocess.run(banter_cmd("migrate"), cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    if migrate.returncode != 0:
        raise RuntimeError(f"could not migrate {shared.database_url}: {migrate.stderr.strip()}")
    print(f"==> {migrate.stdout.strip()}", flush=True)

    deployment = Deployment(layout=layout, shared=shared, settings=settings, env=env, log_dir=log_dir)

    def start(name: str, cmd: list[str]) -> None:
        spec = ProcessSpec(name=name, cmd=cmd, env=env, cwd=PROJECT_ROOT, log=log_dir / f"{name}.log")
        deployment.procs.append(spec.spawn())
        print(f"==> started {name} (pid {deployment.procs[-1].pid}), log: {spec.log}", flush=True)

    try:
        if worker and settings.local_smtp:
            start("mail", banter_cmd("mailserver"))
        for i, port in enumerate(layout.action_ports):
            start(f"actions{i + 1}", action_server_cmd(replace(settings, actions_port=port)))
        for i, port in enumerate(layout.rasa_ports):
            start(f"rasa{i + 1}", _rasa_cmd(settings, port, model))
        if web:
            start("web", banter_cmd("web"))
        if worker:
            start("worker", banter_cmd("worker"))
        procs = deployment.procs
        if web:
            wait_for(f"http://127.0.0.1:{layout.web_port}/healthz", 60, procs)
        for port in layout.action_ports:
            wait_for(f"http://127.0.0.1:{port}/health", 120, procs)
        print(f"==> {len(layout.action_ports)} action server(s) ready", flush=True)
        token = urllib.parse.urlencode({"token": env["RASA_API_TOKEN"]})
        for port in layout.rasa_ports:
            wait_for(f"http://127.0.0.1:{port}/status?{token}", 300, procs)
        print(f"==> {len(layout.rasa_ports)} Rasa replica(s) ready", flush=True)
        if layout.stats_socket.exists():
            layout.stats_socket.unlink()  # left by a proxy that was killed
        start("proxy", [haproxy, "-db", "-f", str(config)])
        _wait_all_up(deployment, 30)
        print(f"==> HAProxy ready on {layout.proxy_bind}:{layout.proxy_port}", flush=True)
    except BaseException:
        deployment.stop()
        raise
    return deployment


def banner(deployment: Deployment) -> str:
    """Where to chat and what runs where."""
    layout, settings = deployment.layout, deployment.settings
    public = settings.public_url
    rest = rest_line(public)
    console_login = console_login_line(settings)
    from sqlalchemy.engine import make_url

    db = make_url(deployment.shared.database_url).render_as_string(hide_password=True)
    mail = (
        f"{settings.mail_dir}/new (local SMTP server)"
        if deployment.has("mail")
        else f"via {settings.smtp_host}"
    )
    replicas = ", ".join(f"127.0.0.1:{p}" for p in layout.rasa_ports)
    actions = ", ".join(f"127.0.0.1:{p}" for p in layout.action_ports)
    return f"""
Banter is running, scaled: {len(layout.rasa_ports)} Rasa replicas and {len(layout.action_ports)} action servers behind HAProxy.
  Demo website:          {public}/   (the widget is on every page; its socket.io goes through the proxy)
  socket.io:             {public}/socket.io  (sticky: cookie BANTER_RASA, else the client's address)
  REST:                  {rest}
  Console:               {public}/console/   {console_login}
  Leads and trackers:    PostgreSQL {db}  (DATABASE_URL={db} .venv/bin/banter leads list)
  Locks, console logins: Redis {deployment.shared.redis_host}:{deployment.shared.redis_port}
  Mail sent:             {mail}
  Private (127.0.0.1):   Rasa replicas {replicas} (HTTP API: token in var/rasa_api_token or RASA_API_TOKEN),
                         action servers {actions} (the replicas call them via 127.0.0.1:{layout.actions_port}),
                         web app 127.0.0.1:{layout.web_port}
  Proxy:                 {layout.proxy_bind}:{layout.proxy_port}, config {layout.run_dir / "haproxy.cfg"}, admin socket {layout.stats_socket}
  Logs:                  {deployment.log_dir}
Press Ctrl-C to stop."""


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def run_scaled(replicas: int | None = None) -> int:
    """`banter run-scaled`: start the scaled deployment, keep it running, stop it on Ctrl-C."""
    layout = layout_from_env(os.environ, replicas)
    shared = shared_state_from_env(os.environ)
    # Ctrl-C (SIGINT) and SIGTERM stop everything, also during start-up
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    try:
        deployment = start_scaled(layout, shared, log_dir=PROJECT_ROOT / "var" / "log" / "scaled")
    except KeyboardInterrupt:
        print("\n==> stopped while starting", flush=True)
        return 0
    print(banner(deployment), flush=True)
    try:
        # a replica or action server that crashes is restarted with backoff; meanwhile the
        # proxy's health checks keep it out of rotation and the others serve
        Supervisor(deployment.procs, log=deployment.log_dir / "supervisor.log").run()
    except KeyboardInterrupt:
        print("\n==> stopping", flush=True)
    finally:
        deployment.stop()
    return 0
