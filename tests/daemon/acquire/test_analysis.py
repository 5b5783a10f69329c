"""Analysis in worker processes: the same features as in the calling thread, errors that
travel back, a dead worker that costs a retry, not the job, and workers forked from a
server that imported the model's code (spawned where that server cannot start).
Each test starts worker processes that load the model: make test-slow."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from classifier import AudioError, Embedder
from daemon.acquire import TransientFetchError, analysis
from daemon.acquire.analysis import Analyser, in_thread, prepare
from tests.audio_helpers import synth, write_audio

pytestmark = pytest.mark.slow

BACKBONE = "MSD_musicnn"


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    workers = Analyser(BACKBONE, 2)
    workers.start()  # both at once: the second is asked for while the first loads
    yield workers  # type: ignore[misc]
    workers.close()


@pytest.fixture
def song(tmp_path: Path) -> Path:
    return write_audio(tmp_path / "song.ogg", synth(20.0, seed=3))


def test_worker_processes_embed_as_the_calling_thread_does(analyser: Analyser, song: Path) -> None:
    embedding, duration = analyser(song, 4)
    expected, expected_duration = in_thread(Embedder.load(BACKBONE))(song, 4)
    assert isinstance(embedding, tuple)
    assert isinstance(expected, tuple)
    diff = np.abs(embedding[0].astype(np.float32) - expected[0].astype(np.float32))
    assert diff.max() <= 0.025  # the float16 cache's own rounding
    assert duration == pytest.approx(expected_duration)
    assert len(analyser.pids()) == 2
    assert os.getpid() not in analyser.pids()


def test_a_corrupt_file_raises_its_error_in_the_caller(analyser: Analyser, tmp_path: Path) -> None:
    broken = tmp_path / "broken.ogg"
    broken.write_bytes(b"OggS" + os.urandom(4000))
    with pytest.raises(AudioError, match=r"broken\.ogg"):
        analyser(broken, 4)


def test_a_killed_worker_costs_a_retry_and_fresh_workers_take_over(song: Path) -> None:
    workers = Analyser(BACKBONE, 1)
    try:
        workers.start()
        deadline = time.monotonic() + 60
        while not workers.pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        (pid,) = workers.pids()
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(TransientFetchError, match=r"song\.ogg: an analysis worker died"):
            workers(song, 2)
        embedding, _ = workers(song, 2)
        assert isinstance(embedding, tuple)
        assert workers.pids() != [pid]
    finally:
        workers.close()


def test_a_model_that_cannot_load_is_the_embedding_error(song: Path) -> None:
    workers = Analyser("no_such_backbone", 1)
    try:
        embedding, _ = workers(song, 2)
    finally:
        workers.close()
    assert isinstance(embedding, Exception)  # the storing side raises it: the job stops
    assert "no_such_backbone" in str(embedding)


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def test_workers_are_forked_from_a_server_that_has_imported_torch(analyser: Analyser) -> None:
    prepare()  # already running: nothing new
    parents = {_parent(pid) for pid in analyser.pids()}
    assert len(parents) == 1
    assert parents != {os.getpid()}  # not a fork of this (threaded) process
    server = parents.pop()
    maps = Path(f"/proc/{server}/maps").read_text()
    assert "libtorch_cpu" in maps  # imported before any worker was forked


def test_without_a_fork_server_workers_are_spawned_and_still_analyse(
    song: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse() -> None:
        raise PermissionError("no Unix sockets here")

    monkeypatch.setattr("multiprocessing.forkserver.ensure_running", refuse)
    monkeypatch.setattr(analysis, "_method", "forkserver")
    prepare()
    assert "no Unix sockets here" in caplog.text
    workers = Analyser(BACKBONE, 1)
    try:
        embedding, _ = workers(song, 2)
        parents = [_parent(pid) for pid in workers.pids()]
    finally:
        workers.close()
    assert isinstance(embedding, tuple)
    assert parents == [os.getpid()]  # spawned by this process
