"""The personal taste model and everything it needs that is not the store.

Arrays and tensors in, arrays and tensors out: the model (``model``), its labelled set
(``labelset``) and packed features (``features``), the train / validation split
(``split``), fitting the body (``fit``), the kernel similarity inputs, the artist
signal, the regression of heard tracks against candidates and the ranking head
(``kernel``, ``artists``, ``heard``, ``mix``), each score smoothed among the nearest
candidates' (``smoothing``), how far taste moved, which sets the head's contrast
(``moved``), the judge of one cycle's split (``judge``) and the prequential judge of
what ranks (``prequential``), benchmark measures (``metrics``, ``centroid``), the model
folded for fast scoring (``folded``), the back end adapted to the library without labels
(``adapter``) and checkpoints on disk (``checkpoints``).
What reads the store to drive them lives in :mod:`classifier.cycle`. Each module loads
on first use: the readouts use ``prequential`` without importing torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from store import lazy_getattr

if TYPE_CHECKING:  # the names, for type checkers; at run time each module loads on first use
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
    from classifier.taste.prequential import Record, Switch, confidence_interval, decide
    from classifier.taste.split import incremental, time_split

_WHERE = {
    "centroid_scores": "centroid",
    "CHECKPOINT_SUFFIX": "checkpoints",
    "latest_checkpoint_ok": "checkpoints",
    "load_checkpoint": "checkpoints",
    "prune_checkpoints": "checkpoints",
    "save_checkpoint": "checkpoints",
    "Features": "features",
    "pack_features": "features",
    "track_profiles": "features",
    "fit": "fit",
    "init_head": "fit",
    "Standing": "judge",
    "Verdict": "judge",
    "judge": "judge",
    "standing": "judge",
    "HALF_LIVES": "kernel",
    "SIMILARITY": "kernel",
    "Basis": "kernel",
    "History": "kernel",
    "KINDS": "labelset",
    "LabelSet": "labelset",
    "precision_at_k": "metrics",
    "roc_auc": "metrics",
    "Moments": "mix",
    "Scene": "mix",
    "fit_mix": "mix",
    "model_inputs": "mix",
    "set_space": "mix",
    "ANCHORED": "model",
    "N_MIX": "model",
    "TasteModel": "model",
    "incremental": "split",
    "time_split": "split",
    "Record": "prequential",
    "confidence_interval": "prequential",
    "decide": "prequential",
    "Switch": "prequential",
}
__getattr__ = lazy_getattr(__name__, _WHERE, globals())

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
    "Record",
    "Scene",
    "Standing",
    "Switch",
    "TasteModel",
    "Verdict",
    "centroid_scores",
    "confidence_interval",
    "decide",
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
