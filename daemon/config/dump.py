"""The effective configuration written back as TOML, secrets redacted."""

from __future__ import annotations

import dataclasses
from typing import Any

from daemon.config.load import ARRAYS, TABLES
from daemon.config.schema import Config

__all__ = ["dump_config"]


def dump_config(config: Config, *, redact: bool = True) -> str:
    """The effective config as TOML; secrets become ``"***"`` unless ``redact`` is False."""
    lines: list[str] = []
    for name in TABLES:
        lines += [f"[{name}]", *_dump_fields(getattr(config, name), redact), ""]
    for name in ARRAYS:
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
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c.isprintable() else _toml_escape(c) for c in escaped)
    return f'"{escaped}"'
