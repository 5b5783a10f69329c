"""Listening-history sources and candidate feeds, one module each behind :class:`Source`.

History: ``listenbrainz``, ``lastfm``, ``ytmusic``, and the export files ``takeout`` and
``lb_export`` (read in chunks by ``_files``; ``importing`` is ``tastebud import``).
Candidates: ``url_feed`` (anything yt-dlp lists), ``lb_recommendations`` and
``directory``. Recording MBIDs for tracks known only by name come from ListenBrainz's
metadata lookup (``mbid_lookup``). What they share: the poll context and the protocol
(``base``), tolerant parsing (``_parse``), the types they register (``registry``) and
polling every configured one (``poll``: :func:`poll_history`, :func:`poll_feeds`).
Importing this package imports every source module, in the order the config's error
messages list the types.
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
from daemon.sources.importing import format_summary, import_file, located
from daemon.sources.mbid_lookup import lookup_base, resolve_mbids
from daemon.sources.poll import (
    BACKOFF_BASE_S,
    BACKOFF_MAX_S,
    backoff_until,
    build_source,
    poll_feeds,
    poll_history,
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
    "format_summary",
    "import_file",
    "located",
    "lookup_base",
    "poll_feeds",
    "poll_history",
    "resolve_mbids",
    "source_types",
]
