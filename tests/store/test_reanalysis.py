"""Feature coverage per key, and the ready tracks to analyse again under a new one."""

from __future__ import annotations

import numpy as np

from store import ListenIn, Store, TrackRef

OLD, NEW = "MSD_musicnn", "MTT_musicnn"
NOW = 1_700_000_000.0


def _track(store: Store, name: str, *keys: str, state: str = "ready") -> int:
    track_id = store.upsert_track(TrackRef(source="test", artist="a", title=name))
    for key in keys:
        store.put_embedding(track_id, key, np.zeros((2, 4)), np.zeros((2, 3)))
    store.mark_track(track_id, state)  # type: ignore[arg-type]
    return track_id


def test_coverage_counts_the_tracks_under_each_key_and_under_any(store: Store) -> None:
    _track(store, "both", OLD, NEW)
    _track(store, "old", OLD)
    _track(store, "new", NEW)
    _track(store, "none")
    coverage = store.feature_coverage()
    assert coverage.by_key == {OLD: 2, NEW: 2}
    assert coverage.tracks == 3
    assert coverage.of("other") == 0


def test_due_are_ready_tracks_with_features_but_none_under_the_key(store: Store) -> None:
    lacking = _track(store, "old", OLD)
    _track(store, "both", OLD, NEW)
    _track(store, "bare")  # ready without any features: nothing to catch up on
    _track(store, "failed", OLD, state="failed")
    assert [(t.id, n) for t, n in store.reanalysis_due(NEW, 10, now=NOW)] == [(lacking, 0)]
    assert store.reanalysis_wait(NEW, now=NOW).pending == 1
    assert store.reanalysis_due(OLD, 10, now=NOW) == []


def test_a_failure_waits_until_its_time_then_comes_after_the_untried(store: Store) -> None:
    failed = _track(store, "failed", OLD)
    untried = _track(store, "untried", OLD)
    listened = _track(store, "listened", OLD)
    store.add_listens([ListenIn(TrackRef(source="test", artist="a", title="listened"), 1)], "t")
    store.reanalysis_failed(failed, NEW, "HTTP Error 404", NOW + 3600)
    due = [t.id for t, _ in store.reanalysis_due(NEW, 10, now=NOW)]
    assert due == [listened, untried]  # the most listened first
    wait = store.reanalysis_wait(NEW, now=NOW)
    assert (wait.pending, wait.waiting, wait.error) == (3, 1, "HTTP Error 404")
    later = store.reanalysis_due(NEW, 10, now=NOW + 3600)
    assert [(t.id, n) for t, n in later] == [(listened, 0), (untried, 0), (failed, 1)]
    store.reanalysis_failed(failed, NEW, "HTTP Error 410", NOW + 7200)
    assert store.reanalysis_due(NEW, 10, now=NOW + 7200)[-1][1] == 2
    assert store.reanalysis_due(NEW, 1, now=NOW + 7200)[0][0].id == listened


def test_features_stored_end_the_wait(store: Store) -> None:
    track_id = _track(store, "t", OLD)
    store.reanalysis_failed(track_id, NEW, "timed out", NOW + 3600)
    store.put_embedding(track_id, NEW, np.zeros((2, 4)), np.zeros((2, 3)))
    store.reanalysis_done(track_id, NEW)
    assert store.reanalysis_wait(NEW, now=NOW) == store.reanalysis_wait(NEW, now=NOW + 1e6)
    assert store.reanalysis_wait(NEW, now=NOW).pending == 0


def test_the_due_backlog_leaves_out_tracks_waiting_for_a_retry(store: Store) -> None:
    due = store.upsert_track(TrackRef(source="test", url="https://x.test/1"))
    later = store.upsert_track(TrackRef(source="test", url="https://x.test/2"))
    store.mark_track(later, "new", next_retry_at=NOW + 60)
    assert store.backlog() == 2
    assert store.backlog(due_by=NOW) == 1
    store.mark_track(due, "ready")
    assert store.backlog(due_by=NOW + 60) == 1


def test_a_retry_makes_every_waiting_reanalysis_due_and_keeps_its_failures(store: Store) -> None:
    failed = _track(store, "failed", OLD)
    store.reanalysis_failed(failed, NEW, "HTTP Error 404", NOW + 86400)
    assert store.reanalysis_due(NEW, 10, now=NOW) == []
    assert store.release_reanalyses(NOW) == 1
    assert [(t.id, n) for t, n in store.reanalysis_due(NEW, 10, now=NOW)] == [(failed, 1)]
    assert store.reanalysis_wait(NEW, now=NOW).waiting == 0
    assert store.release_reanalyses(NOW) == 0
