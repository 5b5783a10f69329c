"""The fetch job end to end: a real store, real yt-dlp on loopback, real PyAV and torch.

The embedding is a fixed random projection of the mel patches (musicnn is wired in
by the daemon), so the test checks the pipeline, not the network.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from classifier import LogMel, decode, patch_starts
from daemon.acquire.analysis import in_thread
from daemon.acquire.pipeline import analysis_workers, process_backlog, retry_delay
from daemon.config import Config, FetchConfig, LibraryConfig
from daemon.net.pacing import HostThrottle
from daemon.sources.directory import DirectoryConfig
from store import Store, TrackRef
from tests.audio_helpers import (
    LEAKED_SOCKET_WARNING,
    MIME,
    LoopbackServer,
    Route,
    synth,
    unreachable_proxy,
    write_audio,
)

pytestmark = pytest.mark.filterwarnings(LEAKED_SOCKET_WARNING)

MODEL_KEY = "projection-v1"
_PROJECTION = np.random.default_rng(7).standard_normal((96, 16)).astype(np.float32)


class Projection:
    """A deterministic stand-in embedding that remembers what it was given."""

    def __init__(self) -> None:
        self.seen: list[np.ndarray] = []

    def __call__(self, patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.seen.append(patches)
        features = patches.mean(axis=1) @ _PROJECTION
        tags = 1 / (1 + np.exp(-features[:, :4]))
        return features.astype(np.float16), tags.astype(np.float32)


@pytest.fixture(autouse=True)
def _collect_leaked_sockets() -> Iterator[None]:
    yield
    gc.collect()


@pytest.fixture(scope="module")
def song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_audio(tmp_path_factory.mktemp("songs") / "song.opus", synth(80.0, 16000, seed=3))


def _add(store: Store, url: str | None, **kw: object) -> int:
    return store.upsert_track(TrackRef(source="test", url=url, **kw))  # type: ignore[arg-type]


def _audio_files(config: Config) -> list[Path]:
    return [p for p in config.cache_dir.rglob("*") if p.is_file()]


def test_loopback_track_becomes_reference_patches_and_an_embedding(
    config: Config, store: Store, server: LoopbackServer, song: Path
) -> None:
    track_id = _add(store, server.add_file(song))
    embed = Projection()
    counts = process_backlog(
        store, config, analyse=in_thread(embed), model_key=MODEL_KEY, limit=None
    )
    assert counts == {"ready": 1, "failed": 0, "skipped": 0, "unmatched": 0, "retry": 0}
    (patches,) = embed.seen
    assert patches.shape == (10, 187, 96)
    full = LogMel()(torch.from_numpy(decode(song))).numpy()
    starts = patch_starts(full.shape[0], 10)
    expected = np.stack([full[s : s + 187] for s in starts])
    np.testing.assert_allclose(patches, expected, atol=1e-4)
    stored = store.get_embedding(track_id, MODEL_KEY)
    assert stored is not None
    np.testing.assert_array_equal(stored[0], embed(patches)[0])
    track = store.get_track(track_id)
    assert track is not None
    assert track.state == "ready"
    assert track.duration == pytest.approx(80.0, abs=0.05)  # measured: the page gave none
    assert _audio_files(config) == []


def test_failure_modes_end_as_stated(
    config: Config, store: Store, server: LoopbackServer, song: Path, tmp_path: Path
) -> None:
    whole = write_audio(tmp_path / "whole.flac", synth(70.0, 16000))
    cut = tmp_path / "cut.flac"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    long = np.zeros(20 * 60 * 8000, np.float32)
    long[::4000] = 0.2
    silence = np.zeros(70 * 8000, np.float32)
    ids = {
        "missing": _add(store, server.url("missing.mp3")),
        "truncated": _add(store, server.add_file(cut)),
        "long": _add(store, server.add_file(write_audio(tmp_path / "long.flac", long, 8000))),
        "text": _add(store, server.add("notes.txt", Route(b"just text " * 500, MIME["txt"]))),
        "silent": _add(store, server.add_file(write_audio(tmp_path / "quiet.flac", silence, 8000))),
        "busy": _add(store, server.add("busy.opus", Route(song.read_bytes(), MIME["opus"], [429]))),
        "no url": _add(store, None, artist="Nobody", title="Nothing"),
    }  # fmt: skip
    config = replace(config, fetch=replace(config.fetch, search=""))
    counts = process_backlog(
        store, config, analyse=in_thread(Projection()), model_key=MODEL_KEY, limit=None
    )
    assert counts == {"ready": 0, "failed": 4, "skipped": 1, "unmatched": 1, "retry": 1}
    states = {name: store.get_track(i) for name, i in ids.items()}
    expected = {
        "missing": ("failed", "404"),
        "truncated": ("failed", "truncated"),
        "long": ("skipped", "too long"),
        "text": ("failed", "audio"),
        "silent": ("failed", "silent"),
        "busy": ("new", "429"),
        "no url": ("unmatched", "search is empty"),
    }
    for name, (state, words) in expected.items():
        track = states[name]
        assert track is not None
        assert (name, track.state) == (name, state)
        assert words in (track.last_error or "")
    assert states["busy"].next_retry_at is not None  # type: ignore[union-attr]
    assert _audio_files(config) == []
    # the server now answers 200: the retried track becomes ready, nothing else is retried
    again = process_backlog(
        store, config, analyse=in_thread(Projection()), model_key=MODEL_KEY, limit=None
    )
    assert again["ready"] == 1
    assert sum(again.values()) == 1
    assert store.get_track(ids["busy"]).state == "ready"  # type: ignore[union-attr]


def test_transient_failures_give_up_after_max_attempts(
    config: Config, store: Store, server: LoopbackServer
) -> None:
    track_id = _add(store, server.add("down.opus", Route(b"", MIME["opus"], [503] * 100)))
    config = replace(config, fetch=replace(config.fetch, max_attempts=2))
    first = process_backlog(
        store, config, analyse=in_thread(Projection()), model_key=MODEL_KEY, limit=None
    )
    second = process_backlog(
        store, config, analyse=in_thread(Projection()), model_key=MODEL_KEY, limit=None
    )
    assert (first["retry"], second["failed"]) == (1, 1)
    track = store.get_track(track_id)
    assert track is not None
    assert track.state == "failed"
    assert "gave up after 2 attempts" in (track.last_error or "")


def test_local_file_is_featurized_in_place_and_kept(
    config: Config, store: Store, song: Path
) -> None:
    track_id = _add(store, song.as_uri())
    config = replace(config, feeds=(DirectoryConfig(path=str(song.parent)),))
    counts = process_backlog(
        store, config, analyse=in_thread(Projection()), model_key=MODEL_KEY, limit=5, progress=True
    )
    assert counts["ready"] == 1
    assert song.is_file()
    assert store.get_embedding(track_id, MODEL_KEY) is not None


@pytest.mark.parametrize("keep", ["keep_audio", "library"])
def test_keep_audio_or_a_library_keeps_the_download(
    config: Config, store: Store, server: LoopbackServer, song: Path, keep: str
) -> None:
    track_id = _add(store, server.add_file(song))
    if keep == "keep_audio":
        config = replace(config, fetch=replace(config.fetch, keep_audio=True))
    else:
        config = replace(config, library=LibraryConfig(size=5))
    process_backlog(store, config, analyse=in_thread(Projection()), model_key=MODEL_KEY, limit=None)
    assert _audio_files(config) == [config.cache_dir / "audio" / f"{track_id}.opus"]


def test_limit_and_stop_leave_the_rest_waiting(
    config: Config, store: Store, server: LoopbackServer, song: Path
) -> None:
    ids = [_add(store, server.add_file(song, name=f"s{i}.opus")) for i in range(3)]
    counts = process_backlog(
        store, config, analyse=in_thread(Projection()), model_key=MODEL_KEY, limit=1
    )
    assert counts["ready"] == 1
    stop = threading.Event()
    stop.set()
    counts = process_backlog(
        store, config, analyse=in_thread(Projection()), model_key=MODEL_KEY, limit=None, stop=stop
    )
    assert sum(counts.values()) == 0
    assert sorted(store.get_track(i).state for i in ids) == ["new", "new", "ready"]  # type: ignore[union-attr]


def test_the_host_delay_spans_successive_runs(
    config: Config, store: Store, server: LoopbackServer, song: Path
) -> None:
    """The daemon's fetch job runs every few minutes: one throttle serves them all."""
    slept: list[float] = []
    throttle = HostThrottle(3600.0, sleep=slept.append)
    for i in range(2):
        _add(store, server.add_file(song, name=f"run{i}.opus"))
        counts = process_backlog(
            store,
            config,
            analyse=in_thread(Projection()),
            model_key=MODEL_KEY,
            limit=None,
            throttle=throttle,
        )
        assert counts["ready"] == 1
    (waited,) = slept  # the second run waited for the first's host
    assert waited > 3500


