"""How typical of the whole library a track sounds: the ranking head's correction for hubs.

In a space of audio features some tracks are near almost everything ("hubs": Schnitzer,
Flexer, Schedl, Widmer, "Local and global scaling reduce hubs in space", JMLR 2012, on
music similarity). Whatever the listener played, a hub sounds like part of it, so every
similarity to the history ranks hubs high, for listeners who never took to them too.
A track's typicality is the log of its mean kernel ``exp((cos - 1) / tau)`` to a
sample of the library (:data:`REFERENCE` tracks drawn from everything with features,
heard or not, each track's own entry left out): the head's start weighs it
negatively (:data:`~classifier.taste.model.HEAD_START`), so of two tracks as close to
the recent listens, the one close to everything else as well ranks lower.

The sample's profiles are kept in the model (drawn when it is trained), so training,
the judge and rescoring measure every track against the same library.
"""

from __future__ import annotations

import numpy as np
import torch

from classifier.taste.kernel import TAU, dot, unit_vectors

__all__ = ["REFERENCE", "draw_reference", "typicality"]

REFERENCE = 256
"""Library tracks a model keeps as its reference: the mean of a kernel in [0, 1] over 256
draws is within about 0.03 of the library's (their spread is at most 0.5)."""
_EPS = 1e-6


def draw_reference(track_ids: np.ndarray, seed: int, size: int = REFERENCE) -> np.ndarray:
    """A seeded sample of up to ``size`` of ``track_ids`` (sorted)."""
    ids = np.unique(np.asarray(track_ids, np.int64))
    if len(ids) <= size:
        return ids
    return np.sort(np.random.default_rng(seed).choice(ids, size, replace=False))


def typicality(
    units: np.ndarray,
    ids: np.ndarray,
    reference: np.ndarray,
    reference_ids: np.ndarray,
    space: tuple[np.ndarray, np.ndarray, tuple[int, ...]],
) -> np.ndarray:
    """(N,) log mean kernel of the tracks ``ids`` with unit profiles ``units`` to the
    ``reference`` profiles (R, W) of ``reference_ids``, measured in ``space`` (mean, std,
    parts, as :func:`~classifier.taste.kernel.unit_vectors` takes them); a track in the
    reference leaves itself out. Zeros without a reference."""
    if len(reference) == 0 or len(units) == 0:
        return np.zeros(len(units), np.float32)
    ref_units = unit_vectors(reference, *space)
    kernel = torch.from_numpy(dot(units, ref_units)).sub_(1.0).div_(TAU).exp_().double()
    same = torch.from_numpy(np.asarray(ids, np.int64)[:, None] == reference_ids[None, :])
    kernel.masked_fill_(same, 0.0)
    count = len(reference_ids) - same.sum(1)
    mean = kernel.sum(1) / count.clamp(min=1)
    return torch.log(mean + _EPS).float().numpy()
