"""Feedback as a person gives it, on the tracks they see; the CLI and the dashboard share it.

Handles match what is shown: ``#3`` is rank 3 of the current queue (as the
dashboard and ``tastebud queue`` number it), a plain number is a track id (both
show it), and a URL or ``"Artist - Title"`` names a track. Every message says
what was acted on: ``disliked #3 Artist - Title (id 57)``.

Feedback is given once: the same like twice stores one row and says "again". Each is
stored with the front end it was given in (:data:`ORIGINS`: ``cli``, ``dashboard``, ``web``), as
``tastebud feedback list`` shows. ``undo`` takes back the newest feedback given in
tastebud, in any front end (a block is lifted); feedback imported from a history source
is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from daemon.config import Config
from store import FeedbackEvent, FeedbackKind, QueueEntry, Store, Track

__all__ = [
    "ORIGIN",
    "ORIGINS",
    "QUEUE_MAX",
    "Target",
    "block",
    "current_queue",
    "describe",
    "give",
    "label_of",
    "resolve",
    "unblock",
    "undo",
]

ORIGIN = "cli"
ORIGINS = (
    "cli",
    "dashboard",
    "web",
)  # the front ends feedback is given in (ListenBrainz pushes them)
QUEUE_MAX = 5000  # the most queue entries ranked for display and for ``#N`` handles
PAST = {"like": "liked", "dislike": "disliked", "dismiss": "dismissed", "block": "blocked"}
_RANK = re.compile(r"^#(\d+)$")


@dataclass(frozen=True)
class Target:
    """A track feedback is given on, with its rank in the current queue (None: not queued)."""

    track: Track
    rank: int | None = None

    @property
    def label(self) -> str:
        """``#3 Artist - Title (id 57)``, or ``Artist - Title (id 57, not in the queue)``."""
        if self.rank is None:
            return f"{self.track.label} (id {self.track.id}, not in the queue)"
        return f"#{self.rank} {self.track.label} (id {self.track.id})"


def current_queue(store: Store, config: Config, limit: int = QUEUE_MAX) -> list[QueueEntry]:
    """The queue as the dashboard, ``tastebud queue`` and ``#N`` handles number it."""
    return store.queue(limit, per_artist=config.queue.per_artist, window=config.queue.window)


def resolve(store: Store, config: Config, texts: Sequence[str]) -> tuple[list[Target], list[str]]:
    """(targets, one problem line per text that names no track); ``#N`` is a queue rank."""
    queue = current_queue(store, config)
    ranks = {e.track.id: e.rank for e in queue}
    found: dict[int, Target] = {}
    problems: list[str] = []
    for text in texts:
        if match := _RANK.match(text.strip()):
            tracks, problem = _by_rank(queue, int(match.group(1)))
        else:
            tracks = store.find_tracks(text)
            problem = "" if tracks else _unknown(text)
        if problem:
            problems.append(problem)
        found.update((t.id, Target(t, ranks.get(t.id))) for t in tracks)
    return list(found.values()), problems


def _by_rank(queue: Sequence[QueueEntry], rank: int) -> tuple[list[Track], str]:
    if 1 <= rank <= len(queue):
        return [queue[rank - 1].track], ""
    return [], (
        f"no #{rank} in the queue: it holds {len(queue)} tracks (`tastebud queue` lists them "
        "with their ranks and ids)"
    )


def _unknown(text: str) -> str:
    return (
        f'no track matches "{text}": give #RANK from `tastebud queue`, a track id, its URL, or '
        '"Artist - Title" as the dashboard shows it'
    )


def give(
    store: Store, kind: FeedbackKind, target: Target, origin: str = ORIGIN
) -> tuple[str, bool]:
    """Store a like, dislike or dismissal of ``target`` given in ``origin``: (the line that
    says what was done, whether anything new was stored)."""
    if store.give_feedback(kind, origin, track=target.track.id):
        return f"{PAST[kind]} {target.label}", True
    return f"{PAST[kind]} {target.label} again: it already was, nothing new stored", False


def block(store: Store, artist: str, origin: str = ORIGIN) -> tuple[str, str]:
    """Block ``artist`` from the queue: (what was done, a warning or "")."""
    done = f"blocked artist {artist}"
    if not store.give_feedback("block", origin, artist=artist):
        return done + " again: it already was, nothing new stored", ""
    if store.artist_known(artist):
        return done, ""
    return done, (
        f'no track by "{artist}" is known yet: check the spelling; it is blocked all the same '
        f'(`tastebud feedback unblock "{artist}"` lifts it)'
    )


def undo(store: Store) -> str | None:
    """Take back the newest feedback given in tastebud; what was undone, or None."""
    event = store.undo_feedback(ORIGINS)
    if event is None:
        return None
    text = "undid: " + describe(store, event)
    if event.kind == "block":
        text += " (unblocked)"
    if event.pushed_at is not None:
        text += "; it was already pushed to ListenBrainz, where it stays: remove it there"
    return text


def unblock(store: Store, artist: str) -> str | None:
    """Lift every block of ``artist``; what was done, or None when it was not blocked."""
    names = store.unblock_artist(artist)
    return f"unblocked artist {', '.join(names)}" if names else None


def describe(store: Store, event: FeedbackEvent) -> str:
    """``liked Artist - Title (id 5)`` or ``blocked artist Name``."""
    if event.track_id is None:
        return f"{PAST[event.kind]} artist {event.artist}"
    track = store.get_track(event.track_id)
    label = label_of(store, track) if track else "a deleted track"
    return f"{PAST[event.kind]} {label} (id {event.track_id})"


def label_of(store: Store, track: Track) -> str:
    """``Artist - Title``; for a track known only by a recording id (a ListenBrainz love of
    a recording none of the listens names), that id, so it can be looked up."""
    if track.artist or track.title or track.url:
        return track.label
    ids = store.track_ids_of(track.id)
    if mbid := ids.get("recording_mbid"):
        return f"MusicBrainz recording {mbid} (no name known)"
    if msid := ids.get("recording_msid"):
        return f"ListenBrainz recording {msid} (no name known)"
    return track.label
