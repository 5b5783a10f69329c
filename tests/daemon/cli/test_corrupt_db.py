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
from daemon.cli.doctor import check_database
from daemon.cli.status import READ_TABLES, status_lines
from daemon.config import Config
from daemon.dashboard.snapshot import snapshot_for
from daemon.dashboard.view import render
from daemon.service.jobs import Jobs
from store import ListenIn, Store, StoreError, TrackRef
from tests.populate import populate, write_config

LEAVES = "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno"
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


def _one_line_with_the_fix(err: str, db: Path) -> None:
    assert err.count("\n") == 1, err
    assert err.startswith(f"tastebud: database {db}")
    assert "malformed" in err
    assert f"sqlite3 {db} .recover" in err


def test_status_on_a_page_whose_cells_point_elsewhere_is_one_line_not_silence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The runs page keeps its header and loses its cell pointers: read plainly, status
    would list no run and exit 0."""
    config, path = _populated(tmp_path)
    _corrupt(config.db_path, "runs", header_bytes=8)
    assert main(["--config", str(path), "status"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    _one_line_with_the_fix(err, config.db_path)


def test_every_reader_meeting_cells_that_point_elsewhere_raises(tmp_path: Path) -> None:
    """What the dashboard and the web page read, with no check first: not fewer rows."""
    config, _ = _populated(tmp_path)
    _corrupt(config.db_path, "runs", header_bytes=8)
    with Store.open(config.db_path, readonly=True) as store:
        with pytest.raises(StoreError, match="malformed"):
            store.last_runs()


def test_status_on_a_damaged_page_in_the_middle_of_the_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A leaf page of the tracks table, amid many, that status's counts read around (through
    an index): status says so, and doctor's fix, instead of counting on."""
    config, path = _populated(tmp_path)
    with Store.open(config.db_path) as store:
        listens = [
            ListenIn(TrackRef("listenbrainz", artist=f"Artist {i}", title=f"Song {i}"), i, 100.0)
            for i in range(1_700_000_000, 1_700_003_000)
        ]
        store.add_listens(listens, "listenbrainz")
    conn = sqlite3.connect(config.db_path)
    leaves = [p for (p,) in conn.execute(LEAVES, ("tracks",))]
    conn.close()
    page = leaves[len(leaves) // 2]
    with config.db_path.open("r+b") as f:
        f.seek((page - 1) * 4096 + 1500)
        f.write(bytes(200))
    assert main(["--config", str(path), "status"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    _one_line_with_the_fix(err, config.db_path)
    assert f"(quick_check: On tree page {page} " in err
    check = check_database(config)  # doctor names the first problem on its one line
    assert not check.ok
    assert check.detail.startswith(f"{config.db_path}: quick_check says On tree page {page} ")
    assert "\n" not in check.detail


def test_status_checks_every_table_it_reads(tmp_path: Path) -> None:
    config, _ = _populated(tmp_path)
    read: set[str] = set()

    def note(action: int, table: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_READ and table is not None:
            read.add(table)
        return sqlite3.SQLITE_OK

    with Store.open(config.db_path, readonly=True) as store:
        store.conn.set_authorizer(note)
        status_lines(store, config)
    assert read - {"embeddings"} <= set(READ_TABLES)
