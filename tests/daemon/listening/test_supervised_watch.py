"""Workers survive what a player or server sends: odd MPD status lines are read as
unknown, a binary greeting is one PlayerError line, and any other error restarts the
watcher with backoff, recorded for doctor and the dashboard. A wall clock stepped back
is noticed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.cli.doctor import check_worker_runs
from daemon.config import Config, MpdConfig, StorageConfig
from daemon.listening import MpdWatcher, PlayerError
from daemon.listening.mpd import connect
from daemon.listening.plays import PlayTracker
from daemon.supervise import ClockWatch, Supervised
from store import Store


def test_odd_elapsed_and_duration_are_unknown_not_fatal() -> None:
    tracker = PlayTracker()
    for elapsed in ("abc", "nan", "-5", "\ufffd", "1e999"):
        status = {"state": "play", "songid": "1", "elapsed": elapsed, "duration": elapsed}
        assert tracker.observe(status, {"file": "a.mp3"}, time.time()) == []
    assert tracker.current is not None
    assert tracker.current.duration is None


@pytest.fixture
def binary_mpd() -> Iterator[int]:
    """A server on 127.0.0.1 whose greeting is binary garbage."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(5)

    def serve() -> None:
        for _ in range(4):  # bounded: a few connections at most
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"\xff\xfe\x00\x1b[2J OK MPD\xc3(\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.close()


def test_a_binary_greeting_is_one_player_error(binary_mpd: int) -> None:
    with pytest.raises(PlayerError, match=r"cannot reach|lost the connection"):
        with connect(MpdConfig(host="127.0.0.1", port=binary_mpd), timeout=2):
            pass


def test_a_worker_is_restarted_with_backoff_after_any_error() -> None:
    calls: list[float] = []
    stop = threading.Event()
    reports: list[str] = []

    def work() -> None:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise ValueError("could not convert string to float: 'abc'")
        stop.wait()

    worker = Supervised(
        "w", work, stop, report=lambda n, m: reports.append(m), backoff_s=0.05, backoff_max_s=1
    )
    worker.start()
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(calls) == 3
    assert worker.is_alive()
    assert calls[2] - calls[1] >= calls[1] - calls[0]  # the pause grows
    assert worker.restarts == 2
    assert "ValueError" in reports[0]
    stop.set()
    worker.join(2)
    assert not worker.is_alive()


def test_the_mpd_watcher_survives_a_crash_and_doctor_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = Config(
        storage=StorageConfig(dir=str(tmp_path)), mpd=MpdConfig(host="127.0.0.1", port=9)
    )
    rounds: list[int] = []
    monkeypatch.setattr("daemon.supervise.BACKOFF_S", 0.01)
    with Store.open(config.db_path) as store:
        watcher = MpdWatcher(config, store)

        def bad_round() -> None:
            rounds.append(1)
            if len(rounds) == 1:
                raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
            watcher._stop.wait()

        watcher._thread.target = bad_round
        watcher._thread.backoff_s = 0.01
        watcher.start()
        deadline = time.monotonic() + 5
        while len(rounds) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(rounds) == 2
        assert watcher._thread.is_alive()
        watcher._stop.set()
        watcher._thread.join(2)
    (check,) = check_worker_runs(config)
    assert check.name == "worker:mpd-watch"
    assert "UnicodeDecodeError" in check.detail


def test_a_clock_stepped_back_a_day_is_noticed() -> None:
    wall = [1_000_000.0]
    mono = [50.0]
    clock = ClockWatch(wall=lambda: wall[0], mono=lambda: mono[0])
    mono[0] += 1
    wall[0] += 1
    assert clock.stepped() is None
    mono[0] += 1
    wall[0] -= 86_400
    assert clock.stepped() == pytest.approx(-86_401)
    assert clock.stepped() is None
