"""Typed records that cross the store's public surface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "FEEDBACK_KINDS",
    "TRACK_STATES",
    "FeedbackEvent",
    "FeedbackKind",
    "IngestResult",
    "ListenIn",
    "ModelRecord",
    "QueueEntry",
    "RunRecord",
    "Track",
    "TrackRef",
    "TrackState",
]

TrackState = Literal["new", "fetching", "ready", "failed", "unmatched", "skipped"]
TRACK_STATES: tuple[TrackState, ...] = (
    "new",
    "fetching",
    "ready",
    "failed",
    "unmatched",
    "skipped",
)
FeedbackKind = Literal["like", "dislike", "dismiss", "block"]
FEEDBACK_KINDS: tuple[FeedbackKind, ...] = ("like", "dislike", "dismiss", "block")


@dataclass(frozen=True)
class TrackRef:
    """What a source knows of a recording; :meth:`Store.upsert_track` resolves it to a track.

    ``ids`` maps an identifier kind (``recording_mbid``, ``recording_msid``,
    ``youtube``, ``spotify``, ...) to its value.
    """

    source: str
    artist: str | None = None
    title: str | None = None
    album: str | None = None
    duration: float | None = None
    url: str | None = None
    ids: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Track:
    """A row of the tracks table."""

    id: int
    artist: str | None
    title: str | None
    album: str | None
    duration: float | None
    url: str | None
    source: str
    match_key: str | None
    first_seen: float
    state: TrackState
    attempts: int
    last_error: str | None
    next_retry_at: float | None
    match_confidence: float | None

    @property
    def label(self) -> str:
        """``Artist - Title`` for humans, falling back to the URL or the id."""
        if self.artist and self.title:
            return f"{self.artist} - {self.title}"
        return self.title or self.url or f"track {self.id}"


@dataclass(frozen=True)
class ListenIn:
    """One listen to ingest: a track reference and when it was played (UTC epoch seconds)."""

    track: TrackRef
    listened_at: int
    duration_played: float | None = None


@dataclass(frozen=True)
class IngestResult:
    """How many items an ingest stored, and how many were already there."""

    inserted: int = 0
    duplicates: int = 0

    def __add__(self, other: IngestResult) -> IngestResult:
        return IngestResult(self.inserted + other.inserted, self.duplicates + other.duplicates)


@dataclass(frozen=True)
class FeedbackEvent:
    """A like, dislike, dismiss (of a track) or block (of an artist)."""

    kind: FeedbackKind
    origin: str
    created_at: float
    track_id: int | None = None
    artist: str | None = None
    id: int | None = None
    pushed_at: float | None = None


@dataclass(frozen=True)
class ModelRecord:
    """A trained taste-model version."""

    version: int
    parent: int | None
    created_at: float
    hparams: dict[str, object]
    n_train: int
    n_val: int
    metrics: dict[str, float]
    checkpoint: str
    promoted: bool
    promoted_at: float | None

    @property
    def n_labels(self) -> int:
        """Every label of its training cycle: training and validation, weak ones included."""
        return int(self.metrics.get("n_labels", self.n_train + self.n_val))


@dataclass(frozen=True)
class QueueEntry:
    """A ranked candidate in the queue."""

    rank: int
    track: Track
    score: float | None
    model_version: int | None
    feed: str | None
    offered_at: float | None


@dataclass(frozen=True)
class RunRecord:
    """One run of a daemon job: the dashboard's health feed."""

    id: int
    job: str
    started_at: float
    finished_at: float | None
    status: str
    counts: dict[str, int]
    error: str | None
