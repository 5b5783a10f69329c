"""The long-running service: the job table (``table``), the jobs themselves (``jobs``),
the daemon's lifecycle and signals (``daemon``), one recorded cycle (``once``), the state
directory lock (``lock``), systemd's notify protocol (``sdnotify``) and the service's
errors (``errors``).

Other packages import only the names below; each module loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from store import lazy_getattr

if TYPE_CHECKING:
    from daemon.service.daemon import Companion, CompanionFactory, Daemon
    from daemon.service.errors import AlreadyRunningError, DaemonError
    from daemon.service.lock import holder_pid
    from daemon.service.once import CycleResult, run_once
    from daemon.service.table import JOBS

_WHERE = {
    "Companion": "daemon",
    "CompanionFactory": "daemon",
    "Daemon": "daemon",
    "AlreadyRunningError": "errors",
    "DaemonError": "errors",
    "holder_pid": "lock",
    "CycleResult": "once",
    "run_once": "once",
    "JOBS": "table",
}
__getattr__ = lazy_getattr(__name__, _WHERE, globals())

__all__ = [
    "JOBS",
    "AlreadyRunningError",
    "Companion",
    "CompanionFactory",
    "CycleResult",
    "Daemon",
    "DaemonError",
    "holder_pid",
    "run_once",
]
