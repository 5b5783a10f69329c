"""The weighted labelled set of the taste model, built from the store's history.

- Positives: tracks listened to or liked.
- Negatives: explicit dislikes; implicit skips, weighted by ``skip_weight``:
  skips a player observed (a track left within 30 s), and tracks exported to a
  playlist the listener plays (``counts_skips``) then not listened within
  ``skip_grace_days`` (a plain export never makes skips); dismissals count as
  skips; and a seeded sample of never-listened feed tracks as unlabelled
  negatives (``unlabelled_weight``).

Recency (taste drift): every listen or feedback event weighs
``0.5 ** (age_days / half_life_days)``; a track's weight is the sum of its
events' weights, capped at ``weight_cap``. A dislike newer than a track's last
listen or like makes the track negative.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from classifier.config import ModelConfig
from classifier.taste.kernel import History
from classifier.taste.labelset import LabelSet
from store import Store

__all__ = ["build_history", "build_labels", "decay"]

logger = logging.getLogger(__name__)

DAY = 86400.0


def decay(age_s: np.ndarray | float, half_life_days: float) -> np.ndarray:
    """``0.5 ** (age_days / half_life_days)``; ``inf`` half-life means no decay."""
    age_days = np.maximum(np.asarray(age_s, dtype=np.float64), 0.0) / DAY
    if not np.isfinite(half_life_days):
        return np.ones_like(age_days)
    return np.asarray(0.5 ** (age_days / half_life_days))


@dataclass
class _Events:
    """Per-track event times, gathered from the store."""

    positive: dict[int, list[float]]
    dislike: dict[int, list[float]]
    skip: dict[int, float]


def _gather(store: Store, config: ModelConfig, now: float) -> _Events:
    positive: dict[int, list[float]] = defaultdict(list)
    dislike: dict[int, list[float]] = defaultdict(list)
    for track_id, at, _ in store.listens():
        if at <= now:
            positive[track_id].append(float(at))
    dismissed: dict[int, float] = {}
    for event in store.feedback():
        if event.track_id is None or event.created_at > now:
            continue
        if event.kind == "like":
            positive[event.track_id].append(event.created_at)
        elif event.kind == "dislike":
            dislike[event.track_id].append(event.created_at)
        elif event.kind == "dismiss":
            dismissed[event.track_id] = max(dismissed.get(event.track_id, 0.0), event.created_at)
    skips = _skips(store.queue_states(), positive, now - config.skip_grace_days * DAY)
    for track_id, at, _ in store.skips():
        if at <= now and not any(p >= at for p in positive.get(track_id, [])):
            skips[track_id] = max(skips.get(track_id, 0.0), float(at))
    for track_id, when in dismissed.items():
        if max(positive.get(track_id, [0.0])) < when:
            skips[track_id] = max(skips.get(track_id, 0.0), when)
    return _Events(dict(positive), dict(dislike), skips)


def _skips(
    states: dict[int, dict[str, Any]], positive: dict[int, list[float]], due: float
) -> dict[int, float]:
    """Tracks exported to a listened playlist before ``due`` and not listened to or liked
    since."""
    skips: dict[int, float] = {}
    for track_id, state in states.items():
        offered = state.get("exported_at") or state.get("queued_at")
        if not state.get("counts_skips") or offered is None or offered > due:
            continue
        if not any(at >= offered for at in positive.get(track_id, [])):
            skips[track_id] = float(offered)
    return skips


def _weight(times: list[float], config: ModelConfig, now: float) -> float:
    total = float(decay(now - np.asarray(times), config.half_life_days).sum())
    return min(config.weight_cap, total)


def _rows(events: _Events, config: ModelConfig, now: float) -> list[tuple[Any, ...]]:
    """(track, target, weight, kind, first, last) of every explicitly labelled track."""
    rows: list[tuple[Any, ...]] = []
    for track_id, times in events.positive.items():
        disliked_after = max(events.dislike.get(track_id, [0.0])) > max(times)
        if not disliked_after:
            rows.append((track_id, 1.0, _weight(times, config, now), 0, min(times), max(times)))
    for track_id, times in events.dislike.items():
        if max(times) >= max(events.positive.get(track_id, [0.0])):
            rows.append((track_id, 0.0, _weight(times, config, now), 1, min(times), max(times)))
    labelled = set(events.dislike) | set(events.positive)
    for track_id, at in events.skip.items():
        if track_id not in labelled:
            weight = config.skip_weight * float(decay(now - at, config.half_life_days))
            rows.append((track_id, 0.0, weight, 2, at, at))
    return rows


def _unlabelled(
    store: Store, taken: set[int], usable: set[int], config: ModelConfig, seed: int
) -> list[tuple[Any, ...]]:
    if config.unlabelled_sample == 0:
        return []
    pool = np.array(sorted(set(store.candidate_ids()) & usable - taken), dtype=np.int64)
    rng = np.random.default_rng(seed)
    size = min(config.unlabelled_sample, len(pool))
    chosen = np.sort(rng.choice(pool, size=size, replace=False)) if size else pool[:0]
    return [(int(t), 0.0, config.unlabelled_weight, 3, 0.0, 0.0) for t in chosen]


def build_labels(
    store: Store,
    config: ModelConfig,
    usable: set[int],
    *,
    now: float,
    seed: int | None = None,
) -> LabelSet:
    """The labelled set at time ``now``, restricted to tracks in ``usable`` (those embedded).

    Events after ``now`` are ignored. The unlabelled sample is drawn with
    ``seed`` (default ``config.seed``).
    """
    rows = [r for r in _rows(_gather(store, config, now), config, now) if r[0] in usable]
    rows = [r for r in rows if r[2] > 0]
    taken = {r[0] for r in rows}
    rows += _unlabelled(store, taken, usable, config, config.seed if seed is None else seed)
    rows.sort(key=lambda r: r[0])
    columns = list(zip(*rows, strict=True)) if rows else [()] * 6
    labels = LabelSet(
        np.array(columns[0], dtype=np.int64),
        np.array(columns[1], dtype=np.float32),
        np.array(columns[2], dtype=np.float32),
        np.array(columns[3], dtype=np.int8),
        np.array(columns[4], dtype=np.float64),
        np.array(columns[5], dtype=np.float64),
    )
    logger.debug("labels: %d positive, %d negative", labels.n_positive, labels.n_negative)
    return labels


def build_history(store: Store, config: ModelConfig, usable: set[int], *, now: float) -> History:
    """Every taste event up to ``now`` of the tracks in ``usable``: the listens and likes of
    tracks labelled positive, and the dislikes and skips of those labelled negative."""
    events = _gather(store, config, now)
    ids: list[int] = []
    times: list[float] = []
    signs: list[bool] = []
    for track_id, _target, _weight, kind, _first, _last in _rows(events, config, now):
        if track_id not in usable:
            continue
        when = {0: events.positive, 1: events.dislike}.get(kind)
        stamps = when[track_id] if when is not None else [events.skip[track_id]]
        ids += [track_id] * len(stamps)
        times += stamps
        signs += [kind == 0] * len(stamps)
    return History(np.array(ids, np.int64), np.array(times, np.float64), np.array(signs, bool))
