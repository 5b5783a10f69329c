"""``tastebud status`` lists the newest run of every job and source, failures first: a
source that failed before five other runs is not hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.cli import main
from store import Store


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
