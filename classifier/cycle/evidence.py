"""New listens as out-of-sample tests of the rankings made before them; the judge's switch.

At each training cycle, every track first listened to since the champion was
trained (its ``label_time``) is ranked as it would have been then: among a sample
of candidates no training saw, with the history as it stood at that time, by the
champion, by plain similarity and by a challenger kept aside (a newer model the
per-cycle judge did not promote), if any. Those standings go to the store's
``evidence`` table; the judge (:mod:`classifier.taste.prequential`) reads the record
since what ranks last changed and switches only on it. A first model's held-out
split seeds its record. A track whose features arrive after the next cycle is not
tested: by then the ranking it would test has moved on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from classifier.config import ModelConfig
from classifier.cycle.scene import scene_at
from classifier.cycle.validation import Champion, Judged, Tracks, standings_among
from classifier.taste.adapter import same_view
from classifier.taste.features import Features
from classifier.taste.kernel import History
from classifier.taste.mix import Scene
from classifier.taste.model import TasteModel
from classifier.taste.prequential import Record, Switch, decide
from store import Evidence, ModelRecord, Store

__all__ = ["Tested", "first_listens", "judge_ranker", "record_new_listens", "seed_record"]

logger = logging.getLogger(__name__)


def first_listens(history: History, since: float, now: float) -> tuple[np.ndarray, np.ndarray]:
    """(tracks, first listen times) of the tracks first listened to in (``since``, ``now``]."""
    ids = history.track_ids[history.positive]
    times = history.times[history.positive]
    if not len(ids):
        return np.zeros(0, np.int64), np.zeros(0)
    tracks, inverse = np.unique(ids, return_inverse=True)
    first = np.full(len(tracks), np.inf)
    np.minimum.at(first, inverse, times)
    keep = (first > since) & (first <= now)
    return tracks[keep], first[keep]


@dataclass(frozen=True)
class Tested:
    """The models new listens are tested on: the champion and a challenger kept aside."""

    champion: ModelRecord
    current: Champion
    aside: tuple[ModelRecord, TasteModel] | None = None


def record_new_listens(
    store: Store,
    config: ModelConfig,
    key: str,
    usable: set[int],
    feats: Features,
    field: np.ndarray,
    tested: Tested,
    history: History,
    span: tuple[float, float],
) -> int:
    """Record the standings of the tracks first listened to in ``span`` = (the champion's
    label time, now) of ``history`` among ``field``; how many listens were recorded."""
    since, now = span
    ids, times = first_listens(history, since, now)
    ids_in = np.isin(ids, feats.track_ids)
    ids, times = ids[ids_in], times[ids_in]
    field = np.setdiff1d(field, ids)
    if not len(ids) or not len(field):
        return 0
    then = scene_at(store, config, key, usable, since, tested.current.model.adapter())
    k = config.precision_k

    def under(model: TasteModel, tracks: Tracks, scene: Scene) -> tuple[np.ndarray, np.ndarray]:
        mine, plain = standings_among(
            model, scene, tracks, ids, field, since, k, smoothing=config.smoothing
        )
        return mine.percentiles, plain.percentiles

    current = tested.current
    model, similarity = under(current.model, current.tracks, then)
    aside = None
    if tested.aside:
        other = tested.aside[1]
        scene = then
        if not same_view(other, current.model):
            scene = scene_at(store, config, key, usable, since, other.adapter())
        aside = under(other, current.tracks_for(other), scene)[0]
    rows = [
        Evidence(
            int(track),
            float(times[i]),
            since,
            len(field),
            tested.champion.version,
            float(model[i]),
            float(similarity[i]),
            tested.aside[0].version if tested.aside else None,
            float(aside[i]) if aside is not None else None,
        )
        for i, track in enumerate(ids)
    ]
    added = store.add_evidence(rows)
    logger.info("%d new listens tested against the rankings made before them", added)
    return added


def seed_record(store: Store, judged: Judged, version: int, history: History, now: float) -> int:
    """A first model's held-out split, as the first rows of its record."""
    mine, plain = judged.standings
    n_field = int(judged.metrics["n_candidates"])
    last = _last_listens(history, judged.held, now)
    rows = [
        Evidence(int(t), float(at), now, n_field, version, float(m), float(s), seeded=True)
        for t, at, m, s in zip(judged.held, last, mine.percentiles, plain.percentiles, strict=True)
    ]
    return store.add_evidence(rows)


def _last_listens(history: History, ids: np.ndarray, default: float) -> np.ndarray:
    """The newest listen time in ``history`` of each of ``ids`` (``default``: none)."""
    listened = history.positive
    newest: dict[int, float] = {}
    for t, at in zip(history.track_ids[listened], history.times[listened], strict=True):
        newest[int(t)] = max(float(at), newest.get(int(t), -np.inf))
    return np.array([newest.get(int(t), default) for t in ids])


def judge_ranker(store: Store, now: float) -> Switch:
    """Switch what ranks the queue if the record since the last switch says so."""
    state = store.ranker()
    record = Record.of(store.evidence(after=state.after_evidence))
    switch = decide(state.ranker, record)
    if switch.switched:
        store.switch_ranker(switch.ranker, switch.reason, at=now)
        logger.info("%s ranks the queue from now: %s", switch.ranker, switch.reason)
    return switch
