"""Choosing the right search result for a track known only by artist and title.

A listen or a recommendation without a URL is searched with yt-dlp
(``ytsearch5:Artist - Title``); each flat result is scored:

- the title must match: the share of the wanted title's words found in the result
  (with the artist's name taken out) weighs everything else;
- the artist's own channel counts (an auto-generated " - Topic" channel most,
  then a verified, VEVO or official channel), else the artist named in the title;
- a known duration must agree within the tolerance;
- a live, remix, cover, karaoke, instrumental, extended, sped up, slowed, 8D or
  nightcore version is refused unless the wanted title asks for it.

The confidence is in [0, 1]; the caller marks a track unmatched below its threshold
rather than fetch a wrong song.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from store import normalize_text

__all__ = ["VERSION_WORDS", "Candidate", "Match", "best_match", "candidate", "score"]

VERSION_WORDS = (
    "live",
    "remix",
    "cover",
    "karaoke",
    "instrumental",
    "extended",
    "sped up",
    "slowed",
    "8d",
    "nightcore",
)
_WORD = re.compile(r"[^\w]+")
_TOPIC = re.compile(r"\s+-\s+topic\s*$", re.I)
_CHANNEL_NOISE = re.compile(r"\b(official|vevo|music|tv|channel)\b")
_YOUTUBE_WATCH = "https://www.youtube.com/watch?v="


@dataclass(frozen=True)
class Candidate:
    """One search result, reduced to what the ranking reads."""

    url: str
    title: str
    channel: str
    duration: float | None
    live: bool
    verified: bool


@dataclass(frozen=True)
class Match:
    """The chosen result and how sure we are of it."""

    url: str
    confidence: float
    title: str


def candidate(entry: Mapping[str, Any]) -> Candidate | None:
    """A :class:`Candidate` from one yt-dlp flat search entry, or None without a URL."""
    url = entry.get("webpage_url") or entry.get("url") or ""
    if not str(url).startswith(("http://", "https://")) and entry.get("id"):
        url = _YOUTUBE_WATCH + str(entry["id"])
    if not url:
        return None
    duration = entry.get("duration")
    return Candidate(
        url=str(url),
        title=str(entry.get("title") or ""),
        channel=str(entry.get("channel") or entry.get("uploader") or ""),
        duration=float(duration) if isinstance(duration, int | float) else None,
        live=entry.get("live_status") in ("is_live", "was_live", "is_upcoming")
        or bool(entry.get("is_live")),
        verified=bool(entry.get("channel_is_verified")),
    )


def _words(text: str) -> str:
    return " " + _WORD.sub(" ", text.casefold()).strip() + " "


def _version_clash(result_title: str, wanted_title: str) -> bool:
    got, wanted = _words(result_title), _words(wanted_title)
    return any(f" {w} " in got and f" {w} " not in wanted for w in VERSION_WORDS)


def _title_score(result_title: str, artist: str, title: str) -> float:
    got = normalize_text(result_title)
    name = normalize_text(artist)
    if name:
        got = got.replace(name, " ", 1)
    got_words, wanted_words = set(got.split()), set(normalize_text(title).split())
    if not wanted_words or not got_words:
        return 0.0
    common = len(got_words & wanted_words)
    return 0.75 * common / len(wanted_words) + 0.25 * common / len(got_words)


def _compact(name: str) -> str:
    """A channel or artist name without " - Topic", VEVO, "official" and spaces."""
    text = _CHANNEL_NOISE.sub(" ", normalize_text(_TOPIC.sub("", name))).replace(" ", "")
    return re.sub(r"(vevo|official)$", "", text)


def _artist_scores(c: Candidate, artist: str) -> tuple[float, float]:
    """(artist match, channel authority), each in [0, 1]."""
    name, channel = _compact(artist), _compact(c.channel)
    if name and name == channel:
        if _TOPIC.search(c.channel):
            return 1.0, 1.0
        official = c.verified or bool(re.search(r"vevo|official", c.channel, re.I))
        return 1.0, 0.6 if official else 0.3
    if name and name in normalize_text(c.title).replace(" ", ""):
        return 0.7, 0.0
    if name and channel and (name in channel or channel in name):
        return 0.6, 0.0
    return 0.0, 0.0


def _duration_score(got: float | None, wanted: float | None, tolerance_s: float) -> float | None:
    """1 at equal durations, 0.5 at the tolerance, None beyond it; 0.5 when unknown."""
    if got is None or not wanted:
        return 0.5
    diff = abs(got - wanted)
    if diff > tolerance_s:
        return None
    return 1.0 - 0.5 * diff / tolerance_s if tolerance_s > 0 else 1.0


def score(
    c: Candidate, *, artist: str, title: str, duration: float | None, tolerance_s: float
) -> float:
    """The confidence in [0, 1] that ``c`` is the recording ``artist - title``; 0 if refused."""
    if c.live or _version_clash(c.title, title):
        return 0.0
    timing = _duration_score(c.duration, duration, tolerance_s)
    if timing is None:
        return 0.0
    artist_match, authority = _artist_scores(c, artist)
    rest = 0.4 + 0.35 * artist_match + 0.1 * authority + 0.15 * timing
    return round(min(1.0, _title_score(c.title, artist, title) * rest), 4)


def best_match(
    entries: Iterable[Mapping[str, Any]],
    *,
    artist: str,
    title: str,
    duration: float | None = None,
    tolerance_s: float = 20.0,
) -> Match | None:
    """The best-scoring result (the first of equals), or None when every one is refused."""
    best: Match | None = None
    for entry in entries:
        c = candidate(entry)
        if c is None:
            continue
        confidence = score(
            c, artist=artist, title=title, duration=duration, tolerance_s=tolerance_s
        )
        if confidence > 0 and (best is None or confidence > best.confidence):
            best = Match(c.url, confidence, c.title)
    return best
