"""The interactive dashboard: a Textual app over the snapshot and the view, htop-style keys.

The snapshot is read (read-only) off the event loop every ``refresh`` seconds;
the view renders it into one widget. Feedback keys store exactly what
``tastebud feedback`` stores (:mod:`daemon.feedback`), each in a short write
transaction, so the daemon may run meanwhile.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import time
from collections.abc import Callable
from typing import ClassVar

from rich.console import Console, RenderableType
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from daemon import feedback
from daemon.config import Config
from daemon.dashboard.detail import DetailScreen
from daemon.dashboard.help import HELP, KEYS_LINE
from daemon.dashboard.player import Player
from daemon.dashboard.snapshot import ROWS, QueueRow, Snapshot, snapshot_for
from daemon.dashboard.view import queue_capacity, render
from store import FeedbackKind, QueueEntry, Store, TastebudError

__all__ = ["DashboardApp"]

ORIGIN = "dashboard"  # what ``tastebud feedback list`` shows beside the feedback given here
DRIFT_TTL_S = 60.0  # taste drift reads every listen: refresh it once a minute


class HelpScreen(ModalScreen[None]):
    """``?``: the keys and the terms the dashboard shows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "app.pop_screen", "close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(HELP, id="help")

    def on_mount(self) -> None:
        self.query_one("#help-box").focus()  # arrows scroll it


