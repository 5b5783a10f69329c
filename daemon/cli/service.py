"""``tastebud run`` and ``tastebud once``."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence

from daemon.config import Config
from daemon.service import Companion, CycleResult, Daemon, run_once
from daemon.waits import wait_lines
from store import RunRecord

__all__ = ["cmd_once", "cmd_run", "lower_priority"]


def cmd_run(config: Config, args: argparse.Namespace) -> int:
    """``tastebud run``."""
    lower_priority(config.daemon.nice)
    return Daemon(config, web=web_companion).serve()


def web_companion(config: Config, trigger: Callable[[Sequence[str]], None]) -> Companion:
    """The web page inside ``tastebud run`` (``[web] enabled``), its socket bound now."""
    from daemon.web import WebThread  # Starlette and uvicorn load only when it is enabled

    return WebThread(config, trigger=trigger)


def cmd_once(config: Config, args: argparse.Namespace) -> int:
    """``tastebud once``: print a summary; exit 1 if a job or a source failed."""
    lower_priority(config.daemon.nice)
    result = run_once(config, fetch_limit=None, now=bool(getattr(args, "now", False)))
    print("\n".join(once_summary(result)))
    return 0 if result.ok else 1


def _run_line(run: RunRecord) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in run.counts.items() if v)
    detail = f": {run.error}" if run.error else (f" ({counts})" if counts else "")
    return f"  {run.job}: {run.status}{detail}"


def once_summary(result: CycleResult) -> list[str]:
    """The lines ``tastebud once`` prints, also under ``-q``: each job, each failed source,
    and what waits after the cycle (until when, and how to end the wait)."""
    shown = [r for r in result.runs if ":" not in r.job or r.status != "ok"]
    failed = result.failed
    if result.ok:
        head = f"once: ok, {len(result.runs)} runs"
    elif failed or not result.jobs_ok:
        head = f"once: {len(failed)} of {len(result.runs)} runs failed"
        if not result.jobs_ok:
            head += " (a job's run could not be recorded: see the log)"
    else:
        head = f"once: {len(result.runs)} runs, but tracks wait to be fetched again"
    waits = [f"  wait: {line}" for line in wait_lines(result.waits, time.time())]
    return [head, *(_run_line(r) for r in shown), *waits]


def lower_priority(nice: int) -> None:
    """Run at least at ``nice`` (``[daemon] nice``): decoding, embedding and training yield
    the CPUs to interactive work such as the dashboard. Never raises the priority."""
    if nice > os.getpriority(os.PRIO_PROCESS, 0):
        os.setpriority(os.PRIO_PROCESS, 0, nice)
