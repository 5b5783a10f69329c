"""The ranking head: its inputs, and fitting it to put what was heard next above the rest.

Training examples replay the recent past: for each listen in the last
``window_days`` (not of a held-out track), the head sees that track's inputs as
they were just before the listen (its own events left out) and those of a few
candidates at the same moment, and a pairwise logistic loss asks it to rank the
listened track above them (unlabelled candidates are never told they are wrong
as such, only that the listened track came first).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn import functional as F

from classifier.taste.artists import Artists, artist_share
from classifier.taste.features import Adapter
from classifier.taste.heard import HeardFit, fit_heard, heard_scores
from classifier.taste.kernel import (
    SIMILARITY,
    Basis,
    History,
    history_weights,
    kernel_features,
    space_of,
    track_weights,
    unit_vectors,
)
from classifier.taste.model import ARTIST, N_MIX, TasteModel, head_start

__all__ = [
    "Moments",
    "Scene",
    "fit_mix",
    "model_inputs",
    "set_heard_regression",
    "set_space",
    "similarity_scores",
    "units_in",
]

_DAY = 86400.0
_QUERY_BLOCK = 256
MIN_SPREAD = np.full(N_MIX, 1e-3, np.float32)
"""The head's inputs are standardised by their spread over the candidates, at least this:
the artist signal's at least a twentieth of the recent listening, so that where no
candidate shares an artist with it, a later one that does is not scaled a thousandfold."""
MIN_SPREAD[ARTIST] = 0.05


@dataclass(frozen=True)
class Scene:
    """The listener's history and the profiles of its distinct tracks: of their features,
    and (``adapted``) of the adapter's view of them, for a model that has one; and the
    artist of every track whose artist is known."""

    history: History
    basis_ids: np.ndarray  # sorted int64
    basis_vectors: np.ndarray  # (U, 2D) profiles of the features
    cap: float
    adapted: np.ndarray | None = None  # (U, 2A) profiles of the adapter's view
    adapter: Adapter | None = None
    artists: Artists = field(default_factory=Artists.none)

    def basis(self, model: TasteModel) -> Basis:
        """The basis in ``model``'s feature space (the scene must be of its adapter)."""
        return Basis(self.basis_ids, units_in(model, self.vectors(model)))

    def vectors(self, model: TasteModel) -> np.ndarray:
        """The basis tracks' profiles as ``model`` measures them."""
        mine = model.adapter()
        if mine is None:
            return self.basis_vectors
        if self.adapted is None or self.adapter is None or not mine.same(self.adapter):
            raise ValueError("the scene's profiles were not made with the model's adapter")
        return np.concatenate([self.basis_vectors, self.adapted], axis=1)


def _space(model: TasteModel) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """The mean, std and parts of the profiles ``model`` measures similarity on."""
    mean, std = model.get_buffer("space_mean").numpy(), model.get_buffer("space_std").numpy()
    return mean, std, model.parts()


def units_in(model: TasteModel, vectors: np.ndarray) -> np.ndarray:
    """Profiles ``vectors`` as unit vectors in the space ``model`` measures similarity in."""
    return unit_vectors(vectors, *_space(model))


def set_space(model: TasteModel, library: np.ndarray) -> None:
    """Measure similarity in the space of the profiles ``library`` (N, 2D, or 2D + 2A with
    the model's adapter) z-scored: keep their mean and std
    (:func:`~classifier.taste.kernel.space_of`). A heard regression fit in the space
    before is dropped."""
    mean, std = space_of(library)
    model.space_mean, model.space_std = torch.from_numpy(mean), torch.from_numpy(std)
    model.set_heard(HeardFit.none())


def set_heard_regression(
    model: TasteModel,
    scene: Scene,
    basis: Basis,
    candidates: tuple[np.ndarray, np.ndarray],
    at: float,
    seed: int,
) -> None:
    """Fit ``model``'s heard regression (:mod:`classifier.taste.heard`) in its space: the
    ``basis`` tracks (the scene's, in that space) weighed by their plays before ``at``,
    against the ``candidates`` (ids, profiles)."""
    plays = track_weights(scene.history, basis, np.array([float(at)]), np.inf, True, scene.cap)
    ids, vectors = candidates
    units = units_in(model, vectors)
    model.set_heard(fit_heard((basis.track_ids, basis.units, plays[0]), (ids, units), seed))


