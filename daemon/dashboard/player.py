"""The dashboard's ``p``: play a track with ``[player] command``, else mpv when installed."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Sequence
from urllib.parse import unquote, urlsplit

from store import Track

__all__ = ["Player"]

logger = logging.getLogger(__name__)

DEFAULT = ("mpv", "--no-video")


class Player:
    """Starts one player process at a time; starting another stops the previous one."""

    def __init__(self, command: Sequence[str]) -> None:
        self.command = tuple(command)
        self._process: subprocess.Popen[bytes] | None = None

    def resolve(self) -> tuple[str, ...] | None:
        """The command to run: ``[player] command``, else mpv if installed, else None."""
        if self.command:
            return self.command
        return DEFAULT if shutil.which(DEFAULT[0]) else None

    def play(self, track: Track) -> str:
        """Start playing ``track``; the line that says what happened."""
        command = self.resolve()
        if command is None:
            return "no player found: install mpv, or set [player] command in config.toml"
        if not track.url:
            return f"{track.label} has no URL or file to play"
        self.stop()
        try:
            self._process = subprocess.Popen(
                [*command, _target(track.url)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            return f"cannot start {command[0]}: {exc.strerror}: fix [player] command in config.toml"
        logger.debug("playing %s with %s", track.url, command[0])
        return f"playing {track.label} with {command[0]}"

    def stop(self) -> None:
        """Stop the track playing, if any."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=5)
        self._process = None


def _target(url: str) -> str:
    """A local file's path (players take paths more readily than ``file://`` URIs)."""
    parts = urlsplit(url)
    return unquote(parts.path) if parts.scheme == "file" else url
