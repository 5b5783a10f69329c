"""Fitting the taste model on packed features and a weighted label set.

Each step draws a balanced batch of tracks, one random patch per track
(augmentation), deterministically for a seed; the loss is binary cross-entropy
plus the L2-SP pull toward the pretrained back end (:mod:`classifier.taste.model`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

from classifier.config import ModelConfig
from classifier.taste.features import Features
from classifier.taste.labelset import LabelSet
from classifier.taste.model import TasteModel

__all__ = ["fit", "init_head"]


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
    half = max(1, config.batch_size // 2)
    batches = _Batches(feats, labels, half, torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    loss = torch.zeros(())
    flush = torch.set_flush_denormal(True)  # tiny Adam moments are slow as denormals
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # dropout
        model.train()
        for _ in range(config.steps):
            loss = _step(model, optimizer, batches, config.l2sp)
        model.eval()
    if flush:
        torch.set_flush_denormal(False)
    return float(loss.detach())


class _Batches:
    """Balanced batches: ``half`` weighted draws of positives, then of negatives, one random
    patch each, with the targets and the per-example loss scale that go with them."""

    def __init__(self, feats: Features, labels: LabelSet, half: int, gen: torch.Generator) -> None:
        self.feats, self.half, self.gen = feats, half, gen
        self.rows = torch.from_numpy(feats.rows(labels.track_ids))
        self.weights = torch.from_numpy(labels.weights.astype(np.float64))
        self.pos, self.neg = (torch.from_numpy(np.flatnonzero(labels.targets == c)) for c in (1, 0))
        positive = float(self.weights[self.pos].sum())
        ratio = min(1.0, float(self.weights[self.neg].sum()) / positive) if positive > 0 else 1.0
        self.y = torch.cat([torch.ones(half), torch.zeros(half)])
        self.scale = torch.cat([torch.ones(half), torch.full((half,), ratio)]) / (1.0 + ratio)

    def draw(self) -> torch.Tensor:
        """The next batch's patch features ``(2 * half, D)``."""
        picks = [_draw(m, self.weights, self.half, self.gen) for m in (self.pos, self.neg)]
        return self.feats.data[_patch_rows(self.feats, self.rows[torch.cat(picks)], self.gen)]


def _step(
    model: TasteModel, optimizer: torch.optim.Optimizer, batches: _Batches, l2sp: float
) -> torch.Tensor:
    x = batches.draw()
    bce = F.binary_cross_entropy_with_logits(model(x), batches.y, reduction="none")
    loss = 2 * (batches.scale * bce).mean() + l2sp * model.l2sp()
    optimizer.zero_grad()
    loss.backward()  # type: ignore[no-untyped-call]
    optimizer.step()
    return loss


@torch.no_grad()
def init_head(model: TasteModel, feats: Features, labels: LabelSet, scale: float = 4.0) -> None:
    """Point a fresh head at the recency-weighted centroid of the positives' penultimate
    features, z-scored over all labelled tracks: training starts from the similarity ranking."""
    model.eval()
    rows = feats.rows(labels.track_ids)
    pen = torch.stack([model.penultimate(feats.data[feats.patches_of(r)]).mean(0) for r in rows])
    mean, std = pen.mean(0), pen.std(0) + 1e-6
    pos = torch.from_numpy(labels.targets == 1)
    weights = _relative(torch.from_numpy(labels.weights.astype(np.float64))[pos]).float()
    centroid = (weights[:, None] * (pen[pos] - mean) / std).sum(0) / weights.sum()
    direction = centroid / (centroid.norm() + 1e-12)
    model.head.weight.copy_((scale * direction / std)[None, :] / math.sqrt(len(direction)))
    model.head.bias.fill_(float(-(model.head.weight[0] * mean).sum()))


def _relative(weights: torch.Tensor) -> torch.Tensor:
    """``weights`` over their largest, so that listens years old (weights far below float32's
    range) still draw as they should; all equal when every weight is zero."""
    top = float(weights.max()) if len(weights) else 0.0
    return weights / top if top > 0 else torch.ones_like(weights)


def _draw(
    members: torch.Tensor, weights: torch.Tensor, n: int, gen: torch.Generator
) -> torch.Tensor:
    picks = torch.multinomial(_relative(weights[members]), n, replacement=True, generator=gen)
    return members[picks]


def _patch_rows(feats: Features, rows: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    n = feats.n_patches[rows]
    return feats.offsets[rows] + (torch.rand(len(rows), generator=gen) * n).long()
