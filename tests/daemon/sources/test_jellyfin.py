"""Jellyfin history against a loopback server answering as Jellyfin's API does: plays,
the Playback Reporting plugin, favourites, the server's own audio, and bad answers."""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from daemon.acquire.fetcher import Fetcher
from daemon.acquire.servers import server_audio
from daemon.config import Config, FetchConfig, Secret
from daemon.net import (
    MalformedPayloadError,
    RetryPolicy,
    SourceAuthError,
    SourceError,
    SourceUnavailableError,
    make_client,
)
from daemon.sources import JellyfinConfig, PollContext
from daemon.sources._media import parse_date
from daemon.sources.jellyfin import JellyfinHistory
from store import Store
from tests.audio_helpers import LEAKED_SOCKET_WARNING, synth, write_audio
from tests.media_servers import FakeJellyfin, running

pytestmark = pytest.mark.filterwarnings(LEAKED_SOCKET_WARNING)

TOKEN = "jf-apikey-SECRET-0c7d"
POLICY = RetryPolicy(attempts=2, backoff_s=0.0, min_interval_s=0.0, sleep=lambda s: None)
ROYGBIV, WINDOWLICKER = "b1a2c3d4e5f60718293a4b5c6d7e8f90", "e5f60718293a4b5c6d7e8f90b1a2c3d4"


@pytest.fixture
def jellyfin() -> Iterator[FakeJellyfin]:
    with running(FakeJellyfin(TOKEN)) as server:
        yield server
    gc.collect()


def _config(server: FakeJellyfin, **kw: object) -> JellyfinConfig:
    values: dict[str, object] = {"url": server.base, "user": "ana", "token": Secret(TOKEN)}
    return JellyfinConfig(**{**values, **kw})  # type: ignore[arg-type]


def _poll(store: Store, config: JellyfinConfig) -> dict[str, int]:
    with make_client() as client:
        return JellyfinHistory(config).poll(store, PollContext(client, POLICY))


def test_dates_as_jellyfin_writes_them() -> None:
    assert parse_date("2026-12-03T20:15:42.1234567Z", "d") == 1796328942
    assert parse_date("2026-12-03 20:15:42.1234567", "d") == 1796328942
    with pytest.raises(MalformedPayloadError):
        parse_date("yesterday", "d")


def test_plays_become_listens_once_and_new_plays_count(
    store: Store, jellyfin: FakeJellyfin
) -> None:
    config = _config(jellyfin, feedback=False)
    counts = _poll(store, config)
    assert counts == {"listens": 2, "duplicates": 0, "skipped": 0, "owned": 2}
    again = _poll(store, config)
    assert again["listens"] == 0
    assert "owned" not in again  # the whole library is read once a day
    # two more plays of Roygbiv since the last read
    data = jellyfin.items[0]["UserData"]
    data["PlayCount"], data["LastPlayedDate"] = 5, "2026-12-04T10:00:00.0000000Z"
    assert _poll(store, config)["listens"] == 2
    listens = store.listens()
    assert len(listens) == 4
    assert max(at for _, at, _ in listens) == parse_date("2026-12-04T10:00:00Z", "d")
    track = store.get_track(listens[-1][0])
    assert track is not None
    assert track.artist == "Boards of Canada"
    assert track.title == "Roygbiv"
    assert track.url == f"{jellyfin.base}/Audio/{ROYGBIV}/stream?static=true"
    assert TOKEN not in (track.url or "")
    assert track.duration == pytest.approx(151.123)
    assert store.track_ids_of(track.id)["recording_mbid"].endswith("aa01")
    # the user was looked up by name, the token sent as Jellyfin's Authorization header
    assert jellyfin.requests[0][1] == "/Users"
    assert 'Token="' in jellyfin.requests[0][2]["authorization"]


def test_playback_reporting_gives_one_listen_per_play(store: Store, jellyfin: FakeJellyfin) -> None:
    from tests.media_servers import sample

    jellyfin.activity = sample("jellyfin_playback_reporting.json")["results"]
    config = _config(jellyfin, feedback=False)
    assert _poll(store, config) == {"listens": 3, "duplicates": 0, "skipped": 0, "owned": 2}
    assert _poll(store, config)["listens"] == 0
    listens = store.listens()
    assert [at for _, at, _ in listens] == [
        parse_date("2026-12-02 21:03:11", "d"),
        parse_date("2026-12-03 20:15:42", "d"),
        parse_date("2026-12-03 20:21:01", "d"),
    ]
    jellyfin.activity.append(["2026-12-04 07:00:00.0000000", WINDOWLICKER, "300"])
    assert _poll(store, config)["listens"] == 1


