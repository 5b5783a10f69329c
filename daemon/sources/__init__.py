"""Listening-history sources and candidate feeds, one module each behind :class:`Source`.

A registry maps each ``type`` of a ``[[history]]`` or ``[[feeds]]`` table to
its class; :func:`poll_history` and :func:`poll_feeds` poll every configured
one, record each poll in the runs table (``history:<key>``, ``feed:<key>``),
back off a source that keeps failing, and log a failing one and go on.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from daemon import http
from daemon.config import Config, FeedConfig, HistoryConfig
from store import RunRecord, Store
from store.errors import TastebudError

__all__ = [
    "BACKOFF_BASE_S",
    "BACKOFF_MAX_S",
    "FEED_SOURCES",
    "HISTORY_SOURCES",
    "PollContext",
    "Source",
    "backoff_until",
    "build_source",
    "poll_feeds",
    "poll_history",
]

logger = logging.getLogger(__name__)

BACKOFF_BASE_S = 300.0
BACKOFF_MAX_S = 6 * 3600.0

# type -> "module:class"; imported lazily so that an optional dependency stays optional.
HISTORY_SOURCES: dict[str, str] = {
    "listenbrainz": "daemon.sources.listenbrainz:ListenBrainzHistory",
    "lastfm": "daemon.sources.lastfm:LastfmHistory",
    "ytmusic": "daemon.sources.ytmusic:YTMusicHistory",
    "takeout": "daemon.sources.takeout:TakeoutHistory",
    "listenbrainz-export": "daemon.sources.lb_export:ExportHistory",
}
FEED_SOURCES: dict[str, str] = {
    "url": "daemon.sources.url_feed:UrlFeed",
    "listenbrainz-recommendations": "daemon.sources.lb_recommendations:RecommendationsFeed",
    "directory": "daemon.sources.directory:DirectoryFeed",
}

ClientFactory = Callable[[], httpx.Client]


@dataclass(frozen=True)
class PollContext:
    """What a source needs to poll: an HTTP client, the retry policy, the clock."""

    client: httpx.Client
    policy: http.RetryPolicy = field(default_factory=http.RetryPolicy)
    pacer: http.Pacer | None = None
    now: Callable[[], float] = time.time

    def request(self, method: str, url: str, *, what: str, **kwargs: Any) -> httpx.Response:
        """:func:`daemon.http.request` with this context's client and policy."""
        return http.request(
            self.client, method, url, what=what, policy=self.policy, pacer=self.pacer, **kwargs
        )

    def get_json(self, url: str, *, what: str, **kwargs: Any) -> Any:
        """:func:`daemon.http.get_json` with this context's client and policy."""
        return http.get_json(
            self.client, url, what=what, policy=self.policy, pacer=self.pacer, **kwargs
        )


class Source(Protocol):
    """A history source or candidate feed: stores what is new, returns counts."""

    key: str

    def poll(self, store: Store, ctx: PollContext) -> dict[str, int]:
        """Fetch what is new since the stored cursor and store it; raise a SourceError."""
        ...


def build_source(config: HistoryConfig | FeedConfig) -> Source:
    """The source object for one config table."""
    registry = HISTORY_SOURCES if isinstance(config, HistoryConfig) else FEED_SOURCES
    module_name, cls_name = registry[config.type].split(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    source: Source = cls(config)
    return source


def poll_history(
    store: Store,
    config: Config,
    *,
    client_factory: ClientFactory | None = None,
    policy: http.RetryPolicy | None = None,
    backoff_base_s: float = BACKOFF_BASE_S,
) -> dict[str, dict[str, int]]:
    """Poll every ``[[history]]`` source; per-source counts; never raises for one bad source."""
    jobs = [(f"history:{h.key}", h) for h in config.history]
    return _poll_all(store, jobs, client_factory, policy, backoff_base_s)


def poll_feeds(
    store: Store,
    config: Config,
    *,
    client_factory: ClientFactory | None = None,
    policy: http.RetryPolicy | None = None,
    backoff_base_s: float = BACKOFF_BASE_S,
) -> dict[str, dict[str, int]]:
    """Poll every ``[[feeds]]`` feed; per-feed counts; never raises for one bad feed."""
    jobs = [(f"feed:{f.key}", f) for f in config.feeds]
    return _poll_all(store, jobs, client_factory, policy, backoff_base_s)


def _poll_all(
    store: Store,
    jobs: Sequence[tuple[str, HistoryConfig | FeedConfig]],
    client_factory: ClientFactory | None,
    policy: http.RetryPolicy | None,
    backoff_base_s: float,
) -> dict[str, dict[str, int]]:
    results: dict[str, dict[str, int]] = {}
    if not jobs:
        return results
    with (client_factory or http.make_client)() as client:
        ctx = PollContext(client, policy or http.RetryPolicy())
        for job, source_config in jobs:
            results[source_config.key] = _poll_one(store, job, source_config, ctx, backoff_base_s)
    return results


def _poll_one(
    store: Store,
    job: str,
    source_config: HistoryConfig | FeedConfig,
    ctx: PollContext,
    backoff_base_s: float,
) -> dict[str, int]:
    until = backoff_until(store, job, base_s=backoff_base_s)
    if until is not None and until > ctx.now():
        reason = f"backing off after repeated failures until {time.ctime(until)}"
        store.finish_run(store.start_run(job), "skipped", {}, reason)
        logger.info("%s: %s", job, reason)
        return {"skipped": 1}
    run_id = store.start_run(job)
    try:
        counts = build_source(source_config).poll(store, ctx)
    except TastebudError as exc:
        logger.warning("%s failed: %s", job, exc)
        store.finish_run(run_id, "failed", {}, str(exc))
        return {"failed": 1}
    except Exception as exc:  # a bug in one source must not stop the others
        logger.exception("%s failed unexpectedly", job)
        store.finish_run(run_id, "failed", {}, f"{type(exc).__name__}: {exc}")
        return {"failed": 1}
    store.finish_run(run_id, "ok", counts)
    logger.info("%s: %s", job, counts)
    return counts


def backoff_until(
    store: Store, job: str, *, base_s: float = BACKOFF_BASE_S, max_s: float = BACKOFF_MAX_S
) -> float | None:
    """When a job that failed its last runs may run again (doubling per failure), else None."""
    failures: list[RunRecord] = []
    for run in store.runs(job, limit=20):
        if run.status == "skipped":
            continue
        if run.status != "failed":
            break
        failures.append(run)
    if not failures:
        return None
    delay = min(base_s * 2.0 ** (len(failures) - 1), max_s)
    last = failures[0]
    return (last.finished_at or last.started_at) + delay
