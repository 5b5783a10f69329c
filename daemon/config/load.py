"""config.toml, parsed once into frozen dataclasses with defaults in code.

An unknown key is an error naming the file, the key and the closest known key;
a wrong type names the expected type. A file over :data:`MAX_CONFIG_BYTES` is refused
unread, and every number has a range (:data:`NUMBER_CEILING` where its field gives no
upper end), the same for a ``SIGHUP`` reload. Secrets (tokens, API keys, the cookies
file) may come from the TOML, from an environment variable
``TASTEBUD_<NAME>_<FIELD>``, or from a file ``<NAME>_<FIELD>`` in
``$CREDENTIALS_DIRECTORY`` (systemd ``LoadCredential=``); they are never printed.

``[[history]]`` and ``[[feeds]]`` tables are parsed into the config class of their
``type``, which the caller passes (``sources``: the sources' registry, as Mopidy's
loader is given its extensions' schemas); a key another type takes is unknown here.
What a field may hold is declared on it (:mod:`daemon.config.schema`'s ``bounded``,
``choice``, ``checked``, ``secret``, and a type's ``required`` keys) and checked here.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import math
import operator
import os
import re
import tomllib
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from daemon.config.anchor import anchor_paths
from daemon.config.errors import ConfigError
from daemon.config.relations import validate
from daemon.config.schema import (
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
)

__all__ = ["ARRAYS", "DEFAULT_CONFIG_PATH", "TABLES", "load_config", "parse_config"]

DEFAULT_CONFIG_PATH = Path("config.toml")
MAX_CONFIG_BYTES = 1 << 20
SOURCE_ARRAYS = ("history", "feeds")  # their item classes come from ``sources``

TABLES: dict[str, Any] = {
    "storage": StorageConfig,
    "fetch": FetchConfig,
    "model": ModelConfig,
    "schedule": ScheduleConfig,
    "queue": QueueConfig,
    "player": PlayerConfig,
    "daemon": DaemonConfig,
    "library": LibraryConfig,
    "mpd": MpdConfig,
    "subsonic": SubsonicConfig,
    "web": WebConfig,
    "discover": DiscoverConfig,
}
ARRAYS: dict[str, Any] = {
    "history": HistoryConfig,
    "feeds": FeedConfig,
    "playlists": PlaylistConfig,
}

logger = logging.getLogger(__name__)


def load_config(path: Path | str, *, sources: SourceSchemas | None = None) -> Config:
    """Read and validate a config file; ``sources`` gives the source types' config classes
    (without it, a ``[[history]]`` or ``[[feeds]]`` table is an error). Its relative paths
    are relative to its folder."""
    path = Path(path).expanduser()
    try:
        with path.open("rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)  # /dev/zero or a huge file: read no further
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"{path}: larger than {MAX_CONFIG_BYTES >> 20} MB: not a config file; "
                "pass --config PATH/config.toml"
            )
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found: copy config.toml from the tastebud repository "
            "or pass --config PATH"
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            f"{path}: is a directory, not a config file: pass --config PATH/config.toml"
        ) from None
    except PermissionError:
        raise ConfigError(
            f"{path}: cannot read config file: permission denied: let this user read it "
            "(chgrp/chmod) or pass --config PATH"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read config file: {exc.strerror}: fix the file or pass --config PATH"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}):"
            " save the file as UTF-8"
        ) from None
    return anchor_paths(parse_config(text, str(path), sources=sources))


def parse_config(
    text: str, path: str = "config.toml", *, sources: SourceSchemas | None = None
) -> Config:
    """Parse config text; errors name ``path``; ``sources`` as for :func:`load_config`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}: fix that line") from None
    _check_keys(data, [*TABLES, *ARRAYS], path, "")
    values: dict[str, Any] = {"path": path}
    for name, cls in TABLES.items():
        values[name] = _build(cls, _table(data, name, path), path, name)
    for name, cls in ARRAYS.items():
        items = enumerate(_array(data, name, path))
        values[name] = tuple(_build_item(name, cls, item, path, i, sources) for i, item in items)
    config = Config(**values)
    validate(config, path)
    return config


def _build_item(
    array: str, base: Any, item: dict[str, Any], path: str, i: int, sources: SourceSchemas | None
) -> Any:
    """One item of an array of tables; a ``[[history]]`` or ``[[feeds]]`` item as the config
    class of its ``type``, which takes only that type's keys."""
    where = f"{array}[{i}]"
    if array not in SOURCE_ARRAYS:
        return _build(base, item, path, where)
    if sources is None:
        raise ConfigError(
            f"{path}: {where} cannot be read: the config was loaded without the source types "
            "(a bug: the caller must pass sources=daemon.sources.config_schemas())"
        )
    types: Mapping[str, Any] = getattr(sources, array)
    kind = item.get("type")
    if not isinstance(kind, str):
        hint = 'type = "..."' if kind is None else f"type to be a string, not {_type_name(kind)}"
        raise ConfigError(f"{path}: {where} needs {hint}: one of {', '.join(types)}")
    _one_of(kind, tuple(types), path, f"{where}.type")
    others = {name: cls for name, cls in types.items() if name != kind}
    return _build(types[kind], item, path, where, others=others)


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


