"""The daemon's process settings. The state's file modes: private outside systemd, shared
with the tastebud group under it, playlists readable by everyone in both; its CPU priority."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.config import ConfigError, parse_config
from daemon.filemodes import blocked_for_others
from store import Store
from tests.cli_helpers import run_cli
from tests.populate import populate


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndir = "{tmp_path / "state"}"\n', encoding="utf-8")
    return config


def _env(env: dict[str, str]) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k != "INVOCATION_ID"}, **env}


def _once(tmp_path: Path, umask: int, env: dict[str, str]) -> None:
    done = run_cli(_config(tmp_path), "once", env=_env(env), umask=umask)
    assert done.returncode == 0, done.stderr[-3000:]


def _exported_mode(tmp_path: Path, umask: int, env: dict[str, str]) -> int:
    """The mode of a playlist a tastebud process writes once its state umask is in force."""
    with Store.open(tmp_path / "state" / "tastebud.db") as store:
        populate(store)
    out = tmp_path / "music" / "discover.m3u8"
    out.parent.mkdir(exist_ok=True)  # tastebud never makes an export's folder
    done = run_cli(
        _config(tmp_path),
        "export",
        "--format",
        "m3u8",
        "--out",
        str(out),
        env=_env(env),
        umask=umask,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return _mode(out)


@pytest.mark.slow  # full `tastebud once` runs in child processes
def test_outside_systemd_the_state_is_private_and_older_state_tightened(tmp_path: Path) -> None:
    models = tmp_path / "state" / "models"
    models.mkdir(parents=True, mode=0o755)  # left by an older version under umask 0022
    (tmp_path / "state").chmod(0o755)
    _once(tmp_path, 0o022, {})
    state = tmp_path / "state"
    assert _mode(state) == 0o751  # others pass through to the library, never list the state
    assert _mode(models) == 0o750
    assert _mode(state / "tastebud.db") == 0o640
    assert _mode(state / "library") == 0o755
    assert _mode(state / "library" / "tastebud.m3u8") == 0o644
    blocker = blocked_for_others(state / "library" / "tastebud.m3u8")
    assert blocker is None or not blocker.is_relative_to(state)  # pytest's own 0700 folders
    assert _exported_mode(tmp_path, 0o022, {}) == 0o644


@pytest.mark.slow  # full `tastebud once` runs in child processes
def test_under_systemd_the_tastebud_group_shares_the_database(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o2770)  # StateDirectoryMode=2770
    _once(tmp_path, 0o007, {"INVOCATION_ID": "0123456789abcdef"})  # UMask=0007
    db = state / "tastebud.db"
    assert _mode(state) == 0o2771  # the group shares it; others pass to the library
    assert _mode(db) == 0o660
    assert _exported_mode(tmp_path, 0o007, {"INVOCATION_ID": "0123456789abcdef"}) == 0o644
    # A group member's dashboard creates -wal and -shm: SQLite gives them the database's mode.
    old = os.umask(0o077)
    try:
        with Store.open(db, readonly=True) as store:
            store.counts()
            assert _mode(db.with_name("tastebud.db-wal")) == 0o660
            assert _mode(db.with_name("tastebud.db-shm")) == 0o660
    finally:
        os.umask(old)


@pytest.mark.parametrize("value", ["27x", "1777", "-1", ""])
def test_a_bad_umask_is_one_line_naming_the_key(value: str) -> None:
    with pytest.raises(
        ConfigError, match=r"^my\.toml: storage\.umask = .* is not a umask: .*octal"
    ):
        parse_config(f'[storage]\numask = "{value}"\n', "my.toml")


def test_a_command_outside_systemd_keeps_the_group_share(tmp_path: Path) -> None:
    # `sudo -u tastebud tastebud import ...` on a systemd install: others lose nothing
    # they had, the tastebud group keeps its access.
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o2770)
    old = os.umask(0o007)
    try:
        Store.open(state / "tastebud.db").close()
    finally:
        os.umask(old)
    _once(tmp_path, 0o022, {})
    assert _mode(state) == 0o2771  # others gain only the way to the library
    assert _mode(state / "tastebud.db") == 0o660


def test_once_runs_at_the_configured_nice(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    probe = (
        "import os, sys\n"
        "from daemon.cli import service\n"
        "from daemon.service.once import CycleResult\n"
        "service.run_once = lambda config, fetch_limit=None, now=False: "
        "print('NICE', os.getpriority(os.PRIO_PROCESS, 0)) or CycleResult((), True)\n"
        "from daemon.cli import main\n"
        "sys.exit(main(['--config', sys.argv[1], 'once']))\n"
    )
    base = os.getpriority(os.PRIO_PROCESS, 0)  # never raised above what it was
    for setting, nice in (("", 10), ("nice = 3", 3), ("nice = 0", 0)):
        expected = max(base, nice)
        config.write_text(
            f'[storage]\ndir = "{tmp_path / "state"}"\n[daemon]\n{setting}\n', encoding="utf-8"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe, str(config)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert f"NICE {expected}" in done.stdout
