"""The VGG-like baseline that ships beside musicnn (``MSD_vgg``, ``MTT_vgg``), in torch.

Pons, Nieto, Prockup, Schmidt, Ehmann, Serra, "End-to-end learning for music audio
tagging at scale", ISMIR 2018 (the "VGG" computer-vision baseline); the checkpoints of
Pons & Serra, "musicnn: pre-trained convolutional neural networks for music audio
tagging", ISMIR 2019 LBD. The layers follow PyPI ``musicnn==0.1.0``'s
``musicnn/models.py`` (``vgg``) one for one: the same log-mel patch as musicnn's
(187 frames x 96 bands), batch-normalised, then five blocks of a 3x3 convolution with
128 filters (ReLU, then batch norm) and max pooling ((4, 1) with stride (2, 2), then
(2, 2) three times, then (4, 4)), which leave a (2 frames x 1 band x 128) map; its
flattening (256 values, "pool5") feeds one dense layer of 50 sigmoid tags.

``pool5`` is flattened in TensorFlow's (time, frequency, channel) order, so the dense
kernel loads without a permutation (:func:`vgg_state_from_bundle`).
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from classifier.musicnn.blocks import VggBlock, batch_norm_2d
from classifier.musicnn.model import N_TAGS
from classifier.musicnn.tfbundle import TFBundle, TFBundleError

__all__ = ["POOL5_DIM", "VGG", "VggOutput", "vgg_state_from_bundle"]

logger = logging.getLogger(__name__)

POOLS = ((4, 1), (2, 2), (2, 2), (2, 2), (4, 4))
FILTERS = 128
POOL5_DIM = 2 * 1 * FILTERS
"""pool5 of a 187 x 96 patch: 2 frames x 1 band x 128 channels."""


class VggOutput(NamedTuple):
    """Per-patch outputs; ``taggram`` holds sigmoid probabilities."""

    taggram: Tensor  # (B, n_tags)
    pool5: Tensor  # (B, 256), the dense layer's input (the penultimate features)
    pool4_max: Tensor  # (B, 128), pool4 maximised over time and frequency
    pool4_mean: Tensor  # (B, 128), pool4 averaged over time and frequency


class VGG(nn.Module):
    """A VGG-like CNN for music audio tagging (Pons et al., ISMIR 2018's baseline).

    Input: log-mel patches ``(B, 187, 96)``, as :class:`~classifier.musicnn.model.MusiCNN`'s.
    """

    def __init__(
        self,
        *,
        filters: int = FILTERS,
        pools: tuple[tuple[int, int], ...] = POOLS,
        n_tags: int = N_TAGS,
        flat_features: int = POOL5_DIM,
        dropout: float = 0.25,
        dropout_dense: float = 0.5,
    ) -> None:
        super().__init__()
        self.bn_in = batch_norm_2d(1)
        self.blocks = nn.ModuleList(
            VggBlock(
                in_channels=1 if i == 0 else filters,
                filters=filters,
                pool=pool,
                stride=(2, 2) if i == 0 else pool,
                dropout=0.0 if i == 0 else dropout,
            )
            for i, pool in enumerate(pools)
        )
        self.dropout_dense = nn.Dropout(dropout_dense)
        self.out = nn.Linear(flat_features, n_tags)

    def pool4(self, mel: Tensor) -> Tensor:
        """``mel`` (B, T, 96) -> the fourth block's map (B, filters, T', F')."""
        x: Tensor = self.bn_in(mel.unsqueeze(1))
        for block in self.blocks[:-1]:
            x = block(x)
        return x

    def forward(self, mel: Tensor) -> VggOutput:
        """Tags, the flattened pool5 and pool4's global max and mean of ``mel`` (B, T, 96)."""
        pool4 = self.pool4(mel)
        pool5 = self.blocks[-1](pool4).permute(0, 2, 3, 1).flatten(1)  # TF's (T, F, C) order
        logits = self.out(self.dropout_dense(pool5))
        return VggOutput(
            torch.sigmoid(logits), pool5, pool4.amax(dim=(2, 3)), pool4.mean(dim=(2, 3))
        )


def _scope(base: str, index: int) -> str:
    return base if index == 0 else f"{base}_{index}"


def _tf_names(model: VGG) -> dict[str, tuple[str, str]]:
    """Our parameter -> (TF variable, kind): the graph names its convolutions ``1CNN`` ..
    ``5CNN`` and numbers its batch norms in creation order (input first)."""
    bn = {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean"}
    bn["running_var"] = "moving_variance"
    names = {f"bn_in.{k}": (f"batch_normalization/{v}", "vector") for k, v in bn.items()}
    for i in range(len(model.blocks)):
        names[f"blocks.{i}.conv.weight"] = (f"{i + 1}CNN/kernel", "conv")
        names[f"blocks.{i}.conv.bias"] = (f"{i + 1}CNN/bias", "vector")
        for k, v in bn.items():
            names[f"blocks.{i}.bn.{k}"] = (f"{_scope('batch_normalization', i + 1)}/{v}", "vector")
    names["out.weight"] = ("dense/kernel", "dense")
    names["out.bias"] = ("dense/bias", "vector")
    return names


def _convert(array: np.ndarray, kind: str) -> np.ndarray:
    """TF layouts to torch's: conv kernels HWIO -> OIHW, dense kernels (in, out) -> (out, in)."""
    if kind == "conv":
        return array.transpose(3, 2, 0, 1)
    return array.T if kind == "dense" else array


def vgg_state_from_bundle(model: VGG, bundle: TFBundle) -> dict[str, Tensor]:
    """A full state dict for ``model`` from the checkpoint's variables."""
    state = model.state_dict()
    names = _tf_names(model)
    missed = {k for k in state if not k.endswith("num_batches_tracked")} - set(names)
    if missed:
        raise TFBundleError(f"no checkpoint variable mapped onto {sorted(missed)}")
    for key, (variable, kind) in names.items():
        array = _convert(bundle.read(variable), kind)
        if tuple(array.shape) != tuple(state[key].shape):
            raise TFBundleError(f"{variable}: shape {array.shape} does not fit {key}")
        state[key] = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    return state
