"""The fetch tests' fixtures: a config that never waits, its store, a loopback server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.config import Config, FetchConfig, LibraryConfig, StorageConfig
from store import Store
from tests.audio_helpers import LoopbackServer, loopback_server


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """No host delay, no pause between yt-dlp's requests, retries due at once."""
    fetch = FetchConfig(host_delay_s=0, sleep_requests_s=0, retry_base_s=0, socket_timeout_s=5)
    storage = StorageConfig(dir=str(tmp_path / "state"), cache_dir=str(tmp_path / "cache"))
    return Config(storage=storage, fetch=fetch, library=LibraryConfig(size=0))


@pytest.fixture
def store(config: Config) -> Iterator[Store]:
    with Store.open(config.db_path) as s:
        yield s


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with loopback_server() as s:
        yield s
