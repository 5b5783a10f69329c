"""The SQLite store: one file, WAL mode, numbered migrations, short transactions.

Writers take ``BEGIN IMMEDIATE`` so two writers queue on ``busy_timeout``
instead of failing half-way; readers use short deferred transactions so the
WAL can be checkpointed. The connection is shared by the daemon's job threads
behind one lock.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from store.errors import SchemaTooNewError, StoreError, TastebudError
from store.identity import match_key, normalize_text, normalize_url, youtube_video_id
from store.records import (
    FeedbackEvent,
    FeedbackKind,
    IngestResult,
    ListenIn,
    ModelRecord,
    QueueEntry,
    RunRecord,
    Track,
    TrackRef,
    TrackState,
)
from store.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["BUSY_TIMEOUT_MS", "Store"]

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
_TRACK_COLUMNS = (
    "id, artist, title, album, duration, url, source, match_key, first_seen, state, "
    "attempts, last_error, next_retry_at, match_confidence"
)


def _track(row: Sequence[Any]) -> Track:
    return Track(*row)


class Store:
    """tastebud's database. Open with :meth:`Store.open`; use as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.path = path
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()

    # -- opening, transactions, migrations -------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, readonly: bool = False) -> Store:
        """Open (creating if needed) and migrate the database at ``path``."""
        path = Path(path).expanduser()
        try:
            if not readonly:
                path.parent.mkdir(parents=True, exist_ok=True)
            conn = _connect(path, readonly)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from exc
        store = cls(conn, path)
        try:
            if not readonly:
                store.migrate()
            else:
                store._check_version(store.schema_version())
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"cannot migrate database {path}: {exc}") from exc
        except StoreError:
            conn.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection; the last writer's close also removes ``-wal`` and ``-shm``."""
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``), committed on success, rolled back on error."""
        with self._lock:
            _execute(self.conn, "BEGIN IMMEDIATE", self.path)
            try:
                yield self.conn
            except BaseException as exc:
                if self.conn.in_transaction:  # SQLite may have rolled back already
                    self.conn.execute("ROLLBACK")
                if _environmental(exc):
                    raise _store_error(self.path, exc) from exc
                raise
            try:
                self.conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise _store_error(self.path, exc) from exc

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A short read transaction: one consistent snapshot."""
        with self._lock:
            _execute(self.conn, "BEGIN", self.path)
            try:
                yield self.conn
            except sqlite3.DatabaseError as exc:
                if _environmental(exc):
                    raise _store_error(self.path, exc) from exc
                raise
            finally:
                if self.conn.in_transaction:
                    self.conn.execute("COMMIT")

    def schema_version(self) -> int:
        """The schema version recorded in the file (0 for an empty file)."""
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> int:
        """Apply pending migrations, each in its own transaction; return the final version.

        The version is read again inside each write transaction: another process (the
        dashboard, a second command) may be migrating the same new file at the same time.
        """
        self._check_version(self.schema_version())
        while True:
            with self.write() as conn:
                current = self.schema_version()
                self._check_version(current)
                if current >= SCHEMA_VERSION:
                    return SCHEMA_VERSION
                _apply_migration(conn, current + 1)
            logger.info("database %s migrated to schema version %d", self.path, current + 1)

    def _check_version(self, current: int) -> None:
        if current > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"database {self.path} has schema version {current}, newer than this tastebud "
                f"understands ({SCHEMA_VERSION}): upgrade tastebud or point [storage] dir elsewhere"
            )

    def quick_check(self) -> str:
        """``PRAGMA quick_check``: 'ok' or the first problem found."""
        with self.read() as conn:
            return str(conn.execute("PRAGMA quick_check").fetchone()[0])

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check``: 'ok' or the first problem found."""
        with self.read() as conn:
            return str(conn.execute("PRAGMA integrity_check").fetchone()[0])

    def optimize(self) -> None:
        """``PRAGMA optimize`` and a passive WAL checkpoint."""
        with self._lock:
            self.conn.execute("PRAGMA optimize")
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def backup(self, target: Path) -> None:
        """A consistent copy of the database at ``target`` (``VACUUM INTO``), replacing it."""
        tmp = target.with_name(target.name + ".tmp")
        tmp.unlink(missing_ok=True)
        with self._lock:
            self.conn.execute("VACUUM INTO ?", (str(tmp),))
        tmp.replace(target)

    # -- tracks ------------------------------------------------------------------------------

    def upsert_track(self, ref: TrackRef, *, now: float | None = None) -> int:
        """Resolve ``ref`` to a track id, merging with an existing track or inserting one."""
        with self.write() as conn:
            return _upsert_track(conn, ref, now or time.time())

    def get_track(self, track_id: int) -> Track | None:
        """The track with this id, or None."""
        with self.read() as conn:
            row = conn.execute(
                f"SELECT {_TRACK_COLUMNS} FROM tracks WHERE id = ?", (track_id,)
            ).fetchone()
        return _track(row) if row else None

    def find_tracks(self, text: str) -> list[Track]:
        """Tracks matching a track id, a URL, or ``Artist - Title``."""
        with self.read() as conn:
            ids = _find_track_ids(conn, text.strip())
            return [_track(r) for r in _select_tracks(conn, ids)]

    def tracks(self, state: TrackState | None = None, limit: int | None = None) -> list[Track]:
        """Tracks, optionally of one fetch state, oldest first."""
        sql = f"SELECT {_TRACK_COLUMNS} FROM tracks"
        args: list[Any] = []
        if state:
            sql += " WHERE state = ?"
            args.append(state)
        sql += " ORDER BY id" + (f" LIMIT {int(limit)}" if limit else "")
        with self.read() as conn:
            return [_track(r) for r in conn.execute(sql, args)]

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
                f"SELECT {_TRACK_COLUMNS} FROM tracks WHERE state = 'new' "
                "AND (next_retry_at IS NULL OR next_retry_at <= ?) ORDER BY "
                "(SELECT count(*) FROM listens l WHERE l.track_id = tracks.id) DESC, id LIMIT ?",
                (now, limit),
            ).fetchall()
            conn.executemany(
                "UPDATE tracks SET state = 'fetching', attempts = attempts + 1, updated_at = ? "
                "WHERE id = ?",
                [(now, r[0]) for r in rows],
            )
        return [_track(r) for r in rows]

    def backlog(self) -> int:
        """How many tracks wait to be fetched, due now or later."""
        with self.read() as conn:
            return int(
                conn.execute("SELECT count(*) FROM tracks WHERE state = 'new'").fetchone()[0]
            )

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

    def counts(self) -> dict[str, int]:
        """Row counts of the tables that drive training: cheap change detection."""
        tables = ("tracks", "listens", "feedback", "embeddings", "feed_items", "queue_state")
        with self.read() as conn:
            return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables}

    # -- listens -----------------------------------------------------------------------------

    def add_listens(self, listens: Iterable[ListenIn], source: str) -> IngestResult:
        """Store listens in one transaction; a listen already stored is counted, not repeated."""
        inserted = duplicates = 0
        now = time.time()
        with self.write() as conn:
            for listen in listens:
                track_id = _upsert_track(conn, listen.track, now)
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
                "SELECT l.listened_at, l.source, "
                + ", ".join(f"t.{c.strip()}" for c in _TRACK_COLUMNS.split(","))
                + " FROM listens l JOIN tracks t ON t.id = l.track_id "
                "ORDER BY l.listened_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [(_track(r[2:]), int(r[0]), str(r[1])) for r in rows]

    # -- feedback ----------------------------------------------------------------------------

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
        return (
            self.add_feedback_many(
                [(kind, origin, track, artist, created_at or time.time())], pushed=pushed
            ).inserted
            == 1
        )

    def add_feedback_many(
        self,
        events: Iterable[tuple[FeedbackKind, str, TrackRef | int | None, str | None, float]],
        *,
        pushed: bool = False,
    ) -> IngestResult:
        """Store (kind, origin, track, artist, created_at) events in one transaction."""
        inserted = duplicates = 0
        now = time.time()
        with self.write() as conn:
            for kind, origin, track, artist, created_at in events:
                track_id = _upsert_track(conn, track, now) if isinstance(track, TrackRef) else track
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
        unpushed_origin: str | None = None,
        limit: int | None = None,
    ) -> list[FeedbackEvent]:
        """Feedback events, newest first; optionally only those of an origin not yet pushed."""
        sql = "SELECT kind, origin, created_at, track_id, artist, id, pushed_at FROM feedback"
        args: list[Any] = []
        if unpushed_origin:
            sql += " WHERE origin = ? AND pushed_at IS NULL"
            args.append(unpushed_origin)
        sql += " ORDER BY created_at DESC, id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        with self.read() as conn:
            return [FeedbackEvent(*r) for r in conn.execute(sql, args)]

    def mark_feedback_pushed(self, ids: Iterable[int]) -> None:
        """Record that these feedback events were pushed to a remote service."""
        with self.write() as conn:
            conn.executemany(
                "UPDATE feedback SET pushed_at = ? WHERE id = ?", [(time.time(), i) for i in ids]
            )

    def blocked_artists(self) -> set[str]:
        """Normalized names of blocked artists."""
        with self.read() as conn:
            rows = conn.execute("SELECT artist FROM feedback WHERE kind = 'block'").fetchall()
        return {normalize_text(r[0]) for r in rows}

    # -- feeds -------------------------------------------------------------------------------

    def add_feed_items(self, feed: str, refs: Sequence[TrackRef]) -> IngestResult:
        """Record the tracks a feed offers (in feed order) in one transaction."""
        inserted = duplicates = 0
        now = time.time()
        with self.write() as conn:
            for position, ref in enumerate(refs):
                track_id = _upsert_track(conn, ref, now)
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

    # -- embeddings --------------------------------------------------------------------------

    def put_embedding(
        self, track_id: int, model_key: str, features: np.ndarray, tags: np.ndarray
    ) -> None:
        """Store per-patch features (float16) and tag probabilities (float32) for a track."""
        features = np.ascontiguousarray(features, dtype=np.float16)
        tags = np.ascontiguousarray(tags, dtype=np.float32)
        if features.ndim != 2 or tags.ndim != 2 or features.shape[0] != tags.shape[0]:
            raise StoreError(
                f"embedding of track {track_id}: features {features.shape} and tags "
                f"{tags.shape} must be (patches, dim) with the same number of patches"
            )
        with self.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO embeddings (track_id, model_key, n_patches, features, "
                "feature_dim, tags, tag_dim, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    track_id,
                    model_key,
                    features.shape[0],
                    features.tobytes(),
                    features.shape[1],
                    tags.tobytes(),
                    tags.shape[1],
                    time.time(),
                ),
            )

    def get_embedding(self, track_id: int, model_key: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(features, tags) of a track, or None when not computed."""
        for _, features, tags in self.iter_embeddings(model_key, [track_id]):
            return features, tags
        return None

    def iter_embeddings(
        self, model_key: str, track_ids: Sequence[int] | None = None, chunk: int = 1024
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """Yield (track id, features, tags) in chunks of short read transactions."""
        if track_ids is None:
            with self.read() as conn:
                track_ids = [
                    int(r[0])
                    for r in conn.execute(
                        "SELECT track_id FROM embeddings WHERE model_key = ? ORDER BY track_id",
                        (model_key,),
                    )
                ]
        rows = self._embedding_rows(
            "n_patches, features, feature_dim, tags, tag_dim", model_key, track_ids, chunk
        )
        for track_id, n, feats, fdim, tags, tdim in rows:
            yield (
                int(track_id),
                np.frombuffer(feats, dtype=np.float16).reshape(n, fdim),
                np.frombuffer(tags, dtype=np.float32).reshape(n, tdim),
            )

    def _embedding_rows(
        self, columns: str, model_key: str, track_ids: Sequence[int], chunk: int
    ) -> Iterator[tuple[Any, ...]]:
        """``track_id, <columns>`` of ``track_ids``' embeddings, by track id, one short read
        transaction per ``chunk`` ids."""
        for start in range(0, len(track_ids), chunk):
            ids = list(track_ids[start : start + chunk])
            marks = ",".join("?" * len(ids))
            with self.read() as conn:
                rows = conn.execute(
                    f"SELECT track_id, {columns} FROM embeddings "
                    f"WHERE model_key = ? AND track_id IN ({marks}) ORDER BY track_id",
                    (model_key, *ids),
                ).fetchall()
            yield from rows

    def embedded_ids(self, model_key: str) -> set[int]:
        """Ids of tracks with an embedding under ``model_key``."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT track_id FROM embeddings WHERE model_key = ?", (model_key,)
            ).fetchall()
        return {int(r[0]) for r in rows}

    # -- models and scores -------------------------------------------------------------------

    def add_model(
        self,
        *,
        parent: int | None,
        hparams: dict[str, object],
        n_train: int,
        n_val: int,
        metrics: dict[str, float],
        checkpoint: str,
    ) -> int:
        """Record a trained model version (not yet promoted); returns its version number."""
        with self.write() as conn:
            cur = conn.execute(
                "INSERT INTO models (parent, created_at, hparams, n_train, n_val, metrics, "
                "checkpoint) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    parent,
                    time.time(),
                    json.dumps(hparams, sort_keys=True),
                    n_train,
                    n_val,
                    json.dumps(metrics, sort_keys=True),
                    checkpoint,
                ),
            )
            return int(cur.lastrowid or 0)

    def promote(self, version: int) -> None:
        """Make ``version`` the champion."""
        with self.write() as conn:
            conn.execute("UPDATE models SET promoted = 0 WHERE promoted = 1")
            conn.execute(
                "UPDATE models SET promoted = 1, promoted_at = ? WHERE version = ?",
                (time.time(), version),
            )

    def models(self) -> list[ModelRecord]:
        """Every model version, oldest first."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT version, parent, created_at, hparams, n_train, n_val, metrics, checkpoint,"
                " promoted, promoted_at FROM models ORDER BY version"
            ).fetchall()
        return [_model(r) for r in rows]

    def champion(self) -> ModelRecord | None:
        """The promoted model version, or None while untrained."""
        promoted = [m for m in self.models() if m.promoted]
        return promoted[-1] if promoted else None

    def put_scores(self, model_version: int | None, scores: Iterable[tuple[int, float]]) -> int:
        """Store the current score of each track; returns how many were written."""
        now = time.time()
        rows = [(tid, model_version, float(s), now) for tid, s in scores]
        with self.write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO scores (track_id, model_version, score, scored_at) "
                "VALUES (?, ?, ?, ?)",
                rows,
            )
        return len(rows)

    def scores(self) -> dict[int, float]:
        """Current score of each scored track."""
        with self.read() as conn:
            return {int(t): float(s) for t, s in conn.execute("SELECT track_id, score FROM scores")}

    # -- queue -------------------------------------------------------------------------------

    def queue(self, limit: int = 50, *, per_artist: int = 2, window: int = 50) -> list[QueueEntry]:
        """The ranked queue: ready candidates by score, at most ``per_artist`` per ``window``.

        Excludes listened, disliked and dismissed tracks and blocked artists, and
        merges duplicates of one recording (same match key).
        """
        with self.read() as conn:
            rows = conn.execute(_QUEUE_SQL).fetchall()
            blocked = {
                normalize_text(r[0])
                for r in conn.execute("SELECT artist FROM feedback WHERE kind = 'block'")
            }
        candidates = _dedupe_and_filter(rows, blocked)
        return _diversify(candidates, limit, per_artist, window)

    def mark_exported(self, track_ids: Iterable[int], playlist: str) -> None:
        """Record the first export of each track (when, where): the skip grace period runs
        from it, so refreshing a playlist does not restart it."""
        now = time.time()
        with self.write() as conn:
            conn.executemany(
                "INSERT INTO queue_state (track_id, queued_at, exported_at, exported_to) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(track_id) DO UPDATE SET "
                "exported_at = coalesce(queue_state.exported_at, excluded.exported_at), "
                "exported_to = coalesce(queue_state.exported_to, excluded.exported_to)",
                [(t, now, now, playlist) for t in track_ids],
            )

    def mark_queued(self, track_ids: Iterable[int]) -> None:
        """Record when tracks first entered the queue."""
        now = time.time()
        with self.write() as conn:
            conn.executemany(
                "INSERT INTO queue_state (track_id, queued_at) VALUES (?, ?) "
                "ON CONFLICT(track_id) DO NOTHING",
                [(t, now) for t in track_ids],
            )

    def queue_states(self) -> dict[int, dict[str, Any]]:
        """Queue state per track: queued_at, exported_at, exported_to."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT track_id, queued_at, exported_at, exported_to FROM queue_state"
            ).fetchall()
        return {
            int(r[0]): {"queued_at": r[1], "exported_at": r[2], "exported_to": r[3]} for r in rows
        }

    # -- runs and cursors --------------------------------------------------------------------

    def start_run(self, job: str) -> int:
        """Record that a job started; returns the run id."""
        with self.write() as conn:
            cur = conn.execute(
                "INSERT INTO runs (job, started_at) VALUES (?, ?)", (job, time.time())
            )
            return int(cur.lastrowid or 0)

    def finish_run(
        self,
        run_id: int,
        status: str,
        counts: dict[str, int] | None = None,
        error: str | None = None,
    ) -> None:
        """Record how a run ended."""
        with self.write() as conn:
            conn.execute(
                "UPDATE runs SET finished_at = ?, status = ?, counts = ?, error = ? WHERE id = ?",
                (time.time(), status, json.dumps(counts or {}), error, run_id),
            )

    @contextmanager
    def recorded_run(self, job: str) -> Iterator[RunOutcome]:
        """Record one run of ``job``: started now, finished when the block ends.

        The block fills in the yielded outcome (counts, and a status or error when it is not
        a plain success). An exception escaping the block finishes the run as failed, with
        the exception as its error, and propagates.
        """
        run_id = self.start_run(job)
        outcome = RunOutcome()
        try:
            yield outcome
        except BaseException as exc:
            self.finish_run(run_id, "failed", {}, _describe(exc))
            raise
        self.finish_run(run_id, outcome.status, outcome.counts, outcome.error)

    def abort_unfinished_runs(self) -> int:
        """After a crash: runs still marked running are marked aborted."""
        with self.write() as conn:
            return conn.execute(
                "UPDATE runs SET status = 'aborted', finished_at = ? WHERE status = 'running'",
                (time.time(),),
            ).rowcount

    def runs(self, job: str | None = None, limit: int = 50) -> list[RunRecord]:
        """The newest runs, optionally of one job."""
        sql = "SELECT id, job, started_at, finished_at, status, counts, error FROM runs"
        args: list[Any] = []
        if job:
            sql += " WHERE job = ?"
            args.append(job)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        with self.read() as conn:
            rows = conn.execute(sql, args).fetchall()
        return [RunRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6]) for r in rows]

    def get_cursor(self, source: str) -> str | None:
        """The stored polling position of a source."""
        with self.read() as conn:
            row = conn.execute("SELECT value FROM cursors WHERE source = ?", (source,)).fetchone()
        return str(row[0]) if row else None

    def set_cursor(self, source: str, value: str, conn: sqlite3.Connection | None = None) -> None:
        """Store a source's polling position (inside ``conn``'s transaction when given)."""
        sql = (
            "INSERT INTO cursors (source, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(source) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at"
        )
        if conn is not None:
            conn.execute(sql, (source, value, time.time()))
            return
        with self.write() as c:
            c.execute(sql, (source, value, time.time()))

    # -- dashboard and export queries --------------------------------------------------------

    def mean_tags(
        self, model_key: str, track_ids: Sequence[int], chunk: int = 500
    ) -> dict[int, np.ndarray]:
        """Tag probabilities averaged over patches, per track (reads no features)."""
        rows = self._embedding_rows("n_patches, tags, tag_dim", model_key, track_ids, chunk)
        return {
            int(track_id): np.frombuffer(tags, np.float32).reshape(n, dim).mean(axis=0)
            for track_id, n, tags, dim in rows
        }

    def last_runs(self) -> dict[str, RunRecord]:
        """The newest run of each job."""
        with self.read() as conn:
            rows = conn.execute(
                "SELECT id, job, started_at, finished_at, status, counts, error FROM runs "
                "WHERE id IN (SELECT max(id) FROM runs GROUP BY job) ORDER BY job"
            ).fetchall()
        return {r[1]: RunRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6]) for r in rows}

    def track_errors(self, limit: int = 5) -> list[tuple[Track, float]]:
        """Tracks whose last fetch failed, with when, newest first."""
        with self.read() as conn:
            rows = conn.execute(
                f"SELECT {_TRACK_COLUMNS}, updated_at FROM tracks WHERE last_error IS NOT NULL "
                "ORDER BY updated_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [(_track(r[:14]), float(r[14])) for r in rows]

    # -- taste model queries -----------------------------------------------------------------

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

    # -- end of taste model queries ------------------------------------------------------------


# -- helpers -------------------------------------------------------------------------------


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    conn = sqlite3.connect(
        uri,
        uri=True,
        isolation_level=None,
        check_same_thread=False,
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA journal_size_limit = 67108864")  # shrink the WAL after checkpoints
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _apply_migration(conn: sqlite3.Connection, version: int) -> None:
    for statement in MIGRATIONS[version - 1]:
        conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")


def _environmental(exc: BaseException) -> bool:
    """A full disk, a lock, permissions or corruption: not a bug in the statement."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


