"""The folded taste model scores as the model itself does."""

from __future__ import annotations

import numpy as np
import torch

from classifier.taste.features import Adapter, pack_features, profile, track_profiles
from classifier.taste.folded import BLOCK_ROWS, FoldedScorer, patch_profiles
from classifier.taste.model import TasteModel


def _model(seed: int) -> TasteModel:
    """A small model whose batch norms and head are far from the identity and zero."""
    torch.manual_seed(seed)
    model = TasteModel(in_features=40, units=12)
    with torch.no_grad():
        for bn in (model.bn_in, model.bn_dense):
            assert bn.running_mean is not None
            assert bn.running_var is not None
            bn.running_mean.normal_(0, 1)
            bn.running_var.uniform_(0.2, 3.0)
            bn.weight.normal_(1, 0.5)
            bn.bias.normal_(0, 0.5)
        model.head.weight.normal_(0, 0.5)
        model.head.bias.fill_(0.3)
    return model.eval()


def _patch_logits(scorer: FoldedScorer, patches: np.ndarray) -> np.ndarray:
    """Each patch's logit: every patch a track of its own."""
    return scorer.per_track(patches, np.ones(len(patches), np.int64), profiles=False)[0]


def test_folded_track_logits_match_the_model() -> None:
    model = _model(0)
    rng = np.random.default_rng(0)
    n_patches = np.array([10, 1, 3, BLOCK_ROWS + 5, 7])
    patches = rng.normal(0.5, 1.0, (int(n_patches.sum()), 40)).astype(np.float16)
    with torch.no_grad():
        every = model(torch.from_numpy(patches).float()).double().numpy()
    starts = np.concatenate([[0], np.cumsum(n_patches)[:-1]])
    got, _ = FoldedScorer.from_model(model).per_track(patches, n_patches, profiles=False)
    np.testing.assert_allclose(got, np.add.reduceat(every, starts) / n_patches, atol=1e-5)


def test_folded_logits_match_across_block_boundaries() -> None:
    model = _model(1)
    patches = np.random.default_rng(1).normal(size=(2 * BLOCK_ROWS + 3, 40)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(patches)).double().numpy()
    got = _patch_logits(FoldedScorer.from_model(model), patches)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)


def test_per_track_logits_are_patch_means_and_profiles_those_of_the_tracks() -> None:
    model = _model(3)
    scorer = FoldedScorer.from_model(model)
    rng = np.random.default_rng(3)
    for n_patches in (np.full(BLOCK_ROWS // 3, 7), np.array([10, 1, 3, BLOCK_ROWS + 5, 7])):
        patches = rng.normal(0.5, 1.0, (int(n_patches.sum()), 40)).astype(np.float16)
        logits, vectors = scorer.per_track(patches, n_patches)
        starts = np.concatenate([[0], np.cumsum(n_patches)[:-1]])
        wide = patches.astype(np.float64)
        mean = np.add.reduceat(wide, starts) / n_patches[:, None]
        spread = [wide[a : a + n].std(axis=0) for a, n in zip(starts, n_patches, strict=True)]
        np.testing.assert_allclose(vectors, np.hstack([mean, spread]), rtol=0, atol=1e-5)
        expected = [profile(patches[a : a + n]) for a, n in zip(starts, n_patches, strict=True)]
        np.testing.assert_allclose(vectors, expected, rtol=0, atol=1e-5)
        every = _patch_logits(scorer, patches)
        np.testing.assert_allclose(logits, np.add.reduceat(every, starts) / n_patches, atol=1e-9)


def test_profiles_without_a_model_are_those_of_each_track() -> None:
    rng = np.random.default_rng(6)
    for n_patches in (np.full(BLOCK_ROWS // 5 + 3, 5), np.array([4, 1, 9, BLOCK_ROWS + 2, 4])):
        patches = rng.normal(0.5, 1.0, (int(n_patches.sum()), 30)).astype(np.float16)
        starts = np.concatenate([[0], np.cumsum(n_patches)[:-1]])
        expected = [profile(patches[a : a + n]) for a, n in zip(starts, n_patches, strict=True)]
        np.testing.assert_allclose(patch_profiles(patches, n_patches), expected, atol=1e-5)


def test_without_logits_the_vectors_are_the_same_and_no_matmul_runs() -> None:
    scorer = FoldedScorer.from_model(_model(4))
    n_patches = np.full(30, 4)
    patches = np.random.default_rng(4).normal(size=(120, 40)).astype(np.float16)
    logits, vectors = scorer.per_track(patches, n_patches)
    none, same = scorer.per_track(patches, n_patches, logits=False)
    np.testing.assert_array_equal(same, vectors)
    assert np.all(none == scorer.offset)
    assert not np.all(logits == scorer.offset)


def _with_adapter(model: TasteModel, units: int, seed: int) -> TasteModel:
    gen = torch.Generator().manual_seed(seed)
    weight = torch.randn(units, model.dense.in_features, generator=gen) * 0.3
    model.set_adapter(Adapter(weight, torch.randn(units, generator=gen) * 0.1), tracks=50)
    return model


def test_with_an_adapter_profiles_take_its_view_and_logits_stay_the_models() -> None:
    model = _model(5)
    bare = FoldedScorer.from_model(model)
    scorer = FoldedScorer.from_model(_with_adapter(model, 9, 5))
    rng = np.random.default_rng(5)
    for n_patches in (np.full(BLOCK_ROWS // 6, 6), np.array([10, 1, 3, BLOCK_ROWS + 5, 7])):
        patches = rng.normal(0.5, 1.0, (int(n_patches.sum()), 40)).astype(np.float16)
        blocks = np.split(patches, np.cumsum(n_patches)[:-1])
        feats = pack_features(np.arange(len(n_patches)), blocks)
        adapter = model.adapter()
        expected = track_profiles(feats, np.arange(len(n_patches)), adapter)
        assert expected.shape == (len(n_patches), 2 * 40 + 2 * 9)
        logits, vectors = scorer.per_track(patches, n_patches)
        # a spread near 0 is the root of a float32 difference of sums: looser there
        np.testing.assert_allclose(vectors, expected, rtol=0, atol=1e-3)
        np.testing.assert_allclose(logits, bare.per_track(patches, n_patches)[0], atol=1e-6)
        _, alone = scorer.per_track(patches, n_patches, logits=False)
        np.testing.assert_allclose(alone, expected, rtol=0, atol=1e-3)
        np.testing.assert_allclose(patch_profiles(patches, n_patches, adapter), expected, atol=1e-3)
        no_profiles, _ = scorer.per_track(patches, n_patches, profiles=False)
        np.testing.assert_allclose(no_profiles, logits, atol=1e-9)
