"""Scores for every candidate, straight from the per-track feature cache.

Under a champion, each candidate's ranking-head logit is computed from its
cached features (the body's content logit, folded into one matmul, and its
kernel similarity to the history as it stands now), a chunk of tracks at a
time. When the prequential judge switched to plain similarity
(:mod:`classifier.cycle.evidence`), or without a champion (cold start), the
similarity alone ranks; with nothing
listened at all, the feed order. Either way the best candidates are then ranked
again with their nearest candidates' scores (:mod:`classifier.taste.smoothing`).
Stored scores are standings among the candidates: 1.0 is the best, and similarity
scores are written with ``model_version=None``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from classifier.config import ModelConfig
from classifier.cycle.because import explain
from classifier.cycle.features import read_profiles
from classifier.cycle.scene import scene_at
from classifier.embed import feature_key
from classifier.errors import ModelError
from classifier.taste.checkpoints import load_checkpoint, resolve_checkpoint
from classifier.taste.folded import FoldedScorer
from classifier.taste.mix import Scene, model_inputs, set_space, similarity_scores, units_in
from classifier.taste.model import TasteModel
from classifier.taste.smoothing import NEIGHBOURS, TOP, smooth
from store import ModelRecord, Store

__all__ = ["feed_order_scores", "rank_tracks", "rescore", "smooth_best", "standings"]

logger = logging.getLogger(__name__)


CHUNK = 1024


def feed_order_scores(order: list[int]) -> list[tuple[int, float]]:
    """Scores in (0, 1] that rank tracks in the given order."""
    n = len(order)
    return [(t, 1.0 - i / n) for i, t in enumerate(order)]


def standings(raw: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Raw scores turned into standings in (0, 1]: the best track 1.0, the worst 1/n."""
    if not raw:
        return []
    values = np.array([s for _, s in raw])
    ranks = np.empty(len(values))
    ranks[np.argsort(values, kind="stable")] = np.arange(1, len(values) + 1)
    return [(t, float(r / len(values))) for (t, _), r in zip(raw, ranks, strict=True)]


def rank_tracks(
    model: TasteModel,
    scene: Scene,
    store: Store,
    key: str,
    track_ids: list[int],
    *,
    now: float,
    plain: bool = False,
    chunk: int = CHUNK,
) -> list[tuple[int, float]]:
    """(track id, raw ranking score) of every track in ``track_ids`` with features: the
    ranking head's logit, or with ``plain`` the 7-day similarity alone.

    Chunks of tracks are read and scored by one thread per core, each running torch on
    one thread: while one reads (SQLite lets go of the interpreter) the other computes,
    and no core waits at a parallel region's barrier for a thread the reader displaced."""
    basis = scene.basis(model)
    scorer = FoldedScorer.from_model(model)

    def score(part: list[int]) -> list[tuple[int, float]]:
        out: list[tuple[int, float]] = []
        for ids, n_patches, feats in store.iter_feature_blocks(key, part, chunk):
            content, vectors = scorer.per_track(feats, n_patches, logits=not plain)
            inputs = model_inputs(model, scene, vectors, content, now, basis=basis, ids=ids)
            if plain:
                raw = similarity_scores(inputs)
            else:
                with torch.no_grad():
                    raw = model.rank(torch.from_numpy(inputs.astype(np.float32))).double().numpy()
            out += zip(ids.tolist(), raw.tolist(), strict=True)
        return out

    parts = [track_ids[i : i + chunk] for i in range(0, len(track_ids), chunk)]
    workers = min(len(parts), len(os.sched_getaffinity(0))) or 1
    with _one_torch_thread(), ThreadPoolExecutor(workers, thread_name_prefix="rescore") as pool:
        return [pair for scored in pool.map(score, parts) for pair in scored]


_single_lock = threading.Lock()
_single: list[int] = [0, 0]  # rescorings running; torch's threads before the first


@contextmanager
def _one_torch_thread() -> Iterator[None]:
    """torch on one thread while any rescoring runs (the setting is the process's: two
    rescorings at once, from the fetch and the train jobs, restore it once, at the end)."""
    with _single_lock:
        if _single[0] == 0:
            _single[1] = torch.get_num_threads()
            torch.set_num_threads(1)
        _single[0] += 1
    try:
        yield
    finally:
        with _single_lock:
            _single[0] -= 1
            if _single[0] == 0:
                torch.set_num_threads(_single[1])


def rescore(
    store: Store, config: ModelConfig, checkpoint_dir: Path, *, now: float | None = None
) -> int:
    """Score every embedded candidate (champion, or similarity), then store why the best
    of them are queued; returns how many were scored.

    ``checkpoint_dir`` is where the champion's checkpoint lives when its
    recorded path is relative; ``now`` (default: the clock) is the time recency is
    measured from.
    """
    now = time.time() if now is None else now
    key = feature_key(config.backbone)
    embedded = store.embedded_ids(key)
    champion = store.champion()
    model = _champion_model(champion, checkpoint_dir)
    adapter = model.adapter() if model is not None else None
    scene = scene_at(store, config, key, embedded, now, adapter)
    ranking = _Ranking(champion, model, config.smoothing)
    scored = _score_all(store, ranking, now, scene, embedded, key)
    explain(store, config, key, now=now, known=scene, scored=scored, embedded=embedded)
    return len(scored)


