"""Subsonic history against a loopback server answering as the OpenSubsonic API does:
ratings and stars, plays where no scrobbler is configured, the server's own audio, and
bad answers."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from classifier import AudioError
from daemon.acquire.fetcher import Fetcher
from daemon.acquire.servers import server_audio
from daemon.config import Config, ConfigError, FetchConfig, Secret, SubsonicConfig
from daemon.net import MalformedPayloadError, RetryPolicy, SourceAuthError, make_client
from daemon.sources import ListenBrainzConfig, PollContext, SubsonicHistoryConfig
from daemon.sources._media import parse_date
from daemon.sources.subsonic import SubsonicHistory, rating_kind
from store import Store
from tests.audio_helpers import LEAKED_SOCKET_WARNING, synth, write_audio
from tests.media_servers import FakeSubsonic, running

pytestmark = pytest.mark.filterwarnings(LEAKED_SOCKET_WARNING)

PASSWORD = "navi-pass-SECRET-41e2"
POLICY = RetryPolicy(attempts=2, backoff_s=0.0, min_interval_s=0.0, sleep=lambda s: None)
SUNDAY, WILDFIRES, HOLD_ON = (
    "2b0a1c3e8f5d4a6b9c7e0f1a2b3c4d5e",
    "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "00aa11bb22cc33dd44ee55ff66778899",
)


@pytest.fixture
def navidrome() -> Iterator[FakeSubsonic]:
    with running(FakeSubsonic("ana", PASSWORD)) as server:
        yield server
    gc.collect()


def _root(server: FakeSubsonic, *history: object) -> Config:
    main = SubsonicConfig(url=server.base, user="ana", password=Secret(PASSWORD))
    return Config(subsonic=main, history=history)  # type: ignore[arg-type]


def _poll(store: Store, root: Config, config: SubsonicHistoryConfig) -> dict[str, int]:
    with make_client() as client:
        return SubsonicHistory(config).poll(store, PollContext(client, POLICY, config=root))


def _song(server: FakeSubsonic, song_id: str) -> dict[str, object]:
    return next(s for s in server.songs if s["id"] == song_id)


def test_ratings_say_like_dislike_or_nothing() -> None:
    assert [rating_kind(r) for r in (None, 0, 1, 2, 3, 4, 5, 9)] == [
        None, None, "dislike", "dislike", None, "like", "like", None
    ]  # fmt: skip


def test_plays_and_ratings_from_the_server_taking_subsonic_settings(
    store: Store, navidrome: FakeSubsonic
) -> None:
    config = SubsonicHistoryConfig()  # url, user and password from [subsonic]
    root = _root(navidrome, config)
    counts = _poll(store, root, config)
    assert counts == {
        "skipped": 0, "owned": 3, "listens": 2, "duplicates": 0, "feedback": 3, "withdrawn": 0
    }  # fmt: skip
    assert _poll(store, root, config) == {
        "skipped": 0, "owned": 3, "listens": 0, "duplicates": 0, "feedback": 0, "withdrawn": 0
    }  # fmt: skip
    stamps = sorted(at for _, at, _ in store.listens())
    assert stamps == [
        parse_date("2026-11-29T07:45:00Z", "d"),
        parse_date("2026-12-03T21:14:05Z", "d"),
    ]
    kinds = {(store.get_track(e.track_id or 0).title, e.kind) for e in store.feedback()}  # type: ignore[union-attr]
    assert kinds == {("Sunday", "like"), ("Wildfires", "like"), ("Wildfires", "dislike")}
    sunday = next(t for t in store.tracks() if t.title == "Sunday")
    assert sunday.url == f"{navidrome.base}/rest/stream?id={SUNDAY}&format=raw"
    assert sunday.duration == 182.0


def test_new_plays_count_once_and_a_cleared_rating_is_taken_back(
    store: Store, navidrome: FakeSubsonic
) -> None:
    config = SubsonicHistoryConfig()
    root = _root(navidrome, config)
    _poll(store, root, config)
    sunday = _song(navidrome, SUNDAY)
    sunday.update(playCount=7, played="2026-12-04T10:00:00Z", userRating=3)
    wildfires = _song(navidrome, WILDFIRES)
    wildfires.pop("starred")
    wildfires["userRating"] = 4
    counts = _poll(store, root, config)
    assert counts["listens"] == 3  # 7 - 4 plays since the last read
    assert counts["withdrawn"] == 2  # Sunday's like (rated 3 now), Wildfires' dislike
    kinds = {(store.get_track(e.track_id or 0).title, e.kind) for e in store.feedback()}  # type: ignore[union-attr]
    assert kinds == {("Wildfires", "like")}  # the star's like went, the rating's came


def test_plays_are_left_to_a_configured_scrobbler(store: Store, navidrome: FakeSubsonic) -> None:
    config = SubsonicHistoryConfig()
    root = _root(navidrome, config, ListenBrainzConfig(user="ana"))
    counts = _poll(store, root, config)
    assert "listens" not in counts
    assert store.listens() == []
    assert _poll(store, root, replace(config, plays="always"))["listens"] == 2


def test_wrong_password_is_one_line_naming_server_and_fix(
    store: Store, navidrome: FakeSubsonic
) -> None:
    config = SubsonicHistoryConfig(url=navidrome.base, user="ana", password=Secret("nope-nope"))
    with pytest.raises(SourceAuthError) as caught:
        _poll(store, Config(history=(config,)), config)
    message = str(caught.value)
    assert navidrome.base in message
    assert "fix user and password" in message
    assert "nope-nope" not in message
    assert "\n" not in message


def test_no_server_configured_is_a_config_error(store: Store) -> None:
    config = SubsonicHistoryConfig()
    with pytest.raises(ConfigError, match=r"needs url and user"):
        _poll(store, Config(history=(config,)), config)


@pytest.mark.parametrize(
    ("mode", "error"),
    [("garbage", "not JSON|not valid JSON|JSON"), ("xml", "JSON"), ("forever", "same songs")],
)
def test_bad_answers_fail_without_storing(
    store: Store, navidrome: FakeSubsonic, mode: str, error: str
) -> None:
    navidrome.mode = mode
    config = SubsonicHistoryConfig(page_size=1)
    with pytest.raises(MalformedPayloadError, match=error) as caught:
        _poll(store, _root(navidrome, config), config)
    assert navidrome.base in str(caught.value)
    assert store.listens() == []
    assert store.feedback() == []


def test_audio_is_streamed_from_the_server_with_a_fresh_token(
    tmp_path: Path, store: Store, navidrome: FakeSubsonic
) -> None:
    navidrome.audio[SUNDAY] = write_audio(tmp_path / "sunday.ogg", synth(65.0))
    config = SubsonicHistoryConfig()
    root = _root(navidrome, config)
    _poll(store, root, config)
    fetch = FetchConfig(host_delay_s=0, sleep_requests_s=0, socket_timeout_s=5)
    fetcher = Fetcher(fetch, tmp_path / "cache", servers=server_audio(root))
    sunday = next(t for t in store.tracks() if t.title == "Sunday")
    path = fetcher.fetch(replace(sunday, state="fetching"))
    assert path.read_bytes() == navidrome.audio[SUNDAY].read_bytes()
    assert PASSWORD not in " ".join(p for _, p, _ in navidrome.requests)
    # a song the server has no audio for fails that track alone, with the server named
    hold_on = next(t for t in store.tracks() if t.title == "Hold On")
    with pytest.raises(AudioError) as caught:
        fetcher.fetch(replace(hold_on, state="fetching"))
    message = str(caught.value)
    assert "Hold On" in message
    assert "media server 127.0.0.1" in message
    assert "\n" not in message
