"""One incremental training cycle of the taste model: train, evaluate, maybe promote.

A cycle warm-starts from the champion (or the pretrained back end), trains a
bounded number of steps over the labels that are new since the champion plus
a replay sample of older ones, one random patch per sampled track
(augmentation), deterministically for ``config.seed``. It then evaluates
challenger and champion on a time-based split (the newest listened tracks,
``holdout_fraction`` of them, against held-out negatives) and promotes the
challenger unless its ROC-AUC is worse than the champion's by more than
``promote_tolerance``. Checkpoints are written atomically (temp file, fsync,
rename) with a SHA-256 of their payload, so a half-written or corrupt file is
never loaded or promoted; the newest ``keep_checkpoints`` are kept.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from classifier.config import ModelConfig
from classifier.labels import LabelSet, build_labels
from classifier.taste import TasteModel
from store import ModelError, ModelRecord, Store

__all__ = [
    "CHECKPOINT_SUFFIX",
    "Features",
    "TrainResult",
    "evaluate",
    "feature_key",
    "fit",
    "latest_checkpoint_ok",
    "load_checkpoint",
    "load_features",
    "precision_at_k",
    "roc_auc",
    "save_checkpoint",
    "time_split",
    "train_cycle",
]

logger = logging.getLogger(__name__)

CHECKPOINT_SUFFIX = ".taste"
_MAGIC = b"TASTEBUD-TASTE-1\n"


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
        return self.version is not None


def feature_key(backbone: str) -> str:
    """The store's embedding key of ``backbone`` (the per-track cache the model reads)."""
    try:
        from classifier.embed import model_key
    except ImportError:  # the embedding module is not installed in this build
        return backbone
    return str(model_key(backbone))


# -- cached features ------------------------------------------------------------------------


@dataclass(frozen=True)
class Features:
    """Patches of several tracks back to back: ``data`` (sum P, 1506) float32."""

    track_ids: np.ndarray
    data: torch.Tensor
    n_patches: torch.Tensor
    offsets: torch.Tensor
    index: dict[int, int] = field(repr=False)

    def rows(self, track_ids: np.ndarray) -> np.ndarray:
        """Positions of ``track_ids`` in this set."""
        return np.array([self.index[int(t)] for t in track_ids], dtype=np.int64)


def load_features(store: Store, key: str, track_ids: np.ndarray | list[int]) -> Features:
    """Read the cached per-patch features of ``track_ids`` (those that have them)."""
    ids, blocks = [], []
    for track_id, feats, _tags in store.iter_embeddings(key, [int(t) for t in track_ids]):
        ids.append(track_id)
        blocks.append(feats)
    return pack_features(np.array(ids, dtype=np.int64), blocks)


def pack_features(track_ids: np.ndarray, blocks: list[np.ndarray]) -> Features:
    """Pack per-track ``(P, D)`` arrays into one :class:`Features`."""
    n = torch.tensor([len(b) for b in blocks], dtype=torch.long)
    data = torch.from_numpy(np.concatenate(blocks).astype(np.float32)) if blocks else None
    offsets = torch.cumsum(n, 0) - n
    return Features(
        track_ids,
        data if data is not None else torch.zeros(0, 1),
        n,
        offsets,
        {int(t): i for i, t in enumerate(track_ids)},
    )


# -- metrics ----------------------------------------------------------------------------------


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


def track_means(feats: Features, rows: np.ndarray) -> np.ndarray:
    """Mean-over-patches feature vector (N, D) of the tracks at ``rows``."""
    sums = torch.zeros(len(rows), feats.data.shape[1])
    for i, (o, c) in enumerate(zip(feats.offsets[rows], feats.n_patches[rows], strict=True)):
        sums[i] = feats.data[o : o + c].mean(dim=0)
    return sums.numpy()


def evaluate_centroid(feats: Features, train: LabelSet, val: LabelSet, k: int) -> dict[str, float]:
    """The baseline the model must beat, on the same split: cosine similarity to the
    recency-weighted centroid of the training positives, z-scored over all tracks."""
    from classifier.scoring import centroid_scores

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
    n = feats.n_patches[rows]
    patch_rows = torch.cat(
        [torch.arange(o, o + c) for o, c in zip(feats.offsets[rows], n, strict=True)]
    )
    return model.track_scores(feats.data[patch_rows], n).numpy()


# -- splitting and fitting --------------------------------------------------------------------


