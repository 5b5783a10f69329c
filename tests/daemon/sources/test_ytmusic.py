"""YouTube Music history through ytmusicapi's ``get_history()``.

ytmusicapi is a library call, not HTTP we could serve on a loopback port, so
a small stub with ``get_history()`` returning the documented item shape
stands in for ``ytmusicapi.YTMusic``.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import httpx
import pytest

from daemon.net import SourceError, make_client
from daemon.sources import PollContext
from daemon.sources.ytmusic import YTMusicConfig, YTMusicHistory, day_start
from store import Store

NOW = datetime(2026, 3, 10, 15, 30).astimezone().timestamp()


def _item(video: str, title: str, played: str, artists: list[str] | None = None) -> dict[str, Any]:
    return {
        "videoId": video,
        "title": title,
        "artists": [{"name": a, "id": f"UC{a}"} for a in (artists or ["Sault"])],
        "album": {"name": "Air", "id": "MPRE1"},
        "likeStatus": "INDIFFERENT",
        "thumbnails": [],
        "isAvailable": True,
        "isExplicit": False,
        "videoType": "MUSIC_VIDEO_TYPE_ATV",
        "duration": "4:18",
        "duration_seconds": 258,
        "played": played,
        "feedbackToken": "x",
    }


class StubYTMusic:
    """Stands in for ``ytmusicapi.YTMusic``: only ``get_history()``."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def get_history(self) -> list[Any]:
        return self.items


def _poll(store: Store, api: StubYTMusic, now: float = NOW) -> dict[str, int]:
    source = YTMusicHistory(YTMusicConfig(), api_factory=lambda auth: api)
    with make_client(transport=httpx.MockTransport(lambda r: httpx.Response(599))) as client:
        return source.poll(store, PollContext(client, now=lambda: now))


def test_history_items_map_to_listens_dated_by_section(store: Store) -> None:
    api = StubYTMusic(
        [
            _item("AAAAAAAAAAA", "Air", "Today", ["Sault", "Little Simz"]),
            _item("AAAAAAAAAAA", "Air", "Today"),  # played twice today: one listen
            _item("BBBBBBBBBBB", "Heart", "Yesterday"),
            _item("CCCCCCCCCCC", "Solar", "Last week"),
            {"title": "no video id", "played": "Today"},
        ]
    )
    counts = _poll(store, api)
    assert counts == {"listens": 3, "duplicates": 1, "skipped": 1, "older": 0}
    (track,) = store.find_tracks("https://music.youtube.com/watch?v=AAAAAAAAAAA")
    assert (track.artist, track.title, track.album, track.duration) == (
        "Sault, Little Simz",
        "Air",
        "Air",
        258.0,
    )
    times = {t for _, t, _ in store.listens()}
    assert times == {day_start(NOW, 0), day_start(NOW, 1), day_start(NOW, 2)}


def test_later_polls_dedupe_by_video_and_day(store: Store) -> None:
    _poll(store, StubYTMusic([_item("AAAAAAAAAAA", "Air", "Today")]))
    next_day = NOW + 86400
    api = StubYTMusic(
        [
            _item("DDDDDDDDDDD", "Reality", "Today"),
            _item("AAAAAAAAAAA", "Air", "Yesterday"),  # the same play, one day on
            _item("EEEEEEEEEEE", "Old", "February"),  # older sections repeat what was seen
        ]
    )
    counts = _poll(store, api, now=next_day)
    assert counts == {"listens": 1, "duplicates": 1, "skipped": 0, "older": 1}
    assert len(store.listens()) == 2


def test_missing_ytmusicapi_names_the_extra(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ytmusicapi", None)  # makes the import fail
    source = YTMusicHistory(YTMusicConfig(auth_file="/nonexistent.json"))
    with make_client() as client, pytest.raises(SourceError) as exc:
        source.poll(store, PollContext(client))
    assert "pip install 'tastebud[ytmusic]'" in str(exc.value)
    assert "\n" not in str(exc.value)
