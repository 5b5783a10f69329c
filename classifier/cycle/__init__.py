"""The store-driven side of the taste model: labels from history, training cycles, rescoring.

Everything here reads or writes the :class:`~store.Store` and hands arrays to the
model side (:mod:`classifier.taste`), which never sees the store.
"""

from __future__ import annotations

from classifier.cycle.features import load_features, track_vectors
from classifier.cycle.labels import build_labels, decay
from classifier.cycle.rescore import cold_start_scores, feed_order_scores, rescore, score_tracks
from classifier.cycle.train import MIN_VAL_POSITIVES, TrainResult, decide, train_cycle

__all__ = [
    "MIN_VAL_POSITIVES",
    "TrainResult",
    "build_labels",
    "cold_start_scores",
    "decay",
    "decide",
    "feed_order_scores",
    "load_features",
    "rescore",
    "score_tracks",
    "track_vectors",
    "train_cycle",
]
