"""Candidates without a feed (``[discover]``): from the listener's recent top artists.

For each ``listenbrainz`` history: the user's top artists (``/1/stats/user/{user}/artists``),
artists similar to them (``labs.api.listenbrainz.org/similar-artists/json``), those
artists' top recordings (``/1/popularity/top-recordings-for-artist/{mbid}``), and the
fresh releases (``/1/explore/fresh-releases``) of the top and similar artists. For each
``lastfm`` history: ``user.getTopArtists``, ``artist.getSimilar`` and
``artist.getTopTracks``. The candidates of each similar artist are taken in turn, so no
one artist fills the day; none is by a blocked artist, already heard, judged, offered
or owned (a directory feed's file, a media server's track). At most ``per_day`` a day
are offered, each under the feed ``discover:<history source>`` so the queue, ``doctor``
and the dashboard say where it came from. They carry no URL: the fetch job resolves
them by search, as any feed item without one. A source that fails is logged and the
others go on; the job fails only when every one did.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, zip_longest
from typing import Any
from urllib.parse import quote

from daemon.config import Config, DiscoverConfig, FeedConfig
from daemon.net import SourceError, check_status, decode_json
from daemon.sources._parse import as_dict, as_int, as_list, as_str
from daemon.sources.base import PollContext
from daemon.sources.lastfm import DEFAULT_URL as LASTFM_URL
from daemon.sources.lastfm import LastfmConfig, raise_for_error
from daemon.sources.listenbrainz import DEFAULT_URL as LISTENBRAINZ_URL
from daemon.sources.listenbrainz import ListenBrainzConfig
from store import Store, TrackRef, match_key, normalize_text

__all__ = [
    "FEED_PREFIX",
    "Discovery",
    "DiscoveryFeed",
    "describe_discovery",
    "discovery_feed",
    "discovery_sources",
]

logger = logging.getLogger(__name__)

FEED_PREFIX = "discover:"
LABS_URL = "https://labs.api.listenbrainz.org"
SIMILAR_ALGORITHM = (
    "session_based_days_7500_session_300_contribution_5_threshold_10_limit_100_filter_True_skip_30"
)
DAY_S = 86_400.0
_LB_RANGE = {"week": "week", "month": "month", "quarter": "quarter", "year": "year"}
_LASTFM_PERIOD = {"week": "7day", "month": "1month", "quarter": "3month", "year": "12month"}
_FRESH_DAYS = {"week": 7, "month": 30, "quarter": 90, "year": 90}

Pool = list[TrackRef]  # one similar artist's candidates, best first


@dataclass(frozen=True)
class DiscoveryFeed(FeedConfig):
    """The discovery job as a feed (not a ``[[feeds]]`` type: ``[discover]`` sets it)."""

    type: str = DiscoverConfig.FEED
    name: str = DiscoverConfig.FEED


def discovery_sources(config: Config) -> list[Any]:
    """The history tables discovery draws on: ListenBrainz ones, Last.fm ones with a key."""
    return [
        h
        for h in config.history
        if isinstance(h, ListenBrainzConfig) or (isinstance(h, LastfmConfig) and h.api_key)
    ]


def discovery_feed(config: Config) -> DiscoveryFeed | None:
    """The discovery feed to poll, or None: ``[discover]`` is off, or nothing to draw on."""
    if not config.discover.enabled or config.discover.per_day == 0:
        return None
    return DiscoveryFeed() if discovery_sources(config) else None


def describe_discovery(config: Config, store: Store | None = None) -> tuple[bool, str]:
    """(on, one line on where discoveries come from), for ``doctor`` and the dashboard;
    with ``store``, how many were offered in the last 24 hours."""
    settings = config.discover
    if not settings.enabled:
        return False, "off ([discover] enabled = false)"
    sources = discovery_sources(config)
    if not sources:
        return False, (
            'off: needs a [[history]] type = "listenbrainz", or a "lastfm" one with api_key'
        )
    if settings.per_day == 0:
        return False, "off ([discover] per_day = 0)"
    parts = []
    for history in sources:
        if isinstance(history, ListenBrainzConfig):
            what = "similar artists' top recordings" + (
                ", fresh releases" if settings.fresh_releases else ""
            )
            parts.append(f"ListenBrainz {history.key} ({what})")
        else:
            parts.append(f"Last.fm {history.key} (similar artists' top tracks)")
    line = f"from the top artists of {'; '.join(parts)}; at most {settings.per_day} a day"
    if store is not None:
        line += f", {store.offered_since(FEED_PREFIX, time.time() - DAY_S)} in the last 24 h"
    return True, line


class Discovery:
    """Offers up to ``per_day`` new candidates a day from the history sources' APIs."""

    def __init__(self, config: DiscoveryFeed) -> None:
        self.key = config.key

    def poll(self, store: Store, ctx: PollContext) -> dict[str, int]:
        """Find candidates, leave out what is known, offer what today's budget allows."""
        settings = ctx.config.discover
        budget = settings.per_day - store.offered_since(FEED_PREFIX, ctx.now() - DAY_S)
        if budget <= 0:
            return {"offered": 0, "budget_left": 0}
        known = store.known_match_keys() | store.owned_match_keys()
        blocked = store.blocked_artists()
        counts: dict[str, int] = {"offered": 0, "failed_sources": 0}
        errors: list[SourceError] = []
        sources = discovery_sources(ctx.config)
        for history in sources:
            try:
                pools = list(self._pools(ctx, settings, history))
            except SourceError as exc:
                logger.warning("discovery from %s failed: %s", history.key, exc)
                errors.append(exc)
                continue
            picked = _pick(pools, known, blocked, budget)
            if picked:
                feed = f"{FEED_PREFIX}{history.key}"
                counts["offered"] += store.add_feed_items(feed, picked).inserted
                budget -= len(picked)
                known.update(k for r in picked if (k := match_key(r.artist, r.title)))
        counts["failed_sources"] = len(errors)
        if errors and len(errors) == len(sources):
            raise errors[0]
        counts["budget_left"] = max(budget, 0)
        return counts

    def _pools(self, ctx: PollContext, settings: DiscoverConfig, history: Any) -> Iterator[Pool]:
        if isinstance(history, ListenBrainzConfig):
            yield from _ListenBrainz(ctx, settings, history).pools()
        else:
            yield from _Lastfm(ctx, settings, history).pools()


