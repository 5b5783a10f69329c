"""The one HTTP client factory: tastebud's User-Agent, timeouts, proxy, and the
per-host pacer that every request through the client waits on."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version

import httpx

from daemon.config import ConfigError
from daemon.net.pacing import Pacer
from daemon.redact import redact

__all__ = ["PROJECT_URL", "USER_AGENT", "Client", "make_client"]

PROJECT_URL = "https://github.com/tastebud/tastebud"


def _version() -> str:
    try:
        return version("tastebud")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.1.0"


USER_AGENT = f"tastebud/{_version()} ( {PROJECT_URL} )"


class Client(httpx.Client):
    """An ``httpx.Client`` that carries the :class:`Pacer` its requests are spaced by."""

    def __init__(self, *, pacer: Pacer | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.pacer = pacer or Pacer()


def make_client(
    *,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 30.0,
    connect_timeout: float = 10.0,
    headers: Mapping[str, str] | None = None,
    proxy: str = "",
    pacer: Pacer | None = None,
) -> Client:
    """A :class:`Client` with tastebud's User-Agent, timeouts and proxy (``[fetch] proxy``,
    ``socket_timeout_s``: the same for every outgoing request). Clients given one ``pacer``
    space their requests to a host together; without one, the client paces itself."""
    try:
        return Client(
            pacer=pacer,
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
