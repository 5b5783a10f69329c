"""A challenger trained and judged: the body, then the ranking head, then the judge.

The held-out tracks (the newest listened, from :func:`classifier.taste.split.time_split`)
take no part in training: not as labels of the body, not as replayed moments of
the head. They are ranked at the cycle's time, their own listens left out, among
candidates no training saw (a fresh sample plus the held-out share of the
unlabelled sample; in a small library every candidate), by the challenger, the
champion and plain similarity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from classifier.config import ModelConfig
from classifier.taste.adapter import same_view
from classifier.taste.features import Features, track_profiles
from classifier.taste.fit import fit, init_head
from classifier.taste.judge import Standing, Verdict, judge, standing
from classifier.taste.kernel import Basis
from classifier.taste.labelset import LabelSet
from classifier.taste.mix import (
    Moments,
    Scene,
    fit_mix,
    model_inputs,
    set_heard_regression,
    set_space,
    units_in,
)
from classifier.taste.mix import similarity_scores as similarity
from classifier.taste.model import TasteModel
from classifier.taste.moved import contrast, overlap
from classifier.taste.smoothing import smooth, smooth_onto
from classifier.taste.split import incremental, time_split
from store import Store

__all__ = [
    "MAX_MOMENTS",
    "Champion",
    "Judged",
    "Tracks",
    "challenge",
    "content_logits",
    "listen_field",
    "standings_among",
    "validation_candidates",
]

MAX_MOMENTS = 400
"""Replayed listens per cycle, at most (a seeded sample beyond)."""
MIN_FIELD = 100
"""Below this many unseen candidates the judge also ranks among the unlabelled ones the
body saw as weak negatives: a small field would make every percentile a coin toss."""


@dataclass(frozen=True)
class Judged:
    """A trained challenger, the judge's verdict and the figures behind it."""

    model: TasteModel
    metrics: dict[str, float]
    verdict: Verdict
    n_train: int
    n_val: int
    n_new: int
    held: np.ndarray  # the held-out listened tracks, and their standings under the model
    standings: tuple[Standing, Standing]  # and under plain similarity


def validation_candidates(
    store: Store, labels: LabelSet, usable: set[int], config: ModelConfig
) -> np.ndarray:
    """A seeded sample of embedded candidates outside the labelled set: no training sees them."""
    pool = np.array(sorted(set(store.candidate_ids()) & usable - set(labels.track_ids.tolist())))
    size = min(config.validation_sample, len(pool))
    rng = np.random.default_rng(config.seed + 1)
    return np.sort(rng.choice(pool, size=size, replace=False)).astype(np.int64)


@torch.no_grad()
def content_logits(model: TasteModel, feats: Features) -> np.ndarray:
    """The body's mean patch logit of every track in ``feats``."""
    model.eval()
    logits = model(feats.data).double()
    index = torch.repeat_interleave(torch.arange(len(feats.n_patches)), feats.n_patches)
    sums = torch.zeros(len(feats.n_patches), dtype=torch.float64).index_add_(0, index, logits)
    return (sums / feats.n_patches.clamp(min=1)).numpy()


@dataclass(frozen=True)
class Champion:
    """The model that ranks, with its per-track arrays and its scene (the history as it
    profiles it), made once per cycle for both the new listens' tests and the
    challenger's judge."""

    model: TasteModel
    tracks: Tracks
    scene: Scene

    def tracks_for(self, model: TasteModel) -> Tracks:
        """``model``'s per-track arrays of the same tracks: the champion's profiles where
        both profile tracks alike (the same adapter, or none), made anew otherwise."""
        feats = self.tracks.feats
        if same_view(model, self.model):
            return Tracks(feats, self.tracks.vectors, content_logits(model, feats))
        return Tracks.of(model, feats)


