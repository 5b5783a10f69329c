"""The MPD watcher against a loopback MPD that says odd things: an ``elapsed: abc``, a line
that is not UTF-8, a binary greeting, a line that never ends. The watcher never dies: a
bad line costs it the connection (one log line, a retry), and the plays after it are
counted as before."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.config import Config, MpdConfig, StorageConfig
from daemon.listening import MpdWatcher, PlayerError, connect
from daemon.listening.mpd_lines import MAX_LINE
from daemon.listening.watch import CONNECT_S
from store import Store
from tests.fake_mpd import GREETING, SONG_S, FakeMpd, fake_mpd

RETRY_S = 0.1
BINARY_GREETINGS = {
    "not utf-8": b"\xff\xfe\x00\x1b[2J OK MPD\xc3(\n",
    "utf-8 but not MPD": b"\x00\x01\x02\x1b[2J\x07 hello\n",
    "no line end": b"\x00" * 64,
}


def _wait(check: Callable[[], bool], what: str, within_s: float = 5.0) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.fixture
def mpd(request: pytest.FixtureRequest) -> Iterator[FakeMpd]:
    """A fake MPD greeting with ``GREETING``, or the test's parameter (``indirect``)."""
    with fake_mpd(getattr(request, "param", GREETING)) as server:
        yield server


@pytest.fixture
def watching(
    mpd: FakeMpd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[MpdWatcher, Store]]:
    """A started watcher of ``mpd`` that stores plays of songs outside the library too."""
    monkeypatch.setattr("daemon.listening.watch.RETRY_S", RETRY_S)
    config = Config(
        storage=StorageConfig(dir=str(tmp_path)),
        mpd=MpdConfig(host="127.0.0.1", port=mpd.port, history=True),
    )
    with Store.open(config.db_path) as store:
        watcher = MpdWatcher(config, store)
        watcher.start()
        try:
            yield watcher, store
        finally:
            watcher.stop(timeout=CONNECT_S + 5)  # it may be in a try to connect
    assert not watcher._thread.is_alive()


def _play_through(mpd: FakeMpd, song_id: int, status: bytes = b"") -> None:
    """Play ``song_id`` once the watcher idles, long enough for a listen, then stop."""
    idles = mpd.idles
    mpd.play(song_id, status=status)
    _wait(lambda: mpd.idles > idles, f"the watcher to read song {song_id}")
    time.sleep(SONG_S * 0.75)


def _listened(store: Store, count: int) -> None:
    _wait(lambda: len(store.listens()) >= count, f"{count} listens")
    assert len(store.listens()) == count


def _one_line_each(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The watcher's log lines: each one line, none with a traceback."""
    records = [r for r in caplog.records if r.name.startswith("daemon.")]
    for record in records:
        assert "\n" not in record.getMessage()
        assert record.exc_info is None
    return [r.getMessage() for r in records]


def test_an_elapsed_that_is_not_a_number_still_counts_the_play(
    mpd: FakeMpd, watching: tuple[MpdWatcher, Store], caplog: pytest.LogCaptureFixture
) -> None:
    watcher, store = watching
    _wait(lambda: mpd.idles >= 1, "the watcher to idle")
    _play_through(mpd, 1, status=b"elapsed: abc\n")
    _play_through(mpd, 2, status=b"elapsed: nan\n")
    mpd.play(3)
    _listened(store, 2)
    assert watcher._thread.restarts == 0
    assert mpd.connections == 1
    _one_line_each(caplog)


def test_a_line_that_is_not_utf8_costs_the_connection_not_the_watcher(
    mpd: FakeMpd, watching: tuple[MpdWatcher, Store], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    _, store = watching
    _wait(lambda: mpd.idles >= 1, "the watcher to idle")
    _play_through(mpd, 1)
    mpd.play(2, status=b"elapsed: \xff\xfe\n")  # the watcher reads it, loses the connection
    _wait(lambda: mpd.connections >= 2, "the watcher to connect again")
    _play_through(mpd, 3)  # good lines again: song 1 ended (song 2 was never read)
    mpd.play(4)
    _listened(store, 2)
    lines = _one_line_each(caplog)
    assert lines[0] == (
        f"MPD watch: lost the connection to MPD at 127.0.0.1:{mpd.port}: 'utf-8' codec can't "
        "decode byte 0xff in position 9: invalid start byte; retrying in 0 s"
    )


@pytest.mark.parametrize("greeting", BINARY_GREETINGS.values(), ids=BINARY_GREETINGS.keys())
def test_doctor_on_a_binary_greeting_is_one_line(
    greeting: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with fake_mpd(greeting) as server:
        path = tmp_path / "config.toml"
        path.write_text(
            f'[storage]\ndir = "{tmp_path / "state"}"\n[mpd]\nhost = "127.0.0.1"\n'
            f"port = {server.port}\n"
        )
        main(["--config", str(path), "doctor"])
    out, err = capsys.readouterr()
    (line,) = [line for line in out.splitlines() if "mpd" in line.lower() and "FAIL" in line]
    assert f"cannot reach MPD at 127.0.0.1:{server.port}" in line
    assert "Traceback" not in out + err
    assert "\x1b" not in out + err


@pytest.mark.parametrize(
    "mpd", BINARY_GREETINGS.values(), ids=BINARY_GREETINGS.keys(), indirect=True
)
def test_a_binary_greeting_is_one_line_and_a_real_mpd_is_watched_after_it(
    mpd: FakeMpd, watching: tuple[MpdWatcher, Store], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    watcher, store = watching
    # on a loaded machine a try can wait for its greeting until the connect timeout
    _wait(lambda: mpd.connections >= 2, "a second try", CONNECT_S + 5)
    mpd.greeting = GREETING  # MPD proper is back
    _wait(lambda: mpd.idles >= 1, "the watcher to idle", CONNECT_S + 5)
    _play_through(mpd, 1)
    mpd.play(2)
    _listened(store, 1)
    assert watcher._thread.restarts == 0
    lines = _one_line_each(caplog)
    assert lines[0].startswith(f"MPD watch: cannot reach MPD at 127.0.0.1:{mpd.port}: ")
    assert lines[0].endswith("; retrying in 0 s")


def test_a_line_without_end_costs_the_connection_not_the_memory(mpd: FakeMpd) -> None:
    mpd.status = b"state: " + b"x" * (4 * MAX_LINE)  # bytes and bytes, no newline
    config = MpdConfig(host="127.0.0.1", port=mpd.port)
    with pytest.raises(PlayerError) as caught, connect(config, timeout=5) as client:
        client.status()
    assert str(caught.value) == (
        f"lost the connection to MPD at 127.0.0.1:{mpd.port}: "
        f"MPD sent a line longer than {MAX_LINE} bytes"
    )
