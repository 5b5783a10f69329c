"""The SQLite store: real files in tmp_path, migrations, identity, idempotent ingest, WAL."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store import (
    SCHEMA_VERSION,
    ListenIn,
    Store,
    StoreError,
    TrackRef,
)


def test_open_sets_pragmas_and_version(store: Store) -> None:
    conn = store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert store.schema_version() == SCHEMA_VERSION


def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreError, match="cannot open database"):
        Store.open(tmp_path / "dir.db")


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


def test_embeddings_round_trip(store: Store) -> None:
    tid = store.upsert_track(TrackRef("f", url="http://127.0.0.1/a.ogg"))
    feats = np.random.default_rng(0).normal(size=(10, 1506)).astype(np.float32)
    tags = np.random.default_rng(1).random((10, 50)).astype(np.float32)
    store.put_embedding(tid, "MSD_musicnn", feats, tags)
    got_feats, got_tags = store.get_embedding(tid, "MSD_musicnn")
    assert got_feats.dtype == np.float16
    np.testing.assert_allclose(got_feats, feats, atol=1e-2, rtol=1e-3)
    np.testing.assert_array_equal(got_tags, tags)
    with pytest.raises(StoreError, match="same number of patches"):
        store.put_embedding(tid, "MSD_musicnn", feats, tags[:3])


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


def _writer(path: str, n: int) -> None:
    with Store.open(path) as store:
        for i in range(n):
            store.add_listens(
                [
                    ListenIn(TrackRef("lb", "W", f"t{i}"), i),
                    ListenIn(TrackRef("lb", "W", f"u{i}"), i),
                ],
                "lb",
            )


def test_reader_sees_consistent_snapshots_while_writer_writes(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    Store.open(path).close()
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_writer, args=(str(path), 200))
    proc.start()
    seen = set()
    with Store.open(path) as reader:
        while proc.is_alive() or not seen:
            with reader.read() as conn:
                listens = conn.execute("SELECT count(*) FROM listens").fetchone()[0]
                tracks = conn.execute("SELECT count(*) FROM tracks").fetchone()[0]
            assert listens % 2 == 0  # each transaction writes two listens at once
            assert listens == tracks
            seen.add(listens)
    proc.join(30)
    assert proc.exitcode == 0
    with Store.open(path) as reader:
        assert reader.integrity_check() == "ok"
        assert len(reader.listens()) == 400


def test_runs_and_cursors(store: Store) -> None:
    run = store.start_run("history:lb")
    store.finish_run(run, "failed", {"listens": 3}, "HTTP 500")
    other = store.start_run("fetch")
    assert store.abort_unfinished_runs() == 1
    runs = store.runs()
    assert [(r.id, r.status) for r in runs] == [(other, "aborted"), (run, "failed")]
    assert runs[1].counts == {"listens": 3}
    assert store.get_cursor("lb") is None
    store.set_cursor("lb", "123")
    store.set_cursor("lb", "456")
    assert store.get_cursor("lb") == "456"


def test_models_and_champion(store: Store) -> None:
    assert store.champion() is None
    v1 = store.add_model(
        parent=None,
        hparams={"half_life_days": 21},
        n_train=10,
        n_val=2,
        metrics={"roc_auc": 0.8},
        checkpoint="/x/1.pt",
    )
    v2 = store.add_model(
        parent=v1, hparams={}, n_train=12, n_val=3, metrics={}, checkpoint="/x/2.pt"
    )
    store.promote(v1)
    assert store.champion().version == v1
    store.promote(v2)
    assert store.champion().version == v2
    assert [m.promoted for m in store.models()] == [False, True]


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


def test_backup_is_a_consistent_copy(store: Store, tmp_path: Path) -> None:
    store.upsert_track(TrackRef("f", "A", "B"))
    target = tmp_path / "backup.db"
    store.backup(target)
    with Store.open(target) as copy:
        assert [t.title for t in copy.tracks()] == ["B"]


def test_mark_exported_keeps_the_first_export(store: Store) -> None:
    tid = store.upsert_track(TrackRef("f", url="http://127.0.0.1/a.ogg"))
    store.mark_exported([tid], "first")
    first = store.queue_states()[tid]
    time.sleep(0.01)
    store.mark_exported([tid], "second")
    again = store.queue_states()[tid]
    assert again["exported_at"] == first["exported_at"]
    assert again["exported_to"] == "first"


def test_measured_duration_fills_in_only_a_missing_one(store: Store) -> None:
    known = store.upsert_track(TrackRef(source="t", artist="A", title="Known", duration=201.0))
    unknown = store.upsert_track(TrackRef(source="t", artist="A", title="Unknown"))
    for track_id in (known, unknown):
        store.mark_track(track_id, "ready", duration=199.5)
    durations = {t.id: t.duration for t in store.tracks()}
    assert durations == {known: 201.0, unknown: 199.5}


def test_a_full_disk_is_one_line_and_keeps_what_was_stored(tmp_path: Path) -> None:
    path = tmp_path / "full.db"
    with Store.open(path) as store:
        kept = store.upsert_track(TrackRef(source="t", artist="Kept", title="Before"))
        track = store.upsert_track(TrackRef(source="t", artist="A", title="After"))
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now full
        features = np.ones((10, 1506), np.float16)  # 30 kB: several pages
        with pytest.raises(StoreError) as info:
            store.put_embedding(track, "k", features, np.zeros((10, 50), np.float32))
        message = str(info.value)
        assert "\n" not in message
        assert str(path) in message
        assert "full" in message
        assert f"free space on the filesystem holding {tmp_path}" in message
    with Store.open(path) as store:
        assert store.get_track(kept) is not None
        assert store.integrity_check() == "ok"


def test_recorded_run_records_success_and_failure(store: Store) -> None:
    with store.recorded_run("poll") as outcome:
        outcome.counts = {"listens": 3}
    with pytest.raises(ValueError, match="boom"), store.recorded_run("fetch"):
        raise ValueError("boom")
    with store.recorded_run("train") as outcome:
        outcome.fail("no labels")
    runs = {r.job: r for r in store.runs()}
    assert (runs["poll"].status, runs["poll"].counts) == ("ok", {"listens": 3})
    assert (runs["fetch"].status, runs["fetch"].error) == ("failed", "ValueError: boom")
    assert (runs["train"].status, runs["train"].error) == ("failed", "no labels")