def model_inputs(
    model: TasteModel,
    scene: Scene,
    vectors: np.ndarray,
    content: np.ndarray,
    at: np.ndarray | float,
    own: bool = False,
    basis: Basis | None = None,
    *,
    ids: np.ndarray,
) -> np.ndarray:
    """Raw head inputs (N, N_MIX) of the tracks ``ids``: the kernel features of their
    profiles ``vectors`` at times ``at``, their artist signal, the heard regression's
    value, then their ``content`` logits; with ``own``, each track's own events left out
    (the regression is cross-fitted: a track is never scored by a fit that saw it)."""
    basis = scene.basis(model) if basis is None else basis
    units = units_in(model, vectors)
    times = np.broadcast_to(np.asarray(at, np.float64), (len(units),))
    shared = np.ndim(at) == 0 and not own
    blocks = []
    step = len(units) if shared else _QUERY_BLOCK
    for i in range(0, len(units), max(step, 1)):
        when = times[i : i + 1] if shared else times[i : i + step]
        mine = ids[i : i + step]
        weights = history_weights(scene.history, basis, when, scene.cap)
        kernel = kernel_features(
            units[i : i + step],
            scene.history,
            basis,
            when,
            cap=scene.cap,
            own=mine if own else None,
            weights=weights,
        )
        artist = artist_share(
            scene.artists, mine, scene.history, basis, when, cap=scene.cap, own=own, weights=weights
        )
        blocks.append(np.concatenate([kernel, artist[:, None]], axis=1))
    inputs = np.concatenate(blocks) if blocks else np.zeros((0, model.mix.in_features - 2))
    heard = heard_scores(units, ids, model.heard())
    last = [heard[:, None], np.asarray(content, np.float32)[:, None]]
    return np.concatenate([inputs, *last], axis=1)


def similarity_scores(inputs: np.ndarray) -> np.ndarray:
    """The plain similarity ranking of raw head inputs: the 7-day kernel mean."""
    return np.asarray(inputs[:, SIMILARITY], np.float64)


@dataclass(frozen=True)
class Moments:
    """Replayed training pairs: listened tracks' inputs (P, M) and candidates' (P, C, M)."""

    positives: np.ndarray
    negatives: np.ndarray
    weights: np.ndarray  # (P,)


def fit_mix(
    model: TasteModel,
    moments: Moments,
    candidates: np.ndarray,
    *,
    l2sp: float,
    steps: int,
    seed: int,
    contrast: float = 1.0,
) -> float:
    """Fit the ranking head on ``moments`` (standardised by the ``candidates``' raw inputs
    now), pulled toward this version's start with ``contrast`` of its contrast
    (:func:`~classifier.taste.model.head_start`, whatever start a warm-started model was
    anchored to); returns the last loss. Without moments the head is that start."""
    anchor = head_start(contrast)
    model.get_buffer("mix_anchor").copy_(anchor)
    mean = candidates.mean(0) if len(candidates) else np.zeros(candidates.shape[1])
    std = np.maximum(candidates.std(0), MIN_SPREAD) if len(candidates) else np.ones(N_MIX)
    model.get_buffer("mix_mean").copy_(torch.from_numpy(mean.astype(np.float32)))
    model.get_buffer("mix_std").copy_(torch.from_numpy(std.astype(np.float32)))
    if len(moments.positives) == 0 or steps == 0:
        with torch.no_grad():
            model.mix.weight.copy_(anchor)
        return float("nan")
    pos = torch.from_numpy(moments.positives.astype(np.float32))
    neg = torch.from_numpy(moments.negatives.astype(np.float32))
    weights = torch.from_numpy(moments.weights.astype(np.float32))
    weights = weights / weights.sum()
    optimizer = torch.optim.Adam(model.mix.parameters(), lr=0.05)
    loss = torch.zeros(())
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for _ in range(steps):
            margin = model.rank(pos)[:, None] - model.rank(neg.flatten(0, 1)).view(neg.shape[:2])
            ranking = (F.softplus(-margin).mean(1) * weights).sum()
            loss = ranking + l2sp * model.mix_l2sp()
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
    return float(loss.detach())
