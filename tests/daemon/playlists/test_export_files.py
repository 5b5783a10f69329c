"""Exported files: readable under the user's umask, names that stay in their folder,
a positive --limit, and an export with no rows that keeps the previous file."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.config import ConfigError, parse_config
from daemon.playlists.export import refresh_playlists
from store import Store
from tests.populate import populate
from tests.populate import write_config as _config

ROOT = Path(__file__).resolve().parents[3]

_WRITE_AFTER_TIGHTENING = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    import daemon.filemodes  # first import: the user's umask is read here
    os.umask(0o077)  # the daemon tightens the process umask for its state files
    from daemon.playlists.export import write_atomic
    write_atomic(Path(sys.argv[1]), "#EXTM3U\\n")
    """
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_exported_files_follow_the_umask_tastebud_started_with(
    tmp_path: Path, umask: int, mode: int
) -> None:
    out = tmp_path / "mine.m3u8"
    subprocess.run(
        [sys.executable, "-c", _WRITE_AFTER_TIGHTENING, str(out)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        umask=umask,
        check=True,
        timeout=120,
    )
    assert out.read_text(encoding="utf-8") == "#EXTM3U\n"
    assert _mode(out) == mode


def test_export_command_writes_a_readable_file(tmp_path: Path) -> None:
    config, path = _config(tmp_path)
    with Store.open(config.db_path) as store:
        populate(store)
    out = tmp_path / "mine.xspf"
    done = subprocess.run(
        [sys.executable, "-m", "daemon.cli", "--config", str(path), "export", "--out", str(out)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        umask=0o022,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _mode(out) == 0o644


@pytest.mark.parametrize("name", ["../x", "/etc/x", "a/b", ".hidden", "", "..\\\\x"])
def test_a_playlist_name_cannot_leave_its_folder(tmp_path: Path, name: str) -> None:
    text = f'[[playlists]]\nname = "{name}"\n'
    with pytest.raises(ConfigError, match=r"playlists\[0\]\.name .* plain file name"):
        parse_config(text, str(tmp_path / "config.toml"))


def test_a_playlist_limit_must_be_positive(tmp_path: Path) -> None:
    text = '[[playlists]]\nname = "top"\nlimit = 0\n'
    with pytest.raises(
        ConfigError, match=r"playlists\[0\]\.limit = 0 is out of range: it must be greater than 0"
    ):
        parse_config(text, str(tmp_path / "config.toml"))


@pytest.mark.parametrize("limit", ["0", "-3", "ten"])
def test_export_limit_must_be_positive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    _, path = _config(tmp_path)
    with pytest.raises(SystemExit) as done:
        main(["--config", str(path), "export", "--limit", limit])
    assert done.value.code == 2
    assert "argument --limit:" in capsys.readouterr().err


def test_an_export_with_no_rows_fails_in_one_line_and_keeps_the_previous_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path = _config(tmp_path)
    Store.open(config.db_path).close()  # an empty queue
    out = tmp_path / "mine.m3u8"
    out.write_text("#EXTM3U\nprevious\n", encoding="utf-8")
    assert main(["--config", str(path), "export", "--out", str(out)]) == 1
    assert out.read_text(encoding="utf-8") == "#EXTM3U\nprevious\n"
    assert capsys.readouterr().err == (
        f"tastebud: nothing written to {out}: the queue is empty "
        "(tastebud dashboard shows what it waits on)\n"
    )
    assert main(["--config", str(path), "export", "--out", "-"]) == 1
    assert capsys.readouterr().err.startswith("tastebud: nothing written to stdout: the queue")


def test_an_export_into_a_missing_folder_fails_and_makes_no_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path = _config(tmp_path)
    with Store.open(config.db_path) as store:
        populate(store)
    out = tmp_path / "nonexistent" / "dir" / "x.m3u8"
    assert main(["--config", str(path), "export", "--out", str(out)]) == 1
    assert not (tmp_path / "nonexistent").exists()
    assert capsys.readouterr().err == (
        f"tastebud: cannot write playlist 'x' to {out}: the folder {out.parent} does not "
        f"exist: create it (mkdir -p {out.parent}) or choose another path\n"
    )


def test_a_refresh_with_no_rows_above_min_standing_keeps_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config, _ = _config(tmp_path, '[[playlists]]\nname = "top"\nmin_standing = 0.0\n')
    strict, _ = _config(tmp_path, '[[playlists]]\nname = "top"\nmin_standing = 0.99\n')
    with Store.open(config.db_path) as store:
        populate(store)
        [written] = refresh_playlists(store, config)
        before = written.read_text(encoding="utf-8")
        assert refresh_playlists(store, strict) == []
    assert written.read_text(encoding="utf-8") == before
    assert "no queued track stands at least min_standing 0.99" in caplog.text


def _export_jspf(config: Path, out: Path) -> int:
    return main(["--config", str(config), "export", "--format", "jspf", "--out", str(out)])


def test_jspf_keeps_only_tracks_listenbrainz_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path = _config(tmp_path)
    with Store.open(config.db_path) as store:
        pop = populate(store)
        queued = len(store.queue(50))
    out = tmp_path / "mine.jspf"
    assert _export_jspf(path, out) == 0
    (track,) = json.loads(out.read_text(encoding="utf-8"))["playlist"]["track"]
    mbid = pop.candidates[pop.mbid_track_id].ids["recording_mbid"]
    assert track["identifier"] == [f"https://musicbrainz.org/recording/{mbid}"]
    ours = track["extension"]["https://musicbrainz.org/doc/jspf#track"]["additional_metadata"]
    assert ours["tastebud"]["rank"] == 1
    err = capsys.readouterr().err
    assert f"left out {queued - 1} of {queued} tracks without a MusicBrainz recording id" in err
    assert "1 tracks written" in err


def test_jspf_with_no_recording_ids_fails_and_keeps_the_previous_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, path = _config(tmp_path)
    with Store.open(config.db_path) as store:
        pop = populate(store)
        store.add_feedback("dismiss", "cli", track=pop.mbid_track_id)
        queued = len(store.queue(50))
    out = tmp_path / "mine.jspf"
    out.write_text("{}", encoding="utf-8")
    assert _export_jspf(path, out) == 1
    assert out.read_text(encoding="utf-8") == "{}"
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"tastebud: nothing written to {out}: none of the {queued} tracks has a MusicBrainz "
        "recording id, which a JSPF playlist needs for ListenBrainz: export another format "
        "(m3u8, xspf, csv, json)"
    )


def test_the_old_min_score_key_is_read_as_min_standing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config, _ = _config(tmp_path, '[[playlists]]\nname = "top"\nmin_score = 0.5\n')
    assert config.playlists[0].min_standing == 0.5
    assert "playlists[0].min_score is now called min_standing; rename it" in caplog.text
