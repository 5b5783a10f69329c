"""One incremental training cycle of the taste model: train, evaluate, maybe promote.

A cycle warm-starts from the champion (or the pretrained back end), trains a
bounded number of steps over the labels that are new since the champion plus
a replay sample of older ones, one random patch per sampled track
(augmentation), deterministically for ``config.seed``. It then evaluates
challenger and champion on a time-based split (the newest listened tracks,
``holdout_fraction`` of them, against held-out negatives) and promotes the
challenger unless its ROC-AUC is worse than the champion's by more than
``promote_tolerance``. Checkpoints are written atomically and verified
(:mod:`classifier.taste.checkpoints`); the newest ``keep_checkpoints`` are kept.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

from classifier.config import ModelConfig
from classifier.cycle.features import load_features
from classifier.cycle.labels import build_labels
from classifier.embed import feature_key
from classifier.taste.checkpoints import (
    latest_checkpoint_ok,
    load_checkpoint,
    prune_checkpoints,
    resolve_checkpoint,
    save_checkpoint,
)
from classifier.taste.features import Features
from classifier.taste.fit import fit, init_head
from classifier.taste.labelset import LabelSet
from classifier.taste.metrics import evaluate, evaluate_centroid
from classifier.taste.model import TasteModel
from classifier.taste.split import incremental, time_split
from store import ModelError, ModelRecord, Store

__all__ = ["MIN_VAL_POSITIVES", "TrainResult", "decide", "train_cycle"]

logger = logging.getLogger(__name__)

MIN_VAL_POSITIVES = 5
"""Below this many held-out positives a champion/challenger comparison is noise."""


@dataclass(frozen=True)
class TrainResult:
    """What one training cycle did; ``version`` is None when nothing was trained."""

    version: int | None
    promoted: bool
    metrics: dict[str, float]
    reason: str
    n_labels: int
    champion: int | None = None
    seconds: float = 0.0

    @property
    def trained(self) -> bool:
        """Whether a challenger was trained (and recorded)."""
        return self.version is not None


@dataclass(frozen=True)
class _Challenger:
    """A trained challenger, what it and the champion scored, and what it was trained on."""

    model: TasteModel
    metrics: dict[str, float]
    champion_metrics: dict[str, float] | None
    n_train: int
    n_val: int
    n_new: int


def decide(
    challenger: dict[str, float], champion: dict[str, float] | None, tolerance: float
) -> tuple[bool, str]:
    """The promotion rule: (promote?, why)."""
    if champion is None:
        return True, "no usable champion"
    held_out = int(challenger.get("n_val_positive", 0))
    if held_out < MIN_VAL_POSITIVES:
        return True, (
            f"only {held_out} held-out positives, too few to compare: the model trained on "
            "the newest labels wins"
        )
    new, old = challenger["roc_auc"], champion["roc_auc"]
    if math.isnan(new) or math.isnan(old):
        return False, "validation split lacks positives or negatives; champion kept"
    if new >= old - tolerance:
        return True, f"ROC-AUC {new:.3f} vs champion {old:.3f} (tolerance {tolerance})"
    return False, f"ROC-AUC {new:.3f} worse than champion {old:.3f} by more than {tolerance}"


def train_cycle(
    store: Store, config: ModelConfig, checkpoint_dir: Path, *, now: float | None = None
) -> TrainResult:
    """Train a challenger, evaluate it against the champion, record it, maybe promote it.

    With too few labels nothing is trained and the result says why (no exception).
    """
    started = time.perf_counter()
    now = time.time() if now is None else now
    key = feature_key(config.backbone)
    labels = build_labels(store, config, store.embedded_ids(key), now=now)
    champion = _located(store.champion(), checkpoint_dir)
    if reason := _too_few(labels, config):
        return _untrained(reason, len(labels), champion)
    challenger = _challenge(load_features(store, key, labels.track_ids), labels, champion, config)
    if challenger is None:
        reason = "untrained: the training split lacks positives or negatives"
        return _untrained(reason, len(labels), champion)
    version, promote, reason = _record(store, challenger, champion, config, checkpoint_dir, now)
    best = _keep_best(store, config, checkpoint_dir)
    seconds = time.perf_counter() - started
    logger.info("taste model v%d %s: %s", version, "promoted" if promote else "kept aside", reason)
    return TrainResult(
        version,
        promote,
        challenger.metrics,
        reason,
        len(labels),
        best.version if best else None,
        seconds,
    )


def _located(champion: ModelRecord | None, checkpoint_dir: Path) -> ModelRecord | None:
    """The champion with its checkpoint's path resolved against ``checkpoint_dir``."""
    if champion is None:
        return None
    path = resolve_checkpoint(champion.checkpoint, checkpoint_dir)
    return dataclasses.replace(champion, checkpoint=str(path))


