"""The torch port of the VGG baseline (``MSD_vgg``, ``MTT_vgg``) against what can be
established without TensorFlow.

No output of the original exists for these checkpoints (the fixtures were made for
musicnn only), so faithfulness is checked three ways: every variable of each
checkpoint maps onto exactly one tensor of the port and back; a plain NumPy forward
pass written from ``musicnn/models.py`` in TensorFlow's own layouts (NHWC, HWIO
kernels, "same" convolutions, "valid" pooling, flattening in (time, frequency,
channel) order) on the checkpoint's raw variables gives the port's outputs; and the
taggram of real clips is sane: the piano clip's top MTT tag is "piano", and the
MTT VGG's tags follow the MTT musicnn reference's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from classifier.musicnn.names import VGG_NAMES
from classifier.musicnn.tfbundle import TFBundle
from classifier.musicnn.vgg import POOL5_DIM, VGG, VggOutput, vgg_state_from_bundle
from classifier.musicnn.weights import load_vgg, tag_names, weights_dir

FIXTURE = Path(__file__).parents[1] / "fixtures" / "musicnn" / "reference.npz"
CLIPS = ("piano", "drums", "pad")
BN_EPS = 1e-3


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(FIXTURE) as npz:
        return {key: npz[key] for key in npz.files}


@pytest.fixture(scope="module", params=VGG_NAMES)
def name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def bundle(name: str) -> TFBundle:
    return TFBundle.from_dir(weights_dir(name))


@pytest.fixture(scope="module")
def model(name: str) -> VGG:
    return load_vgg(name)


def _forward(model: VGG, patches: np.ndarray) -> VggOutput:
    with torch.inference_mode():
        out: VggOutput = model(torch.from_numpy(np.ascontiguousarray(patches)))
    return out


def _model_variables(bundle: TFBundle) -> set[str]:
    """The checkpoint's variables less the optimiser's (Adam slots, beta powers)."""
    return {k for k in bundle.shapes() if "Adam" not in k and "_power" not in k}


def test_every_checkpoint_variable_maps_onto_one_tensor(model: VGG, bundle: TFBundle) -> None:
    from classifier.musicnn.vgg import _tf_names

    names = _tf_names(model)
    used = [variable for variable, _ in names.values()]
    assert len(used) == len(set(used))
    assert set(used) == _model_variables(bundle)
    wanted = {k for k in model.state_dict() if not k.endswith("num_batches_tracked")}
    assert set(names) == wanted
    model.load_state_dict(vgg_state_from_bundle(VGG(), bundle), strict=True)


def test_shapes_and_eval_mode(model: VGG, reference: dict[str, np.ndarray]) -> None:
    out = _forward(model, reference["piano/mel_patches"])
    assert out.taggram.shape == (3, 50)
    assert out.pool5.shape == (3, POOL5_DIM)
    assert out.pool4_max.shape == out.pool4_mean.shape == (3, 128)
    assert not model.training
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert ((out.taggram > 0) & (out.taggram < 1)).all()


def _bn(x: np.ndarray, bundle: TFBundle, scope: str) -> np.ndarray:
    mean, var = bundle.read(f"{scope}/moving_mean"), bundle.read(f"{scope}/moving_variance")
    gamma, beta = bundle.read(f"{scope}/gamma"), bundle.read(f"{scope}/beta")
    return np.asarray((x - mean) / np.sqrt(var + BN_EPS) * gamma + beta)


def _conv_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """TF's 3x3 "same" convolution of ``x`` (T, F, C) with an HWIO ``kernel``."""
    padded = np.pad(x, ((1, 1), (1, 1), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(0, 1))
    return np.einsum("tfcij,ijco->tfo", windows, kernel, optimize=True) + bias


def _max_pool_valid(x: np.ndarray, pool: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    t = (x.shape[0] - pool[0]) // stride[0] + 1
    f = (x.shape[1] - pool[1]) // stride[1] + 1
    out = np.full((t, f, x.shape[2]), -np.inf)
    for i in range(pool[0]):
        for j in range(pool[1]):
            out = np.maximum(
                out, x[i : i + t * stride[0] : stride[0], j : j + f * stride[1] : stride[1]]
            )
    return out


def _numpy_vgg(patch: np.ndarray, bundle: TFBundle) -> tuple[np.ndarray, np.ndarray]:
    """(taggram (50,), pool5 flattened (256,)) of one patch (187, 96), as ``models.vgg``."""
    x = _bn(patch.astype(np.float64)[:, :, None], bundle, "batch_normalization")
    strides = ((2, 2), (2, 2), (2, 2), (2, 2), (4, 4))
    for i, (pool, stride) in enumerate(
        zip(((4, 1), (2, 2), (2, 2), (2, 2), (4, 4)), strides, strict=True)
    ):
        conv = _conv_same(x, bundle.read(f"{i + 1}CNN/kernel"), bundle.read(f"{i + 1}CNN/bias"))
        x = _bn(np.maximum(conv, 0.0), bundle, f"batch_normalization_{i + 1}")
        x = _max_pool_valid(x, pool, stride)
    flat = x.reshape(-1)
    logits = flat @ bundle.read("dense/kernel") + bundle.read("dense/bias")
    return 1.0 / (1.0 + np.exp(-logits)), flat


def test_matches_a_numpy_forward_pass_in_tensorflow_layouts(
    model: VGG, bundle: TFBundle, reference: dict[str, np.ndarray]
) -> None:
    patches = reference["drums/mel_patches"][:2]
    out = _forward(model, patches)
    for i, patch in enumerate(patches):
        taggram, pool5 = _numpy_vgg(patch, bundle)
        np.testing.assert_allclose(out.taggram[i].numpy(), taggram, atol=1e-4)
        np.testing.assert_allclose(out.pool5[i].numpy(), pool5, atol=1e-3, rtol=1e-4)


def test_the_piano_clip_is_tagged_piano(reference: dict[str, np.ndarray]) -> None:
    out = _forward(load_vgg("MTT_vgg"), reference["piano/mel_patches"])
    tags = tag_names("MTT_vgg")
    assert tags[int(out.taggram.mean(dim=0).argmax())] == "piano"


def test_mtt_tags_follow_the_musicnn_reference(reference: dict[str, np.ndarray]) -> None:
    """Trained on the same 50 MagnaTagATune tags, the two networks agree on real clips."""
    patches = np.concatenate([reference[f"{clip}/mel_patches"] for clip in CLIPS])
    ours = _forward(load_vgg("MTT_vgg"), patches).taggram.numpy()
    theirs = np.concatenate([reference[f"{clip}/MTT_musicnn/taggram"] for clip in CLIPS])
    assert np.corrcoef(ours.ravel(), theirs.ravel())[0, 1] > 0.75


def test_load_vgg_rejects_a_musicnn_name() -> None:
    with pytest.raises(ValueError, match="unknown VGG checkpoint"):
        load_vgg("MSD_musicnn")
