"""Talking HTTP politely: the client factory (``client``), requests that retry and pace
(``retry``), per-host spacing (``pacing``), answers read within a byte limit and a deadline
and JSON parsed within a depth limit (``bounded``) and the errors of a remote source
(``errors``).

Every request tastebud makes to a web API goes through :func:`make_client` and
:func:`request`; downloads are spaced by a :class:`HostThrottle`.
"""

from __future__ import annotations

from daemon.net.bounded import (
    MAX_JSON_DEPTH,
    AnswerTooLargeError,
    DeadlineExceededError,
    JsonTooDeepError,
    json_depth,
    loads,
    read_bounded,
)
from daemon.net.client import PROJECT_URL, USER_AGENT, Client, client_for, make_client
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
    "MAX_JSON_DEPTH",
    "PROJECT_URL",
    "USER_AGENT",
    "AnswerTooLargeError",
    "Client",
    "DeadlineExceededError",
    "HostThrottle",
    "JsonTooDeepError",
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
    "client_for",
    "decode_json",
    "get_json",
    "json_depth",
    "loads",
    "make_client",
    "read_bounded",
    "request",
    "retry_after",
]