def test_network_down_pauses_the_batch(
    config: Config, store: Store, server: LoopbackServer, song: Path
) -> None:
    ids = [_add(store, server.add_file(song, name=f"n{i}.opus")) for i in range(3)]
    with unreachable_proxy() as proxy:
        config = replace(config, fetch=replace(config.fetch, proxy=proxy))
        counts = process_backlog(
            store, config, analyse=in_thread(Projection()), model_key=MODEL_KEY, limit=None
        )
    assert counts["paused"] == 1
    assert sum(v for k, v in counts.items() if k != "paused") == 0
    tracks = [store.get_track(i) for i in ids]
    assert [t.state for t in tracks] == ["new", "new", "new"]  # type: ignore[union-attr]
    assert sum(t.attempts for t in tracks) == 1  # type: ignore[union-attr]
    assert server.requests == []


def test_an_embedding_failure_puts_the_track_back(
    config: Config, store: Store, server: LoopbackServer, song: Path
) -> None:
    track_id = _add(store, server.add_file(song))

    def broken(patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise RuntimeError("model exploded")

    with pytest.raises(RuntimeError, match="exploded"):
        process_backlog(store, config, analyse=in_thread(broken), model_key=MODEL_KEY, limit=None)
    assert store.get_track(track_id).state == "new"  # type: ignore[union-attr]


def test_retry_delay_grows_and_respects_hints() -> None:
    config = FetchConfig(retry_base_s=100.0)
    delays = [retry_delay(n, config) for n in (1, 2, 3)]
    assert 100 <= delays[0] <= 125
    assert 200 <= delays[1] <= 250
    assert 400 <= delays[2] <= 500
    assert retry_delay(1, config, retry_after=21600) >= 21600
    assert retry_delay(40, config) <= 7 * 24 * 3600


@pytest.mark.skipif(analysis_workers(1) < 2, reason="needs two usable cores")
def test_tracks_are_analysed_side_by_side_and_stored_by_one_writer(
    config: Config, store: Store, server: LoopbackServer, song: Path
) -> None:
    """With one download at a time, the embeddings of two tracks still overlap: each
    call waits for the other at a barrier, which only a second worker can pass."""
    ids = [_add(store, server.add_file(song, name=f"s{i}.opus")) for i in range(2)]
    barrier = threading.Barrier(2, timeout=60)
    threads: set[str] = set()
    projection = Projection()

    def side_by_side(patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        threads.add(threading.current_thread().name)
        barrier.wait()
        return projection(patches)

    counts = process_backlog(
        store, config, analyse=in_thread(side_by_side), model_key=MODEL_KEY, limit=None
    )
    assert counts["ready"] == 2
    assert len(threads) == 2
    assert threading.current_thread().name not in threads  # the caller only stores
    assert all(store.get_embedding(i, MODEL_KEY) is not None for i in ids)
