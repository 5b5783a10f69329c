"""Ctrl-C stops ``tastebud run`` gracefully with exit code 130, as README says; a service
manager's SIGTERM stops it with 0."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.cli_helpers import start_daemon


@pytest.mark.slow  # a daemon subprocess each
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 0)])
def test_run_exits_130_on_ctrl_c_and_0_on_sigterm(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndir = "{tmp_path / "state"}"\n')
    with start_daemon(config) as daemon:
        daemon.send(sig)
        assert daemon.proc.wait(60) == code, daemon.log_text()[-2000:]
        stopped = daemon.stop()
    assert "tastebud daemon stopped" in stopped.log
