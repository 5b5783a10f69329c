"""What was heard against the rest of the library: the ranking head's signal for a steady taste.

The similarity features (:mod:`classifier.taste.kernel`) measure how close a
track is to the listens; they do not ask what sets the listens apart from
everything else the library holds. A listener who keeps to three styles of four
is told apart best by that: a track of the fourth style can sit close to all
three (music that sounds a little like everything), and the kernel means then
rank it high, while a classifier of the heard tracks against the candidates learns
that nothing heard is like it. So each cycle fits one: kernel ridge regression
(the kernel ``exp((cos - 1) / tau)`` of the similarity features) of 1 for every
heard track, weighed by its plays (capped as the kernels cap them), against 0 for
the candidates, the unlabelled tracks being the negatives of positive-unlabelled
learning. A track's score is its regression value.

It is fit on the whole history, so it follows a steady taste and lags one that
moved: the head's start weighs it by how little the listening moved
(:data:`~classifier.taste.model.STEADY_TERMS`), the reverse of the long kernels'
contrast. On the drift bench's tuning seeds (fixed rankings, bench/RESULTS.md)
it lifted the steady listeners' P@20 on every corpus.

Cross-fitted: tracks fall into :data:`FOLDS` folds by id, and each fold's tracks
are scored by the regression fit without them, so a heard track replayed in
training, a held-out one or a candidate the regression learned from is scored by
a model that never saw it. The model keeps the tracks it was fit on (at most
:data:`SAMPLE` of each class, as unit profiles in its space) and one set of
coefficients per fold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from classifier.taste.kernel import TAU, dot

__all__ = ["FOLDS", "RIDGE", "SAMPLE", "HeardFit", "fit_heard", "heard_scores"]

FOLDS = 5
RIDGE = 1.0
"""The ridge on the dual coefficients; the kernel is 1 on a track's own pair."""
SAMPLE = 256
"""Tracks of each class the regression is fit on, at most: the most played heard tracks
and a seeded sample of the candidates (a kernel row per track is what scoring costs)."""
MIN_CLASS = 2 * FOLDS
"""Tracks of each class needed to fit: every fold's regression sees both classes."""


@dataclass(frozen=True)
class HeardFit:
    """The fitted regression: its tracks' ids (R,), unit profiles (R, W) and the dual
    coefficients of each fold (FOLDS, R), 0 on the fold's own tracks."""

    ids: np.ndarray
    units: np.ndarray
    coef: np.ndarray

    @classmethod
    def none(cls) -> HeardFit:
        """No regression: every score reads 0."""
        return cls(np.zeros(0, np.int64), np.zeros((0, 0), np.float32), np.zeros((FOLDS, 0)))


def fit_heard(
    heard: tuple[np.ndarray, np.ndarray, np.ndarray],
    candidates: tuple[np.ndarray, np.ndarray],
    seed: int,
) -> HeardFit:
    """The regression of the ``heard`` tracks (ids, unit profiles, plays) against the
    ``candidates`` (ids, unit profiles); :meth:`HeardFit.none` with too few of either."""
    pos_ids, pos_units, plays = heard
    neg_ids, neg_units = candidates
    keep = np.flatnonzero(plays > 0)
    if len(keep) < MIN_CLASS or len(neg_ids) < MIN_CLASS:
        return HeardFit.none()
    pos = keep[np.argsort(-plays[keep], kind="stable")[:SAMPLE]]
    neg = np.arange(len(neg_ids))
    if len(neg) > SAMPLE:
        neg = np.random.default_rng(seed).choice(neg, SAMPLE, replace=False)
    ids = np.concatenate([pos_ids[pos], neg_ids[neg]]).astype(np.int64)
    units = np.concatenate([pos_units[pos], neg_units[neg]]).astype(np.float32)
    target = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    weight = np.concatenate([plays[pos] / plays[pos].mean(), np.ones(len(neg))])
    kernel = _kernel(units, units)
    coef = np.stack([_fold(kernel, target, weight, ids % FOLDS != f) for f in range(FOLDS)])
    return HeardFit(ids, units, coef)


def _fold(kernel: np.ndarray, target: np.ndarray, weight: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Dual coefficients (R,) of the weighted ridge fit on the tracks ``on``, 0 elsewhere:
    ``(diag(w) K + ridge I) a = w (y - mean_w y)``."""
    coef = np.zeros(len(target))
    if target[on].min() == target[on].max():
        return coef
    w, y = weight[on], target[on]
    system = w[:, None] * kernel[np.ix_(on, on)] + RIDGE * np.eye(int(on.sum()))
    coef[on] = np.linalg.solve(system, w * (y - np.average(y, weights=w)))
    return coef


def heard_scores(units: np.ndarray, ids: np.ndarray, fit: HeardFit) -> np.ndarray:
    """(N,) the regression's value at the tracks ``ids`` with unit profiles ``units``,
    each by the coefficients of its fold; zeros without a regression."""
    if len(fit.ids) == 0 or len(units) == 0:
        return np.zeros(len(units), np.float32)
    kernel = _kernel(units, fit.units)
    folds = np.asarray(ids, np.int64) % FOLDS
    out = np.zeros(len(units), np.float32)
    for f in range(FOLDS):
        rows = folds == f
        out[rows] = kernel[rows] @ fit.coef[f]
    return out


def _kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``exp((cos - 1) / tau)`` between unit profiles (N, W) and (R, W), float64."""
    cosines = torch.from_numpy(dot(a, b)).double()
    return cosines.sub_(1.0).div_(TAU).exp_().numpy()
