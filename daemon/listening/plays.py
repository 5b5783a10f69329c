"""Plays seen in a player, judged: a listen, a skip, or neither.

A song played for at least half its length or 4 minutes (the scrobbling rule) is a
listen; one left within 30 s is a skip. "Played" is the furthest position reached,
so seeking to the end counts as hearing it through.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

__all__ = ["LISTEN_MAX_S", "SKIP_WITHIN_S", "Play", "PlayTracker", "verdict"]

LISTEN_MAX_S = 240.0
SKIP_WITHIN_S = 30.0
Verdict = Literal["listen", "skip", "none"]


@dataclass(frozen=True)
class Play:
    """One song from the moment it was seen playing to the moment it was left."""

    song_id: str
    song: dict[str, str]
    started_at: float
    duration: float | None
    position: float  # position at the last observation
    seen_at: float  # when that was
    playing: bool
    reached: float  # the furthest position known

    def at(self, now: float) -> float:
        """The furthest position reached by ``now``."""
        pos = self.position + (now - self.seen_at if self.playing else 0.0)
        if self.duration:
            pos = min(pos, self.duration)
        return max(self.reached, pos)


def verdict(play: Play, played: float) -> Verdict:
    """Whether ``played`` seconds of ``play`` make a listen, a skip or neither."""
    needed = min(play.duration / 2, LISTEN_MAX_S) if play.duration else LISTEN_MAX_S
    if played >= needed:
        return "listen"
    return "skip" if played < SKIP_WITHIN_S else "none"


class PlayTracker:
    """Feed it MPD's ``status`` and ``currentsong`` at each player event; it returns the
    plays that ended, with the seconds played."""

    def __init__(self) -> None:
        self.current: Play | None = None

    def observe(
        self, status: dict[str, str], song: dict[str, str], now: float
    ) -> list[tuple[Play, float]]:
        state = status.get("state", "stop")
        song_id = status.get("songid") if state in ("play", "pause") else None
        ended: list[tuple[Play, float]] = []
        cur = self.current
        if cur is not None and cur.song_id != song_id:
            ended.append((cur, cur.at(now)))
            cur = None
        if song_id is None:
            self.current = None
            return ended
        elapsed = _seconds(status.get("elapsed")) or 0.0
        playing = state == "play"
        if cur is None:
            duration = status.get("duration") or song.get("duration") or song.get("time")
            length = _seconds(duration)
            self.current = Play(song_id, song, now, length, elapsed, now, playing, elapsed)
        else:
            self.current = replace(
                cur, position=elapsed, seen_at=now, playing=playing, reached=cur.at(now)
            )
        return ended


def _seconds(value: object) -> float | None:
    """A number of seconds from MPD, or None for anything else (``abc``, ``nan``, ``-1``)."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
