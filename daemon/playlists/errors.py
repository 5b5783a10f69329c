"""The playlists' one error."""

from __future__ import annotations

from store import TastebudError

__all__ = ["ExportError"]


class ExportError(TastebudError):
    """A playlist could not be written or read."""
