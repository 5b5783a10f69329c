"""The personal taste model and everything it needs that is not the store.

Arrays and tensors in, arrays and tensors out: the model (``model``), its
labelled set (``labelset``) and packed features (``features``), the train /
validation split (``split``), fitting the body (``fit``), the kernel similarity
inputs and ranking head (``kernel``, ``mix``), the judge (``judge``), benchmark
measures (``metrics``, ``centroid``), the model folded for fast scoring (``folded``),
and checkpoints on disk (``checkpoints``).
What reads the store to drive them lives in :mod:`classifier.cycle`.
"""

from __future__ import annotations

from classifier.taste.centroid import centroid_scores
from classifier.taste.checkpoints import (
    CHECKPOINT_SUFFIX,
    latest_checkpoint_ok,
    load_checkpoint,
    prune_checkpoints,
    save_checkpoint,
)
from classifier.taste.features import Features, pack_features, track_profiles
from classifier.taste.fit import fit, init_head
from classifier.taste.judge import Standing, Verdict, judge, standing
from classifier.taste.kernel import HALF_LIVES, SIMILARITY, Basis, History
from classifier.taste.labelset import KINDS, LabelSet
from classifier.taste.metrics import precision_at_k, roc_auc
from classifier.taste.mix import Moments, Scene, fit_mix, model_inputs, set_space
from classifier.taste.model import ANCHORED, N_MIX, TasteModel
from classifier.taste.split import incremental, time_split

__all__ = [
    "ANCHORED",
    "CHECKPOINT_SUFFIX",
    "HALF_LIVES",
    "KINDS",
    "N_MIX",
    "SIMILARITY",
    "Basis",
    "Features",
    "History",
    "LabelSet",
    "Moments",
    "Scene",
    "Standing",
    "TasteModel",
    "Verdict",
    "centroid_scores",
    "fit",
    "fit_mix",
    "incremental",
    "init_head",
    "judge",
    "latest_checkpoint_ok",
    "load_checkpoint",
    "model_inputs",
    "pack_features",
    "precision_at_k",
    "prune_checkpoints",
    "roc_auc",
    "save_checkpoint",
    "set_space",
    "standing",
    "time_split",
    "track_profiles",
]
