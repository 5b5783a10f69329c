"""A feed from the network offers web URLs only: a ``file://`` item is skipped."""

from __future__ import annotations

import httpx

from daemon.net import RetryPolicy, make_client
from daemon.sources import PollContext
from daemon.sources.url_feed import UrlFeed, UrlFeedConfig
from store import Store
from tests.audio_helpers import Route, loopback_server, rss_feed


def test_a_remote_feed_cannot_offer_a_local_file(store: Store) -> None:
    with loopback_server() as server:
        items = [
            ("Owner - Passwords", "file:///etc/passwd", "audio/mpeg", 120),
            ("Owner - Sneaky", "ftp://127.0.0.1/x.mp3", "audio/mpeg", 120),
            ("Band - Song", server.url("song.mp3"), "audio/mpeg", 120),
        ]
        feed_url = server.add("feed.rss", Route(rss_feed(items), "application/rss+xml"))
        ctx = PollContext(make_client(transport=httpx.MockTransport(lambda r: httpx.Response(599))),
                          RetryPolicy(attempts=1, min_interval_s=0.0))  # fmt: skip
        counts = UrlFeed(UrlFeedConfig(url=feed_url)).poll(store, ctx)
    assert counts == {"items": 1, "duplicates": 0, "skipped": 2}
    assert not store.find_tracks("file:///etc/passwd")
    assert [t.title for t in store.find_tracks(server.url("song.mp3"))] == ["Song"]
