"""Relative paths in a config file are relative to the file's folder, not to the working
directory: ``[storage] dir = "state"`` beside ``/srv/tastebud/config.toml`` is
``/srv/tastebud/state`` whichever directory tastebud runs in. A path starting ``~`` is the
home's; an absolute one stays."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, TypeVar

from daemon.config.schema import Config

__all__ = ["anchor_paths"]

_SOURCE_PATHS = ("path", "auth_file")  # the fields of [[history]] and [[feeds]] naming a file
T = TypeVar("T")


def _anchored(value: str, base: Path) -> str:
    if not value or value.startswith("~") or Path(value).is_absolute():
        return value
    return str(base / value)


def _with(obj: T, base: Path, fields: tuple[str, ...]) -> T:
    """``obj`` with each of its ``fields`` that holds a relative path anchored at ``base``;
    a field's type (a Secret, say) is kept."""
    changes: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name, None)
        if isinstance(value, str) and (anchored := _anchored(value, base)) != value:
            changes[name] = type(value)(anchored)
    return dataclasses.replace(obj, **changes) if changes else obj  # type: ignore[type-var]


def anchor_paths(config: Config) -> Config:
    """``config`` with its relative paths made relative to its file's folder."""
    if not config.path:
        return config
    base = Path(os.path.abspath(Path(config.path).expanduser())).parent  # "..": normalised
    return dataclasses.replace(
        config,
        storage=_with(config.storage, base, ("dir", "cache_dir")),
        library=_with(config.library, base, ("dir",)),
        fetch=_with(config.fetch, base, ("cookies_file",)),
        playlists=tuple(_with(p, base, ("path",)) for p in config.playlists),
        history=tuple(_with(h, base, _SOURCE_PATHS) for h in config.history),
        feeds=tuple(_with(f, base, _SOURCE_PATHS) for f in config.feeds),
    )
