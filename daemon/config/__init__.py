"""config.toml: the dataclasses (``schema``), the loader that validates them (``load``),
the TOML dump (``dump``) and the configuration's error (``errors``).
"""

from __future__ import annotations

from daemon.config.dump import dump_config
from daemon.config.errors import ConfigError
from daemon.config.load import DEFAULT_CONFIG_PATH, load_config, parse_config
from daemon.config.schema import (
    EXPORT_FORMATS,
    Config,
    DaemonConfig,
    DiscoverConfig,
    FeedConfig,
    FetchConfig,
    HistoryConfig,
    LibraryConfig,
    ModelConfig,
    MpdConfig,
    PlayerConfig,
    PlaylistConfig,
    QueueConfig,
    ScheduleConfig,
    Secret,
    SourceSchemas,
    StorageConfig,
    SubsonicConfig,
    bounded,
    choice,
    secret,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "EXPORT_FORMATS",
    "Config",
    "ConfigError",
    "DaemonConfig",
    "DiscoverConfig",
    "FeedConfig",
    "FetchConfig",
    "HistoryConfig",
    "LibraryConfig",
    "ModelConfig",
    "MpdConfig",
    "PlayerConfig",
    "PlaylistConfig",
    "QueueConfig",
    "ScheduleConfig",
    "Secret",
    "SourceSchemas",
    "StorageConfig",
    "SubsonicConfig",
    "bounded",
    "choice",
    "dump_config",
    "load_config",
    "parse_config",
    "secret",
]
