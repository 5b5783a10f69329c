"""Listens and feedback: idempotent ingest, pushed state."""

from __future__ import annotations

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
