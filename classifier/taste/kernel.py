"""Similarity to what was heard, at several time scales: the inputs of the taste model's head.

A track's similarity to the listener's history is a recency-weighted mean of a
Gaussian-like kernel ``exp((cos - 1) / tau)`` over the cosines between its
profile and those of the tracks in the history (below). One such mean
per half-life in :data:`HALF_LIVES` (days to weeks to "all of it"), and one over
the skipped and disliked tracks, so the head can learn, per listener, which time
scale predicts what they take up next (a switch of taste favours the short
ones, a steady taste the long ones). The mean of the 7-day scale alone is the
plain similarity ranking (:data:`SIMILARITY`).

Tracks are compared by their profiles (:func:`classifier.taste.features.profile`):
the mean of their patches' features and the spread of them over the track, each
half z-scored and scaled to length ``1 / sqrt(2)`` (:func:`unit_vectors`), so the
cosine of two profiles is the mean of the cosines of their means and of their
spreads: two tracks alike on average but one steady and one restless are told
apart.

Weights: each event weighs ``0.5 ** (age / half_life)``; a track's weight is the
sum over its events, capped at :data:`PLAY_CAP` (heavy rotation counts, but one
track played hundreds of times must not be the whole history). Ages count
from the newest event before the query, so a listener back from a pause picks up
where they left off instead of every weight fading to nothing. Events at
or after the time of the query are ignored, and a query's own track can be left
out, so past moments can be replayed as training examples and held-out tracks
are judged without seeing themselves.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch

__all__ = [
    "ALL_TIME",
    "HALF_LIVES",
    "LONG",
    "NEAREST",
    "N_KERNEL",
    "PLAY_CAP",
    "SIMILARITY",
    "TAU",
    "Basis",
    "History",
    "Weights",
    "dot",
    "history_weights",
    "kernel_features",
    "left_out",
    "space_of",
    "track_weights",
    "unit_vectors",
]

HALF_LIVES = (2.0, 7.0, 30.0, 120.0, float("inf"))
"""Half-lives in days of the positive kernels; ``inf``: every listen alike."""
NEGATIVE_HALF_LIFE = 30.0
"""Half-life of the kernel over skipped and disliked tracks."""
NEIGHBOURS = 5
NEIGHBOUR_HALF_LIFE = 30.0
"""The nearest-neighbour feature: mean of the 5 best cosines, each scaled by the decay
(30-day half-life) of that track's newest listen."""
N_KERNEL = len(HALF_LIVES) + 2
"""Similarity features per track: one kernel per half-life, the nearest neighbours, then
the kernel over skips and dislikes."""
NEAREST = len(HALF_LIVES)
"""The nearest-neighbour feature's column."""
ALL_TIME = HALF_LIVES.index(float("inf"))
"""The column of the kernel over every listen alike."""
LONG = HALF_LIVES.index(120.0)
"""The column of the 120-day kernel."""
SIMILARITY = HALF_LIVES.index(7.0)
"""The feature that alone is the similarity ranking."""
TAU = 0.2
"""Kernel width on the cosine."""
PLAY_CAP = 50.0
"""A track's summed event weight in the kernels, at most: 50 listens. The long scales
must keep where the listening went: capped at 5 (the body's label cap), every track
heard for months weighed alike, and the all-time contrast lost what it contrasts
(drift bench, tuning seeds 5-9: corpus A's head start 0.812 / 0.756 P@20 / ROC-AUC on
the last day with a cap of 5, 0.832 / 0.785 with 50; B and C moved by -0.002 to
+0.012)."""
PASS_ROWS = 128
"""Rows of the cosines each pass of rescoring reads at a time: 128 x 2,000 float32 (1 MB)
stay in the core's cache; with the whole chunk's matrix the passes took 25-40 ms per
1,024 tracks beside the other core's matmul, in blocks about 5."""
STILL = 1e-3
"""A profile feature whose std across the library is below this is left out: musicnn
has many units that never fire (about 1,085 of its 1,506 pooled features on the
corpora measured), and their float16 rounding would be noise."""
_DAY = 86400.0
_EPS = 1e-6
_HALF_SCALE = 0.5**0.5


@dataclass(frozen=True)
class History:
    """Taste events, one entry each: a listen or like (positive) or a skip or dislike."""

    track_ids: np.ndarray  # int64
    times: np.ndarray  # float64, seconds
    positive: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.track_ids)


@dataclass(frozen=True)
class Basis:
    """Unit vectors (U, D) float32 of the history's distinct tracks, in the model's space."""

    track_ids: np.ndarray
    units: np.ndarray

    def column(self, track_ids: np.ndarray) -> np.ndarray:
        """Index into the basis of each of ``track_ids`` (-1 where absent)."""
        pos = np.searchsorted(self.track_ids, track_ids)
        pos = np.minimum(pos, max(len(self.track_ids) - 1, 0))
        hit = len(self.track_ids) > 0
        found = (self.track_ids[pos] == track_ids) if hit else np.zeros(len(track_ids), bool)
        return np.where(found, pos, -1)


