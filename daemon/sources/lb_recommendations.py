"""ListenBrainz recommendations: collaborative-filtering recordings and "created for" playlists.

``/1/cf/recommendation/user/{user}/recording`` gives recording MBIDs only
(204 while none are computed); their artist and title come from the metadata
API. The playlists created for the user (``/1/user/{user}/playlists/createdfor``,
then ``/1/playlist/{mbid}`` as JSPF) carry artist and title themselves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote

from daemon.config import FeedConfig, Secret, bounded, secret
from daemon.net import MalformedPayloadError
from daemon.sources._parse import Skips, as_dict, as_int, as_list, as_str, parse_items, usable
from daemon.sources.base import PollContext
from daemon.sources.listenbrainz import DEFAULT_URL
from daemon.sources.registry import register
from store import Store, TrackRef

__all__ = ["RecommendationsConfig", "RecommendationsFeed", "jspf_ref", "recording_mbid"]

logger = logging.getLogger(__name__)

METADATA_BATCH = 50
_RECORDING = "musicbrainz.org/recording/"


def recording_mbid(identifier: Any) -> str | None:
    """The MBID in a JSPF ``identifier`` (a URL, or a list of URLs)."""
    for value in as_list(identifier) if isinstance(identifier, list) else [identifier]:
        text = as_str(value)
        if text and _RECORDING in text:
            return text.rstrip("/").rsplit("/", 1)[-1]
    return None


def jspf_ref(track: Any, source: str) -> TrackRef:
    """One JSPF track as a track reference."""
    obj = as_dict(track)
    artist, title = as_str(obj.get("creator")), as_str(obj.get("title"))
    if not artist or not title:
        raise MalformedPayloadError("JSPF track has no creator or title")
    ms = as_int(obj.get("duration"))
    mbid = recording_mbid(obj.get("identifier"))
    return usable(
        TrackRef(
            source=source,
            artist=artist,
            title=title,
            album=as_str(obj.get("album")),
            duration=ms / 1000 if ms else None,
            ids={"recording_mbid": mbid} if mbid else {},
        )
    )


def _metadata_ref(mbid: str, meta: Any, source: str) -> TrackRef | None:
    obj = as_dict(meta)
    recording = as_dict(obj.get("recording"))
    artist = as_str(as_dict(obj.get("artist")).get("name"))
    title = as_str(recording.get("name"))
    if not artist or not title:
        return None
    ms = as_int(recording.get("length"))
    return TrackRef(
        source=source,
        artist=artist,
        title=title,
        duration=ms / 1000 if ms else None,
        ids={"recording_mbid": mbid},
    )


@dataclass(frozen=True)
class RecommendationsConfig(FeedConfig):
    """A ``[[feeds]] type = "listenbrainz-recommendations"`` table."""

    required: ClassVar[tuple[str, ...]] = ("user",)
    type: str = "listenbrainz-recommendations"
    user: str = ""
    api_url: str = ""  # empty: the ListenBrainz API (DEFAULT_URL)
    token: Secret = secret()
    max_items: int = bounded(50, above=0)

    @property
    def key(self) -> str:
        """The feed's name in the queue, cursors, runs and logs."""
        return self.name or f"{self.type}:{self.user}"


class RecommendationsFeed:
    """A ``[[feeds]] type = "listenbrainz-recommendations"`` feed."""

    def __init__(self, config: RecommendationsConfig) -> None:
        self.config = config
        self.key = config.key
        self.base = (config.api_url or DEFAULT_URL).rstrip("/")
        self.user = quote(config.user, safe="")
        self.what = f"listenbrainz-recommendations feed {self.key!r}"

    def _get(self, ctx: PollContext, path: str, **params: Any) -> Any:
        headers = {"Authorization": f"Token {self.config.token}"} if self.config.token else {}
        return ctx.get_json(self.base + path, what=self.what, params=params, headers=headers)

    def poll(self, store: Store, ctx: PollContext) -> dict[str, int]:
        """Offer the recommended recordings and the tracks of the created-for playlists."""
        counts = {"unresolved": 0, "playlists": 0, "skipped": 0}
        refs = self._cf_refs(ctx, counts) + self._playlist_refs(ctx, counts)
        result = store.add_feed_items(self.key, refs)
        return {"items": result.inserted, "duplicates": result.duplicates, **counts}

    def _cf_refs(self, ctx: PollContext, counts: dict[str, int]) -> list[TrackRef]:
        path = f"/1/cf/recommendation/user/{self.user}/recording"
        payload = self._get(ctx, path, count=self.config.max_items)
        if payload is None:  # 204: no recommendations computed yet
            return []
        mbids_obj = as_dict(as_dict(payload).get("payload")).get("mbids")
        if not isinstance(mbids_obj, list):
            raise MalformedPayloadError(f"{self.what}: recommendations have no payload.mbids")
        mbids = [m for m in (as_str(as_dict(i).get("recording_mbid")) for i in mbids_obj) if m]
        metadata = self._metadata(ctx, mbids)
        refs = [_metadata_ref(m, metadata.get(m), self.key) for m in mbids]
        counts["unresolved"] += sum(r is None for r in refs)
        return [r for r in refs if r is not None]

    def _metadata(self, ctx: PollContext, mbids: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for start in range(0, len(mbids), METADATA_BATCH):
            batch = ",".join(mbids[start : start + METADATA_BATCH])
            payload = self._get(ctx, "/1/metadata/recording/", recording_mbids=batch, inc="artist")
            found.update(as_dict(payload))
        return found

    def _playlist_refs(self, ctx: PollContext, counts: dict[str, int]) -> list[TrackRef]:
        payload = self._get(ctx, f"/1/user/{self.user}/playlists/createdfor")
        refs: list[TrackRef] = []
        for entry in as_list(as_dict(payload).get("playlists")):
            mbid = as_str(as_dict(as_dict(entry).get("playlist")).get("identifier"))
            if not mbid:
                continue
            jspf = self._get(ctx, f"/1/playlist/{mbid.rstrip('/').rsplit('/', 1)[-1]}")
            tracks = as_list(as_dict(as_dict(jspf).get("playlist")).get("track"))
            skips: Skips = Skips()
            parsed = parse_items(tracks, lambda t: jspf_ref(t, self.key), self.what, skips)
            refs += parsed[: self.config.max_items]
            counts["playlists"] += 1
            counts["skipped"] += sum(skips.values())
        return refs


register(RecommendationsFeed, RecommendationsConfig)