@dataclass(frozen=True)
class Tracks:
    """Per-track arrays of everything in ``feats``, in its order, under one model."""

    feats: Features
    vectors: np.ndarray
    content: np.ndarray

    @classmethod
    def of(cls, model: TasteModel, feats: Features) -> Tracks:
        """The arrays of every track in ``feats`` under ``model``."""
        vectors = track_profiles(feats, np.arange(len(feats.track_ids)), model.adapter())
        return cls(feats, vectors, content_logits(model, feats))

    def units(self, model: TasteModel, ids: np.ndarray) -> np.ndarray:
        """The unit profiles of ``ids`` in ``model``'s space."""
        return units_in(model, self.vectors[self.feats.rows(ids)])

    def inputs(
        self,
        model: TasteModel,
        scene: Scene,
        ids: np.ndarray,
        at: np.ndarray | float,
        own: bool,
        basis: Basis | None = None,
    ) -> np.ndarray:
        """Raw head inputs of ``ids`` at ``at`` (:func:`~classifier.taste.mix.model_inputs`;
        ``basis``: the scene's, already in ``model``'s space)."""
        rows = self.feats.rows(ids)
        vectors, content = self.vectors[rows], self.content[rows]
        return model_inputs(model, scene, vectors, content, at, own=own, basis=basis, ids=ids)


def _moments(
    model: TasteModel,
    scene: Scene,
    tracks: Tracks,
    field: np.ndarray,
    held: np.ndarray,
    now: float,
    config: ModelConfig,
    basis: Basis,
) -> Moments:
    """Replayed listens of the last ``mix_window_days`` against candidates at the same time."""
    h = scene.history
    known = np.isin(h.track_ids, tracks.feats.track_ids) & ~np.isin(h.track_ids, held)
    recent = np.flatnonzero(h.positive & known & (h.times > now - config.mix_window_days * 86400))
    rng = np.random.default_rng(config.seed)
    if len(recent) > MAX_MOMENTS:
        recent = np.sort(rng.choice(recent, MAX_MOMENTS, replace=False))
    ids, times = h.track_ids[recent], h.times[recent]
    width = config.mix_negatives
    empty = np.zeros((0, model.mix.in_features))
    if len(ids) == 0 or len(field) == 0:
        return Moments(empty, np.zeros((0, width, model.mix.in_features)), np.zeros(0))
    positives = tracks.inputs(model, scene, ids, times, own=True, basis=basis)
    picks = rng.choice(field, size=len(ids) * width)
    at = np.repeat(times, width)
    negatives = tracks.inputs(model, scene, picks, at, own=True, basis=basis)
    return Moments(positives, negatives.reshape(len(ids), width, -1), np.ones(len(ids)))


def listen_field(fresh: np.ndarray, labels: LabelSet) -> np.ndarray:
    """The candidates new listens are ranked among: the fresh sample, and in a small
    library (fewer than :data:`MIN_FIELD`) every unlabelled candidate too."""
    if len(fresh) >= MIN_FIELD:
        return fresh
    return np.union1d(fresh, labels.track_ids[labels.kinds == 3]).astype(np.int64)


def _field(fresh: np.ndarray, val: LabelSet, train: LabelSet) -> np.ndarray:
    """The candidates held-out tracks are ranked among: those no training saw, and in a
    small library (fewer than :data:`MIN_FIELD`) every unlabelled candidate."""
    field = np.union1d(fresh, val.track_ids[val.kinds == 3])
    if len(field) < MIN_FIELD:
        field = np.union1d(field, train.track_ids[train.kinds == 3])
    return field.astype(np.int64)


def standings_among(
    model: TasteModel,
    scene: Scene,
    tracks: Tracks,
    held: np.ndarray,
    field: np.ndarray,
    now: float,
    k: int,
    basis: Basis | None = None,
    *,
    smoothing: float = 0.0,
) -> tuple[Standing, Standing]:
    """(model, plain similarity) standings of ``held`` among ``field``, ranked at ``now``
    (each held track's own listens left out of its features; ``basis``: the scene's in
    ``model``'s space, made here if not given). Both rankings are smoothed with
    share ``smoothing`` among the field (:mod:`classifier.taste.smoothing`), as the queue's are."""
    basis = scene.basis(model) if basis is None else basis
    held_in = tracks.inputs(model, scene, held, now, own=True, basis=basis)
    field_in = tracks.inputs(model, scene, field, now, own=False, basis=basis)
    with torch.no_grad():
        held_raw, field_raw = (
            model.rank(torch.from_numpy(x.astype(np.float32))).double().numpy()
            for x in (held_in, field_in)
        )
    units = (tracks.units(model, held), tracks.units(model, field)) if smoothing > 0 else None
    return (
        _smoothed_standing((held_raw, field_raw), units, smoothing, k),
        _smoothed_standing((similarity(held_in), similarity(field_in)), units, smoothing, k),
    )


