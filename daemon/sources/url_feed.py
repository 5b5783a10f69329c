"""A ``url`` feed: anything yt-dlp can list flat (playlist, channel, RSS/Atom, ``ytsearchN:``).

yt-dlp lists the entries without downloading (``extract_flat: "in_playlist"``);
each entry becomes a track reference with its page URL, title, artist (the
entry's ``artist``, else an ``Artist - Title`` split, else the channel) and
duration.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit
from xml.etree import ElementTree

from daemon.config import FeedConfig
from daemon.net import MalformedPayloadError, SourceUnavailableError
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
from daemon.sources.registry import register
from store import Store, TrackRef

__all__ = ["UrlFeed", "UrlFeedConfig", "entry_ref", "list_entries"]

logger = logging.getLogger(__name__)

_MAX_FEED_BYTES = 4 << 20  # enough of a feed to find where its XML breaks


class _YdlLogger:
    """Routes yt-dlp's messages to our log (its warnings are routine here)."""

    def __init__(self, what: str) -> None:
        self.what = what

    def debug(self, msg: str) -> None:
        logger.debug("%s: yt-dlp: %s", self.what, msg)

    def info(self, msg: str) -> None:
        logger.debug("%s: yt-dlp: %s", self.what, msg)

    def warning(self, msg: str) -> None:
        logger.debug("%s: yt-dlp warning: %s", self.what, msg)

    def error(self, msg: str) -> None:
        logger.debug("%s: yt-dlp error: %s", self.what, msg)


def list_entries(
    url: str, max_items: int, what: str, *, proxy: str = "", socket_timeout_s: float = 30.0
) -> list[dict[str, Any]]:
    """The first ``max_items`` entries yt-dlp lists at ``url``, without downloading,
    through ``proxy`` (when set) with ``socket_timeout_s``."""
    options: dict[str, Any] = {
        "extract_flat": "in_playlist",
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "skip_download": True,
        "playlistend": max_items,
        "logger": _YdlLogger(what),
        "socket_timeout": socket_timeout_s,
        "extractor_retries": 0,
    }
    if proxy:
        options["proxy"] = proxy
    import yt_dlp  # imported when polled: loading the config registers this module

    with yt_dlp.YoutubeDL(options) as ydl:
        try:
            info = ydl.extract_info(url, download=False)
        except yt_dlp.utils.DownloadError as exc:
            message = _one_line(exc)
            if "Unsupported URL" in message and (problem := _xml_problem(ydl, url)):
                raise MalformedPayloadError(
                    redact(
                        f"{what}: {url} is not valid RSS/Atom ({problem}): fix the feed or its url"
                    )
                ) from None
            raise SourceUnavailableError(
                redact(f"{what}: yt-dlp cannot list {url}: {message}")
            ) from None
    info = as_dict(info)
    entries = info.get("entries") if "entries" in info else [info]
    return [e for e in (entries or []) if isinstance(e, dict)][:max_items]


def _one_line(exc: BaseException) -> str:
    """yt-dlp's message once: without its ``ERROR:`` prefix and the ``(caused by ...)``
    that repeats it."""
    text = str(exc).removeprefix("ERROR: ").splitlines()[0]
    return re.sub(r" \(caused by [^()]*(\([^()]*\)[^()]*)*\)", "", text)


def _xml_problem(ydl: Any, url: str) -> str | None:
    """Why the document at ``url`` is no RSS or Atom feed, when it is (broken) XML at all."""
    try:
        with ydl.urlopen(url) as response:  # yt-dlp's own proxy and timeout settings
            head = response.read(_MAX_FEED_BYTES)
    except Exception:  # yt-dlp's network errors have no common base
        return None
    if not head.lstrip().startswith(b"<"):
        return None
    try:
        root = ElementTree.fromstring(head)
    except ElementTree.ParseError as exc:
        return f"XML error: {exc}"
    tag = root.tag.rsplit("}", 1)[-1]
    return None if tag in ("rss", "feed", "RDF") else f"its root element is <{tag}>"


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


class UrlFeed:
    """A ``[[feeds]] type = "url"`` feed."""

    def __init__(self, config: FeedConfig) -> None:
        self.config = config
        self.key = config.key
        self.what = f"url feed {self.key!r}"

    def poll(self, store: Store, ctx: PollContext) -> dict[str, int]:
        """List the feed and offer its entries as candidates."""
        entries = list_entries(
            self.config.url,
            self.config.max_items,
            self.what,
            proxy=ctx.proxy,
            socket_timeout_s=ctx.socket_timeout_s,
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
