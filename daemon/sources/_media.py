"""What the media-server sources (``jellyfin``, ``subsonic``) share: their dates, play
counts turned into listens, and the JSON state they keep between reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TypeVar

from daemon.net import MalformedPayloadError
from daemon.sources._parse import as_str
from store import FeedbackKind, Store, TrackRef, match_key

__all__ = [
    "MAX_BACKFILL",
    "OWNED_EVERY_S",
    "FeedbackIn",
    "new_plays",
    "parse_date",
    "read_cursor",
    "store_owned",
]

MAX_BACKFILL = 50  # plays between two reads stored for one item, at most
OWNED_EVERY_S = 86_400.0  # how often a whole library is read for what the listener owns
FeedbackIn = tuple[FeedbackKind, str, TrackRef | int | None, str | None, float]
T = TypeVar("T", dict, list)  # type: ignore[type-arg]


def parse_date(value: Any, field: str) -> int:
    """Unix seconds of an ISO 8601 date (``2024-05-01T18:22:10.1234567Z``; no zone: UTC)."""
    text = as_str(value)
    if not text:
        raise MalformedPayloadError(f"no {field}")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedPayloadError(f"{field} {text[:40]!r} is not a date") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp())


def new_plays(before: Any, now: int) -> int:
    """How many listens an item's play count stands for: 1 on first sight (its earlier
    plays have no time), else the plays since the last read (at least 1, at most
    :data:`MAX_BACKFILL`)."""
    if not isinstance(before, int):
        return 1
    return max(1, min(now - before, MAX_BACKFILL))


def read_cursor(value: str | None, kind: type[T]) -> T:
    """A JSON cursor of ``kind``; empty (and a fresh start) when missing or unreadable."""
    try:
        loaded = json.loads(value) if value else kind()
    except ValueError:
        loaded = kind()
    return loaded if isinstance(loaded, kind) else kind()


def store_owned(store: Store, source: str, refs: list[TrackRef]) -> int:
    """Keep the match keys of a media server's whole library (``owned:<source>``), so
    discovery never offers what the listener owns; how many."""
    keys = sorted({k for r in refs if (k := match_key(r.artist, r.title))})
    store.set_cursor(f"owned:{source}", json.dumps(keys))
    return len(keys)
