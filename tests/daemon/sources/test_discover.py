"""Candidates without a feed: ListenBrainz similar artists, their top recordings and fresh
releases, Last.fm similar artists and their top tracks, on a loopback server; what is
heard, owned or blocked left out; at most per_day a day; one failing API not the end."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.config import Config, DiscoverConfig, Secret
from daemon.net import RetryPolicy, SourceUnavailableError, make_client
from daemon.sources import (
    DirectoryConfig,
    LastfmConfig,
    ListenBrainzConfig,
    PollContext,
    discovery_feed,
    poll_feeds,
    source_jobs,
)
from daemon.sources.discover import Discovery, DiscoveryFeed
from daemon.waits import current_waits, lift_waits
from store import ListenIn, Store, TrackRef, match_key
from tests.media_servers import FakeDiscovery, running

POLICY = RetryPolicy(attempts=1, backoff_s=0.0, min_interval_s=0.0, sleep=lambda s: None)
LB_FEED, LFM_FEED = "discover:listenbrainz:ana", "discover:lastfm:ana"


@pytest.fixture
def apis() -> Iterator[FakeDiscovery]:
    with running(FakeDiscovery()) as server:
        yield server


def _config(apis: FakeDiscovery, *, lastfm: bool = False, **discover: object) -> Config:
    history: list[object] = [ListenBrainzConfig(user="ana", url=apis.base)]
    if lastfm:
        history.append(LastfmConfig(user="ana", url=f"{apis.base}/2.0/", api_key=Secret("k3y")))
    settings = DiscoverConfig(labs_url=apis.base, **discover)  # type: ignore[arg-type]
    return Config(history=tuple(history), discover=settings)  # type: ignore[arg-type]


def _poll(store: Store, config: Config) -> dict[str, int]:
    with make_client() as client:
        return Discovery(DiscoveryFeed()).poll(store, PollContext(client, POLICY, config=config))


def _offered(store: Store) -> dict[str, list[str]]:
    with store.read() as conn:
        rows = conn.execute(
            "SELECT f.feed, t.artist || ' - ' || t.title, t.url FROM feed_items f "
            "JOIN tracks t ON t.id = f.track_id ORDER BY f.feed, f.position"
        ).fetchall()
    assert all(url is None for _, _, url in rows)  # resolved by search, like other items
    found: dict[str, list[str]] = {}
    for feed, label, _ in rows:
        found.setdefault(feed, []).append(label)
    return found


def test_listenbrainz_similar_artists_top_recordings_and_fresh_releases(
    store: Store, apis: FakeDiscovery
) -> None:
    counts = _poll(store, _config(apis))
    assert counts == {"offered": 5, "failed_sources": 0, "budget_left": 15}
    # one of each similar artist's recordings and of the fresh releases in turn
    assert _offered(store) == {
        LB_FEED: [
            "Michael Jackson - world.execute(me);",
            "a-ha - world.execute(me);",
            "a-ha - Summer Moved On (Live at the Harbour)",
            "Michael Jackson - String Theocracy",
            "a-ha - String Theocracy",
        ]
    }
    asked = [path for _, path, _ in apis.requests]
    assert "/similar-artists/json?artist_mbids=db92a151-1ac2-438b-bc43-b82e149ddd50" in " ".join(
        asked
    )
    track = next(t for t in store.tracks() if t.title == "world.execute(me);")
    assert track.duration == pytest.approx(211.912)
    assert "recording_mbid" in store.track_ids_of(track.id)


def test_heard_owned_and_blocked_are_left_out(store: Store, apis: FakeDiscovery) -> None:
    now = int(time.time())
    heard = TrackRef("lb", artist="Michael Jackson", title="world.execute(me);")
    store.add_listens([ListenIn(heard, now - 60)], "listenbrainz:ana")
    owned = TrackRef("jf", artist="a-ha", title="String Theocracy", ids={"jellyfin": "abc"})
    store.upsert_track(owned)
    local = TrackRef("dir", artist="a-ha", title="world.execute(me);", url="file:///music/a.flac")
    store.upsert_track(local)
    store.give_feedback("block", "cli", artist="MICHAEL JACKSON")
    _poll(store, _config(apis))
    assert _offered(store) == {LB_FEED: ["a-ha - Summer Moved On (Live at the Harbour)"]}


def test_a_media_servers_whole_library_counts_as_owned(store: Store, apis: FakeDiscovery) -> None:
    store.set_cursor("owned:jellyfin:ana", json.dumps([match_key("a-ha", "String Theocracy")]))
    _poll(store, _config(apis))
    assert "a-ha - String Theocracy" not in _offered(store)[LB_FEED]
    assert "a-ha - world.execute(me);" in _offered(store)[LB_FEED]


def test_at_most_per_day_and_no_requests_once_the_day_is_spent(
    store: Store, apis: FakeDiscovery
) -> None:
    config = _config(apis, per_day=3)
    assert _poll(store, config)["offered"] == 3
    apis.requests.clear()
    assert _poll(store, config) == {"offered": 0, "budget_left": 0}
    assert apis.requests == []


def test_lastfm_similar_artists_and_their_top_tracks(store: Store, apis: FakeDiscovery) -> None:
    config = _config(apis, lastfm=True, fresh_releases=False)
    counts = _poll(store, config)
    assert counts["offered"] == 8
    offered = _offered(store)
    assert offered[LFM_FEED] == [
        "Passengers - Beautiful Day",
        "INXS - Beautiful Day",
        "Passengers - With or Without You",
        "INXS - With or Without You",
    ]
    assert len(offered[LB_FEED]) == 4


def test_one_failing_api_leaves_the_other_and_both_failing_fail(
    store: Store, apis: FakeDiscovery
) -> None:
    apis.failing = {"listenbrainz"}
    counts = _poll(store, _config(apis, lastfm=True))
    assert counts["failed_sources"] == 1
    assert counts["offered"] == 4
    apis.failing = {"listenbrainz", "lastfm"}
    with pytest.raises(SourceUnavailableError, match="discovery from listenbrainz source"):
        _poll(store, _config(apis, lastfm=True))


def test_discovery_runs_with_the_feeds_once_a_scrobbler_history_exists(
    store: Store, apis: FakeDiscovery
) -> None:
    assert discovery_feed(Config()) is None
    assert discovery_feed(Config(feeds=(DirectoryConfig(path="/music"),))) is None
    lastfm_without_key = Config(history=(LastfmConfig(user="ana"),))
    assert discovery_feed(lastfm_without_key) is None
    config = _config(apis)
    assert discovery_feed(config) is not None
    assert discovery_feed(_config(apis, enabled=False)) is None
    results = poll_feeds(store, config, policy=POLICY)
    assert results["discover"]["offered"] == 5
    assert [r.status for r in store.runs("feed:discover")] == ["ok"]


def test_a_failing_discovery_backs_off_where_every_wait_is_shown(tmp_path: Path) -> None:
    config = Config(history=(ListenBrainzConfig(user="ana"),))  # type: ignore[arg-type]
    discovery = discovery_feed(config)
    assert discovery is not None
    job = f"feed:{discovery.key}"
    assert source_jobs(config) == [f"history:{config.history[0].key}", job]
    assert source_jobs(Config(history=config.history, discover=DiscoverConfig(enabled=False))) == [
        f"history:{config.history[0].key}"
    ]
    with Store.open(tmp_path / "t.db") as store:
        with store.recorded_run(job) as outcome:
            outcome.fail("labs API down")
        waits = current_waits(store, source_jobs(config))
        assert [name for name, _ in waits.sources] == [job]
        assert lift_waits(store, source_jobs(config)).sources
        assert not current_waits(store, source_jobs(config))
