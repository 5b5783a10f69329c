"""The source types: each source module registers its type, source class and config class.

``[[history]]`` and ``[[feeds]]`` tables are parsed into the config class
registered for their ``type``, and the config loader accepts exactly the
registered types (as Mopidy's ``ext.py`` extensions declare their own schema).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from daemon.config import FeedConfig, HistoryConfig

__all__ = ["SourceType", "register", "source_type", "source_types"]

SourceConfig = HistoryConfig | FeedConfig


@dataclass(frozen=True)
class SourceType:
    """One registered ``type``: the source it builds and the config class it parses into."""

    name: str
    array: str  # "history" or "feeds"
    source: Callable[[Any], Any]
    config: type[HistoryConfig] | type[FeedConfig]


_REGISTRY: dict[str, dict[str, SourceType]] = {"history": {}, "feeds": {}}


def register(source: Callable[[Any], Any], config: type[SourceConfig]) -> None:
    """Register ``config``'s type (the default of its ``type`` field) as built by ``source``."""
    array = "history" if issubclass(config, HistoryConfig) else "feeds"
    name = str(config.__dataclass_fields__["type"].default)
    _REGISTRY[array][name] = SourceType(name, array, source, config)


def _registered(array: str) -> dict[str, SourceType]:
    importlib.import_module("daemon.sources")  # its modules register themselves on import
    return _REGISTRY[array]


def source_types(array: str) -> dict[str, type[HistoryConfig] | type[FeedConfig]]:
    """``type`` -> config class of ``[[history]]`` or ``[[feeds]]``, in registration order."""
    return {name: entry.config for name, entry in _registered(array).items()}


def source_type(config: SourceConfig) -> SourceType:
    """The registered type of one config table."""
    array = "history" if isinstance(config, HistoryConfig) else "feeds"
    return _registered(array)[config.type]
