"""The queue, one track and the feedback as plain records: what the JSON API returns and
what the page renders.

The queue is numbered as the dashboard and ``tastebud queue`` number it
(:func:`daemon.feedback.current_queue`), so ``#N`` means the same row everywhere.
``standing`` is the stored score: the track's standing among the candidates in (0, 1]
at the last rescoring (1.0 the best), by the model or by similarity (``GET /api/status``
says which).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from daemon import feedback
from daemon.config import Config
from daemon.playlists import load_tag_names, top_tags
from daemon.representation import active_backbone
from daemon.web.audio import playable
from store import FeedbackEvent, QueueEntry, Store, Track

__all__ = ["age_text", "feedback_records", "queue_records", "track_record"]

DETAIL_TAGS = 8

_UNITS = ((60.0, "s"), (3600.0, "min"), (86400.0, "h"), (14 * 86400.0, "d"))


def age_text(seconds: float | None) -> str:
    """``42 s``, ``5 min``, ``3 h``, ``4 d``, ``6 weeks``; empty when unknown."""
    if seconds is None:
        return ""
    seconds = max(seconds, 0.0)
    divisor = 1.0
    for below, unit in _UNITS:
        if seconds < below:
            return f"{seconds / divisor:.0f} {unit}"
        divisor = below
    return f"{seconds / (7 * 86400.0):.0f} weeks"


def _why(entry: QueueEntry, tags: tuple[str, ...], now: float) -> dict[str, Any]:
    if entry.because is not None:
        return entry.because.as_json(now)
    return {"like": [], "tags": list(tags), "text": ", ".join(tags)}


def _queue_record(entry: QueueEntry, tags: tuple[str, ...], audio: bool, now: float) -> Any:
    track = entry.track
    age = now - entry.offered_at if entry.offered_at is not None else None
    return {
        "rank": entry.rank,
        "id": track.id,
        "standing": entry.score,
        "model_version": entry.model_version,
        "artist": track.artist,
        "title": track.title,
        "label": track.label,
        "url": track.url,
        "feed": entry.feed,
        "offered_at": entry.offered_at,
        "age_s": age,
        "age": age_text(age),
        "why": _why(entry, tags, now),
        "audio": audio,
    }


def queue_records(
    store: Store, config: Config, limit: int, *, now: float | None = None
) -> list[dict[str, Any]]:
    """The first ``limit`` queue entries: rank, id, standing, artist, title, feed, age, why."""
    now = time.time() if now is None else now
    entries = feedback.current_queue(store, config, limit)
    ids = [e.track.id for e in entries]
    backbone = active_backbone(store, config)
    tags = top_tags(store, backbone, ids, load_tag_names(backbone))
    audio = playable(store, config, ids)
    return [_queue_record(e, tags.get(e.track.id, ()), e.track.id in audio, now) for e in entries]


def _tags(store: Store, config: Config, track_id: int) -> list[dict[str, Any]]:
    backbone = active_backbone(store, config)
    means = store.mean_tags(backbone, [track_id]).get(track_id)
    if means is None:
        return []
    names = load_tag_names(backbone)
    order = np.argsort(-means)[:DETAIL_TAGS]
    return [
        {"tag": names[i] if i < len(names) else f"tag{i}", "probability": float(means[i])}
        for i in map(int, order)
    ]


def _track_fields(track: Track) -> dict[str, Any]:
    return {
        "id": track.id,
        "artist": track.artist,
        "title": track.title,
        "album": track.album,
        "label": track.label,
        "duration": track.duration,
        "url": track.url,
        "state": track.state,
        "attempts": track.attempts,
        "error": track.last_error,
        "next_retry_at": track.next_retry_at,
    }


def track_record(
    store: Store, config: Config, track: Track, *, now: float | None = None
) -> dict[str, Any]:
    """Everything the detail view shows of a track: its rank and standing when queued, all
    its reasons, its feed, its tags with their probabilities, its fetch state."""
    now = time.time() if now is None else now
    entry = next((e for e in feedback.current_queue(store, config) if e.track.id == track.id), None)
    record = _track_fields(track)
    record["ids"] = store.track_ids_of(track.id)
    record["tags"] = _tags(store, config, track.id)
    record["audio"] = bool(playable(store, config, [track.id]))
    record["queued"] = entry is not None
    if entry is not None:
        queued = _queue_record(entry, tuple(t["tag"] for t in record["tags"][:3]), False, now)
        for key in ("rank", "standing", "model_version", "feed", "offered_at", "age_s", "age"):
            record[key] = queued[key]
        record["why"] = queued["why"]
    return record


def feedback_records(store: Store, limit: int) -> list[dict[str, Any]]:
    """The newest feedback (imported too), newest first, each with what it says."""
    return [_feedback_record(store, e) for e in store.feedback(limit=limit)]


def _feedback_record(store: Store, event: FeedbackEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "kind": event.kind,
        "origin": event.origin,
        "created_at": event.created_at,
        "track_id": event.track_id,
        "artist": event.artist,
        "text": feedback.describe(store, event),
        "pushed_at": event.pushed_at,
    }
