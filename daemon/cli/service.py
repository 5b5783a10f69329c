"""``tastebud run`` and ``tastebud once``."""

from __future__ import annotations

import argparse
import os

from daemon.config import Config
from daemon.service.daemon import Daemon
from daemon.service.once import run_once

__all__ = ["cmd_once", "cmd_run", "lower_priority"]


def cmd_run(config: Config, args: argparse.Namespace) -> int:
    """``tastebud run``."""
    lower_priority(config.daemon.nice)
    return Daemon(config).serve()


def cmd_once(config: Config, args: argparse.Namespace) -> int:
    """``tastebud once``: exit 1 if a step failed (each failure is logged)."""
    lower_priority(config.daemon.nice)
    ok = run_once(config, fetch_limit=None)
    return 0 if ok else 1


def lower_priority(nice: int) -> None:
    """Run at least at ``nice`` (``[daemon] nice``): decoding, embedding and training yield
    the CPUs to interactive work such as the dashboard. Never raises the priority."""
    if nice > os.getpriority(os.PRIO_PROCESS, 0):
        os.setpriority(os.PRIO_PROCESS, 0, nice)
