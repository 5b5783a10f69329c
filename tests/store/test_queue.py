"""The queue as the store selects and ranks it, and what was exported."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from store import ListenIn, Store, Track, TrackRef
from store.ranking import Candidate, rank, rank_ordered


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


_ARTISTS = ["A", "a", "B", "Blocked", "C", None]


@settings(max_examples=40)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_ARTISTS),
            st.one_of(st.none(), st.sampled_from([0.1, 0.5, 0.5, 0.9])),
            st.sampled_from(["", "listened", "disliked"]),
        ),
        max_size=25,
    ),
    st.permutations(range(25)),
    st.integers(1, 8),
    st.integers(1, 3),
    st.integers(1, 6),
)
def test_queue_ranks_as_the_plain_rules_do(
    tracks: list[tuple[str | None, float | None, str]],
    positions: list[int],
    limit: int,
    per_artist: int,
    window: int,
) -> None:
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "q.db") as store:
        candidates = _store_candidates(store, tracks, positions)
        store.add_feedback("block", "cli", artist="blocked")
        expected = rank(candidates, ["blocked"], limit=limit, per_artist=per_artist, window=window)
        got = store.queue(limit, per_artist=per_artist, window=window)
    assert [(e.rank, e.track.id, e.score) for e in got] == [
        (e.rank, e.track.id, e.score) for e in expected
    ]


def _store_candidates(
    store: Store, tracks: list[tuple[str | None, float | None, str]], positions: list[int]
) -> list[Candidate]:
    """Store the tracks (feed order from ``positions``); the candidates the queue may offer."""
    refs = [TrackRef("f", artist, f"t{i}", url=f"http://h/{i}") for i, (artist, _, _) in
            enumerate(tracks)]  # fmt: skip
    ids = [store.upsert_track(ref) for ref in refs]  # ids in list order, feed order differs
    order = sorted(range(len(refs)), key=lambda i: positions[i])
    store.add_feed_items("feed", [refs[i] for i in order])
    out = []
    for i, (_, score, fate) in enumerate(tracks):
        track_id = ids[i]
        store.mark_track(track_id, "ready")
        if score is not None:
            store.put_scores(1, [(track_id, score)])
        if fate == "listened":
            store.add_listens([ListenIn(TrackRef("f", url=refs[i].url), 5)], "lb")
        elif fate == "disliked":
            store.add_feedback("dislike", "cli", track=track_id)
        else:
            track = next(t for t in store.tracks() if t.id == track_id)
            out.append(Candidate(track, score, 1 if score is not None else None,
                                 "feed", None, order.index(i)))  # fmt: skip
    return out


def test_queue_reads_only_the_rows_it_needs() -> None:
    """rank_ordered stops reading an ordered stream once the queue is full."""
    read: list[int] = []

    def stream() -> Iterator[Candidate]:
        for i in range(10_000):
            read.append(i)
            track = Track(i + 1, f"artist {i % 3}", f"t{i}", None, None, None, "f",
                          f"k{i}", 0.0, "ready", 0, None, None, None)  # fmt: skip
            yield Candidate(track, 1.0 - i / 10_000)

    queue = rank_ordered(stream(), [], limit=6, per_artist=2, window=50)
    assert [e.track.artist for e in queue] == ["artist 0", "artist 1", "artist 2"] * 2
    assert len(read) <= 10
