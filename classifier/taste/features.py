"""Cached per-patch features of many tracks, packed back to back for training and scoring,
and the per-track profiles similarity compares."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

__all__ = ["Features", "pack_features", "profile", "track_profiles"]


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


def track_profiles(feats: Features, rows: np.ndarray) -> np.ndarray:
    """Profiles (N, 2D) of the tracks at ``rows`` (:func:`profile`)."""
    out = np.zeros((len(rows), 2 * feats.data.shape[1]), np.float32)
    for i, (o, c) in enumerate(zip(feats.offsets[rows], feats.n_patches[rows], strict=True)):
        out[i] = profile(feats.data[o : o + c])
    return out