def space_of(library: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) (2D,) float32 that z-score profiles in the space of ``library`` (N, 2D);
    a feature varying less than :data:`STILL` across it has an infinite std (it reads 0)."""
    rows = np.asarray(library)
    if not len(rows):
        return np.zeros(rows.shape[1], np.float32), np.full(rows.shape[1], np.inf, np.float32)
    mean = rows.mean(axis=0, dtype=np.float64)  # float64 sums, no float64 copy of the rows
    centred = rows - mean.astype(rows.dtype)
    std = np.sqrt(np.square(centred).mean(axis=0, dtype=np.float64))
    return mean.astype(np.float32), np.where(std < STILL, np.inf, std).astype(np.float32)


def unit_vectors(
    profiles: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray,
    parts: tuple[int, ...] | None = None,
) -> np.ndarray:
    """``profiles`` (N, 2D) z-scored with ``mean`` and ``std``, in the features that vary
    in either half (``(N, 2K)``, ``K <= D``), each half (the means, the spreads) scaled
    to length ``1 / sqrt(2)``: unit vectors whose dot product is the mean of the halves'
    cosines.

    Profiles of several ``parts`` (their widths ``D1, D2, ...``: means and spreads of the
    first, then of the second...) are treated part by part, each scaled by
    ``1 / sqrt(len(parts))``: the dot product is the mean of the parts' cosines."""
    rows = np.asarray(profiles, np.float32).reshape(-1, len(std))  # (0, 0): none at all
    if parts is None or len(parts) == 1:
        return _part_units(rows, np.asarray(mean, np.float32), np.asarray(std, np.float32))
    edges = np.cumsum([0, *(2 * w for w in parts)])
    units = [
        _part_units(rows[:, a:b], np.asarray(mean[a:b], np.float32), np.asarray(std[a:b]))
        for a, b in itertools.pairwise(edges)
    ]
    return np.concatenate(units, axis=1) * np.float32(len(parts) ** -0.5)


