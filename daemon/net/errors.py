"""What a remote source's failure is: unreachable, rate-limited, refusing our credentials,
or answering in a shape it does not document. Raised by the request helpers here and by
every source (:mod:`daemon.sources`) and player client that reads a remote or exported API."""

from __future__ import annotations

from store import TastebudError

__all__ = [
    "MalformedPayloadError",
    "RateLimitedError",
    "SourceAuthError",
    "SourceError",
    "SourceUnavailableError",
]


class SourceError(TastebudError):
    """A listening-history source or candidate feed failed."""


class SourceUnavailableError(SourceError):
    """A source could not be reached or answered with a server error (transient)."""


class RateLimitedError(SourceError):
    """A source asked us to slow down; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SourceAuthError(SourceError):
    """A source refused our credentials (bad token, suspended API key)."""


class MalformedPayloadError(SourceError):
    """A source answered with data that is not in the documented shape."""
