"""The queue as the store selects and ranks it, and what was exported."""

from __future__ import annotations

import time

from store import ListenIn, Store, TrackRef


def _ready_candidate(store: Store, artist: str, title: str, score: float | None) -> int:
    tid = store.upsert_track(TrackRef("f", artist, title, url=f"http://h/{artist}/{title}"))
    store.add_feed_items("feed", [TrackRef("f", url=f"http://h/{artist}/{title}")])
    store.mark_track(tid, "ready")
    if score is not None:
        store.put_scores(1, [(tid, score)])
    return tid


def test_queue_order_exclusions_and_diversity(store: Store) -> None:
    a = [_ready_candidate(store, "A", f"a{i}", 0.9 - i / 100) for i in range(4)]
    b = _ready_candidate(store, "B", "b", 0.5)
    listened = _ready_candidate(store, "C", "c", 0.99)
    store.add_listens([ListenIn(TrackRef("lb", "C", "c"), 5)], "lb")
    disliked = _ready_candidate(store, "D", "d", 0.98)
    store.add_feedback("dislike", "cli", track=disliked)
    _ready_candidate(store, "Blocked Band", "e", 0.97)
    store.add_feedback("block", "cli", artist="blocked band")
    queue = store.queue(10, per_artist=2, window=50)
    ids = [e.track.id for e in queue]
    assert listened not in ids
    assert disliked not in ids
    assert ids == [a[0], a[1], b]  # at most 2 of artist A in any 50


def test_queue_window_lets_artist_return(store: Store) -> None:
    for i in range(3):
        _ready_candidate(store, "A", f"a{i}", 0.9 - i / 100)
    _ready_candidate(store, "B", "b", 0.1)
    queue = store.queue(10, per_artist=1, window=2)
    assert [e.track.artist for e in queue] == ["A", "B", "A"]


def test_mark_exported_keeps_the_first_export(store: Store) -> None:
    tid = store.upsert_track(TrackRef("f", url="http://127.0.0.1/a.ogg"))
    store.mark_exported([tid], "first")
    first = store.queue_states()[tid]
    time.sleep(0.01)
    store.mark_exported([tid], "second")
    again = store.queue_states()[tid]
    assert again["exported_at"] == first["exported_at"]
    assert again["exported_to"] == "first"


def test_a_liked_track_leaves_the_queue(store: Store) -> None:
    liked = _ready_candidate(store, "L", "liked", 0.99)
    other = _ready_candidate(store, "M", "other", 0.5)
    assert [e.track.id for e in store.queue(10)] == [liked, other]
    assert store.give_feedback("like", "cli", track=liked)
    assert [e.track.id for e in store.queue(10)] == [other]
