"""Arbitrary JSON into every parser: only tastebud's own errors come out, nothing is half-stored.

Examples stay few by default; ``TASTEBUD_HYPOTHESIS=thorough`` runs many more.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.config import Secret
from daemon.net import RetryPolicy, make_client
from daemon.playlists.formats import parse_playlist
from daemon.sources import PollContext
from daemon.sources.lastfm import LastfmConfig, LastfmHistory, parse_loved, parse_scrobble
from daemon.sources.lb_export import parse_export_item
from daemon.sources.lb_recommendations import RecommendationsConfig, RecommendationsFeed, jspf_ref
from daemon.sources.listenbrainz import (
    ListenBrainzConfig,
    ListenBrainzHistory,
    feedback_ref,
    parse_listen,
)
from daemon.sources.takeout import parse_entry
from store import Store, TastebudError

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
POLICY = RetryPolicy(attempts=1, backoff_s=0.0, min_interval_s=0.0, sleep=lambda s: None)
# A fresh SQLite file per example: a quarter of the profile's examples.
STORED = settings(
    max_examples=max(settings.default.max_examples // 4, 10),
    suppress_health_check=[HealthCheck.too_slow],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**62, max_value=2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["", "1e999", "NaN", "-1", "1600000000", "2022-04-25T18:09:04Z"])
)
# What broke whole sources before: weighted up so that a few examples find them.
edges = st.sampled_from([float("inf"), float("-inf"), float("nan"), 2**63, -(2**63), 1.5, -60])
json_values = st.recursive(
    edges | scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


def _sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def _items(name: str, *path: str) -> list[Any]:
    data = _sample(name)
    for key in path:
        data = data[key]
    assert isinstance(data, list)
    assert data
    return data


def _mutated(items: list[Any]) -> st.SearchStrategy[Any]:
    """A real item with one of its keys (or a nested one) set to an arbitrary JSON value."""

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


def _only_our_errors(parse: Callable[[Any], Any], value: Any) -> None:
    try:
        parse(value)
    except TastebudError:
        pass


LISTENS = _items("listenbrainz/lb_user_listens_response.json", "payload", "listens")
FEEDBACK = _items("listenbrainz/lb_get_feedback_response.json", "feedback")
SCROBBLES = _items("lastfm/lastfm_recenttracks_page_trimmed.json", "recenttracks", "track")
LOVED = _items("lastfm/lastfm_lovedtracks_trimmed.json", "lovedtracks", "track")
TAKEOUT = _items("youtube/takeout_watch_history_youtube_music.json")
JSPF = _items("listenbrainz/lb_playlist_jspf_response.json", "playlist", "track")

PARSERS: dict[str, tuple[Callable[[Any], Any], list[Any]]] = {
    "listen": (lambda v: parse_listen(v, "s"), LISTENS),
    "export": (lambda v: parse_export_item(v, "s"), LISTENS),
    "feedback": (lambda v: feedback_ref(v, "s"), FEEDBACK),
    "scrobble": (lambda v: parse_scrobble(v, "s"), SCROBBLES),
    "loved": (lambda v: parse_loved(v, "s"), LOVED),
    "takeout": (lambda v: parse_entry(v, "s", include_youtube=True), TAKEOUT),
    "jspf track": (lambda v: jspf_ref(v, "s"), JSPF),
}


@pytest.mark.parametrize("name", sorted(PARSERS))
@given(data=st.data())
def test_item_parsers_raise_only_our_errors(name: str, data: st.DataObject) -> None:
    parse, samples = PARSERS[name]
    value = data.draw(json_values | _mutated(samples))
    _only_our_errors(parse, value)


@given(st.sampled_from(["jspf", "json", "csv", "m3u8", "xspf"]), json_values | st.text())
def test_playlist_parsers_raise_only_our_errors(fmt: str, value: Any) -> None:
    text = value if isinstance(value, str) else json.dumps(value)
    _only_our_errors(lambda t: parse_playlist(fmt, t), text)


def _poll(source: Any, answer: Callable[[httpx.Request], Any]) -> None:
    """Poll ``source`` against answers from ``answer`` in a fresh store; check what it stored."""
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "f.db") as store:

        def respond(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, content=json.dumps(answer(request)).encode())

        with make_client(transport=httpx.MockTransport(respond)) as client:
            _only_our_errors(lambda _: source.poll(store, PollContext(client, POLICY)), None)
        orphans = store.conn.execute(
            "SELECT count(*) FROM tracks t WHERE NOT EXISTS "
            "(SELECT 1 FROM listens WHERE track_id = t.id) AND NOT EXISTS "
            "(SELECT 1 FROM feedback WHERE track_id = t.id) AND NOT EXISTS "
            "(SELECT 1 FROM feed_items WHERE track_id = t.id)"
        ).fetchone()[0]
        assert orphans == 0  # a track row whose listen, feedback or feed item was not stored


@STORED
@given(
    st.lists(json_values | _mutated(LISTENS), max_size=6),
    st.lists(json_values | _mutated(FEEDBACK), max_size=4),
)
def test_listenbrainz_poll_of_arbitrary_pages(listens: list[Any], feedback: list[Any]) -> None:
    def answer(request: httpx.Request) -> Any:
        if request.url.path.endswith("/listens"):
            return {"payload": {"count": len(listens), "listens": listens}}
        return {"feedback": feedback if request.url.params["score"] == "1" else []}

    conf = ListenBrainzConfig(user="ana", url="http://127.0.0.1:9")
    _poll(ListenBrainzHistory(conf), answer)


@STORED
@given(st.lists(json_values | _mutated(SCROBBLES), max_size=6), json_values)
def test_lastfm_poll_of_arbitrary_pages(scrobbles: list[Any], loved: Any) -> None:
    def answer(request: httpx.Request) -> Any:
        if request.url.params["method"] == "user.getrecenttracks":
            return {"recenttracks": {"track": scrobbles, "@attr": {"totalPages": "1"}}}
        return {"lovedtracks": {"track": loved, "@attr": {"totalPages": "1"}}}

    conf = LastfmConfig(user="ana", url="http://127.0.0.1:9/", api_key=Secret("k"))
    _poll(LastfmHistory(conf), answer)


@STORED
@given(json_values, st.lists(json_values | _mutated(JSPF), max_size=5), json_values)
def test_recommendations_poll_of_arbitrary_answers(cf: Any, tracks: list[Any], meta: Any) -> None:
    def answer(request: httpx.Request) -> Any:
        path = request.url.path
        if "/cf/recommendation/" in path:
            return cf
        if "/metadata/recording/" in path:
            return meta
        if path.endswith("/createdfor"):
            return {"playlists": [{"playlist": {"identifier": "https://x/playlist/p1"}}]}
        return {"playlist": {"track": tracks}}

    conf = RecommendationsConfig(user="ana", api_url="http://127.0.0.1:9")
    _poll(RecommendationsFeed(conf), answer)
