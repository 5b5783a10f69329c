"""Package surfaces that import their modules on first use (PEP 562).

Importing ``classifier`` (for :class:`ModelConfig`, say) or ``daemon.acquire`` (for an
error class) must not import torch, yt-dlp or PyAV: the dashboard and every short command
would pay seconds for it, and more while the daemon keeps the CPUs busy. A package's
``__getattr__`` made here imports the module that defines a name when the name is first
looked up. It lives in the bottom layer so that every package's surface can use it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_getattr"]


def lazy_getattr(
    package: str, where: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """A module ``__getattr__``: ``where[name]`` is the module (relative to ``package``)
    that defines ``name``; the value is cached in ``namespace`` once imported."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return __getattr__
