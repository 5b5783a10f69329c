"""Running a job as a recorded run, and ``tastebud once``: one cycle of the jobs in order."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from daemon.config import Config
from daemon.service.jobs import Counts, Jobs
from daemon.service.lock import StateLock
from daemon.service.table import once_steps
from daemon.sources import source_jobs
from daemon.waits import Waits, current_waits, lift_waits
from store import RunOutcome, RunRecord, Store, TastebudError

__all__ = ["CycleResult", "run_once", "run_recorded"]

logger = logging.getLogger(__name__)

JobFn = Callable[[], Counts]


def run_recorded(store: Store, name: str, fn: JobFn) -> bool:
    """Run a job, record it in the runs table, log a failure; True when it succeeded.

    A database that cannot record the run (full disk, say) is logged, not raised:
    the next run tries again.
    """
    outcome: RunOutcome | None = None
    try:
        with store.recorded_run(name) as outcome:
            _run_into(outcome, name, fn)
    except TastebudError as exc:
        if outcome is None:
            logger.error("job %s not started: %s", name, exc)
        else:
            logger.error("job %s: cannot record its run: %s", name, exc)
        return False
    return outcome.status == "ok"


def _run_into(outcome: RunOutcome, name: str, fn: JobFn) -> None:
    """Run ``fn``; its counts, or its failure, go into ``outcome`` (nothing is raised)."""
    try:
        counts = fn()
    except TastebudError as exc:
        logger.error("job %s failed: %s", name, exc)
        outcome.fail(str(exc))
        return
    except Exception as exc:
        logger.exception("job %s crashed", name)
        outcome.fail(f"{type(exc).__name__}: {exc}")
        return
    logger.info("job %s done: %s", name, counts or "nothing to do")
    outcome.counts = counts


@dataclass(frozen=True)
class CycleResult:
    """What one ``tastebud once`` cycle did: every run it recorded (jobs and each source's poll,
    oldest first), whether each job could be run and recorded at all, and what waits after
    it (tracks for their fetch retry, sources backing off)."""

    runs: tuple[RunRecord, ...]
    jobs_ok: bool
    waits: Waits = field(default_factory=Waits)

    @property
    def failed(self) -> list[RunRecord]:
        """The runs that failed: a job, or one source's poll (or its skip while it backs off
        after failing: it is still broken)."""
        return [r for r in self.runs if r.status in ("failed", "skipped")]

    @property
    def ok(self) -> bool:
        """Every job and every source succeeded, and no track waits to be fetched again."""
        return self.jobs_ok and not self.failed and self.waits.fetch is None


def _runs_since(store: Store, after_id: int) -> tuple[RunRecord, ...]:
    runs = store.runs(limit=10_000)
    return tuple(sorted((r for r in runs if r.id > after_id), key=lambda r: r.id))


def run_once(config: Config, *, fetch_limit: int | None = None, now: bool = False) -> CycleResult:
    """One full cycle in order: poll, fetch all, train, score, export; ``now``: first end
    every wait (tracks waiting for a retry, sources backing off), as ``tastebud retry`` does."""
    with StateLock(config.state_dir), Store.open(config.db_path) as store:
        jobs = Jobs(config, store, threading.Event())
        try:
            jobs.recover()
            if now and (lifted := lift_waits(store, source_jobs(config))):
                logger.info("--now: ended the waits of %s", lifted)
            last = store.runs(limit=1)
            start_id = last[0].id if last else 0
            steps = once_steps(jobs, fetch_limit)
            results = [run_recorded(store, name, fn) for name, fn in steps]
        finally:
            jobs.close()
        return CycleResult(
            _runs_since(store, start_id), all(results), current_waits(store, source_jobs(config))
        )
