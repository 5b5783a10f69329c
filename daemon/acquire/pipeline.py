"""The fetch job: claim tracks, resolve, fetch, decode, featurize, embed, store.

Workers (:mod:`daemon.acquire.workers`) resolve, download and analyse
(:mod:`daemon.acquire.analysis`: decode, features, embedding), one track each: at most
``[fetch] concurrency`` of them download at once, and there are as many workers as cores
(at least ``concurrency``), so the analyses of different tracks overlap and keep every
core busy (the daemon analyses in one process per core, each running the model on
one thread). The calling thread writes the store and deletes the audio, so the
store has one writer; at most one track per worker is in memory.
The audio stays for the library folder when ``[library] size`` is above 0 (its
refresh deletes what it does not need).
Each track ends in one outcome:

- ``ready``: its embedding is stored;
- ``failed``: a permanent error, a corrupt/silent/non-audio file, or too many retries;
- ``skipped``: refused by a limit (duration, size, live) or a duplicate of another track;
- ``unmatched``: no URL and no search result confident enough;
- ``retry``: a transient error; back to ``new`` with ``next_retry_at`` (exponential
  backoff with jitter, hours for bot challenges).

When the network is down the job puts the item back, stops claiming and reports
``paused``. Re-analysis (:mod:`daemon.acquire.reanalysis`) runs the same loop over ready
tracks, with its own claims and outcomes.
"""

from __future__ import annotations

import logging
import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from rich.console import Console
from rich.progress import Progress

from daemon.acquire.analysis import Analyse
from daemon.acquire.cache import recover_cache
from daemon.acquire.fetcher import fetcher_for
from daemon.acquire.workers import Downloads, Prepared, analysis_workers, prepare_track
from daemon.config import Config, FetchConfig
from daemon.net import HostThrottle
from daemon.waits import SKIP_HINT, until
from store import Store, Track, TrackState

__all__ = [
    "OUTCOMES",
    "FetchJob",
    "analysis_workers",
    "process_backlog",
    "recover_cache",
    "retry_delay",
    "run_job",
]

logger = logging.getLogger(__name__)

OUTCOMES = ("ready", "failed", "skipped", "unmatched", "retry")
_MAX_RETRY_S = 7 * 24 * 3600.0
_POLL_S = 0.05  # how often a full download slot is looked at while analysis runs