def time_split(labels: LabelSet, fraction: float, seed: int = 0) -> tuple[LabelSet, LabelSet]:
    """(train, validation): the newest ``fraction`` of positives (by first listen) and of
    explicit negatives (by newest event), and a random ``fraction`` of unlabelled ones."""
    held = np.zeros(len(labels), dtype=bool)
    for kinds in ((0,), (1, 2)):
        idx = np.flatnonzero(np.isin(labels.kinds, kinds))
        n = round(fraction * len(idx))
        when = labels.first_at[idx] if kinds == (0,) else labels.last_at[idx]
        held[idx[np.argsort(when, kind="mergesort")[len(idx) - n :]]] = n > 0
    unlabelled = np.flatnonzero(labels.kinds == 3)
    rng = np.random.default_rng(seed)
    held[rng.permutation(unlabelled)[: round(fraction * len(unlabelled))]] = True
    return labels.subset(~held), labels.subset(held)


def incremental(
    labels: LabelSet, since: float | None, replay: int, seed: int
) -> tuple[LabelSet, int]:
    """Labels newer than ``since`` (and all unlabelled ones) plus up to ``replay`` older ones.

    Returns the selection and how many of it are new.
    """
    if since is None:
        return labels, len(labels)
    new = (labels.last_at > since) | (labels.kinds == 3)
    old = np.flatnonzero(~new)
    rng = np.random.default_rng(seed)
    keep = new.copy()
    keep[rng.permutation(old)[:replay]] = True
    return labels.subset(keep), int(new.sum())


