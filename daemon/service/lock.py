"""A lock file in the state directory: one daemon per state directory."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import IO

from daemon.service.errors import AlreadyRunningError, DaemonError

__all__ = ["StateLock", "holder_pid"]


def holder_pid(state_dir: Path) -> int | None:
    """The pid of the daemon holding ``<state dir>/tastebud.lock``, 0 when it wrote none;
    None when no daemon runs there.

    It probes with a shared lock, taken and dropped at once, on a read-only handle, so a
    member of the daemon's group can ask.
    """
    try:
        handle = open(state_dir / "tastebud.lock", encoding="ascii")
    except OSError:
        return None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else 0
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return None


class StateLock:
    """``flock`` on ``<state dir>/tastebud.lock``, holding the owner's pid.

    The kernel drops the lock when the process dies, so a ``kill -9`` never
    leaves a stale lock behind.
    """

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "tastebud.lock"
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`AlreadyRunningError` naming the holder's pid."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+", encoding="ascii")
        except OSError as exc:
            raise DaemonError(f"cannot create lock file {self.path}: {exc.strerror}") from None
        try:
            _lock(handle)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "unknown"
            handle.close()
            raise AlreadyRunningError(
                f"another tastebud daemon (pid {pid}) is running on {self.path.parent}: "
                "stop it first, or use another [storage] dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Drop the lock."""
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> StateLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _lock(handle: IO[str]) -> None:
    """Take the exclusive lock; a second try a moment later lets a dashboard's
    :func:`holder_pid` probe (a shared lock held for microseconds) pass."""
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        time.sleep(0.2)
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
