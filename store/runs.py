"""Runs of the daemon's jobs (the dashboard's health feed) and the sources' polling cursors."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from store.connection import StoreConnection
from store.errors import TastebudError
from store.processes import process_alive, process_identity
from store.records import RunRecord

__all__ = ["ORPHANED", "RunOutcome", "RunStore"]

_RUN_COLUMNS = "id, job, started_at, finished_at, status, counts, error, owner"
ORPHANED = "its process ended before the run did (killed?)"
"""The error of a run whose process is gone: closed as aborted by the next writer, and
read as aborted (:meth:`RunStore.runs`) until then."""


@dataclass
class RunOutcome:
    """How a recorded run ended, as the block running it sets it."""

    counts: dict[str, int] = field(default_factory=dict)
    status: str = "ok"
    error: str | None = None

    def fail(self, error: str) -> None:
        """Mark the run failed without raising."""
        self.status, self.error = "failed", error


class RunStore(StoreConnection):
    """Job runs (started, finished, aborted) and the sources' polling positions."""

    def start_run(self, job: str) -> int:
        """Record that a job started; returns the run id."""
        with self.write() as conn:
            cur = conn.execute(
                "INSERT INTO runs (job, started_at, owner) VALUES (?, ?, ?)",
                (job, time.time(), process_identity()),
            )
            return int(cur.lastrowid or 0)

    def finish_run(
        self,
        run_id: int,
        status: str,
        counts: dict[str, int] | None = None,
        error: str | None = None,
    ) -> None:
        """Record how a run ended."""
        with self.write() as conn:
            conn.execute(
                "UPDATE runs SET finished_at = ?, status = ?, counts = ?, error = ? WHERE id = ?",
                (time.time(), status, json.dumps(counts or {}), error, run_id),
            )

    @contextmanager
    def recorded_run(self, job: str) -> Iterator[RunOutcome]:
        """Record one run of ``job``: started now, finished when the block ends.

        The block fills in the yielded outcome (counts, and a status or error when it is not
        a plain success). An exception escaping the block finishes the run as failed, with
        the exception as its error, and propagates.
        """
        run_id = self.start_run(job)
        outcome = RunOutcome()
        try:
            yield outcome
        except BaseException as exc:
            self.finish_run(run_id, "failed", {}, _describe(exc))
            raise
        self.finish_run(run_id, outcome.status, outcome.counts, outcome.error)

    def abort_unfinished_runs(self) -> int:
        """After a crash: runs still marked running are marked aborted."""
        with self.write() as conn:
            return conn.execute(
                "UPDATE runs SET status = 'aborted', finished_at = ? WHERE status = 'running'",
                (time.time(),),
            ).rowcount

    def abort_orphaned_runs(self) -> int:
        """Runs left running by a process that is gone (killed, say) are marked aborted."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT id, owner FROM runs WHERE status = 'running' AND owner IS NOT NULL"
            ).fetchall()
        now = time.time()
        gone = [(now, ORPHANED, run_id) for run_id, owner in rows if not process_alive(owner)]
        if gone:
            with self.write() as conn:
                conn.executemany(
                    "UPDATE runs SET status = 'aborted', finished_at = ?, error = ? "
                    "WHERE id = ? AND status = 'running'",
                    gone,
                )
        return len(gone)

    def runs(self, job: str | None = None, limit: int = 50) -> list[RunRecord]:
        """The newest runs, optionally of one job; one still running whose process is gone
        reads as aborted (a read-only reader cannot close it)."""
        sql = f"SELECT {_RUN_COLUMNS} FROM runs"
        args: list[Any] = []
        if job:
            sql += " WHERE job = ?"
            args.append(job)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        with self.read() as conn:
            rows = conn.execute(sql, args).fetchall()
        return [_run(r) for r in rows]

    def last_runs(self) -> dict[str, RunRecord]:
        """The newest run of each job, read as :meth:`runs` reads them."""
        with self.read() as conn:
            rows = conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs "
                "WHERE id IN (SELECT max(id) FROM runs GROUP BY job) ORDER BY job"
            ).fetchall()
        return {r[1]: _run(r) for r in rows}

    def get_cursor(self, source: str) -> str | None:
        """The stored polling position of a source."""
        with self.read() as conn:
            row = conn.execute("SELECT value FROM cursors WHERE source = ?", (source,)).fetchone()
        return str(row[0]) if row else None

    def set_cursor(self, source: str, value: str) -> None:
        """Store a source's polling position."""
        row = {"source": source, "value": value, "updated_at": time.time()}
        with self.write():
            self._tables.table("cursors").upsert(row, pk="source")


def _run(row: Sequence[Any]) -> RunRecord:
    run = RunRecord(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6], row[7])
    if run.status == "running" and run.owner is not None and not process_alive(run.owner):
        return replace(run, status="aborted", error=ORPHANED)
    return run


def _describe(exc: BaseException) -> str:
    """A run's error text: the project's errors by message, anything else with its type."""
    if isinstance(exc, TastebudError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
