"""The HTTP client factory and the retrying request helper."""

from __future__ import annotations

import email.utils
import http.server
import time
from collections.abc import Iterator

import httpx
import pytest

from daemon.net import (
    USER_AGENT,
    MalformedPayloadError,
    Pacer,
    RateLimitedError,
    RetryPolicy,
    SourceAuthError,
    SourceUnavailableError,
    get_json,
    make_client,
    request,
    retry_after,
)
from tests.audio_helpers import serve_in_thread


class _Sleeps:
    """Records the waits the helper asks for instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _policy(sleeps: _Sleeps, attempts: int = 4) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, backoff_s=0.01, min_interval_s=0.0, sleep=sleeps)


def _script(*responses: httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return queue.pop(0)

    return httpx.MockTransport(handler), seen


class _FlakyHandler(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        if type(self).hits == 1:
            self.send_response(429)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"ok": true, "ua": "' + self.headers["User-Agent"].encode() + b'"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def flaky_server() -> Iterator[str]:
    _FlakyHandler.hits = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FlakyHandler)
    thread = serve_in_thread(server)
    yield f"http://127.0.0.1:{server.server_address[1]}/x"
    server.shutdown()
    server.server_close()
    thread.join()


def test_429_with_retry_after_is_retried_against_a_loopback_server(flaky_server: str) -> None:
    sleeps = _Sleeps()
    with make_client() as client:
        payload = get_json(client, flaky_server, what="test", policy=_policy(sleeps))
    assert payload["ok"] is True
    assert payload["ua"] == USER_AGENT
    assert USER_AGENT.startswith("tastebud/")
    assert "( https://" in USER_AGENT
    assert _FlakyHandler.hits == 2
    assert sleeps.waits == [0.0]


def test_retry_after_as_http_date() -> None:
    now = time.time()
    date = email.utils.formatdate(now + 120, usegmt=True)
    response = httpx.Response(429, headers={"Retry-After": date})
    assert retry_after(response, now=now) == pytest.approx(120, abs=1.5)
    assert retry_after(httpx.Response(429, headers={"X-RateLimit-Reset-In": "7"})) == 7
    assert retry_after(httpx.Response(429)) is None


def test_5xx_retried_with_doubling_backoff_then_gives_up() -> None:
    transport, seen = _script(*(httpx.Response(503) for _ in range(3)))
    sleeps = _Sleeps()
    with make_client(transport=transport) as client, pytest.raises(SourceUnavailableError) as exc:
        request(client, "GET", "http://127.0.0.1/a", what="lb", policy=_policy(sleeps, attempts=3))
    assert len(seen) == 3
    assert sleeps.waits == [0.01, 0.02]
    assert "lb: HTTP 503 after 3 attempt(s)" in str(exc.value)


def test_429_asking_too_long_a_wait_fails_fast_with_retry_after() -> None:
    transport, seen = _script(httpx.Response(429, headers={"Retry-After": "3600"}))
    sleeps = _Sleeps()
    with make_client(transport=transport) as client, pytest.raises(RateLimitedError) as exc:
        request(client, "GET", "http://127.0.0.1/a", what="lb", policy=_policy(sleeps))
    assert exc.value.retry_after == 3600
    assert len(seen) == 1
    assert sleeps.waits == []


def test_network_error_is_retried() -> None:
    calls: list[int] = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=req)
        return httpx.Response(200, json={"n": 1})

    with make_client(transport=httpx.MockTransport(handler)) as client:
        assert get_json(client, "http://127.0.0.1/", what="t", policy=_policy(_Sleeps())) == {
            "n": 1
        }
    assert len(calls) == 2


def test_status_and_body_errors() -> None:
    transport, _ = _script(
        httpx.Response(204),
        httpx.Response(200, content=b"{not json"),
        httpx.Response(401, json={"error": "bad token"}),
    )
    policy = _policy(_Sleeps())
    with make_client(transport=transport) as client:
        assert get_json(client, "http://127.0.0.1/", what="t", policy=policy) is None
        with pytest.raises(MalformedPayloadError, match="invalid JSON"):
            get_json(client, "http://127.0.0.1/", what="t", policy=policy)
        with pytest.raises(SourceAuthError, match="HTTP 401"):
            get_json(client, "http://127.0.0.1/", what="t", policy=policy)


def test_pacer_spaces_requests_and_honours_listenbrainz_rate_limit_headers() -> None:
    clock = [100.0]
    sleeps = _Sleeps()

    def sleep(seconds: float) -> None:
        sleeps(seconds)
        clock[0] += seconds

    policy = RetryPolicy(min_interval_s=1.0, sleep=sleep, clock=lambda: clock[0])
    spent = httpx.Response(
        200, json={}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-In": "9"}
    )
    transport, _ = _script(httpx.Response(200, json={}), spent, httpx.Response(200, json={}))
    pacer = Pacer()
    with make_client(transport=transport) as client:
        for _ in range(3):
            request(client, "GET", "http://127.0.0.1/", what="lb", policy=policy, pacer=pacer)
    assert sleeps.waits == [1.0, 9.0]
