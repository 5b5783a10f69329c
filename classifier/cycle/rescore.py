"""Scores for every candidate, straight from the per-track feature cache.

Under a champion a track's score is its mean patch probability; candidates
are read in chunks and scored in bulk, so 10,000 tracks take seconds. Without
a champion (cold start) the ranking is the cosine similarity of each
candidate to the recency-weighted centroid of the listened and liked tracks,
on track embeddings z-scored over the library; with no such tracks at all it
is the feed order. Cold-start scores are written with ``model_version=None``.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from classifier.config import ModelConfig
from classifier.cycle.because import explaining
from classifier.cycle.features import track_vectors
from classifier.cycle.labels import build_labels
from classifier.embed import feature_key
from classifier.taste.centroid import centroid_ranks_better, centroid_scores
from classifier.taste.checkpoints import load_checkpoint, resolve_checkpoint
from classifier.taste.folded import FoldedScorer
from classifier.taste.model import TasteModel
from store import ModelRecord, Store

__all__ = ["cold_start_scores", "feed_order_scores", "rescore", "score_tracks"]

logger = logging.getLogger(__name__)

_Block = tuple[np.ndarray, np.ndarray, np.ndarray]  # track ids, patches per track, features

CHUNK = 1024


def score_tracks(
    model: TasteModel, store: Store, key: str, track_ids: list[int], chunk: int = CHUNK
) -> list[tuple[int, float]]:
    """(track id, mean patch probability) for every track in ``track_ids`` with features.

    Scores with the model folded into one matmul (:class:`FoldedScorer`), a chunk of
    tracks' float16 features at a time."""
    scorer = FoldedScorer.from_model(model)
    out: list[tuple[int, float]] = []
    for ids, n_patches, feats in _read_ahead(store.iter_feature_blocks(key, track_ids, chunk)):
        scores = scorer.track_scores(feats, n_patches)
        out += zip(ids.tolist(), scores.tolist(), strict=True)
    return out


def _read_ahead(blocks: Iterator[_Block]) -> Iterator[_Block]:
    """``blocks``, the next one read by a thread while the caller scores this one (SQLite
    releases the GIL while it reads), so reading and the matmul overlap; two in memory."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rescore-read") as reader:
        ahead = reader.submit(next, blocks, None)
        while (block := ahead.result()) is not None:
            ahead = reader.submit(next, blocks, None)
            yield block


def feed_order_scores(order: list[int]) -> list[tuple[int, float]]:
    """Scores in (0, 1] that rank tracks in the given order."""
    n = len(order)
    return [(t, 1.0 - i / n) for i, t in enumerate(order)]


def cold_start_scores(
    store: Store, config: ModelConfig, key: str, *, now: float | None = None
) -> list[tuple[int, float]]:
    """Similarity to the listened/liked centroid when there are any, else feed order."""
    now = time.time() if now is None else now
    embedded = store.embedded_ids(key)
    plain = dataclasses.replace(config, unlabelled_sample=0)
    labels = build_labels(store, plain, embedded, now=now)
    liked = labels.subset(labels.targets == 1)
    candidates = [t for t in store.feed_order() if t in embedded]
    if len(liked) == 0 or not candidates:
        return feed_order_scores(store.feed_order())
    pos_ids, pos_vectors = track_vectors(store, key, [int(t) for t in liked.track_ids])
    cand_ids, cand_vectors = track_vectors(store, key, candidates)
    weights = liked.weights[np.searchsorted(liked.track_ids, pos_ids)]
    library = np.concatenate([pos_vectors, cand_vectors])
    scores = centroid_scores(library, pos_vectors, weights, cand_vectors)
    return list(zip(cand_ids, scores.tolist(), strict=True))


@explaining  # then stores why each of the best-scored candidates is queued
def rescore(
    store: Store, config: ModelConfig, checkpoint_dir: Path, *, now: float | None = None
) -> int:
    """Score every embedded candidate (champion, or cold start); returns how many were written.

    ``checkpoint_dir`` is where the champion's checkpoint lives when its
    recorded path is relative; ``now`` (default: the clock) is the time recency is
    measured from.
    """
    key = feature_key(config.backbone)
    champion = store.champion()
    if champion is None:
        written = store.put_scores(None, cold_start_scores(store, config, key, now=now))
        logger.info("taste model untrained: %d candidates ranked by similarity/feed order", written)
        return written
    if centroid_ranks_better(champion.metrics):
        written = store.put_scores(None, cold_start_scores(store, config, key, now=now))
        logger.info(
            "the recency-weighted centroid ranked the validation split better than taste "
            "model v%d: %d candidates ranked by it",
            champion.version,
            written,
        )
        return written
    return _rescore_under(champion, store, key, checkpoint_dir)


def _rescore_under(champion: ModelRecord, store: Store, key: str, checkpoint_dir: Path) -> int:
    """Score every embedded candidate with the champion's checkpoint."""
    model = load_checkpoint(resolve_checkpoint(champion.checkpoint, checkpoint_dir))
    embedded = store.embedded_ids(key)
    candidates = [t for t in store.candidate_ids() if t in embedded]
    written = store.put_scores(champion.version, score_tracks(model, store, key, candidates))
    logger.info("rescored %d candidates under taste model v%d", written, champion.version)
    return written
