"""YouTube Music history through ``ytmusicapi`` (optional: ``pip install 'tastebud[ytmusic]'``).

``get_history()`` returns newest-first items (``videoId``, ``title``,
``artists[{name}]``, ``album``, ``duration_seconds``, ``played``) where
``played`` is a section name ("Today", "Yesterday", "This week", ...), not a
time. A listen is dated to the start of the day its section names, so one
video played on one day is one listen however often it is polled. Sections
older than yesterday are imported only on the first poll (dated the day
before yesterday); afterwards they only repeat what was already seen.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol

from daemon.config import ConfigError, HistoryConfig
from daemon.net import MalformedPayloadError, SourceError
from daemon.sources._parse import Skips, as_dict, as_int, as_list, as_str, parse_items
from daemon.sources.base import PollContext
from daemon.sources.registry import register
from store import ListenIn, Store, TrackRef

__all__ = ["HistoryApi", "YTMusicConfig", "YTMusicHistory", "parse_item"]

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'tastebud[ytmusic]'"
_DAYS_AGO = {"today": 0, "yesterday": 1}
_OLDER = 2


class HistoryApi(Protocol):
    """The part of ``ytmusicapi.YTMusic`` this source uses."""

    def get_history(self) -> list[dict[str, Any]]:
        """Newest-first recently played items."""
        ...


def _load_api(auth_file: str) -> HistoryApi:
    try:
        module = importlib.import_module("ytmusicapi")
    except ImportError:
        raise SourceError(f"ytmusic history needs the ytmusicapi package: {INSTALL_HINT}") from None
    path = Path(auth_file).expanduser()
    if not auth_file or not path.is_file():
        raise ConfigError(
            f"ytmusic history: auth_file {str(path)!r} not found: create it with "
            "'ytmusicapi browser' and set auth_file in config.toml"
        )
    api: HistoryApi = module.YTMusic(str(path))
    return api


def day_start(now: float, days_ago: int) -> int:
    """Epoch seconds of local midnight ``days_ago`` days before ``now``."""
    local = datetime.fromtimestamp(now).astimezone()
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return int((midnight - timedelta(days=days_ago)).timestamp())


def parse_item(item: Any, source: str, now: float) -> tuple[ListenIn, bool]:
    """One history item as (listen, whether its section is older than yesterday)."""
    obj = as_dict(item)
    video, title = as_str(obj.get("videoId")), as_str(obj.get("title"))
    if not video or not title:
        raise MalformedPayloadError("history item has no videoId or title")
    artists = [as_str(as_dict(a).get("name")) for a in as_list(obj.get("artists"))]
    days = _DAYS_AGO.get((as_str(obj.get("played")) or "").casefold(), _OLDER)
    duration = as_int(obj.get("duration_seconds"))
    ref = TrackRef(
        source=source,
        artist=", ".join(a for a in artists if a) or None,
        title=title,
        album=as_str(as_dict(obj.get("album")).get("name")),
        duration=float(duration) if duration else None,
        url=f"https://music.youtube.com/watch?v={video}",
        ids={"youtube": video},
    )
    return ListenIn(track=ref, listened_at=day_start(now, days)), days == _OLDER


@dataclass(frozen=True)
class YTMusicConfig(HistoryConfig):
    """A ``[[history]] type = "ytmusic"`` table."""

    required: ClassVar[tuple[str, ...]] = ("auth_file",)
    type: str = "ytmusic"
    auth_file: str = ""  # ytmusicapi's browser headers (``ytmusicapi browser``)


class YTMusicHistory:
    """A ``[[history]] type = "ytmusic"`` source."""

    def __init__(
        self, config: YTMusicConfig, api_factory: Callable[[str], HistoryApi] | None = None
    ) -> None:
        self.config = config
        self.key = config.key
        self.what = f"ytmusic source {self.key!r}"
        self._api_factory = api_factory or _load_api

    def poll(self, store: Store, ctx: PollContext) -> dict[str, int]:
        """Store the history's listens of today and yesterday (all of it the first time)."""
        cursor_name = f"history:{self.key}"
        first = store.get_cursor(cursor_name) is None
        now = ctx.now()
        items = self._api_factory(self.config.auth_file).get_history()
        if not isinstance(items, list):
            raise MalformedPayloadError(f"{self.what}: get_history() did not return a list")
        skips: Skips = Skips()
        parsed = parse_items(items, lambda i: parse_item(i, self.key, now), self.what, skips)
        listens = [listen for listen, older in parsed if first or not older]
        result = store.add_listens(listens, self.key)
        store.set_cursor(cursor_name, str(int(now)))
        return {
            "listens": result.inserted,
            "duplicates": result.duplicates,
            "skipped": sum(skips.values()),
            "older": len(parsed) - len(listens),
        }


register(YTMusicHistory, YTMusicConfig)
