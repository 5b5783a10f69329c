"""Test helpers: synthesized audio in every container yt-dlp may return, and a
loopback HTTP server (127.0.0.1 only) that serves it, with scripted failures; every
loopback server of the tests is served by :func:`serve_in_thread`."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import numpy as np

from classifier import write_audio as encode

__all__ = [
    "FORMATS",
    "LEAKED_SOCKET_WARNING",
    "MIME",
    "LoopbackServer",
    "Route",
    "loopback_server",
    "rss_feed",
    "serve_in_thread",
    "synth",
    "unreachable_proxy",
    "write_audio",
]

# yt-dlp's generic extractor reads the first bytes of a direct media URL to sniff it and
# never closes that response (yt_dlp/extractor/generic.py); the socket is closed by the
# garbage collector with a ResourceWarning. Tests that run yt-dlp ignore exactly that
# warning and collect garbage after each test, so it cannot surface in another test.
LEAKED_SOCKET_WARNING = "ignore:unclosed <socket.socket:ResourceWarning"

# extension -> how it is written
FORMATS = ("wav", "flac", "ogg", "mp3", "opus", "m4a")
MIME = {
    "wav": "audio/wav",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "webm": "audio/webm",
    "m4a": "audio/mp4",
    "txt": "text/plain",
}


# socketserver checks for shutdown() every 0.5 s by default, which each test's teardown
# then waited out: the loopback servers check every 20 ms.
SHUTDOWN_POLL_S = 0.02


def serve_in_thread(server: socketserver.BaseServer) -> threading.Thread:
    """Serve ``server`` from a started daemon thread; ``server.shutdown()`` returns within
    :data:`SHUTDOWN_POLL_S`."""
    thread = threading.Thread(target=server.serve_forever, args=(SHUTDOWN_POLL_S,), daemon=True)
    thread.start()
    return thread


def synth(seconds: float, sample_rate: int = 16000, seed: int = 0, channels: int = 1) -> np.ndarray:
    """Low-complexity music-like audio: a few decaying tones and a little noise, float32."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    notes = rng.uniform(110, 880, size=4)
    beat = 0.5 + 0.5 * np.exp(-4 * (t % 0.5))
    tone = sum(np.sin(2 * np.pi * f * t) / (i + 2) for i, f in enumerate(notes))
    audio: np.ndarray = 0.3 * beat * tone + 0.01 * rng.standard_normal(t.size)
    audio = audio.astype(np.float32)
    if channels > 1:
        audio = np.stack([audio * (1 - 0.1 * c) for c in range(channels)], axis=1)
    return audio


def write_audio(path: Path, audio: np.ndarray, sample_rate: int = 16000) -> Path:
    """Write ``audio`` to ``path``, the container chosen by the extension (low bit rates)."""
    return encode(path, audio, sample_rate, bit_rate=32000 if path.suffix != ".mp3" else None)


@dataclass
class Route:
    """What the server answers on one path: a status script, then the body."""

    body: bytes = b""
    content_type: str = "application/octet-stream"
    statuses: list[int] = field(default_factory=list)  # consumed one per request, then 200
    headers: dict[str, str] = field(default_factory=dict)
    hits: int = 0


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 answering from a table of routes."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def add(self, path: str, route: Route) -> str:
        self.routes["/" + path.lstrip("/")] = route
        return self.url(path)

    def add_file(
        self, file: Path, *, name: str | None = None, statuses: list[int] | None = None
    ) -> str:
        ext = file.suffix.lstrip(".")
        route = Route(file.read_bytes(), MIME.get(ext, "application/octet-stream"), statuses or [])
        return self.add(name or file.name, route)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._answer(send_body=False)

            def do_GET(self) -> None:
                self._answer(send_body=True)

            def _answer(self, send_body: bool) -> None:
                server.requests.append((self.command, self.path))
                route = server.routes.get(unquote(self.path.split("?")[0]))
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                route.hits += 1
                status = route.statuses.pop(0) if route.statuses else 200
                if status != 200:
                    self.send_response(status)
                    for key, value in route.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                if send_body:
                    self.wfile.write(route.body)

        return Handler

    def start(self) -> None:
        serve_in_thread(self._server)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def loopback_server() -> Iterator[LoopbackServer]:
    """A started :class:`LoopbackServer`, shut down on exit."""
    server = LoopbackServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def rss_feed(items: list[tuple[str, str, str, float]]) -> bytes:
    """An RSS 2.0 podcast feed of (title, url, mime, duration seconds) enclosures."""
    entries = "".join(
        f"<item><title>{title}</title><guid>{url}</guid>"
        f'<enclosure url="{url}" type="{mime}" length="0"/>'
        f"<itunes:duration>{int(duration)}</itunes:duration></item>"
        for title, url, mime, duration in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
        f"<channel><title>Loopback feed</title><link>http://127.0.0.1/</link>{entries}"
        "</channel></rss>"
    ).encode()


class _UnreachableSocks(socketserver.BaseRequestHandler):
    """A SOCKS5 proxy that answers every CONNECT with "network unreachable"."""

    def handle(self) -> None:
        greeting = self.request.recv(2)
        self.request.recv(greeting[1] if len(greeting) == 2 else 0)
        self.request.sendall(b"\x05\x00")
        self.request.recv(512)
        self.request.sendall(b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")


@contextmanager
def unreachable_proxy() -> Iterator[str]:
    """The URL of a loopback SOCKS5 proxy behind which the network is down."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _UnreachableSocks)
    serve_in_thread(server)
    try:
        yield f"socks5://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