@dataclass(frozen=True)
class _Ranking:
    """The champion's record and its model (None: none, or its checkpoint is broken), and
    the share of each score drawn from its nearest among the best candidates (smoothing)."""

    champion: ModelRecord | None
    model: TasteModel | None
    smoothing: float = 0.0


def _score_all(
    store: Store, ranking: _Ranking, now: float, scene: Scene, embedded: set[int], key: str
) -> list[tuple[int, float]]:
    """Score and store every candidate; returns the (track, score) pairs stored."""
    offered = store.feed_order()
    candidates = [t for t in offered if t in embedded]
    # a score from features that no longer rank (the representation changed) must not
    # stand beside the new ones: a candidate without the ranking features is unscored
    store.clear_scores([t for t in offered if t not in embedded])
    if not (scene.history.positive.any() and candidates):
        scored = feed_order_scores(store.feed_order())
        store.put_scores(None, scored)
        why = (
            "no listened or liked track has features yet"
            if not scene.history.positive.any()
            else "no candidate has features yet"
        )
        logger.info("%s: %d candidates in feed order", why, len(scored))
        return scored
    champion, model = ranking.champion, ranking.model
    if model is None or champion is None or store.ranker().ranker == "similarity":
        model = model if model is not None else _similarity_space(store, key, scene, candidates)
        raw = rank_tracks(model, scene, store, key, candidates, now=now, plain=True)
        scored = standings(smooth_best(model, store, key, raw, ranking.smoothing))
        store.put_scores(None, scored)
        logger.info("%d candidates ranked by similarity to %s", len(scored), _why_plain(champion))
        return scored
    raw = rank_tracks(model, scene, store, key, candidates, now=now)
    scored = standings(smooth_best(model, store, key, raw, ranking.smoothing))
    store.put_scores(champion.version, scored)
    logger.info("rescored %d candidates under taste model v%d", len(scored), champion.version)
    return scored


def smooth_best(
    model: TasteModel, store: Store, key: str, raw: list[tuple[int, float]], share: float
) -> list[tuple[int, float]]:
    """``raw`` (track, score) with the best :data:`~classifier.taste.smoothing.TOP` ranked
    again by their scores smoothed among themselves (:func:`~classifier.taste.smoothing.smooth`);
    they stay above the rest, whose order is kept. The scores returned only order."""
    if share <= 0 or len(raw) <= NEIGHBOURS:
        return raw
    order = np.argsort([-score for _, score in raw], kind="stable")
    best, rest = order[:TOP], order[TOP:]
    ids = [raw[i][0] for i in best]
    units = units_in(model, _profiles(model, store, key, ids))
    smoothed = smooth(np.array([raw[i][1] for i in best]), units, share)
    out = list(raw)
    for place, i in enumerate(rest[::-1]):
        out[i] = (raw[i][0], float(place))
    for place, j in enumerate(np.argsort(smoothed, kind="stable")):
        out[best[j]] = (raw[best[j]][0], float(len(rest) + place))
    return out


def _profiles(model: TasteModel, store: Store, key: str, ids: list[int]) -> np.ndarray:
    """The profiles of ``ids`` (in their order) as ``model`` measures them."""
    scorer = FoldedScorer.from_model(model)
    rows: dict[int, np.ndarray] = {}
    for block_ids, n_patches, feats in store.iter_feature_blocks(key, ids):
        _, vectors = scorer.per_track(feats, n_patches, logits=False)
        rows.update(zip(block_ids.tolist(), vectors, strict=True))
    return np.stack([rows[t] for t in ids])


def _champion_model(champion: ModelRecord | None, checkpoint_dir: Path) -> TasteModel | None:
    if champion is None:
        return None
    try:
        return load_checkpoint(resolve_checkpoint(champion.checkpoint, checkpoint_dir))
    except ModelError as exc:
        logger.warning("%s; ranking by similarity until the next training cycle", exc)
        return None


def _similarity_space(store: Store, key: str, scene: Scene, candidates: list[int]) -> TasteModel:
    """A model that only carries the space similarity is measured in: the profiles of the
    history's tracks and up to 2,000 candidates, z-scored."""
    _, sample = read_profiles(store, key, candidates[:2000])
    model = TasteModel(units=1)
    set_space(model, np.concatenate([scene.basis_vectors, sample]).astype(np.float32))
    return model


def _why_plain(champion: ModelRecord | None) -> str:
    if champion is None:
        return "what was listened (no taste model yet)"
    return "what was listened (it ranked new listens better than the taste model)"
