"""Last.fm history: recent tracks paging, now-playing, loved tracks, errors 29 and 26."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from daemon.config import ConfigError, Secret
from daemon.net import RateLimitedError, RetryPolicy, SourceAuthError, make_client
from daemon.sources import PollContext
from daemon.sources.lastfm import (
    LastfmConfig,
    LastfmHistory,
    is_now_playing,
    parse_loved,
    parse_scrobble,
)
from store import Store

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples" / "lastfm"
POLICY = RetryPolicy(attempts=2, backoff_s=0.0, min_interval_s=0.0, sleep=lambda s: None)
URL = "http://127.0.0.1:9/2.0/"


def _sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return data


def _scrobble(uts: int, artist: str = "Lera Lynn") -> dict[str, Any]:
    return {
        "artist": {"mbid": "", "#text": artist},
        "album": {"mbid": "", "#text": "Album"},
        "name": f"Track {uts}",
        "mbid": "",
        "url": f"https://www.last.fm/music/x/_/{uts}",
        "date": {"uts": str(uts), "#text": "whenever"},
    }


class FakeLastfm:
    """Answers user.getrecenttracks / user.getlovedtracks in Last.fm's JSON, numbers as strings."""

    def __init__(self, scrobbles: list[dict[str, Any]], per_page: int = 2) -> None:
        self.scrobbles = scrobbles
        self.loved: list[dict[str, Any]] = []
        self.per_page = per_page
        self.now_playing: dict[str, Any] | None = None
        self.error: int | None = None
        self.requests: list[httpx.QueryParams] = []

    def __call__(self, req: httpx.Request) -> httpx.Response:
        params = req.url.params
        self.requests.append(params)
        assert params["api_key"] == "k3y"
        assert params["format"] == "json"
        if self.error is not None:
            return httpx.Response(200, json={"error": self.error, "message": "nope"})
        if params["method"] == "user.getrecenttracks":
            items = [s for s in self.scrobbles if int(s["date"]["uts"]) >= int(params["from"])]
            return httpx.Response(200, json=self._page("recenttracks", items, params))
        return httpx.Response(200, json=self._page("lovedtracks", self.loved, params))

    def _page(self, root: str, items: list[dict[str, Any]], params: Any) -> dict[str, Any]:
        items = sorted(items, key=lambda s: -int(s["date"]["uts"]))
        page = int(params["page"])
        total_pages = max(1, -(-len(items) // self.per_page))
        chunk = items[(page - 1) * self.per_page : page * self.per_page]
        if root == "recenttracks" and page == 1 and self.now_playing:
            chunk = [self.now_playing, *chunk]
        attr = {"page": str(page), "totalPages": str(total_pages), "total": str(len(items))}
        return {root: {"track": chunk, "@attr": {**attr, "user": "ana"}}}


def _poll(store: Store, api: FakeLastfm, **config: Any) -> dict[str, int]:
    conf = LastfmConfig(user="ana", url=URL, api_key=Secret("k3y"), **config)
    with make_client(transport=httpx.MockTransport(api)) as client:
        return LastfmHistory(conf).poll(store, PollContext(client, POLICY))


def test_pages_through_scrobbles_skipping_now_playing(store: Store) -> None:
    api = FakeLastfm([_scrobble(1000 + i) for i in range(5)])
    api.now_playing = _sample("lastfm_recenttracks_nowplaying.json")["recenttracks"]["track"][0]
    counts = _poll(store, api, feedback=False)
    assert counts == {"listens": 5, "duplicates": 0, "skipped": 0, "now_playing": 1}
    assert [p["page"] for p in api.requests] == ["1", "2", "3"]
    assert store.get_cursor("history:lastfm:ana") == "1004"
    assert not store.find_tracks("DJ Shadow - Nobody Speak")


def test_next_poll_asks_from_the_cursor_minus_overlap(store: Store) -> None:
    api = FakeLastfm([_scrobble(1000 + i) for i in range(3)])
    _poll(store, api, feedback=False, overlap_s=10)
    api.scrobbles.append(_scrobble(5000))
    api.requests.clear()
    counts = _poll(store, api, feedback=False, overlap_s=10)
    assert api.requests[0]["from"] == str(1002 - 10)
    assert counts["listens"] == 1
    assert counts["duplicates"] == 3
    assert store.get_cursor("history:lastfm:ana") == "5000"


def test_loved_tracks_become_likes_from_the_real_sample(store: Store) -> None:
    api = FakeLastfm([], per_page=3)
    api.loved = _sample("lastfm_lovedtracks_page1.json")["lovedtracks"]["track"]
    counts = _poll(store, api)
    assert counts["feedback"] == 5
    likes = store.feedback()
    assert {e.kind for e in likes} == {"like"}
    assert {e.origin for e in likes} == {"lastfm"}
    assert store.find_tracks("Ariana Grande - Let Me Love You")
    assert _poll(store, api)["feedback"] == 0


def test_error_29_is_a_rate_limit(store: Store) -> None:
    api = FakeLastfm([_scrobble(1)])
    api.error = 29
    with pytest.raises(RateLimitedError, match="error 29"):
        _poll(store, api)
    assert store.listens() == []


def test_error_26_is_a_suspended_key(store: Store) -> None:
    api = FakeLastfm([_scrobble(1)])
    api.error = 26
    with pytest.raises(SourceAuthError, match="suspended this API key"):
        _poll(store, api)


def test_error_with_http_status_still_reads_the_lastfm_code(store: Store) -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"error": 10, "message": "Invalid API key"})

    conf = LastfmConfig(user="ana", url=URL, api_key=Secret("k3y"))
    with make_client(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(SourceAuthError, match="error 10: Invalid API key"):
            LastfmHistory(conf).poll(store, PollContext(client, POLICY))


def test_missing_api_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="needs api_key"):
        LastfmHistory(LastfmConfig(user="ana"))


def test_real_recent_tracks_samples_parse() -> None:
    playing = _sample("lastfm_recenttracks_nowplaying.json")["recenttracks"]["track"]
    assert [is_now_playing(i) for i in playing] == [True, False]
    listen = parse_scrobble(playing[1], "lfm")
    assert listen.track.artist == "Colossal Squid"
    assert listen.track.ids.get("recording_mbid") is None

    page = _sample("lastfm_recenttracks_page_trimmed.json")["recenttracks"]
    listens = [parse_scrobble(i, "lfm") for i in page["track"]]
    assert len(listens) == 30
    assert sum("recording_mbid" in x.track.ids for x in listens) == 20
    assert listens[0].listened_at == 1603622207
    assert listens[0].track.artist == "Lera Lynn"
    assert listens[0].track.album == "True Detective (Music From the HBO Series)"
    assert page["@attr"]["totalPages"] == "7"


def test_real_loved_samples_parse() -> None:
    loved = _sample("lastfm_lovedtracks_trimmed.json")["lovedtracks"]["track"]
    refs = [parse_loved(i, "lfm") for i in loved]
    assert len(refs) == 10
    ref, at = refs[0]
    assert (ref.artist, ref.title, at) == ("65daysofstatic", "SynthFlood", 1725597832.0)
    assert ref.ids["recording_mbid"] == "32c305bb-b2bb-4d87-be09-db8018ee987d"
