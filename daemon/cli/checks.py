"""A ``tastebud doctor`` finding: :class:`Check`."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Check"]


@dataclass(frozen=True)
class Check:
    """One doctor finding: ok, or a problem with its fix."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    warning: bool = False