def _store_error(path: Path, exc: BaseException) -> StoreError:
    """One line naming the database, what went wrong and the fix; nothing committed is lost."""
    text = str(exc)
    if "full" in text:
        fix = f"free space on the filesystem holding {path.parent}"
    elif "locked" in text or "busy" in text:
        fix = "another process holds a write lock for too long; stop it or retry"
    elif "readonly" in text or "read-only" in text:
        fix = f"give this user write access to {path.parent} and the files in it"
    elif "malformed" in text or "not a database" in text:
        fix = "move it aside and restore a backup ([storage] backup = true keeps one)"
    else:
        fix = "see `tastebud doctor`"
    return StoreError(f"database {path}: {text}: {fix}; what was stored before is kept")


def _execute(conn: sqlite3.Connection, sql: str, path: Path) -> None:
    try:
        conn.execute(sql)
    except sqlite3.OperationalError as exc:
        raise _store_error(path, exc) from exc


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


def _upsert_track(conn: sqlite3.Connection, ref: TrackRef | None, now: float) -> int:
    if ref is None:
        raise StoreError("a track reference is required")
    ids = _ref_ids(ref)
    key = match_key(ref.artist, ref.title)
    if not ids and not key:
        raise StoreError(f"track from {ref.source} has neither URL, id, nor artist and title")
    track_id = _lookup(conn, ids, key)
    if track_id is None:
        cur = conn.execute(
            "INSERT INTO tracks (artist, title, album, duration, url, source, match_key, "
            "first_seen, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ref.artist,
                ref.title,
                ref.album,
                ref.duration,
                ids.get("url"),
                ref.source,
                key,
                now,
                now,
            ),
        )
        track_id = int(cur.lastrowid or 0)
    else:
        _merge_track(conn, track_id, ref, ids.get("url"), key, now)
    _add_ids(conn, track_id, ids)
    return track_id


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
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return conn.execute(
        f"SELECT {_TRACK_COLUMNS} FROM tracks WHERE id IN ({marks}) ORDER BY id", list(ids)
    ).fetchall()


