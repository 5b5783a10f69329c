"""Scores smoothed among the nearest candidates: a track among well-ranked neighbours rises."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from classifier.cycle.features import load_features
from classifier.cycle.rescore import rank_tracks, smooth_best
from classifier.cycle.scene import scene_at
from classifier.cycle.train import train_cycle
from classifier.cycle.validation import Tracks, standings_among
from classifier.taste.checkpoints import load_checkpoint, resolve_checkpoint
from classifier.taste.features import track_profiles
from classifier.taste.judge import standing
from classifier.taste.kernel import SIMILARITY
from classifier.taste.mix import units_in
from classifier.taste.smoothing import NEIGHBOURS, smooth, smooth_onto
from tests.classifier.tastedata import FAST, KEY, NOW, listened_library, open_store


def _styles(rng: np.random.Generator, sizes: list[int], dim: int = 16) -> np.ndarray:
    """Unit vectors in tight clusters, one per style, of the given sizes."""
    centres = rng.normal(size=(len(sizes), dim))
    points = np.concatenate(
        [c + 0.15 * rng.normal(size=(n, dim)) for c, n in zip(centres, sizes, strict=True)]
    )
    return np.asarray(points / np.linalg.norm(points, axis=1, keepdims=True), np.float32)


def test_a_track_among_liked_neighbours_passes_one_alone() -> None:
    units = _styles(np.random.default_rng(0), [8, 8])
    scores = np.r_[np.full(8, 1.0), np.full(8, -1.0)]
    scores[0], scores[8] = -0.2, 0.0  # a liked style's outlier, a disliked style's best
    out = smooth(scores, units, 0.3)
    assert out[0] > out[8]
    assert out[0] < out[1:8].min()  # still below the rest of its style


def test_no_share_or_too_small_a_field_leaves_scores_as_they_are() -> None:
    units = _styles(np.random.default_rng(1), [4, 4])
    scores = np.random.default_rng(2).normal(size=8)
    assert np.array_equal(smooth(scores, units, 0.0), scores)
    few = slice(0, NEIGHBOURS)
    assert np.array_equal(smooth(scores[few], units[few], 0.3), scores[few])


def _by_hand(scores: np.ndarray, units: np.ndarray, track: int, field: np.ndarray) -> float:
    """``track``'s smoothed score among ``field`` (scores standardised over it), its
    neighbours from the field less itself: the formula written out."""
    z = (scores - scores[field].mean()) / scores[field].std()
    others = np.setdiff1d(field, [track])
    near = others[np.argsort(-(units[others] @ units[track]))[:NEIGHBOURS]]
    w = np.exp((units[near] @ units[track] - 1) / 0.2)
    return float(0.7 * z[track] + 0.3 * (w @ z[near]) / w.sum())


def test_a_track_is_smoothed_with_its_nearest_in_the_field_itself_left_out() -> None:
    units = _styles(np.random.default_rng(3), [10, 10])
    scores = np.random.default_rng(4).normal(size=20)
    inside = smooth(scores, units, 0.3)
    for track in (0, 13):
        assert np.isclose(inside[track], _by_hand(scores, units, track, np.arange(20)))
    field = np.arange(1, 20)
    outside = smooth_onto(scores[:1], units[:1], scores[field], units[field], 0.3)
    assert np.isclose(outside[0], _by_hand(scores, units, 0, field))


def test_the_queue_ranks_its_best_again_smoothed_and_keeps_them_above_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(tmp_path)
    listened_library(store, [("A", 8, 30, 1)], {"A": 25, "B": 26}, cluster_artists=True)
    train_cycle(store, FAST, tmp_path / "m", now=NOW)
    champion = store.champion()
    assert champion is not None
    model = load_checkpoint(resolve_checkpoint(champion.checkpoint, tmp_path / "m")).eval()
    ids = store.candidate_ids()
    scene = scene_at(store, FAST, KEY, store.embedded_ids(KEY), NOW, model.adapter())
    raw = rank_tracks(model, scene, store, KEY, ids, now=NOW)
    monkeypatch.setattr(sys.modules["classifier.cycle.rescore"], "TOP", 20)
    out = dict(smooth_best(model, store, KEY, raw, 0.3))
    by_raw = [t for t, _ in sorted(raw, key=lambda p: -p[1])]
    best, rest = by_raw[:20], by_raw[20:]
    assert min(out[t] for t in best) > max(out[t] for t in rest)
    assert sorted(rest, key=lambda t: -out[t]) == rest  # the rest keep their order
    feats = load_features(store, KEY, best)
    units = units_in(model, track_profiles(feats, feats.rows(np.array(best)), model.adapter()))
    expected = smooth(np.array([dict(raw)[t] for t in best]), units, 0.3)
    assert sorted(best, key=lambda t: -out[t]) == [best[i] for i in np.argsort(-expected)]
    assert sorted(best, key=lambda t: -out[t]) != best  # smoothing moved something
    assert smooth_best(model, store, KEY, raw, 0.0) == raw


def test_the_judges_standings_rank_held_tracks_among_the_field_smoothed(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    lib = listened_library(store, [("A", 8, 30, 1)], {"A": 25, "B": 26}, cluster_artists=True)
    train_cycle(store, FAST, tmp_path / "m", now=NOW)
    champion = store.champion()
    assert champion is not None
    model = load_checkpoint(resolve_checkpoint(champion.checkpoint, tmp_path / "m")).eval()
    field = np.array(store.candidate_ids(), np.int64)
    held = np.array(sorted(t for n, t in lib.ids.items() if n.startswith("h")), np.int64)
    feats = load_features(store, KEY, np.r_[held, field].tolist())
    tracks = Tracks.of(model, feats)
    scene = scene_at(store, FAST, KEY, store.embedded_ids(KEY), NOW, model.adapter())
    mine, plain = standings_among(model, scene, tracks, held, field, NOW, 20, smoothing=0.3)
    inputs = [
        tracks.inputs(model, scene, ids, NOW, own=own)
        for ids, own in ((held, True), (field, False))
    ]
    with torch.no_grad():
        raw = [model.rank(torch.from_numpy(x.astype(np.float32))).double().numpy() for x in inputs]
    units = [tracks.units(model, ids) for ids in (held, field)]
    for got, (h, f) in ((mine, raw), (plain, [x[:, SIMILARITY] for x in inputs])):
        expected = standing(
            smooth_onto(h, units[0], f, units[1], 0.3), smooth(f, units[1], 0.3), 20
        )
        np.testing.assert_allclose(got.percentiles, expected.percentiles)
    bare, _ = standings_among(model, scene, tracks, held, field, NOW, 20)
    assert not np.allclose(bare.percentiles, mine.percentiles)
