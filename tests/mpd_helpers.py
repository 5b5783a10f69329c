"""A real MPD for the listening tests: null audio output, loopback only, a free port."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mpd import MPDClient

__all__ = ["MpdServer", "free_port", "mpd_running"]


@dataclass(frozen=True)
class MpdServer:
    """A running MPD: where it listens and its music_directory."""

    port: int
    music: Path

    def client(self) -> MPDClient:
        client = MPDClient()
        client.timeout = 10
        client.connect("127.0.0.1", self.port)
        return client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _conf(tmp: Path, port: int) -> Path:
    conf = tmp / "mpd.conf"
    conf.write_text(
        f'music_directory "{tmp / "music"}"\n'
        f'playlist_directory "{tmp / "playlists"}"\n'
        f'db_file "{tmp / "database"}"\n'
        f'log_file "{tmp / "mpd.log"}"\n'
        'bind_to_address "127.0.0.1"\n'
        f'port "{port}"\n'
        'audio_output {\n  type "null"\n  name "null"\n}\n'
    )
    return conf


def _wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    text = log.read_text() if log.exists() else ""
    raise AssertionError(f"MPD did not start on port {port}: {text[-2000:]}")


@contextmanager
def mpd_running(mpd: str, tmp: Path) -> Iterator[MpdServer]:
    """The ``mpd`` program in the foreground on a config in ``tmp``, killed on exit."""
    for sub in ("music", "playlists"):
        (tmp / sub).mkdir(parents=True)
    port = free_port()
    proc = subprocess.Popen(
        [mpd, "--no-daemon", str(_conf(tmp, port))],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening(port, proc, tmp / "mpd.log")
        yield MpdServer(port, tmp / "music")
    finally:
        proc.kill()
        proc.wait(10)
