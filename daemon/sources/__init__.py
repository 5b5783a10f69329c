"""Listening-history sources and candidate feeds, one module each behind :class:`Source`.

Each source module defines its config class and registers its ``type``
(:mod:`daemon.sources.registry`); importing this package imports them all, in
the order the config's error messages list the types. :func:`poll_history` and
:func:`poll_feeds` (:mod:`daemon.sources.poll`) poll every configured one.
"""

from __future__ import annotations

from daemon.sources import (  # noqa: F401  (each registers its type on import)
    directory,
    lastfm,
    lb_export,
    lb_recommendations,
    listenbrainz,
    takeout,
    url_feed,
    ytmusic,
)
from daemon.sources.base import ClientFactory, PollContext, Source
from daemon.sources.poll import (
    BACKOFF_BASE_S,
    BACKOFF_MAX_S,
    backoff_until,
    build_source,
    poll_feeds,
    poll_history,
    retry_cursor,
)
from daemon.sources.registry import SourceType, source_types

__all__ = [
    "BACKOFF_BASE_S",
    "BACKOFF_MAX_S",
    "ClientFactory",
    "PollContext",
    "Source",
    "SourceType",
    "backoff_until",
    "build_source",
    "poll_feeds",
    "poll_history",
    "retry_cursor",
    "source_types",
]
