"""Jellyfin: plays as listens, favourites as likes, and the server's own audio.

Plays come from the Playback Reporting plugin when it answers (one listen per play,
``POST /user_usage_stats/submit_custom_query``), else from each played audio item's
``UserData``: ``GET /Users/{id}/Items?Filters=IsPlayed&SortBy=DatePlayed``, newest
first, down to the cursor. An item's ``LastPlayedDate`` is a listen; when its
``PlayCount`` rose by more than one since the last read, the plays in between are
stored a second apart before it (their times are not known). The play counts seen are
kept, so a re-read never counts a play twice. Favourites (``Filters=IsFavorite``)
are likes; a favourite removed takes its like back. Each track carries its stream
URL (``/Audio/{id}/stream?static=true``, the file as it is) without the token: the
fetcher adds the ``Authorization`` header at download time (``daemon.acquire``). Once a
day the whole audio library is read, so discovery never offers what the listener owns.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote

from daemon.acquire import ServerAudio
from daemon.config import Config, HistoryConfig, Secret, bounded, secret
from daemon.net import MalformedPayloadError, SourceAuthError, SourceError, check_status
from daemon.sources._media import (
    OWNED_EVERY_S,
    FeedbackIn,
    new_plays,
    parse_date,
    read_cursor,
    store_owned,
)
from daemon.sources._parse import Skips, as_dict, as_int, as_list, as_str, parse_items, usable
from daemon.sources.base import PollContext
from daemon.sources.registry import register
from store import ListenIn, Store, TrackRef

__all__ = ["JellyfinConfig", "JellyfinHistory", "item_ref"]

logger = logging.getLogger(__name__)

MAX_PAGES = 2_000
_FIELDS = "Path,ProviderIds,MediaSources"
_USER_ID = re.compile(r"^[0-9a-fA-F]{32}$|^[0-9a-fA-F-]{36}$")
_TICKS_PER_S = 10_000_000
_HEX_ID = re.compile(r"^[0-9a-fA-F]{32}$")


def item_ref(item: Any, source: str, base: str) -> TrackRef:
    """One audio item (``BaseItemDto``) as a track with its stream URL."""
    obj = as_dict(item)
    item_id, title = as_str(obj.get("Id")), as_str(obj.get("Name"))
    artists = [a for a in as_list(obj.get("Artists")) if isinstance(a, str) and a]
    artist = ", ".join(artists) or as_str(obj.get("AlbumArtist"))
    if not item_id or not title or not artist:
        raise MalformedPayloadError("audio item has no Id, Name or artist")
    ticks = as_int(obj.get("RunTimeTicks"))
    ids = {"jellyfin": item_id}
    if mbid := as_str(as_dict(obj.get("ProviderIds")).get("MusicBrainzTrack")):
        ids["recording_mbid"] = mbid
    return usable(
        TrackRef(
            source=source,
            artist=artist,
            title=title,
            album=as_str(obj.get("Album")),
            duration=ticks / _TICKS_PER_S if ticks and ticks > 0 else None,
            url=f"{base}/Audio/{quote(item_id, safe='')}/stream?static=true",
            ids=ids,
        )
    )


@dataclass(frozen=True)
class JellyfinConfig(HistoryConfig):
    """A ``[[history]] type = "jellyfin"`` table."""

    required: ClassVar[tuple[str, ...]] = ("url", "user")
    type: str = "jellyfin"
    url: str = ""
    user: str = ""  # a user name or id
    token: Secret = secret()  # an API key (Dashboard > API Keys)
    feedback: bool = True  # favourites as likes
    playback_reporting: bool = True  # per-play history from the plugin when it answers
    playlist: str = "tastebud"  # the library folder's playlist in Jellyfin; empty: none
    page_size: int = bounded(200, above=0)

    @property
    def key(self) -> str:
        """The source's name in cursors, runs and logs."""
        return self.name or (f"{self.type}:{self.user}" if self.user else self.type)

    def auth_headers(self) -> dict[str, str]:
        """The API key as Jellyfin's ``Authorization`` header (none without a token)."""
        if not self.token:
            return {}
        return {"Authorization": f'MediaBrowser Client="tastebud", Token="{self.token}"'}

    def server_audio(self, config: Config) -> ServerAudio | None:
        """This server's stream URLs, fetched with the API key."""
        if not self.url:
            return None
        return ServerAudio(prefix=self.url.rstrip("/") + "/", headers=self.auth_headers())


