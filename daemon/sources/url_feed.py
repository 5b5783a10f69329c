"""A ``url`` feed: anything yt-dlp can list flat (playlist, channel, RSS/Atom, ``ytsearchN:``).

yt-dlp lists the entries without downloading (``extract_flat: "in_playlist"``), in a
child process killed at the poll's deadline (:mod:`daemon.sources.listing`); each entry
becomes a track reference with its page URL, title, artist (the
entry's ``artist``, else an ``Artist - Title`` split, else the channel) and
duration.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from daemon.config import FeedConfig, bounded
from daemon.net import MalformedPayloadError
from daemon.redact import redact
from daemon.sources._parse import (
    Skips,
    as_dict,
    as_str,
    parse_items,
    split_artist_title,
    strip_topic,
)
from daemon.sources.base import PollContext
from daemon.sources.listing import list_in_child
from daemon.sources.registry import register
from store import Store, TrackRef

__all__ = ["UrlFeed", "UrlFeedConfig", "entry_ref"]

logger = logging.getLogger(__name__)


def entry_ref(entry: Any, source: str) -> TrackRef:
    """One flat yt-dlp entry as a track reference."""
    obj = as_dict(entry)
    url = as_str(obj.get("url")) or as_str(obj.get("webpage_url"))
    if not url:
        raise MalformedPayloadError("entry has no url")
    from yt_dlp.utils import unsmuggle_url

    url, _ = unsmuggle_url(url)
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise MalformedPayloadError(
            f"entry URL {redact(url)!r} is not http(s): a feed offers only web URLs "
            '(local files come from a [[feeds]] type = "directory")'
        )
    title = as_str(obj.get("track")) or as_str(obj.get("title"))
    artist = as_str(obj.get("artist")) or as_str(obj.get("creator"))
    if title and not artist:
        artist, title = split_artist_title(title)
    if not artist:
        channel = as_str(obj.get("uploader")) or as_str(obj.get("channel"))
        artist = strip_topic(channel)
    duration = obj.get("duration")
    return TrackRef(
        source=source,
        artist=artist,
        title=title,
        duration=float(duration) if isinstance(duration, int | float) and duration > 0 else None,
        url=url,
    )


@dataclass(frozen=True)
class UrlFeedConfig(FeedConfig):
    """A ``[[feeds]] type = "url"`` table."""

    required: ClassVar[tuple[str, ...]] = ("url",)
    type: str = "url"
    url: str = ""
    max_items: int = bounded(50, above=0)

    @property
    def key(self) -> str:
        """The feed's name in the queue, cursors, runs and logs."""
        return self.name or self.url


class UrlFeed:
    """A ``[[feeds]] type = "url"`` feed."""

    def __init__(self, config: UrlFeedConfig) -> None:
        self.config = config
        self.key = config.key
        self.what = f"url feed {self.key!r}"

    def poll(self, store: Store, ctx: PollContext) -> dict[str, int]:
        """List the feed and offer its entries as candidates."""
        entries = list_in_child(
            self.config.url,
            self.config.max_items,
            self.what,
            proxy=ctx.proxy,
            socket_timeout_s=ctx.socket_timeout_s,
            deadline_s=ctx.poll_deadline_s * 0.9,
            max_bytes=ctx.client.max_bytes,
        )
        skips: Skips = Skips()
        refs = parse_items(entries, lambda e: entry_ref(e, self.key), self.what, skips)
        result = store.add_feed_items(self.key, refs)
        return {
            "items": result.inserted,
            "duplicates": result.duplicates,
            "skipped": sum(skips.values()),
        }


register(UrlFeed, UrlFeedConfig)
