"""The schema, as the SQL of each released version: version N is the first N steps.

:mod:`store.migrations` applies the steps a database lacks. Never edit a
released step: append a new one (its name is recorded in the database).
"""

from __future__ import annotations

__all__ = ["SCHEMA_VERSION", "VERSIONS"]

_V1 = [
    """
    CREATE TABLE tracks (
        id INTEGER PRIMARY KEY,
        artist TEXT,
        title TEXT,
        album TEXT,
        duration REAL,
        url TEXT,
        source TEXT NOT NULL,
        match_key TEXT,
        first_seen REAL NOT NULL,
        state TEXT NOT NULL DEFAULT 'new'
            CHECK (state IN ('new', 'fetching', 'ready', 'failed', 'unmatched', 'skipped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_retry_at REAL,
        match_confidence REAL,
        updated_at REAL NOT NULL
    )
    """,
    "CREATE INDEX tracks_match_key ON tracks(match_key)",
    "CREATE UNIQUE INDEX tracks_url ON tracks(url) WHERE url IS NOT NULL",
    "CREATE INDEX tracks_state ON tracks(state, next_retry_at)",
    """
    CREATE TABLE track_ids (
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        PRIMARY KEY (kind, value)
    )
    """,
    "CREATE INDEX track_ids_track ON track_ids(track_id)",
    """
    CREATE TABLE listens (
        id INTEGER PRIMARY KEY,
        track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        listened_at INTEGER NOT NULL,
        source TEXT NOT NULL,
        duration_played REAL,
        UNIQUE (source, track_id, listened_at)
    )
    """,
    "CREATE INDEX listens_time ON listens(listened_at)",
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        job TEXT NOT NULL,
        started_at REAL NOT NULL,
        finished_at REAL,
        status TEXT NOT NULL DEFAULT 'running'
            CHECK (status IN ('running', 'ok', 'failed', 'skipped', 'aborted')),
        counts TEXT NOT NULL DEFAULT '{}',
        error TEXT
    )
    """,
    "CREATE INDEX runs_job ON runs(job, started_at)",
    """
    CREATE TABLE cursors (
        source TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at REAL NOT NULL
    )
    """,
]

# Version 2: feedback, feed items, and everything the taste model keeps.
_V2 = [
    """
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        track_id INTEGER REFERENCES tracks(id) ON DELETE CASCADE,
        artist TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('like', 'dislike', 'dismiss', 'block')),
        origin TEXT NOT NULL,
        created_at REAL NOT NULL,
        pushed_at REAL,
        CHECK ((track_id IS NULL) <> (artist IS NULL))
    )
    """,
    "CREATE UNIQUE INDEX feedback_unique ON feedback"
    "(coalesce(track_id, -1), coalesce(artist, ''), kind, origin, created_at)",
    """
    CREATE TABLE feed_items (
        feed TEXT NOT NULL,
        track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        offered_at REAL NOT NULL,
        position INTEGER,
        PRIMARY KEY (feed, track_id)
    )
    """,
    """
    CREATE TABLE embeddings (
        track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        model_key TEXT NOT NULL,
        n_patches INTEGER NOT NULL,
        features BLOB NOT NULL,
        feature_dim INTEGER NOT NULL,
        tags BLOB NOT NULL,
        tag_dim INTEGER NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (track_id, model_key)
    )
    """,
    """
    CREATE TABLE models (
        version INTEGER PRIMARY KEY,
        parent INTEGER,
        created_at REAL NOT NULL,
        hparams TEXT NOT NULL,
        n_train INTEGER NOT NULL,
        n_val INTEGER NOT NULL,
        metrics TEXT NOT NULL,
        checkpoint TEXT NOT NULL,
        promoted INTEGER NOT NULL DEFAULT 0,
        promoted_at REAL
    )
    """,
    """
    CREATE TABLE scores (
        track_id INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
        model_version INTEGER,
        score REAL NOT NULL,
        scored_at REAL NOT NULL
    )
    """,
    "CREATE INDEX scores_score ON scores(score DESC)",
    """
    CREATE TABLE queue_state (
        track_id INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
        queued_at REAL,
        exported_at REAL,
        exported_to TEXT,
        dismissed_at REAL,
        listened_at REAL
    )
    """,
]

# Version 3: the queue looks up listens, feedback and feed items by track.
_V3 = [
    "CREATE INDEX listens_track ON listens(track_id)",
    "CREATE INDEX feedback_track ON feedback(track_id) WHERE track_id IS NOT NULL",
    "CREATE INDEX feed_items_track ON feed_items(track_id, offered_at)",
]

# Version 4: the library folder's manifest (tastebud deletes only files it wrote), skips
# observed in a player, and which exports count as offered to the listener.
_V4 = [
    """
    CREATE TABLE library_files (
        track_id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        kept INTEGER NOT NULL DEFAULT 0,
        written_at REAL NOT NULL
    )
    """,
    """
    CREATE TABLE skips (
        track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        skipped_at INTEGER NOT NULL,
        source TEXT NOT NULL,
        played_s REAL,
        UNIQUE (source, track_id, skipped_at)
    )
    """,
    "ALTER TABLE queue_state ADD COLUMN counts_skips INTEGER NOT NULL DEFAULT 0",
]
# Version 5: which process runs a job, so that a run whose process was killed is closed.
_V5 = ["ALTER TABLE runs ADD COLUMN owner TEXT"]
# Version 6: why each of the best-scored candidates is queued (JSON: store.records.Because).
_V6 = [
    """
    CREATE TABLE reasons (
        track_id INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
        because TEXT NOT NULL,
        computed_at REAL NOT NULL
    )
    """
]

# Version 7: recording MBIDs looked up by artist and title (ListenBrainz's metadata lookup),
# cached by match key; a NULL recording_mbid is a lookup that found nothing.
_V7 = [
    """
    CREATE TABLE mbid_lookups (
        match_key TEXT PRIMARY KEY,
        recording_mbid TEXT,
        looked_up_at REAL NOT NULL
    )
    """
]

# Version 8: the prequential record (where each new listen stood among the candidates under
# the rankings made before it) and what ranks the queue, switched only on that evidence.
_V8 = [
    """
    CREATE TABLE evidence (
        id INTEGER PRIMARY KEY,
        track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        listened_at REAL NOT NULL,
        ranked_at REAL NOT NULL,
        n_candidates INTEGER NOT NULL,
        model_version INTEGER NOT NULL,
        model_standing REAL NOT NULL,
        similarity_standing REAL NOT NULL,
        challenger_version INTEGER,
        challenger_standing REAL,
        seeded INTEGER NOT NULL DEFAULT 0,
        recorded_at REAL NOT NULL,
        UNIQUE (track_id, model_version)
    )
    """,
    """
    CREATE TABLE ranker_switches (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        ranker TEXT NOT NULL CHECK (ranker IN ('model', 'similarity')),
        reason TEXT NOT NULL,
        after_evidence INTEGER NOT NULL
    )
    """,
]

# Version 9: re-analysis under a new feature model (a ready track fetched again while its old
# features keep ranking): each failed try, so the track waits before the next one.
_V9 = [
    """
    CREATE TABLE reanalyses (
        track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
        model_key TEXT NOT NULL,
        failures INTEGER NOT NULL,
        last_error TEXT,
        next_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (track_id, model_key)
    )
    """,
    "CREATE INDEX embeddings_key ON embeddings(model_key, track_id)",
]

VERSIONS: list[tuple[str, list[str]]] = [
    ("v1_tracks_listens_runs_cursors", _V1),
    ("v2_feedback_feeds_embeddings_models_queue", _V2),
    ("v3_index_by_track", _V3),
    ("v4_library_skips", _V4),
    ("v5_runs_owner", _V5),
    ("v6_reasons", _V6),
    ("v7_mbid_lookups", _V7),
    ("v8_evidence", _V8),
    ("v9_reanalyses", _V9),
]
"""(name, statements) of each schema version, oldest first."""

SCHEMA_VERSION = len(VERSIONS)
