"""``tastebud dashboard``: a live terminal view of the queue, the model and the pipeline.

``--once`` prints one frame and exits.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

from rich.console import Console
from rich.live import Live

from daemon.config import Config
from daemon.dashboard.snapshot import snapshot_for
from daemon.dashboard.view import render

__all__ = ["cmd_dashboard"]

DRIFT_TTL_S = 60.0


def cmd_dashboard(config: Config, args: argparse.Namespace) -> int:
    """``tastebud dashboard``: refresh until Ctrl-C; ``--once`` prints one frame."""
    console = Console()
    if args.once:
        snap = snapshot_for(config, rows=args.rows)
        if snap.failed:
            print(f"tastebud: {snap.problem}", file=sys.stderr)
            return 1
        console.print(render(snap, console.width, console.height))
        return 0
    try:
        _live(console, config, args.rows, max(args.refresh, 0.5))
    except KeyboardInterrupt:
        pass
    return 0


def _live(console: Console, config: Config, rows: int, refresh: float) -> None:
    drift_at = 0.0
    drift: tuple[tuple[str, float], ...] | None = None
    with Live(console=console, screen=True, auto_refresh=False) as live:
        while True:
            fresh = time.monotonic() - drift_at > DRIFT_TTL_S
            snap = snapshot_for(config, rows=rows, with_drift=fresh)
            if fresh:
                drift, drift_at = snap.drift, time.monotonic()
            snap = dataclasses.replace(snap, drift=drift)
            live.update(render(snap, console.width, console.height), refresh=True)
            time.sleep(refresh)
