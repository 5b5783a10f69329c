"""Secrets never reach a log line or the database, whatever the remote end does.

A full ``tastebud once`` runs with known secret values (a ListenBrainz token, a
Last.fm api_key, a private feed's token, the cookies file's path, a Jellyfin API key, a
Subsonic password) against loopback servers that fail in every way: 401, 403, 429
with Retry-After, 500, malformed JSON, a reset connection, a hang. The failure bodies
echo the request URL back, as some servers do. A Jellyfin and a Subsonic server that
answer well give tracks whose audio they stream (the credentials added at fetch time;
the streams fail here). Then all log output and a dump of the database are searched.

Both runs are whole ``once`` cycles against failing servers, so both are in make
test-slow. With every failure for the history sources, the client's real retries and
back-off take about 45 s; the quick run (about 30 s) keeps the history failures that cost
one request each. The feeds, the media servers and the downloads meet every failure in
both runs.
"""

from __future__ import annotations

import socket
import sqlite3
import struct
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.audio_helpers import serve_in_thread
from tests.cli_helpers import run_cli
from tests.media_servers import FakeJellyfin, FakeSubsonic, running

LB_TOKEN = "lbtoken-SECRET-1f3a9c"
LASTFM_KEY = "lfmkey-SECRET-9b2c44"
FEED_TOKEN = "feedtoken-SECRET-77e0"
COOKIES_NAME = "cookies-SECRET-5d11.txt"
# The feed's enclosure URLs carry their own token: the track must keep its URL to be
# fetched, so that one is only searched for in the log.
ENCLOSURE_TOKEN = "enctoken-SECRET-3a08"
JELLYFIN_TOKEN = "jftoken-SECRET-6a2f"
SUBSONIC_PASSWORD = "subpass-SECRET-c41d"
# (Last.fm's modes, ListenBrainz's modes)
EVERY_FAILURE = (("401", "429", "badjson", "reset"), ("403", "500", "slow"))
QUICK_FAILURES = (("401", "badjson"), ("403",))
SECRETS = (LB_TOKEN, LASTFM_KEY, FEED_TOKEN, COOKIES_NAME, JELLYFIN_TOKEN, SUBSONIC_PASSWORD)
MODES = ("401", "403", "429", "500", "badjson", "reset", "slow")


