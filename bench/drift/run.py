"""Every ranking on every listener: the numbers the drift tables are made of."""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
from collections.abc import Iterable

import numpy as np

from bench.drift import rankers
from bench.drift.ceiling import ceiling
from bench.drift.corpus import Corpus
from bench.drift.listeners import KINDS, Listener, simulate
from bench.drift.replay import replay
from classifier import ModelConfig, precision_at_k, roc_auc

logger = logging.getLogger(__name__)

K = 20
FINGERPRINT = "sonic fingerprint (plain cosine to 30-day centroid, 200-d penultimate)"
PROFILE_KNN = "recency kNN over track profiles (patch mean and spread, as shipped's)"
PROFILE_KERNEL = "kernel similarity over track profiles, 7 d"
ADAPTED_KNN = "recency kNN over adapted profiles (with the back end adapted, as shipped's)"
ADAPTED_KERNEL = "kernel similarity over adapted profiles, 7 d (the daemon's similarity)"
SIMILARITY: dict[str, rankers.Ranker] = {
    "random": rankers.random,
    FINGERPRINT: rankers.fingerprint,
    "z-scored 1506-d centroid, 7-day half-life": rankers.centroid(7.0),
    "z-scored 1506-d centroid, 30-day half-life": rankers.centroid(30.0),
    "recency kNN (mean of 5 best recency-scaled cosines, 30 d)": rankers.knn,
    "kernel similarity (exp((cos-1)/0.2), 7 d)": rankers.kernel,
    PROFILE_KNN: functools.partial(rankers.knn, view="profiles"),
    PROFILE_KERNEL: functools.partial(rankers.kernel, view="profiles"),
    ADAPTED_KNN: functools.partial(rankers.knn, view="adapted"),
    ADAPTED_KERNEL: functools.partial(rankers.kernel, view="adapted"),
}
CEILING = "supervised ceiling (5-fold logistic regression knowing every label, frozen 1506-d)"
ATTAINABLE = "attainable (every relevant candidate first)"
SHIPPED = "tastebud as shipped"
NOT_SIMILARITY = ("random", CEILING, ATTAINABLE)  # rows the verdict does not compare with


@dataclasses.dataclass
class Cell:
    """One row on one kind of listener: (P@20, ROC-AUC) per seed."""

    final: list[tuple[float, float]] = dataclasses.field(default_factory=list)
    along: list[tuple[float, float]] = dataclasses.field(default_factory=list)

    def figures(self, along: bool) -> list[tuple[float, float]]:
        """The per-seed figures along the way, or of the last day."""
        return self.along if along else self.final


@dataclasses.dataclass
class Cost:
    """What a shipped row's cycles cost, and how often plain similarity ranked the queue."""

    train_s: list[float] = dataclasses.field(default_factory=list)
    rescore_s: list[float] = dataclasses.field(default_factory=list)
    similarity_days: int = 0
    days: int = 0


