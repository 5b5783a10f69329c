"""The taste model: pretrained body, zero head, L2-SP, frozen batch-norm statistics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from classifier.musicnn.model import BackEnd
from classifier.taste.features import pack_features
from classifier.taste.fit import fit
from classifier.taste.kernel import ALL_TIME, LONG, NEAREST, SIMILARITY
from classifier.taste.labelset import LabelSet
from classifier.taste.mix import Moments, fit_mix
from classifier.taste.model import ANCHORED, ARTIST, HEARD, N_MIX, TasteModel, head_start
from tests.classifier.tastedata import FAST, PATCHES, config


def _backend() -> BackEnd:
    torch.manual_seed(0)
    backend = BackEnd()
    for bn in (backend.bn_in, backend.bn_dense):  # non-trivial running statistics
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    return backend.eval()


def _two_clusters(n: int = 30) -> tuple[LabelSet, object]:
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 1, (2, 1506))
    targets = np.repeat([1.0, 0.0], n).astype(np.float32)
    blocks = [centres[int(1 - t)] + rng.normal(0, 0.5, (PATCHES, 1506)) for t in targets]
    ids = np.arange(1, 2 * n + 1)
    labels = LabelSet(
        ids,
        targets,
        np.ones(2 * n, np.float32),
        np.where(targets == 1, 0, 3).astype(np.int8),
        np.zeros(2 * n),
        np.zeros(2 * n),
    )
    return labels, pack_features(ids, blocks)


@torch.no_grad()
def _distance(model: TasteModel, reference: TasteModel) -> float:
    return sum(
        float((model.get_parameter(n) - reference.get_parameter(n)).pow(2).sum()) for n in ANCHORED
    )


def test_from_backend_copies_the_pretrained_body_and_starts_neutral() -> None:
    backend = _backend()
    model = TasteModel.from_backend(backend)
    x = torch.randn(5, 1506)
    assert torch.equal(model.dense.weight, backend.dense.weight)
    assert torch.allclose(model.penultimate(x), backend(x)[1])
    assert torch.equal(model(x), torch.zeros(5))
    assert float(model.l2sp().detach()) == 0.0


def test_l2sp_keeps_the_body_near_the_pretrained_weights() -> None:
    labels, feats = _two_clusters()
    start = TasteModel.from_backend(_backend())
    distances = {}
    for l2sp in (0.0, 10.0):
        model = TasteModel.from_backend(_backend())
        fit(model, feats, labels, config(l2sp=l2sp, steps=60))
        distances[l2sp] = _distance(model, start)
        assert float(model.l2sp().detach()) == pytest.approx(distances[l2sp], rel=1e-4)
    assert distances[0.0] > 0
    assert distances[10.0] < 0.2 * distances[0.0]


def test_training_leaves_batch_norm_statistics_frozen() -> None:
    labels, feats = _two_clusters()
    model = TasteModel.from_backend(_backend())
    before = model.bn_in.running_mean.clone(), model.bn_dense.running_var.clone()
    fit(model, feats, labels, FAST)
    assert torch.equal(model.bn_in.running_mean, before[0])
    assert torch.equal(model.bn_dense.running_var, before[1])


def test_track_score_is_the_mean_patch_probability() -> None:
    model = TasteModel.from_backend(_backend())
    torch.nn.init.normal_(model.head.weight, std=0.1)
    x = torch.randn(5, 1506)
    probs = torch.sigmoid(model(x))
    scores = model.track_scores(x, torch.tensor([2, 3]))
    expected = torch.stack([probs[:2].mean(), probs[2:].mean()]).double()
    assert scores.dtype == torch.float64  # a confident model must not tie at 1.0
    assert torch.allclose(scores, expected)


def test_the_head_starts_at_recent_similarity_less_half_the_long_kernels() -> None:
    start = TasteModel().mix.weight.detach()[0]
    assert start[SIMILARITY] == start[NEAREST] == 1.0
    assert start[LONG] == start[ALL_TIME] == -0.5
    assert start[ARTIST] == 0.5
    assert start[HEARD] == 0.0  # the whole contrast: taste moved, the heard regression lags
    assert int((start != 0).sum()) == 5


def test_the_contrast_of_the_start_trades_its_long_terms_for_the_heard_regression() -> None:
    half, none = head_start(0.5)[0], head_start(0.0)[0]
    assert half[LONG] == half[ALL_TIME] == -0.25
    assert half[SIMILARITY] == half[NEAREST] == 1.0
    assert half[ARTIST] == none[ARTIST] == 0.5
    assert half[HEARD] == 0.5
    assert none[HEARD] == 1.0
    assert int((none != 0).sum()) == 4


def test_without_moments_the_head_is_its_start() -> None:
    model = TasteModel()
    model.mix.weight.data.normal_()  # a warm start trained elsewhere
    empty = Moments(np.zeros((0, N_MIX)), np.zeros((0, 4, N_MIX)), np.zeros(0))
    candidates = np.random.default_rng(0).normal(size=(50, N_MIX))
    fit_mix(model, empty, candidates, l2sp=1.5, steps=200, seed=0, contrast=0.0)
    assert torch.equal(model.mix.weight.detach(), head_start(0.0))
    assert torch.equal(model.get_buffer("mix_anchor"), head_start(0.0))


def test_a_head_anchored_elsewhere_is_pulled_toward_this_versions_start() -> None:
    model = TasteModel()
    old = torch.zeros(1, N_MIX)
    old[0, [SIMILARITY, NEAREST]] = 1.0  # the start of earlier versions
    model.get_buffer("mix_anchor").copy_(old)
    model.mix.weight.data.copy_(old)
    rng = np.random.default_rng(1)
    noise = Moments(rng.normal(size=(40, N_MIX)), rng.normal(size=(40, 4, N_MIX)), np.ones(40))
    fit_mix(model, noise, rng.normal(size=(100, N_MIX)), l2sp=3.0, steps=200, seed=0)
    assert torch.equal(model.get_buffer("mix_anchor"), head_start())
    weight = model.mix.weight.detach()[0]
    assert float(weight[ALL_TIME]) < -0.3  # from 0 toward -0.5: listens of pure noise
