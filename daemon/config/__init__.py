"""config.toml: the dataclasses (``schema``), the loader that validates them (``load``),
the checks of how fields relate, such as two sources of one name (``relations``), where
the file is looked for (``locate``), its relative paths made relative to its folder
(``anchor``), the TOML dump (``dump``) and the configuration's error (``errors``).
"""

from __future__ import annotations

from daemon.config.dump import dump_config
from daemon.config.errors import ConfigError
from daemon.config.load import DEFAULT_CONFIG_PATH, load_config, parse_config
from daemon.config.locate import ConfigSearch, config_candidates, find_config
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
    WebConfig,
    bounded,
    choice,
    parse_listen,
    secret,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "EXPORT_FORMATS",
    "Config",
    "ConfigError",
    "ConfigSearch",
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
    "WebConfig",
    "bounded",
    "choice",
    "config_candidates",
    "dump_config",
    "find_config",
    "load_config",
    "parse_config",
    "parse_listen",
    "secret",
]
