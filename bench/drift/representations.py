"""The representation study: which track features rank best, and what each costs.

Every row is a representation of a track built from the per-patch outputs of the
checkpoints the ``musicnn`` wheel ships (:mod:`bench.drift.checkpoints`), judged with
the drift bench's frozen-feature rankers on its listeners (:mod:`bench.drift.run`):

- kernel similarity over track profiles, 7-day half-life (:func:`rankers.kernel`);
- recency kNN over track profiles, 30 days (:func:`rankers.knn`);
- the supervised ceiling, 5-fold logistic regression knowing every label
  (:func:`bench.drift.ceiling.ceiling`).

A representation is one or more *parts*, each a (tracks, patches, dims) array. A
track's profile is, part by part, the patch mean and spread z-scored over the corpus
with each half scaled to length ``1/sqrt 2`` (as the daemon's, :func:`unit_vectors`),
the parts then scaled by ``1/sqrt(parts)``: a cosine is the mean of the parts'
cosines, so the parts weigh equally. The ceiling sees each part's track mean (for a
taggram part: its mean and spread), z-scored over the corpus and scaled so every
representation has the total variance of today's 1506 z-scored features, each part an
equal share: the ceiling's L2 penalty weighs the same on every row. With one part of
today's features both are exactly the drift tables' ``Space``.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math

import numpy as np

from bench.common import timer
from bench.drift import rankers
from bench.drift.ceiling import ceiling
from bench.drift.checkpoints import TODAY
from bench.drift.corpus import N_PATCHES, Corpus
from bench.drift.listeners import KINDS, simulate
from bench.drift.run import Results, Settings, score_days
from classifier import POOLED_DIM
from classifier.taste.features import profile
from classifier.taste.kernel import space_of, unit_vectors

logger = logging.getLogger(__name__)

TAGS_BYTES = 4  # the store keeps tag probabilities as float32
N_TAGS = 50


@dataclasses.dataclass(frozen=True)
class Part:
    """One block of a representation: a key of :func:`bench.drift.checkpoints.outputs`, or
    several joined by ``+`` (their values side by side per patch, z-scored alike)."""

    key: str
    spread: bool = False  # the ceiling sees the patch spread too (a taggram's)

    @property
    def keys(self) -> list[str]:
        """The outputs this part is made of."""
        return self.key.split("+")

    def array(self, outputs: dict[str, np.ndarray]) -> np.ndarray:
        """The part's (N, P, D) values."""
        arrays = [outputs[k] for k in self.keys]
        return np.concatenate(arrays, axis=2) if len(arrays) > 1 else arrays[0]


@dataclasses.dataclass(frozen=True)
class Representation:
    """A row: its parts, and the checkpoints that must run on every track to make them."""

    name: str
    parts: tuple[Part, ...]
    models: tuple[str, ...]

    def dims(self, outputs: dict[str, np.ndarray]) -> int:
        """Values per patch."""
        return sum(outputs[k].shape[2] for p in self.parts for k in p.keys)


def representation(name: str, *keys: str, spread: tuple[str, ...] = ()) -> Representation:
    """The row ``name`` of the outputs ``keys`` (the parts), those in ``spread`` taggrams."""
    parts = tuple(Part(k, k in spread) for k in keys)
    models = tuple(dict.fromkeys(k.split("/")[0] for key in keys for k in key.split("+")))
    return Representation(name, parts, models)


TODAYS = f"{TODAY} back-end input, 1506-d (today's)"
TAGS = f"{TODAY}/tags"
REPRESENTATIONS = (
    representation(TODAYS, TODAY),
    representation("MTT_musicnn back-end input, 1506-d", "MTT_musicnn"),
    representation("MSD_vgg pool5, 256-d", "MSD_vgg"),
    representation("MTT_vgg pool5, 256-d", "MTT_vgg"),
    representation("MSD_vgg pool4 max + mean, 256-d", "MSD_vgg/pool4"),
    representation("MTT_vgg pool4 max + mean, 256-d", "MTT_vgg/pool4"),
    representation("today's + MTT_musicnn", TODAY, "MTT_musicnn"),
    representation("today's + MSD_vgg pool5", TODAY, "MSD_vgg"),
    representation("today's + MTT_vgg pool5", TODAY, "MTT_vgg"),
    representation("MSD taggram alone (50 tags, mean and spread)", TAGS, spread=(TAGS,)),
    representation("today's + MSD taggram", TODAY, TAGS, spread=(TAGS,)),
    representation("today's with the MSD taggram as 50 more values per patch", f"{TODAY}+{TAGS}"),
)
RANKERS = ("kernel", "kNN", "ceiling")


