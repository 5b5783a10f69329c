"""Polling every configured source: each poll recorded in the runs table
(``history:<key>``, ``feed:<key>``), a source that keeps failing backed off (the back-off
itself, and how ``tastebud retry`` ends it, is :mod:`daemon.waits`), a failing one logged
while the others go on, each within its own deadline (:mod:`daemon.sources.deadline`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial

from daemon import net
from daemon.config import Config, FeedConfig, HistoryConfig
from daemon.sources.base import ClientFactory, PollContext, Source
from daemon.sources.deadline import poll_within
from daemon.sources.discover import Discovery, DiscoveryFeed, discovery_feed
from daemon.sources.registry import source_type
from daemon.waits import BACKOFF_BASE_S, BACKOFF_MAX_S, SKIP_HINT, backoff_until, until
from store import Store, TastebudError

__all__ = [
    "BACKOFF_BASE_S",
    "BACKOFF_MAX_S",
    "backoff_until",
    "build_source",
    "feed_jobs",
    "poll_feeds",
    "poll_history",
    "source_jobs",
]

logger = logging.getLogger(__name__)


def build_source(config: HistoryConfig | FeedConfig) -> Source:
    """The source object for one config table (or the discovery job's)."""
    if isinstance(config, DiscoveryFeed):
        return Discovery(config)
    source: Source = source_type(config).source(config)
    return source


def poll_history(
    store: Store,
    config: Config,
    *,
    client_factory: ClientFactory | None = None,
    policy: net.RetryPolicy | None = None,
    pacer: net.Pacer | None = None,
    backoff_base_s: float = BACKOFF_BASE_S,
) -> dict[str, dict[str, int]]:
    """Poll every ``[[history]]`` source; per-source counts; never raises for one bad source."""
    jobs = [(f"history:{h.key}", h) for h in config.history]
    factory = client_factory or _client_factory(config, pacer)
    return _poll_all(store, config, jobs, factory, policy, backoff_base_s)


def feed_jobs(config: Config) -> list[tuple[str, FeedConfig]]:
    """(run name, table) of every feed that polls: the ``[[feeds]]`` tables, then the
    discovery feed when ``[discover]`` has something to draw on."""
    jobs = [(f"feed:{f.key}", f) for f in config.feeds]
    if (discovery := discovery_feed(config)) is not None:
        jobs.append((f"feed:{discovery.key}", discovery))
    return jobs


def source_jobs(config: Config) -> list[str]:
    """The run names of the configured sources: ``history:KEY``, then :func:`feed_jobs`'
    (the config loader refuses two sources of one name, and a feed named "discover")."""
    return [f"history:{h.key}" for h in config.history] + [job for job, _ in feed_jobs(config)]


def poll_feeds(
    store: Store,
    config: Config,
    *,
    client_factory: ClientFactory | None = None,
    policy: net.RetryPolicy | None = None,
    pacer: net.Pacer | None = None,
    backoff_base_s: float = BACKOFF_BASE_S,
) -> dict[str, dict[str, int]]:
    """Poll every ``[[feeds]]`` feed, then discovery (``[discover]``); per-feed counts;
    never raises for one bad feed."""
    jobs: list[tuple[str, HistoryConfig | FeedConfig]] = [*feed_jobs(config)]
    factory = client_factory or _client_factory(config, pacer)
    return _poll_all(store, config, jobs, factory, policy, backoff_base_s)


def _poll_all(
    store: Store,
    config: Config,
    jobs: Sequence[tuple[str, HistoryConfig | FeedConfig]],
    client_factory: ClientFactory,
    policy: net.RetryPolicy | None,
    backoff_base_s: float,
) -> dict[str, dict[str, int]]:
    results: dict[str, dict[str, int]] = {}
    if not jobs:
        return results
    fetch = config.fetch
    timeout = fetch.socket_timeout_s
    with client_factory() as client:
        ctx = PollContext(
            client,
            policy or net.RetryPolicy(),
            proxy=fetch.proxy,
            socket_timeout_s=timeout,
            poll_deadline_s=fetch.poll_deadline_s,
            config=config,
        )
        for job, source_config in jobs:
            results[source_config.key] = _poll_one(store, job, source_config, ctx, backoff_base_s)
    return results


def _client_factory(config: Config, pacer: net.Pacer | None) -> ClientFactory:
    """Clients with ``[fetch]``'s proxy and socket timeout, spaced by ``pacer`` (the
    daemon's one, shared by its jobs) or by a pacer of their own."""
    return partial(net.client_for, config.fetch, pacer=pacer)


def _poll_one(
    store: Store,
    job: str,
    source_config: HistoryConfig | FeedConfig,
    ctx: PollContext,
    backoff_base_s: float,
) -> dict[str, int]:
    wait = backoff_until(store, job, base_s=backoff_base_s)
    if wait is not None and wait > ctx.now():
        reason = f"backing off after failing, until {until(wait, ctx.now())}: {SKIP_HINT}"
        with store.recorded_run(job) as skipped:
            skipped.status, skipped.error = "skipped", reason
        logger.info("%s: %s", job, reason)
        return {"skipped": 1}
    try:
        with store.recorded_run(job) as outcome:
            source = build_source(source_config)
            outcome.counts = poll_within(source, store, ctx, ctx.poll_deadline_s, job)
    except TastebudError as exc:
        logger.warning("%s failed: %s", job, exc)
        return {"failed": 1}
    except Exception:  # a bug in one source must not stop the others
        logger.exception("%s failed unexpectedly", job)
        return {"failed": 1}
    logger.info("%s: %s", job, outcome.counts)
    return outcome.counts
