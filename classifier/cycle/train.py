"""One incremental training cycle of the taste model: train, judge, maybe promote.

A cycle warm-starts from the champion (or the pretrained back end). It holds out
the newest listened tracks (``holdout_fraction``), fine-tunes the body on the
labels new since the champion plus a replay of older ones, one random patch per
sampled track (augmentation), then fits the ranking head on replayed moments of
the last ``mix_window_days`` (:mod:`classifier.taste.mix`), deterministically for
``config.seed``. The judge (:mod:`classifier.taste.judge`) ranks the held-out
tracks among a sample of candidates no training saw, under the challenger, the
champion and plain similarity, and decides whether the challenger is promoted
and whether similarity ranks the queue instead. Checkpoints are written
atomically and verified (:mod:`classifier.taste.checkpoints`); the newest
``keep_checkpoints`` are kept.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifier.config import ModelConfig
from classifier.cycle.evidence import Tested, judge_ranker, record_new_listens, seed_record
from classifier.cycle.features import load_features
from classifier.cycle.labels import build_labels
from classifier.cycle.scene import scene_at
from classifier.cycle.validation import (
    Champion,
    Judged,
    Tracks,
    challenge,
    listen_field,
    validation_candidates,
)
from classifier.embed import feature_key
from classifier.errors import ModelError
from classifier.taste.adapter import refresh_adapter, same_view
from classifier.taste.checkpoints import (
    latest_checkpoint_ok,
    load_checkpoint,
    prune_checkpoints,
    resolve_checkpoint,
    save_checkpoint,
)
from classifier.taste.features import Features
from classifier.taste.labelset import LabelSet
from classifier.taste.mix import Scene
from classifier.taste.model import TasteModel
from store import ModelRecord, Store

__all__ = ["TrainResult", "train_cycle"]

logger = logging.getLogger(__name__)


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


def train_cycle(
    store: Store, config: ModelConfig, checkpoint_dir: Path, *, now: float | None = None
) -> TrainResult:
    """Train a challenger, evaluate it against the champion, record it, maybe promote it.

    With too few labels nothing is trained and the result says why (no exception).
    """
    started = time.perf_counter()
    now = time.time() if now is None else now
    key = feature_key(config.backbone)
    usable = store.embedded_ids(key)
    labels = build_labels(store, config, usable, now=now)
    champion = _located(store.champion(), checkpoint_dir)
    if reason := _too_few(labels, config):
        return _untrained(reason, len(labels), champion)
    fresh = validation_candidates(store, labels, usable, config)
    feats = load_features(store, key, np.concatenate([labels.track_ids, fresh]))
    warm, current = _start_model(champion, config)
    steps = config.adapt_steps
    refresh_adapter(warm, feats, len(usable), config.backbone, steps=steps, seed=config.seed)
    scene = scene_at(store, config, key, usable, now, warm.adapter())
    if champion is not None and _backbone(champion) not in (None, config.backbone):
        _afresh(store, champion, config, now)
    since = _label_time(champion) if current is not None else None
    ranking = _ranking(store, config, key, usable, now, current, feats, scene, warm)
    if champion is not None and ranking is not None and since is not None:
        tested = Tested(champion, ranking, _aside(store, champion, checkpoint_dir))
        field = listen_field(fresh, labels)
        record_new_listens(
            store, config, key, usable, feats, field, tested, scene.history, (since, now)
        )
        judge_ranker(store, now)
    challenger = challenge(warm, ranking, feats, labels, fresh, scene, config, now, since)
    if challenger is None:
        reason = "untrained: the training split lacks positives or negatives"
        return _untrained(reason, len(labels), champion)
    version, promote, reason = _record(store, challenger, champion, config, checkpoint_dir, now)
    if promote and current is None and not store.evidence(after=store.ranker().after_evidence):
        seed_record(store, challenger, version, scene.history, now)
        judge_ranker(store, now)
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


def _ranking(
    store: Store,
    config: ModelConfig,
    key: str,
    usable: set[int],
    now: float,
    current: TasteModel | None,
    feats: Features,
    scene: Scene,
    warm: TasteModel,
) -> Champion | None:
    """The champion with its per-track arrays and its scene: ``scene`` (the challenger's)
    where both profile tracks alike."""
    if current is None:
        return None
    if not same_view(current, warm):
        scene = scene_at(store, config, key, usable, now, current.adapter())
    return Champion(current, Tracks.of(current, feats), scene)


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


def _start_model(
    champion: ModelRecord | None, config: ModelConfig
) -> tuple[TasteModel, TasteModel | None]:
    """(model to train, champion model or None); a broken champion checkpoint is logged, and
    a champion trained on another backbone's features is left aside."""
    if champion is not None and _backbone(champion) not in (None, config.backbone):
        logger.info(
            "taste model v%d was trained on %s features: starting from the pretrained %s",
            champion.version,
            _backbone(champion),
            config.backbone,
        )
    elif champion is not None:
        try:
            current = load_checkpoint(champion.checkpoint)
            warm = load_checkpoint(champion.checkpoint)
            return warm, current
        except ModelError as exc:
            logger.warning("%s; starting from the pretrained back end", exc)
    return TasteModel.pretrained(config.backbone), None


def _backbone(champion: ModelRecord) -> str | None:
    """The backbone whose features the champion was trained on (None: not recorded)."""
    name = champion.hparams.get("backbone")
    return name if isinstance(name, str) else None


def _afresh(store: Store, champion: ModelRecord, config: ModelConfig, now: float) -> None:
    """A new representation: the judge's record of the old one starts afresh (what ranks
    stays until the new record says otherwise)."""
    reason = f"the features changed from {_backbone(champion)} to {config.backbone}"
    store.switch_ranker(store.ranker().ranker, f"{reason}: the record starts afresh", at=now)


def _aside(
    store: Store, champion: ModelRecord, checkpoint_dir: Path
) -> tuple[ModelRecord, TasteModel] | None:
    """The newest model trained after the champion and never promoted, if its checkpoint
    is still there."""
    newer = [m for m in store.models() if m.version > champion.version and m.promoted_at is None]
    if not newer:
        return None
    try:
        path = resolve_checkpoint(newer[-1].checkpoint, checkpoint_dir)
        return newer[-1], load_checkpoint(path)
    except ModelError as exc:
        logger.info("challenger v%d not tested on new listens: %s", newer[-1].version, exc)
        return None


def _label_time(champion: ModelRecord | None) -> float | None:
    """When the champion's labels were drawn: older labels are only replayed."""
    since = champion.hparams.get("label_time") if champion else None
    return float(since) if isinstance(since, int | float) else None


def _record(
    store: Store,
    challenger: Judged,
    champion: ModelRecord | None,
    config: ModelConfig,
    checkpoint_dir: Path,
    now: float,
) -> tuple[int, bool, str]:
    """Save the challenger's checkpoint, record it, promote it if it wins: (version, promoted,
    why)."""
    promote, reason = challenger.verdict.promote, challenger.verdict.reason
    path = save_checkpoint(challenger.model, checkpoint_dir, {"created_at": now})
    if not latest_checkpoint_ok(path):
        promote, reason = False, f"checkpoint {path} did not read back intact"
    version = store.add_model(
        parent=champion.version if champion else None,
        hparams=_hparams(config, now, challenger),
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


def _hparams(config: ModelConfig, now: float, challenger: Judged) -> dict[str, object]:
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
        "mix_steps": config.mix_steps,
        "mix_l2sp": config.mix_l2sp,
        "mix_window_days": config.mix_window_days,
        "adapt_steps": config.adapt_steps,
        "adapted_on": int(challenger.model.get_buffer("adapter_tracks")),
        "mix_weights": challenger.model.mix.weight.detach()[0].tolist(),
        "seed": config.seed,
        "label_time": now,
        "n_new": challenger.n_new,
    }
