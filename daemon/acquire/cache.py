"""The audio cache: ``<cache>/audio``, its partial downloads, and local ``file://`` tracks."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

from daemon.config import Config

__all__ = ["PARTIAL", "audio_dir", "local_path", "local_roots", "recover_cache"]

logger = logging.getLogger(__name__)

PARTIAL = ".partial"


def audio_dir(cache_dir: Path) -> Path:
    """Where fetched audio lives: ``<cache>/audio``."""
    return Path(cache_dir) / "audio"


def recover_cache(cache_dir: Path) -> int:
    """Remove partial downloads left by a crash; returns how many files went."""
    partial = audio_dir(cache_dir) / PARTIAL
    if not partial.is_dir():
        return 0
    count = sum(1 for p in partial.rglob("*") if p.is_file())
    shutil.rmtree(partial, ignore_errors=True)
    if count:
        logger.info("removed %d partial downloads from %s", count, partial)
    return count


def local_path(url: str) -> Path | None:
    """The file a ``file://`` URL names, else None."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    return Path(os.fsdecode(unquote_to_bytes(parts.path)))  # a name's bytes, UTF-8 or not


def local_roots(config: Config) -> list[Path]:
    """The folders whose files ``file://`` tracks may name: the directory feeds' paths
    (``path`` of a ``type = "directory"`` feed; the sources import this package)."""
    paths = [getattr(f, "path", "") for f in config.feeds if f.type == "directory"]
    return [Path(path).expanduser() for path in paths if path]
