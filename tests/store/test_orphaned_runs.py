"""A run whose process was killed is closed as aborted by the next process that opens the store
for writing, and read as aborted by every reader before that; a live process's run never is."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from store import Store
from store.processes import process_alive, process_identity
from store.runs import ORPHANED

# A real process that opens the store, starts a run and waits (as a long import would).
HOLDER = """
import sys
from store import Store
with Store.open(sys.argv[1]) as store:
    store.start_run("import:listenbrainz-export")
    print("started", flush=True)
    sys.stdin.read()
"""


def _holder(db: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "started"
    return proc


def _status(db: Path) -> str:
    with Store.open(db) as store:
        (run,) = store.runs("import:listenbrainz-export")
        return run.status


def test_a_killed_process_run_is_aborted_by_the_next_open(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with _holder(db) as proc:
        try:
            assert _status(db) == "running"  # alive: left alone
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
    assert _status(db) == "aborted"
    with Store.open(db) as store:
        (run,) = store.runs("import:listenbrainz-export")
    assert run.finished_at is not None
    assert "killed" in (run.error or "")


def test_process_identity_tells_a_live_process_from_a_gone_one() -> None:
    assert process_alive(process_identity())
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    identity = process_identity(proc.pid)
    proc.wait()
    assert not process_alive(identity)
    rest = process_identity().partition(":")[2]
    assert not process_alive(f"another-boot:{rest}")  # the machine rebooted since


def test_a_reader_shows_a_gone_process_run_as_aborted_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with Store.open(db) as store:
        gone = store.start_run("import:listenbrainz-export")
        live = store.start_run("poll-history")  # this process's: it runs on
    rest = process_identity().partition(":")[2]
    with sqlite3.connect(db) as conn:  # the machine rebooted under the import
        conn.execute("UPDATE runs SET owner = ? WHERE id = ?", (f"another-boot:{rest}", gone))
    with Store.open(db, readonly=True) as store:
        runs = {run.id: run for run in store.runs()}
        last = store.last_runs()
    assert (runs[gone].status, runs[gone].error) == ("aborted", ORPHANED)
    assert last["import:listenbrainz-export"] == runs[gone]
    assert (runs[live].status, runs[live].owner) == ("running", process_identity())
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM runs WHERE id = ?", (gone,)).fetchone() == (
            "running",
        )
