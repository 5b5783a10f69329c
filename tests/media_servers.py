"""Loopback media servers answering as Jellyfin's and OpenSubsonic's documented APIs do.

Their answers are built from the shapes in ``tests/fixtures/servers/`` (see its README);
the stream endpoints serve real audio files. ``mode`` makes a server misbehave:
``garbage`` (a 200 with HTML instead of JSON or XML), ``forever`` (every page the same,
``TotalRecordCount`` endless).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.audio_helpers import MIME

SERVERS = Path(__file__).resolve().parent / "fixtures" / "servers"
SAMPLES = Path(__file__).resolve().parent / "fixtures" / "samples"


def sample(name: str) -> Any:
    """A file of ``tests/fixtures/servers`` (or, as ``samples/...``, of the real samples)
    as JSON."""
    folder = SAMPLES.parent if name.startswith("samples/") else SERVERS
    return json.loads((folder / name).read_text(encoding="utf-8"))


class _Server:
    """A threaded HTTP server on 127.0.0.1 whose handler calls ``self.answer``."""

    def __init__(self) -> None:
        self.mode = ""
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, str, bytes]:
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_HEAD(self) -> None:
                self._serve(send_body=False)

            def do_POST(self) -> None:
                self._serve()

            def do_DELETE(self) -> None:
                self._serve()

            def _serve(self, send_body: bool = True) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.requests.append((self.command, self.path, headers))
                query = parse_qs(parts.query)
                status, kind, payload = server.answer(
                    self.command, parts.path, query, headers, body
                )
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if send_body:
                    self.wfile.write(payload)

        return Handler

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _json(status: int, value: Any) -> tuple[int, str, bytes]:
    return status, "application/json; charset=utf-8", json.dumps(value).encode()


_GARBAGE = (200, "text/html", b"<html><body>Welcome to nginx!</body></html>")


class FakeJellyfin(_Server):
    """Jellyfin 10.9's ``/Users``, ``/Users/{id}/Items`` (paged, filtered, sorted),
    ``/Audio/{id}/stream``, and optionally the Playback Reporting plugin."""

    def __init__(self, token: str, items: list[dict[str, Any]] | None = None) -> None:
        super().__init__()
        self.token = token
        self.users = sample("jellyfin_users.json")
        self.items: list[dict[str, Any]] = items if items is not None else self.sample_items()
        self.audio: dict[str, Path] = {}  # item id -> file served by /Audio/{id}/stream
        self.activity: list[list[str]] | None = None  # the plugin's rows; None: not installed
        self.unscanned: list[dict[str, Any]] = []  # items a library scan will find
        self.scan_polls = 0  # how many more times the scan task says it runs
        self.playlists: dict[str, dict[str, Any]] = {}  # id -> {"Name", "entries": [(entry, item)]}

    @staticmethod
    def sample_items() -> list[dict[str, Any]]:
        return copy.deepcopy(sample("jellyfin_items.json")["Items"])

    def authorized(self, headers: dict[str, str]) -> bool:
        header = headers.get("authorization", "")
        return f'Token="{self.token}"' in header or headers.get("x-emby-token") == self.token

    def answer(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, str, bytes]:
        if not self.authorized(headers):
            return 401, "text/plain", b""
        if self.mode == "garbage":
            return _GARBAGE
        if path == "/Users":
            return _json(200, self.users)
        if path == "/System/Info":
            return _json(200, {"ServerName": "jf", "Version": "10.9.11", "Id": "0f1e" * 8})
        if m := re.fullmatch(r"/Users/([0-9a-f]+)/Items", path):
            if m.group(1) != self.users[0]["Id"]:
                return 404, "text/plain", b""
            return _json(200, self._items(query))
        if m := re.fullmatch(r"/Audio/([0-9a-f]+)/stream", path):
            file = self.audio.get(m.group(1))
            if file is None:
                return 404, "text/plain", b""
            return 200, MIME[file.suffix.lstrip(".")], file.read_bytes()
        if path == "/user_usage_stats/submit_custom_query" and method == "POST":
            return self._custom_query(json.loads(body))
        if path == "/Library/Refresh" and method == "POST":
            self.items += self.unscanned
            self.unscanned, self.scan_polls = [], 2
            return 204, "text/plain", b""
        if path == "/ScheduledTasks":
            state = "Running" if self.scan_polls > 0 else "Idle"
            self.scan_polls -= 1
            task = {"Name": "Scan Media Library", "Key": "RefreshLibrary", "State": state}
            return _json(
                200, [{"Name": "Clean Cache", "Key": "DeleteCacheFiles", "State": "Idle"}, task]
            )
        if path.startswith("/Playlists"):
            return self._playlists(method, path, query, body)
        return 404, "text/plain", b""

    def _playlists(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, str, bytes]:
        if path == "/Playlists" and method == "POST":
            data = json.loads(body)
            new_id = f"{len(self.playlists) + 1:032x}"
            self.playlists[new_id] = {"Name": data["Name"], "entries": []}
            self._add_entries(new_id, data.get("Ids") or [])
            return _json(200, {"Id": new_id})
        m = re.fullmatch(r"/Playlists/([0-9a-f]+)/Items", path)
        if m is None or m.group(1) not in self.playlists:
            return 404, "text/plain", b""
        playlist = self.playlists[m.group(1)]
        if method == "GET":
            items = [{**item, "PlaylistItemId": entry} for entry, item in playlist["entries"]]
            return _json(200, {"Items": items, "TotalRecordCount": len(items), "StartIndex": 0})
        if method == "DELETE":
            gone = set(query.get("entryIds", [""])[0].split(","))
            playlist["entries"] = [(e, i) for e, i in playlist["entries"] if e not in gone]
            return 204, "text/plain", b""
        self._add_entries(m.group(1), query.get("ids", [""])[0].split(","))
        return 204, "text/plain", b""

    def _add_entries(self, playlist_id: str, ids: list[str]) -> None:
        entries = self.playlists[playlist_id]["entries"]
        for item_id in ids:
            item = next(i for i in self.items if i["Id"] == item_id)
            entries.append((f"e{len(entries) + 1:031x}", item))

    def _items(self, query: dict[str, list[str]]) -> dict[str, Any]:
        def one(name: str, default: str = "") -> str:
            return query.get(name, [default])[0]

        kind = one("IncludeItemTypes", "Audio")
        if kind == "Playlist":
            items = [
                {"Id": pid, "Name": p["Name"], "Type": "Playlist"}
                for pid, p in self.playlists.items()
            ]
        else:
            items = [i for i in self.items if i.get("Type") == "Audio"]
        if term := one("searchTerm").casefold():
            items = [i for i in items if term in i["Name"].casefold()]
        filters = one("Filters").split(",")
        if "IsPlayed" in filters:
            items = [i for i in items if i["UserData"].get("Played")]
        if "IsFavorite" in filters:
            items = [i for i in items if i["UserData"].get("IsFavorite")]
        if ids := one("Ids"):
            items = [i for i in items if i["Id"] in ids.split(",")]
        if one("SortBy") == "DatePlayed":
            items.sort(
                key=lambda i: i["UserData"].get("LastPlayedDate", ""),
                reverse=one("SortOrder") == "Descending",
            )
        start, limit = int(one("StartIndex", "0")), int(one("Limit", "100"))
        if self.mode == "forever":
            return {"Items": items[:limit], "TotalRecordCount": 10**9, "StartIndex": start}
        page = items[start : start + limit]
        return {"Items": page, "TotalRecordCount": len(items), "StartIndex": start}

    def _custom_query(self, body: dict[str, Any]) -> tuple[int, str, bytes]:
        if self.activity is None:
            return 404, "text/plain", b""
        since = re.search(r"DateCreated > '([^']*)'", body["CustomQuery"])
        rows = [r for r in self.activity if not since or r[0] > since.group(1)]
        return _json(200, {"colums": ["DateCreated", "ItemId", "PlayDuration"], "results": rows})


class FakeSubsonic(_Server):
    """OpenSubsonic's ``search3`` (an empty query lists every song, paged by
    ``songOffset``) and ``stream``, behind the token scheme; answers ``f=json``."""

    def __init__(self, user: str, password: str, songs: list[dict[str, Any]] | None = None):
        super().__init__()
        self.user, self.password = user, password
        self.songs = songs if songs is not None else self.sample_songs()
        self.audio: dict[str, Path] = {}  # song id -> file served by /rest/stream

    @staticmethod
    def sample_songs() -> list[dict[str, Any]]:
        body = sample("subsonic_song.json")["subsonic-response"]
        return copy.deepcopy(body["searchResult3"]["song"])

    def _envelope(self, status: str = "ok", **body: Any) -> dict[str, Any]:
        head = {"status": status, "version": "1.16.1", "type": "navidrome", "openSubsonic": True}
        return {"subsonic-response": {**head, "serverVersion": "0.53.3", **body}}

    def answer(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, str, bytes]:
        def one(name: str, default: str = "") -> str:
            return query.get(name, [default])[0]

        name = path.removeprefix("/rest/").removesuffix(".view")
        if self.mode == "garbage":
            return _GARBAGE
        if self.mode == "xml":
            return 200, "text/xml", b'<subsonic-response status="ok" version="1.16.1"/>'
        expected = hashlib.md5((self.password + one("s")).encode()).hexdigest()
        if one("u") != self.user or one("t") != expected or not one("s"):
            error = {"code": 40, "message": "Wrong username or password"}
            return _json(200, self._envelope("failed", error=error))
        if name == "ping":
            return _json(200, self._envelope())
        if name == "search3":
            offset, count = int(one("songOffset", "0")), int(one("songCount", "20"))
            if self.mode == "forever":
                offset = 0
            page = self.songs[offset : offset + count]
            return _json(200, self._envelope(searchResult3={"song": page}))
        if name == "stream":
            file = self.audio.get(one("id"))
            if file is None:
                error = {"code": 70, "message": "The requested data was not found"}
                return _json(200, self._envelope("failed", error=error))
            return 200, MIME[file.suffix.lstrip(".")], file.read_bytes()
        return 404, "text/plain", b""


class FakeDiscovery(_Server):
    """ListenBrainz (user listens, artist statistics, top recordings, fresh releases), its
    labs API (similar artists) and Last.fm's ``user.getTopArtists``, ``artist.getSimilar``
    and ``artist.getTopTracks`` on one loopback server. Each similar artist's top
    recordings are the real sample's, credited to that artist (Last.fm's top tracks too).
    ``failing`` names the APIs that answer 500 (``listenbrainz``, ``lastfm``)."""

    def __init__(self, listens: list[dict[str, Any]] | None = None) -> None:
        super().__init__()
        self.listens = listens or []
        self.failing: set[str] = set()
        self.similar = sample("samples/listenbrainz/lb_labs_similar_artists_response.json")
        self.names = {a["artist_mbid"]: a["name"] for a in self.similar}

    def answer(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, str, bytes]:
        def one(name: str, default: str = "") -> str:
            return query.get(name, [default])[0]

        api = "lastfm" if path == "/2.0/" else "listenbrainz"
        if api in self.failing:
            return 500, "text/plain", b"Internal Server Error"
        if path == "/2.0/":
            return self._lastfm(one("method"), one("artist"), int(one("limit", "50")))
        if path == "/1/user/ana/listens":
            return _json(200, {"payload": {"count": 0, "listens": self._listens(query)}})
        if path == "/1/feedback/user/ana/get-feedback":
            return _json(200, {"count": 0, "feedback": [], "offset": 0, "total_count": 0})
        if path == "/1/stats/user/ana/artists":
            return _json(200, sample("lb_stats_user_artists.json"))
        if path == "/similar-artists/json":
            return _json(200, self.similar)
        if m := re.fullmatch(r"/1/popularity/top-recordings-for-artist/([0-9a-f-]+)", path):
            return _json(200, self._top_recordings(m.group(1)))
        if path == "/1/explore/fresh-releases/":
            return _json(200, sample("lb_fresh_releases.json"))
        return 404, "application/json", b'{"code": 404, "error": "Not found"}'

    def _listens(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        floor = int(query.get("min_ts", ["0"])[0])
        return [x for x in self.listens if x["listened_at"] > floor] if "min_ts" in query else []

    def _top_recordings(self, mbid: str) -> list[dict[str, Any]]:
        rows = sample("samples/listenbrainz/lb_popularity_top_recordings_response.json")
        name = self.names.get(mbid, "Mili")
        for i, row in enumerate(rows):
            row.update(artist_name=name, artist_mbids=[mbid])
            row["recording_mbid"] = f"{mbid[:8]}-0000-4000-8000-{i:012d}"
        return rows

    def _lastfm(self, method: str, artist: str, limit: int) -> tuple[int, str, bytes]:
        if method == "user.gettopartists":
            return _json(200, sample("lastfm_user_gettopartists.json"))
        if method == "artist.getsimilar":
            return _json(200, sample("samples/lastfm/lastfm_artist_getsimilar.json"))
        if method == "artist.gettoptracks":
            top = sample("samples/lastfm/lastfm_artist_gettoptracks.json")
            for track in top["toptracks"]["track"]:
                track["artist"]["name"] = artist
                track["mbid"] = ""
            top["toptracks"]["track"] = top["toptracks"]["track"][:limit]
            return _json(200, top)
        return _json(200, {"error": 3, "message": "Invalid Method - No method with that name"})


@contextmanager
def running(server: _Server) -> Iterator[Any]:
    """``server``, started, stopped on exit."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
