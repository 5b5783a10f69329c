"""config.toml: the dataclasses, the loader that validates them, and the TOML dump."""

from __future__ import annotations

from daemon.config.dump import dump_config
from daemon.config.load import DEFAULT_CONFIG_PATH, load_config, parse_config
from daemon.config.schema import (
    EXPORT_FORMATS,
    Config,
    DaemonConfig,
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
    StorageConfig,
    SubsonicConfig,
    WebConfig,
    parse_listen,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "EXPORT_FORMATS",
    "Config",
    "DaemonConfig",
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
    "StorageConfig",
    "SubsonicConfig",
    "WebConfig",
    "dump_config",
    "load_config",
    "parse_config",
    "parse_listen",
]
