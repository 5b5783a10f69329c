"""A fresh state with imported listens whose tracks have no features yet: every screen says
what it waits for, in words that agree with the numbers beside them."""

from __future__ import annotations

import io
import logging
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from daemon.cli.status import status_lines
from daemon.config import Config, StorageConfig
from daemon.dashboard.snapshot import load_snapshot
from daemon.dashboard.view import render
from daemon.service.jobs import Jobs
from store import ListenIn, Store, TrackRef

DAY = 86_400


@pytest.fixture
def imported(tmp_path: Path) -> tuple[Config, Store]:
    config = Config(storage=StorageConfig(dir=str(tmp_path / "state")))
    store = Store.open(config.db_path)
    now = time.time()
    listens = [
        ListenIn(TrackRef("lb", artist=f"Artist {i % 5}", title=f"Song {i}"), int(now - i * DAY))
        for i in range(15)
    ]
    store.add_listens(listens, "listenbrainz-export")
    refs = [
        TrackRef("feed", artist="New", title=f"Cand {i}", url=f"http://h/{i}") for i in range(3)
    ]
    store.add_feed_items("feed", refs)
    return config, store


def test_an_untrained_model_says_why_in_the_dashboard_and_status(
    imported: tuple[Config, Store], caplog: pytest.LogCaptureFixture
) -> None:
    config, store = imported
    jobs = Jobs(config, store, threading.Event())
    with caplog.at_level(logging.INFO):
        jobs.train(force=True)
    reason = "untrained: 0 listened or liked tracks with features, need 5 ([model] min_labels)"
    assert "no listened or liked track has features yet: 3 candidates in feed order" in caplog.text
    assert "nothing listened yet" not in caplog.text

    snap = load_snapshot(store, config, tag_names=[])
    console = Console(width=330, height=30, record=True, file=io.StringIO())
    console.print(render(snap, 330, 30))  # wide: no line of the panels wraps
    frame = console.export_text()
    assert "untrained: 0 listened or liked tracks with features" in frame
    assert "labels exist" not in frame
    assert "ranked by: feed order (no listened or liked track has features yet" in frame
    assert "nothing listened" not in frame
    assert snap.drift_note == (
        "drift: none of the 15 tracks listened in the last 30 days has features yet (they "
        "wait to be fetched)"
    )
    lines = status_lines(store, config)
    assert f"model: {reason}" in lines
    store.close()
