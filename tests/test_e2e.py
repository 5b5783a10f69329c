"""End to end: the demo flow, smaller. The queue must follow the listener's taste drift.
Synthesizes, fetches, embeds and trains on 34 tracks: make test-slow."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from daemon.cli import main as cli
from daemon.demo import DemoPlan, run_demo
from daemon.demo.playlists import localize_playlist

pytestmark = pytest.mark.slow


def test_queue_follows_the_drift(tmp_path: Path, demo_root: Path) -> None:
    plan = DemoPlan(
        candidates={"piano-ballad": 8, "drum-and-bass": 8, "ambient-pad": 10, "brass-chords": 8},
        early_styles=("piano-ballad", "drum-and-bass"),
        drift_style="ambient-pad",
        history_per_style=4,
        seconds=16.0,
        days=90,
        drift_days=21,
        timeout_s=420.0,
    )
    # demo_root caches the corpus (its .demo-corpus) for the daemon tests too
    result = run_demo(demo_root / "demo-state", plan, Console(quiet=True))
    assert len(result.top_styles) == 10
    share = sum(style == "ambient-pad" for style in result.top_styles)
    assert share >= 8, result.top_styles
    out = tmp_path / "top.xspf"
    assert (
        cli(
            [
                "--config",
                str(result.config_path),
                "export",
                "--format",
                "xspf",
                "--limit",
                "20",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.read_text().count("<track>") == 20
    # after the demo its server is gone: the playlist now plays from the corpus files
    assert localize_playlist(out, result.state_dir / "www" / "audio") == 20
    assert "http://127.0.0.1" not in out.read_text()
