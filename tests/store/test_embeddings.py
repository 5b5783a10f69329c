"""Embeddings: float16 features and float32 tags per patch, read in chunks."""

from __future__ import annotations

import numpy as np
import pytest

from store import Store, StoreError, TrackRef


def test_embeddings_round_trip(store: Store) -> None:
    tid = store.upsert_track(TrackRef("f", url="http://127.0.0.1/a.ogg"))
    feats = np.random.default_rng(0).normal(size=(10, 1506)).astype(np.float32)
    tags = np.random.default_rng(1).random((10, 50)).astype(np.float32)
    store.put_embedding(tid, "MSD_musicnn", feats, tags)
    got_feats, got_tags = store.get_embedding(tid, "MSD_musicnn")
    assert got_feats.dtype == np.float16
    np.testing.assert_allclose(got_feats, feats, atol=1e-2, rtol=1e-3)
    np.testing.assert_array_equal(got_tags, tags)
    with pytest.raises(StoreError, match="same number of patches"):
        store.put_embedding(tid, "MSD_musicnn", feats, tags[:3])


def test_embeddings_read_in_chunks(store: Store) -> None:
    ids = [store.upsert_track(TrackRef("f", url=f"http://127.0.0.1/{i}.ogg")) for i in range(5)]
    for n, tid in enumerate(ids[1:], start=1):
        tags = np.full((n, 3), n, np.float32)
        store.put_embedding(tid, "k", np.zeros((n, 4), np.float32), tags)
    assert store.embedded_ids("k") == set(ids[1:])
    assert [tid for tid, _, _ in store.iter_embeddings("k", chunk=2)] == ids[1:]
    assert store.get_embedding(ids[0], "k") is None
    means = store.mean_tags("k", ids, chunk=2)
    assert sorted(means) == ids[1:]
    np.testing.assert_array_equal(means[ids[3]], [3.0, 3.0, 3.0])


def test_feature_blocks_hold_each_tracks_patches_back_to_back(store: Store) -> None:
    ids = [store.upsert_track(TrackRef("f", "A", f"t{i}")) for i in range(5)]
    feats = {t: np.full((i + 1, 3), i, np.float16) for i, t in enumerate(ids)}
    for t, f in feats.items():
        store.put_embedding(t, "k", f, np.zeros((len(f), 2), np.float32))
    blocks = list(store.iter_feature_blocks("k", [ids[4], ids[0], ids[2], 999], chunk=2))
    got_ids = np.concatenate([b[0] for b in blocks]).tolist()
    assert got_ids == [ids[0], ids[4], ids[2]]  # by id within a chunk, missing ones skipped
    for block_ids, n_patches, data in blocks:
        assert data.dtype == np.float16
        assert data.flags.writeable
        assert len(data) == n_patches.sum()
        rows = np.split(data, np.cumsum(n_patches)[:-1])
        for t, r in zip(block_ids.tolist(), rows, strict=True):
            np.testing.assert_array_equal(r, feats[t])


def test_feature_blocks_refuse_mixed_feature_sizes(store: Store) -> None:
    ids = [store.upsert_track(TrackRef("f", "A", f"t{i}")) for i in range(2)]
    for dim, t in zip((3, 4), ids, strict=True):
        store.put_embedding(t, "k", np.zeros((2, dim)), np.zeros((2, 2)))
    with pytest.raises(StoreError, match="mix feature sizes"):
        list(store.iter_feature_blocks("k", ids))
