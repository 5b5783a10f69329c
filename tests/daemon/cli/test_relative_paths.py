"""Relative paths in a config file are relative to its folder, wherever tastebud runs; the
demo's config uses them, so its folder can move."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from daemon.config import load_config
from daemon.demo.run import write_config
from daemon.sources import config_schemas


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    folder, elsewhere = tmp_path / "conf", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    (folder / "config.toml").write_text(
        '[storage]\ndir = "state"\n'
        '[[history]]\ntype = "listenbrainz-export"\npath = "exports/listens.jsonl"\n'
        '[[feeds]]\ntype = "directory"\npath = "~/Music"\n'
        '[library]\ndir = "/srv/music/tastebud"\n'
        '[[playlists]]\nname = "top"\npath = "lists/top.m3u8"\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "daemon.cli", "--config", "../conf/config.toml", "status"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.startswith(f"no database at {folder / 'state' / 'tastebud.db'} yet")
    config = load_config(elsewhere / ".." / "conf" / "config.toml", sources=config_schemas())
    assert config.state_dir.resolve() == folder / "state"
    assert Path(config.history[0].path).resolve() == folder / "exports" / "listens.jsonl"
    assert config.feeds[0].path == "~/Music"  # the home's
    assert config.library_dir == Path("/srv/music/tastebud")  # absolute: as written
    assert Path(config.playlists[0].path).resolve() == folder / "lists" / "top.m3u8"


def test_the_demo_config_holds_no_absolute_path(tmp_path: Path) -> None:
    state = tmp_path / "demo-state"
    state.mkdir()
    path = write_config(state, "http://127.0.0.1:8000", state / "listens.jsonl", 10)
    text = path.read_text()
    assert str(tmp_path) not in text
    moved = tmp_path / "moved"
    state.rename(moved)
    config = load_config(moved / "config.toml", sources=config_schemas())
    assert config.state_dir.resolve() == moved
    assert Path(config.history[0].path).resolve() == moved / "listens.jsonl"
