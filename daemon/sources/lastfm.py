"""Last.fm: scrobbles (``user.getRecentTracks``) and loved tracks (``user.getLovedTracks``).

Scrobbles are fetched ``from`` the cursor (minus an overlap window), page by
page; the now-playing item (no date) is skipped. Every number arrives as a
string. Error 29 is a rate limit, 26 a suspended API key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from daemon.config import ConfigError, HistoryConfig, Secret, bounded, secret
from daemon.net import (
    MalformedPayloadError,
    RateLimitedError,
    SourceAuthError,
    SourceError,
    SourceUnavailableError,
    check_status,
    decode_json,
)
from daemon.sources._parse import (
    Skips,
    as_dict,
    as_int,
    as_list,
    as_str,
    as_timestamp,
    parse_items,
    usable,
)
from daemon.sources.base import PollContext
from daemon.sources.registry import register
from store import FeedbackKind, ListenIn, Store, TrackRef

__all__ = [
    "DEFAULT_URL",
    "LastfmConfig",
    "LastfmHistory",
    "parse_loved",
    "parse_scrobble",
    "raise_for_error",
]

logger = logging.getLogger(__name__)

DEFAULT_URL = "https://ws.audioscrobbler.com/2.0/"
PAGE_LIMIT = 200
MAX_PAGES = 10_000
FeedbackRow = tuple[FeedbackKind, str, TrackRef | int | None, str | None, float]
_AUTH_ERRORS = {4, 9, 10, 14, 15, 26}
_TRANSIENT_ERRORS = {8, 11, 16}


def raise_for_error(payload: Any, what: str) -> None:
    """Raise the matching :class:`SourceError` for a Last.fm ``{"error": n, "message"}``."""
    obj = as_dict(payload)
    code = as_int(obj.get("error"))
    if code is None:
        return
    message = as_str(obj.get("message")) or "no message"
    if code == 29:
        raise RateLimitedError(f"{what}: Last.fm rate limit exceeded (error 29): {message}")
    if code == 26:
        raise SourceAuthError(
            f"{what}: Last.fm suspended this API key (error 26): get a new api_key at "
            "https://www.last.fm/api/account/create"
        )
    if code in _AUTH_ERRORS:
        raise SourceAuthError(f"{what}: Last.fm error {code}: {message}: check api_key and user")
    if code in _TRANSIENT_ERRORS:
        raise SourceUnavailableError(f"{what}: Last.fm error {code}: {message}")
    raise SourceError(f"{what}: Last.fm error {code}: {message}")


def _ref(item: dict[str, Any], source: str) -> TrackRef:
    artist_obj = item.get("artist")
    artist = as_str(artist_obj) or as_str(as_dict(artist_obj).get("#text"))
    artist = artist or as_str(as_dict(artist_obj).get("name"))
    title = as_str(item.get("name"))
    if not artist or not title:
        raise MalformedPayloadError("track has no artist or name")
    album = as_str(as_dict(item.get("album")).get("#text"))
    mbid = as_str(item.get("mbid"))
    page = as_str(item.get("url"))
    ids = {k: v for k, v in (("recording_mbid", mbid), ("lastfm", page)) if v}
    return usable(TrackRef(source=source, artist=artist, title=title, album=album, ids=ids))


def _uts(item: dict[str, Any]) -> int:
    return as_timestamp(as_dict(item.get("date")).get("uts"), "date.uts")


def is_now_playing(item: Any) -> bool:
    """The item Last.fm puts first while something is playing: it has no date yet."""
    return as_str(as_dict(as_dict(item).get("@attr")).get("nowplaying")) == "true"


def parse_scrobble(item: Any, source: str) -> ListenIn:
    """One ``recenttracks.track`` item as a listen."""
    obj = as_dict(item)
    return ListenIn(track=_ref(obj, source), listened_at=_uts(obj))


def parse_loved(item: Any, source: str) -> tuple[TrackRef, float]:
    """One ``lovedtracks.track`` item as (track, loved at)."""
    obj = as_dict(item)
    return _ref(obj, source), float(_uts(obj))


def _page_of(payload: Any, root: str, what: str) -> tuple[list[Any], int]:
    """(items, total pages) of a ``recenttracks`` / ``lovedtracks`` page."""
    body = as_dict(payload).get(root)
    if not isinstance(body, dict):
        raise MalformedPayloadError(f"{what}: response has no {root} object")
    total = as_int(as_dict(body.get("@attr")).get("totalPages"))
    return as_list(body.get("track")), total or 0


@dataclass(frozen=True)
class LastfmConfig(HistoryConfig):
    """A ``[[history]] type = "lastfm"`` table."""

    required: ClassVar[tuple[str, ...]] = ("user",)
    type: str = "lastfm"
    user: str = ""
    url: str = ""  # empty: DEFAULT_URL
    api_key: Secret = secret()  # needed to poll; may come from the environment at run time
    feedback: bool = True  # import loved tracks
    overlap_s: int = bounded(3600, at_least=0)  # late scrobbles: re-read this far back

    @property
    def key(self) -> str:
        """The source's name in cursors, runs and logs."""
        return self.name or (f"{self.type}:{self.user}" if self.user else self.type)


