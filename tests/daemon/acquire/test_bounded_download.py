"""A download is bounded whatever the server does: an endless body with no length stops
at ``max_filesize_mb`` (rejected for good, its partial file removed), a trickle stops at
``download_deadline_s``. The endless body is written into a 2 MB tmpfs, never the real disk."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from daemon.acquire import PermanentFetchError, StorageFullError, TransientFetchError
from daemon.acquire.fetcher import Fetcher
from daemon.acquire.ytdlp_errors import is_rejection
from daemon.config import FetchConfig
from store import Track
from tests.hostile import HostileServer, endless, fixed, hostile_server, small_tmpfs, trickle

QUIET = FetchConfig(host_delay_s=0, sleep_requests_s=0, socket_timeout_s=2)


def _track(track_id: int, url: str) -> Track:
    return Track(track_id, None, None, None, None, url, "test", None, 0.0, "fetching", 0,
                 None, None, None)  # fmt: skip


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile_server() as s:
        yield s


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "tmpfs") as where:
        yield where


def test_endless_body_stops_at_max_filesize_and_leaves_no_partial(
    small_disk: Path, server: HostileServer
) -> None:
    url = server.add("/endless.mp3", endless())
    config = replace(QUIET, max_filesize_mb=0.5)
    started = time.monotonic()
    with pytest.raises(PermanentFetchError, match="max_filesize_mb") as caught:
        Fetcher(config, small_disk).fetch(_track(7, url))
    assert is_rejection(caught.value)
    assert time.monotonic() - started < 20
    assert not list((small_disk / "audio" / ".partial").iterdir())


def test_trickling_download_stops_at_its_deadline(tmp_path: Path, server: HostileServer) -> None:
    url = server.add("/trickle.mp3", trickle(b"\0" * 100_000, every_s=0.1))
    config = replace(QUIET, download_deadline_s=1.0)
    started = time.monotonic()
    with pytest.raises(TransientFetchError, match="download_deadline_s"):
        Fetcher(config, tmp_path).fetch(_track(8, url))
    assert time.monotonic() - started < 6
    assert not [p for p in (tmp_path / "audio" / ".partial").iterdir() if p.is_file()]


def test_a_full_cache_disk_pauses_fetching_and_leaves_no_partial(
    small_disk: Path, server: HostileServer
) -> None:
    url = server.add("/big.mp3", fixed(b"\0" * (3 << 20), ctype="audio/mpeg"))
    with pytest.raises(StorageFullError, match="no space left in the audio cache"):
        Fetcher(QUIET, small_disk).fetch(_track(9, url))
    assert not [p for p in (small_disk / "audio" / ".partial").iterdir() if p.is_file()]
