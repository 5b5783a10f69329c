"""How far the listener's taste has moved, and so how much of the head's contrast to use.

The head's start takes off part of the 120-day and all-time kernels
(:data:`~classifier.taste.model.HEAD_START`): what sounds like what was played long
ago and not lately is what the listener moved away from. That lifts a listener
whose taste moved, and costs a steady one: when the last days are a sample of
the same sounds as ever, the contrast only favours whichever of them the week
happened to hold. So the contrast is scaled by :func:`contrast` of the
:func:`overlap` of the recent listening with the whole of it: the cosine of their
kernel mean embeddings, each track's pairs with itself left out,

    overlap = E(a, b) / sqrt(E(a, a) * E(b, b))
    E(x, y) = sum_{i != j} x_i y_j K_ij / sum_{i != j} x_i y_j

with ``K`` the kernel ``exp((cos - 1) / tau)`` among the history's tracks and
``a``, ``b`` their 7-day and all-time weights (plays capped), as the kernels weigh
them. About 1 when the recent listens are drawn from the history's sounds as the
history itself is; below as they leave them. With a track's pairs with itself
left out, a listener who hears new tracks every week reads like one who replays
old ones, and a tight style reads like a loose one. On the drift bench's listeners
(tuning seeds 5-9, the last 60 days) the steady ones read 0.93-1.08 (medians 1.00),
the switching, sliding and noisy ones medians of 0.72-0.90 and as low as 0.56.
"""

from __future__ import annotations

import numpy as np

from classifier.taste.kernel import TAU, Basis, History, dot, track_weights

__all__ = ["MOVED", "RECENT_HALF_LIFE", "STEADY", "contrast", "overlap"]

RECENT_HALF_LIFE = 7.0
"""Half-life in days of the recent listening compared with the whole history."""
STEADY = 1.0
"""An overlap this high: taste has not moved, no contrast."""
MOVED = 0.95
"""An overlap this low or lower: taste has moved, the whole contrast. Chosen on the drift
bench's tuning seeds 5-9 (bench/RESULTS.md, "variants tried"): with 0.9, the head's
start was a little slower to follow the listeners who drifted."""


def overlap(history: History, basis: Basis, at: float, cap: float) -> float:
    """The overlap of the listening shortly before ``at`` with the whole history's (1:
    alike), over the ``basis`` tracks with plays capped at ``cap``; 1 with fewer than two
    tracks heard."""
    when = np.array([float(at)])
    recent = track_weights(history, basis, when, RECENT_HALF_LIFE, True, cap)[0]
    every = track_weights(history, basis, when, float("inf"), True, cap)[0]
    heard = np.flatnonzero(every > 0)
    if len(heard) < 2:
        return 1.0
    units = basis.units[heard]
    kernel = np.exp((dot(units, units).astype(np.float64) - 1.0) / TAU)
    np.fill_diagonal(kernel, 0.0)  # a track's pairs with itself
    a, b = recent[heard], every[heard]
    aa, bb = _mean(a, a, kernel), _mean(b, b, kernel)
    if aa <= 0.0 or bb <= 0.0:
        return 1.0
    return _mean(a, b, kernel) / float(np.sqrt(aa * bb))


def _mean(x: np.ndarray, y: np.ndarray, kernel: np.ndarray) -> float:
    """The kernel's mean over pairs of distinct tracks weighed ``x`` and ``y``."""
    pairs = x.sum() * y.sum() - x @ y
    return float(x @ kernel @ y / pairs) if pairs > 0.0 else 0.0


def contrast(moved: float) -> float:
    """The share of the head's contrast for an :func:`overlap` of ``moved``: 0 at
    :data:`STEADY` and above, 1 at :data:`MOVED` and below, linear between."""
    return float(np.clip((STEADY - moved) / (STEADY - MOVED), 0.0, 1.0))
