"""ListenBrainz: listens (``/1/user/{user}/listens``), loves and hates, and pushing feedback.

Listens come newest first. The first page asks for the newest ``count``
listens above the cursor (minus an overlap window for late submissions); the
next pages go backwards with ``max_ts`` until they reach the cursor. Each page
is stored as it arrives (idempotently); the cursor advances only after the
whole catch-up succeeded.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from daemon.config import HistoryConfig, Secret, bounded, secret
from daemon.feedback import ORIGINS
from daemon.net import MalformedPayloadError, SourceError, check_status
from daemon.sources._parse import (
    Skips,
    as_dict,
    as_int,
    as_str,
    as_timestamp,
    parse_items,
    usable,
)
from daemon.sources.base import PollContext
from daemon.sources.mbid_lookup import lookup_mbid
from daemon.sources.registry import register
from store import FeedbackEvent, FeedbackKind, ListenIn, Store, TrackRef

__all__ = [
    "DEFAULT_URL",
    "ListenBrainzConfig",
    "ListenBrainzHistory",
    "feedback_ref",
    "listens_of",
    "parse_listen",
]

logger = logging.getLogger(__name__)

DEFAULT_URL = "https://api.listenbrainz.org"
MAX_COUNT = 1000
FEEDBACK_PAGE = 100
MAX_PAGES = 100_000
GIVEN_IN_TASTEBUD = ORIGINS  # the feedback given in tastebud is what is pushed back
_SCORES: tuple[tuple[int, FeedbackKind], ...] = ((1, "like"), (-1, "dislike"))
# Streaming services whose pages yt-dlp cannot fetch audio from: keep their ids, not the URL.
_UNFETCHABLE_HOSTS = ("spotify.com", "music.apple.com", "tidal.com", "deezer.com", "amazon.")


def parse_listen(item: Any, source: str) -> ListenIn:
    """One listen object, as the API and the export write it, as a :class:`ListenIn`."""
    obj = as_dict(item)
    listened_at = as_timestamp(obj.get("listened_at"), "listened_at")
    meta = as_dict(obj.get("track_metadata"))
    ref = _track_ref(meta, source, as_str(obj.get("recording_msid")))
    return ListenIn(track=ref, listened_at=listened_at)


def _track_ref(meta: dict[str, Any], source: str, msid: str | None) -> TrackRef:
    artist, title = as_str(meta.get("artist_name")), as_str(meta.get("track_name"))
    if not artist or not title:
        raise MalformedPayloadError("track_metadata has no artist_name or track_name")
    info = as_dict(meta.get("additional_info"))
    mapping = as_dict(meta.get("mbid_mapping"))
    ids = _ids(
        recording_mbid=as_str(mapping.get("recording_mbid")) or as_str(info.get("recording_mbid")),
        recording_msid=msid
        or as_str(meta.get("recording_msid"))
        or as_str(info.get("recording_msid")),
        spotify=as_str(info.get("spotify_id")),
        isrc=as_str(info.get("isrc")),
    )
    return usable(
        TrackRef(
            source=source,
            artist=artist,
            title=title,
            album=as_str(meta.get("release_name")),
            duration=_duration(info),
            url=_fetchable_url(info),
            ids=ids,
        )
    )


def _ids(**values: str | None) -> dict[str, str]:
    return {kind: value for kind, value in values.items() if value}


def _duration(info: dict[str, Any]) -> float | None:
    if (ms := as_int(info.get("duration_ms"))) is not None and ms > 0:
        return ms / 1000
    seconds = as_int(info.get("duration"))
    return float(seconds) if seconds else None


def _fetchable_url(info: dict[str, Any]) -> str | None:
    if video := as_str(info.get("youtube_id")):
        return f"https://www.youtube.com/watch?v={video}"
    url = as_str(info.get("origin_url"))
    if not url:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or any(h in host for h in _UNFETCHABLE_HOSTS):
        return None
    return url


def listens_of(payload: Any, what: str) -> list[Any]:
    """``payload.listens`` of a listens response, or :class:`MalformedPayloadError`."""
    listens = as_dict(as_dict(payload).get("payload")).get("listens")
    if not isinstance(listens, list):
        raise MalformedPayloadError(f"{what}: response has no payload.listens array")
    return listens


def feedback_ref(item: Any, source: str) -> tuple[TrackRef, float]:
    """A get-feedback item as (track reference, created time)."""
    obj = as_dict(item)
    created = as_timestamp(obj.get("created"), "created")
    ids = _ids(
        recording_mbid=as_str(obj.get("recording_mbid")),
        recording_msid=as_str(obj.get("recording_msid")),
    )
    if not ids:
        raise MalformedPayloadError("feedback item has no recording id")
    meta = as_dict(obj.get("track_metadata"))
    try:
        ref = _track_ref(meta, source, ids.get("recording_msid"))
        ref = dataclasses.replace(ref, ids={**ref.ids, **ids})
    except MalformedPayloadError:
        ref = TrackRef(source=source, ids=ids)
    return ref, float(created)


@dataclass(frozen=True)
class ListenBrainzConfig(HistoryConfig):
    """A ``[[history]] type = "listenbrainz"`` table."""

    required: ClassVar[tuple[str, ...]] = ("user",)
    type: str = "listenbrainz"
    user: str = ""
    url: str = ""  # empty: DEFAULT_URL
    token: Secret = secret()  # needed to push feedback
    feedback: bool = True  # import loves and hates
    push_feedback: bool = False
    page_size: int = bounded(100, above=0)
    overlap_s: int = bounded(3600, at_least=0)  # late submissions: re-read this far back

    @property
    def key(self) -> str:
        """The source's name in cursors, runs and logs."""
        return self.name or (f"{self.type}:{self.user}" if self.user else self.type)


