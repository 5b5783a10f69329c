"""The dashboard's library line: files, size, last syncs, MPD's now playing."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from daemon.listening import LibraryStatus

__all__ = ["library_line"]


def library_line(status: LibraryStatus, now: float, ago: Callable[[float], str]) -> Text:
    """One line: ``library 12 files 84 MB (2 kept)  mpd synced 3m ago  ♪ Artist - Title``."""
    text = Text.assemble(
        ("library ", "bold"), f"{status.files} files {status.bytes / 2**20:.0f} MB"
    )
    if status.kept:
        text.append(f" ({status.kept} kept)")
    for player, at in sorted(status.synced.items()):
        text.append(f"  {player} synced {ago(now - at)} ago", style="dim")
    if status.now_playing:
        text.append(f"  ♪ {status.now_playing}", style="green")

    text.no_wrap = True
    text.overflow = "ellipsis"
    return text
