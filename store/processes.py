"""Who runs a job: a process identity that a later process can check is still alive.

An identity is ``boot-id:pid:start-time``: the kernel's boot id and the process's
start time (in clock ticks since boot, from ``/proc``) tell a live process from a
later one that reuses its pid. Where there is no ``/proc``, the host name and the
pid stand in, checked with signal 0.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

__all__ = ["process_alive", "process_identity"]

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def process_identity(pid: int | None = None) -> str:
    """The identity of process ``pid`` (this one by default)."""
    pid = os.getpid() if pid is None else pid
    return f"{_boot_id()}:{pid}:{_start_time(pid)}"


def process_alive(identity: str) -> bool:
    """Whether the process ``identity`` names still runs; unparsable means alive (kept)."""
    boot, _, rest = identity.partition(":")
    pid_text, _, start = rest.partition(":")
    if not pid_text.isdigit():
        return True
    if boot != _boot_id():
        return False  # the machine rebooted (or it is another host's process)
    pid = int(pid_text)
    if start:
        return _start_time(pid) == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _boot_id() -> str:
    try:
        return _BOOT_ID.read_text(encoding="ascii").strip()
    except OSError:
        return socket.gethostname().replace(":", "_")


def _start_time(pid: int) -> str:
    """Field 22 of ``/proc/PID/stat`` (after the parenthesised command name), else ''."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""
