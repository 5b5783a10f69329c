"""What every request handler shares: the config, the token rules, the daemon's trigger,
and the store, opened per request (read-only for reads) and closed after it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from daemon.config import Config
from daemon.web.access import Access
from daemon.web.actions import Trigger
from daemon.web.errors import (
    BadRequestError,
    ForbiddenError,
    UnauthorizedError,
    UnavailableError,
)
from store import SCHEMA_VERSION, Store

__all__ = ["Handler", "WebState", "json_body", "reader", "state_of", "writer"]

T = TypeVar("T")
Handler = Callable[[Request, "WebState"], Awaitable[Response]]


@dataclass
class WebState:
    """One server's settings; ``config`` is replaced when the daemon reloads its config."""

    config: Config
    access: Access
    trigger: Trigger | None = None

    def _open(self, readonly: bool) -> Store:
        path = self.config.db_path
        if not path.exists():
            raise UnavailableError(
                f"no database at {path} yet: start the daemon (tastebud run) or run one cycle "
                "(tastebud once); this page fills in as it works"
            )
        store = Store.open(path, readonly=readonly)
        if (version := store.schema_version()) < SCHEMA_VERSION:
            store.close()
            raise UnavailableError(
                f"database {path} is at schema version {version}: start the daemon once "
                "(tastebud run) to upgrade it"
            )
        return store

    async def read(self, act: Callable[[Store, Config], T]) -> T:
        """``act(store, config)`` on the database opened read-only, off the event loop."""
        return await run_in_threadpool(self._with, True, act)

    async def write(self, act: Callable[[Store, Config], T]) -> T:
        """``act(store, config)`` with the database opened for short write transactions."""
        return await run_in_threadpool(self._with, False, act)

    def _with(self, readonly: bool, act: Callable[[Store, Config], T]) -> T:
        config = self.config
        with self._open(readonly) as store:
            return act(store, config)


def state_of(request: Request) -> WebState:
    """The server's :class:`WebState` (``app.state.web``)."""
    state: WebState = request.app.state.web
    return state


def reader(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A ``GET`` endpoint under the read rules (open on loopback, else the token)."""

    async def endpoint(request: Request) -> Response:
        state = state_of(request)
        if not state.access.may_read(request):
            raise UnauthorizedError(
                "this page listens beyond loopback: send Authorization: Bearer <[web] token>, "
                "or log in on the page"
            )
        return await handler(request, state)

    return endpoint


def writer(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A ``POST`` endpoint under the write rules (the bearer token or the page token)."""

    async def endpoint(request: Request) -> Response:
        state = state_of(request)
        if state.access.cross_site(request):
            raise ForbiddenError("a request from another site may not change tastebud's state")
        if not state.access.may_write(request):
            raise UnauthorizedError(
                "changing state needs Authorization: Bearer <[web] token>, or the page's "
                "X-Tastebud-Page header"
            )
        return await handler(request, state)

    return endpoint


def json_body(data: Any) -> dict[str, Any]:
    """A request body that must be a JSON object."""
    if not isinstance(data, dict):
        raise BadRequestError('the body must be a JSON object, e.g. {"action": "like", ...}')
    return data
