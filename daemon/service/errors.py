"""Why the daemon cannot start or run."""

from __future__ import annotations

from store import TastebudError

__all__ = ["AlreadyRunningError", "DaemonError"]


class DaemonError(TastebudError):
    """The daemon cannot start or run."""


class AlreadyRunningError(DaemonError):
    """Another tastebud daemon holds the state directory's lock."""
