"""Politeness: per-host spacing of requests and downloads, shared by the threads that
hold one :class:`Pacer` (an HTTP client's, or a :class:`HostThrottle`'s)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["HostThrottle", "Pacer", "Pacing", "Spacing"]


class Pacing(Protocol):
    """What a :class:`Pacer` needs of a policy: the spacing, a sleep and a clock."""

    @property
    def min_interval_s(self) -> float:
        """Seconds between two requests to one host."""
        ...

    @property
    def sleep(self) -> Callable[[float], None]:
        """How to wait."""
        ...

    @property
    def clock(self) -> Callable[[], float]:
        """Monotonic time."""
        ...


@dataclass(frozen=True)
class Spacing:
    """A plain :class:`Pacing`: ``min_interval_s`` between requests to one host."""

    min_interval_s: float
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)


class Pacer:
    """Per-host spacing of requests, shared by every thread that holds it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}

    def wait(self, host: str, policy: Pacing) -> float:
        """Sleep until ``host`` may be asked again, then book the next slot; returns the
        seconds slept."""
        with self._lock:
            now = policy.clock()
            start = max(now, self._next.get(host, now))
            self._next[host] = start + policy.min_interval_s
        if start > now:
            policy.sleep(start - now)
        return start - now

    def hold(self, host: str, seconds: float, policy: Pacing) -> None:
        """Ask nothing of ``host`` for ``seconds`` (its rate-limit window is spent)."""
        with self._lock:
            until = policy.clock() + seconds
            self._next[host] = max(self._next.get(host, until), until)


class HostThrottle:
    """At least ``delay_s`` seconds between the starts of two downloads from one host:
    a :class:`Pacer` of its own, spaced by the fetch delay."""

    def __init__(self, delay_s: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.delay_s = delay_s
        self._spacing = Spacing(min_interval_s=delay_s, sleep=sleep)
        self._pacer = Pacer()

    def wait(self, host: str) -> float:
        """Block until ``host`` may be asked again; returns the seconds waited."""
        return self._pacer.wait(host, self._spacing)
