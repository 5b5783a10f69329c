"""The selected track in full (Enter): what the queue's row cuts short, with the id the
``tastebud feedback`` commands take; the keys act on it as on the queue."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from daemon.dashboard.snapshot import QueueRow
from daemon.dashboard.view import ago

__all__ = ["DetailScreen", "detail_text", "why_lines"]

KEYS = "l like  d dislike  x dismiss  b block artist  p play  Esc back"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown length"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def detail_text(row: QueueRow, now: float) -> Text:
    """Everything about one queued track, one fact a line."""
    e, t = row.entry, row.entry.track
    ranked = f"model v{e.model_version}" if e.model_version is not None else "similarity"
    score = (
        f"{e.score:.3f} among the candidates ({ranked})"
        if e.score is not None
        else "not ranked yet"
    )
    text = Text()
    text.append(f"#{e.rank}  ", style="bold")
    text.append(t.label, style="bold magenta")
    text.append(f"  (id {t.id})\n")
    text.append(f"artist   {t.artist or '?'}\ntitle    {t.title or '?'}\n")
    if t.album:
        text.append(f"album    {t.album}\n")
    text.append(f"length   {_duration(t.duration)}\nstanding {score}\n")
    offered = f", {ago(now - e.offered_at)} ago" if e.offered_at else ""
    text.append(f"feed     {e.feed or '?'}{offered}\nurl      {t.url or '(none)'}\n")
    text.append("why      ", style="bold")
    text.append_text(why_lines(row, now))
    text.append(f"\n\ntastebud feedback like {t.id}   (or dislike, dismiss)\n", style="dim")
    text.append(KEYS, style="bold")
    return text


def why_lines(row: QueueRow, now: float) -> Text:
    """What the row is close to, its artist where that is played lately, and its tags."""
    because = row.entry.because
    lines = Text()
    if because is not None and because.like:
        lines.append("sounds like\n")
        for like in because.like:
            lines.append(f"  {like.text(now)} (similarity {like.similarity:.2f})\n")
    if because is not None and because.artist:
        share = f"{because.artist.share:.0%} of this week's listening"
        lines.append(f"  by {because.artist.name}: {share}\n")
    tags = because.tags if because is not None and because.tags else row.tags
    lines.append(f"  tags: {', '.join(tags)}" if tags else "  not explained yet")
    return lines


class DetailScreen(ModalScreen[None]):
    """Enter: the selected track in full; Esc, q or Enter go back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "app.pop_screen", "back"),
        Binding("l", "act('like')", "like"),
        Binding("d", "act('dislike')", "dislike"),
        Binding("x", "act('dismiss')", "dismiss"),
        Binding("b", "act('block')", "block"),
        Binding("p", "act('play')", "play"),
    ]

    def __init__(self, row: QueueRow, now: float) -> None:
        super().__init__()
        self.row = row
        self.now = now

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-box"):
            yield Static(detail_text(self.row, self.now), id="detail")

    def on_mount(self) -> None:
        self.query_one("#detail-box").focus()

    async def action_act(self, what: str) -> None:
        """Close, then do to the track what the queue's key does."""
        self.app.pop_screen()
        await self.app.run_action(what if what in ("block", "play") else f"feedback('{what}')")
