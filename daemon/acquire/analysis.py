"""Analysing a fetched file: decode its excerpts, log-mel patches, musicnn embedding.

The fetch job's threads download; the analysis is CPU work in Python and C
alike, and threads of one process serialise on the interpreter's lock while
decoding (measured: two threads analysed 1.14x as fast as one). So
:class:`Analyser` runs it in worker processes, one per core, each with its own
single-threaded musicnn; the job's threads wait on them, and the results come
back to the one thread that writes the store. :func:`in_thread` does the same
work in the calling thread, for a stand-in embedding (tests) or one core.

Workers are forked from a server process (multiprocessing's "forkserver") that
imported torch and the model's code first: :func:`prepare` starts it beside the
daemon's own start, so a worker is ready in the time its model takes to load
(measured: the first file of a fetch job stored 1.1-1.2 s after the job began,
3.6-4.4 s when each spawned worker imported torch itself).

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

from classifier import ModelError
from daemon.acquire.errors import TransientFetchError

__all__ = ["PRELOAD", "Analyse", "Analyser", "Embed", "Embedding", "in_thread", "prepare"]

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
                    mp_context=_context(),  # not a fork of this process: it has threads
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


PRELOAD = ("torch", "classifier.embed", "classifier.featurize", __name__)
"""What the process the workers are forked from imports first (not onnxruntime: its
import starts a thread, and a process to fork from should have none of its own)."""
_method = "forkserver"  # "spawn" where the fork server cannot start


def prepare() -> None:
    """Start the process analysis workers are forked from, without waiting for it: it
    imports torch and the model's code (seconds) beside the caller's own start, and
    every worker forked from it starts with them imported. Where it cannot start (no
    Unix sockets, no writable temporary folder), workers are spawned, each importing."""
    from multiprocessing import forkserver

    global _method
    try:
        _context()
        forkserver.ensure_running()
    except OSError as exc:
        logger.warning("analysis workers will each import the model themselves: %s", exc)
        _method = "spawn"


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context(_method)
    if isinstance(context, multiprocessing.context.ForkServerContext):
        context.set_forkserver_preload(list(PRELOAD))
    return context


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
