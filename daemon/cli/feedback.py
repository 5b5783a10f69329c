"""``tastebud feedback like|dislike|dismiss TRACK... [--artist NAME]``.

Each TRACK is a track id, a URL, or ``"Artist - Title"`` (every stored
duplicate of that recording gets the feedback). All TRACKs are resolved before
anything is stored: if one is unknown, each unknown one is reported on its own
line, nothing at all is stored, and the exit code is 1, so that re-running the
corrected command never records an event twice.

``--artist NAME`` (with dislike) blocks the artist from the queue. The events
become labels at the next training cycle; likes and dislikes are pushed to
ListenBrainz by a ListenBrainz ``[[history]]`` source with ``push_feedback``
and a token, at its next poll.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from daemon.config import Config, HistoryConfig
from store import FeedbackKind, Store, Track

__all__ = ["cmd_feedback", "resolve_tracks"]

ORIGIN = "cli"
_PAST = {"like": "liked", "dislike": "disliked", "dismiss": "dismissed"}


def resolve_tracks(store: Store, texts: Sequence[str]) -> tuple[list[Track], list[str]]:
    """(tracks found, texts that match no track); a text may match several duplicates."""
    found: dict[int, Track] = {}
    unknown: list[str] = []
    for text in texts:
        tracks = store.find_tracks(text)
        if not tracks:
            unknown.append(text)
        found.update((t.id, t) for t in tracks)
    return list(found.values()), unknown


def _pushers(config: Config) -> list[HistoryConfig]:
    return [h for h in config.history if h.type == "listenbrainz" and h.push_feedback and h.token]


def _push_note(config: Config, kind: str) -> str:
    if kind == "dismiss":
        return "dismissals stay local (ListenBrainz has no such feedback)"
    if pushers := _pushers(config):
        names = ", ".join(h.key for h in pushers)
        return f"it will be pushed to ListenBrainz ({names}) at that source's next poll"
    return (
        "not pushed to ListenBrainz: set push_feedback = true and a token on a "
        'type = "listenbrainz" [[history]] source to push it'
    )


def _check_args(args: argparse.Namespace) -> str | None:
    if args.artist and args.kind != "dislike":
        return f"--artist blocks an artist and goes with dislike, not {args.kind}"
    if not args.tracks and not args.artist:
        return 'name at least one TRACK (id, URL or "Artist - Title") or --artist NAME'
    return None


def _store(store: Store, kind: FeedbackKind, tracks: list[Track], artists: list[str]) -> None:
    for track in tracks:
        new = store.add_feedback(kind, ORIGIN, track=track.id)
        print(f"{_PAST[kind]}: {track.label} (track {track.id})" + ("" if new else " (again)"))
    for artist in artists:
        store.add_feedback("block", ORIGIN, artist=artist)
        print(f"blocked artist: {artist}")


def cmd_feedback(config: Config, args: argparse.Namespace) -> int:
    """Record likes, dislikes or dismissals of tracks, and artist blocks."""
    if problem := _check_args(args):
        print(f"tastebud: {problem}", file=sys.stderr)
        return 1
    with Store.open(config.db_path) as store:
        tracks, unknown = resolve_tracks(store, args.tracks)
        for text in unknown:
            print(
                f'tastebud: no track matches "{text}": give a track id, its URL, or '
                '"Artist - Title" as the dashboard shows it; nothing was stored',
                file=sys.stderr,
            )
        if unknown:
            return 1
        _store(store, args.kind, tracks, [a.strip() for a in args.artist if a.strip()])
    if tracks:
        print(f"stored for the next training cycle; {_push_note(config, args.kind)}")
    return 0
