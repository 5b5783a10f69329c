"""The one exception tree of tastebud.

Every error that tastebud raises on purpose derives from :class:`TastebudError`.
Its message is one line that names the thing at fault and how to fix it; the
CLI prints it as is and exits non-zero, the daemon logs it and goes on.

    TastebudError
    ├── ConfigError
    ├── StoreError
    │   └── SchemaTooNewError
    ├── SourceError
    │   ├── SourceUnavailableError
    │   ├── RateLimitedError
    │   ├── SourceAuthError
    │   └── MalformedPayloadError
    ├── FetchError
    │   ├── PermanentFetchError
    │   │   └── RejectedError
    │   ├── TransientFetchError
    │   └── NetworkDownError
    ├── AudioError
    ├── ModelError
    │   └── WeightsMissingError
    ├── ExportError
    ├── PlayerError
    └── DaemonError
        └── AlreadyRunningError
"""

from __future__ import annotations

__all__ = [
    "AlreadyRunningError",
    "AudioError",
    "ConfigError",
    "DaemonError",
    "ExportError",
    "FetchError",
    "MalformedPayloadError",
    "ModelError",
    "NetworkDownError",
    "PermanentFetchError",
    "PlayerError",
    "RateLimitedError",
    "RejectedError",
    "SchemaTooNewError",
    "SourceAuthError",
    "SourceError",
    "SourceUnavailableError",
    "StoreError",
    "TastebudError",
    "TransientFetchError",
    "WeightsMissingError",
]


class TastebudError(Exception):
    """Base of every error tastebud raises on purpose."""


class ConfigError(TastebudError):
    """The configuration file is missing, unparsable or invalid."""


class StoreError(TastebudError):
    """The SQLite database cannot be opened, migrated or written."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer tastebud than this one."""


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


class AudioError(TastebudError):
    """An audio file is corrupt, truncated, silent or not audio at all."""


class ModelError(TastebudError):
    """The taste model cannot be built, trained, loaded or used."""


class WeightsMissingError(ModelError):
    """The pretrained musicnn weights are not installed."""


class ExportError(TastebudError):
    """A playlist could not be written."""


class PlayerError(TastebudError):
    """A player (MPD, a Subsonic server) is unreachable, refuses us or fails a request."""


class DaemonError(TastebudError):
    """The daemon cannot start or run."""


class AlreadyRunningError(DaemonError):
    """Another tastebud daemon holds the state directory's lock."""
