"""The back end adapted to the library, self-supervised: what it learns and when it is refit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from classifier.taste.adapter import (
    GROWTH,
    MIN_LIBRARY,
    _Encoder,
    _nt_xent,
    adapt,
    refresh_adapter,
    same_view,
)
from classifier.taste.checkpoints import load_checkpoint, save_checkpoint
from classifier.taste.features import Features, pack_features
from classifier.taste.kernel import History, space_of, unit_vectors
from classifier.taste.mix import Scene
from classifier.taste.model import TasteModel
from tests.classifier.tastedata import DIM, FAST, _input_scale

TRACKS, PATCHES = 64, 6


def _library(seed: int = 0) -> Features:
    """Tracks told apart only by a faint signature each, in patches that a loud nuisance
    (the same few directions for every track) moves far more."""
    rng = np.random.default_rng(seed)
    mean, std = _input_scale()
    nuisance = rng.normal(0.0, 1.0, (8, DIM))
    blocks = []
    for _ in range(TRACKS):
        signature = rng.normal(0.0, 0.5, DIM)
        loud = rng.normal(0.0, 0.5, (PATCHES, 8)) @ nuisance
        z = signature + loud + rng.normal(0.0, 0.2, (PATCHES, DIM))
        blocks.append((mean + std * z).astype(np.float32))
    return pack_features(np.arange(TRACKS, dtype=np.int64), blocks)


def _same_track_retrieval(feats: Features, model_steps: int) -> float:
    """Share of patches whose nearest other patch (cosine of the adapter's z-scored view)
    is of the same track."""
    adapter = adapt(feats, FAST.backbone, steps=model_steps, seed=0)
    view = adapter.encode(feats.data).numpy()
    z = view - view.mean(0)
    z /= np.linalg.norm(z, axis=1, keepdims=True) + 1e-9
    cosines = z @ z.T
    np.fill_diagonal(cosines, -np.inf)
    track = np.repeat(np.arange(TRACKS), PATCHES)
    return float((track[cosines.argmax(1)] == track).mean())


def test_adapting_tells_the_librarys_tracks_apart_better_than_the_pretrained_back_end() -> None:
    feats = _library()
    before = _same_track_retrieval(feats, 0)
    after = _same_track_retrieval(feats, 60)
    assert after > before + 0.5, (before, after)


def test_nt_xent_is_low_when_each_view_finds_its_pair() -> None:
    torch.manual_seed(0)
    a = torch.randn(16, 8)
    matched = _nt_xent(a, a + 0.01 * torch.randn(16, 8))
    shuffled = _nt_xent(a, a[torch.randperm(16)])
    assert float(matched) < 0.1 < float(shuffled)


def test_the_folded_adapter_is_the_encoder() -> None:
    encoder = _Encoder(FAST.backbone).eval()
    with torch.no_grad():
        encoder.bn_in.weight.mul_(1.7)
        encoder.bn_in.bias.add_(0.3)
    x = _library().data[:50]
    with torch.no_grad():
        expected = torch.relu(encoder.dense(encoder.bn_in(x)))  # before the last batch norm
    torch.testing.assert_close(encoder.folded().encode(x), expected, atol=1e-4, rtol=1e-4)


def test_adapting_is_deterministic_for_a_seed() -> None:
    feats = _library(1)
    first = adapt(feats, FAST.backbone, steps=5, seed=3)
    assert first.same(adapt(feats, FAST.backbone, steps=5, seed=3))
    assert not first.same(adapt(feats, FAST.backbone, steps=5, seed=4))


def test_the_adapter_is_fit_again_only_when_the_library_grew_by_a_quarter() -> None:
    feats, model = _library(2), TasteModel.pretrained(FAST.backbone)
    assert not refresh_adapter(model, feats, MIN_LIBRARY - 1, FAST.backbone, steps=3, seed=0)
    assert model.adapter() is None
    assert refresh_adapter(model, feats, 100, FAST.backbone, steps=3, seed=0)
    first = model.adapter()
    assert first is not None
    assert first.units == model.dense.out_features
    assert model.parts() == (DIM, first.units)
    below = int(GROWTH * 100) - 1
    assert not refresh_adapter(model, feats, below, FAST.backbone, steps=3, seed=0)
    assert same_view(model, model)
    assert first.same(model.adapter() or first)
    assert refresh_adapter(model, feats, int(GROWTH * 100), FAST.backbone, steps=3, seed=1)
    assert not first.same(model.adapter() or first)
    assert refresh_adapter(model, feats, 500, FAST.backbone, steps=0, seed=0)
    assert model.adapter() is None
    assert model.parts() == (DIM,)
    assert same_view(model, TasteModel.pretrained(FAST.backbone))


def test_a_checkpoint_keeps_the_adapter_and_an_older_one_loads_without(tmp_path: Path) -> None:
    model = TasteModel.pretrained(FAST.backbone)
    refresh_adapter(model, _library(3), 64, FAST.backbone, steps=2, seed=0)
    loaded = load_checkpoint(save_checkpoint(model, tmp_path, {}))
    assert same_view(loaded, model)
    assert float(loaded.get_buffer("adapter_tracks")) == 64
    older = TasteModel.pretrained(FAST.backbone)  # saved by a version without adapters
    state = {k: v for k, v in older.state_dict().items() if not k.startswith("adapter_")}
    state_dict = older.state_dict
    older.state_dict = lambda: state  # type: ignore[method-assign,assignment,return-value]
    path = save_checkpoint(older, tmp_path, {})
    older.state_dict = state_dict  # type: ignore[method-assign]
    assert load_checkpoint(path).adapter() is None


def test_profiles_of_two_parts_weigh_each_parts_cosine_alike() -> None:
    rng = np.random.default_rng(4)
    first, second = rng.normal(size=(5, 2 * 7)), rng.normal(size=(5, 2 * 3))
    both = np.hstack([first, second]).astype(np.float32)
    mean, std = space_of(both)
    units = unit_vectors(both, mean, std, (7, 3))
    alone = [
        unit_vectors(p.astype(np.float32), *space_of(p.astype(np.float32))) for p in (first, second)
    ]
    expected = (alone[0] @ alone[0].T + alone[1] @ alone[1].T) / 2
    np.testing.assert_allclose(units @ units.T, expected, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(units, axis=1), 1.0, atol=1e-5)


def test_a_scene_profiled_without_the_models_adapter_is_refused() -> None:
    model = TasteModel.pretrained(FAST.backbone)
    refresh_adapter(model, _library(5), 64, FAST.backbone, steps=1, seed=0)
    empty = np.zeros(0, np.int64)
    history = History(empty, np.zeros(0), np.zeros(0, bool))
    scene = Scene(history, empty, np.zeros((0, 2 * DIM)), 5.0)
    with pytest.raises(ValueError, match="adapter"):
        scene.basis(model)