def retry_delay(
    attempt: int,
    config: FetchConfig,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds before retry number ``attempt`` (1-based): exponential, jittered, capped."""
    base = config.retry_base_s * 2.0 ** max(0, attempt - 1)
    if retry_after:
        base = max(base, retry_after)
    jitter: float = (rng or random).uniform(1.0, 1.25)
    return min(_MAX_RETRY_S, base * jitter)


# -- the storing side ------------------------------------------------------------------------


class FetchJob:
    """One run of the fetch job over the store: it claims due tracks, records what came of
    each, and puts back those it could not finish."""

    def __init__(
        self,
        store: Store,
        config: Config,
        analyse: Analyse,
        model_key: str,
        throttle: HostThrottle | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.analyse = analyse
        self.model_key = model_key
        self.fetcher = fetcher_for(config, throttle)
        self.counts = dict.fromkeys(OUTCOMES, 0)

    def claim(self, now: float) -> Track | None:
        """The next due track (not one set to retry after ``now``), now ``fetching``."""
        tracks = self.store.claim_for_fetch(1, now=now)
        return tracks[0] if tracks else None

    def release(self, tracks: Iterable[Track]) -> None:
        """After an error: every unfinished track back to ``new``."""
        for track in tracks:
            self.store.mark_track(
                track.id, "new", error=track.last_error, next_retry_at=track.next_retry_at
            )

    def finish(self, item: Prepared) -> str:
        """Record ``item``'s outcome in the store; returns the outcome counted."""
        if item.outcome == "features":
            outcome = self._store_features(item)
        elif item.outcome == "paused":
            self.store.mark_track(item.track.id, "new", error=item.error)
            outcome = "paused"
        elif item.outcome == "retry":
            outcome = self._retry(item)
        else:
            outcome = self._mark(item, cast(TrackState, item.outcome), item.error)
        if outcome in self.counts:
            self.counts[outcome] += 1
        return outcome

    def _mark(self, item: Prepared, state: TrackState, error: str | None) -> str:
        url = item.url if item.url and item.url != item.track.url else None
        if url and self._url_taken(item.track.id, url):
            state, error = "skipped", f"{item.track.label}: same recording as another track ({url})"
            url = None
        self.store.mark_track(
            item.track.id,
            state,
            error=error,
            url=url,
            match_confidence=item.confidence,
            duration=item.duration if state == "ready" else None,
        )
        return state

    def _url_taken(self, track_id: int, url: str) -> bool:
        return any(t.id != track_id for t in self.store.find_tracks(url))

    def _retry(self, item: Prepared) -> str:
        attempt = item.track.attempts + 1  # claim_for_fetch counted this attempt
        if attempt >= self.config.fetch.max_attempts:
            return self._mark(item, "failed", f"gave up after {attempt} attempts: {item.error}")
        delay = retry_delay(attempt, self.config.fetch, item.retry_after)
        self.store.mark_track(
            item.track.id, "new", error=item.error, next_retry_at=time.time() + delay
        )
        logger.info(
            "%s: retry at %s (%s); %s",
            item.track.label,
            until(time.time() + delay, time.time()),
            item.error,
            SKIP_HINT,
        )
        return "retry"

    def _store_features(self, item: Prepared) -> str:
        assert item.embedding is not None
        assert item.path is not None
        try:
            if isinstance(item.embedding, BaseException):
                raise item.embedding
            features, tags = item.embedding
            self.store.put_embedding(item.track.id, self.model_key, features, tags)
        except BaseException:
            self.store.mark_track(item.track.id, "new", error=item.track.last_error)
            raise
        state = self._mark(item, "ready", None)
        self.drop_audio(item.path)
        return state

    def drop_audio(self, path: Path) -> None:
        """Delete a downloaded file once its features are stored, unless it is kept (``[fetch]
        keep_audio``, or for the library folder) or is not in the audio cache (a local file)."""
        keep = self.config.fetch.keep_audio or self.config.library.size > 0  # the library's
        if not keep and path.is_relative_to(self.fetcher.audio_dir):
            path.unlink(missing_ok=True)


# -- the loop --------------------------------------------------------------------------------


def process_backlog(
    store: Store,
    config: Config,
    *,
    analyse: Analyse,
    model_key: str,
    limit: int | None,
    stop: threading.Event | None = None,
    progress: bool | None = None,
    throttle: HostThrottle | None = None,
) -> dict[str, int]:
    """Fetch and embed up to ``limit`` due tracks (all due ones when None).

    Returns counts per outcome (``ready``, ``failed``, ``skipped``, ``unmatched``,
    ``retry``, plus ``paused`` = 1 when the network went down). ``stop`` is honoured
    between items; items already being fetched are finished first. Pass the same
    ``throttle`` to successive runs so the per-host delay holds across them.
    """
    job = FetchJob(store, config, analyse, model_key, throttle)
    total = limit if limit is not None else store.backlog()
    with reporter(progress, total) as report:
        paused = run_job(job, limit, stop, report)
    counts = dict(job.counts)
    if paused:
        counts["paused"] = 1
    done = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
    logger.info("fetch job: %s", done or "nothing due")
    return counts


def run_job(
    job: FetchJob,
    limit: int | None,
    stop: threading.Event | None,
    report: Callable[[Prepared, str], None],
) -> bool:
    """Claim up to ``limit`` tracks from ``job``, prepare each in a worker, let the job
    finish each in this thread; True when the network went down (the job paused)."""
    started = time.time()  # tracks set to retry during this run are not due in it
    width = analysis_workers(job.config.fetch.concurrency)
    downloads = Downloads()
    n_patches = job.config.model.patches
    claimed, paused, drained = 0, False, False
    pending: dict[Future[Prepared], Track] = {}
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="fetch") as pool:
        try:
            while True:
                while not drained and _may_claim(job, pending, downloads, width, claimed, limit):
                    if paused or (stop is not None and stop.is_set()):
                        break
                    track = job.claim(started)
                    if track is None:
                        drained = True  # until an item finishes: no claiming every poll
                        break
                    claimed += 1
                    downloads.add()
                    work = (job.fetcher, track, n_patches, job.analyse, downloads)
                    pending[pool.submit(prepare_track, *work)] = track
                if not pending:
                    return paused
                # wake when a download ends too, to start the next one beside the analysis
                timeout = _POLL_S if len(pending) < width else None
                done, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
                drained = drained and not done
                for future in done:
                    pending.pop(future)
                    item = future.result()
                    outcome = job.finish(item)
                    paused = paused or outcome == "paused"
                    report(item, outcome)
        finally:
            _release(job, pool, pending)


def _may_claim(
    job: FetchJob,
    pending: dict[Future[Prepared], Track],
    downloads: Downloads,
    width: int,
    claimed: int,
    limit: int | None,
) -> bool:
    """Whether there is room to claim one more track now."""
    return (
        len(pending) < width
        and downloads.active < job.config.fetch.concurrency
        and (limit is None or claimed < limit)
    )


def _release(
    job: FetchJob, pool: ThreadPoolExecutor, pending: dict[Future[Prepared], Track]
) -> None:
    """After an error: cancel queued items and give the job its unfinished tracks back."""
    if not pending:
        return
    pool.shutdown(wait=True, cancel_futures=True)
    job.release(pending.values())


# -- progress ------------------------------------------------------------------------------


@contextmanager
def reporter(progress: bool | None, total: int) -> Iterator[Callable[[Prepared, str], None]]:
    """A rich progress bar in a terminal, else one log line per track."""
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        yield _log_line
        return
    with Progress(console=Console(stderr=True)) as bar:
        task = bar.add_task("fetching", total=total or None)

        def advance(item: Prepared, outcome: str) -> None:
            bar.update(task, advance=1, description=f"{outcome}: {item.track.label[:40]}")

        yield advance


def _log_line(item: Prepared, outcome: str) -> None:
    if outcome == "ready":
        logger.info("%s: ready", item.track.label)
    else:
        logger.info("%s: %s (%s)", item.track.label, outcome, item.error)
