"""The players' error (MPD or a Subsonic server unreachable, refusing us or failing) and
the library folder's (its disk full or unwritable)."""

from __future__ import annotations

from store import TastebudError

__all__ = ["LibraryWriteError", "PlayerError"]


class PlayerError(TastebudError):
    """A player (MPD, a Subsonic server) is unreachable, refuses us or fails a request."""


class LibraryWriteError(TastebudError):
    """The library folder could not be written (its disk is full, say): what was written
    stays, the cache is still purged, and the next cycle tries again."""
