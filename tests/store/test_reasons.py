"""Why each queued track is there: stored per track, replaced wholesale, read with the queue."""

from __future__ import annotations

from store import Because, Like, Store, TrackRef

NOW = 1_700_000_000.0


def _candidates(store: Store, n: int) -> list[int]:
    refs = [TrackRef("feed", f"Artist {i}", f"Title {i}") for i in range(n)]
    store.add_feed_items("feed", refs)
    ids = [store.find_tracks(f"Artist {i} - Title {i}")[0].id for i in range(n)]
    for track_id in ids:
        store.mark_track(track_id, "ready")
    return ids


def test_put_reasons_replaces_every_row(store: Store) -> None:
    a, b, c = _candidates(store, 3)
    like = Like("Boards of Canada", "Roygbiv", c, NOW - 3 * 86_400, 0.93)
    assert store.put_reasons({a: Because((like,), ("ambient",)), b: Because(tags=("rock",))}) == 2
    assert store.reasons([a, b, c]) == {
        a: Because((like,), ("ambient",)),
        b: Because(tags=("rock",)),
    }
    assert store.put_reasons({b: Because(tags=("jazz",))}) == 1
    assert store.reasons([a, b]) == {b: Because(tags=("jazz",))}


def test_reasons_read_in_chunks(store: Store) -> None:
    ids = _candidates(store, 3)
    store.put_reasons({t: Because(tags=(f"t{t}",)) for t in ids})
    many = [*range(10_000, 11_200), *ids]  # more ids than one query takes
    assert set(store.reasons(many)) == set(ids)


def test_the_queue_carries_each_entry_s_reason(store: Store) -> None:
    a, b = _candidates(store, 2)
    store.put_scores(None, [(a, 0.9), (b, 0.1)])
    store.put_reasons({a: Because(tags=("ambient", "electronic"))})
    first, second = store.queue(10)
    assert first.because == Because(tags=("ambient", "electronic"))
    assert second.because is None


def test_a_deleted_track_takes_its_reason_with_it(store: Store) -> None:
    (a,) = _candidates(store, 1)
    store.put_reasons({a: Because(tags=("rock",))})
    with store.write() as conn:
        conn.execute("DELETE FROM tracks WHERE id = ?", (a,))
    assert store.reasons([a]) == {}
