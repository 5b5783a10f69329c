"""Supervised workers and a clock that may step.

:class:`Supervised` runs a worker function in a daemon thread and runs it again, after a
growing pause (:data:`BACKOFF_S` doubling up to :data:`BACKOFF_MAX_S`), whenever it raises
or returns before it is stopped: a bad line from a server can cost a worker one round,
never its life. Each crash is logged as one line and passed to ``report`` (the daemon
records it as a failed run ``worker:<name>``, which ``doctor`` and the dashboard show).

:class:`ClockWatch` notices the wall clock stepping (NTP, a manual ``date``) against the
monotonic clock, so that the daemon can reschedule what was planned by the wall clock.

:func:`worker_outcome` hands a bounded worker thread's result or exception (a download,
a poll given a deadline) back to the thread that waited for it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from store import Store, TastebudError

__all__ = [
    "BACKOFF_MAX_S",
    "BACKOFF_S",
    "ClockWatch",
    "Supervised",
    "record_crash",
    "worker_outcome",
]

logger = logging.getLogger(__name__)

BACKOFF_S = 1.0
BACKOFF_MAX_S = 300.0
HEALTHY_S = 600.0  # a worker that ran this long before crashing starts its backoff afresh


class Supervised:
    """``target`` run in a thread named ``name`` until ``stop`` is set, restarted after any
    error with backoff."""

    def __init__(
        self,
        name: str,
        target: Callable[[], None],
        stop: threading.Event,
        *,
        report: Callable[[str, str], None] | None = None,
        backoff_s: float = BACKOFF_S,
        backoff_max_s: float = BACKOFF_MAX_S,
    ) -> None:
        self.name = name
        self.target = target
        self.stop = stop
        self.report = report
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.restarts = 0
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._supervise, name=name, daemon=True)

    def start(self) -> None:
        """Start the worker's thread."""
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to end (after ``stop`` is set)."""
        self._thread.join(timeout)

    def is_alive(self) -> bool:
        """Whether the thread still runs."""
        return self._thread.is_alive()

    def _supervise(self) -> None:
        wait = self.backoff_s
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                self.target()
                problem = "ended on its own"
            except Exception as exc:  # any error: the worker is restarted, not lost
                problem = f"{type(exc).__name__}: {exc}"
            if self.stop.is_set():
                return
            if time.monotonic() - started > HEALTHY_S:
                wait = self.backoff_s
            self.restarts += 1
            self.last_error = problem
            message = f"worker {self.name} crashed ({problem}); restarting in {wait:.0f} s"
            logger.error("%s", message)
            if self.report is not None:
                try:
                    self.report(self.name, message)
                except Exception:  # reporting must not stop the supervision
                    logger.exception("worker %s: cannot record its crash", self.name)
            self.stop.wait(wait)
            wait = min(wait * 2, self.backoff_max_s)


def record_crash(store: Store, name: str, message: str) -> None:
    """Record a worker's crash as a failed run ``worker:<name>`` (shown by doctor and the
    dashboard); a store that cannot record it is logged."""
    try:
        with store.recorded_run(f"worker:{name}") as run:
            run.status, run.error = "failed", message
    except TastebudError as exc:
        logger.error("worker %s: cannot record its crash: %s", name, exc)


class ClockWatch:
    """Says when the wall clock moved against the monotonic clock by more than
    ``threshold_s`` since the last look. ``wall`` and ``mono`` default to ``time.time``
    and ``time.monotonic``, looked up when the watch is made."""

    def __init__(
        self,
        threshold_s: float = 60.0,
        wall: Callable[[], float] | None = None,
        mono: Callable[[], float] | None = None,
    ) -> None:
        self.threshold_s = threshold_s
        self._wall = wall or time.time
        self._mono = mono or time.monotonic
        self._offset = self._wall() - self._mono()

    def stepped(self) -> float | None:
        """The step in seconds (negative: back) since the last call, when past the threshold."""
        offset = self._wall() - self._mono()
        step = offset - self._offset
        self._offset = offset
        return step if abs(step) > self.threshold_s else None


def worker_outcome(result: list[Any], failure: list[BaseException]) -> Any:
    """A worker thread's result (appended to ``result``), or its exception (appended to
    ``failure``) raised here; the lists are emptied so that no reference cycle keeps the
    worker's frames, and their sockets, alive."""
    if failure:
        exc = failure.pop()
        try:
            raise exc
        finally:
            del exc
    return result.pop()
