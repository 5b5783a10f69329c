"""OpenSubsonic servers (Navidrome, Gonic, Airsonic): the library playlist, and stars as likes.

After a library refresh: ``startScan``, wait while ``getScanStatus`` says scanning,
find each library file with ``search3`` (by its path, else by artist and title),
then create the playlist or replace the one of that name (``createPlaylist`` with
``playlistId``). Starred songs (``getStarred2``) become likes. Authentication is
the token scheme: ``t = md5(password + s)`` with a fresh random salt ``s`` per
request; the password never leaves the process, and neither the token nor the
salt reaches a log line or an error.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from datetime import datetime
from typing import Any

import httpx

from daemon.config import Config, FetchConfig, SubsonicConfig
from daemon.listening.errors import PlayerError
from daemon.listening.library import LibraryResult
from daemon.net import RetryPolicy, SourceError, client_for, get_json
from daemon.redact import redact
from store import FeedbackKind, Store, TrackRef

__all__ = ["API_VERSION", "Subsonic", "sync_subsonic"]

logger = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry the token in URLs

API_VERSION = "1.16.1"
CLIENT = "tastebud"
SCAN_TIMEOUT_S = 600.0
AUTH_CODES = (40, 41, 42, 43, 44)  # wrong credentials, token unsupported, ...
_QUERY = re.compile(r"\?\S*?(?=:?(?:\s|$))")  # a URL's query, not the colon after it


class Subsonic:
    """One server's REST API, over the project's HTTP client."""

    def __init__(
        self,
        config: SubsonicConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        fetch: FetchConfig | None = None,
    ) -> None:
        """``fetch``: the proxy, socket timeout and answer limits (``[fetch]``)."""
        self.config = config
        self.base = config.url.rstrip("/")
        self.shown = redact(self.base)  # the URL as messages show it (no user:pass@)
        self.client = client_for(fetch or FetchConfig(), transport=transport)
        self.policy = policy

    def close(self) -> None:
        self.client.close()

    def _auth(self) -> dict[str, str]:
        salt = secrets.token_hex(8)
        token = hashlib.md5((self.config.password + salt).encode()).hexdigest()
        return {
            "u": self.config.user,
            "t": token,
            "s": salt,
            "v": API_VERSION,
            "c": CLIENT,
            "f": "json",
        }

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """The ``subsonic-response`` of ``method``; a failed one is one PlayerError line."""
        what = f"Subsonic server {self.shown} ({method})"
        try:
            data = get_json(
                self.client,
                f"{self.base}/rest/{method}",
                what=what,
                policy=self.policy,
                params={**self._auth(), **params},
            )
        except SourceError as exc:
            raise PlayerError(_QUERY.sub("", str(exc))) from None
        body = data.get("subsonic-response") if isinstance(data, dict) else None
        if not isinstance(body, dict):
            raise PlayerError(
                f"{what}: not a Subsonic server (no subsonic-response): fix [subsonic] url"
            )
        if body.get("status") != "ok":
            raise PlayerError(self._error(what, body.get("error") or {}))
        return body

    def _error(self, what: str, error: dict[str, Any]) -> str:
        code, message = error.get("code"), error.get("message", "")
        if code in AUTH_CODES:
            return (
                f"{what}: refused user '{self.config.user}' (error {code}: {message}): fix "
                "[subsonic] user and password (or TASTEBUD_SUBSONIC_PASSWORD)"
            )
        return f"{what}: error {code}: {message}"

    def scan(self, poll_s: float = 1.0) -> None:
        """Start a library scan and wait for it to end."""
        self.call("startScan")
        deadline = time.monotonic() + SCAN_TIMEOUT_S
        while _dig(self.call("getScanStatus"), "scanStatus").get("scanning"):
            if time.monotonic() > deadline:
                raise PlayerError(f"Subsonic server {self.shown}: still scanning after 10 minutes")
            time.sleep(poll_s)

    def find_song(self, path: str, artist: str | None, title: str | None) -> str | None:
        """The id of the song at library ``path`` (else of that artist and title)."""
        query = title or path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        found = self.call("search3", query=query, songCount=50, artistCount=0, albumCount=0)
        songs = _songs(_dig(found, "searchResult3").get("song"))
        for song in songs:
            if str(song.get("path", "")).endswith(path) and song.get("id") is not None:
                return str(song["id"])
        for song in songs:
            if song.get("artist") == artist and song.get("title") == title and "id" in song:
                return str(song["id"])
        return None

    def replace_playlist(self, name: str, song_ids: list[str]) -> None:
        """Create the playlist ``name`` or replace the songs of the one that exists."""
        playlists = _songs(_dig(self.call("getPlaylists"), "playlists").get("playlist"))
        existing = next((p for p in playlists if p.get("name") == name and "id" in p), None)
        if existing is not None:
            self.call("createPlaylist", playlistId=existing["id"], songId=song_ids)
        else:
            self.call("createPlaylist", name=name, songId=song_ids)

    def starred(self) -> list[dict[str, Any]]:
        """The starred songs."""
        return _songs(_dig(self.call("getStarred2"), "starred2").get("song"))


def _dig(body: dict[str, Any], key: str) -> dict[str, Any]:
    """``body[key]`` when it is an object, else an empty one (a garbage answer finds nothing)."""
    value = body.get(key)
    return value if isinstance(value, dict) else {}


def _songs(value: Any) -> list[dict[str, Any]]:
    """The objects of a list (a lone object is a list of one; anything else is skipped)."""
    items = [value] if isinstance(value, dict) else value if isinstance(value, list) else []
    return [item for item in items if isinstance(item, dict)]


def sync_subsonic(config: Config, library: LibraryResult, store: Store, **client: Any) -> int:
    """Scan, replace the playlist with the library's songs, import stars; how many songs."""
    api = Subsonic(config.subsonic, fetch=config.fetch, **client)
    try:
        api.scan()
        ids = [
            song_id
            for entry, f in library.files
            if (song_id := api.find_song(f.path, entry.artist, entry.title)) is not None
        ]
        if library.files and not ids:
            raise PlayerError(
                f"Subsonic server {api.shown} does not see the library folder {library.root}: "
                "add it to the server's music folders"
            )
        api.replace_playlist(config.subsonic.playlist, ids)
        likes = import_stars(api, store)
    finally:
        api.close()
    logger.info(
        "Subsonic playlist %s: %d songs; %d new likes", config.subsonic.playlist, len(ids), likes
    )
    return len(ids)


def import_stars(api: Subsonic, store: Store) -> int:
    """Store each starred song as a like (once); returns how many were new."""
    events: list[tuple[FeedbackKind, str, TrackRef | int | None, str | None, float]] = []
    for song in api.starred():
        if not (isinstance(song.get("artist"), str) and isinstance(song.get("title"), str)):
            continue
        album = song.get("album")
        ref = TrackRef(
            "subsonic",
            artist=song["artist"],
            title=song["title"],
            album=album if isinstance(album, str) else None,
        )
        events.append(("like", "subsonic", ref, None, _starred_at(song)))
    return store.add_feedback_many(events).inserted


def _starred_at(song: dict[str, Any]) -> float:
    try:
        return datetime.fromisoformat(str(song.get("starred"))).timestamp()
    except ValueError:
        return time.time()
