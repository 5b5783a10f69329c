"""Analysis in worker processes: the same features as in the calling thread, errors that
travel back, and a dead worker that costs a retry, not the job."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from classifier import Embedder
from daemon.acquire.analysis import Analyser, in_thread
from store import AudioError, TransientFetchError
from tests.audio_helpers import synth, write_audio

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
