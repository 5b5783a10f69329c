"""The queue's ranking rules, as plain functions over candidates (no SQL).

The store selects the candidates (ready tracks a feed offered, never listened,
liked, disliked or dismissed); these rules order them by score, drop blocked
artists, merge duplicates of one recording and spread artists out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from store.identity import normalize_text
from store.records import QueueEntry, Track

__all__ = [
    "Candidate",
    "by_score",
    "dedupe",
    "rank",
    "spread_artists",
    "without_blocked",
]


@dataclass(frozen=True)
class Candidate:
    """A track the queue may offer, with its score and where a feed first offered it."""

    track: Track
    score: float | None = None
    model_version: int | None = None
    feed: str | None = None
    offered_at: float | None = None
    position: int | None = None


def rank(
    candidates: Iterable[Candidate],
    blocked_artists: Iterable[str],
    *,
    limit: int,
    per_artist: int,
    window: int,
) -> list[QueueEntry]:
    """The queue: candidates by score, blocked artists and duplicates out, artists spread."""
    kept = dedupe(without_blocked(by_score(candidates), blocked_artists))
    picked = spread_artists(kept, limit=limit, per_artist=per_artist, window=window)
    return [
        QueueEntry(
            rank=i + 1,
            track=c.track,
            score=c.score,
            model_version=c.model_version,
            feed=c.feed,
            offered_at=c.offered_at,
        )
        for i, c in enumerate(picked)
    ]


def by_score(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Scored candidates first, best first; ties and unscored ones in feed order, then by id."""
    return sorted(candidates, key=_score_order)


def _score_order(c: Candidate) -> tuple[bool, float, bool, int, int]:
    # As SQL orders them: a missing position sorts before any position.
    score = -c.score if c.score is not None else 0.0
    return (c.score is None, score, c.position is not None, c.position or 0, c.track.id)


def without_blocked(
    candidates: Iterable[Candidate], blocked_artists: Iterable[str]
) -> list[Candidate]:
    """Candidates whose artist is not blocked (names compare normalized)."""
    blocked = {normalize_text(name) for name in blocked_artists}
    return [
        c for c in candidates if not (c.track.artist and normalize_text(c.track.artist) in blocked)
    ]


def dedupe(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The first candidate of each recording (same match key, else same track)."""
    seen: set[str] = set()
    out: list[Candidate] = []
    for c in candidates:
        key = c.track.match_key or f"id:{c.track.id}"
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def spread_artists(
    candidates: Sequence[Candidate], *, limit: int, per_artist: int, window: int
) -> list[Candidate]:
    """Greedy pick in order so that no ``window`` consecutive picks hold an artist more
    than ``per_artist`` times; a deferred candidate comes back as soon as it fits."""
    picked: list[Candidate] = []
    pending = list(candidates)
    while pending and len(picked) < limit:
        recent = [_artist_of(c) for c in picked[-(window - 1) :]] if window > 1 else []
        index = next(
            (i for i, c in enumerate(pending) if recent.count(_artist_of(c)) < per_artist),
            None,
        )
        if index is None:
            break
        picked.append(pending.pop(index))
    return picked


def _artist_of(candidate: Candidate) -> str:
    track = candidate.track
    return normalize_text(track.artist or "") or f"id:{track.id}"
