"""The library job: refresh the folder, then tell MPD, Subsonic and Jellyfin about it.

A failing player is logged and counted; it never undoes the folder's refresh. The
time of each successful sync is kept as a cursor (``sync:mpd``, ``sync:subsonic``,
``sync:jellyfin``)
for the dashboard.
"""

from __future__ import annotations

import logging
import time

from daemon.acquire import fetcher_for
from daemon.config import Config
from daemon.listening.errors import PlayerError
from daemon.listening.jellyfin import jellyfin_servers
from daemon.listening.library import LibraryResult, refresh_library
from daemon.listening.status import SYNC_CURSORS
from daemon.net import HostThrottle
from store import Store, TastebudError

__all__ = ["SYNC_CURSORS", "sync_library"]

logger = logging.getLogger(__name__)


def sync_library(
    store: Store, config: Config, throttle: HostThrottle | None = None
) -> dict[str, int]:
    """Refresh the library folder and sync the configured players; returns counts."""
    fetcher = fetcher_for(config, throttle)
    result = refresh_library(store, config, fetcher)
    counts = {**result.counts, "files": len(result.files)}
    failures: list[str] = []
    players = (
        ("mpd", bool(config.mpd.host)),
        ("subsonic", bool(config.subsonic.url)),
        ("jellyfin", bool(jellyfin_servers(config))),
    )
    for name, enabled in players:
        if not enabled:
            continue
        try:
            counts[f"{name}_tracks"] = _sync(name, store, config, result)
        except TastebudError as exc:
            logger.error("library sync to %s failed: %s", name, exc)
            failures.append(f"{name}: {exc}")
            continue
        store.set_cursor(SYNC_CURSORS[name], str(time.time()))
    if failures:
        raise PlayerError("; ".join(failures))
    return counts


def _sync(name: str, store: Store, config: Config, result: LibraryResult) -> int:
    if name == "mpd":
        from daemon.listening.mpd import sync_mpd

        return sync_mpd(config, result)
    if name == "jellyfin":
        from daemon.listening.jellyfin import sync_jellyfin

        return sync_jellyfin(config, result)
    from daemon.listening.subsonic import sync_subsonic

    return sync_subsonic(config, result, store)
