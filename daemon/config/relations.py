"""What no single field of the config can check: how its fields relate."""

from __future__ import annotations

from typing import Any

from daemon.config.errors import ConfigError
from daemon.config.schema import Config, DiscoverConfig

__all__ = ["validate"]


def validate(config: Config, path: str) -> None:
    """What no single field can check: how fields relate."""
    if config.fetch.min_duration_s >= config.fetch.max_duration_s:
        raise ConfigError(f"{path}: fetch.min_duration_s must be below fetch.max_duration_s")
    _unique_names(config.history, "history", path)
    _unique_names(config.feeds, "feeds", path, reserved=DiscoverConfig.FEED)


def _unique_names(items: tuple[Any, ...], array: str, path: str, reserved: str = "") -> None:
    """Each source's name (its ``name``, or else made of its type and what it reads) is its
    cursor and run name: two sources of one array sharing it, or a feed taking the
    discovery feed's (``reserved``), would read each other's place."""
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        key = item.key
        if reserved and key == reserved:
            raise ConfigError(
                f'{path}: {array}[{i}] is named "{key}", the name of the discovery feed '
                f'([discover]): give it another name = "..."'
            )
        if key in seen:
            raise ConfigError(
                f'{path}: {array}[{i}] and {array}[{seen[key]}] are both named "{key}": '
                'give one a name = "..."'
            )
        seen[key] = i
