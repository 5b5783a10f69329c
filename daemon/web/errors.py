"""The web API's errors: each a :class:`~store.TastebudError` carrying its HTTP status."""

from __future__ import annotations

from store import TastebudError

__all__ = [
    "BadRequestError",
    "ForbiddenError",
    "NotFoundError",
    "UnauthorizedError",
    "UnavailableError",
    "WebError",
]


class WebError(TastebudError):
    """A request the web API cannot answer as asked; ``status`` is its HTTP status."""

    status = 400


class BadRequestError(WebError):
    """A parameter or body is missing or malformed."""


class UnauthorizedError(WebError):
    """The request carries no valid token where one is needed."""

    status = 401


class ForbiddenError(WebError):
    """The request comes from another site, or names a host this server does not answer to."""

    status = 403


class NotFoundError(WebError):
    """No such track, file or route."""

    status = 404


class UnavailableError(WebError):
    """The database is missing, too old or unreadable: nothing to answer from yet."""

    status = 503
