"""``tastebud feedback like|dislike|dismiss TRACK...``, ``undo``, ``list``, ``unblock ARTIST``.

Each TRACK is ``#N`` (rank N of the current queue, as the dashboard and
``tastebud queue`` show it), a track id, a URL, or ``"Artist - Title"`` (every
stored duplicate of that recording gets the feedback). All TRACKs are resolved
before anything is stored: if one is unknown, each unknown one is reported on
its own line, nothing at all is stored, and the exit code is 1. Giving the same
feedback again stores nothing new and says so.

``--artist NAME`` (with dislike) blocks the artist from the queue; ``unblock
ARTIST`` lifts it; ``undo`` takes back the newest feedback given in tastebud (the
dashboard's too); ``list`` shows the newest feedback. The events become labels at
the next training cycle; likes and dislikes are pushed to ListenBrainz by a
ListenBrainz ``[[history]]`` source with ``push_feedback`` and a token, at its
next poll.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from daemon import feedback
from daemon.config import Config
from daemon.sources import ListenBrainzConfig
from store import Store

__all__ = ["cmd_feedback", "usage_problem"]

TRACK_KINDS = ("like", "dislike", "dismiss")


def _pushers(config: Config) -> list[ListenBrainzConfig]:
    return [
        h
        for h in config.history
        if isinstance(h, ListenBrainzConfig) and h.push_feedback and h.token
    ]


def _push_note(config: Config, kind: str) -> str:
    """What becomes of the feedback at ListenBrainz; nothing to say without such a source."""
    if not any(h.type == "listenbrainz" for h in config.history):
        return ""
    if kind == "dismiss":
        return "; dismissals stay local (ListenBrainz has no such feedback)"
    if pushers := _pushers(config):
        names = ", ".join(h.key for h in pushers)
        return f"; it will be pushed to ListenBrainz ({names}) at that source's next poll"
    return (
        "; not pushed to ListenBrainz: set push_feedback = true and a token on its "
        'type = "listenbrainz" [[history]] source to push it'
    )


def usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with how the command was called (exit 2, before the config is read)."""
    if args.artist and args.kind != "dislike":
        return f"--artist blocks an artist and goes with dislike, not {args.kind}"
    if args.kind in ("undo", "list") and args.tracks:
        return f"feedback {args.kind} takes no TRACK"
    if args.kind == "unblock" and not args.tracks:
        return 'name the artist to unblock: tastebud feedback unblock "Some Band"'
    if args.kind in TRACK_KINDS and not args.tracks and not args.artist:
        return 'name at least one TRACK (#RANK, id, URL or "Artist - Title") or --artist NAME'
    return None


def _fail(message: str) -> int:
    print(f"tastebud: {message}", file=sys.stderr)
    return 1


def _give(config: Config, args: argparse.Namespace) -> int:
    with Store.open(config.db_path) as store:
        targets, problems = feedback.resolve(store, config, args.tracks)
        if problems:
            for problem in problems:
                _fail(problem + "; nothing was stored")
            return 1
        stored = False
        for target in targets:
            line, new = feedback.give(store, args.kind, target)
            print(line)
            stored |= new
        for artist in (a.strip() for a in args.artist if a.strip()):
            done, warning = feedback.block(store, artist)
            print(done)
            if warning:
                print(f"tastebud: warning: {warning}", file=sys.stderr)
    if stored:
        print(f"stored for the next training cycle{_push_note(config, args.kind)}")
    return 0


def _undo(config: Config, args: argparse.Namespace) -> int:
    with Store.open(config.db_path) as store:
        done = feedback.undo(store)
    if done is None:
        return _fail("nothing to undo: no feedback was given in tastebud yet")
    print(done)
    return 0


def _unblock(config: Config, args: argparse.Namespace) -> int:
    status = 0
    with Store.open(config.db_path) as store:
        for artist in args.tracks:
            if done := feedback.unblock(store, artist):
                print(done)
            else:
                status = _fail(f'"{artist}" is not blocked (`tastebud feedback list` shows blocks)')
    return status


def _list(config: Config, args: argparse.Namespace) -> int:
    if not config.db_path.exists():
        print("no feedback yet")
        return 0
    with Store.open(config.db_path, readonly=True) as store:
        events = store.feedback(limit=args.limit)
        for event in events:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(event.created_at))
            print(f"{when}  {feedback.describe(store, event)}  [{event.origin}]")
    if not events:
        print("no feedback yet")
    return 0


_ACTIONS: dict[str, Callable[[Config, argparse.Namespace], int]] = {
    "undo": _undo,
    "unblock": _unblock,
    "list": _list,
}


def cmd_feedback(config: Config, args: argparse.Namespace) -> int:
    """Record or take back likes, dislikes, dismissals and artist blocks; list them."""
    return _ACTIONS.get(args.kind, _give)(config, args)