def fit(
    model: TasteModel,
    feats: Features,
    labels: LabelSet,
    config: ModelConfig,
    *,
    seed: int | None = None,
) -> float:
    """Train ``model`` in place for ``config.steps`` steps; returns the last loss.

    Each batch draws half positives and half negatives, each track with
    probability proportional to its weight, and one random patch per track.
    The negative half's loss is scaled by the negatives' total weight relative
    to the positives' (at most 1), so that the expected loss is the weighted
    loss while both classes are present in every batch: small weights on
    unlabelled negatives keep them from outvoting what was listened to.
    """
    seed = config.seed if seed is None else seed
    gen = torch.Generator().manual_seed(seed)
    rows = torch.from_numpy(feats.rows(labels.track_ids))
    weights = torch.from_numpy(labels.weights.astype(np.float32))
    pos, neg = (torch.from_numpy(np.flatnonzero(labels.targets == c)) for c in (1, 0))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    half = max(1, config.batch_size // 2)
    ratio = min(1.0, float(weights[neg].sum() / weights[pos].sum()))
    y = torch.cat([torch.ones(half), torch.zeros(half)])
    scale = torch.cat([torch.ones(half), torch.full((half,), ratio)]) / (1.0 + ratio)
    loss = torch.zeros(())
    flush = torch.set_flush_denormal(True)  # tiny Adam moments are slow as denormals
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # dropout
        model.train()
        for _ in range(config.steps):
            batch = torch.cat([_draw(pos, weights, half, gen), _draw(neg, weights, half, gen)])
            x = feats.data[_patch_rows(feats, rows[batch], gen)]
            bce = F.binary_cross_entropy_with_logits(model(x), y, reduction="none")
            loss = 2 * (scale * bce).mean() + config.l2sp * model.l2sp()
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
        model.eval()
    if flush:
        torch.set_flush_denormal(False)
    return float(loss.detach())


@torch.no_grad()
def init_head(model: TasteModel, feats: Features, labels: LabelSet, scale: float = 4.0) -> None:
    """Point a fresh head at the recency-weighted centroid of the positives' penultimate
    features, z-scored over all labelled tracks: training starts from the similarity ranking."""
    model.eval()
    rows = feats.rows(labels.track_ids)
    pen = torch.stack([model.penultimate(feats.data[_all_patches(feats, r)]).mean(0) for r in rows])
    mean, std = pen.mean(0), pen.std(0) + 1e-6
    pos = torch.from_numpy(labels.targets == 1)
    weights = torch.from_numpy(labels.weights)[pos]
    centroid = (weights[:, None] * (pen[pos] - mean) / std).sum(0) / weights.sum()
    direction = centroid / (centroid.norm() + 1e-12)
    model.head.weight.copy_((scale * direction / std)[None, :] / math.sqrt(len(direction)))
    model.head.bias.fill_(float(-(model.head.weight[0] * mean).sum()))


def _all_patches(feats: Features, row: int) -> torch.Tensor:
    return torch.arange(int(feats.offsets[row]), int(feats.offsets[row] + feats.n_patches[row]))


def _draw(
    members: torch.Tensor, weights: torch.Tensor, n: int, gen: torch.Generator
) -> torch.Tensor:
    picks = torch.multinomial(weights[members], n, replacement=True, generator=gen)
    return members[picks]


def _patch_rows(feats: Features, rows: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    n = feats.n_patches[rows]
    return feats.offsets[rows] + (torch.rand(len(rows), generator=gen) * n).long()


# -- checkpoints ------------------------------------------------------------------------------


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_checkpoint(model: TasteModel, directory: Path, meta: dict[str, object]) -> Path:
    """Write ``model`` atomically (temp file, fsync, rename) to a new file in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save({"state_dict": model.state_dict(), "meta": meta}, buffer)
    payload = buffer.getvalue()
    path = directory / f"taste-{time.time_ns()}{CHECKPOINT_SUFFIX}"
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        out.write(_MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)
    _fsync_dir(directory)
    return path


def _payload(path: Path) -> bytes:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ModelError(
            f"cannot read taste checkpoint {path}: {exc.strerror}; `tastebud once` trains anew"
        ) from exc
    head, _, rest = raw.partition(b"\n")
    digest, _, payload = rest.partition(b"\n")
    if head + b"\n" != _MAGIC or hashlib.sha256(payload).hexdigest().encode() != digest:
        raise ModelError(
            f"taste checkpoint {path} is truncated or corrupt: delete it; the next training "
            "cycle (`tastebud once`) starts from the pretrained weights"
        )
    return payload


def load_checkpoint(path: Path | str) -> TasteModel:
    """The taste model stored at ``path``; :class:`ModelError` when it is not intact."""
    payload = _payload(Path(path))
    try:
        state = torch.load(io.BytesIO(payload), weights_only=True)
        model = TasteModel(
            in_features=state["state_dict"]["dense.weight"].shape[1],
            units=state["state_dict"]["dense.weight"].shape[0],
        )
        model.load_state_dict(state["state_dict"])
    except (RuntimeError, KeyError, ValueError) as exc:
        raise ModelError(f"taste checkpoint {path} does not hold a taste model: {exc}") from exc
    return model.eval()


def latest_checkpoint_ok(path: Path | str) -> bool:
    """Whether the checkpoint at ``path`` is complete and loads."""
    try:
        load_checkpoint(path)
    except ModelError:
        return False
    return True


def prune_checkpoints(directory: Path, keep: int, protect: set[Path]) -> list[Path]:
    """Delete all but the newest ``keep`` checkpoints (never those in ``protect``) and
    leftover temp files; returns what was deleted."""
    files = sorted(directory.glob(f"taste-*{CHECKPOINT_SUFFIX}"), key=lambda p: p.name)
    doomed = [p for p in files[: max(0, len(files) - keep)] if p.resolve() not in protect]
    doomed += list(directory.glob(f"taste-*{CHECKPOINT_SUFFIX}.tmp"))
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


# -- the cycle --------------------------------------------------------------------------------


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


MIN_VAL_POSITIVES = 5
"""Below this many held-out positives a champion/challenger comparison is noise."""


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


def _untrained(reason: str, n_labels: int, champion: ModelRecord | None) -> TrainResult:
    logger.info("taste model not trained: %s", reason)
    version = champion.version if champion else None
    return TrainResult(None, False, {}, reason, n_labels, champion=version)


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
    champion = store.champion()
    if reason := _too_few(labels, config):
        return _untrained(reason, len(labels), champion)
    feats = load_features(store, key, labels.track_ids)
    train, val = time_split(labels, config.holdout_fraction, config.seed)
    since = champion.hparams.get("label_time") if champion else None
    model, current = _start_model(champion, config)
    if current is None:
        init_head(model, feats, train)
    selection, n_new = incremental(
        train, float(since) if isinstance(since, int | float) else None, config.replay, config.seed
    )
    if selection.n_positive == 0 or selection.n_negative == 0:
        return _untrained(
            "untrained: the training split lacks positives or negatives", len(labels), champion
        )
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
    promote, reason = decide(metrics, old, config.promote_tolerance)
    path = save_checkpoint(model, checkpoint_dir, {"created_at": now})
    if not latest_checkpoint_ok(path):
        promote, reason = False, f"checkpoint {path} did not read back intact"
    version = store.add_model(
        parent=champion.version if champion else None,
        hparams=_hparams(config, now, n_new),
        n_train=len(selection),
        n_val=len(val),
        metrics=metrics,
        checkpoint=str(path),
    )
    if promote:
        store.promote(version)
    best = store.champion()
    protect = {Path(best.checkpoint).resolve()} if best else set()
    prune_checkpoints(checkpoint_dir, config.keep_checkpoints, protect)
    seconds = time.perf_counter() - started
    logger.info("taste model v%d %s: %s", version, "promoted" if promote else "kept aside", reason)
    return TrainResult(
        version, promote, metrics, reason, len(labels), best.version if best else None, seconds
    )
