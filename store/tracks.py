"""Tracks and their identity: resolving references, external ids, fetch states.

A track reached from two places (a listen with artist and title, a feed item
with a URL) resolves to one row: external ids and URLs match exactly, then the
normalized artist/title match key (see :mod:`store.identity`).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from store.connection import StoreConnection, id_chunks
from store.errors import StoreError
from store.identity import artist_key, match_key, normalize_url, youtube_video_id
from store.records import Track, TrackRef, TrackState

__all__ = [
    "TRACK_COLUMNS",
    "TRACK_FIELDS",
    "RetryWait",
    "TrackStore",
    "prefixed_track_columns",
    "resolve_track",
    "track_from_row",
]

TRACK_COLUMNS = (
    "id, artist, title, album, duration, url, source, match_key, first_seen, state, "
    "attempts, last_error, next_retry_at, match_confidence"
)
TRACK_FIELDS = len(TRACK_COLUMNS.split(","))


def track_from_row(row: Sequence[Any]) -> Track:
    """A :class:`Track` from a row selected with :data:`TRACK_COLUMNS`."""
    return Track(*row)


def prefixed_track_columns(alias: str) -> str:
    """:data:`TRACK_COLUMNS` qualified by a table alias, for joins."""
    return ", ".join(f"{alias}.{c.strip()}" for c in TRACK_COLUMNS.split(","))


@dataclass(frozen=True)
class RetryWait:
    """Tracks whose fetch failed transiently and wait for their retry: how many, when the
    first and the last are due, and the newest of their errors."""

    tracks: int
    first_at: float
    last_at: float
    error: str | None


class TrackStore(StoreConnection):
    """Tracks: resolve references to ids, look tracks up, move them through fetch states."""

    def upsert_track(self, ref: TrackRef, *, now: float | None = None) -> int:
        """Resolve ``ref`` to a track id, merging with an existing track or inserting one."""
        with self.write() as conn:
            return resolve_track(conn, ref, now or time.time())

    def get_track(self, track_id: int) -> Track | None:
        """The track with this id, or None."""
        with self.read() as conn:
            row = conn.execute(
                f"SELECT {TRACK_COLUMNS} FROM tracks WHERE id = ?", (track_id,)
            ).fetchone()
        return track_from_row(row) if row else None

    def get_tracks(self, track_ids: Iterable[int]) -> dict[int, Track]:
        """The tracks of these ids that exist, by id: one query per
        :data:`~store.connection.ID_CHUNK` of them."""
        with self.read() as conn:
            rows = _select_tracks(conn, sorted(set(track_ids)))
        return {track.id: track for track in map(track_from_row, rows)}

    def find_tracks(self, text: str) -> list[Track]:
        """Tracks matching a track id, a URL, or ``Artist - Title``."""
        with self.read() as conn:
            ids = _find_track_ids(conn, text.strip())
            return [track_from_row(r) for r in _select_tracks(conn, ids)]

    def tracks(self, state: TrackState | None = None, limit: int | None = None) -> list[Track]:
        """Tracks, optionally of one fetch state, oldest first."""
        sql = f"SELECT {TRACK_COLUMNS} FROM tracks"
        args: list[Any] = []
        if state:
            sql += " WHERE state = ?"
            args.append(state)
        sql += " ORDER BY id" + (f" LIMIT {int(limit)}" if limit else "")
        with self.read() as conn:
            return [track_from_row(r) for r in conn.execute(sql, args)]

    def artists(self, track_ids: set[int]) -> list[tuple[int, str]]:
        """(track id, normalized artist) of each of ``track_ids`` whose artist is known."""
        with self.read() as conn:
            rows = conn.execute("SELECT id, artist FROM tracks WHERE artist IS NOT NULL").fetchall()
        named = ((t, artist_key(name)) for t, name in rows if t in track_ids)
        return [(t, name) for t, name in named if name]

    def track_ids_of(self, track_id: int) -> dict[str, str]:
        """The external identifiers of a track, kind -> value (first per kind)."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT kind, value FROM track_ids WHERE track_id = ? ORDER BY rowid", (track_id,)
            ).fetchall()
        ids: dict[str, str] = {}
        for kind, value in rows:
            ids.setdefault(kind, value)
        return ids

    def claim_for_fetch(self, limit: int, *, now: float | None = None) -> list[Track]:
        """Mark up to ``limit`` due tracks (new, or failed transiently and due) as fetching."""
        now = now or time.time()
        with self.write() as conn:
            rows = conn.execute(
                f"SELECT {TRACK_COLUMNS} FROM tracks WHERE state = 'new' "
                "AND (next_retry_at IS NULL OR next_retry_at <= ?) ORDER BY "
                "(SELECT count(*) FROM listens l WHERE l.track_id = tracks.id) DESC, id LIMIT ?",
                (now, limit),
            ).fetchall()
            conn.executemany(
                "UPDATE tracks SET state = 'fetching', attempts = attempts + 1, updated_at = ? "
                "WHERE id = ?",
                [(now, r[0]) for r in rows],
            )
        return [track_from_row(r) for r in rows]

    def backlog(self, *, due_by: float | None = None) -> int:
        """How many tracks wait to be fetched, due now or later (with ``due_by``: those due
        by then)."""
        sql = "SELECT count(*) FROM tracks WHERE state = 'new'"
        if due_by is not None:
            sql += " AND (next_retry_at IS NULL OR next_retry_at <= ?)"
        with self.read() as conn:
            return int(conn.execute(sql, () if due_by is None else (due_by,)).fetchone()[0])

    def retry_wait(self, now: float | None = None) -> RetryWait | None:
        """The tracks waiting for a retry that is not due yet, or None when none waits."""
        now = now or time.time()
        with self.read() as conn:
            n, first, last = conn.execute(
                "SELECT count(*), min(next_retry_at), max(next_retry_at) FROM tracks "
                "WHERE state = 'new' AND next_retry_at > ?",
                (now,),
            ).fetchone()
            error = conn.execute(
                "SELECT last_error FROM tracks WHERE state = 'new' AND next_retry_at > ? "
                "ORDER BY updated_at DESC LIMIT 1",
                (now,),
            ).fetchone()
        if not n:
            return None
        return RetryWait(int(n), float(first), float(last), error[0] if error else None)

    def release_retries(self, now: float | None = None) -> int:
        """Make every track waiting for a retry due now; returns how many waited."""
        now = now or time.time()
        with self.write() as conn:
            return conn.execute(
                "UPDATE tracks SET next_retry_at = NULL, updated_at = ? "
                "WHERE state = 'new' AND next_retry_at > ?",
                (now, now),
            ).rowcount

    def mark_track(
        self,
        track_id: int,
        state: TrackState,
        *,
        error: str | None = None,
        next_retry_at: float | None = None,
        url: str | None = None,
        match_confidence: float | None = None,
        duration: float | None = None,
    ) -> None:
        """Set a track's fetch state (and optionally its error, retry time, URL, confidence;
        ``duration``, measured from the audio, fills in a duration no source gave)."""
        with self.write() as conn:
            conn.execute(
                "UPDATE tracks SET state = ?, last_error = ?, next_retry_at = ?, "
                "url = coalesce(?, url), match_confidence = coalesce(?, match_confidence), "
                "duration = coalesce(duration, ?), updated_at = ? WHERE id = ?",
                (
                    state,
                    error,
                    next_retry_at,
                    url and normalize_url(url),
                    match_confidence,
                    duration,
                    time.time(),
                    track_id,
                ),
            )
            if url and (vid := youtube_video_id(url)):
                _add_ids(conn, track_id, {"youtube": vid})

    def reset_stuck_fetching(self) -> int:
        """After a crash: tracks left in ``fetching`` go back to ``new``. Returns how many."""
        with self.write() as conn:
            cur = conn.execute(
                "UPDATE tracks SET state = 'new', updated_at = ? WHERE state = 'fetching'",
                (time.time(),),
            )
            return cur.rowcount

    def state_counts(self) -> dict[str, int]:
        """Number of tracks per fetch state."""
        with self.read() as conn:
            rows = conn.execute("SELECT state, count(*) FROM tracks GROUP BY state").fetchall()
        return {state: int(n) for state, n in rows}

    def track_errors(self, limit: int = 5) -> list[tuple[Track, float]]:
        """Tracks whose last fetch failed, with when, newest first."""
        with self.read() as conn:
            rows = conn.execute(
                f"SELECT {TRACK_COLUMNS}, updated_at FROM tracks WHERE last_error IS NOT NULL "
                "ORDER BY updated_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [(track_from_row(r[:TRACK_FIELDS]), float(r[TRACK_FIELDS])) for r in rows]


def resolve_track(conn: sqlite3.Connection, ref: TrackRef | None, now: float) -> int:
    """Inside a write transaction: the id of the track ``ref`` names, inserted if new."""
    if ref is None:
        raise StoreError("a track reference is required")
    ids = _ref_ids(ref)
    key = match_key(ref.artist, ref.title)
    if not ids and not key:
        raise StoreError(f"track from {ref.source} has neither URL, id, nor artist and title")
    track_id = _lookup(conn, ids, key)
    if track_id is None:
        track_id = _insert_track(conn, ref, ids.get("url"), key, now)
    else:
        _merge_track(conn, track_id, ref, ids.get("url"), key, now)
    _add_ids(conn, track_id, ids)
    return track_id


def _insert_track(
    conn: sqlite3.Connection, ref: TrackRef, url: str | None, key: str | None, now: float
) -> int:
    cur = conn.execute(
        "INSERT INTO tracks (artist, title, album, duration, url, source, match_key, "
        "first_seen, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (ref.artist, ref.title, ref.album, ref.duration, url, ref.source, key, now, now),
    )
    return int(cur.lastrowid or 0)


def _merge_track(
    conn: sqlite3.Connection,
    track_id: int,
    ref: TrackRef,
    url: str | None,
    key: str | None,
    now: float,
) -> None:
    if url and conn.execute("SELECT 1 FROM tracks WHERE url = ?", (url,)).fetchone():
        url = None  # this URL is already the primary URL of this or another track
    conn.execute(
        "UPDATE tracks SET artist = coalesce(artist, ?), title = coalesce(title, ?), "
        "album = coalesce(album, ?), duration = coalesce(duration, ?), url = coalesce(url, ?), "
        "match_key = coalesce(match_key, ?), updated_at = ? WHERE id = ?",
        (ref.artist, ref.title, ref.album, ref.duration, url, key, now, track_id),
    )


def _add_ids(conn: sqlite3.Connection, track_id: int, ids: dict[str, str]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO track_ids (kind, value, track_id) VALUES (?, ?, ?)",
        [(k, v, track_id) for k, v in ids.items() if v],
    )


def _ref_ids(ref: TrackRef) -> dict[str, str]:
    ids = {k: str(v) for k, v in ref.ids.items() if v}
    if ref.url:
        ids["url"] = normalize_url(ref.url)
        if vid := youtube_video_id(ref.url):
            ids.setdefault("youtube", vid)
    return ids


def _lookup(conn: sqlite3.Connection, ids: dict[str, str], key: str | None) -> int | None:
    for kind, value in ids.items():
        row = conn.execute(
            "SELECT track_id FROM track_ids WHERE kind = ? AND value = ?", (kind, value)
        ).fetchone()
        if row:
            return int(row[0])
    if key:
        row = conn.execute(
            "SELECT id FROM tracks WHERE match_key = ? ORDER BY id LIMIT 1", (key,)
        ).fetchone()
        if row:
            return int(row[0])
    return None


def _find_track_ids(conn: sqlite3.Connection, text: str) -> list[int]:
    if text.isdigit():
        return [int(text)]
    if "://" in text:
        found = _lookup(conn, _ref_ids(TrackRef(source="cli", url=text)), None)
        return [found] if found else []
    artist, _, title = text.partition(" - ")
    key = match_key(artist, title)
    if not key:
        return []
    rows = conn.execute("SELECT id FROM tracks WHERE match_key = ?", (key,)).fetchall()
    return [int(r[0]) for r in rows]


def _select_tracks(conn: sqlite3.Connection, ids: Sequence[int]) -> list[Any]:
    """The rows of the tracks ``ids`` (sorted) that exist, in their order."""
    rows: list[Any] = []
    for chunk, marks in id_chunks(ids):
        sql = f"SELECT {TRACK_COLUMNS} FROM tracks WHERE id IN ({marks}) ORDER BY id"
        rows += conn.execute(sql, chunk).fetchall()
    return rows
