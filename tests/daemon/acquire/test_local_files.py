"""A remote source can never make tastebud read a local file."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.acquire import PermanentFetchError
from daemon.acquire.fetcher import Fetcher
from daemon.config import FetchConfig
from store import Track
from tests.audio_helpers import LEAKED_SOCKET_WARNING, Route, loopback_server, synth, write_audio

QUIET = FetchConfig(host_delay_s=0, sleep_requests_s=0, socket_timeout_s=5, min_duration_s=1)
pytestmark = pytest.mark.filterwarnings(LEAKED_SOCKET_WARNING)


@pytest.fixture(autouse=True)
def _collect_leaked_sockets() -> Iterator[None]:
    yield
    gc.collect()


def _track(track_id: int, url: str) -> Track:
    return Track(track_id, "Artist", "Song", None, None, url, "test", None, 0.0, "fetching", 0,
                 None, None, None)  # fmt: skip


def test_a_file_url_outside_the_directory_feeds_is_refused(tmp_path: Path) -> None:
    library, elsewhere = tmp_path / "library", tmp_path / "elsewhere"
    library.mkdir()
    elsewhere.mkdir()
    song = write_audio(library / "song.wav", synth(2.0))
    secret = write_audio(elsewhere / "private.wav", synth(2.0))
    fetcher = Fetcher(QUIET, tmp_path / "cache", local_roots=[library])
    assert fetcher.fetch(_track(1, song.as_uri())) == song
    for url in (
        secret.as_uri(),
        "file:///etc/passwd",
        f"file://{library}/../elsewhere/private.wav",
    ):
        with pytest.raises(PermanentFetchError, match="outside every directory feed"):
            fetcher.fetch(_track(2, url))
    with pytest.raises(PermanentFetchError, match="outside every directory feed"):
        Fetcher(QUIET, tmp_path / "cache").fetch(_track(3, song.as_uri()))


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/x.mp3", "data:,x"])
def test_a_redirect_away_from_http_is_a_permanent_failure(tmp_path: Path, target: str) -> None:
    with loopback_server() as server:
        url = server.add("song.mp3", Route(statuses=[302] * 5, headers={"Location": target}))
        with pytest.raises(PermanentFetchError, match="not http\\(s\\)") as caught:
            Fetcher(QUIET, tmp_path).fetch(_track(4, url))
    assert len(str(caught.value).splitlines()) == 1
    assert not [p for p in (tmp_path / "audio").rglob("*") if p.is_file()]
