"""The interactive dashboard driven headless by Textual's Pilot at 80x24 and 160x50: keys
move the selection, store feedback as ``tastebud feedback`` does, undo it, filter, play,
show help and quit."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from daemon.cli import main
from daemon.config import Config
from daemon.dashboard.app import DashboardApp, HelpScreen
from daemon.service.lock import StateLock
from store import Store
from tests.populate import Population, populate
from tests.populate import write_config as _config

FEEDS = '[[feeds]]\ntype = "url"\nurl = "https://127.0.0.1/feed"\n'
SIZES = [(80, 24), (160, 50)]
ROW = re.compile(r"^│\s+\d+\s+\d+\s+0\.\d\d ")  # a queue row: rank, id, standing

Script = Callable[[DashboardApp, Pilot[None]], Awaitable[None]]


def _drive(config: Config, size: tuple[int, int], script: Script) -> DashboardApp:
    app = DashboardApp(config, refresh_s=3600)

    async def run() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await script(app, pilot)

    asyncio.run(run())
    return app


def _setup(tmp_path: Path, extra: str = "") -> tuple[Config, Population]:
    config, _ = _config(tmp_path, FEEDS + extra)
    with Store.open(config.db_path) as store:
        pop = populate(store, n_candidates=40)
    return config, pop


def _events(config: Config) -> list[tuple[str, int | None, str | None, str]]:
    with Store.open(config.db_path) as store:
        return [(e.kind, e.track_id, e.artist, e.origin) for e in store.feedback()]


async def _press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_rows_fill_the_terminal_and_arrows_scroll(tmp_path: Path, size: tuple[int, int]) -> None:
    config, _ = _setup(tmp_path)
    with Store.open(config.db_path) as store:
        total = len(store.queue(500))

    async def script(app: DashboardApp, pilot: Pilot[None]) -> None:
        text = app.frame_text()
        lines = text.rstrip("\n").split("\n")
        assert len(lines) == size[1]
        assert f"queue {total}" in lines[0]
        shown = sum(1 for line in lines if ROW.match(line))
        # header, bottom panels, queue borders and title, status line, library line
        assert shown == min(total, size[1] - 1 - (10 if size[1] < 36 else 14) - 3 - 1 - 1)
        await _press(pilot, "end")
        assert app.selected == total - 1
        assert app.current() is not None
        assert f"{app.current().entry.track.title}" in app.frame_text()  # type: ignore[union-attr]
        await _press(pilot, "home", "down", "down", "up")
        assert app.selected == 1
        await _press(pilot, "pagedown")
        assert app.selected == min(1 + app._capacity(), total - 1)

    _drive(config, size, script)


@pytest.mark.parametrize("size", SIZES)
def test_feedback_keys_store_what_the_cli_stores_and_undo(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    config, _ = _setup(tmp_path)
    before = _events(config)
    with Store.open(config.db_path) as store:
        queue = store.queue(500)

    async def script(app: DashboardApp, pilot: Pilot[None]) -> None:
        await _press(pilot, "down", "l")
        assert app.message == f"liked #2 {queue[1].track.label} (id {queue[1].track.id})"
        assert ("like", queue[1].track.id, None, "dashboard") in _events(config)
        assert queue[1].track.label not in app.frame_text().split("model")[0]  # left the queue
        await _press(pilot, "home", "d")
        await _press(pilot, "x")
        await _press(pilot, "b")
        assert app.message.startswith("blocked artist ")
        new = [e for e in _events(config) if e not in before]
        assert [k for k, *_ in new] == ["block", "dismiss", "dislike", "like"]
        assert all(origin == "dashboard" for *_, origin in new)
        await _press(pilot, "u")
        assert "(unblocked)" in app.message
        await _press(pilot, "u", "u", "u")
        assert _events(config) == before

    _drive(config, size, script)


def test_a_like_from_the_dashboard_is_one_the_cli_calls_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = _setup(tmp_path)
    with Store.open(config.db_path) as store:
        top = store.queue(1)[0].track

    async def script(app: DashboardApp, pilot: Pilot[None]) -> None:
        await _press(pilot, "l")

    _drive(config, (80, 24), script)
    assert main(["--config", config.path, "feedback", "like", str(top.id)]) == 0
    assert "again: it already was, nothing new stored" in capsys.readouterr().out
    assert [e[:2] for e in _events(config)].count(("like", top.id)) == 1


def test_filter_help_and_quit(tmp_path: Path) -> None:
    config, _ = _setup(tmp_path)

    async def script(app: DashboardApp, pilot: Pilot[None]) -> None:
        await _press(pilot, "slash", "c", "a", "n", "d", "i", "d", "a", "t", "e", "space", "1")
        await _press(pilot, "enter")
        assert app.filter_text == "candidate 1"
        titles = [r.entry.track.title or "" for r in app.shown().queue]
        assert titles
        assert all(t.startswith("Candidate 1") for t in titles)
        assert 'filter "candidate 1"' in app.frame_text()
        await _press(pilot, "slash", "escape")
        assert app.filter_text == ""
        await _press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = str(app.screen.query_one("#help", Static).content)
        for term in ("age ", "why ", "drift ", "standing ", "[player] command", "undo"):
            assert term in shown, term
        await _press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)
        await _press(pilot, "q")
        assert app.return_code == 0

    _drive(config, (80, 24), script)


def test_escape_quits(tmp_path: Path) -> None:
    config, _ = _setup(tmp_path)

    async def script(app: DashboardApp, pilot: Pilot[None]) -> None:
        await _press(pilot, "escape")

    assert _drive(config, (80, 24), script).return_code == 0


def test_play_runs_the_configured_player_with_the_url(tmp_path: Path) -> None:
    out = tmp_path / "played.txt"
    player = f'[player]\ncommand = ["sh", "-c", "printf %s \\"$1\\" > {out}", "sh"]\n'
    config, _ = _setup(tmp_path, player)
    with Store.open(config.db_path) as store:
        second = store.queue(2)[1].track

    async def script(app: DashboardApp, pilot: Pilot[None]) -> None:
        await _press(pilot, "down", "p")
        assert app.message == f"playing {second.label} with sh"
        assert app.player._process is not None
        app.player._process.wait(timeout=30)

    _drive(config, (80, 24), script)
    assert out.read_text(encoding="utf-8") == second.url


def test_play_without_a_player_says_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = _setup(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no mpv to be found

    async def script(app: DashboardApp, pilot: Pilot[None]) -> None:
        await _press(pilot, "p")
        assert "no player found: install mpv, or set [player] command" in app.message
        assert "no player found" in app.frame_text()

    _drive(config, (80, 24), script)


def test_header_says_whether_the_daemon_runs(tmp_path: Path) -> None:
    config, _ = _setup(tmp_path)

    async def stopped(app: DashboardApp, pilot: Pilot[None]) -> None:
        header = app.frame_text().split("\n")[0]
        assert "○ stopped (last run" in header
        assert "→" not in app.frame_text()  # no stale "next run"
        assert "stopped" in app.frame_text().split("pipeline")[1]

    _drive(config, (160, 50), stopped)

    async def running(app: DashboardApp, pilot: Pilot[None]) -> None:
        text = app.frame_text()
        assert f"● running (pid {os.getpid()})" in text.split("\n")[0]
        assert "→" in text

    with StateLock(config.state_dir):
        _drive(config, (160, 50), running)