def _part_units(rows: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """:func:`unit_vectors` of one part's (N, 2D) profiles."""
    columns = _varying(np.asarray(std))
    z = torch.from_numpy(rows.take(columns, axis=1))  # C order: ``rows[:, columns]`` is F
    z.sub_(torch.from_numpy(mean[columns]))
    z.div_(torch.from_numpy(np.asarray(std, np.float32)[columns]))
    for half in _halves(z):
        half.div_(torch.linalg.vector_norm(half, dim=1, keepdim=True).clamp_min_(1e-12))
    return z.mul_(_HALF_SCALE).numpy()


def _varying(std: np.ndarray) -> np.ndarray:
    """Columns of the features that vary in the mean or the spread half, in both halves."""
    half = len(std) // 2
    kept = np.flatnonzero(np.isfinite(std[:half]) | np.isfinite(std[half:]))
    return np.concatenate([kept, kept + half])


def _halves(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Views of the mean and spread halves of profiles ``z`` (N, 2D)."""
    half = z.shape[1] // 2
    return z[:, :half], z[:, half:]


def track_weights(
    history: History,
    basis: Basis,
    at: np.ndarray,
    half_life: float,
    positive: bool,
    cap: float,
    newest_only: bool = False,
) -> np.ndarray:
    """(Q, U) capped per-track weights (sums over events, or with ``newest_only`` the
    weight of the newest event), as seen at each of the times ``at``."""
    chosen = history.positive == positive
    cols = basis.column(history.track_ids[chosen])
    age = (at[:, None] - history.times[chosen][None, :]) / _DAY  # (Q, E)
    seen = age > 0
    newest = np.where(seen, age, np.inf).min(axis=1, keepdims=True, initial=np.inf)
    age = age - np.where(np.isfinite(newest), newest, 0.0)  # from the newest event seen
    decayed = np.where(seen, 0.5 ** (np.maximum(age, 0) / half_life), 0.0)
    if not np.isfinite(half_life):
        decayed = seen.astype(np.float64)
    weights = np.zeros((len(at), len(basis.track_ids)))
    keep = cols >= 0
    (np.maximum if newest_only else np.add).at(weights.T, cols[keep], decayed[:, keep].T)
    return np.minimum(weights, cap)


@dataclass(frozen=True)
class Weights:
    """The basis tracks' weights (Q, U) as seen at Q times: one array per kernel (the
    positive :data:`HALF_LIVES`, then the negative one), and the nearest neighbours'."""

    means: list[np.ndarray]
    newest: np.ndarray

    def positive(self, half_life: float) -> np.ndarray:
        """The weights of the positive kernel of ``half_life`` (one of :data:`HALF_LIVES`)."""
        return self.means[HALF_LIVES.index(half_life)]


def history_weights(history: History, basis: Basis, at: np.ndarray, cap: float) -> Weights:
    """What :func:`kernel_features` weighs the basis by at the times ``at``."""
    at = np.atleast_1d(np.asarray(at, np.float64))
    means = [track_weights(history, basis, at, h, True, cap) for h in HALF_LIVES]
    means.append(track_weights(history, basis, at, NEGATIVE_HALF_LIFE, False, cap))
    newest = track_weights(history, basis, at, NEIGHBOUR_HALF_LIFE, True, cap, True)
    return Weights(means, newest)


def kernel_features(
    units: np.ndarray,
    history: History,
    basis: Basis,
    at: np.ndarray,
    *,
    cap: float,
    own: np.ndarray | None = None,
    weights: Weights | None = None,
) -> np.ndarray:
    """(N, :data:`N_KERNEL`) similarity features of the tracks with unit profiles ``units``
    (N, 2K) (:func:`unit_vectors`).

    ``at`` holds one time (then shared by all) or one per track; ``own`` the
    tracks' ids, to leave each one's own events out; ``weights``, those
    :func:`history_weights` gave for ``at``, when the caller has them.
    """
    at = np.atleast_1d(np.asarray(at, np.float64))
    weights = history_weights(history, basis, at, cap) if weights is None else weights
    means, newest = list(weights.means), weights.newest
    if own is None and len(at) == 1:
        return _shared(units, basis.units, means, newest)
    cosines = dot(units, basis.units)  # (N, U)
    kernel = np.exp((cosines - 1.0) / TAU)
    if own is not None:
        cols = basis.column(np.asarray(own))
        rows = np.flatnonzero(cols >= 0)
        left = [left_out(w, len(units), rows, cols[rows]) for w in [*means, newest]]
        means, newest = left[:-1], left[-1]
    columns = [
        _log_mean((kernel * w).sum(1) if len(w) > 1 else kernel @ w[0], w.sum(1)) for w in means
    ]
    columns.insert(NEAREST, _neighbours(cosines, newest))
    return np.stack(columns, axis=1).astype(np.float32)


def left_out(weights: np.ndarray, n: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(n, U) ``weights`` with each row's own track (``rows``, ``cols``) weighing 0."""
    out = np.broadcast_to(weights, (n, weights.shape[1])).copy()
    out[rows, cols] = 0.0
    return out


def _shared(
    units: np.ndarray, basis: np.ndarray, means: list[np.ndarray], newest: np.ndarray
) -> np.ndarray:
    """:func:`kernel_features` where every track is seen at one time (rescoring): torch's
    float32 kernels over the (N, U) cosines, each weighted mean one column of a matmul.

    The cosines come from one matmul; the passes over them (the kernel, its weighted
    means, the scaled nearest neighbours) then run :data:`PASS_ROWS` rows at a time, so
    each reads rows still in the core's cache instead of a matrix of megabytes."""
    cosines = torch.from_numpy(dot(units, basis))
    weights = torch.from_numpy(_float32(np.stack([w[0] for w in means], axis=1)))
    scale = torch.from_numpy(_float32(newest[0]))
    num, nearest = torch.empty(len(cosines), weights.shape[1]), torch.zeros(len(cosines))
    kernel = torch.empty(min(PASS_ROWS, len(cosines)), cosines.shape[1])
    k = min(NEIGHBOURS, cosines.shape[1])
    for start in range(0, len(cosines), PASS_ROWS):
        rows = cosines[start : start + PASS_ROWS]
        here = kernel[: len(rows)]
        torch.mul(rows, 1.0 / TAU, out=here).sub_(1.0 / TAU).exp_()  # exp((cos - 1) / tau)
        torch.mm(here, weights, out=num[start : start + PASS_ROWS])
        if k:
            nearest[start : start + PASS_ROWS] = rows.mul_(scale).topk(k, dim=1).values.mean(1)
    den = weights.double().sum(0, keepdim=True).numpy()
    logs = torch.from_numpy(_log_mean(num.double().numpy(), den))
    columns = [logs[:, :NEAREST], nearest[:, None].double(), logs[:, NEAREST:]]
    return torch.cat(columns, dim=1).float().numpy()


def _float32(weights: np.ndarray) -> np.ndarray:
    """``weights`` in float32, those too small for a normal float32 (a 2-day half-life
    a year back) set to 0: subnormal operands slow a matmul over them tenfold."""
    small = np.abs(weights) < np.finfo(np.float32).tiny
    return np.where(small, 0.0, weights).astype(np.float32)


def _log_mean(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    mean = np.where(den > 0, num / np.maximum(den, 1e-300), 0.0)
    return np.asarray(np.log(mean + _EPS))


def _neighbours(cosines: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Mean of the :data:`NEIGHBOURS` best weight-scaled cosines per row (the newest event
    seen weighs 1)."""
    scaled = cosines * weights
    k = min(NEIGHBOURS, scaled.shape[1])
    if k == 0:
        return np.zeros(len(cosines))
    best = np.partition(scaled, scaled.shape[1] - k, axis=1)[:, -k:]
    return np.asarray(best.mean(axis=1))


def dot(units: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """``units @ basis.T`` by torch: numpy's BLAS threads would spin beside torch's."""
    a = torch.from_numpy(np.ascontiguousarray(units, np.float32))
    b = torch.from_numpy(np.ascontiguousarray(basis, np.float32))
    return (a @ b.T).numpy()
