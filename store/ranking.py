"""The queue's ranking rules, as plain functions over candidates (no SQL).

The store selects the candidates (ready tracks a feed offered, never listened,
liked, disliked or dismissed); these rules order them by score, drop blocked
artists, merge duplicates of one recording and spread artists out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from store.identity import normalize_text
from store.records import QueueEntry, Track

__all__ = [
    "Candidate",
    "by_score",
    "dedupe",
    "rank",
    "rank_ordered",
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
    return rank_ordered(
        by_score(candidates), blocked_artists, limit=limit, per_artist=per_artist, window=window
    )


def rank_ordered(
    ordered: Iterable[Candidate],
    blocked_artists: Iterable[str],
    *,
    limit: int,
    per_artist: int,
    window: int,
) -> list[QueueEntry]:
    """:func:`rank` over candidates already in :func:`by_score` order, read lazily: it
    stops reading once the queue is full, so a database cursor need not be read whole."""
    kept = _iter_dedupe(_iter_without_blocked(ordered, blocked_artists))
    picked = _spread(kept, limit=limit, per_artist=per_artist, window=window)
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
    return list(_iter_without_blocked(candidates, blocked_artists))


def _iter_without_blocked(
    candidates: Iterable[Candidate], blocked_artists: Iterable[str]
) -> Iterator[Candidate]:
    blocked = {normalize_text(name) for name in blocked_artists}
    if not blocked:
        yield from candidates
        return
    normalized: dict[str, str] = {}
    for c in candidates:
        artist = c.track.artist
        if not artist:
            yield c
        elif normalized.setdefault(artist, normalize_text(artist)) not in blocked:
            yield c


def dedupe(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The first candidate of each recording (same match key, else same track)."""
    return list(_iter_dedupe(candidates))


def _iter_dedupe(candidates: Iterable[Candidate]) -> Iterator[Candidate]:
    seen: set[str] = set()
    for c in candidates:
        key = c.track.match_key or f"id:{c.track.id}"
        if key not in seen:
            seen.add(key)
            yield c


def spread_artists(
    candidates: Sequence[Candidate], *, limit: int, per_artist: int, window: int
) -> list[Candidate]:
    """Greedy pick in order so that no ``window`` consecutive picks hold an artist more
    than ``per_artist`` times; a deferred candidate comes back as soon as it fits."""
    return _spread(candidates, limit=limit, per_artist=per_artist, window=window)


def _spread(
    candidates: Iterable[Candidate], *, limit: int, per_artist: int, window: int
) -> list[Candidate]:
    """:func:`spread_artists`, reading ``candidates`` only as far as the picks need."""
    incoming = ((_artist_of(c), c) for c in candidates)
    pending: list[tuple[str, Candidate]] = []  # read, deferred, in order
    picked: list[tuple[str, Candidate]] = []
    while len(picked) < limit:
        recent = [a for a, _ in picked[-(window - 1) :]] if window > 1 else []
        index = next((i for i, (a, _) in enumerate(pending) if recent.count(a) < per_artist), None)
        if index is None:
            index = _read_until_fits(incoming, pending, recent, per_artist)
        if index is None:
            break
        picked.append(pending.pop(index))
    return [c for _, c in picked]


def _read_until_fits(
    incoming: Iterator[tuple[str, Candidate]],
    pending: list[tuple[str, Candidate]],
    recent: list[str],
    per_artist: int,
) -> int | None:
    """Read candidates into ``pending`` until one fits; its index, or None when none is left."""
    for item in incoming:
        pending.append(item)
        if recent.count(item[0]) < per_artist:
            return len(pending) - 1
    return None


def _artist_of(candidate: Candidate) -> str:
    track = candidate.track
    return normalize_text(track.artist or "") or f"id:{track.id}"
