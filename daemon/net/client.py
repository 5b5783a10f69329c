"""The one HTTP client factory: tastebud's User-Agent, timeouts, proxy, the per-host
pacer that every request through the client waits on, and the byte limit and overall
deadline every answer is read within (:mod:`daemon.net.bounded`)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx

from daemon.config import ConfigError, FetchConfig
from daemon.net.bounded import DEFAULT_DEADLINE_S, DEFAULT_MAX_BYTES, read_bounded
from daemon.net.pacing import Pacer
from daemon.redact import redact

__all__ = ["PROJECT_URL", "USER_AGENT", "Client", "client_for", "make_client"]

PROJECT_URL = "https://github.com/tastebud/tastebud"


def _version() -> str:
    try:
        return version("tastebud")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.1.0"


USER_AGENT = f"tastebud/{_version()} ( {PROJECT_URL} )"


class Client(httpx.Client):
    """An ``httpx.Client`` that carries the :class:`Pacer` its requests are spaced by, and
    reads every answer within ``max_bytes`` and ``deadline_s`` (from sending the request
    to the last byte, redirects included)."""

    def __init__(
        self,
        *,
        pacer: Pacer | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        deadline_s: float = DEFAULT_DEADLINE_S,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.pacer = pacer or Pacer()
        self.max_bytes = max_bytes
        self.deadline_s = deadline_s

    def send(
        self, request: httpx.Request, *, stream: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """Send ``request``; unless ``stream``, read its answer within the limits."""
        deadline = time.monotonic() + self.deadline_s
        response = super().send(request, stream=True, **kwargs)
        if stream:
            return response
        try:
            what = f"{request.method} {redact(str(request.url))}"
            body = read_bounded(
                response.iter_bytes(), what=what, max_bytes=self.max_bytes, deadline=deadline
            )
        finally:
            response.close()
        return _with_body(response, body)


_UNDONE = ("content-encoding", "content-length")
"""Headers that described the body as sent, not as decoded."""


def _with_body(response: httpx.Response, body: bytes) -> httpx.Response:
    """``response`` (read and closed) as one holding its decoded ``body``: the same status,
    request and history, its headers but for the encoding that was undone and the
    length of the body as sent (set again to the decoded length)."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _UNDONE]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=body,
        request=response.request,
        extensions=response.extensions,
        history=response.history,
        default_encoding=response.default_encoding,
    )


def make_client(
    *,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 30.0,
    connect_timeout: float = 10.0,
    headers: Mapping[str, str] | None = None,
    proxy: str = "",
    pacer: Pacer | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    deadline_s: float = DEFAULT_DEADLINE_S,
) -> Client:
    """A :class:`Client` with tastebud's User-Agent, timeouts and proxy (``[fetch] proxy``,
    ``socket_timeout_s``: the same for every outgoing request), an answer's byte limit and
    overall deadline (``max_answer_mb``, ``request_deadline_s``). Clients given one ``pacer``
    space their requests to a host together; without one, the client paces itself."""
    try:
        return Client(
            pacer=pacer,
            max_bytes=max_bytes,
            deadline_s=deadline_s,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(connect_timeout, timeout)),
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            follow_redirects=True,
            proxy=proxy or None,
        )
    except ImportError as exc:  # a socks5:// proxy without httpx's SOCKS extra
        raise ConfigError(
            f"[fetch] proxy {redact(proxy)!r} cannot be used for the web APIs ({exc}): "
            "install httpx's SOCKS support (pip install 'httpx[socks]')"
        ) from None
    except ValueError as exc:
        raise ConfigError(
            f"[fetch] proxy {redact(proxy)!r} is not a proxy URL ({exc}): "
            "use http://host:port, https://host:port or socks5://host:port"
        ) from None


def client_for(fetch: FetchConfig, **kwargs: Any) -> Client:
    """:func:`make_client` with ``[fetch]``'s proxy, socket timeout, answer limit and
    deadline: what every client that talks to a configured server uses."""
    return make_client(
        timeout=fetch.socket_timeout_s,
        proxy=fetch.proxy,
        max_bytes=int(fetch.max_answer_mb * 2**20),
        deadline_s=fetch.request_deadline_s,
        **kwargs,
    )
