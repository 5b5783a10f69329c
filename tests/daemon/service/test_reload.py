"""SIGHUP with a bad config: the real daemon keeps running on the old one and says READY again,
and stops on TERM by the old one's rules. A daemon subprocess through every bad config below:
make test-slow; the reload itself in this process: make test."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from daemon.config import load_config
from daemon.service.daemon import Daemon
from daemon.service.sdnotify import Notifier
from daemon.sources import config_schemas
from tests.cli_helpers import start_daemon

GOOD = '[storage]\ndir = "{state}"\n[schedule]\nshutdown_timeout_s = 15.0\n'
BAD_CONFIGS = [
    b"[storage]\ndir = '\xff'\n",  # not UTF-8
    b"[storage\n",  # not TOML
    b"[fetch]\nsocket_timeout_s = 0\n",  # out of range
    b"[fetch]\nsocket_timeout_s = nan\n",  # not finite
    b"[schedule]\nhistory_minutes = 1e300\n",  # past its range (overflowed the scheduler)
    b"[schedule]\nshutdown_timeout_s = 1e300\n",  # past its range (a traceback on TERM)
    b'[[history]]\ntype = "takeout"\npath = "w.json"\napi_key = "k"\n',  # another type's key
]


@pytest.mark.slow
def test_reload_with_a_bad_config_keeps_the_daemon_and_sends_ready(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    good = GOOD.format(state=tmp_path / "state").encode()
    config.write_bytes(good)
    # reloaded with a source table: the reload is given the source types too
    reloaded = good + f'[[feeds]]\ntype = "directory"\npath = "{tmp_path}"\n'.encode()
    with start_daemon(config) as daemon:
        for bad in [*BAD_CONFIGS, reloaded]:
            config.write_bytes(bad)
            daemon.send(signal.SIGHUP)
            daemon.notifications("RELOADING=1")
            seen = daemon.notifications("READY=1")  # today's systemd otherwise kills the reload
            assert daemon.running(), daemon.log_text()
            expected = "config reloaded" if bad == reloaded else "reload failed, old config kept"
            assert expected in seen[-1]
        stopped = daemon.stop()
    assert stopped.returncode == 0, stopped.log[-3000:]
    out = stopped.log
    assert out.count("reload failed, keeping the old config") == len(BAD_CONFIGS)
    assert "not UTF-8 text" in out
    assert "api_key is a key of type lastfm" in out
    assert "Traceback" not in out


def test_a_reload_past_a_range_keeps_the_old_config(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD.format(state=tmp_path / "state"))
    daemon = Daemon(load_config(path, sources=config_schemas()), notifier=Notifier({}))
    old = daemon.config
    path.write_text(GOOD.format(state=tmp_path / "state").replace("15.0", "1e300"))
    daemon._reload()
    assert daemon.config is old
    assert daemon.config.schedule.shutdown_timeout_s == 15.0  # what TERM waits for
    (record,) = [r for r in caplog.records if "reload failed" in r.getMessage()]
    assert record.getMessage() == (
        f"reload failed, keeping the old config: {path}: "
        "schedule.shutdown_timeout_s = 1e+300 is out of range: "
        "it must be greater than 0 and at most 3600"
    )
