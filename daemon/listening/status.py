"""What the dashboard shows of listening: the library folder, its last syncs, MPD's song."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from daemon.config import Config
from store import Store, TastebudError

__all__ = ["SYNC_CURSORS", "LibraryStatus", "library_status"]

logger = logging.getLogger(__name__)

SYNC_CURSORS = {"mpd": "sync:mpd", "subsonic": "sync:subsonic", "jellyfin": "sync:jellyfin"}


@dataclass(frozen=True)
class LibraryStatus:
    """The library folder's files and bytes, each player's last sync, MPD's current song."""

    files: int
    bytes: int
    kept: int
    synced: dict[str, float]  # player -> when its last sync succeeded
    now_playing: str = ""


def library_status(store: Store, config: Config, *, ask_mpd: bool = True) -> LibraryStatus:
    """The status from the store's manifest and cursors, and MPD when ``ask_mpd``."""
    files = store.library_files()
    synced = {
        name: float(value)
        for name, cursor in SYNC_CURSORS.items()
        if (value := store.get_cursor(cursor)) is not None
    }
    playing = _now_playing(config) if ask_mpd and config.mpd.host else ""
    return LibraryStatus(
        len(files), sum(f.size for f in files), sum(f.kept for f in files), synced, playing
    )


def _now_playing(config: Config) -> str:
    from daemon.listening.mpd import connect

    try:
        with connect(config.mpd, timeout=1.0) as client:
            if client.status().get("state") != "play":
                return ""
            song = client.currentsong()
    except TastebudError as exc:
        logger.debug("dashboard: %s", exc)
        return ""
    if song.get("artist") and song.get("title"):
        return f"{song['artist']} - {song['title']}"
    return str(song.get("title") or song.get("file", ""))
