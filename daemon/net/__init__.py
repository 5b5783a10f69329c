"""Talking HTTP politely: the client factory (``client``), requests that retry and pace
(``retry``), per-host spacing (``pacing``) and the errors of a remote source (``errors``).

Every request tastebud makes to a web API goes through :func:`make_client` and
:func:`request`; downloads are spaced by a :class:`HostThrottle`.
"""

from __future__ import annotations

from daemon.net.client import PROJECT_URL, USER_AGENT, Client, make_client
from daemon.net.errors import (
    MalformedPayloadError,
    RateLimitedError,
    SourceAuthError,
    SourceError,
    SourceUnavailableError,
)
from daemon.net.pacing import HostThrottle, Pacer, Pacing, Spacing
from daemon.net.retry import (
    RetryPolicy,
    check_status,
    decode_json,
    get_json,
    request,
    retry_after,
)

__all__ = [
    "PROJECT_URL",
    "USER_AGENT",
    "Client",
    "HostThrottle",
    "MalformedPayloadError",
    "Pacer",
    "Pacing",
    "RateLimitedError",
    "RetryPolicy",
    "SourceAuthError",
    "SourceError",
    "SourceUnavailableError",
    "Spacing",
    "check_status",
    "decode_json",
    "get_json",
    "make_client",
    "request",
    "retry_after",
]
