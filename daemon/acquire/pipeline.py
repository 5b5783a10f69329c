"""The fetch job: claim tracks, resolve, fetch, decode, featurize, embed, store.

Workers resolve, download and analyse (:mod:`daemon.acquire.analysis`: decode,
features, embedding), one track each: at most ``[fetch] concurrency`` of them
download at once, and there are as many workers as cores (at least
``concurrency``), so the analyses of different tracks overlap and keep every
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
``paused``.
"""

from __future__ import annotations

import logging
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

from rich.console import Console
from rich.progress import Progress

from classifier import AudioError
from daemon.acquire.analysis import Analyse, Embedding
from daemon.acquire.cache import recover_cache
from daemon.acquire.errors import NetworkDownError, PermanentFetchError, TransientFetchError
from daemon.acquire.fetcher import Fetcher, fetcher_for
from daemon.acquire.workers import Downloads, analysis_workers
from daemon.acquire.ytdlp_errors import is_rejection
from daemon.config import Config, FetchConfig
from daemon.net import HostThrottle
from daemon.waits import SKIP_HINT, until
from store import Store, Track, TrackState

__all__ = [
    "OUTCOMES",
    "analysis_workers",
    "process_backlog",
    "recover_cache",
    "retry_delay",
]

logger = logging.getLogger(__name__)

OUTCOMES = ("ready", "failed", "skipped", "unmatched", "retry")
_MAX_RETRY_S = 7 * 24 * 3600.0
_POLL_S = 0.05  # how often a full download slot is looked at while analysis runs


@dataclass
class _Prepared:
    """What a worker made of one claimed track."""

    track: Track
    outcome: str  # "features", one of OUTCOMES, or "paused"
    embedding: Embedding | None = None  # or its failure
    path: Path | None = None
    error: str | None = None
    url: str | None = None
    confidence: float | None = None
    retry_after: float | None = None
    duration: float | None = None  # seconds of audio


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


# -- the worker side -------------------------------------------------------------------------


def _prepare(
    fetcher: Fetcher, track: Track, n_patches: int, analyse: Analyse, downloads: Downloads
) -> _Prepared:
    url, confidence = track.url, None
    try:
        with downloads.running():
            if not url:
                url, confidence = fetcher.resolve(track)
                if not url or confidence < fetcher.config.min_match_confidence:
                    reason = _unmatched_reason(fetcher.config, track, confidence)
                    return _Prepared(track, "unmatched", error=reason, confidence=confidence)
            path = fetcher.fetch(replace(track, url=url))
        embedding, duration = analyse(path, n_patches)
        return _Prepared(
            track,
            "features",
            embedding,
            path,
            url=url,
            confidence=confidence,
            duration=round(duration, 3),
        )
    except NetworkDownError as exc:
        return _Prepared(track, "paused", error=str(exc), url=url, confidence=confidence)
    except TransientFetchError as exc:
        return _Prepared(track, "retry", error=str(exc), retry_after=exc.retry_after, url=url)
    except PermanentFetchError as exc:
        outcome = "skipped" if is_rejection(exc) else "failed"
        return _Prepared(track, outcome, error=str(exc), url=url, confidence=confidence)
    except AudioError as exc:
        _discard(fetcher, track)
        return _Prepared(track, "failed", error=str(exc), url=url, confidence=confidence)
    except Exception as exc:  # a bug or a full disk must not kill the job nor lose the track
        logger.exception("%s: unexpected error while fetching", track.label)
        return _Prepared(track, "retry", error=f"unexpected error: {exc!r}", url=url)


def _unmatched_reason(config: FetchConfig, track: Track, confidence: float) -> str:
    if not (track.artist and track.title):
        return f"{track.label} has no URL and no artist and title to search for"
    if not config.search:
        return f"{track.label} has no URL and [fetch] search is empty"
    return (
        f"no search result for {track.label} reached min_match_confidence "
        f"{config.min_match_confidence} (best {confidence:.2f})"
    )


def _discard(fetcher: Fetcher, track: Track) -> None:
    cached = fetcher.cached(track.id)
    if cached is not None:
        cached.unlink(missing_ok=True)


# -- the storing side ------------------------------------------------------------------------


class _Job:
    """One run of the fetch job over the store."""

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

    def finish(self, item: _Prepared) -> str:
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

    def _mark(self, item: _Prepared, state: TrackState, error: str | None) -> str:
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

    def _retry(self, item: _Prepared) -> str:
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

    def _store_features(self, item: _Prepared) -> str:
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
        keep = self.config.fetch.keep_audio or self.config.library.size > 0  # the library's
        if not keep and item.path.is_relative_to(self.fetcher.audio_dir):
            item.path.unlink(missing_ok=True)
        return state


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
    job = _Job(store, config, analyse, model_key, throttle)
    total = limit if limit is not None else store.backlog()
    with _reporter(progress, total) as report:
        paused = _run(job, limit, stop, report)
    counts = dict(job.counts)
    if paused:
        counts["paused"] = 1
    done = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
    logger.info("fetch job: %s", done or "nothing due")
    return counts


def _run(
    job: _Job,
    limit: int | None,
    stop: threading.Event | None,
    report: Callable[[_Prepared, str], None],
) -> bool:
    started = time.time()  # tracks set to retry during this run are not due in it
    width = analysis_workers(job.config.fetch.concurrency)
    downloads = Downloads()
    n_patches = job.config.model.patches
    claimed, paused, drained = 0, False, False
    pending: dict[Future[_Prepared], Track] = {}
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="fetch") as pool:
        try:
            while True:
                while not drained and _may_claim(job, pending, downloads, width, claimed, limit):
                    if paused or (stop is not None and stop.is_set()):
                        break
                    tracks = job.store.claim_for_fetch(1, now=started)
                    if not tracks:
                        drained = True  # until an item finishes: no claiming every poll
                        break
                    claimed += 1
                    downloads.add()
                    work = (job.fetcher, tracks[0], n_patches, job.analyse, downloads)
                    pending[pool.submit(_prepare, *work)] = tracks[0]
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
            _release(job.store, pool, pending)


def _may_claim(
    job: _Job,
    pending: dict[Future[_Prepared], Track],
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
    store: Store, pool: ThreadPoolExecutor, pending: dict[Future[_Prepared], Track]
) -> None:
    """After an error: cancel queued items and put every unfinished track back to ``new``."""
    if not pending:
        return
    pool.shutdown(wait=True, cancel_futures=True)
    for track in pending.values():
        store.mark_track(track.id, "new", error=track.last_error, next_retry_at=track.next_retry_at)


# -- progress ------------------------------------------------------------------------------


@contextmanager
def _reporter(progress: bool | None, total: int) -> Iterator[Callable[[_Prepared, str], None]]:
    """A rich progress bar in a terminal, else one log line per track."""
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        yield _log_line
        return
    with Progress(console=Console(stderr=True)) as bar:
        task = bar.add_task("fetching", total=total or None)

        def advance(item: _Prepared, outcome: str) -> None:
            bar.update(task, advance=1, description=f"{outcome}: {item.track.label[:40]}")

        yield advance


def _log_line(item: _Prepared, outcome: str) -> None:
    if outcome == "ready":
        logger.info("%s: ready", item.track.label)
    else:
        logger.info("%s: %s (%s)", item.track.label, outcome, item.error)
