"""Where the config file is looked for, and which one is read.

In order: ``--config PATH``, ``$TASTEBUD_CONFIG``, then the first that exists of
``./config.toml``, ``$XDG_CONFIG_HOME/tastebud/config.toml`` (``~/.config/tastebud``,
where the user unit keeps it) and ``/etc/tastebud/config.toml`` (the system unit's).
``tastebud doctor`` lists every place looked at.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from daemon.config.errors import ConfigError

__all__ = ["ConfigSearch", "config_candidates", "find_config"]


@dataclass(frozen=True)
class ConfigSearch:
    """The config file chosen, why, and every place looked at (path, whether it exists)."""

    path: Path
    why: str  # "--config", "$TASTEBUD_CONFIG" or "found"
    looked: tuple[tuple[Path, bool], ...] = ()

    def lines(self) -> list[str]:
        """Where it looked, one line each: ``config.toml: none``."""
        return [
            f"{path}: {'read' if path == self.path else 'found, not read' if exists else 'none'}"
            for path, exists in self.looked
        ]


def config_candidates(env: Mapping[str, str] | None = None) -> list[Path]:
    """The places looked at without ``--config`` or ``$TASTEBUD_CONFIG``, in order."""
    env = os.environ if env is None else env
    xdg = env.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return [
        Path("config.toml"),
        Path(xdg) / "tastebud" / "config.toml",
        Path("/etc/tastebud/config.toml"),
    ]


def find_config(explicit: Path | None, env: Mapping[str, str] | None = None) -> ConfigSearch:
    """The config file to read; a :class:`ConfigError` naming each place when there is none."""
    env = os.environ if env is None else env
    if explicit is not None:
        return ConfigSearch(Path(explicit), "--config")
    if value := env.get("TASTEBUD_CONFIG"):
        return ConfigSearch(Path(value), "$TASTEBUD_CONFIG")
    looked = tuple((path, path.is_file()) for path in config_candidates(env))
    found = next((path for path, exists in looked if exists), None)
    if found is None:
        places = ", ".join(str(path) for path, _ in looked)
        raise ConfigError(
            f"no config file: looked for {places}: copy config.toml from the tastebud "
            f"repository to {looked[1][0]} (then edit it), or pass --config PATH"
        )
    return ConfigSearch(found, "found", looked)
