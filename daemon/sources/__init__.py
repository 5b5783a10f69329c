"""Listening-history sources and candidate feeds, one module each behind :class:`Source`.

History: ``listenbrainz``, ``lastfm``, ``ytmusic``, the media servers ``jellyfin`` and
``subsonic``, and the export files ``takeout`` and ``lb_export`` (read in chunks by
``_files``; ``importing`` is ``tastebud import``). Candidates: ``url_feed`` (anything
yt-dlp lists, in a child process: ``listing``), ``lb_recommendations`` and
``directory``; ``discover`` offers candidates without a feed (``[discover]``). Each
source module defines its config class, with exactly the keys its type takes, and
registers its ``type`` (``registry``; :func:`config_schemas` is what the config loader is
given). Recording MBIDs for tracks known only by name come from ListenBrainz's metadata
lookup (``mbid_lookup``). What they share: the poll context and the protocol (``base``),
tolerant parsing (``_parse``), files read within bounds (``_stream``), the media servers'
dates and play counts (``_media``), and polling every configured one (``poll``:
:func:`poll_history`, :func:`poll_feeds`), each within its own deadline (``deadline``).
Importing this package imports every source module, in the order the config's error
messages list the types.
"""

from __future__ import annotations

from daemon.sources import (  # noqa: F401  (each registers its type on import)
    directory,
    jellyfin,
    lastfm,
    lb_export,
    lb_recommendations,
    listenbrainz,
    subsonic,
    takeout,
    url_feed,
    ytmusic,
)
from daemon.sources._files import FileHistoryConfig
from daemon.sources.base import ClientFactory, PollContext, Source
from daemon.sources.directory import DirectoryConfig
from daemon.sources.discover import describe_discovery, discovery_feed, discovery_sources
from daemon.sources.importing import format_summary, import_file, located
from daemon.sources.jellyfin import JellyfinConfig
from daemon.sources.lastfm import LastfmConfig
from daemon.sources.lb_export import ExportConfig
from daemon.sources.lb_recommendations import RecommendationsConfig
from daemon.sources.listenbrainz import ListenBrainzConfig
from daemon.sources.mbid_lookup import lookup_base, resolve_mbids
from daemon.sources.poll import (
    BACKOFF_BASE_S,
    BACKOFF_MAX_S,
    backoff_until,
    build_source,
    feed_jobs,
    poll_feeds,
    poll_history,
    source_jobs,
)
from daemon.sources.registry import SourceType, config_schemas, source_types
from daemon.sources.subsonic import SubsonicHistoryConfig
from daemon.sources.takeout import TakeoutConfig
from daemon.sources.url_feed import UrlFeedConfig
from daemon.sources.ytmusic import YTMusicConfig

__all__ = [
    "BACKOFF_BASE_S",
    "BACKOFF_MAX_S",
    "ClientFactory",
    "DirectoryConfig",
    "ExportConfig",
    "FileHistoryConfig",
    "JellyfinConfig",
    "LastfmConfig",
    "ListenBrainzConfig",
    "PollContext",
    "RecommendationsConfig",
    "Source",
    "SourceType",
    "SubsonicHistoryConfig",
    "TakeoutConfig",
    "UrlFeedConfig",
    "YTMusicConfig",
    "backoff_until",
    "build_source",
    "config_schemas",
    "describe_discovery",
    "discovery_feed",
    "discovery_sources",
    "feed_jobs",
    "format_summary",
    "import_file",
    "located",
    "lookup_base",
    "poll_feeds",
    "poll_history",
    "resolve_mbids",
    "source_jobs",
    "source_types",
]
