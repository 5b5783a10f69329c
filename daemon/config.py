"""config.toml, parsed once into frozen dataclasses with defaults in code.

An unknown key is an error naming the file, the key and the closest known key;
a wrong type names the expected type. Secrets (tokens, API keys, the cookies
file) may come from the TOML, from an environment variable
``TASTEBUD_<NAME>_<FIELD>``, or from a file ``<NAME>_<FIELD>`` in
``$CREDENTIALS_DIRECTORY`` (systemd ``LoadCredential=``); they are never printed.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier.config import ModelConfig
from store.errors import ConfigError

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "Config",
    "DaemonConfig",
    "FeedConfig",
    "FetchConfig",
    "HistoryConfig",
    "ModelConfig",
    "PlaylistConfig",
    "QueueConfig",
    "ScheduleConfig",
    "Secret",
    "StorageConfig",
    "dump_config",
    "load_config",
    "parse_config",
]

DEFAULT_CONFIG_PATH = Path("config.toml")
HISTORY_TYPES = ("listenbrainz", "lastfm", "ytmusic", "takeout", "listenbrainz-export")
FEED_TYPES = ("url", "listenbrainz-recommendations", "directory")
EXPORT_FORMATS = ("m3u8", "xspf", "csv", "json", "jspf")


class Secret(str):
    """A string that never shows itself in repr() or logs."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('***')" if self else "Secret('')"


_SECRET = {"secret": True}


@dataclass(frozen=True)
class StorageConfig:
    """Where tastebud keeps its database, audio cache and checkpoints."""

    dir: str = ""
    cache_dir: str = ""
    backup: bool = False


@dataclass(frozen=True)
class HistoryConfig:
    """One listening-history source (``[[history]]``)."""

    type: str
    name: str = ""
    user: str = ""
    url: str = ""
    path: str = ""
    token: Secret = field(default=Secret(""), metadata=_SECRET)
    api_key: Secret = field(default=Secret(""), metadata=_SECRET)
    auth_file: str = ""
    include_youtube: bool = False
    feedback: bool = True
    push_feedback: bool = False
    page_size: int = 100
    overlap_s: int = 3600

    @property
    def key(self) -> str:
        """The source's name in cursors, runs and logs."""
        return self.name or (f"{self.type}:{self.user}" if self.user else self.type)


@dataclass(frozen=True)
class FeedConfig:
    """One candidate feed (``[[feeds]]``)."""

    type: str
    name: str = ""
    url: str = ""
    user: str = ""
    path: str = ""
    api_url: str = ""
    token: Secret = field(default=Secret(""), metadata=_SECRET)
    max_items: int = 50

    @property
    def key(self) -> str:
        """The feed's name in the queue, cursors, runs and logs."""
        return self.name or self.url or self.path or f"{self.type}:{self.user}"


@dataclass(frozen=True)
class FetchConfig:
    """Downloading and decoding audio (``[fetch]``)."""

    min_duration_s: float = 60.0
    max_duration_s: float = 720.0
    max_filesize_mb: float = 200.0
    keep_audio: bool = False
    format: str = "bestaudio/best"
    search: str = "ytsearch5"
    min_match_confidence: float = 0.6
    duration_tolerance_s: float = 20.0
    host_delay_s: float = 5.0
    sleep_requests_s: float = 1.0
    concurrency: int = 1
    batch_size: int = 20
    max_attempts: int = 6
    retry_base_s: float = 900.0
    bot_retry_s: float = 6 * 3600.0
    socket_timeout_s: float = 30.0
    cookies_file: Secret = field(default=Secret(""), metadata=_SECRET)
    proxy: str = ""


@dataclass(frozen=True)
class ScheduleConfig:
    """Job intervals (``[schedule]``)."""

    history_minutes: float = 30.0
    feeds_minutes: float = 180.0
    fetch_minutes: float = 5.0
    train_minutes: float = 360.0
    playlists_minutes: float = 60.0
    maintenance_hours: float = 24.0
    misfire_grace_s: int = 600
    shutdown_timeout_s: float = 30.0


@dataclass(frozen=True)
class QueueConfig:
    """Queue ranking (``[queue]``)."""

    per_artist: int = 2
    window: int = 50


@dataclass(frozen=True)
class PlaylistConfig:
    """A playlist file the daemon keeps up to date (``[[playlists]]``)."""

    name: str
    format: str = "m3u8"
    path: str = ""
    limit: int = 50
    min_score: float = 0.0