class FilterInput(Input):
    """``/``: a substring of artist or title; Enter keeps it, Esc clears it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "clear")]

    def action_cancel(self) -> None:
        self.value = ""
        self.post_message(self.Submitted(self, ""))


class DashboardApp(App[None]):
    """The live dashboard."""

    AUTO_FOCUS = None  # keys go to the app until "/" opens the filter box
    CSS = "#frame { height: 1fr; } #filter { dock: bottom; display: none; } "
    CSS += "HelpScreen, DetailScreen { align: center middle; } "
    CSS += "#detail-box { width: 100%; max-width: 100; height: auto; max-height: 100%; } "
    CSS += "#detail { padding: 1 2; background: $panel; } "
    CSS += "#help-box { width: 100%; max-width: 80; height: auto; max-height: 100%; } "
    CSS += "#help { padding: 1 2; background: $panel; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "up"),
        Binding("down", "move(1)", "down"),
        Binding("pageup", "page(-1)", "page up"),
        Binding("pagedown", "page(1)", "page down"),
        Binding("home", "jump(0)", "first"),
        Binding("end", "jump(-1)", "last"),
        Binding("l", "feedback('like')", "like"),
        Binding("d", "feedback('dislike')", "dislike"),
        Binding("x", "feedback('dismiss')", "dismiss"),
        Binding("b", "block", "block artist"),
        Binding("u", "undo", "undo"),
        Binding("p", "play", "play"),
        Binding("slash", "filter", "filter"),
        Binding("question_mark", "help", "help"),
        Binding("enter", "detail", "details"),
        Binding("q", "quit", "quit"),
        Binding("escape", "escape", "clear filter / quit"),
    ]

    def __init__(self, config: Config, *, refresh_s: float = 3.0, rows: int = ROWS) -> None:
        super().__init__()
        self.config = config
        self.refresh_s = refresh_s
        self.rows = rows
        self.player = Player(config.player.command)
        self.snapshot = Snapshot(str(config.db_path), time.time())
        self.selected = 0
        self.first = 0
        self.filter_text = ""
        self.message = ""
        self.frame: RenderableType = ""
        self._drift_at = 0.0

    def compose(self) -> ComposeResult:
        yield Static(id="frame")
        yield FilterInput(placeholder="filter: artist or title", id="filter")

    async def on_mount(self) -> None:
        await self.reload()
        self.set_interval(self.refresh_s, self.reload)

    def on_unmount(self) -> None:
        self.player.stop()

    def on_resize(self, event: Resize) -> None:
        self.redraw()

    async def reload(self) -> None:
        """Read a fresh snapshot (off the event loop) and redraw."""
        fresh = time.monotonic() - self._drift_at > DRIFT_TTL_S
        snap = await asyncio.to_thread(snapshot_for, self.config, rows=self.rows, with_drift=fresh)
        if fresh:
            self._drift_at = time.monotonic()
        else:
            snap = dataclasses.replace(
                snap, drift=self.snapshot.drift, drift_note=self.snapshot.drift_note
            )
        current = self.current()
        self.snapshot = snap
        self._keep_selection(current.entry.track.id if current else None)
        self.redraw()

    def shown(self) -> Snapshot:
        """The snapshot as shown: the queue filtered by ``/``."""
        needle = self.filter_text.casefold()
        if not needle:
            return self.snapshot
        rows = tuple(r for r in self.snapshot.queue if needle in _haystack(r))
        return dataclasses.replace(self.snapshot, queue=rows)

    def current(self) -> QueueRow | None:
        """The selected queue row, if any."""
        rows = self.shown().queue
        return rows[self.selected] if 0 <= self.selected < len(rows) else None

    def status_line(self) -> str:
        """The bottom line: what the last key did, the filter, the keys."""
        parts = [self.message] if self.message else []
        if self.filter_text:
            parts.append(f'filter "{self.filter_text}": {len(self.shown().queue)} shown')
        return "  ·  ".join([*parts, KEYS_LINE])

    def redraw(self) -> None:
        """Render the view at the current size, scrolled to keep the selection visible."""
        width, height = self.size.width, self.size.height
        snap = self.shown()
        status = self.status_line()
        capacity = max(queue_capacity(snap, height, status), 1)
        self.selected = min(max(self.selected, 0), max(len(snap.queue) - 1, 0))
        self.first = min(max(self.first, self.selected - capacity + 1), self.selected)
        self.frame = render(
            snap, width, height, selected=self.selected, first=self.first, status=status
        )
        self.query_one("#frame", Static).update(self.frame)

    def frame_text(self) -> str:
        """The frame as plain text, as the terminal shows it (for tests and captures)."""
        console = Console(width=self.size.width, height=self.size.height, file=io.StringIO())
        with console.capture() as capture:
            console.print(self.frame)
        return capture.get()

    def _keep_selection(self, track_id: int | None) -> None:
        rows = self.shown().queue
        index = next((i for i, r in enumerate(rows) if r.entry.track.id == track_id), None)
        if index is not None:
            self.selected = index

    def _capacity(self) -> int:
        return max(queue_capacity(self.shown(), self.size.height, self.status_line()), 1)

    def action_move(self, delta: int) -> None:
        self.selected += delta
        self.redraw()

    def action_page(self, direction: int) -> None:
        self.selected += direction * self._capacity()
        self.first += direction * self._capacity()
        self.redraw()

    def action_jump(self, where: int) -> None:
        self.selected = 0 if where == 0 else len(self.shown().queue) - 1
        self.redraw()

    async def action_feedback(self, kind: FeedbackKind) -> None:
        await self._on_selected(
            lambda s, e: feedback.give(s, kind, feedback.Target(e.track, e.rank), ORIGIN)[0]
        )

    async def action_block(self) -> None:
        await self._on_selected(lambda s, e: _block(s, e))

    async def action_undo(self) -> None:
        await self._write(lambda s: feedback.undo(s) or "nothing to undo: no feedback given yet")

    def action_play(self) -> None:
        row = self.current()
        self.message = self.player.play(row.entry.track) if row else "the queue is empty"
        self.redraw()

    def action_filter(self) -> None:
        box = self.query_one("#filter", FilterInput)
        box.display = True
        box.value = self.filter_text
        box.focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_detail(self) -> None:
        row = self.current()
        if row is None:
            self.message = "the queue is empty: nothing selected"
            self.redraw()
            return
        self.push_screen(DetailScreen(row, self.snapshot.taken_at))

    async def action_escape(self) -> None:
        """Esc clears a filter (as htop and less do); with none, it quits."""
        if self.filter_text:
            self.filter_text = ""
            self.selected = self.first = 0
            self.message = "filter cleared"
            self.redraw()
            return
        await self.action_quit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.filter_text = event.value.strip()
        event.input.display = False
        self.set_focus(None)
        self.selected = self.first = 0
        self.redraw()

    async def _on_selected(self, act: Callable[[Store, QueueEntry], str]) -> None:
        row = self.current()
        if row is None:
            self.message = "the queue is empty: nothing selected"
            self.redraw()
            return
        entry = row.entry
        await self._write(lambda store: act(store, entry))

    async def _write(self, act: Callable[[Store], str]) -> None:
        """Run ``act`` in a short write transaction off the event loop; show what it says."""
        try:
            self.message = await asyncio.to_thread(_with_store, self.config, act)
        except TastebudError as exc:
            self.message = str(exc)
        await self.reload()


def _with_store(config: Config, act: Callable[[Store], str]) -> str:
    with Store.open(config.db_path) as store:
        return act(store)


def _block(store: Store, entry: QueueEntry) -> str:
    if not entry.track.artist:
        return f"{entry.track.label} has no artist to block"
    return feedback.block(store, entry.track.artist, ORIGIN)[0]


def _haystack(row: QueueRow) -> str:
    track = row.entry.track
    return f"{track.artist or ''} {track.title or track.label}".casefold()
