"""The similarity baseline: cosine to the recency-weighted centroid of what was liked.

It ranks the queue before any model is trained (cold start), it is the baseline
every training cycle measures the model against on the same validation split, and
it ranks the queue instead of the model when it did better there.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["centroid_ranks_better", "centroid_scores"]


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


def centroid_ranks_better(metrics: dict[str, float]) -> bool:
    """Whether the centroid baseline beat the model on the model's own validation split
    (ROC-AUC, then precision@k on a tie); an unmeasured comparison keeps the model."""
    model = (metrics.get("roc_auc", math.nan), metrics.get("precision_at_k", math.nan))
    centroid = (
        metrics.get("centroid_roc_auc", math.nan),
        metrics.get("centroid_precision_at_k", math.nan),
    )
    if any(math.isnan(float(v)) for v in (*model, *centroid)):
        return False
    return centroid > model
