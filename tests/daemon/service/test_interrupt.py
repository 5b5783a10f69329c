"""Ctrl-C stops ``tastebud run`` gracefully with exit code 130, as README says; a service
manager's SIGTERM stops it with 0."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import wait_until


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 0)])
def test_run_exits_130_on_ctrl_c_and_0_on_sigterm(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndir = "{tmp_path / "state"}"\n')
    log = tmp_path / "daemon.log"
    with log.open("w") as out:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "daemon.cli", "--config", str(config), "run"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: "daemon started" in log.read_text(), 90, "the daemon", log)
        daemon.send_signal(sig)
        assert daemon.wait(60) == code, log.read_text()[-2000:]
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    assert "tastebud daemon stopped" in log.read_text()
