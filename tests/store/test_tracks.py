"""Tracks and identity: references converge to one track; fetch states; lookups."""

from __future__ import annotations

import sqlite3
import time

import pytest

from store import ListenIn, Store, StoreError, TrackRef
from store.connection import ID_CHUNK, id_chunks


def test_listen_and_feed_item_converge_to_one_track(store: Store) -> None:
    listen = ListenIn(
        TrackRef(
            "lb",
            "Daft Punk",
            "One More Time (Official Video)",
            url="https://music.youtube.com/watch?v=FGBhQbmPwH8&feature=share",
        ),
        1000,
    )
    store.add_listens([listen], "lb")
    store.add_feed_items("rss", [TrackRef("rss", url="https://youtu.be/FGBhQbmPwH8")])
    store.add_feed_items("other", [TrackRef("other", "DAFT PUNK", "One More Time [Lyrics]")])
    tracks = store.tracks()
    assert len(tracks) == 1
    assert tracks[0].url == "https://www.youtube.com/watch?v=FGBhQbmPwH8"
    assert store.track_ids_of(tracks[0].id)["youtube"] == "FGBhQbmPwH8"


def test_external_id_joins_tracks(store: Store) -> None:
    mbid = "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"
    a = store.upsert_track(TrackRef("lb", "X", "Y", ids={"recording_mbid": mbid}))
    b = store.upsert_track(TrackRef("cf", ids={"recording_mbid": mbid}))
    assert a == b


def test_track_needs_some_identity(store: Store) -> None:
    with pytest.raises(StoreError, match="neither URL"):
        store.upsert_track(TrackRef("x", artist="only artist"))


def test_fetch_claim_and_states(store: Store) -> None:
    ids = [store.upsert_track(TrackRef("f", url=f"http://127.0.0.1/{i}.ogg")) for i in range(3)]
    claimed = store.claim_for_fetch(2)
    assert [t.id for t in claimed] == ids[:2]
    assert store.state_counts() == {"fetching": 2, "new": 1}
    store.mark_track(ids[0], "ready")
    store.mark_track(ids[2], "new", error="HTTP 429", next_retry_at=time.time() + 3600)
    assert store.claim_for_fetch(5) == []  # the 429 one is not due yet
    assert store.reset_stuck_fetching() == 1
    assert store.get_track(ids[1]).state == "new"
    assert store.get_track(ids[1]).attempts == 1


def test_find_tracks_by_id_url_and_name(store: Store) -> None:
    tid = store.upsert_track(
        TrackRef(
            "f", "Massive Attack", "Teardrop", url="https://www.youtube.com/watch?v=u7K72X4eo_s"
        )
    )
    assert [t.id for t in store.find_tracks(str(tid))] == [tid]
    assert [t.id for t in store.find_tracks("https://youtu.be/u7K72X4eo_s")] == [tid]
    assert [t.id for t in store.find_tracks("massive attack - teardrop")] == [tid]
    assert store.find_tracks("Nobody - Nothing") == []


def test_measured_duration_fills_in_only_a_missing_one(store: Store) -> None:
    known = store.upsert_track(TrackRef(source="t", artist="A", title="Known", duration=201.0))
    unknown = store.upsert_track(TrackRef(source="t", artist="A", title="Unknown"))
    for track_id in (known, unknown):
        store.mark_track(track_id, "ready", duration=199.5)
    durations = {t.id: t.duration for t in store.tracks()}
    assert durations == {known: 201.0, unknown: 199.5}


def test_get_tracks_reads_many_at_once_and_skips_missing_ids(store: Store) -> None:
    ids = [store.upsert_track(TrackRef("f", f"A{i}", f"T{i}")) for i in range(1203)]
    got = store.get_tracks([*ids, ids[0], 10**9])
    assert sorted(got) == sorted(ids)
    assert got[ids[1202]].title == "T1202"
    assert store.get_tracks([]) == {}


def test_tracks_without_a_recording_mbid_keep_their_order_past_one_query(store: Store) -> None:
    ids = [store.upsert_track(TrackRef("f", f"A{i}", f"T{i}")) for i in range(2 * ID_CHUNK + 3)]
    named = set(ids[::3])
    for track_id in named:
        assert store.set_recording_mbid(track_id, f"mbid-{track_id}")
    order = ids[::-1]
    store.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, ID_CHUNK + 1)  # as a small build
    assert store.without_mbid(order) == [i for i in order if i not in named]
    assert len(store.get_tracks(order)) == len(ids)
    assert store.without_mbid([]) == []


def test_id_chunks_bind_each_run_of_ids_once() -> None:
    runs = list(id_chunks(range(7), size=3))
    assert [ids for ids, _ in runs] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [marks for _, marks in runs] == ["?,?,?", "?,?,?", "?"]
