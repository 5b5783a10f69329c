"""A really corrupted database file: every command says so in one line with the fix, exits 1."""

from __future__ import annotations

import dataclasses
import io
import random
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from rich.console import Console

from daemon.cli import main
from daemon.config import Config
from daemon.dashboard.snapshot import snapshot_for
from daemon.dashboard.view import render
from daemon.service.jobs import Jobs
from store import Store, StoreError
from tests.populate import populate, write_config

COMMANDS = {
    "status": ["status"],
    "dashboard": ["dashboard", "--once"],
    "export": ["export", "--format", "json", "--out", "-"],
}


def _populated(tmp_path: Path) -> tuple[Config, Path]:
    config, path = write_config(tmp_path)
    with Store.open(config.db_path) as store:
        populate(store)
    return config, path


def _corrupt(db: Path, name: str, *, header_bytes: int = 0) -> None:
    """Random bytes over the b-tree page of table or index ``name`` (after its first bytes)."""
    conn = sqlite3.connect(db)
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    conn.close()
    page_size = 4096
    with db.open("r+b") as f:
        f.seek((root - 1) * page_size + header_bytes)
        f.write(random.Random(7).randbytes(page_size - header_bytes))


@pytest.mark.parametrize("command", COMMANDS, ids=COMMANDS.keys())
def test_a_command_meeting_corruption_is_one_line_with_the_fix(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path = _populated(tmp_path)
    _corrupt(config.db_path, "tracks")
    assert main(["--config", str(path), *COMMANDS[command]]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    assert "malformed" in err
    assert f"sqlite3 {config.db_path} .recover" in err


def test_the_fix_names_the_backup_when_there_is_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path = _populated(tmp_path)
    backup = config.db_path.with_name("tastebud.backup.db")
    shutil.copy(config.db_path, backup)
    _corrupt(config.db_path, "tracks")
    assert main(["--config", str(path), "status"]) == 1
    assert f"restore the latest backup: cp {backup} {config.db_path}" in capsys.readouterr().err


def test_doctor_runs_quick_check_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path = _populated(tmp_path)
    _corrupt(config.db_path, "tracks")
    assert main(["--config", str(path), "doctor"]) == 1
    out, err = capsys.readouterr()
    assert "[FAIL] database" in out
    assert "fix: stop tastebud, run `sqlite3" in out
    assert "Traceback" not in out + err


def test_a_read_that_meets_corruption_raises_the_store_error_not_the_commit(
    tmp_path: Path,
) -> None:
    config, _ = _populated(tmp_path)
    _corrupt(config.db_path, "tracks")
    with Store.open(config.db_path) as store:
        with pytest.raises(StoreError, match="malformed") as err:
            store.quick_check()
        assert isinstance(err.value.__cause__, sqlite3.DatabaseError)
        assert not store.conn.in_transaction


def test_weekly_integrity_check_failing_keeps_the_backup_and_alerts_the_dashboard(
    tmp_path: Path,
) -> None:
    config, _ = _populated(tmp_path)
    backup = config.db_path.with_name("tastebud.backup.db")
    backup.write_bytes(b"the last good backup")
    _corrupt(config.db_path, "track_ids_track", header_bytes=8)  # an index: tables still read
    config = dataclasses.replace(config, storage=dataclasses.replace(config.storage, backup=True))
    with Store.open(config.db_path) as store:
        jobs = Jobs(config, store, threading.Event())
        with pytest.raises(StoreError):
            jobs.maintenance()
        (run,) = store.runs("integrity")
        assert run.status == "failed"
        assert f"restore the latest backup: cp {backup}" in (run.error or "")
    assert backup.read_bytes() == b"the last good backup"
    snap = snapshot_for(config, tag_names=[f"t{i}" for i in range(50)], with_drift=False)
    assert snap.alerts
    console = Console(width=80, height=24, record=True, file=io.StringIO())
    console.print(render(snap, 80, 24))
    assert "!! DATABASE CORRUPT (integrity check of" in console.export_text()
