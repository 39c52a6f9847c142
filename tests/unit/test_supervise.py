"""The supervisor restarts a crashed process with capped exponential backoff; the others keep running."""

from __future__ import annotations

import io
import os
import signal
import sys
import time
from pathlib import Path

from bot.runner import stop
from bot.supervise import Backoff, Child, ProcessSpec, Supervisor, describe_exit


def spec(tmp_path: Path, name: str, code: str) -> ProcessSpec:
    return ProcessSpec(
        name=name,
        cmd=[sys.executable, "-c", code],
        env=dict(os.environ),
        cwd=tmp_path,
        log=tmp_path / f"{name}.log",
    )


def supervise_until(supervisor: Supervisor, done, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "supervisor did not get there in time"
        supervisor.check()
        time.sleep(0.05)


def test_backoff_doubles_from_one_second_and_is_capped() -> None:
    assert [Backoff().delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_exit_descriptions_name_the_code_or_the_signal() -> None:
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-9) == "signal 9 (SIGKILL)"


def test_a_crashing_process_is_restarted_with_growing_delays_and_logged(tmp_path: Path) -> None:
    crashing = spec(tmp_path, "crashy", "print('starting', flush=True); raise SystemExit(3)")
    steady = spec(tmp_path, "steady", "import time; time.sleep(60)")
    procs = [crashing.spawn(), steady.spawn()]
    steady_pid = procs[1].pid
    out = io.StringIO()
    supervisor = Supervisor(
        procs, log=tmp_path / "supervisor.log", backoff=Backoff(first=0.1, cap=0.4), out=out
    )
    try:
        supervise_until(supervisor, lambda: supervisor.restarts >= 4)
        console = out.getvalue()
        assert (
            "crashy (pid " in console
            and "exited with exit code 3; restarting in 0.1 s (failure 1 in a row)" in console
        )
        assert "failure 4 in a row" in console, console
        assert console.count("restarted crashy (pid ") == 4
        logged = (tmp_path / "supervisor.log").read_text()
        assert "exited with exit code 3" in logged and "restarted crashy" in logged
        assert oct((tmp_path / "supervisor.log").stat().st_mode & 0o777) == "0o600"
        assert (tmp_path / "crashy.log").read_text().count("starting") >= 4  # its own log, appended
        assert procs[1].pid == steady_pid and procs[1].poll() is None  # the others keep serving
    finally:
        stop(procs)


def test_delays_double_between_restarts(tmp_path: Path) -> None:
    procs = [spec(tmp_path, "crashy", "raise SystemExit(1)").spawn()]
    out = io.StringIO()
    supervisor = Supervisor(
        procs, log=tmp_path / "supervisor.log", backoff=Backoff(first=0.2, cap=0.8), out=out
    )
    started = time.monotonic()
    try:
        supervise_until(supervisor, lambda: supervisor.restarts >= 4)
    finally:
        stop(procs)
    # 0.2 + 0.4 + 0.8 + 0.8 (capped) seconds of waiting, plus the start-up of each process
    assert time.monotonic() - started >= 2.2
    delays = [
        line.split("restarting in ")[1].split(" s")[0]
        for line in out.getvalue().splitlines()
        if "restarting in" in line
    ]
    assert delays[:4] == ["0.2", "0.4", "0.8", "0.8"]


def test_a_killed_process_is_restarted_and_its_signal_reported(tmp_path: Path) -> None:
    procs = [spec(tmp_path, "server", "import time; time.sleep(60)").spawn()]
    first = procs[0]
    out = io.StringIO()
    supervisor = Supervisor(procs, log=tmp_path / "supervisor.log", backoff=Backoff(first=0.1), out=out)
    try:
        os.kill(first.pid, signal.SIGKILL)
        supervise_until(supervisor, lambda: supervisor.restarts == 1)
        assert isinstance(procs[0], Child) and procs[0].pid != first.pid and procs[0].poll() is None
        assert f"server (pid {first.pid}) exited with signal 9 (SIGKILL)" in out.getvalue()
    finally:
        stop(procs)


def test_a_process_not_started_by_a_spec_is_left_alone(tmp_path: Path) -> None:
    import subprocess

    plain = subprocess.Popen([sys.executable, "-c", "pass"])
    plain.wait()
    supervisor = Supervisor([plain], log=tmp_path / "supervisor.log", out=io.StringIO())
    supervisor.check()
    assert supervisor.restarts == 0


def test_a_process_that_dies_while_starting_is_reported_with_the_reason_from_its_log(tmp_path: Path) -> None:
    import pytest

    from bot.runner import wait_for

    code = "print('loading'); print('\\x1b[91mStoreUnreachable: Refusing to start: the tracker store (X) cannot be reached: no\\x1b[0m'); raise SystemExit(1)"
    proc = spec(tmp_path, "rasa", code).spawn()
    proc.wait(30)
    assert proc.log_tail(2).splitlines()[0] == "loading"
    with pytest.raises(RuntimeError) as failed:
        wait_for("http://127.0.0.1:9/status", 5, [proc])
    first_line = str(failed.value).splitlines()[0]  # what `banter run` prints
    assert first_line == (
        "rasa exited with exit code 1 while starting: Refusing to start: the tracker store (X) cannot be reached: no "
        f"(log: {tmp_path / 'rasa.log'})"
    )