def _too_few(labels: LabelSet, config: ModelConfig) -> str | None:
    explicit = int((labels.kinds != 3).sum())
    if labels.n_positive < config.min_labels:
        return (
            f"untrained: {labels.n_positive} listened or liked tracks with features, "
            f"need {config.min_labels} ([model] min_labels)"
        )
    if labels.n_negative == 0:
        return f"untrained: {explicit} labelled tracks but no negatives (no feed candidates yet)"
    return None


def _untrained(reason: str, n_labels: int, champion: ModelRecord | None) -> TrainResult:
    logger.info("taste model not trained: %s", reason)
    version = champion.version if champion else None
    return TrainResult(None, False, {}, reason, n_labels, champion=version)


def _challenge(
    feats: Features, labels: LabelSet, champion: ModelRecord | None, config: ModelConfig
) -> _Challenger | None:
    """Train a challenger on the new labels (and a replay of old ones) and score it and the
    champion on the held-out split; None when the training split lacks a class."""
    train, val = time_split(labels, config.holdout_fraction, config.seed)
    model, current = _start_model(champion, config)
    if current is None:
        init_head(model, feats, train)
    selection, n_new = incremental(train, _label_time(champion), config.replay, config.seed)
    if selection.n_positive == 0 or selection.n_negative == 0:
        return None
    fit(model, feats, selection, config)
    metrics = evaluate(model, feats, val, config.precision_k)
    metrics |= {
        "n_labels": float(len(labels)),
        "n_positive": float(labels.n_positive),
        "n_negative": float(labels.n_negative),
    }
    metrics |= evaluate_centroid(feats, train, val, config.precision_k)
    old = evaluate(current, feats, val, config.precision_k) if current is not None else None
    if old is not None:
        metrics["champion_roc_auc"] = old["roc_auc"]
        metrics["champion_precision_at_k"] = old["precision_at_k"]
    return _Challenger(model, metrics, old, len(selection), len(val), n_new)


def _start_model(
    champion: ModelRecord | None, config: ModelConfig
) -> tuple[TasteModel, TasteModel | None]:
    """(model to train, champion model or None); a broken champion checkpoint is logged."""
    if champion is not None:
        try:
            current = load_checkpoint(champion.checkpoint)
            warm = load_checkpoint(champion.checkpoint)
            return warm, current
        except ModelError as exc:
            logger.warning("%s; starting from the pretrained back end", exc)
    return TasteModel.pretrained(config.backbone), None


def _label_time(champion: ModelRecord | None) -> float | None:
    """When the champion's labels were drawn: older labels are only replayed."""
    since = champion.hparams.get("label_time") if champion else None
    return float(since) if isinstance(since, int | float) else None


def _record(
    store: Store,
    challenger: _Challenger,
    champion: ModelRecord | None,
    config: ModelConfig,
    checkpoint_dir: Path,
    now: float,
) -> tuple[int, bool, str]:
    """Save the challenger's checkpoint, record it, promote it if it wins: (version, promoted,
    why)."""
    tolerance = config.promote_tolerance
    promote, reason = decide(challenger.metrics, challenger.champion_metrics, tolerance)
    path = save_checkpoint(challenger.model, checkpoint_dir, {"created_at": now})
    if not latest_checkpoint_ok(path):
        promote, reason = False, f"checkpoint {path} did not read back intact"
    version = store.add_model(
        parent=champion.version if champion else None,
        hparams=_hparams(config, now, challenger.n_new),
        n_train=challenger.n_train,
        n_val=challenger.n_val,
        metrics=challenger.metrics,
        checkpoint=path.name,  # relative to checkpoint_dir: the state dir can move
    )
    if promote:
        store.promote(version)
    return version, promote, reason


def _keep_best(store: Store, config: ModelConfig, checkpoint_dir: Path) -> ModelRecord | None:
    """The champion now; older checkpoints beyond ``keep_checkpoints`` (never its) deleted."""
    best = store.champion()
    protect = {resolve_checkpoint(best.checkpoint, checkpoint_dir).resolve()} if best else set()
    prune_checkpoints(checkpoint_dir, config.keep_checkpoints, protect)
    return best


def _hparams(config: ModelConfig, now: float, n_new: int) -> dict[str, object]:
    return {
        "backbone": config.backbone,
        "half_life_days": config.half_life_days,
        "weight_cap": config.weight_cap,
        "skip_weight": config.skip_weight,
        "unlabelled_weight": config.unlabelled_weight,
        "steps": config.steps,
        "batch_size": config.batch_size,
        "learning_rate": config.learning_rate,
        "l2sp": config.l2sp,
        "replay": config.replay,
        "seed": config.seed,
        "label_time": now,
        "n_new": n_new,
    }
