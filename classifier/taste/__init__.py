"""The personal taste model and everything it needs that is not the store.

Arrays and tensors in, arrays and tensors out: the model (``model``), its
labelled set (``labelset``) and packed features (``features``), the train /
validation split (``split``), fitting (``fit``), metrics and the centroid
baseline (``metrics``, ``centroid``), and checkpoints on disk (``checkpoints``).
What reads the store to drive them lives in :mod:`classifier.cycle`.
"""

from __future__ import annotations

from classifier.taste.centroid import centroid_ranks_better, centroid_scores
from classifier.taste.checkpoints import (
    CHECKPOINT_SUFFIX,
    latest_checkpoint_ok,
    load_checkpoint,
    prune_checkpoints,
    save_checkpoint,
)
from classifier.taste.features import Features, pack_features, track_means
from classifier.taste.fit import fit, init_head
from classifier.taste.labelset import KINDS, LabelSet
from classifier.taste.metrics import evaluate, evaluate_centroid, precision_at_k, roc_auc
from classifier.taste.model import ANCHORED, TasteModel
from classifier.taste.split import incremental, time_split

__all__ = [
    "ANCHORED",
    "CHECKPOINT_SUFFIX",
    "KINDS",
    "Features",
    "LabelSet",
    "TasteModel",
    "centroid_ranks_better",
    "centroid_scores",
    "evaluate",
    "evaluate_centroid",
    "fit",
    "incremental",
    "init_head",
    "latest_checkpoint_ok",
    "load_checkpoint",
    "pack_features",
    "precision_at_k",
    "prune_checkpoints",
    "roc_auc",
    "save_checkpoint",
    "time_split",
    "track_means",
]
