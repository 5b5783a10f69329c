"""The root of tastebud's exception tree, and the store's own errors.

Every error that tastebud raises on purpose derives from :class:`TastebudError`.
Its message is one line that names the thing at fault and how to fix it; the
CLI prints it as is and exits non-zero, the daemon logs it and goes on. Each
class lives beside the code that raises it:

    TastebudError                       store.errors
    ├── StoreError                      store.errors
    │   └── SchemaTooNewError
    ├── AudioError                      classifier.errors
    ├── ModelError                      classifier.errors
    │   └── WeightsMissingError
    ├── ConfigError                     daemon.config.errors
    ├── SourceError                     daemon.net.errors
    │   ├── SourceUnavailableError
    │   ├── RateLimitedError
    │   ├── SourceAuthError
    │   └── MalformedPayloadError
    ├── FetchError                      daemon.acquire.errors
    │   ├── PermanentFetchError
    │   │   └── RejectedError
    │   ├── TransientFetchError
    │   └── NetworkDownError
    ├── ExportError                     daemon.playlists.errors
    ├── PlayerError                     daemon.listening.errors
    └── DaemonError                     daemon.service.errors
        └── AlreadyRunningError
"""

from __future__ import annotations

__all__ = ["SchemaTooNewError", "StoreError", "TastebudError"]


class TastebudError(Exception):
    """Base of every error tastebud raises on purpose."""


class StoreError(TastebudError):
    """The SQLite database cannot be opened, migrated or written."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer tastebud than this one."""
