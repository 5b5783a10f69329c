"""Reads of the store's per-track feature cache, handed to the model side as arrays."""

from __future__ import annotations

import numpy as np

from classifier.taste.features import Adapter, Features, pack_features
from classifier.taste.folded import patch_profiles
from store import Store

__all__ = ["load_features", "read_profiles"]


def load_features(store: Store, key: str, track_ids: np.ndarray | list[int]) -> Features:
    """Read the cached per-patch features of ``track_ids`` (those that have them)."""
    ids, blocks = [], []
    for track_id, feats, _tags in store.iter_embeddings(key, [int(t) for t in track_ids]):
        ids.append(track_id)
        blocks.append(feats)
    return pack_features(np.array(ids, dtype=np.int64), blocks)


def read_profiles(
    store: Store, key: str, track_ids: list[int], adapter: Adapter | None = None
) -> tuple[list[int], np.ndarray]:
    """(ids, profiles (N, 2D): patch means and spreads, then with ``adapter`` those of its
    view (N, 2D + 2A)) of the tracks that have features."""
    ids: list[int] = []
    profiles: list[np.ndarray] = []
    for got, n_patches, feats in store.iter_feature_blocks(key, track_ids):
        ids += got.tolist()
        profiles.append(patch_profiles(feats, n_patches, adapter))
    return ids, np.concatenate(profiles) if profiles else np.zeros((0, 0), dtype=np.float32)
