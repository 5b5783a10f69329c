"""A Subsonic server that answers garbage, hangs or trickles: one PlayerError line in
bounded time through ``[fetch]``'s settings, and never its URL's password."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from daemon.config import FetchConfig, Secret, SubsonicConfig
from daemon.listening import PlayerError, Subsonic
from daemon.net import RetryPolicy
from tests.hostile import HostileServer, fixed, hostile_server, trickle

FAST = RetryPolicy(attempts=2, backoff_s=0.01, min_interval_s=0)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile_server() as s:
        yield s


def _api(server: HostileServer, fetch: FetchConfig | None = None) -> Subsonic:
    base = server.url("").replace("http://", "http://me:hunter2@")
    config = SubsonicConfig(url=base, user="me", password=Secret("hunter2"))
    return Subsonic(config, policy=FAST, fetch=fetch)


def _ok(**body: object) -> bytes:
    return json.dumps({"subsonic-response": {"status": "ok", **body}}).encode()


def test_garbage_shapes_find_nothing_instead_of_crashing(server: HostileServer) -> None:
    server.add("/rest/search3", fixed(_ok(searchResult3=["x"])))
    server.add("/rest/getStarred2", fixed(_ok(starred2={"song": "zzz"})))
    server.add("/rest/getPlaylists", fixed(_ok(playlists={"playlist": [1, None, {"x": 1}]})))
    server.add("/rest/createPlaylist", fixed(_ok()))
    api = _api(server)
    try:
        assert api.find_song("a/b.opus", "A", "B") is None
        assert api.starred() == []
        api.replace_playlist("tastebud", ["1"])
    finally:
        api.close()


def test_a_non_json_answer_is_one_line_without_the_password(server: HostileServer) -> None:
    server.add("/rest/ping", fixed(b"\x1b[2J<html>nope", ctype="text/html"))
    api = _api(server)
    try:
        with pytest.raises(PlayerError) as caught:
            api.call("ping")
    finally:
        api.close()
    assert "hunter2" not in str(caught.value)
    assert "invalid JSON" in str(caught.value)


def test_a_trickling_server_is_given_up_on_at_the_deadline(server: HostileServer) -> None:
    server.add("/rest/ping", trickle(_ok(), every_s=0.2))
    api = _api(server, FetchConfig(socket_timeout_s=1, request_deadline_s=0.5))
    started = time.monotonic()
    try:
        with pytest.raises(PlayerError, match="deadline") as caught:
            api.call("ping")
    finally:
        api.close()
    assert time.monotonic() - started < 3
    assert "/rest/ping: answer not complete within the deadline" in str(caught.value)


def test_the_proxy_of_fetch_is_used(server: HostileServer) -> None:
    api = _api(server, FetchConfig(proxy="http://127.0.0.1:9"))
    try:
        with pytest.raises(PlayerError, match="network error"):
            api.call("ping")
    finally:
        api.close()
