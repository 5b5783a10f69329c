"""Smoothing: a candidate's score drawn partly from its nearest candidates' scores.

Each score, standardised over the field it is ranked among, becomes ``1 - share``
of itself plus ``share`` of the kernel-weighted mean of its :data:`NEIGHBOURS`
nearest tracks' in that field (one step of label propagation over the field's
nearest-neighbour graph). A candidate among well-ranked neighbours rises: a new
track of a liked style that sits a little apart from every listen, but close to
other tracks of that style, is found through them. ``share`` was chosen on
bench/drift's tuning seeds (bench/RESULTS.md, "variants tried").
"""

from __future__ import annotations

import numpy as np

from classifier.taste.kernel import TAU

__all__ = ["NEIGHBOURS", "TOP", "smooth", "smooth_onto"]

NEIGHBOURS = 5
TOP = 2000
"""The queue's best this many candidates are ranked again with their neighbours' scores
(among themselves); the rest keep their order below them."""
_BLOCK = 1024


def smooth(scores: np.ndarray, units: np.ndarray, share: float) -> np.ndarray:
    """``scores`` of the field's tracks (unit profiles ``units``) smoothed among themselves,
    each track's own left out of its neighbours; the scores as they are with ``share`` 0
    or a field of no more than :data:`NEIGHBOURS` tracks (:func:`smooth_onto`'s guard)."""
    return smooth_onto(scores, units, scores, units, share, own=True)


def smooth_onto(
    scores: np.ndarray,
    units: np.ndarray,
    field_scores: np.ndarray,
    field_units: np.ndarray,
    share: float,
    *,
    own: bool = False,
) -> np.ndarray:
    """``scores`` of tracks outside the field (unit profiles ``units``) smoothed with their
    nearest tracks in it; with ``own``, the tracks are the field's, each its own
    neighbour left out. Scores are standardised over the field first."""
    field = np.asarray(field_scores, np.float64)
    if share <= 0 or len(field) <= NEIGHBOURS:
        return np.asarray(scores, np.float64)
    mean, std = field.mean(), max(float(field.std()), 1e-12)
    z, field_z = (np.asarray(scores, np.float64) - mean) / std, (field - mean) / std
    near, others = np.empty(len(z)), field_units.astype(np.float32).T
    for i in range(0, len(z), _BLOCK):
        cosines = units[i : i + _BLOCK].astype(np.float32) @ others
        if own:
            rows = np.arange(len(cosines))
            cosines[rows, rows + i] = -np.inf
        near[i : i + _BLOCK] = _neighbour_mean(cosines, field_z)
    return np.asarray((1.0 - share) * z + share * near)


def _neighbour_mean(cosines: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per row, the kernel-weighted mean of ``values`` at the row's nearest columns."""
    nearest = np.argpartition(-cosines, NEIGHBOURS - 1, axis=1)[:, :NEIGHBOURS]
    weights = np.exp((np.take_along_axis(cosines, nearest, axis=1).astype(np.float64) - 1) / TAU)
    return np.asarray((weights * values[nearest]).sum(1) / weights.sum(1))
