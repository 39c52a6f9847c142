"""The scaled deployment's pieces that need no server: the proxy configuration, the layout,
the Rasa command line, and the load run's check that every message is answered and stored once."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from bot.scaled import Layout, _rasa_cmd, haproxy_binary, layout_from_env, proxy_config, shared_state_from_env
from bot.settings import SettingsError, load_settings
from scripts.bench_scaled import Sent, check_messages


def layout(tmp_path: Path) -> Layout:
    return Layout(
        proxy_bind="127.0.0.1",
        proxy_port=18080,
        rasa_ports=(15005, 15006),
        action_ports=(15056, 15057),
        actions_port=15055,
        web_port=18000,
        smtp_port=18025,
        run_dir=tmp_path,
    )


def section(config: str, name: str) -> str:
    """One `backend`/`listen`/`frontend` section of an HAProxy configuration."""
    lines = config.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == name.split())
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace()), len(lines)
    )
    return "\n".join(lines[start:end])


def test_the_proxy_routes_only_the_chat_paths_to_rasa_sticky_for_socketio(tmp_path: Path) -> None:
    config = proxy_config(layout(tmp_path))
    front = section(config, "frontend public")
    assert "bind 127.0.0.1:18080" in front
    assert "use_backend rasa_socketio if socketio" in front and "path_beg /socket.io/" in front
    assert "use_backend rasa_rest if rest" in front and "path_beg /webhooks/rest/" in front
    assert "default_backend web" in front  # Rasa's HTTP API is not routed at all
    socketio = section(config, "backend rasa_socketio")
    assert "balance source" in socketio and "cookie BANTER_RASA insert" in socketio
    assert "server rasa1 127.0.0.1:15005 check cookie rasa1" in socketio
    assert "server rasa2 127.0.0.1:15006 check cookie rasa2" in socketio
    rest = section(config, "backend rasa_rest")
    assert "balance roundrobin" in rest and "track rasa_socketio/rasa2" in rest
    actions = section(config, "listen actions")
    assert "bind 127.0.0.1:15055" in actions
    assert "server actions1 127.0.0.1:15056" in actions and "server actions2 127.0.0.1:15057" in actions
    assert f"stats socket {tmp_path / 'haproxy.sock'} mode 600" in config
    assert "retry-on" not in config  # never resend a request a replica may have started


def test_without_the_web_app_the_proxy_has_no_server_for_it(tmp_path: Path) -> None:
    assert "server web1" not in proxy_config(layout(tmp_path), web=False)
    assert "server web1 127.0.0.1:18000" in proxy_config(layout(tmp_path))


def test_haproxy_accepts_the_generated_configuration(tmp_path: Path) -> None:
    try:
        haproxy = haproxy_binary()
    except RuntimeError:
        pytest.skip("HAProxy is not installed (make test-e2e and make run-scaled install it)")
    path = tmp_path / "haproxy.cfg"
    path.write_text(proxy_config(layout(tmp_path)))
    checked = subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr or checked.stdout


def test_the_default_layout_and_its_bounds() -> None:
    default = layout_from_env({})
    assert default.rasa_ports == (5005, 5006) and default.action_ports == (5056, 5057)
    assert default.actions_port == 5055 and (default.proxy_bind, default.proxy_port) == ("127.0.0.1", 8080)
    assert layout_from_env({"BANTER_REPLICAS": "3"}).rasa_ports == (5005, 5006, 5007)
    assert layout_from_env({"BANTER_PROXY_BIND": "0.0.0.0"}).proxy_url == "http://127.0.0.1:8080"
    for bad in ({"BANTER_REPLICAS": "0"}, {"BANTER_REPLICAS": "two"}, {"BANTER_PROXY_PORT": "70000"}):
        with pytest.raises(SettingsError):
            layout_from_env(bad)


def test_shared_state_is_postgresql_even_when_database_url_is_sqlite() -> None:
    assert shared_state_from_env({}).database_url == "postgresql://postgres@127.0.0.1:5432/banter_scaled"
    assert shared_state_from_env({"DATABASE_URL": "sqlite:///var/banter.db"}).database_url.endswith(
        "/banter_scaled"
    )
    assert (
        shared_state_from_env({"DATABASE_URL": "postgres://u@db:5432/x"}).database_url
        == "postgresql://u@db:5432/x"
    )


def test_each_replica_runs_on_the_scaled_endpoints_with_the_api_token(tmp_path: Path) -> None:
    settings = replace(load_settings({"RASA_API_TOKEN": "t" * 32}), model_dir=tmp_path)
    cmd = _rasa_cmd(settings, 15006, tmp_path / "banter.tar.gz")
    assert cmd[cmd.index("--endpoints") + 1] == "endpoints.scaled.yml"
    assert cmd[cmd.index("--port") + 1] == "15006" and cmd[cmd.index("--interface") + 1] == "127.0.0.1"
    assert f"--auth-token={'t' * 32}" in cmd


def sent(text: str, replies: list[str | None], error: str = "") -> Sent:
    return Sent(
        sender="s", text=text, status=None if error else 200, replies=replies, latency=0.1, error=error
    )


def test_the_load_check_counts_lost_duplicated_and_mismatched_messages() -> None:
    ok = [sent("hi", ["Hello", "What do you need?"]), sent("leads", ["Your role?"])]
    stored = [
        ("bot", "Hello"),
        ("user", "hi"),
        ("bot", "What do you need?"),
        ("user", "leads"),
        ("bot", "Your role?"),
    ]
    assert check_messages(ok, {"s": stored}) == {"lost": 0, "duplicated": 0, "mismatched": 0, "examples": []}

    twice = [*stored, ("user", "leads"), ("bot", "Your role?")]
    assert check_messages(ok, {"s": twice})["duplicated"] == 1
    replies_twice = [*stored, ("bot", "Your role?")]
    assert check_messages(ok, {"s": replies_twice})["duplicated"] == 1
    assert check_messages(ok, {"s": stored[:3]})["lost"] == 1  # answered, never stored
    failed = [ok[0], sent("leads", [], error="HTTP 502")]
    assert check_messages(failed, {"s": stored[:3]})["lost"] == 1
    other = [ok[0], sent("leads", ["Which company?"])]
    assert check_messages(other, {"s": stored})["mismatched"] == 1
