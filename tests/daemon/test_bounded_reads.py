"""Every web-API answer is read within a byte limit and an overall deadline, and its JSON
within a depth limit: against loopback servers sending an endless body, a trickle, a huge
answer, a gzip bomb, deep nesting and garbage."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from daemon import net
from tests.hostile import (
    HostileServer,
    endless,
    fixed,
    gzipped,
    hostile_server,
    nested,
    trickle,
)

FAST = net.RetryPolicy(attempts=2, backoff_s=0.01, min_interval_s=0)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile_server() as s:
        yield s


def _client(max_bytes: int = 1 << 20, deadline_s: float = 1.0) -> net.Client:
    return net.make_client(timeout=2.0, max_bytes=max_bytes, deadline_s=deadline_s)


def test_an_endless_answer_stops_at_the_byte_limit(server: HostileServer) -> None:
    url = server.add("/endless", endless("application/json", b"[1," * 4096))
    with _client() as client, pytest.raises(net.AnswerTooLargeError, match=r"source x: .*larger"):
        net.get_json(client, url, what="source x", policy=FAST)


def test_a_huge_answer_with_a_length_stops_at_the_byte_limit(server: HostileServer) -> None:
    url = server.add("/huge", fixed(b"[" + b"1," * 2_000_000 + b"1]"))
    with _client() as client, pytest.raises(net.AnswerTooLargeError):
        net.get_json(client, url, what="source x", policy=FAST)


def test_a_gzip_bomb_stops_at_the_byte_limit_as_unpacked(server: HostileServer) -> None:
    url = server.add("/bomb", gzipped(b"[" + b"0," * 4_000_000 + b"0]"))  # 8 MB in 8 KB
    with _client(max_bytes=1 << 20) as client, pytest.raises(net.AnswerTooLargeError):
        net.get_json(client, url, what="source x", policy=FAST)


def test_a_gzipped_answer_arrives_decoded_with_its_own_length(server: HostileServer) -> None:
    body = b'{"payload": {"count": 2, "listens": [' + b'"a",' * 500 + b'"b"]}}'
    url = server.add("/gz", gzipped(body))
    with _client() as client:
        response = client.get(url)
    assert response.content == body
    assert response.json()["payload"]["count"] == 2
    assert "content-encoding" not in response.headers  # undone
    assert response.headers["content-length"] == str(len(body))
    assert response.headers["content-type"] == "application/json"
    assert response.request.url == url


def test_a_trickle_stops_at_the_deadline_and_is_not_retried(server: HostileServer) -> None:
    url = server.add("/trickle", trickle(every_s=0.1))
    started = time.monotonic()
    with _client(deadline_s=0.5) as client, pytest.raises(net.DeadlineExceededError):
        net.get_json(client, url, what="source x", policy=FAST)
    assert time.monotonic() - started < 2.0


def test_deep_nesting_is_malformed_not_a_recursion_error(server: HostileServer) -> None:
    url = server.add("/deep", fixed(nested(100_000)))
    with _client() as client, pytest.raises(net.MalformedPayloadError, match="nested deeper"):
        net.get_json(client, url, what="source x", policy=FAST)


def test_garbage_is_malformed(server: HostileServer) -> None:
    url = server.add("/garbage", fixed(b"\xff\xfe<html>\x00\x1b[31m"))
    with _client() as client, pytest.raises(net.MalformedPayloadError, match="invalid JSON"):
        net.get_json(client, url, what="source x", policy=FAST)


def test_a_good_answer_still_arrives(server: HostileServer) -> None:
    url = server.add("/ok", fixed(b'{"a": [[1], {"b": "[[[[[["}]}'))
    with _client() as client:
        assert net.get_json(client, url, what="x", policy=FAST) == {"a": [[1], {"b": "[[[[[["}]}


def test_json_depth_ignores_brackets_in_strings() -> None:
    assert net.json_depth('{"a": "[[[[", "b": [[1]]}') == 3
    assert net.json_depth(r'["\"[[[", 1]') == 1
    with pytest.raises(net.JsonTooDeepError):
        net.loads("[" * 65 + "]" * 65, what="x")
    assert net.loads("[" * 64 + "]" * 64, what="x") is not None