def test_favourites_are_likes_and_a_removed_one_is_taken_back(
    store: Store, jellyfin: FakeJellyfin
) -> None:
    config = _config(jellyfin, playback_reporting=False)
    counts = _poll(store, config)
    assert counts["feedback"] == 1
    assert counts["withdrawn"] == 0
    [like] = store.feedback()
    assert like.kind == "like"
    assert like.origin == "jellyfin"
    assert _poll(store, config)["feedback"] == 0
    jellyfin.items[0]["UserData"]["IsFavorite"] = False
    jellyfin.items[1]["UserData"]["IsFavorite"] = True
    counts = _poll(store, config)
    assert counts["withdrawn"] == 1
    assert counts["feedback"] == 1
    [like] = store.feedback()
    track = store.get_track(like.track_id or 0)
    assert track is not None
    assert track.title == "Windowlicker"


def test_a_user_given_by_id_is_not_looked_up(store: Store, jellyfin: FakeJellyfin) -> None:
    _poll(store, _config(jellyfin, user=jellyfin.users[0]["Id"], feedback=False))
    assert all(path != "/Users" for _, path, _ in jellyfin.requests)


def test_an_unknown_user_names_the_fix(store: Store, jellyfin: FakeJellyfin) -> None:
    with pytest.raises(SourceError, match=r"no user named 'zoe'.*fix user"):
        _poll(store, _config(jellyfin, user="zoe"))


def test_a_refused_token_is_one_line_naming_server_and_fix(
    store: Store, jellyfin: FakeJellyfin
) -> None:
    with pytest.raises(SourceAuthError) as caught:
        _poll(store, _config(jellyfin, token=Secret("wrong-token-123")))
    message = str(caught.value)
    assert jellyfin.base in message
    assert "API Keys" in message
    assert "\n" not in message
    assert "wrong-token-123" not in message
    assert store.listens() == []


def test_garbage_and_endless_pages_fail_without_storing(
    store: Store, jellyfin: FakeJellyfin
) -> None:
    jellyfin.mode = "garbage"
    with pytest.raises(MalformedPayloadError, match=re.escape(jellyfin.base)):
        _poll(store, _config(jellyfin))
    jellyfin.mode = "forever"
    with pytest.raises(MalformedPayloadError, match="same page"):
        _poll(store, _config(jellyfin, page_size=1, feedback=False))
    assert store.get_cursor("history:jellyfin:ana") is None


def test_a_server_that_is_down_is_unavailable(store: Store) -> None:
    config = JellyfinConfig(url="http://127.0.0.1:9", user="ana", token=Secret(TOKEN))
    with pytest.raises(SourceUnavailableError, match=r"127\.0\.0\.1:9"):
        _poll(store, config)


def test_the_audio_comes_from_the_server_with_the_token_added_at_fetch_time(
    tmp_path: Path, store: Store, jellyfin: FakeJellyfin
) -> None:
    jellyfin.audio[ROYGBIV] = write_audio(tmp_path / "roygbiv.flac", synth(65.0))
    config = _config(jellyfin, feedback=False)
    _poll(store, config)
    [track] = [t for t in store.tracks() if t.title == "Roygbiv"]
    fetch = FetchConfig(host_delay_s=0, sleep_requests_s=0, socket_timeout_s=5)
    root = Config(history=(config,))
    fetcher = Fetcher(fetch, tmp_path / "cache", servers=server_audio(root))
    path = fetcher.fetch(replace(track, state="fetching"))
    assert path.read_bytes() == jellyfin.audio[ROYGBIV].read_bytes()
    streams = [h for _, p, h in jellyfin.requests if p.startswith("/Audio/")]
    assert streams
    assert all(TOKEN in h["authorization"] for h in streams)


def test_stream_urls_of_another_server_get_no_token(jellyfin: FakeJellyfin) -> None:
    [server] = server_audio(Config(history=(_config(jellyfin),)))
    assert server.owns(f"{jellyfin.base}/Audio/x/stream?static=true")
    assert not server.owns("http://127.0.0.1:1/Audio/x/stream")
    assert not server.owns(f"{jellyfin.base}evil.example/x")
