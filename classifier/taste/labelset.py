"""The weighted labelled set the taste model learns from: parallel arrays, one entry per track.

How the set is built from listening history lives in :mod:`classifier.cycle.labels`;
the model side only sees these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["KINDS", "LabelSet"]

KINDS = ("positive", "dislike", "skip", "unlabelled")
"""Label kinds, indexed by :attr:`LabelSet.kinds`."""


@dataclass(frozen=True)
class LabelSet:
    """Parallel arrays, one entry per labelled track."""

    track_ids: np.ndarray  # int64
    targets: np.ndarray  # float32, 1 = to taste
    weights: np.ndarray  # float32, > 0
    kinds: np.ndarray  # int8, index into KINDS
    first_at: np.ndarray  # float64, time of the track's first event (0 for unlabelled)
    last_at: np.ndarray  # float64, time of the track's newest event (0 for unlabelled)

    def __len__(self) -> int:
        return len(self.track_ids)

    @property
    def n_positive(self) -> int:
        """How many entries are positive."""
        return int((self.targets == 1).sum())

    @property
    def n_negative(self) -> int:
        """How many entries are negative."""
        return int((self.targets == 0).sum())

    def subset(self, mask: np.ndarray) -> LabelSet:
        """The entries where ``mask`` (bool or index array) selects."""
        return LabelSet(
            self.track_ids[mask],
            self.targets[mask],
            self.weights[mask],
            self.kinds[mask],
            self.first_at[mask],
            self.last_at[mask],
        )
