"""How many threads the fetch job runs, and how many of them may be downloading."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Downloads", "analysis_workers"]


def analysis_workers(concurrency: int) -> int:
    """Worker threads of the fetch job: one per usable core, at least ``concurrency``."""
    return max(concurrency, len(os.sched_getaffinity(0)))


class Downloads:
    """How many claimed tracks are still resolving or downloading: the job claims another
    only while fewer than ``[fetch] concurrency`` are, so a network outage costs no more
    attempts than before and hosts see no more parallel downloads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active = 0

    def add(self) -> None:
        with self._lock:
            self.active += 1

    @contextmanager
    def running(self) -> Iterator[None]:
        try:
            yield
        finally:
            with self._lock:
                self.active -= 1