@dataclass(frozen=True)
class DaemonConfig:
    """Process settings (``[daemon]``)."""

    log_level: str = "INFO"


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    path: str = ""
    storage: StorageConfig = field(default_factory=StorageConfig)
    history: tuple[HistoryConfig, ...] = ()
    feeds: tuple[FeedConfig, ...] = ()
    fetch: FetchConfig = field(default_factory=FetchConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    queue: QueueConfig = field(default_factory=QueueConfig)
    playlists: tuple[PlaylistConfig, ...] = ()
    daemon: DaemonConfig = field(default_factory=DaemonConfig)

    @property
    def state_dir(self) -> Path:
        """``[storage] dir``, else ``$STATE_DIRECTORY`` (systemd), else ~/.local/share/tastebud."""
        if self.storage.dir:
            return Path(self.storage.dir).expanduser()
        if env := os.environ.get("STATE_DIRECTORY"):
            return Path(env.split(":")[0])
        return Path("~/.local/share/tastebud").expanduser()

    @property
    def cache_dir(self) -> Path:
        """``[storage] cache_dir``, else ``$CACHE_DIRECTORY``, else ``<state dir>/cache``."""
        if self.storage.cache_dir:
            return Path(self.storage.cache_dir).expanduser()
        if env := os.environ.get("CACHE_DIRECTORY"):
            return Path(env.split(":")[0])
        return self.state_dir / "cache"

    @property
    def db_path(self) -> Path:
        """The SQLite database file."""
        return self.state_dir / "tastebud.db"

    @property
    def checkpoint_dir(self) -> Path:
        """Where model checkpoints are written."""
        return self.state_dir / "models"


# -- parsing ---------------------------------------------------------------------------------

_TABLES: dict[str, Any] = {
    "storage": StorageConfig,
    "fetch": FetchConfig,
    "model": ModelConfig,
    "schedule": ScheduleConfig,
    "queue": QueueConfig,
    "daemon": DaemonConfig,
}
_ARRAYS: dict[str, Any] = {
    "history": HistoryConfig,
    "feeds": FeedConfig,
    "playlists": PlaylistConfig,
}


def load_config(path: Path | str) -> Config:
    """Read and validate a config file."""
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found: copy config.toml from the tastebud repository "
            "or pass --config PATH"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    return parse_config(text, str(path))


def parse_config(text: str, path: str = "config.toml") -> Config:
    """Parse config text; errors name ``path``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    _check_keys(data, [*_TABLES, *_ARRAYS], path, "")
    values: dict[str, Any] = {"path": path}
    for name, cls in _TABLES.items():
        values[name] = _build(cls, _table(data, name, path), path, name)
    for name, cls in _ARRAYS.items():
        items = enumerate(_array(data, name, path))
        values[name] = tuple(_build(cls, item, path, f"{name}[{i}]") for i, item in items)
    config = Config(**values)
    _validate(config, path)
    return config


def _table(data: dict[str, Any], name: str, path: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{name}] must be a table, not {_type_name(value)}")
    return value


def _array(data: dict[str, Any], name: str, path: str) -> list[dict[str, Any]]:
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{path}: {name} must be an array of tables, written [[{name}]]")
    return value


def _check_keys(data: dict[str, Any], known: list[str], path: str, where: str) -> None:
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
            place = f"{where}." if where else ""
            raise ConfigError(f"{path}: unknown key '{place}{key}'{hint}")


def _build(cls: Any, data: dict[str, Any], path: str, where: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    _check_keys(data, list(fields), path, where)
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name in data:
            values[name] = _coerce(data[name], hints[name], path, f"{where}.{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{path}: {where} needs the key '{name}'")
    built = cls(**values)
    return _fill_secrets(built, where)


def _coerce(value: Any, hint: Any, path: str, where: str) -> Any:
    if hint is Secret:
        hint = str
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, int | float) and not isinstance(value, bool),
        str: isinstance(value, str),
    }
    if hint in ok:
        if not ok[hint]:
            raise ConfigError(
                f"{path}: {where} must be {_type_name(hint)}, not {_type_name(value)} ({value!r})"
            )
        return float(value) if hint is float else value
    raise ConfigError(f"{path}: {where} has an unsupported type")  # pragma: no cover


def _type_name(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    if isinstance(value, type):
        return names.get(value, value.__name__)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return names.get(type(value), type(value).__name__)


def _credential_name(where: str, name: str, obj: Any) -> str:
    base = getattr(obj, "name", "") or getattr(obj, "type", "") or where
    return re.sub(r"[^A-Za-z0-9]+", "_", f"{base}_{name}").strip("_").lower()


def _fill_secrets(obj: Any, where: str) -> Any:
    """Fill empty secret fields from the environment or the credentials directory."""
    updates: dict[str, Secret] = {}
    for f in dataclasses.fields(obj):
        if not f.metadata.get("secret") or getattr(obj, f.name):
            continue
        cred = _credential_name(where.split("[")[0], f.name, obj)
        if value := _lookup_secret(cred):
            updates[f.name] = Secret(value)
    for f in dataclasses.fields(obj):
        if f.metadata.get("secret") and f.name not in updates:
            updates[f.name] = Secret(getattr(obj, f.name))
    return dataclasses.replace(obj, **updates)


def _lookup_secret(cred: str) -> str:
    if env := os.environ.get(f"TASTEBUD_{cred.upper()}"):
        return env.strip()
    directory = os.environ.get("CREDENTIALS_DIRECTORY")
    if directory and (file := Path(directory) / cred).is_file():
        return file.read_text(encoding="utf-8").strip()
    return ""


def _validate(config: Config, path: str) -> None:
    for i, h in enumerate(config.history):
        _one_of(h.type, HISTORY_TYPES, path, f"history[{i}].type")
        if h.type in ("listenbrainz", "lastfm") and not h.user:
            raise ConfigError(f'{path}: history[{i}] ({h.type}) needs user = "..."')
        if h.type in ("takeout", "listenbrainz-export") and not h.path:
            raise ConfigError(f'{path}: history[{i}] ({h.type}) needs path = "..."')
    for i, f in enumerate(config.feeds):
        _one_of(f.type, FEED_TYPES, path, f"feeds[{i}].type")
        needed = {"url": "url", "directory": "path", "listenbrainz-recommendations": "user"}
        if not getattr(f, needed[f.type]):
            raise ConfigError(f'{path}: feeds[{i}] ({f.type}) needs {needed[f.type]} = "..."')
    for i, p in enumerate(config.playlists):
        _one_of(p.format, EXPORT_FORMATS, path, f"playlists[{i}].format")
    _one_of(
        config.daemon.log_level.upper(),
        ("DEBUG", "INFO", "WARNING", "ERROR"),
        path,
        "daemon.log_level",
    )
    _positive(config, path)


def _one_of(value: str, allowed: tuple[str, ...], path: str, where: str) -> None:
    if value not in allowed:
        close = difflib.get_close_matches(value, allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ConfigError(f"{path}: {where} = '{value}' must be one of {', '.join(allowed)}{hint}")


def _positive(config: Config, path: str) -> None:
    checks = {
        "fetch.batch_size": config.fetch.batch_size,
        "fetch.concurrency": config.fetch.concurrency,
        "model.patches": config.model.patches,
        "model.half_life_days": config.model.half_life_days,
        "schedule.fetch_minutes": config.schedule.fetch_minutes,
        "schedule.history_minutes": config.schedule.history_minutes,
        "schedule.feeds_minutes": config.schedule.feeds_minutes,
        "schedule.train_minutes": config.schedule.train_minutes,
    }
    for where, value in checks.items():
        if value <= 0:
            raise ConfigError(f"{path}: {where} must be greater than 0, not {value}")
    if config.fetch.min_duration_s >= config.fetch.max_duration_s:
        raise ConfigError(f"{path}: fetch.min_duration_s must be below fetch.max_duration_s")


# -- dumping ---------------------------------------------------------------------------------


def dump_config(config: Config, *, redact: bool = True) -> str:
    """The effective config as TOML; secrets become ``"***"`` unless ``redact`` is False."""
    lines: list[str] = []
    for name in _TABLES:
        lines += [f"[{name}]", *_dump_fields(getattr(config, name), redact), ""]
    for name in _ARRAYS:
        for item in getattr(config, name):
            lines += [f"[[{name}]]", *_dump_fields(item, redact), ""]
    return "\n".join(lines)


def _dump_fields(obj: Any, redact: bool) -> list[str]:
    out = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.metadata.get("secret") and redact:
            value = "***" if value else ""
        out.append(f"{f.name} = {_toml_value(value)}")
    return out


def _toml_escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c.isprintable() else _toml_escape(c) for c in escaped)
    return f'"{escaped}"'