def _model(row: Sequence[Any]) -> ModelRecord:
    return ModelRecord(
        version=int(row[0]),
        parent=row[1],
        created_at=float(row[2]),
        hparams=json.loads(row[3]),
        n_train=int(row[4]),
        n_val=int(row[5]),
        metrics=json.loads(row[6]),
        checkpoint=str(row[7]),
        promoted=bool(row[8]),
        promoted_at=row[9],
    )


_QUEUE_SQL = f"""
SELECT {", ".join("t." + c.strip() for c in _TRACK_COLUMNS.split(","))},
       s.score, s.model_version,
       (SELECT f.feed FROM feed_items f WHERE f.track_id = t.id ORDER BY f.offered_at LIMIT 1),
       (SELECT min(f.offered_at) FROM feed_items f WHERE f.track_id = t.id),
       (SELECT min(f.position) FROM feed_items f WHERE f.track_id = t.id)
FROM tracks t
LEFT JOIN scores s ON s.track_id = t.id
WHERE t.state = 'ready'
  AND EXISTS (SELECT 1 FROM feed_items f WHERE f.track_id = t.id)
  AND NOT EXISTS (SELECT 1 FROM listens l WHERE l.track_id = t.id)
  AND NOT EXISTS (SELECT 1 FROM feedback b WHERE b.track_id = t.id
                  AND b.kind IN ('dislike', 'dismiss'))
ORDER BY s.score IS NULL, s.score DESC, 19, t.id
"""

