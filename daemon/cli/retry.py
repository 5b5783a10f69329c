"""``tastebud retry``: end the waits after failures, and wake a running daemon.

Tracks waiting for their fetch retry become due, and sources backing off after failing
poll again (:func:`daemon.waits.lift_waits`). A daemon running on the same state
directory is sent ``SIGUSR1``: it polls and fetches at once instead of at its next
scheduled runs, whether or not anything waited.
"""

from __future__ import annotations

import argparse
import os
import signal

from daemon.config import Config
from daemon.service import holder_pid
from daemon.sources import source_jobs
from daemon.waits import Waits, lift_waits
from store import Store

__all__ = ["cmd_retry", "wake_daemon"]


def wake_daemon(config: Config) -> str:
    """Ask a daemon running on this state directory to poll and fetch now; what happened."""
    pid = holder_pid(config.state_dir)
    if pid is None:
        return "no daemon runs: `tastebud once` (or `tastebud run`) tries them now"
    if pid == 0:
        return "the daemon's pid is unknown: its next scheduled runs try them"
    try:
        os.kill(pid, signal.SIGUSR1)
    except PermissionError:
        return (
            f"the daemon (pid {pid}) runs as another user: its next scheduled runs try them "
            f"(or wake it: sudo kill -USR1 {pid})"
        )
    except ProcessLookupError:
        return "no daemon runs: `tastebud once` (or `tastebud run`) tries them now"
    return f"the daemon (pid {pid}) polls and fetches now"


def _lifted_lines(waits: Waits) -> list[str]:
    lines = []
    if waits.fetch is not None:
        n = waits.fetch.tracks
        lines.append(f"{n} track{'s' if n != 1 else ''} no longer wait to be fetched again")
    lines += [f"{job} no longer backs off" for job, _ in waits.sources]
    return lines


def cmd_retry(config: Config, args: argparse.Namespace) -> int:
    """End every wait and wake the daemon; say what waited and who tries it next."""
    if not config.db_path.exists():
        print(f"no database at {config.db_path} yet: nothing waits; `tastebud once` starts one")
        return 0
    with Store.open(config.db_path) as store:
        lifted = lift_waits(store, source_jobs(config))
    done = _lifted_lines(lifted) or ["nothing waited after a failure"]
    print("\n".join([*done, wake_daemon(config)]))
    return 0
