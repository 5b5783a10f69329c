"""A failed first fetch is a wait that every screen explains: until when, and how to end it.

``once`` against a feed whose audio server is down, then ``status``, ``doctor``, the
dashboard, ``once`` again, ``once --now`` and ``retry``, as a new user would run them.
"""

from __future__ import annotations

import gc
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from daemon.config import Config
from daemon.dashboard.snapshot import load_snapshot
from daemon.dashboard.view import render
from daemon.sources import UrlFeedConfig, source_jobs
from daemon.waits import backoff_until, current_waits, lift_waits
from store import Store, TrackRef
from tests.audio_helpers import (
    LEAKED_SOCKET_WARNING,
    LoopbackServer,
    Route,
    loopback_server,
    rss_feed,
)
from tests.cli_helpers import run_cli

pytestmark = pytest.mark.filterwarnings(LEAKED_SOCKET_WARNING)

DOWN = [503] * 50  # the audio server answers 503 to every try the test makes


@pytest.fixture
def site() -> Iterator[LoopbackServer]:
    with loopback_server() as server:
        urls = [server.add(f"audio/{n}.mp3", Route(b"", "audio/mpeg", list(DOWN))) for n in "ab"]
        items = [
            (f"Artist - Song {n}", url, "audio/mpeg", 120)
            for n, url in zip("ab", urls, strict=True)
        ]
        server.add("feed.rss", Route(rss_feed(items), "application/rss+xml"))
        yield server
    gc.collect()


def _config(tmp_path: Path, server: LoopbackServer) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[storage]\ndir = "{tmp_path / "state"}"\n'
        f'[[feeds]]\ntype = "url"\nname = "site"\nurl = "{server.url("feed.rss")}"\n'
        "[fetch]\nhost_delay_s = 0.0\nsleep_requests_s = 0.0\nretry_base_s = 900.0\n"
        "[library]\nsize = 0\n"
    )
    return path


def _audio_hits(server: LoopbackServer) -> int:
    return sum(route.hits for path, route in server.routes.items() if path.startswith("/audio/"))


@pytest.mark.slow  # two `tastebud once` cycles against a failing audio server
def test_a_failed_fetch_says_until_when_it_waits_and_retry_ends_the_wait(
    tmp_path: Path, site: LoopbackServer
) -> None:
    config = _config(tmp_path, site)
    first = run_cli(config, "once")
    assert first.returncode == 1, first.stderr[-2000:]  # not "ok": tracks wait after failing
    assert "2 tracks wait to be fetched again until" in first.stdout, first.stdout
    assert "HTTP 503" in first.stdout
    assert "`tastebud retry` ends the wait (or `tastebud once --now`)" in first.stdout
    tried = _audio_hits(site)
    assert tried >= 2

    status = run_cli(config, "status")
    assert "wait: 2 tracks wait to be fetched again until" in status.stdout
    data = json.loads(run_cli(config, "status", "--json").stdout)
    assert data["waits"]["fetch"]["tracks"] == 2
    assert data["waits"]["fetch"]["until"] > time.time() + 600
    assert data["waits"]["skip"] == "tastebud retry"

    doctor = run_cli(config, "doctor")
    assert "[warn] fetch: 2 tracks wait to be fetched again until" in doctor.stdout
    assert "fix: `tastebud retry` ends the wait" in doctor.stdout

    again = run_cli(config, "once")  # nothing due: the wait is said again, nothing fetched
    assert again.returncode == 1
    assert "2 tracks wait to be fetched again" in again.stdout
    assert _audio_hits(site) == tried

    now = run_cli(config, "once", "--now")  # ends the wait first: both tried again
    assert _audio_hits(site) >= tried + 2, now.stderr[-2000:]
    tried = _audio_hits(site)

    retry = run_cli(config, "retry")
    assert retry.returncode == 0
    assert retry.stdout.splitlines() == [
        "2 tracks no longer wait to be fetched again",
        "no daemon runs: `tastebud once` (or `tastebud run`) tries them now",
    ]
    assert "wait:" not in run_cli(config, "status").stdout


def _frame(config: Config, store: Store) -> str:
    snap = load_snapshot(store, config, tag_names=[], with_drift=False)
    console = Console(width=80, height=24, record=True, file=io.StringIO())
    console.print(render(snap, 80, 24))
    return console.export_text()


def test_the_dashboard_and_the_sources_backoff_say_the_wait_too(
    tmp_path: Path, store: Store
) -> None:
    feed = UrlFeedConfig(name="site", url="http://127.0.0.1:9/feed.rss")
    config = Config(feeds=(feed,))
    store.add_feed_items("site", [TrackRef("site", artist="A", title="B", url="http://h/a.mp3")])
    (t,) = store.tracks()
    store.mark_track(t.id, "new", error="HTTP 503, retrying later", next_retry_at=time.time() + 900)
    for _ in range(2):
        with store.recorded_run("feed:site") as outcome:
            outcome.fail("feed down")
    assert backoff_until(store, "feed:site") is not None
    frame = _frame(config, store)
    assert "1 track waits to retry until" in frame
    assert "feed:site backs off until" in frame
    assert "tastebud retry" in frame
    assert "backlog 1 (1" in frame  # "(1 retry HH:MM)" beside the backlog

    ready = store.upsert_track(TrackRef("site", artist="C", title="D"))
    store.mark_track(ready, "ready")
    store.put_embedding(ready, "MSD_musicnn", np.zeros((2, 4)), np.zeros((2, 3)))
    store.reanalysis_failed(ready, "MTT_musicnn", "HTTP Error 404", time.time() + 86400)

    lifted = lift_waits(store, source_jobs(config))
    assert store.reanalysis_wait("MTT_musicnn").waiting == 0  # re-analyses are due again too
    assert lifted.fetch is not None
    assert lifted.sources
    assert not current_waits(store, source_jobs(config))
    assert backoff_until(store, "feed:site") is None  # failures before the retry do not count
    with store.recorded_run("feed:site") as outcome:
        outcome.fail("still down")
    assert backoff_until(store, "feed:site") is not None  # a new failure backs off again
    assert "retry until" not in _frame(config, store)
