"""The listener's history as the ranking head sees it: events and their tracks' vectors."""

from __future__ import annotations

import numpy as np

from classifier.config import ModelConfig
from classifier.cycle.features import read_profiles
from classifier.cycle.labels import build_history
from classifier.taste.artists import Artists
from classifier.taste.features import Adapter
from classifier.taste.kernel import PLAY_CAP, History
from classifier.taste.mix import Scene
from store import Store

__all__ = ["BASIS_LIMIT", "basis_ids", "scene_at"]

BASIS_LIMIT = 2000
"""Distinct history tracks candidates are compared with: every candidate costs one
dot product with each, so a long history keeps its most recent and most played."""


def basis_ids(history: History, limit: int = BASIS_LIMIT) -> np.ndarray:
    """Sorted distinct tracks of ``history``; past ``limit``, half the most recently heard
    and the rest the most often heard."""
    ids, inverse, counts = np.unique(history.track_ids, return_inverse=True, return_counts=True)
    if len(ids) <= limit:
        return ids
    newest = np.full(len(ids), -np.inf)
    np.maximum.at(newest, inverse, history.times)
    recent = np.argsort(-newest, kind="stable")[: limit // 2]
    rest = np.setdiff1d(np.arange(len(ids)), recent)
    played = rest[np.argsort(-counts[rest], kind="stable")[: limit - len(recent)]]
    return np.sort(ids[np.concatenate([recent, played])])


def scene_at(
    store: Store,
    config: ModelConfig,
    key: str,
    usable: set[int],
    now: float,
    adapter: Adapter | None = None,
) -> Scene:
    """The history up to ``now`` of the tracks in ``usable``, its basis vectors (with
    ``adapter``, those of its view too: the scene of a model that has it) and the artists
    of the tracks in ``usable``."""
    history = build_history(store, config, usable, now=now)
    got, vectors = read_profiles(store, key, [int(t) for t in basis_ids(history)], adapter)
    order = np.argsort(np.array(got, np.int64), kind="stable")
    ids = np.array(got, np.int64)[order]
    vectors = vectors[order] if len(ids) else vectors
    artists = Artists.of(store.artists(usable))
    if adapter is None:
        return Scene(history, ids, vectors, PLAY_CAP, artists=artists)
    width = vectors.shape[1] - 2 * adapter.units
    return Scene(history, ids, vectors[:, :width], PLAY_CAP, vectors[:, width:], adapter, artists)
