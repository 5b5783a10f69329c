"""The source types: each source module registers its type, source class and config class.

A source module declares its config class with exactly the keys its type takes
and registers it here; :func:`config_schemas` hands those classes to the config
loader (as Mopidy's extensions give their schemas to its loader), which parses
each ``[[history]]`` and ``[[feeds]]`` table into the class of its ``type``.
Importing :mod:`daemon.sources` imports every source module, so the registry is
complete whenever this module can be reached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from daemon.config import FeedConfig, HistoryConfig, SourceSchemas

__all__ = ["SourceType", "config_schemas", "register", "source_type", "source_types"]

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


def source_types(array: str) -> dict[str, type[HistoryConfig] | type[FeedConfig]]:
    """``type`` -> config class of ``[[history]]`` or ``[[feeds]]``, in registration order."""
    return {name: entry.config for name, entry in _REGISTRY[array].items()}


def config_schemas() -> SourceSchemas:
    """Every registered type's config class, for the config loader (``sources=``)."""
    history = {
        n: e.config for n, e in _REGISTRY["history"].items() if issubclass(e.config, HistoryConfig)
    }
    feeds = {n: e.config for n, e in _REGISTRY["feeds"].items() if issubclass(e.config, FeedConfig)}
    return SourceSchemas(history=history, feeds=feeds)


def source_type(config: SourceConfig) -> SourceType:
    """The registered type of one config table."""
    array = "history" if isinstance(config, HistoryConfig) else "feeds"
    return _REGISTRY[array][config.type]
