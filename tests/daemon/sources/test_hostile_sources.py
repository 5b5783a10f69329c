"""Sources against hostile servers and files: each poll within its deadline (a trickling
feed never starves the good one after it), a non-UTF-8 file name in a directory feed."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from daemon.acquire.cache import local_path
from daemon.config import Config, FetchConfig
from daemon.net import RetryPolicy
from daemon.sources import poll_feeds
from daemon.sources.directory import DirectoryConfig
from daemon.sources.url_feed import UrlFeedConfig
from store import Store
from tests.audio_helpers import write_audio
from tests.hostile import HostileServer, endless, hostile_server, trickle

POLICY = RetryPolicy(attempts=1, backoff_s=0.0, min_interval_s=0.0)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile_server() as s:
        yield s


def _tone(path: Path) -> Path:
    return write_audio(path, np.zeros(16000, dtype=np.float32))


def test_a_trickling_feed_is_abandoned_at_its_deadline_and_the_next_feed_polls(
    store: Store, server: HostileServer, tmp_path: Path
) -> None:
    slow = server.add("/feed.xml", trickle(b"<rss>" + b" " * 10_000, every_s=0.1))
    endless_feed = server.add("/endless.xml", endless("application/rss+xml", b"<a>" * 4096))
    music = tmp_path / "music"
    music.mkdir()
    _tone(music / "Good - Song.wav")
    config = Config(
        feeds=(
            UrlFeedConfig(url=slow, name="slow"),
            UrlFeedConfig(url=endless_feed, name="endless"),
            DirectoryConfig(path=str(music), name="good"),
        ),
        fetch=FetchConfig(poll_deadline_s=1.0, socket_timeout_s=2.0),
    )
    started = time.monotonic()
    counts = poll_feeds(store, config, policy=POLICY)
    assert time.monotonic() - started < 6
    assert counts["slow"] == {"failed": 1}
    assert counts["endless"] == {"failed": 1}
    assert counts["good"] == {"items": 1, "duplicates": 0}
    (run,) = store.runs("feed:slow", limit=1)
    assert "poll_deadline_s" in (run.error or "")


def test_a_file_name_that_is_not_utf8_is_offered_and_found_again(
    store: Store, tmp_path: Path
) -> None:
    music = tmp_path / "music"
    music.mkdir()
    odd = Path(os.fsdecode(bytes(music) + b"/Caf\xe9 - Ol\xe9.wav"))
    _tone(odd)
    _tone(music / "Fine - Name.wav")
    config = Config(feeds=(DirectoryConfig(path=str(music), name="dir"),))
    assert poll_feeds(store, config, policy=POLICY)["dir"] == {"items": 2, "duplicates": 0}
    (track,) = store.find_tracks("Caf\ufffd - Ol\ufffd")
    assert track.url is not None
    assert local_path(track.url) == odd


def test_a_listenbrainz_server_ignoring_max_ts_is_paged_a_few_times_only(
    store: Store,
) -> None:
    import httpx

    from daemon.net import make_client
    from daemon.sources import PollContext
    from daemon.sources.listenbrainz import ListenBrainzConfig, ListenBrainzHistory

    page = [
        {
            "listened_at": 1_700_000_000 + i,
            "track_metadata": {"artist_name": "A", "track_name": f"{i}"},
        }
        for i in range(10)
    ]
    asked: list[httpx.Request] = []

    def same_page(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        if "feedback" in request.url.path:
            return httpx.Response(200, json={"feedback": [], "count": 0})
        return httpx.Response(200, json={"payload": {"listens": page, "count": 10}})

    config = ListenBrainzConfig(user="ana", url="https://lb.test", page_size=10, feedback=False)
    with make_client(transport=httpx.MockTransport(same_page)) as client:
        counts = ListenBrainzHistory(config).poll(store, PollContext(client, POLICY))
    assert counts["listens"] == 10
    assert len(asked) <= 3
