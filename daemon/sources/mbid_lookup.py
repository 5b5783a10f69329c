"""Recording MBIDs for tracks known only by artist and title (a YouTube candidate, say):
ListenBrainz's metadata lookup, ``GET /1/metadata/lookup/?artist_name=&recording_name=``.

It answers 200 with the best match (``recording_mbid``, ``recording_name``,
``artist_credit_name``, ``release_mbid``, ...) or with ``{}`` when nothing matches, 400
for a missing name. A match is kept only when its names agree with the track's (one
normalized name holds the other), so a loose match never tags the wrong recording. Each
answer, a miss too, is cached in the store by the track's match key (a miss is asked
again after 30 days), found MBIDs are recorded on the track, and the requests go through
:mod:`daemon.net` (paced per host, rate limits honoured). A JSPF export and the push of
feedback to ListenBrainz use it, only where the config names a ListenBrainz source.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import partial

from daemon import net
from daemon.config import Config
from daemon.sources._parse import as_dict, as_str
from daemon.sources.base import ClientFactory, PollContext
from store import Store, normalize_text

__all__ = ["LOOKUP_PATH", "lookup_base", "lookup_mbid", "resolve_mbids"]

logger = logging.getLogger(__name__)

DEFAULT_URL = "https://api.listenbrainz.org"  # as the listenbrainz source's
LOOKUP_PATH = "/1/metadata/lookup/"
MISS_TTL_S = 30 * 86_400.0
LOOKUPS_PER_RUN = 200  # at most this many new lookups per export or push
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
WHAT = "ListenBrainz metadata lookup"


def lookup_base(config: Config) -> str | None:
    """The ListenBrainz API a lookup asks: that of a ``listenbrainz`` history source (its
    ``url``, else the public one) or of a recommendations feed; None without either, as
    tastebud asks no service the config does not name."""
    # by type name and key: the listenbrainz source module imports this one
    for history in config.history:
        if history.type == "listenbrainz":
            return (getattr(history, "url", "") or DEFAULT_URL).rstrip("/")
    for feed in config.feeds:
        if feed.type == "listenbrainz-recommendations":
            return (getattr(feed, "api_url", "") or DEFAULT_URL).rstrip("/")
    return None


def _agrees(asked: str, answered: str | None) -> bool:
    a, b = normalize_text(asked), normalize_text(answered or "")
    return bool(a and b) and (a in b or b in a)


def lookup_mbid(store: Store, ctx: PollContext, base: str, artist: str, title: str) -> str | None:
    """The recording MBID of ``artist`` - ``title`` (cached, else asked); None when
    ListenBrainz knows no recording whose names agree. Raises a SourceError."""
    cached, mbid = store.cached_mbid(artist, title, max_age_s=MISS_TTL_S)
    if cached:
        return mbid
    params = {"artist_name": artist, "recording_name": title}
    answer = as_dict(ctx.get_json(f"{base}{LOOKUP_PATH}", what=WHAT, params=params))
    found = as_str(answer.get("recording_mbid"))
    if not (
        found
        and _UUID.match(found.lower())
        and _agrees(title, as_str(answer.get("recording_name")))
        and _agrees(artist, as_str(answer.get("artist_credit_name")))
    ):
        found = None
    store.put_mbid_lookup(artist, title, found and found.lower())
    return found and found.lower()


def _client_factory(config: Config, pacer: net.Pacer | None) -> ClientFactory:
    return partial(net.client_for, config.fetch, pacer=pacer)


def resolve_mbids(
    store: Store,
    config: Config,
    track_ids: Iterable[int],
    *,
    client_factory: ClientFactory | None = None,
    pacer: net.Pacer | None = None,
) -> dict[str, int]:
    """Look up the recording MBID of each of ``track_ids`` that lacks one and has an artist
    and a title, at the ListenBrainz the config names (none: nothing is asked); record
    those found. Counts ``found``, ``missing`` and ``failed`` (a failing
    lookup is logged and ends the run: what was found stays, nothing is raised)."""
    counts = {"found": 0, "missing": 0, "failed": 0}
    lacking = store.without_mbid(track_ids)
    tracks = store.get_tracks(lacking)
    todo = [tracks[i] for i in lacking if i in tracks and tracks[i].artist and tracks[i].title]
    todo = todo[:LOOKUPS_PER_RUN]
    base = lookup_base(config)
    if not todo or base is None:
        return counts
    with (client_factory or _client_factory(config, pacer))() as client:
        ctx = PollContext(client, net.RetryPolicy(attempts=2))
        for track in todo:
            assert track.artist is not None
            assert track.title is not None
            try:
                mbid = lookup_mbid(store, ctx, base, track.artist, track.title)
            except net.SourceError as exc:
                logger.warning("%s stopped after %d tracks: %s", WHAT, sum(counts.values()), exc)
                counts["failed"] += 1
                break
            if mbid:
                store.set_recording_mbid(track.id, mbid)
            counts["found" if mbid else "missing"] += 1
    logger.info("%s: %s", WHAT, counts)
    return counts
