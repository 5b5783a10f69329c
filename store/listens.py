"""Listens and feedback: what was played, liked, disliked, dismissed or blocked.

Both are ingested idempotently: an event already stored is counted as a
duplicate, not stored twice.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import Any

from store.connection import StoreConnection
from store.identity import normalize_text
from store.records import FeedbackEvent, FeedbackKind, IngestResult, ListenIn, Track, TrackRef
from store.tracks import prefixed_track_columns, resolve_track, track_from_row

__all__ = ["FeedbackIn", "ListenStore"]

_EVENT_COLUMNS = "kind, origin, created_at, track_id, artist, id, pushed_at"
# The track feedback that supersedes one another: the newest of these says what a person
# thinks of the track now.
_TRACK_KINDS = "('like', 'dislike', 'dismiss')"

FeedbackIn = tuple[FeedbackKind, str, TrackRef | int | None, str | None, float]
"""A feedback event to store: (kind, origin, track, artist, created_at)."""


class ListenStore(StoreConnection):
    """Listens and feedback events."""

    def add_listens(self, listens: Iterable[ListenIn], source: str) -> IngestResult:
        """Store listens in one transaction; a listen already stored is counted, not repeated."""
        inserted = duplicates = 0
        now = time.time()
        with self.write() as conn:
            for listen in listens:
                track_id = resolve_track(conn, listen.track, now)
                cur = conn.execute(
                    "INSERT OR IGNORE INTO listens (track_id, listened_at, source, duration_played)"
                    " VALUES (?, ?, ?, ?)",
                    (track_id, int(listen.listened_at), source, listen.duration_played),
                )
                inserted += cur.rowcount
                duplicates += 1 - cur.rowcount
        return IngestResult(inserted, duplicates)

    def listens(self, since: float | None = None) -> list[tuple[int, int, str]]:
        """(track id, listened_at, source) of every listen, optionally since a time."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT track_id, listened_at, source FROM listens WHERE listened_at >= ? "
                "ORDER BY listened_at",
                (since or 0,),
            ).fetchall()
        return [(int(t), int(at), str(s)) for t, at, s in rows]

    def recent_listens(self, limit: int = 10) -> list[tuple[Track, int, str]]:
        """The newest listens with their tracks."""
        with self.read() as conn:
            rows = conn.execute(
                f"SELECT l.listened_at, l.source, {prefixed_track_columns('t')} "
                "FROM listens l JOIN tracks t ON t.id = l.track_id "
                "ORDER BY l.listened_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [(track_from_row(r[2:]), int(r[0]), str(r[1])) for r in rows]

    def add_feedback(
        self,
        kind: FeedbackKind,
        origin: str,
        *,
        track: TrackRef | int | None = None,
        artist: str | None = None,
        created_at: float | None = None,
        pushed: bool = False,
    ) -> bool:
        """Store one feedback event; returns False when the same event was already stored."""
        event = (kind, origin, track, artist, created_at or time.time())
        return self.add_feedback_many([event], pushed=pushed).inserted == 1

    def add_feedback_many(
        self, events: Iterable[FeedbackIn], *, pushed: bool = False
    ) -> IngestResult:
        """Store (kind, origin, track, artist, created_at) events in one transaction."""
        inserted = duplicates = 0
        now = time.time()
        with self.write() as conn:
            for kind, origin, track, artist, created_at in events:
                track_id = resolve_track(conn, track, now) if isinstance(track, TrackRef) else track
                cur = conn.execute(
                    "INSERT OR IGNORE INTO feedback (track_id, artist, kind, origin, created_at, "
                    "pushed_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        track_id,
                        artist if track_id is None else None,
                        kind,
                        origin,
                        created_at,
                        now if pushed else None,
                    ),
                )
                inserted += cur.rowcount
                duplicates += 1 - cur.rowcount
        return IngestResult(inserted, duplicates)

    def feedback(
        self,
        *,
        unpushed_origin: str | Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[FeedbackEvent]:
        """Feedback events, newest first; optionally only those of an origin (or of any of
        several) not yet pushed."""
        sql = f"SELECT {_EVENT_COLUMNS} FROM feedback"
        args: list[Any] = []
        if unpushed_origin:
            origins = _origins(unpushed_origin)
            sql += f" WHERE origin IN ({','.join('?' * len(origins))}) AND pushed_at IS NULL"
            args += origins
        sql += " ORDER BY created_at DESC, id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        with self.read() as conn:
            return [FeedbackEvent(*r) for r in conn.execute(sql, args)]

    def mark_feedback_pushed(self, ids: Iterable[int]) -> None:
        """Record that these feedback events were pushed to a remote service."""
        with self.write() as conn:
            conn.executemany(
                "UPDATE feedback SET pushed_at = ? WHERE id = ?", [(time.time(), i) for i in ids]
            )

    def give_feedback(
        self,
        kind: FeedbackKind,
        origin: str,
        *,
        track: int | None = None,
        artist: str | None = None,
    ) -> bool:
        """Store a person's feedback now, once: False (and nothing stored) when the newest
        feedback on that track already is ``kind``, or the artist is already blocked."""
        with self.write() as conn:
            if _already_given(conn, kind, track, artist):
                return False
            conn.execute(
                "INSERT INTO feedback (track_id, artist, kind, origin, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (track, artist if track is None else None, kind, origin, time.time()),
            )
        return True

    def undo_feedback(self, origin: str | Sequence[str]) -> FeedbackEvent | None:
        """Delete the newest feedback event of ``origin`` (or of any of several; a block
        lifts); None when none."""
        origins = _origins(origin)
        with self.write() as conn:
            row = conn.execute(
                f"SELECT {_EVENT_COLUMNS} FROM feedback "
                f"WHERE origin IN ({','.join('?' * len(origins))}) "
                "ORDER BY created_at DESC, id DESC LIMIT 1",
                origins,
            ).fetchone()
            if row is not None:
                conn.execute("DELETE FROM feedback WHERE id = ?", (row[5],))
        return FeedbackEvent(*row) if row is not None else None

    def withdraw_feedback(self, kind: FeedbackKind, origin: str, track: TrackRef) -> int:
        """Delete the ``kind`` events ``origin`` stored on ``track`` (a like taken back where
        it was given, such as a favourite removed on a media server); how many went."""
        with self.write() as conn:
            track_id = resolve_track(conn, track, time.time())
            cur = conn.execute(
                "DELETE FROM feedback WHERE track_id = ? AND kind = ? AND origin = ?",
                (track_id, kind, origin),
            )
        return int(cur.rowcount)

    def unblock_artist(self, artist: str) -> list[str]:
        """Lift every block of ``artist`` (names compare normalized); the names unblocked."""
        wanted = normalize_text(artist)
        with self.write() as conn:
            rows = conn.execute("SELECT id, artist FROM feedback WHERE kind = 'block'").fetchall()
            hits = [(i, name) for i, name in rows if normalize_text(name or "") == wanted]
            conn.executemany("DELETE FROM feedback WHERE id = ?", [(i,) for i, _ in hits])
        return sorted({name for _, name in hits})

    def artist_known(self, artist: str) -> bool:
        """Whether any stored track is by ``artist`` (names compare normalized)."""
        wanted = normalize_text(artist)
        with self.read() as conn:
            rows = conn.execute("SELECT DISTINCT artist FROM tracks WHERE artist IS NOT NULL")
            return any(normalize_text(name) == wanted for (name,) in rows)


def _origins(origin: str | Sequence[str]) -> list[str]:
    return [origin] if isinstance(origin, str) else list(origin)


def _already_given(
    conn: sqlite3.Connection, kind: FeedbackKind, track: int | None, artist: str | None
) -> bool:
    if track is None:
        blocked = conn.execute("SELECT artist FROM feedback WHERE kind = 'block'").fetchall()
        return any(normalize_text(a) == normalize_text(artist or "") for (a,) in blocked)
    newest = conn.execute(
        f"SELECT kind FROM feedback WHERE track_id = ? AND kind IN {_TRACK_KINDS} "
        "ORDER BY created_at DESC, id DESC LIMIT 1",
        (track,),
    ).fetchone()
    return newest is not None and newest[0] == kind
