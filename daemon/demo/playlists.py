"""The demo's playlists, pointed at the corpus files on disk once the demo's loopback
server is gone, so they still play afterwards."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import urlsplit

from daemon.playlists import PlaylistEntry, format_playlist, parse_playlist, write_atomic

__all__ = ["localize_playlist"]

_URI_FORMATS = ("xspf", "jspf")  # their locations are URIs; M3U8 and the rest take paths


def _local(entry: PlaylistEntry, audio: Path, fmt: str) -> PlaylistEntry:
    if not entry.url:
        return entry
    path = (audio / Path(urlsplit(entry.url).path).name).resolve()
    if not path.is_file():
        return entry
    return dataclasses.replace(entry, url=path.as_uri() if fmt in _URI_FORMATS else str(path))


def localize_playlist(playlist: Path, audio: Path) -> int:
    """Rewrite ``playlist`` (its format from its suffix) so that each track served from the
    demo's ``audio`` folder points at its file there; returns how many now do."""
    fmt = playlist.suffix.lstrip(".")
    entries = [_local(e, audio, fmt) for e in parse_playlist(fmt, playlist.read_text("utf-8"))]
    write_atomic(playlist, format_playlist(fmt, entries, title=playlist.stem))
    return sum(1 for e in entries if e.url and not e.url.startswith("http"))
