"""Analysing a fetched file: decode its excerpts, log-mel patches, musicnn embedding.

The fetch job's threads download; the analysis is CPU work in Python and C
alike, and threads of one process serialise on the interpreter's lock while
decoding (measured: two threads analysed 1.14x as fast as one). So
:class:`Analyser` runs it in worker processes, one per core, each with its own
single-threaded musicnn; the job's threads wait on them, and the results come
back to the one thread that writes the store. :func:`in_thread` does the same
work in the calling thread, for a stand-in embedding (tests) or one core.

An analysis returns ``(embedding, duration)``; the embedding is the model's
``(features, tags)``, or the exception the model raised (the storing side
re-raises it: a broken model stops the job, it does not fail the track). A
corrupt or silent file raises :class:`store.AudioError`.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np

from store import ModelError, TransientFetchError

__all__ = ["Analyse", "Analyser", "Embed", "Embedding", "in_thread"]

logger = logging.getLogger(__name__)

Embed = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
Embedding = tuple[np.ndarray, np.ndarray] | BaseException
Analyse = Callable[[Path, int], tuple[Embedding, float]]


def in_thread(embed: Embed) -> Analyse:
    """An analysis in the calling thread, embedding with ``embed``."""

    def analyse(path: Path, n_patches: int) -> tuple[Embedding, float]:
        from classifier import featurize_track

        patches, duration = featurize_track(path, n_patches)
        return _embedded(embed, patches), duration

    return analyse


def _embedded(embed: Embed, patches: np.ndarray) -> Embedding:
    try:
        return embed(patches)
    except Exception as exc:
        return exc


class Analyser:
    """Analyses files in ``workers`` processes, each embedding with ``backbone`` on one
    thread; thread-safe. A worker that dies (killed, out of memory) fails the files
    it had with a :class:`store.TransientFetchError` (retried later) and the next call
    starts fresh workers; a model that cannot load is every file's embedding error."""

    def __init__(self, backbone: str, workers: int) -> None:
        self.backbone = backbone
        self.workers = max(1, workers)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def __call__(self, path: Path, n_patches: int) -> tuple[Embedding, float]:
        pool = self._started()
        try:
            return pool.submit(_analyse, path, n_patches).result()
        except BrokenProcessPool as exc:
            self._discard(pool)
            message = f"{path.name}: an analysis worker died ({exc}); it will be retried"
            raise TransientFetchError(message) from exc

    def start(self) -> None:
        """Start the workers now (each loads the model), not at the first file."""
        pool = self._started()
        for _ in range(self.workers):
            pool.submit(_ready)

    def pids(self) -> list[int]:
        """The worker processes' ids (none before the first file or :meth:`start`)."""
        with self._lock:
            pool = self._pool
        processes = getattr(pool, "_processes", None) or {}
        return sorted(processes)

    def close(self, wait: bool = True) -> None:
        """Stop the workers (with ``wait``, after the files they have)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)

    def _started(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self.workers,
                    mp_context=multiprocessing.get_context("spawn"),  # the daemon has threads
                    initializer=_load,
                    initargs=(self.backbone,),
                )
                logger.info("analysis: %d worker processes", self.workers)
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)


_embedder: Embed | None = None  # the worker process's model
_load_error: BaseException | None = None  # or why it has none


def _load(backbone: str) -> None:
    """A worker's start: one torch thread, the model loaded once with denormals flushed
    (the process does nothing else), a failure kept to be every file's embedding error,
    not a dead pool."""
    global _embedder, _load_error
    import torch

    from classifier import Embedder

    torch.set_num_threads(1)
    try:
        _embedder = Embedder.load(backbone, threads=1, flush_denormals=True)
    except Exception as exc:
        _load_error = exc


def _ready() -> None:
    """Nothing: a task whose only effect is that a worker has started."""


def _analyse(path: Path, n_patches: int) -> tuple[Embedding, float]:
    if _embedder is None:
        return _load_error or ModelError("the analysis worker has no model"), 0.0
    return in_thread(_embedder)(path, n_patches)
