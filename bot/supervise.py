"""Keep Banter's processes running: restart a crashed one with capped exponential backoff.

`banter run` starts five processes (action server, Rasa, web app, worker, local SMTP).
When one of them exits, `Supervisor` logs it (console and var/log/supervisor.log, with
the exit code or signal) and starts it again after 1 s, 2 s, 4 s ... at most 30 s; a
process that stayed up for a minute before it died starts again from 1 s. The others
keep serving; Ctrl-C or SIGTERM still stops everything (bot.runner).

Why a small loop and not supervisord (supervisor 4.3 on PyPI, evaluated for this):

- its restart policy is not the one wanted: a process that dies within `startsecs` is
  retried after 1 s, 2 s, 3 s (linear) and marked FATAL after `startretries`, i.e.
  never started again without an operator; one that dies later is restarted at once,
  with no delay. A database that is down for ten minutes would leave Rasa FATAL (or
  restarting in a tight loop), where a capped exponential backoff keeps trying calmly.
- the processes would become supervisord's children, not ours: the readiness waits,
  `stop()`, the tests and the scaled launcher work on the `subprocess.Popen` objects
  that `start_servers` returns; with supervisord each of those would need a generated
  config, its XML-RPC control socket (one more private service to keep private) and
  `supervisorctl` calls to find or kill a process.
- what is left to write is small: poll, compute a delay, start the same command again
  (about 60 lines, tested in tests/unit/test_supervise.py with real processes).

For a deployment past one machine the platform supervises (systemd, Kubernetes): this is
for `make run` and the one-machine launchers.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, MutableSequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO


def private_log(path: Path) -> int:
    """A log file for appending, readable by its owner only (a file descriptor)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(fd, 0o600)  # also a log left readable by an older version
    return fd


@dataclass(frozen=True)
class ProcessSpec:
    """How to start one process (again): name, command, environment, log file."""

    name: str
    cmd: list[str]
    env: dict[str, str]
    cwd: Path
    log: Path

    def spawn(self) -> Child:
        """Start the process with stdout and stderr appended to its private log."""
        fd = private_log(self.log)
        try:
            return Child(self, stdout=fd, stderr=subprocess.STDOUT)
        finally:
            os.close(fd)  # the child has its own copy


class Child(subprocess.Popen[bytes]):
    """A started process that knows its name, log and how to start again."""

    def __init__(self, spec: ProcessSpec, **kwargs: int) -> None:
        super().__init__(spec.cmd, cwd=spec.cwd, env=spec.env, **kwargs)  # type: ignore[call-overload]
        self.spec = spec
        self.started = time.monotonic()

    def log_tail(self, lines: int = 8) -> str:
        """The last lines of this process's log (for an error message)."""
        try:
            text = self.spec.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.rstrip().splitlines()[-lines:])

    def exit_reason(self) -> str:
        """Why it stopped, from the end of its log: a "Refusing to start" line, else the last line."""
        try:
            lines = self.spec.log.read_text(errors="replace").splitlines()[-200:]
        except OSError:
            return ""
        lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in lines]
        refusals = [line[line.index("Refusing to start") :] for line in lines if "Refusing to start" in line]
        return (refusals or [line for line in lines if line] or [""])[-1]


@dataclass(frozen=True)
class Backoff:
    """Delays between restarts: `first`, doubling, at most `cap`; reset after `stable` s up."""

    first: float = 1.0
    cap: float = 30.0
    stable: float = 60.0

    def delay(self, failures: int) -> float:
        """Seconds to wait before restart number `failures` (1, 2, ...) in a row."""
        return float(min(self.cap, self.first * 2 ** max(failures - 1, 0)))


def describe_exit(code: int) -> str:
    """'exit code 1' or 'signal 9 (SIGKILL)'."""
    if code < 0:
        try:
            return f"signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


@dataclass
class _State:
    failures: int = 0
    restart_at: float | None = None


@dataclass
class Supervisor:
    """Restart exited processes of `procs` in place (the list always holds the live ones)."""

    procs: MutableSequence[subprocess.Popen[bytes]]
    log: Path
    backoff: Backoff = field(default_factory=Backoff)
    out: TextIO = field(default_factory=lambda: sys.stdout)
    clock: Callable[[], float] = time.monotonic
    restarts: int = 0
    _states: dict[int, _State] = field(default_factory=dict)

    def _say(self, text: str) -> None:
        print(f"==> {text}", file=self.out, flush=True)
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        with os.fdopen(private_log(self.log), "a") as handle:
            handle.write(f"{stamp} {text}\n")

    def check(self) -> None:
        """One pass: notice exits, schedule their restarts, start those that are due."""
        now = self.clock()
        for index, proc in enumerate(self.procs):
            if not isinstance(proc, Child):
                continue  # started by someone else: not ours to restart
            state = self._states.setdefault(index, _State())
            if state.restart_at is not None:
                if now >= state.restart_at:
                    self._restart(index, proc)
                continue
            code = proc.poll()
            if code is None:
                continue
            if now - proc.started >= self.backoff.stable:
                state.failures = 0
            state.failures += 1
            delay = self.backoff.delay(state.failures)
            state.restart_at = now + delay
            self._say(
                f"{proc.spec.name} (pid {proc.pid}) exited with {describe_exit(code)}; "
                f"restarting in {delay:g} s (failure {state.failures} in a row)"
            )

    def _restart(self, index: int, old: Child) -> None:
        # No Ctrl-C between starting the process and recording it: stop() must see it.
        blocked = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            new = old.spec.spawn()
            self.procs[index] = new
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)
        self._states[index].restart_at = None
        self.restarts += 1
        self._say(f"restarted {old.spec.name} (pid {new.pid}), log: {old.spec.log}")

    def run(self, interval: float = 0.5) -> None:
        """Check every `interval` seconds until interrupted (KeyboardInterrupt)."""
        while True:
            self.check()
            time.sleep(interval)
