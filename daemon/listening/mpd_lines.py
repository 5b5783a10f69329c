"""python-mpd2's client with every line it reads bounded.

python-mpd2 reads each line of MPD's answer whole, however long: a server that sends
bytes without a newline would grow the daemon's memory until the socket timeout, which
never comes while bytes keep arriving. :class:`BoundedClient` hands python-mpd2 a socket
whose read side stops at :data:`MAX_LINE` bytes without a newline and drops the
connection with one line saying so.
"""

from __future__ import annotations

import socket
from typing import Any

from mpd import ConnectionError as MpdConnectionError
from mpd import MPDClient

__all__ = ["MAX_LINE", "BoundedClient"]

MAX_LINE = 64 * 1024
"""Longest line taken from MPD: its own answers (a tag value, a file name) stay far below."""


class _Lines:
    """A binary reader whose ``readline`` gives up past :data:`MAX_LINE` bytes."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def readline(self, size: int = -1) -> bytes:
        limit = MAX_LINE + 1 if size < 0 else min(size, MAX_LINE + 1)
        line: bytes = self._raw.readline(limit)
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            raise MpdConnectionError(f"MPD sent a line longer than {MAX_LINE} bytes")
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class _Socket:
    """A socket whose binary reader is :class:`_Lines`; everything else is the socket's."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def makefile(self, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        made = self._sock.makefile(mode, *args, **kwargs)  # type: ignore[call-overload]
        return _Lines(made) if mode == "rb" else made

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class BoundedClient(MPDClient):  # type: ignore[misc]
    """An ``MPDClient`` that never reads a line longer than :data:`MAX_LINE`."""

    def _connect_tcp(self, host: str, port: int) -> Any:
        return _Socket(super()._connect_tcp(host, port))

    def _connect_unix(self, path: str) -> Any:
        return _Socket(super()._connect_unix(path))
