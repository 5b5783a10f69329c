"""What ``POST /api/feedback`` and ``POST /api/retry`` do, through the same code as
``tastebud feedback`` (:mod:`daemon.feedback`).

Feedback names one track as the CLI does: ``#N`` (rank N of the current queue), a track
id, a URL or ``"Artist - Title"``. ``block`` blocks the track's artist (the dashboard's
``b``), or the ``artist`` given; ``unblock`` lifts the block of the track's artist or of
``artist``; ``undo`` takes back the newest feedback given in tastebud.

A retry makes every fetch that failed or waits for its next attempt due now, and ends the
back-off of every failing source (or of the one ``job`` names): the failures before the
retry's time (kept as a cursor) no longer count (:func:`daemon.sources.backoff_until`).
The daemon fetches and polls them at its next fetch and poll runs, at once when the web
server runs inside it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, cast

from daemon import feedback
from daemon.config import Config
from daemon.sources import source_jobs
from daemon.waits import retry_cursor
from daemon.web.errors import BadRequestError, NotFoundError
from store import FeedbackKind, Store

__all__ = ["ACTIONS", "ORIGIN", "Trigger", "give_feedback", "retry"]

ORIGIN = "web"  # feedback given on the page (daemon.feedback.ORIGINS)

ACTIONS = ("like", "dislike", "dismiss", "block", "unblock", "undo")
Trigger = Callable[[Sequence[str]], None]  # run these daemon jobs now (inside `tastebud run`)


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadRequestError(f'{key} must be a string such as "#3", a track id or a URL')
    return str(value).strip()


def _target(store: Store, config: Config, handle: str) -> feedback.Target:
    if not handle:
        raise BadRequestError('name the track: "track": "#RANK", a track id or its URL')
    targets, problems = feedback.resolve(store, config, [handle])
    if problems or not targets:
        raise NotFoundError(problems[0] if problems else f'no track matches "{handle}"')
    return targets[0]


def _artist(store: Store, config: Config, body: dict[str, Any]) -> str:
    if artist := _text(body, "artist"):
        return artist
    track = _target(store, config, _text(body, "track")).track
    if not track.artist:
        raise BadRequestError(f"{track.label} has no artist to block or unblock")
    return track.artist


def give_feedback(store: Store, config: Config, body: dict[str, Any]) -> dict[str, Any]:
    """Do what ``body`` asks (``action``, ``track`` or ``artist``); what was done."""
    action = _text(body, "action")
    if action not in ACTIONS:
        raise BadRequestError(f"action {action!r} is not one of {', '.join(ACTIONS)}")
    if action == "undo":
        done = feedback.undo(store)
        if done is None:
            raise NotFoundError("nothing to undo: no feedback was given in tastebud yet")
        return {"action": action, "message": done, "stored": True}
    if action in ("block", "unblock"):
        return _blocking(store, config, action, body)
    target = _target(store, config, _text(body, "track"))
    line, new = feedback.give(store, cast(FeedbackKind, action), target, origin=ORIGIN)
    return {"action": action, "message": line, "stored": new, "track": target.track.id}


def _blocking(store: Store, config: Config, action: str, body: dict[str, Any]) -> dict[str, Any]:
    artist = _artist(store, config, body)
    if action == "unblock":
        done = feedback.unblock(store, artist)
        if done is None:
            raise NotFoundError(f'"{artist}" is not blocked (GET /api/feedback lists blocks)')
        return {"action": action, "message": done, "stored": True, "artist": artist}
    line, warning = feedback.block(store, artist, origin=ORIGIN)
    result = {
        "action": action,
        "message": line,
        "stored": not line.endswith("nothing new stored"),
        "artist": artist,
    }
    return {**result, "warning": warning} if warning else result


def retry(
    store: Store, config: Config, job: str = "", *, trigger: Trigger | None = None
) -> dict[str, Any]:
    """Make failed and waiting fetches due now and end failing sources' back-off."""
    known = source_jobs(config)
    if job and job not in known:
        raise NotFoundError(f"no source {job!r}: GET /api/status lists them (history:, feed:)")
    now = time.time()
    tracks = 0
    if not job:
        waiting = [t for t in store.tracks("new") if t.next_retry_at and t.next_retry_at > now]
        for track in [*waiting, *store.tracks("failed")]:
            store.mark_track(track.id, "new", error=track.last_error, next_retry_at=None)
            tracks += 1
    sources = [j for j in ([job] if job else known) if _failing(store, j)]
    for name in sources:
        store.set_cursor(retry_cursor(name), repr(now))
    jobs = ["fetch"] if tracks else []
    jobs += sorted({"poll-history" if s.startswith("history:") else "poll-feeds" for s in sources})
    if trigger is not None and jobs:
        trigger(jobs)
    when = "now" if trigger is not None else "at the daemon's next fetch and poll runs"
    message = f"{tracks} fetches and {len(sources)} sources will be retried {when}"
    return {"tracks": tracks, "sources": sources, "jobs": jobs, "message": message}


def _failing(store: Store, job: str) -> bool:
    runs = store.runs(job, limit=1)
    return bool(runs) and runs[0].status in ("failed", "skipped")
