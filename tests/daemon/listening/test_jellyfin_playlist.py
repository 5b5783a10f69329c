"""The library folder's playlist written into Jellyfin, against a loopback server answering
as Jellyfin's API does: a scan asked for and waited on, items matched by path, the
playlist created once and then replaced in place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from daemon.config import Config, Secret
from daemon.listening import PlayerError
from daemon.listening.jellyfin import sync_jellyfin
from daemon.listening.library import LibraryResult
from daemon.net import RetryPolicy
from daemon.playlists.entry import PlaylistEntry
from daemon.sources import JellyfinConfig
from store import LibraryFile
from tests.media_servers import FakeJellyfin, running

TOKEN = "jf-apikey-SECRET-9e1b"
FAST = RetryPolicy(attempts=1, backoff_s=0.0, min_interval_s=0.0, sleep=lambda s: None)


@pytest.fixture
def jellyfin() -> Iterator[FakeJellyfin]:
    with running(FakeJellyfin(TOKEN)) as server:
        yield server


def _item(item_id: str, artist: str, title: str, path: str) -> dict[str, Any]:
    return {
        "Id": item_id,
        "Name": title,
        "Type": "Audio",
        "Artists": [artist],
        "AlbumArtist": artist,
        "Album": "tastebud",
        "Path": f"/media/music/tastebud/{path}",
        "RunTimeTicks": 1_800_000_000,
        "UserData": {"PlayCount": 0, "IsFavorite": False, "Played": False},
    }


def _library(tmp_path: Path, *names: tuple[int, str, str, str]) -> LibraryResult:
    files = [
        (PlaylistEntry(n, n, artist, title), LibraryFile(n, path, 10, False, 0.0))
        for n, artist, title, path in names
    ]
    return LibraryResult(tmp_path / "music" / "tastebud", files)


def _config(jellyfin: FakeJellyfin, token: str = TOKEN) -> Config:
    source = JellyfinConfig(url=jellyfin.base, user="ana", token=Secret(token))
    return Config(history=(source,))


def _playlist(jellyfin: FakeJellyfin) -> list[str]:
    [playlist] = jellyfin.playlists.values()
    assert playlist["Name"] == "tastebud"
    return [item["Name"] for _, item in playlist["entries"]]


def test_scan_then_playlist_by_path_then_replaced_in_place(
    tmp_path: Path, jellyfin: FakeJellyfin
) -> None:
    jellyfin.unscanned = [
        _item("aa" * 16, "A", "One", "A/A - One.opus"),
        _item("bb" * 16, "B", "Two", "B/B - Two.mp3"),
        _item("cc" * 16, "C", "One", "elsewhere/C - One.opus"),  # same title, another path
    ]
    one = (1, "A", "One", "A/A - One.opus")
    two = (2, "B", "Two", "B/B - Two.mp3")
    assert (
        sync_jellyfin(_config(jellyfin), _library(tmp_path, one, two), policy=FAST, poll_s=0.01)
        == 2
    )
    assert _playlist(jellyfin) == ["One", "Two"]
    asked = [(m, p) for m, p, _ in jellyfin.requests]
    refresh = asked.index(("POST", "/Library/Refresh"))
    tasks = [i for i, (_, p) in enumerate(asked) if p.startswith("/ScheduledTasks")]
    assert len(tasks) == 3
    assert tasks[0] > refresh
    [playlist_id] = jellyfin.playlists
    # the next cycle replaces the songs of the same playlist
    assert sync_jellyfin(_config(jellyfin), _library(tmp_path, two), policy=FAST, poll_s=0.01) == 1
    assert list(jellyfin.playlists) == [playlist_id]
    assert _playlist(jellyfin) == ["Two"]


def test_a_library_jellyfin_does_not_see_names_the_fix(
    tmp_path: Path, jellyfin: FakeJellyfin
) -> None:
    library = _library(tmp_path, (1, "Q", "Nothing", "Q/Q - Nothing.ogg"))
    with pytest.raises(PlayerError, match=r"does not see the library folder.*music libraries"):
        sync_jellyfin(_config(jellyfin), library, policy=FAST, poll_s=0.01)


def test_a_refused_token_names_the_server_and_the_fix(
    tmp_path: Path, jellyfin: FakeJellyfin
) -> None:
    library = _library(tmp_path, (1, "A", "One", "A/A - One.opus"))
    with pytest.raises(PlayerError) as caught:
        sync_jellyfin(_config(jellyfin, token="wrong-token-77"), library, policy=FAST, poll_s=0.01)
    message = str(caught.value)
    assert jellyfin.base in message
    assert "token" in message
    assert "wrong-token-77" not in message
