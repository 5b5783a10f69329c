"""``tastebud dashboard``: the interactive terminal view of the queue, the model and the
pipeline (keys: ``?``); ``--once`` prints one plain frame, no terminal needed.
"""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from daemon.config import Config
from daemon.dashboard import render, snapshot_for

__all__ = ["cmd_dashboard"]


def cmd_dashboard(config: Config, args: argparse.Namespace) -> int:
    """``tastebud dashboard``: interactive until ``q``; ``--once`` prints one frame."""
    if args.rows < 1:
        print(f"tastebud: --rows must be 1 or more, not {args.rows}", file=sys.stderr)
        return 1
    if args.once:
        console = Console()
        snap = snapshot_for(config, rows=args.rows)
        if snap.failed:
            print(f"tastebud: {snap.problem}", file=sys.stderr)
            return 1
        console.print(render(snap, console.width, console.height))
        return 0
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(
            "tastebud: the interactive dashboard needs a terminal; "
            "`tastebud dashboard --once` prints one frame for scripts",
            file=sys.stderr,
        )
        return 1
    from daemon.dashboard import DashboardApp  # Textual loads only for the live view

    DashboardApp(config, refresh_s=max(args.refresh, 0.5), rows=args.rows).run()
    return 0
