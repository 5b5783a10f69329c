"""Who may read and who may change state: the web page's token rules.

- **Reads** (``GET``) are open on a loopback listen address; on any other they need the
  configured ``[web] token`` as ``Authorization: Bearer TOKEN``, or the session cookie a
  browser gets by typing the token into the login form (the cookie holds a value derived
  from the token, never the token).
- **Writes** (``POST``) need the bearer token, or the page token: a random value made per
  process and embedded in the page, sent back in the ``X-Tastebud-Page`` header. Another
  site can neither read the page (no CORS) nor set the header, so it cannot post on the
  user's behalf. Beyond loopback the page token also needs the session cookie.
- **Hosts**: on loopback only ``Host: 127.0.0.1``, ``localhost`` or ``[::1]`` is answered, so
  a site that rebinds its own name to 127.0.0.1 gets nothing. A write whose ``Origin`` or
  ``Sec-Fetch-Site`` says it comes from another site is refused wherever it listens.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from daemon.config import ConfigError

__all__ = [
    "COOKIE",
    "MIN_TOKEN",
    "PAGE_HEADER",
    "Access",
    "check_listen",
    "is_loopback",
]

COOKIE = "tastebud_session"
PAGE_HEADER = "x-tastebud-page"
MIN_TOKEN = 16
_LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a listen address or a Host header's name) is this machine only."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_listen(host: str, port: int, token: str) -> None:
    """Refuse to listen beyond loopback without a token, or with a guessable one."""
    where = f"{host}:{port}"
    if token and len(token) < MIN_TOKEN:
        raise ConfigError(
            f"[web] token is too short ({len(token)} characters): use at least {MIN_TOKEN}, "
            "e.g. from `openssl rand -hex 16`"
        )
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"[web] listen {where} is not a loopback address and [web] token is not set: set "
            "the token (TASTEBUD_WEB_TOKEN or the credential file web_token), or listen on "
            "127.0.0.1"
        )


def _equal(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class Access:
    """The token rules of one server: its listen host, the configured token, the page token."""

    host: str
    token: str = field(default="", repr=False)
    page_token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    @property
    def loopback(self) -> bool:
        """Whether the server listens on loopback only."""
        return is_loopback(self.host)

    @property
    def session(self) -> str:
        """The login cookie's value: derived from the token, useless without this server."""
        if not self.token:
            return ""
        return hmac.new(self.token.encode(), b"tastebud web session", hashlib.sha256).hexdigest()

    def host_allowed(self, conn: HTTPConnection) -> bool:
        """On loopback, only loopback names in ``Host`` (no DNS rebinding)."""
        if not self.loopback:
            return True
        name = urlsplit("//" + conn.headers.get("host", "")).hostname or ""
        return is_loopback(name)

    def bearer(self, conn: HTTPConnection) -> bool:
        """The request carries ``Authorization: Bearer <the configured token>``."""
        scheme, _, given = conn.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and _equal(given.strip(), self.token)

    def logged_in(self, conn: HTTPConnection) -> bool:
        """The request carries the session cookie of a login with the token."""
        return _equal(conn.cookies.get(COOKIE, ""), self.session)

    def token_ok(self, given: str) -> bool:
        """Whether ``given`` (typed into the login form) is the configured token."""
        return _equal(given.strip(), self.token)

    def may_read(self, conn: HTTPConnection) -> bool:
        """Loopback, or the bearer token, or a login."""
        return self.loopback or self.bearer(conn) or self.logged_in(conn)

    def may_write(self, conn: HTTPConnection) -> bool:
        """The bearer token, or the page token (with a login beyond loopback), same site."""
        if self.cross_site(conn):
            return False
        if self.bearer(conn):
            return True
        page = _equal(conn.headers.get(PAGE_HEADER, ""), self.page_token)
        return page and (self.loopback or self.logged_in(conn))

    def cross_site(self, conn: HTTPConnection) -> bool:
        """The browser says the request comes from another site (``Origin``, ``Sec-Fetch-Site``)."""
        if conn.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return True
        origin = conn.headers.get("origin")
        if origin is None:
            return False
        return urlsplit(origin).netloc.lower() != conn.headers.get("host", "").lower()
