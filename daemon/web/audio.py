"""A track's audio for the preview player: only files tastebud owns, whatever a path says.

Two folders hold them: the library folder (``[library] dir``; its manifest in the database
names each file) and the audio cache (``<cache>/audio/<track id>.<ext>``). A file is served
only when its real path (symlinks resolved) lies inside one of those folders and is a
regular file: a manifest entry or a link that points elsewhere is ignored.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Iterator
from pathlib import Path

from daemon.config import Config
from store import Store

__all__ = ["AUDIO_TYPES", "audio_file", "playable"]

AUDIO_TYPES = {
    ".opus": "audio/ogg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".mp3": "audio/mpeg",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".wav": "audio/wav",
    ".webm": "audio/webm",
}


def _cache(config: Config) -> Path:
    return config.cache_dir / "audio"


def _inside(path: Path, root: Path) -> Path | None:
    """``path`` resolved, when it is a regular file inside ``root`` (resolved); else None."""
    try:
        real, base = path.resolve(strict=True), root.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if real.is_relative_to(base) and real.is_file() and real.suffix.lower() in AUDIO_TYPES:
        return real
    return None


def _candidates(store: Store, config: Config, track_id: int) -> Iterator[tuple[Path, Path]]:
    """(path, the folder it must lie in) of each file that may hold the track's audio."""
    library = config.library_dir
    for entry in store.library_files():
        if entry.track_id == track_id:
            yield library / entry.path, library
    cache = _cache(config)
    if cache.is_dir():
        for path in sorted(cache.glob(f"{track_id}.*")):
            yield path, cache


def audio_file(store: Store, config: Config, track_id: int) -> tuple[Path, str] | None:
    """(the file, its media type) of a track's audio in the library or the cache, or None."""
    for path, root in _candidates(store, config, track_id):
        if (real := _inside(path, root)) is not None:
            kind = AUDIO_TYPES.get(real.suffix.lower()) or mimetypes.guess_type(real.name)[0]
            return real, kind or "application/octet-stream"
    return None


def playable(store: Store, config: Config, track_ids: Iterable[int]) -> set[int]:
    """Which of ``track_ids`` have audio to preview (library manifest or cache)."""
    wanted = set(track_ids)
    found = {f.track_id for f in store.library_files() if f.track_id in wanted}
    cache = _cache(config)
    if cache.is_dir():
        for path in cache.iterdir():
            stem = path.name.split(".", 1)[0]
            if stem.isdigit() and int(stem) in wanted and path.suffix.lower() in AUDIO_TYPES:
                found.add(int(stem))
    return found
