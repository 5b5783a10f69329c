"""The lock file and the sd_notify protocol, with real sockets and processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.service import AlreadyRunningError
from daemon.service.lock import StateLock, holder_pid
from daemon.service.sdnotify import Notifier


def test_second_lock_names_the_holder(tmp_path: Path) -> None:
    with StateLock(tmp_path):
        code = (
            "import sys; from pathlib import Path; from daemon.service.lock import StateLock\n"
            "try:\n StateLock(Path(sys.argv[1])).acquire()\n"
            "except Exception as e:\n print(e); sys.exit(3)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 3
        assert f"pid {os.getpid()}" in done.stdout
    again = StateLock(tmp_path)
    again.acquire()  # released: free again
    again.release()


def test_lock_in_same_process_refused(tmp_path: Path) -> None:
    first = StateLock(tmp_path)
    first.acquire()
    with pytest.raises(AlreadyRunningError, match="another tastebud daemon"):
        StateLock(tmp_path).acquire()
    first.release()


def test_holder_pid_tells_whether_a_daemon_runs(tmp_path: Path) -> None:
    assert holder_pid(tmp_path) is None  # no lock file yet
    with StateLock(tmp_path):
        (tmp_path / "tastebud.lock").chmod(0o444)  # a reader outside the daemon's user
        assert holder_pid(tmp_path) == os.getpid()
        assert holder_pid(tmp_path) == os.getpid()  # the probe leaves the lock alone
        (tmp_path / "tastebud.lock").chmod(0o644)
    assert holder_pid(tmp_path) is None
    again = StateLock(tmp_path)
    again.acquire()  # probes do not keep it
    again.release()


def test_notifier_sends_datagrams(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.settimeout(5)
    notifier = Notifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "2000000"})
    assert notifier.watchdog_interval == 1.0
    notifier.ready("up")
    notifier.watchdog()
    notifier.stopping()
    messages = [server.recv(4096).decode() for _ in range(3)]
    server.close()
    notifier.close()
    assert messages[0].startswith("READY=1\nSTATUS=up")
    assert messages[1] == "WATCHDOG=1"
    assert messages[2].startswith("STOPPING=1")


def test_notifier_is_silent_without_socket() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.watchdog_interval is None
    notifier.ready("up")  # nothing to send to, nothing raised
