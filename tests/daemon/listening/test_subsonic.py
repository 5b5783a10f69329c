"""The Subsonic flow against a loopback server answering as the OpenSubsonic API documents."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from daemon.cli.doctor import check_subsonic
from daemon.config import Config, StorageConfig, SubsonicConfig
from daemon.listening import PlayerError
from daemon.listening.library import LibraryResult
from daemon.listening.subsonic import sync_subsonic
from daemon.net import RetryPolicy
from daemon.playlists.entry import PlaylistEntry
from store import LibraryFile, Store
from tests.audio_helpers import serve_in_thread

PASSWORD = "sesame-0123"
SONGS = [
    {"id": "s1", "title": "One", "artist": "A", "path": "tastebud/A/A - One.opus"},
    {"id": "s2", "title": "Two", "artist": "B", "path": "tastebud/B/B - Two.mp3"},
    {"id": "s9", "title": "One", "artist": "Z", "path": "other/Z - One.flac"},
]


class FakeSubsonic:
    """Navidrome's answers, in the subsonic-response JSON envelope, with token auth checked."""

    def __init__(self) -> None:
        self.scans_left = 0
        self.playlists: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, list[str]]]] = []
        self.starred = [
            {"id": "s2", "title": "Two", "artist": "B", "starred": "2026-01-02T03:04:05Z"}
        ]

    def envelope(self, status: str = "ok", **body: Any) -> dict[str, Any]:
        head = {"status": status, "version": "1.16.1", "type": "navidrome"}
        return {
            "subsonic-response": {**head, "serverVersion": "0.53.3", "openSubsonic": True, **body}
        }

    def answer(self, method: str, q: dict[str, list[str]]) -> dict[str, Any]:
        self.calls.append((method, q))
        salt, token = q.get("s", [""])[0], q.get("t", [""])[0]
        if q.get("u") != ["me"] or hashlib.md5((PASSWORD + salt).encode()).hexdigest() != token:
            return self.envelope(
                "failed", error={"code": 40, "message": "Wrong username or password"}
            )
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return self.envelope("failed", error={"code": 70, "message": "Not found"})
        return handler(q)

    def _ping(self, q: dict[str, list[str]]) -> dict[str, Any]:
        return self.envelope()

    def _startScan(self, q: dict[str, list[str]]) -> dict[str, Any]:
        self.scans_left = 2
        return self.envelope(scanStatus={"scanning": True, "count": 0})

    def _getScanStatus(self, q: dict[str, list[str]]) -> dict[str, Any]:
        self.scans_left = max(0, self.scans_left - 1)
        return self.envelope(scanStatus={"scanning": self.scans_left > 0, "count": len(SONGS)})

    def _search3(self, q: dict[str, list[str]]) -> dict[str, Any]:
        found = [s for s in SONGS if q["query"][0].lower() in s["title"].lower()]
        return self.envelope(searchResult3={"song": found})

    def _getPlaylists(self, q: dict[str, list[str]]) -> dict[str, Any]:
        lists = [{"id": pid, "name": p["name"]} for pid, p in self.playlists.items()]
        return self.envelope(playlists={"playlist": lists})

    def _createPlaylist(self, q: dict[str, list[str]]) -> dict[str, Any]:
        pid = q.get("playlistId", [f"p{len(self.playlists) + 1}"])[0]
        if "playlistId" in q and pid not in self.playlists:
            return self.envelope("failed", error={"code": 70, "message": "Playlist not found"})
        name = q.get("name", [self.playlists.get(pid, {}).get("name", "")])[0]
        self.playlists[pid] = {"name": name, "songs": q.get("songId", [])}
        return self.envelope(playlist={"id": pid, "name": name})

    def _getStarred2(self, q: dict[str, list[str]]) -> dict[str, Any]:
        return self.envelope(starred2={"song": self.starred})


