"""The dashboard at 80x24 and 60x15, driven by Textual's Pilot: a failing source's error is
readable and goes once it recovers, Enter shows the selected track in full, a short
terminal keeps queue rows, and Esc clears a filter before it quits."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from daemon.config import Config
from daemon.dashboard.app import DashboardApp
from daemon.dashboard.detail import DetailScreen
from store import Store
from tests.populate import Population, populate
from tests.populate import write_config as _config

FEEDS = '[[feeds]]\ntype = "url"\nurl = "https://127.0.0.1/feed"\n'
HISTORY = '[[history]]\ntype = "listenbrainz"\nuser = "someone"\n'  # discovery draws on it
ROW = re.compile(r"^│\s+\d+\s+(\d+\s+)?0\.\d\d ")  # a queue row: rank, (id), score

Script = Callable[[DashboardApp, Pilot[None]], Awaitable[None]]


def _drive(config: Config, size: tuple[int, int], script: Script) -> DashboardApp:
    app = DashboardApp(config, refresh_s=3600)

    async def run() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await script(app, pilot)

    asyncio.run(run())
    return app


def _setup(tmp_path: Path) -> tuple[Config, Population]:
    config, _ = _config(tmp_path, HISTORY + FEEDS)
    with Store.open(config.db_path) as store:
        pop = populate(store, n_candidates=40)
    return config, pop


async def _press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.pause()


def test_a_failing_source_is_readable_at_80x24_and_goes_once_it_recovers(
    tmp_path: Path,
) -> None:
    config, _ = _setup(tmp_path)

    async def script(app: DashboardApp, pilot: Pilot[None]) -> None:
        frame = app.frame_text()
        assert "! discover: HTTP 503" in frame  # who, then what failed: not the name alone
        assert "feed:discover" in frame  # the unhealthy line
        with Store.open(config.db_path) as store, store.recorded_run("feed:discover") as run:
            run.counts = {"items": 2}
        await app.reload()
        frame = app.frame_text()
        assert "HTTP 503" not in frame
        assert "feed:discover" not in frame

    _drive(config, (80, 24), script)


def test_enter_shows_the_selected_track_in_full_and_its_keys_act_on_it(tmp_path: Path) -> None:
    config, _ = _setup(tmp_path)
    with Store.open(config.db_path) as store:
        second = store.queue(2)[1]

    async def script(app: DashboardApp, pilot: Pilot[None]) -> None:
        await _press(pilot, "down", "enter")
        assert isinstance(app.screen, DetailScreen)
        shown = str(app.screen.query_one("#detail", Static).content)
        track = second.track
        assert f"#2  {track.label}  (id {track.id})" in shown
        assert f"url      {track.url}" in shown
        assert "sounds like" in shown
        assert "(similarity 0." in shown
        assert f"tastebud feedback like {track.id}" in shown
        await _press(pilot, "escape")
        assert not isinstance(app.screen, DetailScreen)
        assert app.return_code is None  # Esc left the detail, not the dashboard
        await _press(pilot, "enter", "l")
        assert not isinstance(app.screen, DetailScreen)
        assert app.message == f"liked #2 {track.label} (id {track.id})"

    _drive(config, (80, 24), script)


def test_a_60x15_terminal_keeps_queue_rows_and_scrolls(tmp_path: Path) -> None:
    config, _ = _setup(tmp_path)

    async def script(app: DashboardApp, pilot: Pilot[None]) -> None:
        rows = [line for line in app.frame_text().splitlines() if ROW.match(line)]
        assert len(rows) >= 3
        assert all(len(line) <= 60 for line in app.frame_text().splitlines())
        await _press(pilot, "down", "down", "down", "down")
        assert app.current() is not None
        assert app.current().entry.rank == 5
        shown = [line for line in app.frame_text().splitlines() if ROW.match(line)]
        assert any(re.match(r"^│\s+5\s", line) for line in shown)

    _drive(config, (60, 15), script)


def test_escape_clears_a_filter_before_it_quits(tmp_path: Path) -> None:
    config, _ = _setup(tmp_path)

    async def script(app: DashboardApp, pilot: Pilot[None]) -> None:
        await _press(pilot, "slash", "c", "a", "n", "d", "enter")
        assert app.filter_text == "cand"
        await _press(pilot, "escape")
        assert app.filter_text == ""
        assert app.return_code is None  # still running
        assert "filter cleared" in app.frame_text()
        await _press(pilot, "escape")

    assert _drive(config, (80, 24), script).return_code == 0