def _pick(pools: list[Pool], known: set[str], blocked: set[str], budget: int) -> list[TrackRef]:
    """Round robin over the pools: new, unblocked, distinct tracks, at most ``budget``."""
    picked: list[TrackRef] = []
    seen = set(known)
    for ref in chain.from_iterable(zip_longest(*pools)):
        if ref is None or len(picked) >= budget:
            continue
        key = match_key(ref.artist, ref.title)
        if not key or key in seen or normalize_text(ref.artist or "") in blocked:
            continue
        seen.add(key)
        picked.append(ref)
    return picked


class _ListenBrainz:
    """Top artists, similar artists and their top recordings, fresh releases."""

    def __init__(self, ctx: PollContext, settings: DiscoverConfig, history: Any) -> None:
        self.ctx, self.settings, self.history = ctx, settings, history
        self.base = (history.url or LISTENBRAINZ_URL).rstrip("/")
        self.labs = (settings.labs_url or LABS_URL).rstrip("/")
        self.what = f"discovery from listenbrainz source {history.key!r}"
        self.feed = f"{FEED_PREFIX}{history.key}"

    def _get(self, url: str, **params: Any) -> Any:
        response = self.ctx.request("GET", url, what=self.what, params=params)
        if response.status_code == 204:  # statistics not computed yet
            return None
        check_status(response, self.what)
        return decode_json(response, self.what)

    def pools(self) -> Iterator[Pool]:
        user = quote(self.history.user, safe="")
        stats = self._get(
            f"{self.base}/1/stats/user/{user}/artists",
            range=_LB_RANGE[self.settings.period],
            count=self.settings.artists,
        )
        top = as_list(as_dict(as_dict(stats).get("payload")).get("artists"))
        top_mbids = [m for a in top if (m := _artist_mbid(a))][: self.settings.artists]
        similar: dict[str, str] = {}  # mbid -> name, most similar first
        for mbid in top_mbids:
            for entry in self._similar(mbid)[: self.settings.similar]:
                if (m := as_str(as_dict(entry).get("artist_mbid"))) and m not in top_mbids:
                    similar.setdefault(m, as_str(as_dict(entry).get("name")) or "")
        for mbid in similar:
            yield self._top_recordings(mbid)
        if self.settings.fresh_releases:
            yield self._fresh_releases({*top_mbids, *similar})

    def _similar(self, mbid: str) -> list[Any]:
        found = self._get(
            f"{self.labs}/similar-artists/json", artist_mbids=mbid, algorithm=SIMILAR_ALGORITHM
        )
        return as_list(found)

    def _top_recordings(self, mbid: str) -> Pool:
        rows = as_list(self._get(f"{self.base}/1/popularity/top-recordings-for-artist/{mbid}"))
        refs = [_recording_ref(row, self.feed) for row in rows]
        return [r for r in refs if r is not None][: self.settings.tracks]

    def _fresh_releases(self, artists: set[str]) -> Pool:
        days = _FRESH_DAYS[self.settings.period]
        found = self._get(f"{self.base}/1/explore/fresh-releases/", days=days, future="false")
        releases = as_list(as_dict(as_dict(found).get("payload")).get("releases"))
        pool: Pool = []
        for release in map(as_dict, releases):
            mbids = {m for m in as_list(release.get("artist_mbids")) if isinstance(m, str)}
            single = as_str(release.get("release_group_primary_type")) in ("Single", None)
            artist, title = (
                as_str(release.get("artist_credit_name")),
                as_str(release.get("release_name")),
            )
            if mbids & artists and single and artist and title:
                pool.append(TrackRef(source=self.feed, artist=artist, title=title))
        return pool


