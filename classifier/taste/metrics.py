"""How well a ranking of tracks matches their labels: ROC-AUC and precision@k, for the
taste model and for the centroid baseline on the same split."""

from __future__ import annotations

import math

import numpy as np
import torch

from classifier.taste.centroid import centroid_scores
from classifier.taste.features import Features, track_means
from classifier.taste.labelset import LabelSet
from classifier.taste.model import TasteModel

__all__ = ["evaluate", "evaluate_centroid", "precision_at_k", "roc_auc"]


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


def evaluate(model: TasteModel, feats: Features, labels: LabelSet, k: int) -> dict[str, float]:
    """ROC-AUC and precision@k of ``model``'s track scores on ``labels``."""
    rows = feats.rows(labels.track_ids)
    scores = _scores(model, feats, rows)
    return {
        "roc_auc": roc_auc(scores, labels.targets),
        "precision_at_k": precision_at_k(scores, labels.targets, k),
        "k": float(min(k, len(labels))),
        "n_val_positive": float(labels.n_positive),
        "n_val_negative": float(labels.n_negative),
    }


def evaluate_centroid(feats: Features, train: LabelSet, val: LabelSet, k: int) -> dict[str, float]:
    """The baseline the model must beat, on the same split: cosine similarity to the
    recency-weighted centroid of the training positives, z-scored over all tracks."""
    positives = train.subset(train.targets == 1)
    if len(positives) == 0 or len(val) == 0:
        return {"centroid_roc_auc": math.nan, "centroid_precision_at_k": math.nan}
    library = track_means(feats, np.arange(len(feats.track_ids)))
    scores = centroid_scores(
        library,
        track_means(feats, feats.rows(positives.track_ids)),
        positives.weights.astype(np.float64),
        track_means(feats, feats.rows(val.track_ids)),
    )
    return {
        "centroid_roc_auc": roc_auc(scores, val.targets),
        "centroid_precision_at_k": precision_at_k(scores, val.targets, k),
    }


def _scores(model: TasteModel, feats: Features, rows: np.ndarray) -> np.ndarray:
    if len(rows) == 0:
        return np.zeros(0)
    patch_rows = torch.cat([feats.patches_of(int(r)) for r in rows])
    return model.track_scores(feats.data[patch_rows], feats.n_patches[rows]).numpy()
