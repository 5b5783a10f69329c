"""Candidates and the queue: what feeds offer, the ranked queue, and what was exported.

The ranking rules themselves live in :mod:`store.ranking`; this module selects
their input and records the queue's state.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from store.connection import StoreConnection
from store.ranking import Candidate, rank_ordered
from store.reasons import read_reasons
from store.records import IngestResult, QueueEntry, TrackRef
from store.tracks import TRACK_FIELDS, prefixed_track_columns, resolve_track, track_from_row

__all__ = ["QueueStore"]

# Ready tracks a feed offered that were never listened to, liked, disliked or dismissed
# (a liked track has found its listener: it leaves the queue).
# {join} joins the scores; {order} is the queue's order (store.ranking.by_score).
_CANDIDATES = f"""
SELECT {prefixed_track_columns("t")},
       s.score, s.model_version,
       (SELECT f.feed FROM feed_items f WHERE f.track_id = t.id ORDER BY f.offered_at LIMIT 1),
       (SELECT min(f.offered_at) FROM feed_items f WHERE f.track_id = t.id),
       (SELECT min(f.position) FROM feed_items f WHERE f.track_id = t.id) AS pos
FROM {{join}}
WHERE t.state = 'ready'
  AND EXISTS (SELECT 1 FROM feed_items f WHERE f.track_id = t.id)
  AND NOT EXISTS (SELECT 1 FROM listens l WHERE l.track_id = t.id)
  AND NOT EXISTS (SELECT 1 FROM feedback b WHERE b.track_id = t.id
                  AND b.kind IN ('like', 'dislike', 'dismiss'))
{{order}}
"""
# Scored candidates best first, read down the score index so the queue reads only the
# rows it needs (CROSS JOIN keeps scores the outer loop); then the unscored ones.
_SCORED_SQL = _CANDIDATES.format(
    join="scores s CROSS JOIN tracks t ON t.id = s.track_id",
    order="ORDER BY s.score DESC, pos IS NOT NULL, pos, t.id",
)
_UNSCORED_SQL = _CANDIDATES.format(
    join="tracks t LEFT JOIN scores s ON s.track_id = t.id",
    order="AND s.track_id IS NULL ORDER BY pos IS NOT NULL, pos, t.id",
)


class QueueStore(StoreConnection):
    """Feed items (the candidates), the ranked queue, and each track's export record."""

    def add_feed_items(self, feed: str, refs: Sequence[TrackRef]) -> IngestResult:
        """Record the tracks a feed offers (in feed order) in one transaction."""
        inserted = duplicates = 0
        now = time.time()
        with self.write() as conn:
            for position, ref in enumerate(refs):
                track_id = resolve_track(conn, ref, now)
                cur = conn.execute(
                    "INSERT OR IGNORE INTO feed_items (feed, track_id, offered_at, position) "
                    "VALUES (?, ?, ?, ?)",
                    (feed, track_id, now, position),
                )
                inserted += cur.rowcount
                duplicates += 1 - cur.rowcount
        return IngestResult(inserted, duplicates)

    def candidate_ids(self) -> list[int]:
        """Ids of tracks offered by a feed that were never listened to."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT DISTINCT f.track_id FROM feed_items f WHERE NOT EXISTS "
                "(SELECT 1 FROM listens l WHERE l.track_id = f.track_id) ORDER BY f.track_id"
            ).fetchall()
        return [int(r[0]) for r in rows]

    def feed_order(self) -> list[int]:
        """Never-listened feed tracks in feed order (earliest position, then id), as the
        queue orders unscored tracks."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT f.track_id FROM feed_items f WHERE NOT EXISTS "
                "(SELECT 1 FROM listens l WHERE l.track_id = f.track_id) "
                "GROUP BY f.track_id ORDER BY min(f.position), f.track_id"
            ).fetchall()
        return [int(r[0]) for r in rows]

    def queue(self, limit: int = 50, *, per_artist: int = 2, window: int = 50) -> list[QueueEntry]:
        """The ranked queue: ready candidates by score, at most ``per_artist`` per ``window``.

        Excludes listened, liked, disliked and dismissed tracks and blocked artists, and
        merges duplicates of one recording (same match key). Each entry carries its stored
        reason, where there is one.
        """
        with self.read() as conn:
            blocked = conn.execute("SELECT artist FROM feedback WHERE kind = 'block'").fetchall()
            queue = rank_ordered(
                _ordered_candidates(conn),
                [r[0] for r in blocked],
                limit=limit,
                per_artist=per_artist,
                window=window,
            )
            reasons = read_reasons(conn, [e.track.id for e in queue])
        return [dataclasses.replace(e, because=reasons.get(e.track.id)) for e in queue]

    def mark_exported(
        self, track_ids: Iterable[int], playlist: str, *, counts_skips: bool = False
    ) -> None:
        """Record the first export of each track (when, where): the skip grace period runs
        from it, so refreshing a playlist does not restart it. ``counts_skips``: the
        playlist is one the listener plays, so a track left unplayed there is a skip."""
        now = time.time()
        with self.write() as conn:
            conn.executemany(
                "INSERT INTO queue_state (track_id, queued_at, exported_at, exported_to, "
                "counts_skips) VALUES (?, ?, ?, ?, ?) ON CONFLICT(track_id) DO UPDATE SET "
                "exported_at = coalesce(queue_state.exported_at, excluded.exported_at), "
                "exported_to = coalesce(queue_state.exported_to, excluded.exported_to), "
                "counts_skips = max(queue_state.counts_skips, excluded.counts_skips)",
                [(t, now, now, playlist, int(counts_skips)) for t in track_ids],
            )

    def queue_states(self) -> dict[int, dict[str, Any]]:
        """Queue state per track: queued_at, exported_at, exported_to, counts_skips."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT track_id, queued_at, exported_at, exported_to, counts_skips "
                "FROM queue_state"
            ).fetchall()
        return {
            int(r[0]): {
                "queued_at": r[1],
                "exported_at": r[2],
                "exported_to": r[3],
                "counts_skips": bool(r[4]),
            }
            for r in rows
        }


def _ordered_candidates(conn: sqlite3.Connection) -> Iterator[Candidate]:
    """Candidates in the queue's order, read from SQLite one row at a time."""
    for sql in (_SCORED_SQL, _UNSCORED_SQL):
        yield from map(_candidate, conn.execute(sql))


def _candidate(row: Sequence[Any]) -> Candidate:
    n = TRACK_FIELDS
    return Candidate(
        track=track_from_row(row[:n]),
        score=row[n],
        model_version=row[n + 1],
        feed=row[n + 2],
        offered_at=row[n + 3],
        position=row[n + 4],
    )
