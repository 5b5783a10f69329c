"""A ``directory`` feed: the user's own audio files, offered again for rediscovery.

Files are found recursively by extension; artist, title, album and duration
come from their tags (mutagen), else from an ``Artist - Title`` file name.
Only files changed since the last poll are read again. A file name that is not UTF-8
keeps its bytes in the ``file://`` URL (percent-encoded) and shows its undecodable bytes
as U+FFFD in the names drawn from it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import mutagen
from mutagen import MutagenError

from daemon.config import FeedConfig
from daemon.net import SourceUnavailableError
from daemon.sources._parse import split_artist_title
from daemon.sources.base import PollContext
from daemon.sources.registry import register
from store import Store, TrackRef

__all__ = ["AUDIO_EXTENSIONS", "DirectoryConfig", "DirectoryFeed", "audio_files", "file_ref"]

logger = logging.getLogger(__name__)

AUDIO_EXTENSIONS = frozenset({".mp3", ".ogg", ".opus", ".m4a", ".flac", ".wav", ".webm"})


def audio_files(root: Path) -> list[Path]:
    """Audio files under ``root``, sorted."""
    return sorted(
        p for p in root.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file()
    )


def _changed_ns(path: Path) -> int:
    st = path.stat()
    return max(st.st_mtime_ns, st.st_ctime_ns)


def _first_tag(tags: object, name: str) -> str | None:
    try:
        values = tags[name]  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return None
    value = values[0] if isinstance(values, list) and values else values
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _readable(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 (held as surrogates) become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def file_ref(path: Path, source: str) -> TrackRef:
    """A local audio file as a track reference (``file://`` URL)."""
    artist = title = album = None
    duration: float | None = None
    try:
        audio = mutagen.File(path, easy=True)
    except (MutagenError, OSError) as exc:
        logger.debug("%s: cannot read tags of %s: %s", source, path, exc)
        audio = None
    if audio is not None:
        tags = audio.tags
        artist, title = _first_tag(tags, "artist"), _first_tag(tags, "title")
        album = _first_tag(tags, "album")
        length = getattr(audio.info, "length", None)
        duration = float(length) if length else None
    if not title:
        artist_from_name, title = split_artist_title(_readable(path.stem))
        artist = artist or artist_from_name
    url = path.resolve().as_uri()
    return TrackRef(
        source=source, artist=artist, title=title, album=album, duration=duration, url=url
    )


@dataclass(frozen=True)
class DirectoryConfig(FeedConfig):
    """A ``[[feeds]] type = "directory"`` table."""

    required: ClassVar[tuple[str, ...]] = ("path",)
    type: str = "directory"
    path: str = ""

    @property
    def key(self) -> str:
        """The feed's name in the queue, cursors, runs and logs."""
        return self.name or self.path


class DirectoryFeed:
    """A ``[[feeds]] type = "directory"`` feed."""

    def __init__(self, config: DirectoryConfig) -> None:
        self.config = config
        self.key = config.key
        self.root = Path(config.path).expanduser()
        self.what = f"directory feed {self.key!r}"

    def poll(self, store: Store, ctx: PollContext) -> dict[str, int]:
        """Offer the audio files added or changed since the last poll."""
        if not self.root.is_dir():
            raise SourceUnavailableError(
                f"{self.what}: {self.root} is not a directory: fix path in config.toml"
            )
        cursor_name = f"feed:{self.key}"
        since = int(store.get_cursor(cursor_name) or 0)
        changed = [(p, _changed_ns(p)) for p in audio_files(self.root)]
        changed = [(p, ns) for p, ns in changed if ns > since]
        result = store.add_feed_items(self.key, [file_ref(p, self.key) for p, _ in changed])
        if changed:
            store.set_cursor(cursor_name, str(max(ns for _, ns in changed)))
        return {"items": result.inserted, "duplicates": result.duplicates}


register(DirectoryFeed, DirectoryConfig)