@pytest.fixture
def server() -> Iterator[tuple[str, FakeSubsonic]]:
    fake = FakeSubsonic()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            method = parts.path.removeprefix("/rest/").removesuffix(".view")
            body = json.dumps(fake.answer(method, parse_qs(parts.query))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    serve_in_thread(http)
    yield f"http://127.0.0.1:{http.server_address[1]}", fake
    http.shutdown()
    http.server_close()


def _library(tmp_path: Path) -> LibraryResult:
    files = [
        (PlaylistEntry(1, 1, "A", "One"), LibraryFile(1, "A/A - One.opus", 10, False, 0.0)),
        (PlaylistEntry(2, 2, "B", "Two"), LibraryFile(2, "B/B - Two.mp3", 10, False, 0.0)),
    ]
    return LibraryResult(tmp_path / "music" / "tastebud", files)


def _config(tmp_path: Path, url: str, password: str = PASSWORD) -> Config:
    sub = SubsonicConfig(url=url, user="me", password=password, playlist="tastebud")  # type: ignore[arg-type]
    return Config(storage=StorageConfig(dir=str(tmp_path / "state")), subsonic=sub)


FAST = RetryPolicy(attempts=1, min_interval_s=0.0)


def test_scan_playlist_and_stars(
    tmp_path: Path, server: tuple[str, FakeSubsonic], store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    url, fake = server
    config = _config(tmp_path, url)
    caplog.set_level(logging.DEBUG)
    assert sync_subsonic(config, _library(tmp_path), store, policy=FAST) == 2
    methods = [m for m, _ in fake.calls]
    assert methods[:3] == ["startScan", "getScanStatus", "getScanStatus"]
    assert fake.playlists == {"p1": {"name": "tastebud", "songs": ["s1", "s2"]}}  # not Z's "One"
    (like,) = store.feedback()
    assert (like.kind, like.origin) == ("like", "subsonic")
    assert store.get_track(like.track_id or 0).label == "B - Two"  # type: ignore[union-attr]
    # a second sync replaces the playlist's songs instead of adding another playlist
    fake.playlists["p1"]["songs"] = ["s9"]
    sync_subsonic(config, _library(tmp_path), store, policy=FAST)
    assert fake.playlists == {"p1": {"name": "tastebud", "songs": ["s1", "s2"]}}
    assert len(store.feedback()) == 1  # the star is one like, not two
    tokens = {q["t"][0] for _, q in fake.calls}
    assert len(tokens) == len(fake.calls)  # a fresh salt per request
    assert PASSWORD not in caplog.text
    assert not any(t in caplog.text for t in tokens)


def test_wrong_credentials_are_one_line_naming_the_fix(
    tmp_path: Path, server: tuple[str, FakeSubsonic], store: Store
) -> None:
    url, fake = server
    with pytest.raises(PlayerError, match=r"error 40.*fix \[subsonic\] user and password") as err:
        sync_subsonic(_config(tmp_path, url, "wrong"), _library(tmp_path), store, policy=FAST)
    assert "wrong" not in str(err.value)
    assert fake.playlists == {}


def test_a_server_without_the_folder_says_so(
    tmp_path: Path, server: tuple[str, FakeSubsonic], store: Store
) -> None:
    url, _ = server
    library = _library(tmp_path)
    library.files = [
        (PlaylistEntry(1, 1, "Q", "Nothing"), LibraryFile(1, "Q/Q - Nothing.ogg", 1, False, 0.0))
    ]
    with pytest.raises(PlayerError, match="does not see the library folder"):
        sync_subsonic(_config(tmp_path, url), library, store, policy=FAST)


def test_doctor_checks_the_subsonic_server_and_its_credentials(
    tmp_path: Path, server: tuple[str, FakeSubsonic]
) -> None:
    url, _ = server
    good = check_subsonic(_config(tmp_path, url))
    assert good.ok, good.detail
    assert "navidrome 0.53.3" in good.detail
    bad = check_subsonic(_config(tmp_path, url, "wrong"))
    assert not bad.ok
    assert "error 40" in bad.detail
    assert bad.fix == "fix [subsonic] url, user and password"
