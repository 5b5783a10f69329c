"""``tastebud run`` and ``tastebud once``."""

from __future__ import annotations

import argparse

from daemon.config import Config
from daemon.service.daemon import Daemon
from daemon.service.once import run_once

__all__ = ["cmd_once", "cmd_run"]


def cmd_run(config: Config, args: argparse.Namespace) -> int:
    """``tastebud run``."""
    return Daemon(config).serve()


def cmd_once(config: Config, args: argparse.Namespace) -> int:
    """``tastebud once``: exit 1 if a step failed (each failure is logged)."""
    ok = run_once(config, fetch_limit=None)
    return 0 if ok else 1
