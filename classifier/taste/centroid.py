"""A similarity baseline of the benchmarks: cosine to the recency-weighted centroid of what
was liked, z-scored over a library (the daemon's own similarity is the kernel of
:mod:`classifier.taste.kernel`)."""

from __future__ import annotations

import numpy as np

__all__ = ["centroid_scores"]


def centroid_scores(
    library: np.ndarray, positives: np.ndarray, weights: np.ndarray, candidates: np.ndarray
) -> np.ndarray:
    """Cosine similarity of ``candidates`` to the ``weights``-weighted centroid of
    ``positives``, all z-scored with the mean and spread of ``library``; mapped to [0, 1]."""
    mean, std = library.mean(axis=0), library.std(axis=0) + 1e-6
    top = float(weights.max()) if len(weights) else 0.0
    # Very old events can underflow every weight to 0: then they count alike.
    weights = weights / top if top > 0 else np.ones_like(weights)
    centroid = (weights[:, None] * (positives - mean) / std).sum(axis=0) / weights.sum()
    z = (candidates - mean) / std
    cos = z @ centroid / (np.linalg.norm(z, axis=1) * np.linalg.norm(centroid) + 1e-12)
    return np.asarray((1.0 + cos) / 2.0)
