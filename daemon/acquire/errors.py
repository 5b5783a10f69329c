"""Why a track's audio could not be fetched: for good, for now, or because the network
is down. Raised by the fetcher (:mod:`daemon.acquire.ytdlp_errors` maps yt-dlp's errors onto
them) and by the media servers' download clients."""

from __future__ import annotations

from store import TastebudError

__all__ = [
    "FetchError",
    "NetworkDownError",
    "PermanentFetchError",
    "RejectedError",
    "StorageFullError",
    "TransientFetchError",
]


class FetchError(TastebudError):
    """Downloading a track's audio failed."""


class PermanentFetchError(FetchError):
    """The audio can never be fetched (removed, private, geo-blocked, too long)."""


class RejectedError(PermanentFetchError):
    """A configured limit refuses the track (too short, too long, too big, a live stream)."""


class TransientFetchError(FetchError):
    """The fetch may succeed later (network, HTTP 429/5xx, bot challenge)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NetworkDownError(TransientFetchError):
    """The network itself is down (DNS, no route): pause fetching altogether."""


class StorageFullError(NetworkDownError):
    """The cache's disk is full: like a network outage, fetching pauses until the next
    cycle and no track is charged an attempt."""