@dataclasses.dataclass
class Settings:
    """How a run was made (the developer's flags)."""

    kinds: list[str]
    seeds: list[int]
    days: int = 60
    every: int = 1
    rows: str = "all"  # all, shipped or similarity
    threads: int = 1  # torch's: two fight other work on a busy two-core machine
    overrides: dict[str, object] = dataclasses.field(default_factory=dict)
    variants: dict[str, dict[str, object]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Results:
    """Every row on every kind of listener, for one corpus."""

    corpus: str
    counts: str
    n_tracks: int
    settings: Settings
    cells: dict[str, dict[str, Cell]] = dataclasses.field(default_factory=dict)
    costs: dict[str, Cost] = dataclasses.field(default_factory=dict)

    def cell(self, row: str, kind: str) -> Cell:
        """The cell of ``row`` on ``kind`` (created empty)."""
        return self.cells.setdefault(row, {}).setdefault(kind, Cell())


def metrics(scores: np.ndarray, relevant: np.ndarray) -> tuple[float, float]:
    """(P@20, ROC-AUC) of ``scores`` against ``relevant``."""
    target = relevant.astype(float)
    return precision_at_k(scores, target, K), roc_auc(scores, target)


def pair_mean(pairs: Iterable[tuple[float, float]]) -> tuple[float, float]:
    """The mean (P@20, ROC-AUC) of ``pairs``, ignoring NaNs (NaN where all are)."""
    arr = np.array(list(pairs), dtype=float).reshape(-1, 2)
    if not len(arr) or np.isnan(arr).all(axis=0).any():
        return math.nan, math.nan
    p, a = np.nanmean(arr, axis=0)
    return float(p), float(a)


def shipped_configs(base: ModelConfig, s: Settings) -> dict[str, ModelConfig]:
    """The shipped row and one per variant, each with ``base``'s overrides applied first."""
    out = {SHIPPED: base}
    for name, overrides in s.variants.items():
        out[f"{SHIPPED} with {name}"] = dataclasses.replace(base, **overrides)  # type: ignore[arg-type]
    return out


def _similarity(res: Results, space: rankers.Space, listener: Listener, s: Settings) -> None:
    rows = {**SIMILARITY, CEILING: ceiling, ATTAINABLE: rankers.attainable}
    score_days(res, space, listener, s.days, rows)


def score_days(
    res: Results,
    space: rankers.Space,
    listener: Listener,
    days: int,
    rows: dict[str, rankers.Ranker],
) -> None:
    """Each of ``rows`` on each of ``listener``'s last ``days`` days, into ``res``'s cells."""
    per_day: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
    for day in range(listener.days - days, listener.days):
        h = rankers.history(listener, day)
        for name, rank in rows.items():
            per_day[name].append(metrics(rank(space, h), h.relevant))
    for name, values in per_day.items():
        cell = res.cell(name, listener.kind.name)
        cell.final.append(values[-1])
        cell.along.append(pair_mean(values))


def _shipped(res: Results, corpus: Corpus, listener: Listener, row: str, c: ModelConfig) -> None:
    values, cost = [], res.costs.setdefault(row, Cost())
    for day in replay(corpus, listener, c, res.settings.days, res.settings.every):
        values.append(metrics(day.scores, listener.relevant(day.day, day.candidates)))
        cost.train_s += [] if day.train_s is None else [day.train_s]
        cost.rescore_s.append(day.rescore_s)
        cost.similarity_days += day.similarity
        cost.days += 1
    cell = res.cell(row, listener.kind.name)
    cell.final.append(values[-1])
    cell.along.append(pair_mean(values))


def run(corpus: Corpus, s: Settings, base: ModelConfig) -> Results:
    """Every requested row on every requested kind and seed of ``corpus``."""
    res = Results(corpus.spec.name, corpus.counts(), len(corpus.paths), s)
    space = rankers.space(corpus.features) if s.rows != "shipped" else None
    for kind in s.kinds:
        for seed in s.seeds:
            listener = simulate(KINDS[kind], corpus.labels, seed)
            logger.info("corpus %s, %s, seed %d", corpus.spec.name, kind, seed)
            if space is not None:
                _similarity(res, space, listener, s)
            if s.rows != "similarity":
                seeded = base if "seed" in s.overrides else dataclasses.replace(base, seed=seed)
                for row, config in shipped_configs(seeded, s).items():
                    _shipped(res, corpus, listener, row, config)
    return res


def row_mean(res: Results, row: str, kind: str, along: bool) -> tuple[float, float]:
    """(P@20, ROC-AUC) of ``row`` on ``kind``, averaged over seeds."""
    return pair_mean(res.cells[row][kind].figures(along))


def kinds_mean(res: Results, row: str, along: bool) -> tuple[float, float]:
    """(P@20, ROC-AUC) of ``row`` averaged over the kinds."""
    return pair_mean(row_mean(res, row, k, along) for k in res.settings.kinds)