class _Hostile(BaseHTTPRequestHandler):
    """Fails as the first path segment says, echoing the request line in its body."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        mode = self.path.lstrip("/").split("/")[0].split("?")[0]
        echo = f"you asked for {self.path} with {self.headers.get('Authorization')}".encode()
        if mode == "reset":
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.close_connection = True
            self.connection.close()
            return
        if mode == "slow":
            time.sleep(3.0)
        if mode == "rss":
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            body = _rss(base).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        status, body = {
            "401": (401, echo),
            "403": (403, echo),
            "429": (429, echo),
            "500": (500, echo),
            "badjson": (200, b"{not json " + echo),
            "slow": (200, b"{}"),
        }.get(mode, (404, echo))
        self.send_response(status)
        self.send_header("Retry-After", "1" if status == 429 else "0")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:
            pass  # the reset mode closed the socket under the handler


@pytest.fixture
def hostile() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    server.daemon_threads = True
    serve_in_thread(server)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _rss(base: str) -> str:
    items = "".join(
        f'<item><title>Artist - Song {mode}</title><guid>{mode}</guid><enclosure url="'
        f'{base}/{mode}/song.mp3?id=1&amp;token={ENCLOSURE_TOKEN}" '
        'type="audio/mpeg" length="0"/></item>'
        for mode in MODES
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>http://127.0.0.1/</link>{items}</channel></rss>"
    )


def _config(
    tmp_path: Path,
    base: str,
    failures: tuple[tuple[str, ...], tuple[str, ...]],
    jellyfin: str = "",
    subsonic: str = "",
) -> Path:
    cookies = tmp_path / COOKIES_NAME
    cookies.write_text("# Netscape HTTP Cookie File\n", encoding="utf-8")
    lastfm, listenbrainz = failures
    text = f'[storage]\ndir = "{tmp_path / "state"}"\n[daemon]\nlog_level = "DEBUG"\n'
    for mode in lastfm:
        text += (
            f'[[history]]\ntype = "lastfm"\nname = "lfm-{mode}"\nuser = "u"\n'
            f'url = "{base}/{mode}/2.0/"\napi_key = "{LASTFM_KEY}"\n'
        )
    for mode in listenbrainz:
        text += (
            f'[[history]]\ntype = "listenbrainz"\nname = "lb-{mode}"\nuser = "u"\n'
            f'url = "{base}/{mode}"\ntoken = "{LB_TOKEN}"\n'
        )
    for mode, url in (("401", f"{base}/401"), ("500", f"{base}/500"), ("ok", jellyfin)):
        text += (
            f'[[history]]\ntype = "jellyfin"\nname = "jf-{mode}"\nuser = "ana"\n'
            f'url = "{url}"\ntoken = "{JELLYFIN_TOKEN}"\n'
        )
    for mode, url in (("badjson", f"{base}/badjson"), ("ok", subsonic)):
        text += (
            f'[[history]]\ntype = "subsonic"\nname = "sub-{mode}"\nuser = "ana"\n'
            f'url = "{url}"\npassword = "{SUBSONIC_PASSWORD}"\nplays = "always"\n'
        )
    for mode in ("500", "403"):
        text += (
            f'[[feeds]]\ntype = "url"\nname = "private-{mode}"\n'
            f'url = "{base}/{mode}/feed.rss?token={FEED_TOKEN}"\n'
        )
    text += (
        f'[[feeds]]\ntype = "url"\nname = "rss"\nurl = "{base}/rss/feed.rss?token={FEED_TOKEN}"\n'
    )
    text += (
        f'[fetch]\ncookies_file = "{cookies}"\nsocket_timeout_s = 1.0\n'
        "host_delay_s = 0.0\nsleep_requests_s = 0.0\nmin_duration_s = 1.0\n"
    )
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "failures",
    [
        pytest.param(QUICK_FAILURES, id="quick-failures", marks=pytest.mark.slow),
        pytest.param(EVERY_FAILURE, id="every-failure", marks=pytest.mark.slow),
    ],
)
def test_no_secret_reaches_a_log_line_or_the_database(
    tmp_path: Path, hostile: str, failures: tuple[tuple[str, ...], tuple[str, ...]]
) -> None:
    with (
        running(FakeJellyfin(JELLYFIN_TOKEN)) as jellyfin,
        running(FakeSubsonic("ana", SUBSONIC_PASSWORD)) as subsonic,
    ):
        config = _config(tmp_path, hostile, failures, jellyfin.base, subsonic.base)
        done = run_cli(config, "--verbose", "once")
        streamed = [p for _, p, _ in jellyfin.requests + subsonic.requests if "tream" in p]
    log = done.stdout + done.stderr
    with sqlite3.connect(tmp_path / "state" / "tastebud.db") as conn:
        dump = "\n".join(conn.iterdump())
    # The cycle met every failure and reported it, with the URLs redacted.
    for needle in ("HTTP 401", "HTTP 403", "HTTP 429", "HTTP 500", "invalid JSON", "api_key=***"):
        assert needle in log, f"{needle!r} not in the log:\n{log[-4000:]}"
    assert "token=***" in dump
    assert streamed, "no stream of a media server was asked for"
    assert "/rest/stream?id=" in dump  # the stored URL, without the token
    assert ENCLOSURE_TOKEN not in log
    for secret in SECRETS:
        assert secret not in log, f"{secret!r} leaked into the log"
        assert secret not in dump, f"{secret!r} leaked into the database"