def _smoothed_standing(
    scores: tuple[np.ndarray, np.ndarray],
    units: tuple[np.ndarray, np.ndarray] | None,
    share: float,
    k: int,
) -> Standing:
    """The standing of held tracks' scores among the field's, each smoothed with ``share``
    (the held tracks' and the field's unit profiles ``units``)."""
    held, field = scores
    if units is not None:
        held = smooth_onto(held, units[0], field, units[1], share)
        field = smooth(field, units[1], share)
    return standing(held, field, k)


def challenge(
    model: TasteModel,
    current: Champion | None,
    feats: Features,
    labels: LabelSet,
    fresh: np.ndarray,
    scene: Scene,
    config: ModelConfig,
    now: float,
    since: float | None,
) -> Judged | None:
    """Train ``model`` (warm-started; ``current`` is the champion) and judge it; None when
    the training split lacks positives or negatives."""
    train, val = time_split(labels, config.holdout_fraction, config.seed)
    if current is None:
        init_head(model, feats, train)
    selection, n_new = incremental(train, since, config.replay, config.seed)
    if selection.n_positive == 0 or selection.n_negative == 0:
        return None
    fit(model, feats, selection, config)
    tracks = current.tracks_for(model) if current is not None else Tracks.of(model, feats)
    set_space(model, tracks.vectors[feats.rows(labels.track_ids)])
    held = val.track_ids[val.targets == 1]
    train_field = train.track_ids[train.targets == 0]
    field = _field(fresh, val, train)
    basis = scene.basis(model)  # in the space just set; fitting the head keeps it
    negatives = (train_field, tracks.vectors[feats.rows(train_field)])
    set_heard_regression(model, scene, basis, negatives, now, config.seed)
    moments = _moments(model, scene, tracks, train_field, held, now, config, basis)
    now_field = tracks.inputs(model, scene, train_field, now, own=True, basis=basis)
    moved = overlap(scene.history, basis, now, scene.cap)
    share = contrast(moved)
    fit_mix(
        model,
        moments,
        now_field,
        l2sp=config.mix_l2sp,
        steps=config.mix_steps,
        seed=config.seed,
        contrast=share,
    )
    k = config.precision_k
    smoothing = config.smoothing
    mine, plain = standings_among(
        model, scene, tracks, held, field, now, k, basis, smoothing=smoothing
    )
    theirs = None
    if current is not None:
        theirs, _ = standings_among(
            current.model,
            current.scene,
            current.tracks,
            held,
            field,
            now,
            k,
            smoothing=smoothing,
        )
    verdict = judge(mine, plain, theirs)
    metrics = _metrics(mine, plain, theirs, verdict, len(field), len(moments.positives), config)
    metrics |= {
        "n_labels": float(len(labels)),
        "n_positive": float(labels.n_positive),
        "n_negative": float(labels.n_negative),
        "overlap": moved,
        "contrast": share,
    }
    return Judged(model, metrics, verdict, len(selection), len(val), n_new, held, (mine, plain))


def _metrics(
    mine: Standing,
    plain: Standing,
    theirs: Standing | None,
    verdict: Verdict,
    n_field: int,
    n_moments: int,
    config: ModelConfig,
) -> dict[str, float]:
    """The figures the readout shows (NaN where unmeasured; the store writes it as null)."""
    nan = math.nan
    return {
        "k": float(config.precision_k),
        "n_heldout": float(len(mine)),
        "n_candidates": float(n_field),
        "n_moments": float(n_moments),
        "hit_at_k": mine.hit_rate,
        "percentile": mine.percentile,
        "similarity_hit_at_k": plain.hit_rate,
        "similarity_percentile": plain.percentile,
        "champion_hit_at_k": theirs.hit_rate if theirs is not None else nan,
        "champion_percentile": theirs.percentile if theirs is not None else nan,
        "vs_similarity_low": verdict.vs_similarity[0],
        "vs_similarity_high": verdict.vs_similarity[1],
        "vs_champion_low": verdict.vs_champion[0],
        "vs_champion_high": verdict.vs_champion[1],
    }