def track_space(parts: list[np.ndarray], spread: list[bool]) -> rankers.Space:
    """The rankers' :class:`rankers.Space` of parts (each (N, P, D)), as the module says."""
    units, zs = [], []
    for patches, with_spread in zip(parts, spread, strict=True):
        profiles = np.stack([profile(track) for track in patches])
        units.append(unit_vectors(profiles, *space_of(profiles)))
        track = profiles if with_spread else patches.astype(np.float32).mean(axis=1)
        z = (track - track.mean(axis=0)) / (track.std(axis=0) + 1e-6)
        zs.append(z * math.sqrt(POOLED_DIM / (len(parts) * z.shape[1])))
    z = np.concatenate(zs, axis=1) if len(zs) > 1 else zs[0]
    unit = z / (np.linalg.norm(z, axis=1, keepdims=True) + 1e-12)
    profiles = np.concatenate(units, axis=1) / math.sqrt(len(units))
    return rankers.Space(z, unit, z, np.zeros((len(z), 1)), profiles, profiles)


def space_for(rep: Representation, outputs: dict[str, np.ndarray]) -> rankers.Space:
    """``rep``'s space over a corpus's checkpoint ``outputs``."""
    return track_space([p.array(outputs) for p in rep.parts], [p.spread for p in rep.parts])


def _bound(rank: rankers.Ranker, space: rankers.Space) -> rankers.Ranker:
    """``rank`` on ``space`` whatever space it is handed."""
    return lambda _, h: rank(space, h)


def _timed(rank: rankers.Ranker, seconds: list[float]) -> rankers.Ranker:
    def run(space: rankers.Space, h: rankers.History) -> np.ndarray:
        with timer() as t:
            scores = rank(space, h)
        seconds.append(t[0])
        return scores

    return run


@dataclasses.dataclass
class Study:
    """One corpus's study: the drift cells (rows ``<representation> | <ranker>``) and costs."""

    results: Results
    dims: dict[str, int]  # representation -> values per patch
    models: dict[str, list[str]]  # representation -> checkpoints run on every track
    stored: dict[str, list[int]]  # representation -> stored bytes per track, f16 and f32
    fit_s: dict[str, list[float]]  # representation -> seconds of each day's ceiling
    extra: dict[str, str] = dataclasses.field(default_factory=dict)  # row -> cost note


def rows_for(
    spaces: dict[str, rankers.Space], fit_s: dict[str, list[float]]
) -> dict[str, rankers.Ranker]:
    """Every representation's three rankers, named ``<representation> | <ranker>``."""
    rows: dict[str, rankers.Ranker] = {}
    for name, space in spaces.items():
        fit_s.setdefault(name, [])
        rows[f"{name} | kernel"] = _bound(functools.partial(rankers.kernel, view="profiles"), space)
        rows[f"{name} | kNN"] = _bound(functools.partial(rankers.knn, view="profiles"), space)
        rows[f"{name} | ceiling"] = _bound(_timed(ceiling, fit_s[name]), space)
    return rows


def study(
    corpus: Corpus,
    outputs: dict[str, np.ndarray],
    s: Settings,
    representations: tuple[Representation, ...] = REPRESENTATIONS,
    spaces: dict[str, rankers.Space] | None = None,
) -> Study:
    """Every representation (and every extra space in ``spaces``) on every listener."""
    res = Results(corpus.spec.name, corpus.counts(), len(corpus.paths), s)
    all_spaces = {rep.name: space_for(rep, outputs) for rep in representations}
    all_spaces.update(spaces or {})
    fit_s: dict[str, list[float]] = {}
    rows = rows_for(all_spaces, fit_s)
    for kind in s.kinds:
        for seed in s.seeds:
            logger.info("corpus %s, %s, seed %d", corpus.spec.name, kind, seed)
            listener = simulate(KINDS[kind], corpus.labels, seed)
            score_days(res, all_spaces[TODAYS], listener, s.days, rows)
    reps = {rep.name: rep for rep in representations}
    return Study(
        res,
        {name: rep.dims(outputs) for name, rep in reps.items()},
        {name: list(rep.models) for name, rep in reps.items()},
        {name: [stored_bytes(rep, outputs, w) for w in (2, 4)] for name, rep in reps.items()},
        fit_s,
    )


def stored_bytes(rep: Representation, outputs: dict[str, np.ndarray], width: int) -> int:
    """Bytes a track's features take in the store: every part per patch at ``width`` bytes
    a value (2: float16, as the store keeps them), plus each checkpoint's 50 float32 tag
    probabilities per patch (the taggram part is those tags)."""
    keys = [k for p in rep.parts for k in p.keys if not k.endswith("/tags")]
    values = sum(outputs[k].shape[2] for k in keys)
    return int(N_PATCHES * (values * width + len(rep.models) * N_TAGS * TAGS_BYTES))
