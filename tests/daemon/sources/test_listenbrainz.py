"""ListenBrainz history: listens paging and cursor, loves and hates, pushing feedback."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.net import MalformedPayloadError, RetryPolicy, SourceUnavailableError, make_client
from daemon.sources import PollContext
from daemon.sources.listenbrainz import (
    ListenBrainzConfig,
    ListenBrainzHistory,
    listens_of,
    parse_listen,
)
from store import Store, TrackRef

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples" / "listenbrainz"
BASE = "http://127.0.0.1:9"
POLICY = RetryPolicy(attempts=2, backoff_s=0.0, min_interval_s=0.0, sleep=lambda s: None)


def _listen(ts: int, artist: str = "Sault", title: str | None = None) -> dict[str, Any]:
    return {
        "listened_at": ts,
        "inserted_at": ts + 5,
        "recording_msid": f"msid-{ts}",
        "user_name": "ana",
        "track_metadata": {
            "artist_name": artist,
            "track_name": title or f"Song {ts}",
            "release_name": "Álbum",
            "additional_info": {"duration_ms": 200000, "submission_client": "test"},
        },
    }


class FakeListenBrainz:
    """Answers /1/user/ana/listens like the API: newest first, exclusive min_ts / max_ts."""

    def __init__(self, listens: list[dict[str, Any]]) -> None:
        self.listens = listens
        self.requests: list[httpx.Request] = []
        self.feedback: dict[int, list[dict[str, Any]]] = {1: [], -1: []}
        self.pushed: list[dict[str, Any]] = []

    def __call__(self, req: httpx.Request) -> httpx.Response:
        self.requests.append(req)
        path = req.url.path
        if path == "/1/user/ana/listens":
            return httpx.Response(200, json=self._listens(req.url.params))
        if path == "/1/feedback/user/ana/get-feedback":
            return httpx.Response(200, json=self._feedback(req.url.params))
        if path == "/1/feedback/recording-feedback" and req.method == "POST":
            assert req.headers["Authorization"] == "Token s3cret"
            self.pushed.append(json.loads(req.content))
            return httpx.Response(200, json={"status": "ok"})
        return httpx.Response(404, json={"error": "not found"})

    def _listens(self, params: httpx.QueryParams) -> dict[str, Any]:
        assert not ("min_ts" in params and "max_ts" in params)
        count = int(params["count"])
        assert 1 <= count <= 1000
        items = sorted(self.listens, key=lambda i: -i["listened_at"])
        if "min_ts" in params:
            items = [i for i in items if i["listened_at"] > int(params["min_ts"])]
        if "max_ts" in params:
            items = [i for i in items if i["listened_at"] < int(params["max_ts"])]
        page = items[:count]
        return {"payload": {"count": len(page), "listens": page, "user_id": "ana"}}

    def _feedback(self, params: httpx.QueryParams) -> dict[str, Any]:
        items = self.feedback[int(params["score"])]
        offset, count = int(params["offset"]), int(params["count"])
        page = items[offset : offset + count]
        return {"feedback": page, "count": len(page), "total_count": len(items), "offset": offset}


def _poll(store: Store, api: FakeListenBrainz, **config: Any) -> dict[str, int]:
    conf = ListenBrainzConfig(user="ana", url=BASE, **config)
    with make_client(transport=httpx.MockTransport(api)) as client:
        return ListenBrainzHistory(conf).poll(store, PollContext(client, POLICY))


def test_catch_up_pages_backwards_and_advances_cursor(store: Store) -> None:
    api = FakeListenBrainz([_listen(1000 + i * 10) for i in range(25)])
    counts = _poll(store, api, page_size=10, feedback=False)
    assert counts["listens"] == 25
    assert sorted(t for _, t, _ in store.listens()) == [1000 + i * 10 for i in range(25)]
    assert store.get_cursor("history:listenbrainz:ana") == "1240"
    params = [dict(r.url.params) for r in api.requests]
    assert params[0] == {"count": "10", "min_ts": "0"}
    assert params[1] == {"count": "10", "max_ts": "1150"}
    assert params[2] == {"count": "10", "max_ts": "1050"}


def test_second_poll_fetches_only_new_and_rescans_the_overlap(store: Store) -> None:
    api = FakeListenBrainz([_listen(10_000 + i) for i in range(5)])
    _poll(store, api, feedback=False, overlap_s=3)
    late = _listen(10_002, title="late submission")  # arrived late, inside the overlap
    late["recording_msid"] = "msid-late"
    api.listens.append(late)
    api.listens.append(_listen(20_000))
    api.requests.clear()
    counts = _poll(store, api, feedback=False, overlap_s=3)
    assert dict(api.requests[0].url.params) == {"count": "100", "min_ts": str(10_004 - 3)}
    assert counts == {"listens": 2, "duplicates": 3, "skipped": 0}
    assert len(store.listens()) == 7
    assert store.get_cursor("history:listenbrainz:ana") == "20000"


def test_500_mid_pagination_leaves_the_cursor_then_recovers(store: Store) -> None:
    api = FakeListenBrainz([_listen(5000 + i) for i in range(30)])

    def failing(req: httpx.Request) -> httpx.Response:
        if "max_ts" in req.url.params:  # the second page fails on every attempt
            return httpx.Response(500, text="server error")
        return api(req)

    conf = ListenBrainzConfig(user="ana", url=BASE, page_size=10, feedback=False)
    with make_client(transport=httpx.MockTransport(failing)) as client:
        with pytest.raises(SourceUnavailableError, match="HTTP 500"):
            ListenBrainzHistory(conf).poll(store, PollContext(client, POLICY))
    assert store.get_cursor("history:listenbrainz:ana") is None
    counts = _poll(store, api, page_size=10, feedback=False)
    assert counts["listens"] == 20
    assert counts["duplicates"] == 10
    assert len(store.listens()) == 30
    assert store.get_cursor("history:listenbrainz:ana") == "5029"


def test_malformed_json_fails_without_storing(store: Store) -> None:
    def broken(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"payload": {"listens": [')

    conf = ListenBrainzConfig(user="ana", url=BASE)
    with make_client(transport=httpx.MockTransport(broken)) as client:
        with pytest.raises(MalformedPayloadError, match="listenbrainz source 'listenbrainz:ana'"):
            ListenBrainzHistory(conf).poll(store, PollContext(client, POLICY))
    assert store.listens() == []
    assert store.get_cursor("history:listenbrainz:ana") is None


@pytest.mark.parametrize(
    "answer", [{}, [], {"payload": {}}, {"payload": {"listens": {}}}, {"payload": "x"}]
)
def test_an_answer_without_payload_listens_fails_the_poll(store: Store, answer: Any) -> None:
    def shapeless(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answer)

    conf = ListenBrainzConfig(user="ana", url=BASE)
    with make_client(transport=httpx.MockTransport(shapeless)) as client:
        with pytest.raises(MalformedPayloadError) as caught:
            ListenBrainzHistory(conf).poll(store, PollContext(client, POLICY))
    assert str(caught.value) == (
        "listenbrainz source 'listenbrainz:ana': response has no payload.listens array"
    )
    assert store.listens() == []
    assert store.get_cursor("history:listenbrainz:ana") is None


def test_malformed_items_are_skipped_and_logged(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    bad = {"listened_at": 7, "track_metadata": {"artist_name": "No title"}}
    api = FakeListenBrainz([_listen(5), bad, _listen(9)])
    counts = _poll(store, api, feedback=False)
    assert counts == {"listens": 2, "duplicates": 0, "skipped": 1}
    assert "skipped malformed item" in caplog.text
    assert "No title" in caplog.text


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    stamps=st.lists(st.integers(1, 10_000), max_size=40, unique=True),
    page_size=st.integers(1, 7),
    split=st.integers(0, 40),
)
def test_ingest_is_idempotent_however_the_history_arrives(
    stamps: list[int], page_size: int, split: int
) -> None:
    """Polling in two steps, then again, stores exactly the distinct listens once."""
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "h.db") as store:
        ordered = sorted(stamps)
        api = FakeListenBrainz([_listen(t) for t in ordered[:split]])
        _poll(store, api, page_size=page_size, feedback=False, overlap_s=50)
        api.listens = [_listen(t) for t in ordered]
        _poll(store, api, page_size=page_size, feedback=False, overlap_s=50)
        again = _poll(store, api, page_size=page_size, feedback=False, overlap_s=50)
        assert again["listens"] == 0
        assert sorted(t for _, t, _ in store.listens()) == ordered


def test_feedback_from_the_real_sample_becomes_likes(store: Store) -> None:
    sample = json.loads((SAMPLES / "lb_get_feedback_response.json").read_text())
    api = FakeListenBrainz([])
    api.feedback[1] = sample["feedback"]
    api.feedback[-1] = [{"created": 1700000000, "recording_mbid": "m-hate", "score": -1}]
    counts = _poll(store, api)
    assert counts["feedback"] == 26
    events = store.feedback()
    assert sum(e.kind == "like" and e.origin == "listenbrainz" for e in events) == 25
    assert sum(e.kind == "dislike" for e in events) == 1
    assert store.get_cursor("history:listenbrainz:ana:feedback") == str(
        max(i["created"] for i in sample["feedback"])
    )
    assert _poll(store, api)["feedback"] == 0  # nothing newer than the cursor


def test_cli_feedback_is_pushed_with_recording_ids(store: Store) -> None:
    store.add_feedback("like", "cli", track=TrackRef(source="x", ids={"recording_mbid": "mb-1"}))
    store.add_feedback("dislike", "cli", track=TrackRef(source="x", ids={"recording_msid": "ms-2"}))
    store.add_feedback("like", "cli", track=TrackRef(source="x", artist="A", title="No ids"))
    store.add_feedback("dismiss", "cli", track=TrackRef(source="x", ids={"recording_mbid": "z"}))
    store.add_feedback("like", "dashboard", track=TrackRef(source="x", ids={"recording_mbid": "d"}))
    api = FakeListenBrainz([])
    counts = _poll(store, api, token="s3cret", push_feedback=True, feedback=False)
    assert counts["pushed"] == 3
    assert {json.dumps(p, sort_keys=True) for p in api.pushed} == {
        '{"recording_mbid": "mb-1", "score": 1}',
        '{"recording_msid": "ms-2", "score": -1}',
        '{"recording_mbid": "d", "score": 1}',
    }
    unpushed = store.feedback(unpushed_origin="cli")
    assert {e.kind for e in unpushed} == {"like", "dismiss"}
    api.pushed.clear()
    assert _poll(store, api, token="s3cret", push_feedback=True, feedback=False)["pushed"] == 0
    assert api.pushed == []


def test_real_listens_samples_parse() -> None:
    current = json.loads((SAMPLES / "lb_user_listens_response.json").read_text())
    listens = [parse_listen(i, "lb") for i in listens_of(current, "t")]
    assert len(listens) == 25
    assert sum("recording_mbid" in listen.track.ids for listen in listens) == 7
    assert all("recording_msid" in listen.track.ids for listen in listens)
    assert listens[0].listened_at == 1723267385
    assert listens[0].track.artist == "Apurva"
    assert listens[0].track.title == "RPReplay_Final1723230584"

    legacy = json.loads((SAMPLES / "lb_user_listens_response_2020.json").read_text())
    old = [parse_listen(i, "lb") for i in listens_of(legacy, "t")]
    assert len(old) == 25
    assert not any("recording_mbid" in listen.track.ids for listen in old)  # "" is no MBID
    assert old[0].track.duration == pytest.approx(250.407)
    assert all(listen.track.url is None for listen in old)  # Spotify pages are not fetchable
    assert "spotify" in old[0].track.ids

    playing = json.loads((SAMPLES / "lb_playing_now_response.json").read_text())
    (item,) = listens_of(playing, "t")
    with pytest.raises(MalformedPayloadError, match="no listened_at"):
        parse_listen(item, "lb")


def test_youtube_origin_url_is_kept_for_fetching() -> None:
    item = _listen(42)
    item["track_metadata"]["additional_info"]["origin_url"] = "https://youtu.be/dQw4w9WgXcQ"
    listen = parse_listen(item, "lb")
    assert listen.track.url == "https://youtu.be/dQw4w9WgXcQ"