def _artist_mbid(artist: Any) -> str | None:
    obj = as_dict(artist)
    mbids = [m for m in as_list(obj.get("artist_mbids")) if isinstance(m, str)]
    return as_str(obj.get("artist_mbid")) or (mbids[0] if mbids else None)


def _recording_ref(row: Any, source: str) -> TrackRef | None:
    obj = as_dict(row)
    artist, title = as_str(obj.get("artist_name")), as_str(obj.get("recording_name"))
    if not artist or not title:
        return None
    length = as_int(obj.get("length"))
    mbid = as_str(obj.get("recording_mbid"))
    return TrackRef(
        source=source,
        artist=artist,
        title=title,
        album=as_str(obj.get("release_name")),
        duration=length / 1000 if length and length > 0 else None,
        ids={"recording_mbid": mbid} if mbid else {},
    )


class _Lastfm:
    """``user.getTopArtists``, ``artist.getSimilar``, ``artist.getTopTracks``."""

    def __init__(self, ctx: PollContext, settings: DiscoverConfig, history: Any) -> None:
        self.ctx, self.settings, self.history = ctx, settings, history
        self.url = history.url or LASTFM_URL
        self.what = f"discovery from lastfm source {history.key!r}"
        self.feed = f"{FEED_PREFIX}{history.key}"

    def _call(self, method: str, **params: Any) -> Any:
        query = {"method": method, "api_key": str(self.history.api_key), "format": "json"}
        response = self.ctx.request("GET", self.url, what=self.what, params={**query, **params})
        payload = decode_json(response, self.what) if response.content else None
        raise_for_error(payload, self.what)
        check_status(response, self.what)
        return payload

    def pools(self) -> Iterator[Pool]:
        top = self._call(
            "user.gettopartists",
            user=self.history.user,
            period=_LASTFM_PERIOD[self.settings.period],
            limit=self.settings.artists,
        )
        names = _names(as_dict(as_dict(top).get("topartists")).get("artist"))
        similar: list[str] = []
        for name in names[: self.settings.artists]:
            found = self._call("artist.getsimilar", artist=name, limit=self.settings.similar)
            for other in _names(as_dict(as_dict(found).get("similarartists")).get("artist")):
                if other not in similar and other not in names:
                    similar.append(other)
        for name in similar:
            tracks = self._call("artist.gettoptracks", artist=name, limit=self.settings.tracks)
            items = as_list(as_dict(as_dict(tracks).get("toptracks")).get("track"))
            yield [r for r in (self._track_ref(i, name) for i in items) if r][
                : self.settings.tracks
            ]

    def _track_ref(self, item: Any, artist: str) -> TrackRef | None:
        obj = as_dict(item)
        title = as_str(obj.get("name"))
        if not title:
            return None
        mbid = as_str(obj.get("mbid"))
        name = as_str(as_dict(obj.get("artist")).get("name")) or artist
        return TrackRef(
            source=self.feed,
            artist=name,
            title=title,
            ids={"recording_mbid": mbid} if mbid else {},
        )


def _names(items: Any) -> list[str]:
    return [n for item in as_list(items) if (n := as_str(as_dict(item).get("name")))]
