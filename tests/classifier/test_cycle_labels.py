"""The weighted labelled set: positives, dislikes, skips, unlabelled, recency weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier.cycle.labels import build_labels, decay
from classifier.taste.labelset import KINDS, LabelSet
from store import Store
from tests.classifier.tastedata import DAY, KEY, NOW, Library, config, open_store, ref


def _labels(store: Store, **changes: object) -> LabelSet:
    return build_labels(store, config(**changes), _all(store), now=NOW)


def _all(store: Store) -> set[int]:
    return {t.id for t in store.tracks()}


def _row(labels: LabelSet, track_id: int) -> tuple[float, float, str]:
    i = int(np.flatnonzero(labels.track_ids == track_id)[0])
    return float(labels.targets[i]), float(labels.weights[i]), KINDS[labels.kinds[i]]


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    return Library(open_store(tmp_path))


def test_decay_halves_every_half_life() -> None:
    assert decay(np.array([0.0, 10 * DAY, 20 * DAY]), 10.0) == pytest.approx([1, 0.5, 0.25])
    assert decay(30 * DAY, float("inf")) == pytest.approx(1.0)


def test_listen_and_like_weights_are_capped_sums_of_decayed_events(lib: Library) -> None:
    lib.add("old", "A")
    lib.listen("old", NOW - 21 * DAY)
    lib.add("fan", "A")
    for day in range(10):
        lib.listen("fan", NOW - day * 3600)
    liked = lib.add("liked", "A")
    lib.store.add_feedback("like", "test", track=liked, created_at=NOW - 42 * DAY)
    labels = _labels(lib.store, half_life_days=21.0, weight_cap=5.0)
    assert _row(labels, lib.ids["old"]) == pytest.approx((1.0, 0.5, "positive"))
    assert _row(labels, lib.ids["fan"]) == (1.0, 5.0, "positive")
    assert _row(labels, liked) == pytest.approx((1.0, 0.25, "positive"))


def test_dislike_newer_than_the_last_listen_makes_a_negative(lib: Library) -> None:
    lib.add("x", "A")
    lib.listen("x", NOW - 5 * DAY)
    lib.store.add_feedback("dislike", "test", track=lib.ids["x"], created_at=NOW)
    lib.add("y", "A")
    lib.store.add_feedback("dislike", "test", track=lib.ids["y"], created_at=NOW - 9 * DAY)
    lib.listen("y", NOW - DAY)
    labels = _labels(lib.store)
    assert _row(labels, lib.ids["x"]) == (0.0, 1.0, "dislike")
    assert _row(labels, lib.ids["y"])[2] == "positive"


def test_tracks_exported_to_a_listened_playlist_and_not_heard_in_the_grace_period_are_skips(
    lib: Library,
) -> None:
    for name in ("stale", "fresh", "heard"):
        lib.add(name, "B")
    lib.offer(["stale", "fresh", "heard"])
    lib.store.mark_exported([lib.ids["stale"], lib.ids["heard"]], "p", counts_skips=True)
    exported_at = lib.store.queue_states()[lib.ids["stale"]]["exported_at"]
    lib.listen("heard", exported_at + 60)
    now = exported_at + 20 * DAY
    cfg = config(skip_grace_days=14.0, skip_weight=0.5, half_life_days=20.0, unlabelled_sample=0)
    labels = build_labels(lib.store, cfg, _all(lib.store), now=now)
    assert _row(labels, lib.ids["stale"]) == pytest.approx((0.0, 0.25, "skip"))
    assert _row(labels, lib.ids["heard"])[2] == "positive"
    assert lib.ids["fresh"] not in labels.track_ids
    early = build_labels(lib.store, cfg, _all(lib.store), now=exported_at + 13 * DAY)
    assert lib.ids["stale"] not in early.track_ids


def test_a_plain_export_never_makes_skips(lib: Library) -> None:
    lib.add("exported", "B")
    lib.offer(["exported"])
    lib.store.mark_exported([lib.ids["exported"]], "export")
    exported_at = lib.store.queue_states()[lib.ids["exported"]]["exported_at"]
    cfg = config(skip_grace_days=14.0, unlabelled_sample=0)
    labels = build_labels(lib.store, cfg, _all(lib.store), now=exported_at + 30 * DAY)
    assert lib.ids["exported"] not in labels.track_ids


def test_skips_seen_in_a_player_are_skips_until_a_later_listen(lib: Library) -> None:
    lib.add("left", "B")
    lib.add("back", "B")
    lib.offer(["left", "back"])
    lib.store.add_skips(
        [(lib.ids["left"], NOW - DAY, 5.0), (lib.ids["back"], NOW - DAY, 3.0)], "mpd"
    )
    lib.listen("back", NOW - 60)
    cfg = config(skip_weight=0.5, half_life_days=1.0, unlabelled_sample=0)
    labels = build_labels(lib.store, cfg, _all(lib.store), now=NOW)
    assert _row(labels, lib.ids["left"]) == pytest.approx((0.0, 0.25, "skip"))
    assert _row(labels, lib.ids["back"])[2] == "positive"


def test_unlabelled_negatives_are_a_seeded_sample_of_unheard_candidates(lib: Library) -> None:
    names = [f"c{i}" for i in range(20)]
    for name in names:
        lib.add(name, "B")
    lib.offer(names)
    lib.add("heard", "A")
    lib.listen("heard", NOW)
    lib.offer(["heard"])
    first = _labels(lib.store, unlabelled_sample=8, unlabelled_weight=0.05)
    again = _labels(lib.store, unlabelled_sample=8, unlabelled_weight=0.05)
    unl = first.subset(first.kinds == KINDS.index("unlabelled"))
    assert len(unl) == 8
    assert set(unl.track_ids) <= {lib.ids[n] for n in names}
    assert np.all(unl.weights == np.float32(0.05))
    assert np.all(unl.targets == 0)
    assert np.array_equal(first.track_ids, again.track_ids)
    other = build_labels(lib.store, config(unlabelled_sample=8), _all(lib.store), now=NOW, seed=7)
    assert not np.array_equal(first.track_ids, other.track_ids)


def test_future_events_and_tracks_without_features_are_left_out(lib: Library) -> None:
    lib.add("later", "A")
    lib.listen("later", NOW + DAY)
    lib.add("now", "A")
    lib.listen("now", NOW)
    bare = lib.store.upsert_track(ref("bare"))
    lib.store.add_feedback("like", "test", track=bare, created_at=NOW)
    labels = build_labels(lib.store, config(), lib.store.embedded_ids(KEY), now=NOW)
    assert list(labels.track_ids) == [lib.ids["now"]]
