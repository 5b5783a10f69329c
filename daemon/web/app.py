"""The ASGI application: routes, the host check, security headers, errors as JSON.

Every response carries a strict Content-Security-Policy (scripts, styles, images, audio
and requests from this origin only; no inline script or style; no framing) and is not
cached. Every error is one JSON line ``{"error": "..."}`` with its status.
"""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from daemon.config import Config
from daemon.redact import redact, remember_secrets
from daemon.web.access import Access
from daemon.web.actions import Trigger
from daemon.web.api import API_ROUTES
from daemon.web.context import WebState
from daemon.web.errors import WebError
from daemon.web.routes import PAGE_ROUTES
from store import StoreError, TastebudError

__all__ = ["CSP", "SECURITY_HEADERS", "create_app"]

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "no-store",
}


class Guard:
    """Answers only loopback ``Host`` names on loopback (no DNS rebinding); adds the
    security headers to every response."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        if not self.access.host_allowed(HTTPConnection(scope)):
            refused = _error(
                403, "this server answers only to 127.0.0.1, localhost and [::1] on loopback"
            )
            await refused(scope, receive, send_secured)
            return
        await self.app(scope, receive, send_secured)


def _error(status: int, message: str) -> JSONResponse:
    message = redact(message)  # the configured secrets, the token among them, never echo
    headers = {"WWW-Authenticate": 'Bearer realm="tastebud"'} if status == 401 else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def _tastebud_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, WebError):
        return _error(exc.status, str(exc))
    if isinstance(exc, StoreError):
        return _error(503, str(exc))
    return _error(400, str(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return _error(404, f"no such page: {request.url.path} (README.md, 'Web', lists the API)")
    return _error(exc.status_code, str(exc.detail))


def create_app(config: Config, access: Access, trigger: Trigger | None = None) -> Starlette:
    """The page and the API over ``config``'s database, under ``access``'s token rules;
    ``trigger`` runs daemon jobs now (given inside ``tastebud run``)."""
    app = Starlette(
        routes=[*PAGE_ROUTES, *API_ROUTES, Mount("/static", StaticFiles(directory=STATIC))],
        exception_handlers={TastebudError: _tastebud_error, HTTPException: _http_error},
    )
    remember_secrets([config.web.token, access.token])
    app.state.web = WebState(config, access, trigger)
    app.add_middleware(Guard, access=access)
    return app
