"""The players' one error: MPD or a Subsonic server unreachable, refusing us or failing."""

from __future__ import annotations

from store import TastebudError

__all__ = ["PlayerError"]


class PlayerError(TastebudError):
    """A player (MPD, a Subsonic server) is unreachable, refuses us or fails a request."""
