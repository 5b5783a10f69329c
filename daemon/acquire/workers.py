"""The fetch job's worker threads: how many it runs, how many of them may be downloading,
and what one of them makes of a claimed track (resolved, downloaded, analysed)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from classifier import AudioError
from daemon.acquire.analysis import Analyse, Embedding
from daemon.acquire.errors import NetworkDownError, PermanentFetchError, TransientFetchError
from daemon.acquire.fetcher import Fetcher
from daemon.acquire.ytdlp_errors import is_rejection
from daemon.config import FetchConfig
from store import Track

__all__ = ["Downloads", "Prepared", "analysis_workers", "prepare_track"]

logger = logging.getLogger(__name__)


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


@dataclass
class Prepared:
    """What a worker made of one claimed track."""

    track: Track
    outcome: str  # "features", one of the fetch job's outcomes, or "paused"
    embedding: Embedding | None = None  # or its failure
    path: Path | None = None
    error: str | None = None
    url: str | None = None
    confidence: float | None = None
    retry_after: float | None = None
    duration: float | None = None  # seconds of audio


def prepare_track(
    fetcher: Fetcher, track: Track, n_patches: int, analyse: Analyse, downloads: Downloads
) -> Prepared:
    """Resolve (when it has no URL), download and analyse ``track``: what came of it."""
    url, confidence = track.url, None
    try:
        with downloads.running():
            if not url:
                url, confidence = fetcher.resolve(track)
                if not url or confidence < fetcher.config.min_match_confidence:
                    reason = _unmatched_reason(fetcher.config, track, confidence)
                    return Prepared(track, "unmatched", error=reason, confidence=confidence)
            path = fetcher.fetch(replace(track, url=url))
        embedding, duration = analyse(path, n_patches)
        return Prepared(
            track,
            "features",
            embedding,
            path,
            url=url,
            confidence=confidence,
            duration=round(duration, 3),
        )
    except NetworkDownError as exc:
        return Prepared(track, "paused", error=str(exc), url=url, confidence=confidence)
    except TransientFetchError as exc:
        return Prepared(track, "retry", error=str(exc), retry_after=exc.retry_after, url=url)
    except PermanentFetchError as exc:
        outcome = "skipped" if is_rejection(exc) else "failed"
        return Prepared(track, outcome, error=str(exc), url=url, confidence=confidence)
    except AudioError as exc:
        _discard(fetcher, track)
        return Prepared(track, "failed", error=str(exc), url=url, confidence=confidence)
    except Exception as exc:  # a bug or a full disk must not kill the job nor lose the track
        logger.exception("%s: unexpected error while fetching", track.label)
        return Prepared(track, "retry", error=f"unexpected error: {exc!r}", url=url)


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