class ListenBrainzHistory:
    """A ``[[history]] type = "listenbrainz"`` source."""

    def __init__(self, config: ListenBrainzConfig) -> None:
        self.config = config
        self.key = config.key
        self.base = (config.url or DEFAULT_URL).rstrip("/")
        self.what = f"listenbrainz source {self.key!r}"
        self.user = quote(config.user, safe="")

    def poll(self, store: Store, ctx: PollContext) -> dict[str, int]:
        """Catch up on listens, then loves and hates, then push tastebud's own feedback."""
        counts = self._poll_listens(store, ctx)
        if self.config.feedback:
            counts.update(self._poll_feedback(store, ctx))
        if self.config.token and self.config.push_feedback:
            counts["pushed"] = self._push_feedback(store, ctx)
        return counts

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.config.token}"} if self.config.token else {}

    # -- listens ---------------------------------------------------------------------------

    def _poll_listens(self, store: Store, ctx: PollContext) -> dict[str, int]:
        cursor_name = f"history:{self.key}"
        newest = _int_cursor(store.get_cursor(cursor_name), cursor_name)
        floor = max(0, newest - self.config.overlap_s) if newest else 0
        count = max(1, min(self.config.page_size, MAX_COUNT))
        params: dict[str, int] = {"count": count, "min_ts": floor}
        counts = {"listens": 0, "duplicates": 0, "skipped": 0}
        for _ in range(MAX_PAGES):
            raw = listens_of(self._get_listens(ctx, params), self.what)
            newest = max([newest, *self._store_page(store, raw, floor, counts)])
            stamps = [t for t in map(_valid_stamp, raw) if t]
            if len(raw) < count or not stamps or min(stamps) <= floor:
                break
            if min(stamps) >= params.get("max_ts", min(stamps) + 1):
                logger.warning(
                    "%s: the server ignores max_ts (a page no older than the last): "
                    "stopped paging here",
                    self.what,
                )
                break
            params = {"count": count, "max_ts": min(stamps)}
        if newest:
            store.set_cursor(cursor_name, str(newest))
        return counts

    def _get_listens(self, ctx: PollContext, params: dict[str, int]) -> Any:
        url = f"{self.base}/1/user/{self.user}/listens"
        return ctx.get_json(url, what=self.what, params=params, headers=self._headers())

    def _store_page(
        self, store: Store, raw: list[Any], floor: int, counts: dict[str, int]
    ) -> list[int]:
        skips: Skips = Skips()
        listens = parse_items(raw, lambda i: parse_listen(i, self.key), self.what, skips)
        fresh = [listen for listen in listens if listen.listened_at > floor]
        result = store.add_listens(fresh, self.key)
        counts["listens"] += result.inserted
        counts["duplicates"] += result.duplicates
        counts["skipped"] += sum(skips.values())
        return [listen.listened_at for listen in fresh]

    # -- loves and hates -------------------------------------------------------------------

    def _poll_feedback(self, store: Store, ctx: PollContext) -> dict[str, int]:
        cursor_name = f"history:{self.key}:feedback"
        since = _int_cursor(store.get_cursor(cursor_name), cursor_name)
        newest, inserted = since, 0
        for score, kind in _SCORES:
            for page in self._feedback_pages(ctx, score, since):
                events = [(kind, "listenbrainz", ref, None, at) for ref, at in page]
                inserted += store.add_feedback_many(events).inserted
                newest = max([newest, *(int(at) for _, at in page)])
        if newest > since:
            store.set_cursor(cursor_name, str(newest))
        return {"feedback": inserted}

    def _feedback_pages(
        self, ctx: PollContext, score: int, since: int
    ) -> Iterable[list[tuple[TrackRef, float]]]:
        url = f"{self.base}/1/feedback/user/{self.user}/get-feedback"
        for offset in range(0, MAX_PAGES * FEEDBACK_PAGE, FEEDBACK_PAGE):
            params = {"score": score, "count": FEEDBACK_PAGE, "offset": offset, "metadata": "true"}
            payload = ctx.get_json(url, what=self.what, params=params, headers=self._headers())
            items = as_dict(payload).get("feedback")
            if not isinstance(items, list):
                raise MalformedPayloadError(f"{self.what}: get-feedback has no feedback array")
            skips: Skips = Skips()
            page = parse_items(items, lambda i: feedback_ref(i, self.key), self.what, skips)
            fresh = [(ref, at) for ref, at in page if at > since]
            yield fresh
            if len(items) < FEEDBACK_PAGE or len(fresh) < len(page):
                return

    # -- pushing tastebud's likes and dislikes ---------------------------------------------

    def _push_feedback(self, store: Store, ctx: PollContext) -> int:
        events = [
            e
            for e in reversed(store.feedback(unpushed_origin=GIVEN_IN_TASTEBUD))
            if e.kind in ("like", "dislike") and e.track_id is not None and e.id is not None
        ]
        pushed: list[int] = []
        try:
            for event in events:
                if self._push_one(store, ctx, event):
                    pushed.append(event.id or 0)
        finally:
            store.mark_feedback_pushed(pushed)
        return len(pushed)

    def _push_one(self, store: Store, ctx: PollContext, event: FeedbackEvent) -> bool:
        ids = store.track_ids_of(event.track_id or 0)
        if not ids.get("recording_mbid") and not ids.get("recording_msid"):
            ids = self._looked_up(store, ctx, event.track_id or 0) or ids
        body: dict[str, Any] = {"score": 1 if event.kind == "like" else -1}
        if mbid := ids.get("recording_mbid"):
            body["recording_mbid"] = mbid
        elif msid := ids.get("recording_msid"):
            body["recording_msid"] = msid
        else:
            logger.debug("%s: track %s has no recording id; not pushed", self.what, event.track_id)
            return False
        url = f"{self.base}/1/feedback/recording-feedback"
        response = ctx.request("POST", url, what=self.what, json=body, headers=self._headers())
        check_status(response, self.what)
        return True

    def _looked_up(self, store: Store, ctx: PollContext, track_id: int) -> dict[str, str]:
        """The track's ids once its recording MBID was looked up by artist and title."""
        track = store.get_track(track_id)
        if track is None or not (track.artist and track.title):
            return {}
        try:
            mbid = lookup_mbid(store, ctx, self.base, track.artist, track.title)
        except SourceError as exc:  # this push waits for the next poll; the rest go on
            logger.warning("%s: %s", self.what, exc)
            return {}
        if mbid:
            store.set_recording_mbid(track_id, mbid)
        return store.track_ids_of(track_id)


def _valid_stamp(item: Any) -> int | None:
    try:
        return as_timestamp(as_dict(item).get("listened_at"), "listened_at")
    except MalformedPayloadError:
        return None


def _int_cursor(value: str | None, name: str) -> int:
    if value is None:
        return 0
    try:
        return int(float(value))
    except ValueError:
        logger.warning("cursor %s holds %r, not a time; starting over", name, value)
        return 0


register(ListenBrainzHistory, ListenBrainzConfig)
