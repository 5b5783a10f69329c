"""Cached per-patch features of many tracks, packed back to back for training and scoring."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

__all__ = ["Features", "pack_features", "track_means"]


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


def track_means(feats: Features, rows: np.ndarray) -> np.ndarray:
    """Mean-over-patches feature vector (N, D) of the tracks at ``rows``."""
    sums = torch.zeros(len(rows), feats.data.shape[1])
    for i, (o, c) in enumerate(zip(feats.offsets[rows], feats.n_patches[rows], strict=True)):
        sums[i] = feats.data[o : o + c].mean(dim=0)
    return sums.numpy()
