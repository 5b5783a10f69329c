"""Re-analysis under a new feature model: which tracks have features under which key, and
which ready tracks wait to be fetched again and analysed under another one.

A track is re-analysed when it is ready and has features, but none under the key asked
for; it stays ready and keeps its old features throughout. A failed try is recorded
(``reanalyses``: how many failures, the last error, when the next try is due), so the
track waits, and a success removes that record.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from store.connection import StoreConnection
from store.records import Track
from store.tracks import TRACK_FIELDS, prefixed_track_columns, track_from_row

__all__ = ["Coverage", "ReanalysisStore", "ReanalysisWait"]

# ready tracks with features, but none under the key ``:key``
_LACKING = (
    "FROM tracks t WHERE t.state = 'ready' "
    "AND EXISTS (SELECT 1 FROM embeddings e WHERE e.track_id = t.id) "
    "AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.track_id = t.id AND e.model_key = :key)"
)
_FAILED = "(SELECT {} FROM reanalyses r WHERE r.track_id = t.id AND r.model_key = :key)"


@dataclass(frozen=True)
class Coverage:
    """How many tracks have features under each key, and under any key."""

    by_key: dict[str, int]
    tracks: int

    def of(self, key: str) -> int:
        """How many tracks have features under ``key``."""
        return self.by_key.get(key, 0)


@dataclass(frozen=True)
class ReanalysisWait:
    """The ready tracks that lack features under one key: how many, how many of them wait
    after a failed try, and the newest error."""

    pending: int
    waiting: int
    error: str | None


class ReanalysisStore(StoreConnection):
    """Feature coverage per key, and the ready tracks to analyse again under a new key."""

    def feature_coverage(self) -> Coverage:
        """Tracks with features under each key, and under any key."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT model_key, count(*) FROM embeddings GROUP BY model_key"
            ).fetchall()
            total = conn.execute("SELECT count(DISTINCT track_id) FROM embeddings").fetchone()[0]
        return Coverage({str(k): int(n) for k, n in rows}, int(total))

    def reanalysis_due(
        self, model_key: str, limit: int, *, now: float | None = None
    ) -> list[tuple[Track, int]]:
        """Up to ``limit`` ready tracks lacking features under ``model_key`` whose next try
        is due, each with its failures so far: those never tried first, then the most
        listened to. Nothing about them changes (they stay ready)."""
        now = time.time() if now is None else now
        failures = f"coalesce({_FAILED.format('r.failures')}, 0)"
        with self.read() as conn:
            rows = conn.execute(
                f"SELECT {prefixed_track_columns('t')}, {failures} {_LACKING} "
                f"AND coalesce({_FAILED.format('r.next_at')}, 0) <= :now ORDER BY {failures}, "
                "(SELECT count(*) FROM listens l WHERE l.track_id = t.id) DESC, t.id LIMIT :limit",
                {"key": model_key, "now": now, "limit": limit},
            ).fetchall()
        return [(track_from_row(r[:TRACK_FIELDS]), int(r[TRACK_FIELDS])) for r in rows]

    def reanalysis_wait(self, model_key: str, *, now: float | None = None) -> ReanalysisWait:
        """The ready tracks lacking features under ``model_key``, and those of them that wait
        after a failed try."""
        now = time.time() if now is None else now
        with self.read() as conn:
            key = {"key": model_key, "now": now}
            pending = conn.execute(f"SELECT count(*) {_LACKING}", key).fetchone()[0]
            waiting, error = conn.execute(
                "SELECT count(*), (SELECT r.last_error FROM reanalyses r WHERE r.model_key = :key "
                f"ORDER BY r.updated_at DESC LIMIT 1) {_LACKING} "
                f"AND {_FAILED.format('r.next_at')} > :now",
                key,
            ).fetchone()
        return ReanalysisWait(int(pending), int(waiting), error if waiting else None)

    def reanalysis_failed(self, track_id: int, model_key: str, error: str, next_at: float) -> None:
        """Record a failed try to analyse a track under ``model_key``; the next is due at
        ``next_at``."""
        now = time.time()
        with self.write() as conn:
            conn.execute(
                "INSERT INTO reanalyses (track_id, model_key, failures, last_error, next_at, "
                "updated_at) VALUES (?, ?, 1, ?, ?, ?) ON CONFLICT (track_id, model_key) DO "
                "UPDATE SET failures = failures + 1, last_error = excluded.last_error, "
                "next_at = excluded.next_at, updated_at = excluded.updated_at",
                (track_id, model_key, error, next_at, now),
            )

    def release_reanalyses(self, now: float | None = None) -> int:
        """Make every re-analysis waiting after a failed try due now (``tastebud retry``);
        how many waited. Their failures still count toward the next wait."""
        now = time.time() if now is None else now
        with self.write() as conn:
            return conn.execute(
                "UPDATE reanalyses SET next_at = ?, updated_at = ? WHERE next_at > ?",
                (now, now, now),
            ).rowcount

    def reanalysis_done(self, track_id: int, model_key: str) -> None:
        """Forget the failed tries of a track now analysed under ``model_key``."""
        with self.write() as conn:
            conn.execute(
                "DELETE FROM reanalyses WHERE track_id = ? AND model_key = ?",
                (track_id, model_key),
            )
