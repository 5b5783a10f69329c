"""The library job on a full disk (a 64 KB tmpfs, never the real disk): one line, what was
written stays, the cache is still purged, and the next cycle tries again."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.acquire.fetcher import fetcher_for
from daemon.config import Config, FetchConfig, LibraryConfig, StorageConfig
from daemon.listening import LibraryWriteError
from daemon.listening.library import refresh_library
from daemon.service.once import run_recorded
from daemon.sources.directory import DirectoryConfig
from store import Store, TrackRef
from tests.audio_helpers import synth, write_audio
from tests.hostile import small_tmpfs


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "lib", "64k") as where:
        yield where


def test_a_full_library_disk_is_one_line_and_the_cache_is_still_purged(
    tmp_path: Path, store: Store, full_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = Config(
        storage=StorageConfig(dir=str(tmp_path / "state")),
        fetch=FetchConfig(min_duration_s=1.0),
        library=LibraryConfig(dir=str(full_disk), size=4),
        feeds=(DirectoryConfig(name="src", path=str(tmp_path / "src")),),
    )
    (tmp_path / "src").mkdir()
    for i in range(4):
        path = write_audio(tmp_path / "src" / f"{i}.mp3", synth(8.0, seed=i))
        store.add_feed_items(
            "feed", [TrackRef("t", artist=f"A{i}", title=f"S{i}", url=path.as_uri())]
        )
        (track,) = store.find_tracks(path.as_uri())
        store.mark_track(track.id, "ready")
    fetcher = fetcher_for(config)
    fetcher.audio_dir.mkdir(parents=True)
    stale = fetcher.audio_dir / f"{track.id}.mp3"
    stale.write_bytes(b"x")  # audio of a ready track: the purge removes it
    with pytest.raises(LibraryWriteError, match="No space left on device") as caught:
        refresh_library(store, config, fetcher)
    assert "\n" not in str(caught.value)
    assert not stale.exists()
    assert not list(full_disk.rglob(".*.tmp"))
    with caplog.at_level(logging.ERROR):
        assert not run_recorded(
            store, "library", lambda: refresh_library(store, config, fetcher).counts
        )
    (run,) = store.runs("library", limit=1)
    assert run.status == "failed"
    assert "No space left" in (run.error or "")
    assert "Traceback" not in caplog.text
