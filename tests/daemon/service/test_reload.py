"""SIGHUP with a bad config: the real daemon keeps running on the old one and says READY again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

GOOD = '[storage]\ndir = "{state}"\n[schedule]\nshutdown_timeout_s = 15.0\n'
BAD_CONFIGS = [
    b"[storage]\ndir = '\xff'\n",  # not UTF-8
    b"[storage\n",  # not TOML
    b"[fetch]\nsocket_timeout_s = 0\n",  # out of range
    b"[fetch]\nsocket_timeout_s = nan\n",  # not finite
    b"[schedule]\nhistory_minutes = 1e300\n",  # past its range (overflowed the scheduler)
    b'[[history]]\ntype = "takeout"\npath = "w.json"\napi_key = "k"\n',  # another type's key
]


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(60)
    yield sock
    sock.close()


def _next_with(sock: socket.socket, field: str) -> list[str]:
    """Datagrams up to and including the first that holds ``field`` (watchdog pings between)."""
    seen = [sock.recv(4096).decode()]
    while field not in seen[-1].splitlines():
        seen.append(sock.recv(4096).decode())
    return seen


def test_reload_with_a_bad_config_keeps_the_daemon_and_sends_ready(
    tmp_path: Path, notify: socket.socket
) -> None:
    config = tmp_path / "config.toml"
    good = GOOD.format(state=tmp_path / "state").encode()
    config.write_bytes(good)
    # reloaded with a source table: the reload is given the source types too
    reloaded = good + f'[[feeds]]\ntype = "directory"\npath = "{tmp_path}"\n'.encode()
    log_path = tmp_path / "daemon.log"
    env = {**os.environ, "NOTIFY_SOCKET": str(tmp_path / "notify.sock")}
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daemon.cli", "--config", str(config), "run"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        _next_with(notify, "READY=1")
        for bad in [*BAD_CONFIGS, reloaded]:
            config.write_bytes(bad)
            proc.send_signal(signal.SIGHUP)
            seen = _next_with(notify, "RELOADING=1")
            seen = _next_with(notify, "READY=1")  # today's systemd otherwise kills the reload
            assert proc.poll() is None, log_path.read_text()
            expected = "config reloaded" if bad == reloaded else "reload failed, old config kept"
            assert expected in seen[-1]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = log_path.read_text()
    assert out.count("reload failed, keeping the old config") == len(BAD_CONFIGS)
    assert "not UTF-8 text" in out
    assert "api_key is a key of type lastfm" in out
    assert "Traceback" not in out
