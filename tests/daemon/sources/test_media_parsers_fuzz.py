"""Arbitrary JSON into the media servers' parsers and polls: only tastebud's own errors
come out, and a poll that fails leaves no cursor behind.

Examples stay few by default; ``TASTEBUD_HYPOTHESIS=thorough`` runs many more.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.config import Config, Secret
from daemon.net import RetryPolicy, make_client
from daemon.sources import JellyfinConfig, PollContext, SubsonicHistoryConfig
from daemon.sources._media import parse_date
from daemon.sources.jellyfin import JellyfinHistory, item_ref
from daemon.sources.subsonic import SubsonicHistory, song_ref
from store import Store, TastebudError
from tests.media_servers import FakeJellyfin, FakeSubsonic

POLICY = RetryPolicy(attempts=1, backoff_s=0.0, min_interval_s=0.0, sleep=lambda s: None)
STORED = settings(
    max_examples=max(settings.default.max_examples // 4, 10),
    suppress_health_check=[HealthCheck.too_slow],
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["", "0001-01-01T00:00:00", "9999-12-31T23:59:59-23:59", "2026-12-03Z"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
JELLYFIN_ITEMS = FakeJellyfin.sample_items()
SUBSONIC_SONGS = FakeSubsonic.sample_songs()


def _mutated(items: list[Any]) -> st.SearchStrategy[Any]:
    """A sample item with one of its keys (or a nested one) set to arbitrary JSON."""

    @st.composite
    def mutate(draw: st.DrawFn) -> Any:
        item = json.loads(json.dumps(draw(st.sampled_from(items))))
        node = item
        while isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)))
            if not isinstance(node[key], dict) or draw(st.booleans()):
                node[key] = draw(json_values)
                break
            node = node[key]
        return item

    return mutate()


def _only_our_errors(parse: Callable[[], Any]) -> None:
    try:
        parse()
    except TastebudError:
        pass


@given(json_values | _mutated(JELLYFIN_ITEMS) | _mutated(SUBSONIC_SONGS))
def test_item_parsers_raise_only_our_errors(value: Any) -> None:
    _only_our_errors(lambda: item_ref(value, "s", "http://jf"))
    _only_our_errors(lambda: song_ref(value, "s", "http://nd"))
    _only_our_errors(lambda: parse_date(value, "d"))
    if isinstance(value, dict):
        _only_our_errors(lambda: parse_date(value.get("played"), "d"))


def _poll(source: Any, answer: Callable[[httpx.Request], Any], config: Config) -> None:
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "f.db") as store:

        def respond(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, content=json.dumps(answer(request)).encode())

        with make_client(transport=httpx.MockTransport(respond)) as client:
            try:
                source.poll(store, PollContext(client, POLICY, config=config))
            except TastebudError:
                assert store.get_cursor(f"history:{source.key}") is None


@STORED
@given(st.lists(_mutated(JELLYFIN_ITEMS) | json_values, max_size=4), json_values)
def test_jellyfin_poll_takes_any_answer(items: list[Any], other: Any) -> None:
    config = JellyfinConfig(url="http://jf", user="a" * 32, token=Secret("tok-123"))

    def answer(request: httpx.Request) -> Any:
        if request.url.path.endswith("/Items"):
            return {"Items": items, "TotalRecordCount": len(items)}
        return other

    _poll(JellyfinHistory(config), answer, Config(history=(config,)))


@STORED
@given(st.lists(st.lists(json_values, min_size=3, max_size=4), max_size=4))
def test_jellyfin_playback_reporting_takes_any_rows(rows: list[Any]) -> None:
    config = JellyfinConfig(url="http://jf", user="a" * 32, token=Secret("tok-123"))

    def answer(request: httpx.Request) -> Any:
        if request.url.path.endswith("/Items"):
            return {"Items": JELLYFIN_ITEMS, "TotalRecordCount": len(JELLYFIN_ITEMS)}
        return {"colums": ["DateCreated", "ItemId", "PlayDuration"], "results": rows}

    _poll(JellyfinHistory(config), answer, Config(history=(config,)))


@STORED
@given(st.lists(_mutated(SUBSONIC_SONGS) | json_values, max_size=4), json_values)
def test_subsonic_poll_takes_any_answer(songs: list[Any], other: Any) -> None:
    config = SubsonicHistoryConfig(url="http://nd", user="ana", password=Secret("pw-123"))

    def answer(request: httpx.Request) -> Any:
        if request.url.params.get("songOffset") == "0":
            body = {"status": "ok", "version": "1.16.1", "searchResult3": {"song": songs}}
            return {"subsonic-response": body}
        return other

    _poll(SubsonicHistory(config), answer, Config(history=(config,)))
