"""Re-analysis of ready tracks under a new key: a real store, real yt-dlp on loopback, real
PyAV; the embedding is the fetch tests' fixed projection (the daemon's wiring with musicnn
is tested in ``tests/daemon/service/test_reanalysis_cycle.py``)."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from daemon.acquire.analysis import in_thread
from daemon.acquire.reanalysis import PERMANENT_BASE_S, backoff, reanalyse
from daemon.acquire.workers import Prepared
from daemon.config import Config, FetchConfig
from store import Store, TrackRef
from tests.audio_helpers import (
    LEAKED_SOCKET_WARNING,
    LoopbackServer,
    synth,
    unreachable_proxy,
)
from tests.audio_helpers import write_audio as write_song
from tests.daemon.acquire.test_pipeline import MODEL_KEY, Projection

pytestmark = pytest.mark.filterwarnings(LEAKED_SOCKET_WARNING)

OLD_KEY = "MSD_musicnn"


@pytest.fixture(autouse=True)
def _collect_leaked_sockets() -> Iterator[None]:
    yield
    gc.collect()


@pytest.fixture
def config(config: Config) -> Config:
    return replace(config, fetch=replace(config.fetch, min_duration_s=0))  # a short song


@pytest.fixture(scope="module")
def song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_song(tmp_path_factory.mktemp("songs") / "song.opus", synth(20.0, seed=5))


def _analysed(store: Store, url: str, n: int) -> int:
    """A ready track analysed under the old key only, its audio long gone."""
    track_id = store.upsert_track(TrackRef(source="test", url=url))
    rng = np.random.default_rng(n)
    store.put_embedding(track_id, OLD_KEY, rng.normal(size=(4, 8)), rng.uniform(size=(4, 50)))
    store.mark_track(track_id, "ready", duration=20.0)
    return track_id


def _run(store: Store, config: Config, limit: int) -> dict[str, int]:
    analyse = in_thread(Projection())
    return reanalyse(store, config, analyse=analyse, model_key=MODEL_KEY, limit=limit)


def test_a_run_reanalyses_at_most_its_budget_and_states_stay_ready(
    config: Config, store: Store, server: LoopbackServer, song: Path
) -> None:
    ids = [_analysed(store, server.add_file(song, name=f"r{i}.opus"), i) for i in range(2)]
    old = {i: store.get_embedding(i, OLD_KEY) for i in ids}
    assert _run(store, config, limit=1) == {"reanalysed": 1, "reanalysis_failed": 0}
    assert len(store.embedded_ids(MODEL_KEY)) == 1
    for track_id in ids:
        track = store.get_track(track_id)
        assert track is not None
        assert (track.state, track.attempts, track.last_error) == ("ready", 0, None)
        before, now = old[track_id], store.get_embedding(track_id, OLD_KEY)
        assert before is not None
        assert now is not None
        np.testing.assert_array_equal(before[0], now[0])  # the old features keep ranking
    assert [p for p in config.cache_dir.rglob("*") if p.is_file()] == []  # audio deleted
    assert _run(store, config, limit=5) == {"reanalysed": 1, "reanalysis_failed": 0}
    assert _run(store, config, limit=5) == {}  # nothing left to do


def test_a_track_that_cannot_be_fetched_again_waits_and_blocks_no_other(
    config: Config, store: Store, server: LoopbackServer, song: Path
) -> None:
    gone = _analysed(store, server.url("gone.opus"), 0)  # 404: the video was removed
    ok = _analysed(store, server.add_file(song, name="ok.opus"), 1)
    before = store.get_track(gone)
    started = time.time()
    assert _run(store, config, limit=1) == {"reanalysed": 0, "reanalysis_failed": 1}
    assert store.get_track(gone) == before  # state, error and attempts untouched
    assert store.get_embedding(gone, OLD_KEY) is not None
    wait = store.reanalysis_wait(MODEL_KEY)
    assert (wait.pending, wait.waiting) == (2, 1)
    assert "404" in (wait.error or "")
    assert store.reanalysis_due(MODEL_KEY, 5) == [(store.get_track(ok), 0)]
    assert _run(store, config, limit=1) == {"reanalysed": 1, "reanalysis_failed": 0}
    tried = _hits(server, "/gone.opus")
    assert _run(store, config, limit=1) == {}  # the failed one waits a day at least
    assert _hits(server, "/gone.opus") == tried >= 1
    later = started + 1.25 * PERMANENT_BASE_S + 60
    due = store.reanalysis_due(MODEL_KEY, 5, now=later)
    assert [(t.id, failures) for t, failures in due] == [(gone, 1)]


def _hits(server: LoopbackServer, path: str) -> int:
    return sum(1 for _, requested in server.requests if requested == path)


def test_a_network_outage_records_no_failure(config: Config, store: Store) -> None:
    track_id = _analysed(store, "http://127.0.0.1:9/song.opus", 0)
    with unreachable_proxy() as proxy:
        config = replace(config, fetch=replace(config.fetch, proxy=proxy))
        counts = _run(store, config, limit=3)
    assert counts["paused"] == 1
    assert store.reanalysis_wait(MODEL_KEY).waiting == 0
    assert store.reanalysis_due(MODEL_KEY, 5)[0][0].id == track_id


def test_a_stop_leaves_the_tracks_for_the_next_run(
    config: Config, store: Store, server: LoopbackServer, song: Path
) -> None:
    _analysed(store, server.add_file(song), 0)
    stop = threading.Event()
    stop.set()
    analyse = in_thread(Projection())
    counts = reanalyse(store, config, analyse=analyse, model_key=MODEL_KEY, limit=3, stop=stop)
    assert counts == {"reanalysed": 0, "reanalysis_failed": 0}
    assert store.reanalysis_wait(MODEL_KEY).pending == 1


def test_backoff_waits_a_day_after_a_permanent_error_as_a_retry_after_a_transient_one(
    store: Store,
) -> None:
    fetch = FetchConfig(retry_base_s=900.0)
    track = store.get_track(store.upsert_track(TrackRef(source="test", url="https://x.test/1")))
    assert track is not None
    gone, busy = Prepared(track, "failed"), Prepared(track, "retry")
    assert PERMANENT_BASE_S <= backoff(1, gone, fetch) <= 1.25 * PERMANENT_BASE_S
    assert 900 <= backoff(1, busy, fetch) <= 1.25 * 900
    assert backoff(2, busy, fetch) >= 1800
    assert backoff(30, gone, fetch) <= 7 * 86400  # at most a week
    assert backoff(1, Prepared(track, "retry", retry_after=21600.0), fetch) >= 21600
