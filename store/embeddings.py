"""Embeddings: per-patch audio features (float16) and tag probabilities (float32) per track.

Reads go in chunks of short read transactions, so a long scan never holds the
WAL back from being checkpointed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from store.connection import StoreConnection, id_chunks
from store.errors import StoreError

__all__ = ["EmbeddingStore"]


class EmbeddingStore(StoreConnection):
    """Embeddings of tracks, keyed by the feature model that computed them."""

    def put_embedding(
        self, track_id: int, model_key: str, features: np.ndarray, tags: np.ndarray
    ) -> None:
        """Store per-patch features (float16) and tag probabilities (float32) for a track."""
        features = np.ascontiguousarray(features, dtype=np.float16)
        tags = np.ascontiguousarray(tags, dtype=np.float32)
        if features.ndim != 2 or tags.ndim != 2 or features.shape[0] != tags.shape[0]:
            raise StoreError(
                f"embedding of track {track_id}: features {features.shape} and tags "
                f"{tags.shape} must be (patches, dim) with the same number of patches"
            )
        with self.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO embeddings (track_id, model_key, n_patches, features, "
                "feature_dim, tags, tag_dim, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    track_id,
                    model_key,
                    features.shape[0],
                    features.tobytes(),
                    features.shape[1],
                    tags.tobytes(),
                    tags.shape[1],
                    time.time(),
                ),
            )

    def get_embedding(self, track_id: int, model_key: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(features, tags) of a track, or None when not computed."""
        for _, features, tags in self.iter_embeddings(model_key, [track_id]):
            return features, tags
        return None

    def iter_embeddings(
        self, model_key: str, track_ids: Sequence[int] | None = None, chunk: int = 1024
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """Yield (track id, features, tags) in chunks of short read transactions."""
        if track_ids is None:
            track_ids = sorted(self.embedded_ids(model_key))
        rows = self._embedding_rows(
            "n_patches, features, feature_dim, tags, tag_dim", model_key, track_ids, chunk
        )
        for track_id, n, feats, fdim, tags, tdim in rows:
            yield (
                int(track_id),
                np.frombuffer(feats, dtype=np.float16).reshape(n, fdim),
                np.frombuffer(tags, dtype=np.float32).reshape(n, tdim),
            )

    def iter_feature_blocks(
        self, model_key: str, track_ids: Sequence[int], chunk: int = 1024
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Yield (track ids, patches per track, their features back to back (sum P, D)
        float16) for up to ``chunk`` tracks at a time, by track id; one copy per chunk, writable."""
        for start in range(0, len(track_ids), chunk):
            rows = list(
                self._embedding_rows(
                    "n_patches, feature_dim, features", model_key, track_ids[start : start + chunk],
                    chunk,
                )
            )  # fmt: skip
            if rows:
                yield _feature_block(model_key, rows)

    def mean_tags(
        self, model_key: str, track_ids: Sequence[int], chunk: int = 500
    ) -> dict[int, np.ndarray]:
        """Tag probabilities averaged over patches, per track (reads no features)."""
        rows = self._embedding_rows("n_patches, tags, tag_dim", model_key, track_ids, chunk)
        return {
            int(track_id): np.frombuffer(tags, np.float32).reshape(n, dim).mean(axis=0)
            for track_id, n, tags, dim in rows
        }

    def embedded_ids(self, model_key: str) -> set[int]:
        """Ids of tracks with an embedding under ``model_key``."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT track_id FROM embeddings WHERE model_key = ?", (model_key,)
            ).fetchall()
        return {int(r[0]) for r in rows}

    def _embedding_rows(
        self, columns: str, model_key: str, track_ids: Sequence[int], chunk: int
    ) -> Iterator[tuple[Any, ...]]:
        """``track_id, <columns>`` of ``track_ids``' embeddings, by track id, one short read
        transaction per ``chunk`` ids."""
        for ids, marks in id_chunks(track_ids, chunk):
            with self.read() as conn:
                rows = conn.execute(
                    f"SELECT track_id, {columns} FROM embeddings "
                    f"WHERE model_key = ? AND track_id IN ({marks}) ORDER BY track_id",
                    (model_key, *ids),
                ).fetchall()
            yield from rows


def _feature_block(
    model_key: str, rows: list[tuple[Any, ...]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, n_patches, features) of ``track_id, n_patches, feature_dim, features`` rows."""
    dims = {int(r[2]) for r in rows}
    if len(dims) != 1:
        raise StoreError(
            f"embeddings under {model_key!r} mix feature sizes {sorted(dims)}: "
            "the feature cache is inconsistent; see `tastebud doctor`"
        )
    ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    n_patches = np.fromiter((r[1] for r in rows), np.int64, len(rows))
    features = np.frombuffer(bytearray().join(r[3] for r in rows), np.float16).reshape(
        -1, dims.pop()
    )
    return ids, n_patches, features
