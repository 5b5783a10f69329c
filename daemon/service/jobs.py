"""The daemon's jobs. Each returns its counts and raises a TastebudError on failure."""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from classifier import ModelConfig
from daemon.acquire import Analyser, Embedding, prepare
from daemon.config import Config
from daemon.net import HostThrottle, Pacer
from daemon.ranking_evidence import UNTRAINED_CURSOR
from daemon.representation import active_backbone, note_active
from store import Store, StoreError, backup_path, corruption_fix

__all__ = ["Jobs"]

logger = logging.getLogger(__name__)

INTEGRITY_EVERY_S = 7 * 86400
LIBRARY_GROWTH = 0.1
"""Train again, with no new label, once the tracks with features have grown by this share
since the last training: the similarity space, the adapted back end and the candidates
the head learns against are all fit to the library, and a style that arrived since
would be measured in a space that never saw it."""
Counts = dict[str, int]


class Jobs:
    """poll-history, poll-feeds, fetch, train, playlists, library and maintenance over one
    store."""

    def __init__(
        self,
        config: Config,
        store: Store,
        stop: threading.Event,
        *,
        touch: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.stop = stop
        self.touch = touch or (lambda: None)
        self._analyser: Analyser | None = None
        self._analyser_lock = threading.Lock()
        self._ranking_lock = threading.Lock()  # the fetch and train jobs note a switch once
        if config.feeds:
            prepare()  # the analysis workers' imports run beside this process's own
        _set_torch_threads()
        self._trained_on: tuple[int | str, ...] | None = None
        self._trained_library = 0  # tracks with features at the last training
        self._scored_on: int | None = None
        self._throttle: HostThrottle | None = None
        self._pacer = Pacer()  # the web APIs' spacing, shared by every job's client

    def recover(self) -> Counts:
        """After a crash or kill -9: reset interrupted items and remove partial files."""
        from daemon.acquire import recover_cache

        counts = {
            "reset_fetching": self.store.reset_stuck_fetching(),
            "aborted_runs": self.store.abort_unfinished_runs(),
            "partial_downloads": recover_cache(self.config.cache_dir),
            "partial_checkpoints": _remove_partial_checkpoints(self.config.checkpoint_dir),
        }
        if any(counts.values()):
            logger.info("recovered from an unclean stop: %s", counts)
        return counts

    # -- jobs --------------------------------------------------------------------------------

    def poll_history(self) -> Counts:
        """Poll every [[history]] source; one failing source never stops the others."""
        from daemon.sources import poll_history

        return _flatten(poll_history(self.store, self.config, pacer=self._pacer))

    def poll_feeds(self) -> Counts:
        """Poll every [[feeds]] source."""
        from daemon.sources import poll_feeds

        return _flatten(poll_feeds(self.store, self.config, pacer=self._pacer))

    def fetch(self, limit: int | None = -1) -> Counts:
        """Fetch and featurize a batch of the backlog (``limit=None``: all of it); once no
        new track is due, re-analyse a few ready tracks under the configured backbone."""
        from daemon.acquire import process_backlog

        batch = self.config.fetch.batch_size if limit == -1 else limit
        counts = process_backlog(
            self.store,
            self.config,
            analyse=self._analyse,
            model_key=self._model_key(),
            limit=batch,
            stop=self.stop,
            throttle=self._host_throttle(),
        )
        if not counts.get("paused") and not self.stop.is_set():
            counts |= self._reanalyse()
        if counts.get("ready") or (counts.get("reanalysed") and self._ranks_configured()):
            counts["scored"] = self._rescore()
        return counts

    def _reanalyse(self) -> Counts:
        """Up to ``[fetch] reanalyse_per_cycle`` ready tracks fetched again and analysed under
        the configured backbone, when no new track is due (the backlog comes first)."""
        from daemon.acquire import reanalyse

        per_cycle = self.config.fetch.reanalyse_per_cycle
        if not per_cycle or self.store.backlog(due_by=time.time()):
            return {}
        return reanalyse(
            self.store,
            self.config,
            analyse=self._analyse,
            model_key=self._model_key(),
            limit=per_cycle,
            stop=self.stop,
            throttle=self._host_throttle(),
        )

    def _ranks_configured(self) -> bool:
        """Whether the configured backbone's features rank (re-analysis reached them)."""
        return active_backbone(self.store, self.config) == self.config.model.backbone

    def _host_throttle(self) -> HostThrottle:
        """One throttle for the daemon's life, so the per-host delay spans job runs;
        a reload that changes ``[fetch] host_delay_s`` starts a new one."""
        delay = self.config.fetch.host_delay_s
        if self._throttle is None or self._throttle.delay_s != delay:
            self._throttle = HostThrottle(delay)
        return self._throttle

    def train(self, force: bool = False) -> Counts:
        """Train a challenger when labels, the labelled tracks' features or the backbone
        that ranks changed, or the library grew by :data:`LIBRARY_GROWTH` (or ``force``),
        then rescore candidates; both run on the features of the backbone that ranks
        (:mod:`daemon.representation`)."""
        from classifier import feature_key, train_cycle

        model = self._ranking_model()
        c = self.store.counts(feature_key(model.backbone))
        labels = (c["listens"], c["feedback"], c["queue_state"], c["skips"], c["embedded_labelled"])
        labels_on = (*labels, model.backbone)  # a switch of representation trains on it
        grew = c["embeddings"] > self._trained_library * (1.0 + LIBRARY_GROWTH)
        counts: Counts = {}
        if force or grew or labels_on != self._trained_on:
            result = train_cycle(self.store, model, self.config.checkpoint_dir)
            self._trained_on, self._trained_library = labels_on, c["embeddings"]
            counts = {
                "trained": int(result.version is not None),
                "promoted": int(result.promoted),
                "labels": result.n_labels,
            }
            untrained = result.reason if result.version is None else ""
            self.store.set_cursor(UNTRAINED_CURSOR, untrained)  # the dashboard's words
            if untrained:
                logger.info("model not trained: %s", untrained)
        if force or counts.get("promoted") or c["embeddings"] != self._scored_on:
            counts["scored"] = self._rescore()
        return counts

    def playlists(self) -> Counts:
        """Refresh the [[playlists]] files (a JSPF one after looking up the recording MBIDs
        its tracks lack)."""
        from daemon.playlists import refresh_playlists

        counts: Counts = {}
        if jspf := [p.limit for p in self.config.playlists if p.format == "jspf"]:
            from daemon.feedback import current_queue
            from daemon.sources import resolve_mbids

            ids = [e.track.id for e in current_queue(self.store, self.config, max(jspf))]
            found = resolve_mbids(self.store, self.config, ids, pacer=self._pacer)
            counts["mbids_found"] = found["found"]
        return {**counts, "playlists": len(refresh_playlists(self.store, self.config))}

    def library(self) -> Counts:
        """Refresh the library folder, then the MPD and Subsonic playlists of it."""
        from daemon.listening import sync_library

        return sync_library(self.store, self.config, self._host_throttle())

    def maintenance(self) -> Counts:
        """Prune the audio cache, PRAGMA optimize, weekly integrity check, optional backup."""
        counts = {"pruned_audio": self._prune_cache()}
        if self._integrity_due():  # first: a corrupt file is neither optimised nor backed up
            with self.store.recorded_run("integrity") as outcome:
                if (result := self.store.integrity_check()) != "ok":
                    outcome.fail(f"{result}: {corruption_fix(self.store.path)}")
            counts["integrity_checked"] = 1
            if outcome.status == "failed":  # keep the last good backup
                raise StoreError(f"database {self.store.path}: integrity check: {outcome.error}")
        self.store.optimize()
        if self.config.storage.backup:
            self.store.backup(backup_path(self.store.path))
            counts["backup"] = 1
        return counts

    # -- helpers -----------------------------------------------------------------------------

    def _model_key(self) -> str:
        from classifier import model_key

        return model_key(self.config.model.backbone)

    def _analyse(self, path: Path, n_patches: int) -> tuple[Embedding, float]:
        """Decode, features and musicnn for one file, in the analysis worker processes;
        called by the fetch job's threads at once."""
        result = self._analyser_now()(path, n_patches)
        self.touch()
        return result

    def _analyser_now(self) -> Analyser:
        """The worker processes (started with the first file, one per usable core), for
        the configured backbone."""
        backbone = self.config.model.backbone
        with self._analyser_lock:
            stale = (
                self._analyser if self._analyser and self._analyser.backbone != backbone else None
            )
            if self._analyser is None or stale is not None:
                self._analyser = Analyser(backbone, len(os.sched_getaffinity(0)))
                self._analyser.start()
            analyser = self._analyser
        if stale is not None:
            stale.close()
        return analyser

    def close(self, wait: bool = True) -> None:
        """Stop the analysis worker processes (with ``wait``, after the files they have)."""
        with self._analyser_lock:
            analyser, self._analyser = self._analyser, None
        if analyser is not None:
            analyser.close(wait)

    def _ranking_model(self) -> ModelConfig:
        """``[model]`` with the backbone whose features rank now (the configured one once
        re-analysis has reached enough tracks); a switch is logged once."""
        with self._ranking_lock:
            active = active_backbone(self.store, self.config)
            note_active(self.store, active)
        return dataclasses.replace(self.config.model, backbone=active)

    def _rescore(self) -> int:
        from classifier import rescore

        self._scored_on = self.store.counts()["embeddings"]
        return rescore(self.store, self._ranking_model(), self.config.checkpoint_dir)

    def _prune_cache(self) -> int:
        cache = self.config.cache_dir
        if self.config.fetch.keep_audio or not cache.is_dir():
            return 0
        cutoff = time.time() - 86400
        stale = [p for p in cache.iterdir() if p.is_file() and p.stat().st_mtime < cutoff]
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)

    def _integrity_due(self) -> bool:
        last = self.store.runs("integrity", limit=1)
        return not last or time.time() - last[0].started_at > INTEGRITY_EVERY_S


def _set_torch_threads() -> None:
    """torch gets one thread per usable core, said explicitly: under a service manager
    its default may see fewer (or all the host's) cores. The fetch job's workers run
    the model with one thread each instead (as many as there are cores)."""
    import torch

    cores = len(os.sched_getaffinity(0))
    torch.set_num_threads(cores)
    logger.info("torch: %d threads (%s)", cores, torch.backends.cpu.get_cpu_capability())


def _remove_partial_checkpoints(directory: Path) -> int:
    """Checkpoints are written to ``*.tmp`` then renamed: a leftover temp file is garbage."""
    leftovers = list(directory.glob("*.tmp")) if directory.is_dir() else []
    for path in leftovers:
        path.unlink(missing_ok=True)
    return len(leftovers)


def _flatten(per_source: dict[str, dict[str, int]]) -> Counts:
    total: Counts = {}
    for counts in per_source.values():
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
    total["sources"] = len(per_source)
    return total