_Candidate = tuple[Track, float | None, int | None, str | None, float | None]


def _dedupe_and_filter(rows: Sequence[Any], blocked: set[str]) -> list[_Candidate]:
    seen: set[str] = set()
    out: list[_Candidate] = []
    for row in rows:
        track = _track(row[:14])
        if track.artist and normalize_text(track.artist) in blocked:
            continue
        key = track.match_key or f"id:{track.id}"
        if key in seen:
            continue
        seen.add(key)
        out.append((track, row[14], row[15], row[16], row[17]))
    return out


def _artist_of(track: Track) -> str:
    return normalize_text(track.artist or "") or f"id:{track.id}"


def _diversify(
    candidates: list[_Candidate], limit: int, per_artist: int, window: int
) -> list[QueueEntry]:
    """Greedy pick by score so that no ``window`` consecutive entries hold an artist more
    than ``per_artist`` times; a deferred track comes back as soon as it fits."""
    picked: list[_Candidate] = []
    pending = list(candidates)
    while pending and len(picked) < limit:
        recent = [_artist_of(c[0]) for c in picked[-(window - 1) :]] if window > 1 else []
        index = next(
            (i for i, c in enumerate(pending) if recent.count(_artist_of(c[0])) < per_artist),
            None,
        )
        if index is None:
            break
        picked.append(pending.pop(index))
    return [
        QueueEntry(
            rank=i + 1, track=c[0], score=c[1], model_version=c[2], feed=c[3], offered_at=c[4]
        )
        for i, c in enumerate(picked)
    ]


@dataclass
class RunOutcome:
    """How a recorded run ended, as the block running it sets it."""

    counts: dict[str, int] = field(default_factory=dict)
    status: str = "ok"
    error: str | None = None

    def fail(self, error: str) -> None:
        """Mark the run failed without raising."""
        self.status, self.error = "failed", error


def _describe(exc: BaseException) -> str:
    """A run's error text: the project's errors by message, anything else with its type."""
    if isinstance(exc, TastebudError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
