"""How well a ranking of tracks matches known relevance: ROC-AUC and precision@k (the
benchmarks' measures; the daemon's own judge is :mod:`classifier.taste.judge`)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["precision_at_k", "roc_auc"]


def roc_auc(scores: np.ndarray, targets: np.ndarray) -> float:
    """Area under the ROC curve (ties count half); NaN without both classes."""
    pos, neg = scores[targets == 1], scores[targets == 0]
    if len(pos) == 0 or len(neg) == 0:
        return math.nan
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    allscores = np.concatenate([pos, neg])
    for value in np.unique(allscores):  # average ranks of ties
        tied = allscores == value
        ranks[tied] = ranks[tied].mean()
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def precision_at_k(scores: np.ndarray, targets: np.ndarray, k: int) -> float:
    """Share of positives among the ``k`` best scores (ties broken by position)."""
    k = min(k, len(scores))
    if k == 0:
        return math.nan
    top = np.argsort(-scores, kind="mergesort")[:k]
    return float(targets[top].mean())
