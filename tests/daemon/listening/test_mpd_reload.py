"""A running daemon follows its config: ``[mpd]`` added by a reload starts the MPD watcher,
removed stops it; ``tastebud retry`` wakes it to poll and fetch now."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli, start_daemon, wait_until
from tests.daemon.listening.conftest import MpdServer

BASE = '[storage]\ndir = "{state}"\n[schedule]\nshutdown_timeout_s = 15.0\n'


def _channels(mpd: MpdServer) -> list[str]:
    client = mpd.client()
    try:
        return list(client.channels())
    finally:
        client.disconnect()


@pytest.mark.slow  # a daemon subprocess and a real MPD
def test_reload_starts_and_stops_the_mpd_watcher_and_retry_wakes_the_daemon(
    tmp_path: Path, mpd_server: MpdServer
) -> None:
    config = tmp_path / "config.toml"
    base = BASE.format(state=tmp_path / "state")
    config.write_text(base)
    with start_daemon(config) as daemon:
        log = daemon.log
        assert "tastebud-watch" not in _channels(mpd_server)

        config.write_text(base + f'[mpd]\nhost = "127.0.0.1"\nport = {mpd_server.port}\n')
        daemon.send(signal.SIGHUP)
        wait_until(lambda: "watching MPD" in log.read_text(), 30, "the MPD watcher", log)
        wait_until(lambda: "tastebud-watch" in _channels(mpd_server), 10, "its channel", log)

        retry = run_cli(config, "retry")
        assert retry.stdout.splitlines() == [
            "nothing waited after a failure",
            f"the daemon (pid {daemon.pid}) polls and fetches now",
        ]
        wait_until(lambda: "woken by tastebud retry" in log.read_text(), 30, "the wake", log)

        config.write_text(base)
        daemon.send(signal.SIGHUP)
        wait_until(lambda: "stopped watching MPD" in log.read_text(), 30, "the stop", log)
        wait_until(lambda: "tastebud-watch" not in _channels(mpd_server), 10, "no channel", log)
        stopped = daemon.stop()
    assert stopped.returncode == 0, stopped.log[-3000:]
    assert "Traceback" not in stopped.log
