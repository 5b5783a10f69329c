"""The daemon's fetch and train jobs after ``[model] backbone`` changed: ready tracks are
fetched again (real yt-dlp from a loopback server) and analysed with the new backbone
(real PyAV, musicnn in the analysis worker processes), a few per fetch run once the new
tracks are served, while the old features keep ranking until the new ones cover 95%.
The analysis workers load musicnn: make test-slow."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from daemon.config import Config, FetchConfig, LibraryConfig, StorageConfig
from daemon.representation import active_backbone, reanalysis_progress
from daemon.service.jobs import Jobs
from store import Store, TrackRef
from tests.audio_helpers import LEAKED_SOCKET_WARNING, LoopbackServer, loopback_server, synth
from tests.audio_helpers import write_audio as write_song
from tests.classifier.tastedata import FAST, Library

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings(LEAKED_SOCKET_WARNING)]

OLD, NEW = "MSD_musicnn", "MTT_musicnn"
PER_CYCLE = 5


@pytest.fixture(autouse=True)
def _collect_leaked_sockets() -> Iterator[None]:
    yield
    gc.collect()


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with loopback_server() as s:
        yield s


def _config(tmp_path: Path) -> Config:
    fetch = FetchConfig(
        host_delay_s=0,
        sleep_requests_s=0,
        retry_base_s=0,
        socket_timeout_s=5,
        min_duration_s=0,
        batch_size=1,
        reanalyse_per_cycle=PER_CYCLE,
    )
    storage = StorageConfig(dir=str(tmp_path / "state"), cache_dir=str(tmp_path / "cache"))
    model = replace(FAST, backbone=NEW, min_labels=100)  # similarity ranks: no training
    return Config(storage=storage, fetch=fetch, model=model, library=LibraryConfig(size=0))


def _analysed_under_msd(store: Store, server: LoopbackServer, song: Path) -> tuple[int, list[int]]:
    """8 listened tracks and 12 candidates analysed under MSD_musicnn, audio gone; the first
    candidate's video was removed since (404). Returns its id and the candidates'."""
    lib = Library(store)
    names = lib.heard_and_offered(8, 12)
    for name, track_id in lib.ids.items():
        url = server.add_file(song, name=f"{name}.opus") if name != "c0" else server.url("gone")
        store.mark_track(track_id, "ready", url=url)
    return lib.ids["c0"], [lib.ids[n] for n in names]


def test_a_new_backbone_is_analysed_in_the_background_and_ranks_from_95_percent(
    tmp_path: Path, server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    config = _config(tmp_path)
    song = write_song(tmp_path / "song.opus", synth(20.0, seed=4))
    with Store.open(config.db_path) as store:
        gone, candidates = _analysed_under_msd(store, server, song)
        for i in range(2):  # new tracks: the backlog is served first
            url = server.add_file(song, name=f"n{i}.opus")
            store.upsert_track(TrackRef(source="feed", url=url))
        jobs = Jobs(config, store, threading.Event())
        try:
            with caplog.at_level(logging.INFO, logger="daemon.representation"):
                _cycles(jobs, store, config, server, gone, candidates)
        finally:
            jobs.close()
        switched = [r.getMessage() for r in caplog.records if "ranked on" in r.getMessage()]
        assert switched == [
            f"the queue is ranked on {NEW} features now, not {OLD}: they cover 21 of 22 tracks"
        ]


def _cycles(
    jobs: Jobs,
    store: Store,
    config: Config,
    server: LoopbackServer,
    gone: int,
    candidates: list[int],
) -> None:
    first = jobs.fetch()  # one new track; the other is still due: no re-analysis
    assert (first["ready"], first.get("reanalysed"), first["scored"]) == (1, None, 12)
    second = jobs.fetch()  # the last new track, then five of the most listened
    assert (second["ready"], second["reanalysed"], second["scored"]) == (1, PER_CYCLE, 12)
    third = jobs.fetch()
    assert (third["reanalysed"], third["reanalysis_failed"]) == (PER_CYCLE - 1, 1)
    assert "scored" not in third  # MSD_musicnn ranks: the new features change nothing yet
    assert active_backbone(store, config) == OLD
    assert jobs.train()["scored"] == len(candidates)  # the old features rank every candidate
    tried = sum(1 for _, path in server.requests if path == "/gone")
    assert tried >= 1
    assert jobs.fetch()["reanalysed"] == PER_CYCLE
    assert active_backbone(store, config) == OLD  # 16 of 22
    last = jobs.fetch()
    assert (last["reanalysed"], last.get("reanalysis_failed")) == (PER_CYCLE, 0)
    assert active_backbone(store, config) == NEW  # 21 of 22: 95%
    assert last["scored"] == len(candidates) - 1  # the removed video has no MTT features
    assert "reanalysed" not in jobs.fetch()  # nothing due: the failure waits a day
    assert sum(1 for _, path in server.requests if path == "/gone") == tried
    _check_the_tracks(store, config, gone)


def _check_the_tracks(store: Store, config: Config, gone: int) -> None:
    assert {t.state for t in store.tracks()} == {"ready"}
    assert len(store.embedded_ids(OLD)) == 20  # the old features are all still there
    assert store.embedded_ids(OLD) - store.embedded_ids(NEW) == {gone}
    assert store.get_track(gone).last_error is None  # type: ignore[union-attr]
    progress = reanalysis_progress(store, config)
    assert progress is not None
    assert progress.line() == (
        f"re-analysis for {NEW}: 21 of 22 tracks (95%); {NEW} ranks; 1 failed, tried again later"
    )
    assert [p for p in config.cache_dir.rglob("*") if p.is_file()] == []


def test_training_follows_the_backbone_that_ranks(tmp_path: Path) -> None:
    storage = StorageConfig(dir=str(tmp_path / "state"))
    config = Config(storage=storage, model=replace(FAST, backbone=NEW))
    with Store.open(config.db_path) as store:
        lib = Library(store)
        for i in range(8):
            lib.add(f"h{i}", "AB"[i % 2])
            lib.listen(f"h{i}", time.time() - i * 3600)
        lib.offer([n for i in range(12) if lib.add(n := f"c{i}", "ABCD"[i % 4])])
        jobs = Jobs(config, store, threading.Event())
        assert jobs.train()["trained"] == 1  # on MSD_musicnn's features: MTT has none yet
        assert jobs.train().get("trained") is None  # nothing changed
        for track_id in lib.ids.values():  # re-analysis reaches every track
            features, tags = store.get_embedding(track_id, OLD)  # type: ignore[misc]
            store.put_embedding(track_id, NEW, features, tags)
        assert jobs.train()["trained"] == 1  # the switch trains on the new features
        assert [m.hparams["backbone"] for m in store.models()] == [OLD, NEW]
        assert jobs.train().get("trained") is None