class LastfmHistory:
    """A ``[[history]] type = "lastfm"`` source."""

    def __init__(self, config: LastfmConfig) -> None:
        if not config.api_key:
            raise ConfigError(
                f"history {config.key!r} (lastfm) needs api_key (or TASTEBUD_LASTFM_API_KEY)"
            )
        self.config = config
        self.key = config.key
        self.url = config.url or DEFAULT_URL
        self.what = f"lastfm source {self.key!r}"

    def poll(self, store: Store, ctx: PollContext) -> dict[str, int]:
        """Catch up on scrobbles, then on loved tracks."""
        counts = self._poll_scrobbles(store, ctx)
        if self.config.feedback:
            counts["feedback"] = self._poll_loved(store, ctx)
        return counts

    def _call(self, ctx: PollContext, method: str, **params: Any) -> Any:
        query = {
            "method": method,
            "user": self.config.user,
            "api_key": str(self.config.api_key),
            "format": "json",
            **params,
        }
        response = ctx.request("GET", self.url, what=self.what, params=query)
        payload = decode_json(response, self.what) if response.content else None
        raise_for_error(payload, self.what)
        check_status(response, self.what)
        return payload

    def _pages(
        self, ctx: PollContext, method: str, root: str, **params: Any
    ) -> Iterator[list[Any]]:
        for page in range(1, MAX_PAGES + 1):
            payload = self._call(ctx, method, page=page, limit=PAGE_LIMIT, **params)
            items, total = _page_of(payload, root, self.what)
            yield items
            if page >= total or not items:
                return

    def _poll_scrobbles(self, store: Store, ctx: PollContext) -> dict[str, int]:
        cursor_name = f"history:{self.key}"
        newest = as_int(store.get_cursor(cursor_name)) or 0
        since = max(0, newest - self.config.overlap_s) if newest else 0
        counts = {"listens": 0, "duplicates": 0, "skipped": 0, "now_playing": 0}
        for items in self._pages(ctx, "user.getrecenttracks", "recenttracks", **{"from": since}):
            playing = [i for i in items if is_now_playing(i)]
            counts["now_playing"] += len(playing)
            skips: Skips = Skips()
            scrobbles = [i for i in items if not is_now_playing(i)]
            listens = parse_items(
                scrobbles, lambda i: parse_scrobble(i, self.key), self.what, skips
            )
            result = store.add_listens(listens, self.key)
            counts["listens"] += result.inserted
            counts["duplicates"] += result.duplicates
            counts["skipped"] += sum(skips.values())
            newest = max([newest, *(listen.listened_at for listen in listens)])
        if newest:
            store.set_cursor(cursor_name, str(newest))
        return counts

    def _poll_loved(self, store: Store, ctx: PollContext) -> int:
        cursor_name = f"history:{self.key}:loved"
        since = as_int(store.get_cursor(cursor_name)) or 0
        newest, inserted = since, 0
        for items in self._pages(ctx, "user.getlovedtracks", "lovedtracks"):
            skips: Skips = Skips()
            loved = parse_items(items, lambda i: parse_loved(i, self.key), self.what, skips)
            fresh = [(ref, at) for ref, at in loved if at > since]
            events: list[FeedbackRow] = [("like", "lastfm", ref, None, at) for ref, at in fresh]
            inserted += store.add_feedback_many(events).inserted
            newest = max([newest, *(int(at) for _, at in fresh)])
            if len(fresh) < len(loved):
                break
        if newest > since:
            store.set_cursor(cursor_name, str(newest))
        return inserted


register(LastfmHistory, LastfmConfig)
