"""The artist signal: how much of the recent listening was by a track's artist.

One more input of the ranking head beside the kernels (:mod:`classifier.taste.kernel`):
the share of the listener's 7-day-weighted listens (each track's weight capped as the
kernels cap it) that went to other tracks by the same artist. Tracks whose artist is
unknown, or by an artist not heard lately, read 0. A replayed listen leaves its own
track out, as the kernels do, so a track is never its own evidence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from classifier.taste.kernel import Basis, History, Weights, left_out, track_weights

__all__ = ["ARTIST_HALF_LIFE", "Artists", "artist_share"]

ARTIST_HALF_LIFE = 7.0
"""Half-life in days of the listens the share counts."""


@dataclass(frozen=True)
class Artists:
    """Each known track's artist as a small integer (tracks of one artist share it)."""

    track_ids: np.ndarray  # sorted int64
    keys: np.ndarray  # int64, one per track

    @classmethod
    def of(cls, pairs: Iterable[tuple[int, str]]) -> Artists:
        """From ``(track id, normalised artist name)`` pairs (empty names are unknown)."""
        named = sorted((int(t), name) for t, name in pairs if name)
        index: dict[str, int] = {}
        keys = [index.setdefault(name, len(index)) for _, name in named]
        return cls(np.array([t for t, _ in named], np.int64), np.array(keys, np.int64))

    @classmethod
    def none(cls) -> Artists:
        """No track's artist known: the signal reads 0 everywhere."""
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64))

    def keys_of(self, track_ids: np.ndarray) -> np.ndarray:
        """The artist key of each of ``track_ids`` (-1 where unknown)."""
        ids = np.asarray(track_ids, np.int64)
        if not len(self.track_ids):
            return np.full(len(ids), -1, np.int64)
        pos = np.minimum(np.searchsorted(self.track_ids, ids), len(self.track_ids) - 1)
        return np.where(self.track_ids[pos] == ids, self.keys[pos], -1)


def artist_share(
    artists: Artists,
    track_ids: np.ndarray,
    history: History,
    basis: Basis,
    at: np.ndarray,
    *,
    cap: float,
    own: bool = False,
    weights: Weights | None = None,
) -> np.ndarray:
    """(N,) the share of the recent listening, as seen at ``at`` (one time, or one per
    track), that went to each of ``track_ids``' artist; with ``own``, each track's own
    listens left out of the share and of the whole. ``weights``: the kernels' weights
    at ``at`` (:func:`~classifier.taste.kernel.history_weights`), when the caller has
    them."""
    ids = np.asarray(track_ids, np.int64)
    query, heard = artists.keys_of(ids), artists.keys_of(basis.track_ids)
    at = np.atleast_1d(np.asarray(at, np.float64))
    if weights is None:
        week = track_weights(history, basis, at, ARTIST_HALF_LIFE, True, cap)
    else:
        week = weights.positive(ARTIST_HALF_LIFE)
    if own:
        cols = basis.column(ids)
        rows = np.flatnonzero(cols >= 0)
        week = left_out(week, len(ids), rows, cols[rows])
    if len(week) == 1:  # one row of weights, shared by every track
        known = heard >= 0
        size = int(artists.keys.max()) + 1 if len(artists.keys) else 1
        by_artist = np.bincount(heard[known], week[0, known], minlength=size)
        same = np.where(query >= 0, by_artist[np.maximum(query, 0)], 0.0)
    else:
        match = (query[:, None] == heard[None, :]) & (query[:, None] >= 0)
        same = (week * match).sum(axis=1)
    total = week.sum(axis=1)
    return np.where(total > 0, same / np.maximum(total, 1e-300), 0.0).astype(np.float32)
