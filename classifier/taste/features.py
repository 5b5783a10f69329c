"""Cached per-patch features of many tracks, packed back to back for training and scoring,
and the per-track profiles similarity compares.

A profile is, part by part, the mean of a track's patches and their spread over the
track: first of the stored features, then, with an :class:`Adapter`, of the back end
adapted to the library (:mod:`classifier.taste.adapter`) run on the same patches."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

__all__ = ["Adapter", "Features", "pack_features", "profile", "track_profiles"]


@dataclass(frozen=True)
class Adapter:
    """The adapted back end's first layer, its input batch norm folded in: a patch's
    ``(D,)`` features -> ``relu(weight @ x + bias)`` ``(A,)``. (Its output batch norm is
    an affine map per unit, which z-scoring profiles over the library undoes.)"""

    weight: torch.Tensor  # (A, D) float32
    bias: torch.Tensor  # (A,)

    @property
    def units(self) -> int:
        """Values per patch."""
        return int(self.weight.shape[0])

    def same(self, other: Adapter) -> bool:
        """Whether ``other`` holds the same weights."""
        return torch.equal(self.weight, other.weight) and torch.equal(self.bias, other.bias)

    def encode(self, patches: torch.Tensor) -> torch.Tensor:
        """``patches`` (N, D) float32 -> (N, A)."""
        with torch.inference_mode():
            return torch.addmm(self.bias, patches, self.weight.T).relu_()


@dataclass(frozen=True)
class Features:
    """Patches of several tracks back to back: ``data`` (sum P, 1506) float32."""

    track_ids: np.ndarray
    data: torch.Tensor
    n_patches: torch.Tensor
    offsets: torch.Tensor
    index: dict[int, int] = field(repr=False)

    def rows(self, track_ids: np.ndarray) -> np.ndarray:
        """Positions of ``track_ids`` in this set."""
        return np.array([self.index[int(t)] for t in track_ids], dtype=np.int64)

    def patches_of(self, row: int) -> torch.Tensor:
        """Indices into ``data`` of every patch of the track at ``row``."""
        start = int(self.offsets[row])
        return torch.arange(start, start + int(self.n_patches[row]))


def pack_features(track_ids: np.ndarray, blocks: list[np.ndarray]) -> Features:
    """Pack per-track ``(P, D)`` arrays into one :class:`Features`."""
    n = torch.tensor([len(b) for b in blocks], dtype=torch.long)
    data = torch.from_numpy(np.concatenate(blocks).astype(np.float32)) if blocks else None
    offsets = torch.cumsum(n, 0) - n
    return Features(
        track_ids,
        data if data is not None else torch.zeros(0, 1),
        n,
        offsets,
        {int(t): i for i, t in enumerate(track_ids)},
    )


def profile(patches: np.ndarray | torch.Tensor) -> np.ndarray:
    """A track's profile (2D,) float32 from its patches (P, D): their mean, then their
    spread (standard deviation over the track)."""
    x = np.asarray(patches, np.float64)
    return np.concatenate([x.mean(axis=0), x.std(axis=0)]).astype(np.float32)


def track_profiles(feats: Features, rows: np.ndarray, adapter: Adapter | None = None) -> np.ndarray:
    """Profiles (N, 2D, or with ``adapter`` 2D + 2A) of the tracks at ``rows``
    (:func:`profile` of the features, then of the adapter's view of them)."""
    adapted = adapter.encode(feats.data.float()) if adapter is not None else None
    width = 2 * feats.data.shape[1] + (2 * adapter.units if adapter is not None else 0)
    out = np.zeros((len(rows), width), np.float32)
    for i, (o, c) in enumerate(zip(feats.offsets[rows], feats.n_patches[rows], strict=True)):
        parts = [profile(feats.data[o : o + c])]
        if adapted is not None:
            parts.append(profile(adapted[o : o + c]))
        out[i] = np.concatenate(parts)
    return out
