"""Typed records that cross the store's public surface."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "FEEDBACK_KINDS",
    "TRACK_STATES",
    "ArtistShare",
    "Because",
    "FeedbackEvent",
    "FeedbackKind",
    "IngestResult",
    "Like",
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
class Like:
    """A listened or liked track that a queued one is close to (cosine ``similarity``)."""

    artist: str | None
    title: str | None
    track_id: int
    last_played_at: float | None
    similarity: float

    def text(self, now: float) -> str:
        """``Artist - Title, played 3 d ago`` (the last part only when it was played)."""
        if self.artist and self.title:
            label = f"{self.artist} - {self.title}"
        else:
            label = self.title or self.artist or f"track {self.track_id}"
        if self.last_played_at is None:
            return label
        return f"{label}, played {_ago(now - self.last_played_at)}"


@dataclass(frozen=True)
class ArtistShare:
    """A queued track's artist, and the share of the last week's listening that went to
    other tracks of that artist (0-1)."""

    name: str
    share: float

    def text(self) -> str:
        """``Artist: 35% of this week's listening``."""
        return f"{self.name}: {self.share:.0%} of this week's listening"


@dataclass(frozen=True)
class Because:
    """Why a track is queued: what it is closest to of what was listened or liked, its
    artist where much of the recent listening went to that artist, and its top tags."""

    like: tuple[Like, ...] = ()
    tags: tuple[str, ...] = ()
    artist: ArtistShare | None = None

    def text(self, now: float) -> str:
        """``sounds like A - B, played 3 d ago; C - D, played 5 weeks ago · A: 35% of
        this week's listening · ambient``."""
        parts = []
        if self.like:
            parts.append("sounds like " + "; ".join(like.text(now) for like in self.like))
        if self.artist:
            parts.append(self.artist.text())
        if self.tags:
            parts.append(", ".join(self.tags))
        return " · ".join(parts)

    def fields(self) -> dict[str, Any]:
        """``like`` (a list of objects), ``tags`` and ``artist`` (an object or null): what
        the store keeps, as JSON."""
        artist = asdict(self.artist) if self.artist else None
        return {
            "like": [asdict(like) for like in self.like],
            "tags": list(self.tags),
            "artist": artist,
        }

    def as_json(self, now: float) -> dict[str, Any]:
        """:meth:`fields` and the ``text`` at ``now``."""
        return {**self.fields(), "text": self.text(now)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Because:
        """The reason :meth:`fields` (or :meth:`as_json`) wrote; ``text`` is ignored."""
        likes = tuple(
            Like(
                artist=item.get("artist"),
                title=item.get("title"),
                track_id=int(item["track_id"]),
                last_played_at=_float_or_none(item.get("last_played_at")),
                similarity=float(item["similarity"]),
            )
            for item in data.get("like") or ()
        )
        tags = tuple(str(t) for t in data.get("tags") or ())
        return cls(likes, tags, _artist_share(data.get("artist")))


def _artist_share(value: object) -> ArtistShare | None:
    """The ``artist`` object :meth:`Because.fields` wrote (none in reasons stored before)."""
    if not isinstance(value, Mapping) or not value.get("name"):
        return None
    return ArtistShare(str(value["name"]), float(value.get("share") or 0.0))


def _float_or_none(value: object) -> float | None:
    return None if value is None else float(str(value))


_DAY = 86_400.0
_AGES = (  # (below, unit, singular, plural)
    (3600.0, 60.0, "min", "min"),
    (_DAY, 3600.0, "h", "h"),
    (14 * _DAY, _DAY, "d", "d"),
    (9 * 7 * _DAY, 7 * _DAY, "week", "weeks"),
    (365 * _DAY, 30 * _DAY, "month", "months"),
    (float("inf"), 365 * _DAY, "year", "years"),
)


def _ago(seconds: float) -> str:
    """A past time as people say it: ``5 min ago``, ``3 h ago``, ``3 d ago``, ``5 weeks
    ago``, ``4 months ago``, ``2 years ago``; under a minute, ``just now``."""
    if seconds < 60:
        return "just now"
    _, unit, one, many = next(age for age in _AGES if seconds < age[0])
    n = max(round(seconds / unit), 1)
    return f"{n} {one if n == 1 else many} ago"


@dataclass(frozen=True)
class QueueEntry:
    """A ranked candidate in the queue, and why it is there (None: not explained yet)."""

    rank: int
    track: Track
    score: float | None
    model_version: int | None
    feed: str | None
    offered_at: float | None
    because: Because | None = None


@dataclass(frozen=True)
class RunRecord:
    """One run of a daemon job: the dashboard's health feed. ``owner`` is the process that
    ran it (:func:`store.processes.process_identity`; None before schema version 5)."""

    id: int
    job: str
    started_at: float
    finished_at: float | None
    status: str
    counts: dict[str, int]
    error: str | None
    owner: str | None = None
