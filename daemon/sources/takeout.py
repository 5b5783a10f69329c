"""Google Takeout ``watch-history.json``: YouTube Music plays (and optionally YouTube).

Entries look like ``{"header": "YouTube Music", "title": "Watched <title>",
"titleUrl": "https://www.youtube.com/watch?v=...", "subtitles": [{"name":
"<Artist> - Topic"}], "time": "2022-04-25T18:09:04.784Z"}``. Removed videos
(no ``titleUrl``, or a title that is just the URL and no channel) and ads are
counted and skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from daemon.net import MalformedPayloadError
from daemon.sources._files import FileHistory, FileHistoryConfig, Parsed
from daemon.sources._parse import (
    as_dict,
    as_list,
    as_str,
    as_timestamp,
    log_malformed,
    split_artist_title,
    strip_topic,
)
from daemon.sources._stream import NotAnArrayError, iter_json_array
from daemon.sources.registry import register
from store import ListenIn, TrackRef, youtube_video_id

__all__ = ["TakeoutConfig", "TakeoutHistory", "load_takeout", "parse_entry"]

logger = logging.getLogger(__name__)

MUSIC = "YouTube Music"
_WATCHED = "Watched "
SKIP_NOT_MUSIC = "not a YouTube Music entry"
SKIP_REMOVED = "removed or unavailable video"
SKIP_AD = "Google Ads entry"


def load_takeout(path: Path) -> list[Any]:
    """The entries of a ``watch-history.json``, or :class:`MalformedPayloadError`; read
    item by item (:mod:`daemon.sources._stream`), an entry too deep kept as
    :data:`~daemon.sources._stream.BAD` (skipped as malformed)."""
    try:
        with path.open(encoding="utf-8") as f:
            if f.read(1 << 12).lstrip()[:1] not in ("[", ""):
                raise MalformedPayloadError(f"{path}: a Takeout watch history is a JSON array")
            f.seek(0)
            return list(iter_json_array(f, str(path)))
    except UnicodeDecodeError as exc:
        problem: object = exc
    except NotAnArrayError as exc:
        problem = exc
    raise MalformedPayloadError(f"{path}: not a Takeout watch-history.json ({problem})")


def parse_entry(item: Any, source: str, *, include_youtube: bool = False) -> Parsed:
    """One Takeout entry as a listen, or the reason it was skipped."""
    entry = as_dict(item)
    header = as_str(entry.get("header"))
    if header != MUSIC and not (include_youtube and header == "YouTube"):
        return SKIP_NOT_MUSIC if entry else "malformed: entry is not an object"
    if _is_ad(entry):
        return SKIP_AD
    url, title, channel = as_str(entry.get("titleUrl")), _title(entry), _channel(entry)
    if not url or not title or (title.startswith(("http://", "https://")) and not channel):
        return SKIP_REMOVED
    listened_at = _time(entry.get("time"))
    if listened_at is None:
        return "malformed: no valid time"
    try:
        listened_at = as_timestamp(listened_at, "time")
    except MalformedPayloadError as exc:
        return f"malformed: {exc}"
    artist = channel
    if header != MUSIC:
        artist, title = _split_video_title(title, channel)
    video = youtube_video_id(url)
    ids = {"youtube": video} if video else {}
    ref = TrackRef(source=source, artist=artist, title=title, url=url, ids=ids)
    return ListenIn(track=ref, listened_at=listened_at)


def _is_ad(entry: dict[str, Any]) -> bool:
    details = as_list(entry.get("details"))
    return any(as_str(as_dict(d).get("name")) == "From Google Ads" for d in details)


def _title(entry: dict[str, Any]) -> str | None:
    title = as_str(entry.get("title")) or ""
    return (title[len(_WATCHED) :] if title.startswith(_WATCHED) else title).strip() or None


def _channel(entry: dict[str, Any]) -> str | None:
    subtitles = as_list(entry.get("subtitles"))
    return strip_topic(as_str(as_dict(subtitles[0]).get("name"))) if subtitles else None


def _split_video_title(title: str, channel: str | None) -> tuple[str | None, str]:
    artist, rest = split_artist_title(title)
    return (artist, rest) if artist else (channel, title)


def _time(value: Any) -> int | None:
    text = as_str(value)
    if not text:
        return None
    try:
        return int(datetime.fromisoformat(text).timestamp())
    except (ValueError, OverflowError, OSError):
        return None


@dataclass(frozen=True)
class TakeoutConfig(FileHistoryConfig):
    """A ``[[history]] type = "takeout"`` table."""

    type: str = "takeout"
    include_youtube: bool = False  # also plain YouTube entries, not only YouTube Music


class TakeoutHistory(FileHistory[TakeoutConfig]):
    """A ``[[history]] type = "takeout"`` source: the file is re-read when it changes."""

    def read(self) -> Iterator[Parsed]:
        """Every entry of the file, parsed or with its skip reason."""
        include = self.config.include_youtube
        for item in load_takeout(self.path):
            parsed = parse_entry(item, self.key, include_youtube=include)
            if isinstance(parsed, str) and parsed.startswith("malformed"):
                log_malformed(self.what, parsed, item)
            yield parsed


register(TakeoutHistory, TakeoutConfig)
