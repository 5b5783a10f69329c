"""Reads of the store's per-track feature cache, handed to the model side as arrays."""

from __future__ import annotations

import numpy as np

from classifier.taste.features import Features, pack_features
from store import Store

__all__ = ["load_features", "track_vectors"]


def load_features(store: Store, key: str, track_ids: np.ndarray | list[int]) -> Features:
    """Read the cached per-patch features of ``track_ids`` (those that have them)."""
    ids, blocks = [], []
    for track_id, feats, _tags in store.iter_embeddings(key, [int(t) for t in track_ids]):
        ids.append(track_id)
        blocks.append(feats)
    return pack_features(np.array(ids, dtype=np.int64), blocks)


def track_vectors(store: Store, key: str, track_ids: list[int]) -> tuple[list[int], np.ndarray]:
    """(ids, mean-over-patches feature vectors (N, D)) of the tracks that have features."""
    ids: list[int] = []
    vectors: list[np.ndarray] = []
    for track_id, feats, _tags in store.iter_embeddings(key, track_ids):
        ids.append(track_id)
        vectors.append(feats.astype(np.float32).mean(axis=0))
    return ids, np.stack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)
