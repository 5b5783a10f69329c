"""What every source shares: the poll context (HTTP client, retry policy, clock) and
the :class:`Source` protocol."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from daemon import net
from daemon.config import Config
from store import Store

__all__ = ["ClientFactory", "PollContext", "Source"]

ClientFactory = Callable[[], net.Client]


@dataclass(frozen=True)
class PollContext:
    """What a source needs to poll: an HTTP client, the retry policy, the clock, and the
    network settings for what does not go through the client (yt-dlp's listing), and the
    whole config for a source that reads another table (``[subsonic]``, the other sources)."""

    client: net.Client
    policy: net.RetryPolicy = field(default_factory=net.RetryPolicy)
    now: Callable[[], float] = time.time
    proxy: str = ""
    socket_timeout_s: float = 30.0
    poll_deadline_s: float = 900.0  # a poll still running then is abandoned
    config: Config = field(default_factory=Config)

    def request(self, method: str, url: str, *, what: str, **kwargs: Any) -> httpx.Response:
        """:func:`daemon.net.request` with this context's client and policy."""
        return net.request(self.client, method, url, what=what, policy=self.policy, **kwargs)

    def get_json(self, url: str, *, what: str, **kwargs: Any) -> Any:
        """:func:`daemon.net.get_json` with this context's client and policy."""
        return net.get_json(self.client, url, what=what, policy=self.policy, **kwargs)


class Source(Protocol):
    """A history source or candidate feed: stores what is new, returns counts."""

    key: str

    def poll(self, store: Store, ctx: PollContext) -> dict[str, int]:
        """Fetch what is new since the stored cursor and store it; raise a SourceError."""
        ...
