"""Navidrome and other OpenSubsonic servers: ratings, stars and plays, and their audio.

One pass over the library's songs (``search3`` with an empty query, paged by
``songOffset``, as OpenSubsonic clients sync) reads each song's ``userRating``,
``starred``, ``played`` and ``playCount``. A rating of 4 or 5 stars is a like, 1 or 2
a dislike; a rating cleared or set to 3 takes back what the old one gave (a starred
song keeps its like). Stars are likes. Plays count as listens as for Jellyfin (the
``played`` time, earlier plays since the last read a second apart before it), unless
``plays = "auto"`` finds a ListenBrainz or Last.fm history configured: the server then
scrobbles there, and its plays would be counted twice. Each song carries its stream
URL (``/rest/stream?id=...&format=raw``: the file untranscoded) without credentials;
the fetcher adds a fresh salted token at download time. ``url``, ``user`` and
``password`` default to ``[subsonic]``'s. Every song's match key is kept, so discovery
never offers a song the listener owns.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, urlsplit

from daemon.acquire import ServerAudio
from daemon.config import Config, ConfigError, HistoryConfig, Secret, bounded, choice, secret
from daemon.net import MalformedPayloadError, SourceAuthError, SourceError
from daemon.sources._media import FeedbackIn, new_plays, parse_date, read_cursor, store_owned
from daemon.sources._parse import Skips, as_dict, as_int, as_list, as_str, parse_items, usable
from daemon.sources.base import PollContext
from daemon.sources.registry import register
from store import FeedbackKind, ListenIn, Store, TrackRef

__all__ = ["SubsonicHistory", "SubsonicHistoryConfig", "rating_kind", "song_ref"]

API_VERSION = "1.16.1"
MAX_PAGES = 2_000
AUTH_CODES = (40, 41, 42, 43, 44)
SCROBBLERS = ("listenbrainz", "lastfm")


def rating_kind(rating: int | None) -> FeedbackKind | None:
    """What a star rating says: 4-5 a like, 1-2 a dislike, 3 or none nothing."""
    if rating is None or rating == 3 or not 1 <= rating <= 5:
        return None
    return "like" if rating >= 4 else "dislike"


def song_ref(song: Any, source: str, base: str) -> TrackRef:
    """One ``Child`` song as a track with its stream URL."""
    obj = as_dict(song)
    song_id, title = as_str(obj.get("id")), as_str(obj.get("title"))
    artist = as_str(obj.get("artist")) or as_str(obj.get("displayArtist"))
    if not song_id or not title or not artist or obj.get("isVideo") is True:
        raise MalformedPayloadError("song has no id, title or artist")
    duration = as_int(obj.get("duration"))
    ids = {_id_kind(base): song_id}
    if mbid := as_str(obj.get("musicBrainzId")):
        ids["recording_mbid"] = mbid
    return usable(
        TrackRef(
            source=source,
            artist=artist,
            title=title,
            album=as_str(obj.get("album")),
            duration=float(duration) if duration and duration > 0 else None,
            url=f"{base}/rest/stream?id={quote(song_id, safe='')}&format=raw",
            ids=ids,
        )
    )


def _id_kind(base: str) -> str:
    """Song ids are only unique on their server (Gonic's are ``tr-12``)."""
    return f"subsonic:{urlsplit(base).netloc}"


def auth_params(user: str, password: str) -> dict[str, str]:
    """The token scheme: ``t = md5(password + s)``, a fresh salt ``s`` each time."""
    salt = secrets.token_hex(8)
    token = hashlib.md5((password + salt).encode()).hexdigest()
    return {"u": user, "t": token, "s": salt, "v": API_VERSION, "c": "tastebud"}


@dataclass(frozen=True)
class SubsonicHistoryConfig(HistoryConfig):
    """A ``[[history]] type = "subsonic"`` table; empty keys take ``[subsonic]``'s."""

    type: str = "subsonic"
    url: str = ""
    user: str = ""
    password: Secret = secret()
    feedback: bool = True  # ratings and stars
    plays: str = choice("auto", ("auto", "always", "never"))  # auto: unless a scrobbler is read
    page_size: int = bounded(500, above=0)

    def resolved(self, config: Config) -> SubsonicHistoryConfig:
        """This table with ``[subsonic]``'s url, user and password where it has none."""
        main = config.subsonic
        return replace(
            self,
            url=self.url or main.url,
            user=self.user or main.user,
            password=self.password or main.password,
        )

    def server_audio(self, config: Config) -> ServerAudio | None:
        """This server's stream URLs, fetched with a fresh salted token each time."""
        own = self.resolved(config)
        if not own.url:
            return None
        return ServerAudio(
            prefix=own.url.rstrip("/") + "/rest/",
            params=lambda: auth_params(own.user, own.password),
        )


class SubsonicHistory:
    """A ``[[history]] type = "subsonic"`` source."""

    def __init__(self, config: SubsonicHistoryConfig) -> None:
        self.config = config
        self.key = config.key

    def poll(self, store: Store, ctx: PollContext) -> dict[str, int]:
        """One pass over the songs: plays, then ratings and stars."""
        own = self.config.resolved(ctx.config)
        if not own.url or not own.user:
            raise ConfigError(
                f"history {self.key!r} (subsonic) needs url and user, here or in [subsonic]"
            )
        self.own, self.base = own, own.url.rstrip("/")
        self.what = f"Subsonic server {self.base} (history {self.key!r})"
        songs = [s for page in self._pages(ctx) for s in page]
        skips: Skips = Skips()
        parsed = parse_items(songs, self._parse, self.what, skips)
        counts = {"skipped": sum(skips.values())}
        counts["owned"] = store_owned(store, self.key, [ref for ref, _ in parsed])
        if self._counts_plays(ctx.config):
            counts.update(self._store_plays(store, parsed))
        if own.feedback:
            counts.update(self._store_feedback(store, ctx, parsed))
        return counts

    def _counts_plays(self, config: Config) -> bool:
        if self.config.plays != "auto":
            return self.config.plays == "always"
        return not any(h.type in SCROBBLERS for h in config.history)

    # -- the API ---------------------------------------------------------------------------

    def _call(self, ctx: PollContext, method: str, **params: Any) -> dict[str, Any]:
        query = {**auth_params(self.own.user, self.own.password), "f": "json", **params}
        data = ctx.get_json(f"{self.base}/rest/{method}", what=self.what, params=query)
        body = as_dict(data).get("subsonic-response")
        if not isinstance(body, dict):
            raise MalformedPayloadError(
                f"{self.what}: not a Subsonic answer (no subsonic-response): fix url"
            )
        if body.get("status") != "ok":
            error = as_dict(body.get("error"))
            code, message = as_int(error.get("code")), as_str(error.get("message")) or ""
            if code in AUTH_CODES:
                raise SourceAuthError(
                    f"{self.what}: refused user {self.own.user!r} (error {code}: {message}): "
                    "fix user and password (or TASTEBUD_SUBSONIC_PASSWORD)"
                )
            raise SourceError(f"{self.what}: {method} failed (error {code}: {message})")
        return body

    def _pages(self, ctx: PollContext) -> Iterator[list[Any]]:
        size, previous = self.config.page_size, None
        for page in range(MAX_PAGES):
            body = self._call(
                ctx,
                "search3",
                query="",
                songCount=size,
                songOffset=page * size,
                artistCount=0,
                albumCount=0,
            )
            songs = as_list(as_dict(body.get("searchResult3")).get("song"))
            ids = [as_str(as_dict(s).get("id")) for s in songs]
            if songs and ids == previous:
                raise MalformedPayloadError(
                    f"{self.what}: search3 answers the same songs whatever songOffset asks: "
                    "upgrade the server"
                )
            previous = ids
            yield songs
            if len(songs) < size:
                return
        raise SourceError(f"{self.what}: more than {MAX_PAGES} pages of songs: lower the load")

    def _parse(self, song: Any) -> tuple[TrackRef, dict[str, Any]]:
        return song_ref(song, self.key, self.base), as_dict(song)

    # -- plays -----------------------------------------------------------------------------

    def _store_plays(
        self, store: Store, parsed: list[tuple[TrackRef, dict[str, Any]]]
    ) -> dict[str, int]:
        cursor_name = f"history:{self.key}:plays"
        seen = read_cursor(store.get_cursor(cursor_name), dict)
        listens: list[ListenIn] = []
        for ref, song in parsed:
            plays = as_int(song.get("playCount")) or 0
            song_id = str(song["id"])
            if plays <= 0 or not song.get("played") or seen.get(song_id) == plays:
                continue
            try:
                at = parse_date(song.get("played"), "played")
            except MalformedPayloadError:
                continue
            listens += [
                ListenIn(track=ref, listened_at=at - back)
                for back in range(new_plays(seen.get(song_id), plays))
            ]
            seen[song_id] = plays
        result = store.add_listens(listens, self.key)
        store.set_cursor(cursor_name, json.dumps(seen, sort_keys=True))
        return {"listens": result.inserted, "duplicates": result.duplicates}

    # -- ratings and stars -----------------------------------------------------------------

    def _store_feedback(
        self, store: Store, ctx: PollContext, parsed: list[tuple[TrackRef, dict[str, Any]]]
    ) -> dict[str, int]:
        cursor_name = f"history:{self.key}:ratings"
        before = read_cursor(store.get_cursor(cursor_name), dict)
        ratings, stars = before.get("ratings") or {}, set(before.get("starred") or ())
        events: list[FeedbackIn] = []
        withdrawn, now = 0, ctx.now()
        for ref, song in parsed:
            song_id, starred = str(song["id"]), bool(song.get("starred"))
            old, new = (
                rating_kind(ratings.get(song_id)),
                rating_kind(as_int(song.get("userRating"))),
            )
            if starred and song_id not in stars:
                events.append(("like", "subsonic", ref, None, _starred_at(song["starred"], now)))
            if new is not None and new != old:
                events.append((new, "subsonic", ref, None, now))
            taken_back: set[FeedbackKind | None] = {old} if old != new else set()
            if song_id in stars and not starred and new != "like":
                taken_back.add("like")
            if starred or new == "like":
                taken_back.discard("like")
            for kind in taken_back:
                if kind is not None:
                    withdrawn += store.withdraw_feedback(kind, "subsonic", ref)
            ratings[song_id] = as_int(song.get("userRating")) or 0
            (stars.add if starred else stars.discard)(song_id)
        added = store.add_feedback_many(events).inserted
        state = {"ratings": ratings, "starred": sorted(stars)}
        store.set_cursor(cursor_name, json.dumps(state, sort_keys=True))
        return {"feedback": added, "withdrawn": withdrawn}


def _starred_at(value: Any, now: float) -> float:
    try:
        return float(parse_date(value, "starred"))
    except MalformedPayloadError:
        return now


register(SubsonicHistory, SubsonicHistoryConfig)
