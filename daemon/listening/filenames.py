"""File names that are safe on every filesystem (ext4, NTFS, FAT, SMB shares, macOS)."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_NAME_BYTES", "library_relpath", "safe_name"]

MAX_NAME_BYTES = 120  # well under the 255-byte limit, leaving room for the extension
_FORBIDDEN = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(10)),
    *(f"LPT{i}" for i in range(10)),
}


def safe_name(text: str | None, fallback: str = "Unknown") -> str:
    """One path component: NFC, ``/\\:*?"<>|`` and control characters replaced by ``_``,
    no leading or trailing dots and spaces, no reserved Windows name, at most
    :data:`MAX_NAME_BYTES` bytes of UTF-8."""
    name = _FORBIDDEN.sub("_", unicodedata.normalize("NFC", text or ""))
    name = " ".join(name.split())
    name = _truncate(name, MAX_NAME_BYTES).strip(" .")
    if not name:
        return fallback
    if name.split(".")[0].upper() in _RESERVED:
        name = f"_{name}"
    return name


def _truncate(name: str, limit: int) -> str:
    encoded = name.encode("utf-8")
    if len(encoded) <= limit:
        return name
    return encoded[:limit].decode("utf-8", errors="ignore")


def library_relpath(artist: str | None, title: str | None, ext: str, track_id: int) -> str:
    """``<Artist>/<Artist> - <Title>.<ext>``; the track id stands in for a missing title."""
    folder = safe_name(artist)
    stem = safe_name(f"{folder} - {title}" if title else f"{folder} - track {track_id}")
    return f"{folder}/{stem}.{ext}"
