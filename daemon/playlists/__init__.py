"""Playlists: one entry's fields (``entry``), the formats (``formats``, with ``xspf``
and ``jspf``), writing the queue as a playlist (``export``: ``tastebud export`` and the
``[[playlists]]`` job), the tags that say why a track is there (``tags``), and the
playlists' error (``errors``).

Other packages import only the names below; each module loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from store import lazy_getattr

if TYPE_CHECKING:
    from daemon.playlists.entry import PlaylistEntry
    from daemon.playlists.errors import ExportError
    from daemon.playlists.export import (
        mark_first_export,
        playlist_entries,
        playlist_path,
        refresh_playlists,
        write_atomic,
        write_playlist,
    )
    from daemon.playlists.formats import format_playlist, parse_playlist
    from daemon.playlists.jspf import importable
    from daemon.playlists.tags import load_tag_names, top_tags

_WHERE = {
    "PlaylistEntry": "entry",
    "ExportError": "errors",
    "mark_first_export": "export",
    "playlist_entries": "export",
    "playlist_path": "export",
    "refresh_playlists": "export",
    "importable": "jspf",
    "write_atomic": "export",
    "write_playlist": "export",
    "format_playlist": "formats",
    "parse_playlist": "formats",
    "load_tag_names": "tags",
    "top_tags": "tags",
}
__getattr__ = lazy_getattr(__name__, _WHERE, globals())

__all__ = [
    "ExportError",
    "PlaylistEntry",
    "format_playlist",
    "importable",
    "load_tag_names",
    "mark_first_export",
    "parse_playlist",
    "playlist_entries",
    "playlist_path",
    "refresh_playlists",
    "top_tags",
    "write_atomic",
    "write_playlist",
]
