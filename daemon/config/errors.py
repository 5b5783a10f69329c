"""The configuration's one error."""

from __future__ import annotations

from store import TastebudError

__all__ = ["ConfigError"]


class ConfigError(TastebudError):
    """The configuration file is missing, unparsable or invalid."""
