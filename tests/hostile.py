"""Loopback HTTP servers that misbehave on purpose: an endless body with no length, a
trickle, a huge answer, deep nesting, garbage, a gzip bomb. Every handler loop is
bounded (by a byte count or by the client hanging up), and the server only listens on
127.0.0.1."""

from __future__ import annotations

import gzip
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

Answer = Callable[[BaseHTTPRequestHandler], None]

ENDLESS_CAP = 64 << 20  # an "endless" body still ends here, so no test can run away


def endless(ctype: str = "audio/mpeg", chunk: bytes = b"\0" * 16384) -> Answer:
    """200 with no Content-Length and bytes until the client hangs up (or 64 MB)."""

    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.end_headers()
        sent = 0
        closing: threading.Event = getattr(h.server, "closing", threading.Event())
        while sent < ENDLESS_CAP and not closing.is_set():
            h.wfile.write(chunk)
            sent += len(chunk)

    return answer


def trickle(body: bytes = b'{"payload": {"listens": []}}' * 100, every_s: float = 0.2) -> Answer:
    """200 with a Content-Length, then one byte every ``every_s`` seconds."""

    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        closing: threading.Event = getattr(h.server, "closing", threading.Event())
        for i in range(len(body)):
            if closing.is_set():  # the test is over: hang up
                return
            h.wfile.write(body[i : i + 1])
            h.wfile.flush()
            time.sleep(every_s)

    return answer


def fixed(
    body: bytes,
    ctype: str = "application/json",
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Answer:
    """An ordinary answer of ``body`` (with ``headers`` besides its type and length)."""

    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return answer


def gzipped(body: bytes, ctype: str = "application/json") -> Answer:
    """``body`` sent gzip-compressed (``Content-Encoding: gzip``), whatever was asked."""
    packed = gzip.compress(body, compresslevel=9)
    return fixed(packed, ctype, headers={"Content-Encoding": "gzip"})


def nested(depth: int = 100_000) -> bytes:
    """JSON nested ``depth`` arrays deep."""
    return b"[" * depth + b"]" * depth


class HostileServer:
    """A threading HTTP server on 127.0.0.1 answering each path with its :data:`Answer`."""

    def __init__(self) -> None:
        self.routes: dict[str, Answer] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                answer = routes.get(self.path.split("?")[0])
                try:
                    if answer is None:
                        self.send_error(404)
                    else:
                        answer(self)
                except (TimeoutError, BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.closing = threading.Event()
        self.httpd.closing = self.closing  # type: ignore[attr-defined]  # seen by the answers
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def add(self, path: str, answer: Answer) -> str:
        self.routes[path] = answer
        return self.url(path)


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    server = HostileServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.closing.set()
        server.httpd.shutdown()
        server.httpd.server_close()


@contextmanager
def small_tmpfs(where: Path, size: str = "2m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where`` (root only, as CI runs): disk-full and
    endless-body tests write there, never to the real disk. Skips the test elsewhere."""
    import pytest

    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