RETIRED = {
    "model.promote_tolerance": "the judge now compares models with a bootstrap interval",
}
"""Keys older versions accepted: ignored with a warning, so an old config keeps working."""

RENAMED = {
    "playlists.min_score": "min_standing",
}
"""Keys older versions spelled otherwise (by table, array index left out): read under the
new name with a warning."""


def _check_keys(data: dict[str, Any], known: list[str], path: str, where: str) -> None:
    for key in list(data):
        table = re.sub(r"\[\d+\]$", "", where)
        if (why := RETIRED.get(f"{where}.{key}")) is not None:
            logger.warning("%s: [%s] %s is no longer used (%s); remove it", path, where, key, why)
            del data[key]
        elif (new := RENAMED.get(f"{table}.{key}")) is not None and new not in data:
            logger.warning("%s: %s.%s is now called %s; rename it", path, where, key, new)
            data[new] = data.pop(key)
        elif key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
            place = f"{where}." if where else ""
            raise ConfigError(f"{path}: unknown key '{place}{key}'{hint}")


def _check_source_keys(
    data: dict[str, Any], cls: Any, others: Mapping[str, Any], path: str, where: str
) -> None:
    """The keys of a source table: those of its type; another type's key names that type."""
    known = [f.name for f in dataclasses.fields(cls)]
    kind = data["type"]
    for key in data:
        if key in known:
            continue
        owners = [name for name, other in others.items() if key in _field_names(other)]
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
        listed = f"known keys for {kind}: {', '.join(known)}"
        if owners:
            hint = f": {key} is a key of type {' and '.join(owners)}; {listed}"
        else:
            hint = f"; did you mean '{close[0]}'?" if close else f"; {listed}"
        raise ConfigError(f"{path}: unknown key '{where}.{key}' for type = \"{kind}\"{hint}")


def _field_names(cls: Any) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def _build(
    cls: Any,
    data: dict[str, Any],
    path: str,
    where: str,
    *,
    others: Mapping[str, Any] | None = None,
) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if others is None:
        _check_keys(data, list(fields), path, where)
    else:
        _check_source_keys(data, cls, others, path, where)
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name in data:
            values[name] = _coerce(data[name], hints[name], path, f"{where}.{name}")
            _check_field(values[name], f.metadata, path, f"{where}.{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{path}: {where} needs the key '{name}'")
    built = _fill_secrets(cls(**values), where)
    for key in getattr(cls, "required", ()):
        if not getattr(built, key):
            raise ConfigError(f'{path}: {where} ({built.type}) needs {key} = "..."')
    return built


def _coerce(value: Any, hint: Any, path: str, where: str) -> Any:
    if hint is Secret:
        hint = str
    if hint == tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(
                f'{path}: {where} must be an array of strings, like ["mpv", "--no-video"], '
                f"not {_type_name(value)} ({value!r})"
            )
        return tuple(value)
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
        if hint is float and not math.isfinite(value):
            raise ConfigError(f"{path}: {where} must be a finite number, not {value}")
        return float(value) if hint is float else value
    raise ConfigError(f"{path}: {where} has an unsupported type")  # pragma: no cover


NUMBER_CEILING = 1e9  # what no setting needs: a duration of 30 years, a count of 10^9
_LIMITS: dict[str, tuple[str, Callable[[Any, Any], bool]]] = {
    "above": ("greater than", operator.gt),
    "at_least": ("at least", operator.ge),
    "at_most": ("at most", operator.le),
}


def _check_field(value: Any, metadata: Mapping[str, Any], path: str, where: str) -> None:
    """Hold a value to what its field declares: a range, choices, a check."""
    _check_range(value, metadata, path, where)
    if (choices := metadata.get("choices")) is not None:
        _one_of(value.upper() if metadata.get("ignore_case") else value, choices, path, where)
    if (check := metadata.get("check")) is not None and (problem := check(value)):
        raise ConfigError(f"{path}: {where} = {value!r} {problem}")


def _check_range(value: Any, limits: Mapping[str, Any], path: str, where: str) -> None:
    """Hold a number within its field's ``above`` / ``at_least`` / ``at_most`` metadata,
    and every number at most :data:`NUMBER_CEILING`."""
    if _is_number(value) and "at_most" not in limits:
        limits = {**limits, "at_most": NUMBER_CEILING}
    bounds = [(word, op, limits[key]) for key, (word, op) in _LIMITS.items() if key in limits]
    if all(op(value, bound) for _, op, bound in bounds):
        return
    wanted = " and ".join(f"{word} {bound:g}" for word, _, bound in bounds)
    note = f" ({limits['note']})" if "note" in limits else ""
    raise ConfigError(f"{path}: {where} = {value!r} is out of range: it must be {wanted}{note}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


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
        try:
            return file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise ConfigError(
                f"{file}: cannot read credential ({reason}): rewrite it as UTF-8 text "
                "readable by this user"
            ) from None
    return ""


def _one_of(value: str, allowed: tuple[str, ...], path: str, where: str) -> None:
    if value not in allowed:
        close = difflib.get_close_matches(value, allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ConfigError(f"{path}: {where} = '{value}' must be one of {', '.join(allowed)}{hint}")
