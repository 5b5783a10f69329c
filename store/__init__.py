"""tastebud's SQLite store: schema, tracks, listens, feedback, models, scores, queue.

:class:`Store` (``db``) is the facade over one connection (``connection``); the schema
(``schema``) and its numbered migrations (``migrations``); tracks and their identity
(``tracks``, ``identity``), listens and feedback (``listens``), per-track features
(``embeddings``), model versions and their scores (``model_versions``), the prequential
record and what ranks the queue (``evidence``), the candidates and the queue (``queue``,
its rules in ``ranking``, its reasons in ``reasons``), job runs and cursors (``runs``,
who runs them in ``processes``), the library folder's manifest (``library``), recording
MBIDs looked up by name (``lookups``), feature coverage per key and re-analysis under a
new one (``reanalysis``), what candidate discovery must leave out
(``discovery``), the typed records that cross this surface (``records``), the root of
the exception tree (``errors``) and lazy package surfaces (``lazy``).
"""

from __future__ import annotations

from store.db import BUSY_TIMEOUT_MS, RunOutcome, Store, backup_path, corruption_fix
from store.errors import SchemaTooNewError, StoreError, TastebudError
from store.evidence import Evidence, Ranker, RankerState
from store.identity import match_key, normalize_text, normalize_url, youtube_video_id
from store.lazy import lazy_getattr
from store.library import LibraryFile
from store.reanalysis import Coverage, ReanalysisWait
from store.records import (
    FEEDBACK_KINDS,
    TRACK_STATES,
    ArtistShare,
    Because,
    FeedbackEvent,
    FeedbackKind,
    IngestResult,
    Like,
    ListenIn,
    ModelRecord,
    QueueEntry,
    RunRecord,
    Track,
    TrackRef,
    TrackState,
)
from store.schema import SCHEMA_VERSION
from store.tracks import RetryWait

__all__ = [
    "BUSY_TIMEOUT_MS",
    "FEEDBACK_KINDS",
    "SCHEMA_VERSION",
    "TRACK_STATES",
    "ArtistShare",
    "Because",
    "Coverage",
    "Evidence",
    "FeedbackEvent",
    "FeedbackKind",
    "IngestResult",
    "LibraryFile",
    "Like",
    "ListenIn",
    "ModelRecord",
    "QueueEntry",
    "Ranker",
    "RankerState",
    "ReanalysisWait",
    "RetryWait",
    "RunOutcome",
    "RunRecord",
    "SchemaTooNewError",
    "Store",
    "StoreError",
    "TastebudError",
    "Track",
    "TrackRef",
    "TrackState",
    "backup_path",
    "corruption_fix",
    "lazy_getattr",
    "match_key",
    "normalize_text",
    "normalize_url",
    "youtube_video_id",
]
