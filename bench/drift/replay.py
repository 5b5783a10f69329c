"""Tastebud as shipped, replayed day by day: the daemon's own store, training and rescoring.

A fresh SQLite store holds the corpus's tracks (by their artist tags, where they have
them) with their cached features, every
track offered by a feed, and the history before the replayed days at once; then
each replayed day adds its listens, runs ``train_cycle`` (every ``every`` days,
always on the last) and ``rescore`` at the day's end, and reads the queue's
scores of that day's candidates.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bench.common import timer
from bench.drift.corpus import Corpus
from bench.drift.listeners import Listen, Listener
from classifier import ModelConfig, feature_key, rescore, train_cycle
from store import ListenIn, Store, TrackRef

logger = logging.getLogger(__name__)


def _ref(corpus: Corpus, index: int) -> TrackRef:
    """Track ``index`` by its artist tag (a name of its own where it has none)."""
    tagged = corpus.artists[index] if corpus.artists else ""
    return TrackRef(source="bench", artist=tagged or f"artist {index}", title=f"track {index}")


def fill_store(store: Store, corpus: Corpus, key: str) -> None:
    """Every corpus track with its cached features, each offered by a feed."""
    for i in range(len(corpus.paths)):
        track_id = store.upsert_track(_ref(corpus, i))
        store.put_embedding(track_id, key, corpus.features[i], corpus.tags[i])
        store.mark_track(track_id, "ready")
    store.add_feed_items("bench", [_ref(corpus, i) for i in range(len(corpus.paths))])


def add_listens(store: Store, corpus: Corpus, listens: list[Listen]) -> None:
    """Store ``listens`` as the listener's scrobbles."""
    refs = [ListenIn(_ref(corpus, x.track), int(x.at)) for x in listens]
    store.add_listens(refs, "bench")


@dataclasses.dataclass(frozen=True)
class Day:
    """One replayed day: the queue's scores of that day's candidates, and the costs."""

    day: int
    candidates: np.ndarray
    scores: np.ndarray
    train_s: float | None  # None: no cycle that day
    rescore_s: float
    similarity: bool  # the judge chose plain similarity (or there is no champion yet)


def replay(
    corpus: Corpus, listener: Listener, config: ModelConfig, days: int, every: int = 1
) -> Iterator[Day]:
    """The last ``days`` days of ``listener``'s history through the daemon's path."""
    key = feature_key(config.backbone)
    first = listener.days - days
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "bench.db") as store:
        fill_store(store, corpus, key)
        add_listens(store, corpus, listener.listens_until(listener.day_end(first - 1)))
        ids = {i: store.upsert_track(_ref(corpus, i)) for i in range(len(corpus.paths))}
        for day in range(first, listener.days):
            start, end = listener.day_end(day - 1), listener.day_end(day)
            add_listens(store, corpus, [x for x in listener.listens if start < x.at <= end])
            train_s = None
            if (listener.days - 1 - day) % every == 0:
                with timer() as t:
                    result = train_cycle(store, config, Path(tmp) / "models", now=end)
                train_s = t[0]
                logger.debug("day %d: %s", day, result.reason)
            with timer() as t:
                rescore(store, config, Path(tmp) / "models", now=end)
            candidates = listener.candidates(day)
            scores = store.scores()
            champion = store.champion()
            yield Day(
                day,
                candidates,
                np.array([scores[ids[int(i)]] for i in candidates]),
                train_s,
                t[0],
                champion is None or store.ranker().ranker == "similarity",
            )