class JellyfinHistory:
    """A ``[[history]] type = "jellyfin"`` source."""

    def __init__(self, config: JellyfinConfig) -> None:
        self.config = config
        self.key = config.key
        self.base = config.url.rstrip("/")
        self.what = f"Jellyfin server {self.base} (history {self.key!r})"

    def poll(self, store: Store, ctx: PollContext) -> dict[str, int]:
        """Plays, then favourites."""
        try:
            user_id = self._user_id(ctx)
            counts = self._poll_activity(store, ctx, user_id)
            if counts is None:
                counts = self._poll_plays(store, ctx, user_id)
            if self.config.feedback:
                counts.update(self._poll_favourites(store, ctx, user_id))
            counts.update(self._poll_owned(store, ctx, user_id))
        except SourceAuthError:
            raise SourceAuthError(
                f"{self.what}: the server refused the token: set token to an API key from "
                "Jellyfin's Dashboard > API Keys (or TASTEBUD_JELLYFIN_TOKEN)"
            ) from None
        return counts

    # -- the API ---------------------------------------------------------------------------

    def _get(self, ctx: PollContext, path: str, **params: Any) -> Any:
        url = f"{self.base}{path}"
        return ctx.get_json(url, what=self.what, params=params, headers=self.config.auth_headers())

    def _user_id(self, ctx: PollContext) -> str:
        user = self.config.user
        if _USER_ID.match(user):
            return user.replace("-", "")
        users = self._get(ctx, "/Users")
        if not isinstance(users, list):
            raise MalformedPayloadError(f"{self.what}: /Users is not a list of users")
        for entry in users:
            name, user_id = as_str(as_dict(entry).get("Name")), as_str(as_dict(entry).get("Id"))
            if name and user_id and name.casefold() == user.casefold():
                return user_id.replace("-", "")
        raise SourceError(
            f"{self.what}: no user named {user!r} (an API key sees every user): fix user"
        )

    def _items(self, ctx: PollContext, user_id: str, **params: Any) -> Iterator[list[Any]]:
        """Pages of a user's audio items; stops at the last, refuses a server paging forever."""
        limit, previous = self.config.page_size, None
        for page in range(MAX_PAGES):
            payload = as_dict(
                self._get(
                    ctx,
                    f"/Users/{user_id}/Items",
                    IncludeItemTypes="Audio",
                    Recursive="true",
                    Fields=_FIELDS,
                    StartIndex=page * limit,
                    Limit=limit,
                    **params,
                )
            )
            items = payload.get("Items")
            if not isinstance(items, list):
                raise MalformedPayloadError(f"{self.what}: the answer has no Items array")
            ids = [as_str(as_dict(i).get("Id")) for i in items]
            if items and ids == previous:
                raise MalformedPayloadError(
                    f"{self.what}: the server answers the same page whatever StartIndex asks: "
                    "upgrade Jellyfin or check what proxies it"
                )
            previous = ids
            yield items
            total = as_int(payload.get("TotalRecordCount"))
            if len(items) < limit or (total is not None and (page + 1) * limit >= total):
                return
        raise SourceError(f"{self.what}: more than {MAX_PAGES} pages of items: lower the load")

    # -- plays from UserData ---------------------------------------------------------------

    def _poll_plays(self, store: Store, ctx: PollContext, user_id: str) -> dict[str, int]:
        cursor_name = f"history:{self.key}"
        newest = as_int(store.get_cursor(cursor_name)) or 0
        seen = read_cursor(store.get_cursor(f"{cursor_name}:plays"), dict)
        counts = {"listens": 0, "duplicates": 0, "skipped": 0}
        order = {"Filters": "IsPlayed", "SortBy": "DatePlayed", "SortOrder": "Descending"}
        for items in self._items(ctx, user_id, **order):
            skips: Skips = Skips()
            played = parse_items(items, self._played, self.what, skips)
            fresh = [(ref, at, n, i) for ref, at, n, i in played if at >= newest]
            listens = [
                ListenIn(track=ref, listened_at=at - back)
                for ref, at, plays, item_id in fresh
                for back in range(new_plays(seen.get(item_id), plays))
            ]
            result = store.add_listens(listens, self.key)
            counts["listens"] += result.inserted
            counts["duplicates"] += result.duplicates
            counts["skipped"] += sum(skips.values())
            seen.update({item_id: plays for _, _, plays, item_id in fresh})
            newest = max([newest, *(at for _, at, _, _ in fresh)])
            if len(fresh) < len(played):
                break  # sorted newest first: the rest was read before
        store.set_cursor(f"{cursor_name}:plays", json.dumps(seen, sort_keys=True))
        if newest:
            store.set_cursor(cursor_name, str(newest))
        return counts

    def _played(self, item: Any) -> tuple[TrackRef, int, int, str]:
        ref = item_ref(item, self.key, self.base)
        data = as_dict(as_dict(item).get("UserData"))
        at = parse_date(data.get("LastPlayedDate"), "UserData.LastPlayedDate")
        return ref, at, max(as_int(data.get("PlayCount")) or 1, 1), ref.ids["jellyfin"]

    # -- plays from the Playback Reporting plugin ------------------------------------------

    def _poll_activity(self, store: Store, ctx: PollContext, user_id: str) -> dict[str, int] | None:
        """Per-play listens from the plugin; None when it is not installed (or not wanted)."""
        if not self.config.playback_reporting or not _HEX_ID.match(user_id):
            return None
        cursor_name = f"history:{self.key}:activity"
        since = (store.get_cursor(cursor_name) or "1970-01-01 00:00:00").replace("'", "''")
        query = (
            "SELECT DateCreated, ItemId, PlayDuration FROM PlaybackActivity "
            f"WHERE UserId = '{user_id}' AND ItemType = 'Audio' AND DateCreated > '{since}' "
            "ORDER BY DateCreated LIMIT 5000"
        )
        url = f"{self.base}/user_usage_stats/submit_custom_query"
        body = {"CustomQuery": query, "ReplaceUserId": False}
        response = ctx.request(
            "POST", url, what=self.what, json=body, headers=self.config.auth_headers()
        )
        if response.status_code == 404:
            logger.debug("%s: no Playback Reporting plugin; reading UserData", self.what)
            return None
        check_status(response, self.what)
        try:
            rows = as_list(as_dict(response.json()).get("results"))
        except ValueError:
            raise MalformedPayloadError(f"{self.what}: the plugin's answer is not JSON") from None
        plays = [r for r in rows if isinstance(r, list) and len(r) >= 3]
        refs = self._refs_by_id(ctx, user_id, sorted({str(r[1]) for r in plays}))
        listens, skipped, seen = [], len(rows) - len(plays), []
        for created, item_id, duration in (r[:3] for r in plays):
            ref = refs.get(str(item_id).replace("-", ""))
            try:
                at = parse_date(created, "DateCreated")
                seen.append(str(created))
            except MalformedPayloadError:
                ref = None
            if ref is None:
                skipped += 1
                continue
            seconds = _seconds(duration)
            listens.append(ListenIn(track=ref, listened_at=at, duration_played=seconds))
        result = store.add_listens(listens, self.key)
        if seen:  # the plugin's own text, compared as text in the next query
            store.set_cursor(cursor_name, max(seen))
        return {"listens": result.inserted, "duplicates": result.duplicates, "skipped": skipped}

    def _refs_by_id(self, ctx: PollContext, user_id: str, ids: list[str]) -> dict[str, TrackRef]:
        refs: dict[str, TrackRef] = {}
        for start in range(0, len(ids), 100):
            chunk = ",".join(ids[start : start + 100])
            for items in self._items(ctx, user_id, Ids=chunk):
                skips: Skips = Skips()
                for ref in parse_items(items, self._ref, self.what, skips):
                    refs[ref.ids["jellyfin"].replace("-", "")] = ref
        return refs

    def _ref(self, item: Any) -> TrackRef:
        return item_ref(item, self.key, self.base)

    # -- what the listener owns, for discovery --------------------------------------------

    def _poll_owned(self, store: Store, ctx: PollContext, user_id: str) -> dict[str, int]:
        """Once a day, the whole audio library's match keys (``owned:<source>``)."""
        read_at = store.cursor_updated_at(f"owned:{self.key}")
        if read_at is not None and ctx.now() - read_at < OWNED_EVERY_S:
            return {}
        refs: list[TrackRef] = []
        for items in self._items(ctx, user_id):
            skips: Skips = Skips()
            refs += parse_items(items, self._ref, self.what, skips)
        return {"owned": store_owned(store, self.key, refs)}

    # -- favourites ------------------------------------------------------------------------

    def _poll_favourites(self, store: Store, ctx: PollContext, user_id: str) -> dict[str, int]:
        cursor_name = f"history:{self.key}:favourites"
        before = set(read_cursor(store.get_cursor(cursor_name), list))
        now: dict[str, TrackRef] = {}
        for items in self._items(ctx, user_id, Filters="IsFavorite"):
            skips: Skips = Skips()
            for ref in parse_items(items, self._ref, self.what, skips):
                now[ref.ids["jellyfin"]] = ref
        events: list[FeedbackIn] = [
            ("like", "jellyfin", ref, None, ctx.now()) for i, ref in now.items() if i not in before
        ]
        added = store.add_feedback_many(events).inserted
        withdrawn = sum(
            store.withdraw_feedback("like", "jellyfin", TrackRef(self.key, ids={"jellyfin": i}))
            for i in sorted(before - set(now))
        )
        store.set_cursor(cursor_name, json.dumps(sorted(now)))
        return {"feedback": added, "withdrawn": withdrawn}


def _seconds(value: Any) -> float | None:
    """The plugin's ``PlayDuration`` (seconds, as a number or a string), else None."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


register(JellyfinHistory, JellyfinConfig)
