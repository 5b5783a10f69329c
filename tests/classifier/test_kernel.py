"""The kernel similarity inputs on plain arrays: time scales, leaving a track out, pauses."""

from __future__ import annotations

import numpy as np

from classifier.taste.kernel import (
    HALF_LIVES,
    N_KERNEL,
    PLAY_CAP,
    SIMILARITY,
    Basis,
    History,
    _float32,
    kernel_features,
    space_of,
    unit_vectors,
)

DAY = 86400.0


def _basis() -> Basis:
    units = np.eye(3, dtype=np.float32)  # three unrelated tracks
    return Basis(np.array([10, 20, 30]), units)


def _history(times: list[float], tracks: list[int], positive: list[bool]) -> History:
    return History(np.array(tracks), np.array(times) * DAY, np.array(positive))


def test_short_time_scales_favour_the_newest_listens() -> None:
    # track 10 heard a lot long ago, track 20 once yesterday
    history = _history([-200, -190, -180, -1], [10, 10, 10, 20], [True] * 4)
    feats = kernel_features(_basis().units[:2], history, _basis(), np.array([0.0]), cap=5.0)
    assert feats.shape == (2, N_KERNEL)
    short, everything = SIMILARITY, HALF_LIVES.index(float("inf"))
    assert feats[1, short] > feats[0, short]  # like yesterday's track
    assert feats[0, everything] > feats[1, everything]  # like what was heard most


def test_the_all_time_scale_keeps_where_the_listening_went_up_to_the_play_cap() -> None:
    # track 10 played 40 times last year, track 20 played 6 times lately, track 30 400 times
    days = [-300.0 + i for i in range(40)] + [-10.0 + i for i in range(6)]
    days += [-5.0 + i / 100 for i in range(400)]
    tracks = [10] * 40 + [20] * 6 + [30] * 400
    history = _history(days, tracks, [True] * len(days))
    basis = _basis()
    feats = kernel_features(basis.units, history, basis, np.array([0.0]), cap=PLAY_CAP)
    mean = np.exp(feats[:, HALF_LIVES.index(float("inf"))])  # kernel mean over the plays
    kernel = np.where(np.eye(3) > 0, 1.0, np.exp(-1 / 0.2))  # orthogonal tracks: cos 0
    assert np.allclose(mean, kernel @ np.array([40, 6, 50]) / 96, atol=1e-5)


def test_a_track_can_be_left_out_of_its_own_similarity() -> None:
    history = _history([-3, -2], [10, 20], [True, True])
    basis = _basis()
    plain = kernel_features(basis.units[:1], history, basis, np.array([0.0]), cap=5.0)
    alone = kernel_features(
        basis.units[:1], history, basis, np.array([0.0]), cap=5.0, own=np.array([10])
    )
    assert plain[0, SIMILARITY] > alone[0, SIMILARITY]
    assert np.isclose(np.exp(alone[0, SIMILARITY]), np.exp(-1 / 0.2), atol=1e-5)


def test_events_after_the_query_time_are_not_seen_and_a_pause_does_not_erase_taste() -> None:
    history = _history([-400, 5], [10, 20], [True, True])
    basis = _basis()
    feats = kernel_features(basis.units, history, basis, np.array([0.0]), cap=5.0)
    assert np.argmax(feats[:, SIMILARITY]) == 0  # the listen 400 days ago still counts
    assert feats[1, SIMILARITY] == feats[2, SIMILARITY]  # day 5 is in the future


def test_skips_and_dislikes_feed_only_the_negative_kernel() -> None:
    history = _history([-2, -1], [10, 30], [True, False])
    basis = _basis()
    feats = kernel_features(basis.units, history, basis, np.array([0.0]), cap=5.0)
    assert np.argmax(feats[:, -1]) == 2
    assert np.argmax(feats[:, SIMILARITY]) == 0


def test_one_shared_time_gives_what_per_track_times_give() -> None:
    rng = np.random.default_rng(4)
    units = rng.standard_normal((300, 8)).astype(np.float32)  # rescoring's passes: 3 blocks
    units /= np.linalg.norm(units, axis=1, keepdims=True)
    basis = Basis(np.arange(100, 120), units[:20])
    days = rng.uniform(-400, -0.1, 60)
    history = _history(list(days), list(rng.integers(100, 120, 60)), list(rng.random(60) < 0.8))
    shared = kernel_features(units, history, basis, np.array([0.0]), cap=3.0)
    apart = kernel_features(units, history, basis, np.zeros(len(units)), cap=3.0)
    np.testing.assert_allclose(shared, apart, rtol=1e-5, atol=1e-5)


def test_weights_below_float32s_normal_range_become_zero_not_subnormal() -> None:
    # a 2-day half-life 260 days before the newest listen: 0.5 ** 130, subnormal in float32
    weights = np.array([[1.0, 0.5**130, 0.5**20, 0.0]])
    got = _float32(weights)
    assert got.dtype == np.float32
    assert got[0, 1] == 0.0
    assert got[0, 2] == np.float32(0.5**20)
    assert got[0, 0] == 1.0
    assert not ((got != 0) & (np.abs(got) < np.finfo(np.float32).tiny)).any()


def test_profile_cosines_average_the_halves_and_still_features_are_left_out() -> None:
    rng = np.random.default_rng(5)
    means, spreads = rng.normal(size=(30, 6)), rng.gamma(2.0, size=(30, 6))
    means[:, 2] = 4.0  # a unit that never varies, in both halves
    spreads[:, 2] = 0.0
    spreads[:, 4] = 1.0 + 1e-5 * rng.normal(size=30)  # varies, below float16's resolution
    library = np.hstack([means, spreads]).astype(np.float32)
    mean, std = space_of(library)
    assert np.isinf(std[[2, 8, 10]]).all()
    assert np.isfinite(std[[0, 4, 6]]).all()
    units = unit_vectors(library, mean, std)
    assert units.shape == (30, 10)  # feature 2 gone from both halves; 4 kept for its mean
    assert units.flags.c_contiguous  # row by row, as the cosines' matmul reads them
    np.testing.assert_allclose(np.linalg.norm(units, axis=1), 1.0, rtol=1e-5)

    def cos(rows: np.ndarray) -> np.ndarray:
        z = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        return np.asarray(z @ z.T)

    z = (library - mean) / std
    halves = (cos(z[:, [0, 1, 3, 4, 5]]) + cos(z[:, [6, 7, 9, 11]])) / 2
    np.testing.assert_allclose(units @ units.T, halves, atol=1e-5)
