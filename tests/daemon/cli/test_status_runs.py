"""``tastebud status`` lists the newest run of every job and source, failures first: a
source that failed before five other runs is not hidden, and an import killed mid-run is
shown aborted, not running."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.cli import main
from store import Store, StoreError
from tests.cli_helpers import wait_until


def test_status_shows_a_failing_source_behind_newer_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndir = "{tmp_path / "state"}"\n')
    with Store.open(tmp_path / "state" / "tastebud.db") as store:
        with store.recorded_run("feed:radio") as run:
            run.fail("url feed 'radio': HTTP 404")
        for job in ("poll-history", "poll-feeds", "fetch", "train", "playlists", "library"):
            with store.recorded_run(job):
                pass
    assert main(["--config", str(path), "status"]) == 0
    runs = [line for line in capsys.readouterr().out.splitlines() if line.startswith("run ")]
    assert len(runs) == 7
    assert runs[0].startswith("run feed:radio: failed ")
    assert runs[0].endswith(": url feed 'radio': HTTP 404")


def _import_running(db: Path) -> bool:
    try:
        with Store.open(db, readonly=True) as store:
            return [r.status for r in store.runs("import:listenbrainz-export")] == ["running"]
    except StoreError:  # not made yet
        return False


@pytest.mark.slow
def test_an_import_killed_mid_run_shows_aborted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndir = "{tmp_path / "state"}"\n')
    export = tmp_path / "listens.jsonl"
    line = '{"listened_at": %d, "track_metadata": {"artist_name": "A %d", "track_name": "S"}}\n'
    export.write_text("".join(line % (1_700_000_000 + i, i) for i in range(300_000)))
    log = tmp_path / "import.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daemon.cli", "--config", str(path), "import", str(export)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        db = tmp_path / "state" / "tastebud.db"
        wait_until(lambda: _import_running(db), 60, "the import to start", log)
    finally:
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    assert main(["--config", str(path), "status"]) == 0
    (run,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("run ")]
    assert run.startswith("run import:listenbrainz-export: aborted ")
    assert run.endswith(": its process ended before the run did (killed?)")
    assert main(["--config", str(path), "status", "--json"]) == 0
    (record,) = json.loads(capsys.readouterr().out)["runs"]
    assert record["status"] == "aborted"
