"""With no [[feeds]] but a ListenBrainz history, the dashboard says candidates come from
[discover] instead of asking for a feed."""

from __future__ import annotations

from daemon.config import Config, DiscoverConfig
from daemon.dashboard.snapshot import load_snapshot
from daemon.sources import ListenBrainzConfig
from store import Store


def test_discovery_replaces_the_add_a_feed_hint(store: Store) -> None:
    history = (ListenBrainzConfig(user="ana"),)
    snap = load_snapshot(store, Config(history=history), tag_names=(), with_drift=False)
    assert any("[discover]" in hint for hint in snap.hints)
    assert not any("no candidates" in hint for hint in snap.hints)
    off = Config(history=history, discover=DiscoverConfig(enabled=False))
    snap = load_snapshot(store, off, tag_names=(), with_drift=False)
    assert any("no candidates: add a [[feeds]]" in hint for hint in snap.hints)
