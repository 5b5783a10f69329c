"""Re-analysis: ready tracks fetched again and analysed under the configured feature model,
a few per fetch run, while their old features keep ranking.

When ``[model] backbone`` changes, no ready track has features under the new key, and its
audio is gone. Once no new track is due, the fetch job takes up to ``[fetch]
reanalyse_per_cycle`` of them (those never tried first, then the most listened to) through
the same worker threads, downloader, host throttle, size and time limits and analysis
workers as new tracks (:func:`daemon.acquire.pipeline.run_job`). A track's state never
changes: it stays ``ready`` and keeps its old features. Each one ends in one outcome:

- ``reanalysed``: its features under the new key are stored; its audio is deleted as after
  any fetch (unless it is kept for the library folder);
- ``reanalysis_failed``: any failure, recorded with when to try again (the next try waits as
  a fetch retry does, exponentially from ``[fetch] retry_base_s``, or from a day after a
  permanent error, at most a week), so the track neither comes back every run nor holds up
  the others.

When the network goes down the run stops and reports ``paused``; nothing is recorded
against the track. A model that cannot embed stops the run, as it stops a fetch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import replace

from daemon.acquire.analysis import Analyse
from daemon.acquire.pipeline import FetchJob, retry_delay, run_job
from daemon.acquire.workers import Prepared
from daemon.config import Config, FetchConfig
from daemon.net import HostThrottle
from daemon.waits import until
from store import Store, Track

__all__ = ["OUTCOMES", "PERMANENT_BASE_S", "backoff", "reanalyse"]

logger = logging.getLogger(__name__)

OUTCOMES = ("reanalysed", "reanalysis_failed")
PERMANENT_BASE_S = 86400.0  # the first wait after a permanent error (a removed video, a 404)


def backoff(failures: int, item: Prepared, config: FetchConfig) -> float:
    """Seconds before the next try at a track after ``failures`` failed ones: as a fetch
    retry after a transient error, from :data:`PERMANENT_BASE_S` after any other."""
    if item.outcome != "retry":
        config = replace(config, retry_base_s=max(config.retry_base_s, PERMANENT_BASE_S))
    return retry_delay(failures, config, item.retry_after)


class ReanalysisJob(FetchJob):
    """One re-analysis run: the due tracks were chosen up front; none of them changes state."""

    def __init__(
        self,
        store: Store,
        config: Config,
        analyse: Analyse,
        model_key: str,
        throttle: HostThrottle | None,
        due: list[tuple[Track, int]],
    ) -> None:
        super().__init__(store, config, analyse, model_key, throttle)
        self.counts = dict.fromkeys(OUTCOMES, 0)
        self._due = deque(track for track, _ in due)
        self._failures = {track.id: failures for track, failures in due}

    def claim(self, now: float) -> Track | None:
        """The next of the tracks chosen for this run."""
        return self._due.popleft() if self._due else None

    def release(self, tracks: Iterable[Track]) -> None:
        """Nothing to put back: a re-analysed track never left ``ready``."""

    def finish(self, item: Prepared) -> str:
        """Store the new features, or record the failure; the track's state is left as is."""
        if item.outcome == "paused":
            return "paused"
        outcome = self._store(item) if item.outcome == "features" else self._failed(item)
        self.counts[outcome] += 1
        return outcome

    def _store(self, item: Prepared) -> str:
        assert item.embedding is not None
        assert item.path is not None
        if isinstance(item.embedding, BaseException):
            raise item.embedding
        features, tags = item.embedding
        self.store.put_embedding(item.track.id, self.model_key, features, tags)
        self.store.reanalysis_done(item.track.id, self.model_key)
        self.drop_audio(item.path)
        logger.info("%s: re-analysed under %s", item.track.label, self.model_key)
        return "reanalysed"

    def _failed(self, item: Prepared) -> str:
        failures = self._failures.get(item.track.id, 0) + 1
        now = time.time()
        next_at = now + backoff(failures, item, self.config.fetch)
        error = item.error or item.outcome
        self.store.reanalysis_failed(item.track.id, self.model_key, error, next_at)
        logger.info(
            "%s: re-analysis under %s failed (%s); next try %s",
            item.track.label,
            self.model_key,
            error,
            until(next_at, now),
        )
        return "reanalysis_failed"


def reanalyse(
    store: Store,
    config: Config,
    *,
    analyse: Analyse,
    model_key: str,
    limit: int,
    stop: threading.Event | None = None,
    throttle: HostThrottle | None = None,
) -> dict[str, int]:
    """Fetch again and analyse under ``model_key`` up to ``limit`` ready tracks that lack
    features under it and are due; returns counts per outcome (``paused`` = 1 when the
    network went down), empty when none was due."""
    due = store.reanalysis_due(model_key, limit)
    if not due:
        return {}
    job = ReanalysisJob(store, config, analyse, model_key, throttle, due)
    paused = run_job(job, limit, stop, lambda item, outcome: None)  # each logs itself
    counts = dict(job.counts)
    if paused:
        counts["paused"] = 1
    done = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
    logger.info("re-analysis under %s: %s", model_key, done or "nothing done")
    return counts
