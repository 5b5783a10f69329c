"""Rankings of the candidates that need no store: similarity to the listens, and a ceiling.

Each ranker sees the :class:`History` up to one moment (listened tracks with
their listen times, and the candidates) and returns one score per candidate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Literal

import numpy as np
import torch

from bench.drift.listeners import DAY, Listener
from classifier import ModelConfig, TasteModel, centroid_scores
from classifier.taste.adapter import adapt
from classifier.taste.features import pack_features, profile, track_profiles
from classifier.taste.kernel import space_of, unit_vectors


@dataclasses.dataclass(frozen=True)
class Space:
    """A corpus's per-track vectors: z-scored 1506-d means, the 200-d penultimate, and
    the track profiles the daemon's similarity uses."""

    z: np.ndarray  # (N, 1506), z-scored over the corpus
    unit: np.ndarray  # z, each row of unit length
    raw: np.ndarray  # (N, 1506) track means, not z-scored
    penultimate: np.ndarray  # (N, 200) mean over patches of musicnn's penultimate layer
    profiles: np.ndarray  # (N, 2K) unit profiles (patch mean and spread) of the features
    adapted: np.ndarray  # unit profiles with the adapted back end's part, as the daemon's


def space(features: np.ndarray) -> Space:
    """The vectors the rankers use, from a corpus's (N, P, 1506) features."""
    raw = features.astype(np.float32).mean(axis=1)
    z = (raw - raw.mean(axis=0)) / (raw.std(axis=0) + 1e-6)
    unit = z / (np.linalg.norm(z, axis=1, keepdims=True) + 1e-12)
    profiles = np.stack([profile(track) for track in features])
    profile_units = unit_vectors(profiles, *space_of(profiles))
    pen = penultimate(features).mean(axis=1)
    return Space(z, unit, raw, pen, profile_units, _adapted(features))


def _adapted(features: np.ndarray) -> np.ndarray:
    """Unit profiles of the features and of the back end adapted on all of them, as the
    daemon's similarity measures them (its ``[model]`` defaults)."""
    config = ModelConfig()
    feats = pack_features(np.arange(len(features)), list(features.astype(np.float32)))
    adapter = adapt(feats, config.backbone, steps=config.adapt_steps, seed=config.seed)
    profiles = track_profiles(feats, np.arange(len(features)), adapter)
    return unit_vectors(profiles, *space_of(profiles), (features.shape[2], adapter.units))


def penultimate(features: np.ndarray) -> np.ndarray:
    """The pretrained back end's penultimate features (N, P, 200) of a corpus's
    (N, P, 1506) features, unadapted."""
    model = TasteModel.pretrained(ModelConfig().backbone).eval()
    n, p, d = features.shape
    with torch.inference_mode():
        pen = model.penultimate(torch.from_numpy(features.reshape(n * p, d)).float())
    return np.asarray(pen.numpy().reshape(n, p, -1))


@dataclasses.dataclass(frozen=True)
class History:
    """What a ranker sees at time ``now``: every listen so far, the candidates and (for
    the ceiling and the attainable row only) their relevance."""

    tracks: np.ndarray  # corpus index per listen
    ages_days: np.ndarray  # per listen
    candidates: np.ndarray
    relevant: np.ndarray
    seed: int


def history(listener: Listener, day: int) -> History:
    """The history of ``listener`` at the end of day ``day``."""
    end = listener.day_end(day)
    n = int(np.searchsorted(listener.times, end, side="right"))
    candidates = listener.candidates(day)
    return History(
        listener.tracks[:n],
        (end - listener.times[:n]) / DAY,
        candidates,
        listener.relevant(day, candidates),
        listener.seed * 1000 + day,
    )


def decay(ages_days: np.ndarray, half_life: float) -> np.ndarray:
    """``0.5 ** (age / half_life)`` of each age in days."""
    return np.asarray(0.5 ** (ages_days / half_life))


def fingerprint(s: Space, h: History) -> np.ndarray:
    """Plain cosine to the 30-day-weighted centroid of the 200-d penultimate embeddings."""
    emb = s.penultimate
    flat = np.stack([np.ones(emb.shape[1]), -np.ones(emb.shape[1])])  # mean 0, spread 1
    return centroid_scores(flat, emb[h.tracks], decay(h.ages_days, 30.0), emb[h.candidates])


def centroid(half_life: float) -> Ranker:
    """Cosine to the recency-weighted centroid of the z-scored 1506-d track means."""

    def rank(s: Space, h: History) -> np.ndarray:
        w = decay(h.ages_days, half_life)
        return centroid_scores(s.raw, s.raw[h.tracks], w, s.raw[h.candidates])

    return rank


def _per_track(h: History, half_life: float, combine: str) -> tuple[np.ndarray, np.ndarray]:
    """Listened tracks and each one's weight: its latest listen's (max) or all (sum)."""
    tracks = np.unique(h.tracks)
    w = decay(h.ages_days, half_life)
    out = np.zeros(len(tracks))
    at = np.searchsorted(tracks, h.tracks)
    if combine == "max":
        np.maximum.at(out, at, w)
    else:
        np.add.at(out, at, w)
    return tracks, out


View = Literal["means", "profiles", "adapted"]
"""What a similarity ranker compares: z-scored track means, the track profiles of the
features, or the profiles that take the adapted back end's part too (the daemon's)."""


def _units(s: Space, view: View) -> np.ndarray:
    return {"means": s.unit, "profiles": s.profiles, "adapted": s.adapted}[view]


def knn(
    s: Space, h: History, half_life: float = 30.0, k: int = 5, view: View = "means"
) -> np.ndarray:
    """Mean of the ``k`` best recency-scaled cosines of a candidate to the listened tracks
    (of their ``view``)."""
    tracks, w = _per_track(h, half_life, "max")
    unit = _units(s, view)
    cos = unit[h.candidates] @ unit[tracks].T * w[None, :]
    best = -np.sort(-cos, axis=1)[:, : min(k, len(tracks))]
    return np.asarray(best.mean(axis=1))


def kernel(
    s: Space, h: History, half_life: float = 7.0, width: float = 0.2, view: View = "means"
) -> np.ndarray:
    """Sum over recency-weighted listened tracks of ``exp((cos - 1) / width)`` (cosines of
    their ``view``)."""
    tracks, w = _per_track(h, half_life, "sum")
    unit = _units(s, view)
    cos = unit[h.candidates] @ unit[tracks].T
    return np.asarray(np.exp((cos - 1.0) / width) @ w)


def random(s: Space, h: History) -> np.ndarray:
    """A uniform random ranking (seeded by listener and day)."""
    return np.random.default_rng(h.seed).uniform(size=len(h.candidates))


def attainable(s: Space, h: History) -> np.ndarray:
    """Every relevant candidate first: the most any ranking can reach. Its P@20 is below
    1 where fewer than 20 candidates are relevant, as on a small corpus's last days."""
    return h.relevant.astype(np.float64)


Ranker = Callable[[Space, History], np.ndarray]
