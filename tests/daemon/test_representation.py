"""Which backbone ranks while a new one reaches the store, and where its progress shows:
``tastebud status`` (and ``--json``), the dashboard's pipeline panel, ``/api/status`` and
the web page, over a real store."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from daemon.cli import main
from daemon.cli.status import status_lines
from daemon.config import Config
from daemon.dashboard.snapshot import load_snapshot
from daemon.dashboard.view import render
from daemon.representation import (
    COVERAGE,
    active_backbone,
    note_active,
    reanalysis_progress,
)
from daemon.web.health import health_html
from daemon.web.status import status_record
from store import Store, TrackRef
from tests.populate import Population, populate, write_config

OLD, NEW = "MSD_musicnn", "MTT_musicnn"
SWITCHED = f'[model]\nbackbone = "{NEW}"\n'


def _config(tmp_path: Path, backbone: str = NEW) -> Config:
    return write_config(tmp_path, f'[model]\nbackbone = "{backbone}"\n')[0]


def _embed(store: Store, track_id: int, key: str) -> None:
    store.put_embedding(track_id, key, np.zeros((2, 4)), np.full((2, 50), 0.5))


def _tracks(store: Store, n: int, key: str) -> list[int]:
    ids = []
    for i in range(n):
        ids.append(store.upsert_track(TrackRef(source="test", url=f"https://x.test/{key}/{i}")))
        _embed(store, ids[-1], key)
        store.mark_track(ids[-1], "ready")
    return ids


def test_the_old_backbone_ranks_until_the_new_one_covers_95_percent(
    store: Store, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    assert active_backbone(store, config) == NEW  # nothing analysed yet: the configured one
    ids = _tracks(store, 100, OLD)
    assert active_backbone(store, config) == OLD
    for track_id in ids[:94]:
        _embed(store, track_id, NEW)
    assert active_backbone(store, config) == OLD
    _embed(store, ids[94], NEW)
    assert COVERAGE == 0.95
    assert active_backbone(store, config) == NEW
    assert active_backbone(store, _config(tmp_path, OLD)) == OLD  # a way back covers all


def test_the_backbone_covering_most_tracks_ranks_listened_and_candidates_alike(
    store: Store, tmp_path: Path
) -> None:
    _tracks(store, 3, OLD)
    _tracks(store, 4, NEW)
    _tracks(store, 5, "projection-v1")  # not a backbone: counted among the tracks only
    assert active_backbone(store, _config(tmp_path, OLD)) == NEW
    assert active_backbone(store, _config(tmp_path, NEW)) == NEW


def test_a_switch_is_logged_once_in_one_line_across_restarts(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    _tracks(store, 2, NEW)
    with caplog.at_level(logging.INFO, logger="daemon.representation"):
        assert note_active(store, OLD) is False  # the first job: nothing switched
        assert note_active(store, OLD) is False
        assert note_active(store, NEW) is True
        assert note_active(store, NEW) is False
    (line,) = [r.getMessage() for r in caplog.records]
    assert line == (
        f"the queue is ranked on {NEW} features now, not {OLD}: they cover 2 of 2 tracks"
    )


@pytest.fixture
def switched(tmp_path: Path) -> Iterator[tuple[Config, Path, Store, Population]]:
    """A populated store analysed under MSD_musicnn, the config switched to MTT_musicnn,
    three tracks re-analysed and one failed."""
    config, path = write_config(tmp_path, SWITCHED)
    store = Store.open(config.db_path)
    pop = populate(store, model_key=OLD)
    for track_id in pop.candidate_ids[:3]:
        _embed(store, track_id, NEW)
    store.reanalysis_failed(pop.candidate_ids[3], NEW, "HTTP Error 404: Not Found", 4e9)
    yield config, path, store, pop
    store.close()


def test_status_dashboard_and_web_show_the_progress(
    switched: tuple[Config, Path, Store, Population], capsys: pytest.CaptureFixture[str]
) -> None:
    config, path, store, pop = switched
    total = len(pop.candidate_ids) + len(pop.old_listen_ids) + len(pop.recent_listen_ids)
    line = (
        f"re-analysis for {NEW}: 3 of {total} tracks ({300 // total}%); {OLD} ranks until 95%; "
        "1 failed, tried again later"
    )
    progress = reanalysis_progress(store, config)
    assert progress is not None
    assert progress.line() == line
    assert line in status_lines(store, config, now=pop.now)
    assert main(["--config", str(path), "status", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["reanalysis"]
    assert (shown["covered"], shown["tracks"], shown["pending"]) == (3, total, total - 3)
    assert (shown["ranks"], shown["waiting"], shown["line"]) == (OLD, 1, line)
    assert status_record(store, config, now=pop.now)["reanalysis"]["line"] == line
    assert line in health_html(status_record(store, config, now=pop.now), pop.now)
    snap = load_snapshot(store, config, now=pop.now)
    assert snap.reanalysis is not None
    assert snap.reanalysis.line() == line
    console = Console(width=200, height=50, record=True, file=io.StringIO())
    console.print(render(snap, 200, 50))
    assert f"re-analysis for {NEW}: 3 of {total} tracks" in console.export_text()


def test_the_queue_keeps_the_tags_of_the_backbone_that_ranks(
    switched: tuple[Config, Path, Store, Population],
) -> None:
    config, _, store, pop = switched
    snap = load_snapshot(store, config, now=pop.now)
    assert snap.queue
    assert all(row.tags for row in snap.queue)  # MSD_musicnn's: MTT_musicnn has few yet


def test_nothing_shows_when_no_reanalysis_is_pending(tmp_path: Path) -> None:
    config, _ = write_config(tmp_path)
    with Store.open(config.db_path) as store:
        pop = populate(store, model_key=config.model.backbone)
        assert reanalysis_progress(store, config) is None
        assert not any("re-analysis" in line for line in status_lines(store, config, pop.now))
        assert status_record(store, config, now=pop.now)["reanalysis"] is None
        assert load_snapshot(store, config, now=pop.now).reanalysis is None


def test_a_budget_of_zero_says_re_analysis_is_off(tmp_path: Path) -> None:
    config, _ = write_config(tmp_path, SWITCHED + "[fetch]\nreanalyse_per_cycle = 0\n")
    with Store.open(config.db_path) as store:
        _tracks(store, 2, OLD)
        progress = reanalysis_progress(store, config)
        assert progress is not None
        assert progress.line() == (
            f"re-analysis for {NEW}: 0 of 2 tracks (0%); {OLD} ranks until 95%; "
            "off ([fetch] reanalyse_per_cycle = 0)"
        )
