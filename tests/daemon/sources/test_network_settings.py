"""``[fetch] proxy`` and ``socket_timeout_s`` apply to every outgoing request: the web
API sources (httpx) and yt-dlp's feed listing, not only the downloads."""

from __future__ import annotations

import gc
import importlib.util
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from daemon.config import Config, ConfigError, parse_config
from daemon.net import RetryPolicy
from daemon.sources import config_schemas, poll_feeds, poll_history
from store import Store
from tests.audio_helpers import LEAKED_SOCKET_WARNING, rss_feed, serve_in_thread, unreachable_proxy

pytestmark = pytest.mark.filterwarnings(LEAKED_SOCKET_WARNING)

POLICY = RetryPolicy(attempts=2, backoff_s=0.0, min_interval_s=0.0, sleep=lambda s: None)
LISTENS = b'{"payload": {"count": 0, "listens": []}}'


class _Server:
    """A loopback server that records request lines and answers after ``delay`` seconds:
    the feed, a ListenBrainz listens page, or (as a proxy) 502 for everything."""

    def __init__(self, *, delay: float = 0.0, proxy: bool = False) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests.append(self.path)
                time.sleep(delay)
                status, body = outer.answer(self.path, proxy)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up waiting

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        serve_in_thread(self.server)

    def answer(self, path: str, proxy: bool) -> tuple[int, bytes]:
        if proxy:
            return 502, b"proxy says no"
        if path.startswith("/feed.rss"):
            return 200, rss_feed([("A - B", f"{self.base}/b.mp3", "audio/mpeg", 90)])
        return 200, LISTENS

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def _collect_leaked_sockets() -> Iterator[None]:
    yield
    gc.collect()


@pytest.fixture
def target() -> Iterator[_Server]:
    server = _Server()
    yield server
    server.close()


@pytest.fixture
def hanging() -> Iterator[_Server]:
    server = _Server(delay=6.0)  # answers, but long after a 1 s timeout
    yield server
    server.close()


@pytest.fixture
def proxy() -> Iterator[_Server]:
    server = _Server(proxy=True)
    yield server
    server.close()


def _config(tmp_path: Path, base: str, fetch: str) -> Config:
    text = (
        f'[storage]\ndir = "{tmp_path}"\n'
        f'[[history]]\ntype = "listenbrainz"\nname = "lb"\nuser = "u"\nfeedback = false\n'
        f'url = "{base}"\n'
        f'[[feeds]]\ntype = "url"\nname = "rss"\nurl = "{base}/feed.rss"\n'
        f"[fetch]\n{fetch}\n"
    )
    return parse_config(text, str(tmp_path / "config.toml"), sources=config_schemas())


def _poll(store: Store, config: Config) -> tuple[dict[str, int], dict[str, int]]:
    history = poll_history(store, config, policy=POLICY)["lb"]
    feeds = poll_feeds(store, config, policy=POLICY)["rss"]
    return history, feeds


def test_the_proxy_carries_api_requests_and_feed_listing(
    tmp_path: Path, store: Store, target: _Server, proxy: _Server
) -> None:
    config = _config(tmp_path, target.base, f'proxy = "{proxy.base}"')
    assert _poll(store, config) == ({"failed": 1}, {"failed": 1})
    assert target.requests == []
    assert any(r.startswith(f"{target.base}/1/user/u/listens") for r in proxy.requests)
    assert any(r.startswith(f"{target.base}/feed.rss") for r in proxy.requests)
    errors = [r.error or "" for r in store.runs(limit=10)]
    assert any("HTTP 502" in e for e in errors)


def test_direct_without_a_proxy(tmp_path: Path, store: Store, target: _Server) -> None:
    history, feeds = _poll(store, _config(tmp_path, target.base, ""))
    assert history["listens"] == 0
    assert feeds["items"] == 1


@pytest.mark.slow  # every try waits out its timeout against a hanging server
def test_the_socket_timeout_bounds_api_requests_and_feed_listing(
    tmp_path: Path, store: Store, hanging: _Server
) -> None:
    config = _config(tmp_path, hanging.base, "socket_timeout_s = 1.0")
    assert _poll(store, config) == ({"failed": 1}, {"failed": 1})
    errors = {r.job: r.error or "" for r in store.runs(limit=10)}
    assert "timed out" in errors["history:lb"]
    assert "timed out" in errors["feed:rss"]


def test_a_socks_proxy_carries_api_requests_or_says_what_is_missing(
    tmp_path: Path, store: Store, target: _Server
) -> None:
    with unreachable_proxy() as socks:
        config = _config(tmp_path, target.base, f'proxy = "{socks}"')
        if importlib.util.find_spec("socksio") is None:  # httpx's SOCKS extra is missing
            with pytest.raises(ConfigError, match=r"httpx\[socks\]"):
                poll_history(store, config, policy=POLICY)
            with pytest.raises(ConfigError, match=r"httpx\[socks\]"):
                poll_feeds(store, config, policy=POLICY)
        else:
            assert _poll(store, config) == ({"failed": 1}, {"failed": 1})
    assert target.requests == []
