"""Requests that retry and pace: 429 and 5xx retried honouring ``Retry-After`` and
ListenBrainz's ``X-RateLimit-*`` headers, at most one request per ``min_interval_s`` to one
host (the client's :class:`~daemon.net.pacing.Pacer`), 4xx and bad JSON turned into
:class:`~daemon.net.errors.SourceError`. Tests pass a :class:`RetryPolicy` with tiny waits.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from daemon.net.bounded import AnswerTooLargeError, DeadlineExceededError, loads
from daemon.net.client import Client
from daemon.net.errors import (
    MalformedPayloadError,
    RateLimitedError,
    SourceAuthError,
    SourceError,
    SourceUnavailableError,
)
from daemon.net.pacing import Pacer
from daemon.redact import redact

__all__ = [
    "RetryPolicy",
    "check_status",
    "decode_json",
    "get_json",
    "request",
    "retry_after",
]

logger = logging.getLogger(__name__)

# httpx logs every request URL at INFO (and httpcore its traffic at DEBUG): URLs may carry
# API keys, and failures are reported by :func:`request` anyway.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)


@dataclass(frozen=True)
class RetryPolicy:
    """How :func:`request` retries and paces; every wait goes through ``sleep``."""

    attempts: int = 4
    backoff_s: float = 2.0
    max_wait_s: float = 300.0
    min_interval_s: float = 1.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)


def retry_after(response: httpx.Response, *, now: float | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP date) or ``X-RateLimit-Reset-In``."""
    value = response.headers.get("Retry-After")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - (now if now is not None else time.time()))
    reset = response.headers.get("X-RateLimit-Reset-In")
    if reset and reset.strip().isdigit():
        return float(reset)
    return None


def request(
    client: Client,
    method: str,
    url: str,
    *,
    what: str,
    policy: RetryPolicy | None = None,
    pacer: Pacer | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request, retrying 429, 5xx and network errors; return any other response.

    ``what`` names the source in log lines and errors. Gives up with
    :class:`RateLimitedError` or :class:`SourceUnavailableError`.
    """
    policy = policy or RetryPolicy()
    pacer = pacer or client.pacer
    host = httpx.URL(url).host
    for attempt in range(1, policy.attempts + 1):
        pacer.wait(host, policy)
        try:
            response = client.request(method, url, **kwargs)
        except (AnswerTooLargeError, DeadlineExceededError) as exc:
            raise type(exc)(f"{what}: {exc}") from None  # not retried: it would do the same
        except httpx.TransportError as exc:
            _give_up_or_sleep(attempt, None, policy, what, redact(f"network error: {exc}"))
            continue
        _note_rate_limit(response, host, policy, pacer)
        if response.status_code != 429 and response.status_code < 500:
            return response
        wait = retry_after(response)
        _give_up_or_sleep(attempt, wait, policy, what, f"HTTP {response.status_code}")
    raise AssertionError("unreachable")  # pragma: no cover


def _note_rate_limit(
    response: httpx.Response, host: str, policy: RetryPolicy, pacer: Pacer
) -> None:
    remaining = response.headers.get("X-RateLimit-Remaining", "").strip()
    reset = response.headers.get("X-RateLimit-Reset-In", "").strip()
    if remaining == "0" and reset.isdigit():
        pacer.hold(host, float(reset), policy)


def _give_up_or_sleep(
    attempt: int, wait: float | None, policy: RetryPolicy, what: str, reason: str
) -> None:
    if wait is None:
        wait = policy.backoff_s * 2 ** (attempt - 1)
    rate_limited = reason == "HTTP 429"
    if attempt >= policy.attempts or wait > policy.max_wait_s:
        message = f"{what}: {reason} after {attempt} attempt(s); will retry on a later poll"
        if rate_limited:
            raise RateLimitedError(message, retry_after=wait)
        raise SourceUnavailableError(message)
    logger.info("%s: %s, retrying in %.1f s", what, reason, wait)
    policy.sleep(wait)


def check_status(response: httpx.Response, what: str) -> None:
    """Raise the matching :class:`SourceError` for a 4xx response."""
    status = response.status_code
    if status in (401, 403):
        raise SourceAuthError(f"{what}: HTTP {status}: check the token or API key in config.toml")
    if status >= 400:
        raise SourceError(f"{what}: HTTP {status} for {_url(response)}: {_snippet(response)}")


def _url(response: httpx.Response) -> str:
    """The request's URL with its secret parameters masked."""
    return redact(str(response.request.url))


def _snippet(response: httpx.Response) -> str:
    return redact(" ".join(response.text.split())[:200])


def decode_json(response: httpx.Response, what: str) -> Any:
    """The response body as JSON (nested at most :data:`~daemon.net.bounded.MAX_JSON_DEPTH`
    deep), or :class:`MalformedPayloadError`."""
    try:
        return loads(response.content, what=what)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedPayloadError(
            f"{what}: {_url(response)} answered with invalid JSON ({exc}): {_snippet(response)!r}"
        ) from None


def get_json(
    client: Client,
    url: str,
    *,
    what: str,
    policy: RetryPolicy | None = None,
    pacer: Pacer | None = None,
    **kwargs: Any,
) -> Any:
    """GET ``url`` and decode its JSON; None for 204 No Content."""
    response = request(client, "GET", url, what=what, policy=policy, pacer=pacer, **kwargs)
    check_status(response, what)
    if response.status_code == 204 or not response.content:
        return None
    return decode_json(response, what)
