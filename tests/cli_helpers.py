"""Running the ``tastebud`` command line as a subprocess, as a user would, and the daemon
(``tastebud run``) as systemd runs it: :func:`start_daemon` for every test that needs one."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from daemon.cli import build_parser

__all__ = [
    "ROOT",
    "Daemon",
    "Stopped",
    "config_file",
    "run_cli",
    "start_daemon",
    "subcommands",
    "wait_until",
]

ROOT = Path(__file__).resolve().parents[1]


def config_file(tmp_path: Path, extra: str = "") -> Path:
    """``tmp_path/config.toml``: state in ``tmp_path/state``, then ``extra``."""
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndir = "{tmp_path / "state"}"\n{extra}')
    return path


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """The command line's subcommands by name."""
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def run_cli(
    config: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    umask: int | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``tastebud --config CONFIG ARGS...``; ``env`` replaces the environment when given,
    ``umask`` is the login shell's umask."""
    return subprocess.run(
        [sys.executable, "-m", "daemon.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=dict(env) if env is not None else None,
        preexec_fn=None if umask is None else (lambda: os.umask(umask)),
    )


def _tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else ""


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    """Poll ``predicate`` until it holds; past ``timeout`` fail with the end of ``log``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; log:\n{_tail(log)}")


@dataclass(frozen=True)
class Stopped:
    """How a daemon ended: its exit status (negative: the signal that killed it) and log."""

    returncode: int
    log: str


class Daemon:
    """``tastebud --config CONFIG run`` as a subprocess, started by :func:`start_daemon`.

    Its stdout and stderr are appended to ``log``; it speaks sd_notify to a datagram socket
    of the test's (``NOTIFY_SOCKET``), as under systemd. Used as a context manager, it is
    stopped on exit if it still runs.
    """

    def __init__(
        self, config: Path, *, log: Path | None = None, env: Mapping[str, str] | None = None
    ) -> None:
        self.config = config
        self.log = log or config.with_name("daemon.log")
        # a short path of its own: a socket's path is limited to about 100 bytes
        self._notify_dir = tempfile.mkdtemp(prefix="tastebud-notify-")
        address = os.path.join(self._notify_dir, "notify.sock")
        self._notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._notify.bind(address)
        with self.log.open("a", encoding="utf-8") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "daemon.cli", "--config", str(config), "run"],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {}), "NOTIFY_SOCKET": address},
            )
        self.ready: list[str] = []  # the datagrams up to READY=1, once start_daemon has it

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def send(self, signum: signal.Signals) -> None:
        self.proc.send_signal(signum)

    def notifications(self, field: str, timeout: float = 60) -> list[str]:
        """The datagrams received up to and including the first with the line ``field``
        (``READY=1``, ``RELOADING=1``, ``WATCHDOG=1``...); fails with the end of the log
        when the daemon exits first or ``timeout`` passes."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._notify.settimeout(min(0.5, max(0.01, deadline - time.monotonic())))
            try:
                seen.append(self._notify.recv(4096).decode())
            except TimeoutError:
                if not self.running():
                    break
                continue
            if field in seen[-1].splitlines():
                return seen
        state = "running" if self.running() else f"exited with {self.proc.returncode}"
        raise AssertionError(
            f"no {field} from the daemon ({state}); it sent {seen[-5:]}; log:\n{_tail(self.log)}"
        )

    def stop(self, timeout: float = 60) -> Stopped:
        """SIGTERM, then wait up to ``timeout`` s; past it SIGKILL (the exit status is then
        -9, which no test accepts)."""
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.close()
        return Stopped(self.proc.returncode, self.log_text())

    def kill(self) -> Stopped:
        """SIGKILL (kill -9): no chance to clean up."""
        self.proc.kill()
        self.proc.wait()
        self.close()
        return Stopped(self.proc.returncode, self.log_text())

    def close(self) -> None:
        """Close the notify socket (the daemon's later datagrams go nowhere)."""
        self._notify.close()
        shutil.rmtree(self._notify_dir, ignore_errors=True)

    def __enter__(self) -> Daemon:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_daemon(
    config: Path,
    *,
    log: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> Daemon:
    """``tastebud run`` on ``config``, returned once it has sent ``READY=1`` (as systemd
    waits for it), its output appended to ``log`` (``daemon.log`` beside the config).
    ``env`` is added to this process's environment."""
    daemon = Daemon(config, log=log, env=env)
    try:
        daemon.ready = daemon.notifications("READY=1", timeout)
    except BaseException:
        daemon.stop()
        raise
    return daemon
