"""The store-driven side of the taste model: labels from history, training cycles, rescoring.

Everything here reads or writes the :class:`~store.Store` and hands arrays to the
model side (:mod:`classifier.taste`), which never sees the store: the labelled set
(``labels``), the feature cache's reads (``features``), the history as the ranking head
sees it (``scene``), one training cycle (``train``) and the challenger's training and
judging (``validation``), new listens tested against the rankings made before them
and the switch of what ranks (``evidence``), scoring every candidate (``rescore``) and
why each is queued (``because``).
"""

from __future__ import annotations

from classifier.cycle.features import load_features, read_profiles
from classifier.cycle.labels import build_history, build_labels, decay
from classifier.cycle.rescore import (
    feed_order_scores,
    rank_tracks,
    rescore,
    standings,
)
from classifier.cycle.scene import scene_at
from classifier.cycle.train import TrainResult, train_cycle
from classifier.cycle.validation import Judged, challenge, content_logits

__all__ = [
    "Judged",
    "TrainResult",
    "build_history",
    "build_labels",
    "challenge",
    "content_logits",
    "decay",
    "feed_order_scores",
    "load_features",
    "rank_tracks",
    "read_profiles",
    "rescore",
    "scene_at",
    "standings",
    "train_cycle",
]
