"""Listens and feedback: idempotent ingest, pushed state."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store import ListenIn, Store, TrackRef

listen_strategy = st.lists(
    st.tuples(
        st.sampled_from(["Björk", "AC/DC", "Sigur Rós", "Nina Simone"]),
        st.sampled_from(["Jóga", "Back in Black", "Hoppípolla", "Sinnerman (Live)"]),
        st.integers(min_value=0, max_value=2_000_000_000),
    ),
    max_size=20,
)


@settings(max_examples=25, deadline=None)
@given(items=listen_strategy)
def test_ingesting_twice_equals_once(tmp_path_factory: pytest.TempPathFactory, items) -> None:
    path = tmp_path_factory.mktemp("idem") / "t.db"
    listens = [ListenIn(TrackRef("lb", a, t), at) for a, t, at in items]
    with Store.open(path) as store:
        first = store.add_listens(listens, "lb")
        snapshot = (store.listens(), [t.id for t in store.tracks()])
        second = store.add_listens(listens, "lb")
        assert second.inserted == 0
        assert second.duplicates == len(listens)
        assert (store.listens(), [t.id for t in store.tracks()]) == snapshot
        assert first.inserted == len(snapshot[0])


def test_feedback_is_stored_once_and_marked_pushed(store: Store) -> None:
    track = store.upsert_track(TrackRef("f", "A", "T"))
    assert store.add_feedback("like", "lb", track=track, created_at=10.0)
    assert not store.add_feedback("like", "lb", track=track, created_at=10.0)
    assert store.add_feedback("block", "cli", artist="Some Band", created_at=11.0)
    ingest = store.add_feedback_many(
        [("dislike", "lb", TrackRef("lb", "B", "U"), None, 12.0), ("like", "lb", track, None, 10.0)]
    )
    assert (ingest.inserted, ingest.duplicates) == (1, 1)
    unpushed = store.feedback(unpushed_origin="lb")
    assert [(e.kind, e.created_at) for e in unpushed] == [("dislike", 12.0), ("like", 10.0)]
    store.mark_feedback_pushed([e.id for e in unpushed if e.id is not None])
    assert store.feedback(unpushed_origin="lb") == []
    assert [e.kind for e in store.feedback(limit=1)] == ["dislike"]
    assert store.feedback()[1].artist == "Some Band"


def _kinds(store: Store) -> list[tuple[str, int | None, str | None]]:
    return [(e.kind, e.track_id, e.artist) for e in store.feedback()]


def test_giving_the_same_feedback_twice_stores_one_row(store: Store) -> None:
    track = store.upsert_track(TrackRef("f", "A", "T"))
    assert store.give_feedback("like", "cli", track=track)
    assert not store.give_feedback("like", "cli", track=track)
    assert not store.give_feedback("like", "listenbrainz", track=track)
    assert _kinds(store) == [("like", track, None)]
    assert store.give_feedback("block", "cli", artist="Some Band")
    assert not store.give_feedback("block", "cli", artist="some band")
    assert len(store.feedback()) == 2


def test_changing_your_mind_is_stored_and_the_newest_counts(store: Store) -> None:
    track = store.upsert_track(TrackRef("f", "A", "T"))
    assert store.give_feedback("like", "cli", track=track)
    assert store.give_feedback("dislike", "cli", track=track)
    assert store.give_feedback("like", "cli", track=track)
    assert [k for k, _, _ in _kinds(store)] == ["like", "dislike", "like"]


def test_undo_deletes_the_newest_event_of_an_origin(store: Store) -> None:
    track = store.upsert_track(TrackRef("f", "A", "T"))
    store.add_feedback("like", "listenbrainz", track=track, created_at=time.time() + 60)
    store.give_feedback("dislike", "cli", track=track)
    store.give_feedback("block", "cli", artist="Band")
    undone = store.undo_feedback("cli")
    assert undone is not None
    assert (undone.kind, undone.artist) == ("block", "Band")
    undone = store.undo_feedback("cli")
    assert undone is not None
    assert (undone.kind, undone.track_id) == ("dislike", track)
    assert store.undo_feedback("cli") is None
    assert _kinds(store) == [("like", track, None)]


def test_unblock_lifts_every_block_of_the_artist(store: Store) -> None:
    store.add_feedback("block", "cli", artist="Some Band", created_at=1.0)
    store.add_feedback("block", "listenbrainz", artist="some band", created_at=2.0)
    store.add_feedback("block", "cli", artist="Other", created_at=3.0)
    assert store.unblock_artist("SOME BAND") == ["Some Band", "some band"]
    assert _kinds(store) == [("block", None, "Other")]
    assert store.unblock_artist("Nobody") == []


def test_artist_known_compares_names_normalized(store: Store) -> None:
    store.upsert_track(TrackRef("f", "Sigur Rós", "Hoppípolla"))
    assert store.artist_known("sigur ros")
    assert not store.artist_known("Sigur Ros Tribute")
